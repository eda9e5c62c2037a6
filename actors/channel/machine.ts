/**
 * A channel: one call leg, from creation to destruction. The SIP call layer, the
 * dialplan and Dial decide; this machine keeps the leg's lifecycle and everything CDR
 * and CEL read from it (position, application, variables, parties, hang-up cause).
 *
 *   down|ring ─► dialing|ringing|progress|busy ─► up ─► hungup ─► destroyed
 *  (hang-up is taken in every state before hungup)
 * `hungup` still runs the `h` extension (app.start/app.end/setvar are taken); only
 * `destroy` ends the actor.
 */
import { assign, setup } from "xstate";
import type { ChannelContext } from "../../events/catalogue/channel.js";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";
import { flatStateChanges } from "../step.js";

type Source = "sip" | "dialplan" | "actor" | "test" | "cli" | "ami" | "media" | "dtmf" | "agi" | "spool" | "ari";

export type CreateChannelInput = {
  readonly source: Source;
  readonly type: "create";
  readonly name: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly tech: ChannelContext["tech"];
  readonly direction: "in" | "out";
  readonly endpoint?: string;
  readonly callerId: { readonly num: string; readonly name: string };
  readonly connected?: { readonly num: string; readonly name: string };
  readonly context: string;
  readonly exten: string;
  readonly accountcode?: string;
  readonly vars?: Readonly<Record<string, string>>;
  readonly parent?: string;
  readonly dnid?: string;
};

type Progress = "ring" | "ringing" | "progress" | "busy" | "dialing";

export type ChannelInput =
  | { readonly source: Source; readonly type: Progress }
  | { readonly source: Source; readonly type: "answer" }
  | { readonly source: Source; readonly type: "newexten"; readonly context: string; readonly exten: string; readonly priority: number; readonly app?: string; readonly data?: string }
  | { readonly source: Source; readonly type: "app.start"; readonly app: string; readonly data: string }
  | { readonly source: Source; readonly type: "app.end"; readonly app: string }
  | { readonly source: Source; readonly type: "setvar"; readonly name: string; readonly value: string }
  | { readonly source: Source; readonly type: "setvars"; readonly vars: Readonly<Record<string, string>> }
  | { readonly source: Source; readonly type: "cdr.set"; readonly field: "accountcode" | "userfield" | "amaflags" | "peeraccount" | "dstchannel"; readonly value: string }
  | { readonly source: Source; readonly type: "callerid"; readonly num?: string; readonly name?: string }
  | { readonly source: Source; readonly type: "connected"; readonly num?: string; readonly name?: string }
  | { readonly source: Source; readonly type: "dial.begin"; readonly peer: string; readonly dialstring: string }
  | { readonly source: Source; readonly type: "dial.end"; readonly status: string }
  | { readonly source: Source; readonly type: "bridge.enter"; readonly bridge: string; readonly peer?: string }
  | { readonly source: Source; readonly type: "bridge.exit"; readonly bridge: string }
  | { readonly source: Source; readonly type: "linkedid"; readonly linkedid: string }
  | { readonly source: Source; readonly type: "user.event"; readonly name: string; readonly extra?: string }
  /** This ringing leg was picked up by another channel (`pickup_channel`, its id), which takes its call (calls/pickup.ts). */
  | { readonly source: Source; readonly type: "pickup"; readonly pickup_channel: string }
  /** An AGI program's command line and the result Recall answered (the session's exchange, in the log). */
  | { readonly source: Source; readonly type: "agi.command"; readonly command: string; readonly result: string }
  | { readonly source: Source; readonly type: "local.optimize"; readonly other: string; readonly peer?: string }
  /** This `;1` half and its `;2` (`other`, a channel id) are called as one Local channel (AMI LocalBridge); `optimize` false for /n. */
  | { readonly source: Source; readonly type: "local.bridge"; readonly other: string; readonly optimize: boolean }
  /** The phone put the call on hold (a=sendonly/inactive or c=0.0.0.0), or took it off (sendrecv again). */
  | { readonly source: Source; readonly type: "hold"; readonly musicclass?: string }
  | { readonly source: Source; readonly type: "unhold" }
  /** The bridge partner (`by`, its channel id) put this leg on hold, or took it off: the held party's device is ONHOLD, as in chan_pjsip. */
  | { readonly source: Source; readonly type: "held"; readonly by: string }
  | { readonly source: Source; readonly type: "unheld" }
  /** A DTMF digit the leg received from its phone or sent to it (AMI DTMFBegin/DTMFEnd). */
  | { readonly source: Source; readonly type: "dtmf"; readonly digit: string; readonly direction: "received" | "sent"; readonly durationMs?: number }
  /** This channel blind-transferred its bridge partner (`transferee`, a channel id) to exten@context. */
  | { readonly source: Source; readonly type: "transfer.blind"; readonly exten: string; readonly context: string; readonly bridge: string; readonly transferee: string }
  /**
   * This channel (in `bridge1` with `transferee`) completed an attended transfer: `target`, who
   * talked to `channel2` in `bridge2`, takes its place. channel2 is this channel itself after a
   * DTMF atxfer, the transferer's second leg after a REFER with Replaces.
   */
  | { readonly source: Source; readonly type: "transfer.attended"; readonly bridge1: string; readonly bridge2: string; readonly channel2: string; readonly transferee: string; readonly target: string }
  /**
   * `by`: the channel name that caused the hang-up (CEL hangupsource), "" when the far end did.
   * `soft`: Asterisk's soft-hangup reason when the hang-up was requested from outside the call
   * (`channel request hangup`, ARI: 32, explicit), for AMI SoftHangupRequest.
   */
  | { readonly source: Source; readonly type: "hangup"; readonly cause: number; readonly by?: string; readonly soft?: number }
  | { readonly source: Source; readonly type: "destroy" };

