/**
 * A bridge: channels joined so they talk to each other. Channels enter and leave; the
 * bridge is destroyed when its owner (Dial, Bridge()) is done with it.
 */
import { assign, setup } from "xstate";
import type { BridgeContext } from "../../events/catalogue/bridge.js";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";

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

export const bridgeMachine = setup({
  types: {} as { context: BridgeContext; events: MachineEvent<BridgeInput>; input: SpawnInput<CreateBridgeInput> },
}).createMachine({
  id: "bridge",
  context: ({ input }) => ({
    id: input.spawn.id, technology: input.spawn.technology, name: input.spawn.name ?? "", channels: [], createdAt: input.env.now, entered: 0,
  }),
  initial: "active",
  states: {
    active: {
      on: {
        enter: {
          guard: ({ context, event }) => !context.channels.includes(event.type === "enter" ? event.channel : ""),
          actions: assign(({ context, event }) => (event.type === "enter"
            ? { channels: [...context.channels, event.channel], entered: context.entered + 1 } : {})),
        },
        leave: { actions: assign(({ context, event }) => (event.type === "leave" ? left(context, event.channel) : {})) },
        "video.source": { actions: assign(({ event }) => (event.type === "video.source"
          ? (event.uniqueid ? { videoMode: "single" as const, videoSource: event.uniqueid } : { videoMode: "talker" as const, videoSource: undefined }) : {})) },
        destroy: "destroyed",
      },
    },
    destroyed: { type: "final" },
  },
});

export const bridgeKind: ActorKindDef = { kind: "bridge", eventType: "bridge.transition", eventVersion: 1, machine: bridgeMachine };
