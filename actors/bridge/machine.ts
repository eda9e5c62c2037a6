/**
 * A bridge: channels joined so they talk to each other. Channels enter and leave; the
 * bridge is destroyed when its owner (Dial, Bridge()) is done with it.
 */
import { assign, setup } from "xstate";
import type { BridgeContext } from "../../events/catalogue/bridge.js";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";
import { flatStateChanges } from "../step.js";

type Source = "sip" | "dialplan" | "actor" | "test" | "cli" | "ami" | "ari";

export type CreateBridgeInput = { readonly source: Source; readonly type: "create"; readonly id: string; readonly technology: string; readonly name?: string };

export type BridgeInput =
  | { readonly source: Source; readonly type: "enter"; readonly channel: string }
  | { readonly source: Source; readonly type: "leave"; readonly channel: string }
  /** ARI's videoSource: `uniqueid` the single source, "" back to talker mode. */
  | { readonly source: Source; readonly type: "video.source"; readonly uniqueid: string }
  | { readonly source: Source; readonly type: "destroy" };

/** A channel leaves: out of the member list, and no longer the video source (the mode stays). */
function left(c: BridgeContext, channel: string): Partial<BridgeContext> {
  const channels = c.channels.filter((x) => x !== channel);
  return c.videoSource !== undefined && `channel:${c.videoSource}` === channel ? { channels, videoSource: undefined } : { channels };
}

type BridgeEvent = MachineEvent<BridgeInput>;

/** What entering, leaving and choosing the video source assign (a channel already in does not enter again). */
function update(c: BridgeContext, e: BridgeEvent): Partial<BridgeContext> {
  switch (e.type) {
    case "enter": return c.channels.includes(e.channel) ? {} : { channels: [...c.channels, e.channel], entered: c.entered + 1 };
    case "leave": return left(c, e.channel);
    case "video.source": return e.uniqueid ? { videoMode: "single", videoSource: e.uniqueid } : { videoMode: "talker", videoSource: undefined };
    default: return {};
  }
}

const updates = ["enter", "leave", "video.source"] as const;

export const bridgeMachine = setup({
  types: {} as { context: BridgeContext; events: BridgeEvent; input: SpawnInput<CreateBridgeInput> },
  actions: { update: assign(({ context, event }) => update(context, event)) },
}).createMachine({
  id: "bridge",
  context: ({ input }) => ({
    id: input.spawn.id, technology: input.spawn.technology, name: input.spawn.name ?? "", channels: [], createdAt: input.env.now, entered: 0,
  }),
  initial: "active",
  states: {
    active: { on: { ...Object.fromEntries(updates.map((t) => [t, { actions: "update" }])), destroy: "destroyed" } },
    destroyed: { type: "final" },
  },
});

export const bridgeKind: ActorKindDef = {
  kind: "bridge", eventType: "bridge.transition", eventVersion: 1, machine: bridgeMachine,
  contextUpdates: { types: new Set(updates), apply: update as never },
  stateChanges: flatStateChanges(bridgeMachine, {}),
  spawnState: () => "active",
};