type ChannelEvent = MachineEvent<ChannelInput>;

/** Context changes an input makes whatever the state (before `destroy`). */
function update(c: ChannelContext, e: ChannelEvent): Partial<ChannelContext> {
  switch (e.type) {
    case "newexten": return { context: e.context, exten: e.exten, priority: e.priority, ...(e.app !== undefined ? { app: e.app, appData: e.data ?? "" } : {}) };
    case "app.start": return { app: e.app, appData: e.data };
    case "setvar": {
      const vars = { ...c.vars };
      if (e.value === "") delete vars[e.name]; else vars[e.name] = e.value;
      return { vars };
    }
    case "setvars": {
      const vars = { ...c.vars };
      for (const [name, value] of Object.entries(e.vars)) if (value === "") delete vars[name]; else vars[name] = value;
      return { vars };
    }
    // dstchannel (queues.conf updatecdr) names the party B of the CDR record open now: the CDR fold reads it from the input.
    case "cdr.set": return e.field === "dstchannel" ? {} : { [e.field]: e.value };
    case "callerid": return { callerId: { num: e.num ?? c.callerId.num, name: e.name ?? c.callerId.name } };
    case "connected": return { connected: { num: e.num ?? c.connected.num, name: e.name ?? c.connected.name } };
    case "dial.begin": return { peer: e.peer };
    case "dial.end": return { dialStatus: e.status };
    case "bridge.enter": return { bridge: e.bridge, ...(e.peer ? { peer: e.peer } : {}) };
    case "bridge.exit": return { bridge: undefined };
    case "linkedid": return { linkedid: e.linkedid };
    case "local.optimize": return e.peer ? { peer: e.peer } : {};
    case "hold": return { onHold: true };
    case "unhold": return { onHold: false };
    case "held": return { heldBy: e.by };
    case "unheld": return { heldBy: "" };
    default: return {};
  }
}

/** What answering assigns: the first answer's time. */
const answered = (c: ChannelContext, e: ChannelEvent): Partial<ChannelContext> => ({ answeredAt: c.answeredAt ?? e.env.now });

/** What hanging up assigns. */
const hungup = (_c: ChannelContext, e: ChannelEvent): Partial<ChannelContext> =>
  (e.type === "hangup" ? { hungupAt: e.env.now, hangupCause: e.cause, hangupSource: e.by ?? "" } : {});

/** Transitions every state before `up` has: answer and hang-up. */
const live = {
  answer: { target: "up", actions: "answered" },
  hangup: { target: "hungup", actions: "hungup" },
} as const;

const progress = (...states: Progress[]) => Object.fromEntries(states.map((s) => [s, s])) as Record<Progress, Progress>;

const always = ["newexten", "app.start", "app.end", "setvar", "setvars", "cdr.set", "callerid", "connected", "dial.begin", "dial.end",
  "bridge.enter", "bridge.exit", "linkedid", "user.event", "pickup", "agi.command", "local.optimize", "local.bridge", "transfer.blind", "transfer.attended", "hold", "unhold", "held", "unheld", "dtmf"] as const;

export const channelMachine = setup({
  types: {} as { context: ChannelContext; events: ChannelEvent; input: SpawnInput<CreateChannelInput> },
  actions: {
    // The changed fields only: assign merges them into a copy of the context itself.
    update: assign(({ context, event }) => update(context, event)),
    answered: assign(({ context, event }) => answered(context, event)),
    hungup: assign(({ context, event }) => hungup(context, event)),
  },
}).createMachine({
  id: "channel",
  context: ({ input }) => {
    const s = input.spawn;
    return {
      name: s.name, uniqueid: s.uniqueid, linkedid: s.linkedid, tech: s.tech, direction: s.direction, endpoint: s.endpoint ?? "",
      callerId: s.callerId, connected: s.connected ?? { num: "", name: "" }, dnid: s.dnid ?? "", ani: s.callerId.num, rdnis: "",
      context: s.context, exten: s.exten, priority: 1, app: "", appData: "",
      accountcode: s.accountcode ?? "", peeraccount: "", amaflags: "DOCUMENTATION", userfield: "",
      vars: { ...(s.vars ?? {}) }, createdAt: input.env.now, ...(s.parent ? { parent: s.parent, peer: s.parent } : {}),
    };
  },
  initial: "start",
  on: Object.fromEntries(always.map((t) => [t, { actions: "update" }])),
  states: {
    /** An incoming call starts ringing (Ring); a leg being dialled starts Down. */
    start: { always: [{ guard: ({ context }) => firstState(context) === "ring", target: "ring" }, { target: "down" }] },
    down: { on: { ...progress("ring", "ringing", "progress", "dialing", "busy"), ...live } },
    ring: { on: { ...progress("ringing", "progress", "busy"), ...live } },
    dialing: { on: { ...progress("ringing", "progress", "busy"), ...live } },
    ringing: { on: { ...progress("progress", "busy"), ...live } },
    progress: { on: { ...progress("ringing", "busy"), ...live } },
    busy: { on: { hangup: live.hangup } },
    up: { on: { hangup: live.hangup } },
    hungup: { on: { destroy: "destroyed" } },
    destroyed: { type: "final" },
  },
});

/** Where a new channel rests: an incoming call rings, a leg being dialled is Down. */
function firstState(context: ChannelContext): "ring" | "down" {
  return context.direction === "in" ? "ring" : "down";
}

export const channelKind: ActorKindDef = {
  kind: "channel",
  eventType: "channel.transition",
  eventVersion: 1,
  machine: channelMachine,
  contextUpdates: { types: new Set(always), apply: update as never },
  stateChanges: flatStateChanges(channelMachine, { answered: answered as never, hungup: hungup as never }),
  spawnState: firstState as never,
};
