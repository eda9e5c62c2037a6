/**
 * One membership of one interface in one queue (static from queues.conf, or dynamic
 * from AddQueueMember / `queue add member`). Dynamic members live in the log, so they
 * survive a restart (persistentmembers without a database).
 *
 *   available ─connect─► incall ─complete─► wrapup ─timer─► available
 *       │                  │  (complete with no wrap-up time goes straight back)
 *       └─remove─► removed ◄┘ (removed in a call: `leaving`, gone when the call completes)
 * pause/unpause/penalty/ringinuse/update are taken in every state but removed.
 * Invariant: a member is in at most one queue call (`call`); Queue() asks before it rings.
 */
import { assign, emit, setup } from "xstate";
import type { QueueMemberContext } from "../../events/catalogue/queue.js";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";

type Source = "dialplan" | "cli" | "config" | "actor" | "test" | "ami" | "timer";

export type AddMemberInput = {
  readonly source: Source; readonly type: "add"; readonly queue: string; readonly interface: string; readonly name: string;
  readonly stateInterface: string; readonly penalty: number; readonly paused: boolean; readonly reason?: string; readonly dynamic: boolean;
  readonly ringinuse?: boolean; readonly wrapuptime?: number;
  /** The uniqueid of the channel that added it (queue_log's callid), "NONE" otherwise. */
  readonly callid?: string;
};

export type QueueMemberInput =
  | AddMemberInput
  | { readonly source: Source; readonly type: "update"; readonly name: string; readonly stateInterface: string; readonly penalty: number; readonly ringinuse?: boolean; readonly wrapuptime?: number }
  /** `all`: pausing every membership of the interface (queue_log PAUSEALL, on the first one). */
  | { readonly source: Source; readonly type: "pause"; readonly reason: string; readonly all?: boolean }
  | { readonly source: Source; readonly type: "unpause"; readonly reason?: string; readonly all?: boolean }
  | { readonly source: Source; readonly type: "penalty"; readonly penalty: number }
  | { readonly source: Source; readonly type: "ringinuse"; readonly ringinuse: boolean }
  | { readonly source: Source; readonly type: "connect"; readonly uniqueid: string }
  /** The queue call ended; `wrapuptime` seconds of wrap-up follow. */
  | { readonly source: Source; readonly type: "complete"; readonly wrapuptime: number }
  | { readonly source: Source; readonly type: "timer"; readonly name: string }
  | { readonly source: Source; readonly type: "remove"; readonly callid?: string }
  | { readonly source: Source; readonly type: "reset" };

type MemberEvent = MachineEvent<QueueMemberInput>;
const WRAPUP = "wrapup";

function update(e: MemberEvent): Partial<QueueMemberContext> {
  switch (e.type) {
    case "update": {
      return {
        name: e.name, stateInterface: e.stateInterface, penalty: e.penalty,
        ...(e.ringinuse !== undefined ? { ringinuse: e.ringinuse } : {}), ...(e.wrapuptime !== undefined ? { wrapuptime: e.wrapuptime } : {}),
      };
    }
    case "pause": return { paused: true, reason: e.reason, lastPause: e.env.now };
    case "unpause": return { paused: false, reason: "", lastPause: e.env.now };
    case "penalty": return { penalty: e.penalty };
    case "ringinuse": return { ringinuse: e.ringinuse };
    case "reset": return { callsTaken: 0, lastCall: 0 };
    default: return {};
  }
}

export const queueMemberMachine = setup({
  types: {} as { context: QueueMemberContext; events: MemberEvent; input: SpawnInput<AddMemberInput>; emitted: { type: "timer.set"; name: string; at: number } | { type: "timer.cancel"; name: string } },
  actions: {
    update: assign(({ event }) => update(event)),
    connected: assign(({ event }) => (event.type === "connect" ? { call: event.uniqueid } : {})),
    completed: assign(({ context, event }) => ({
      call: "", callsTaken: context.callsTaken + 1, lastCall: event.env.now,
      wrapupUntil: event.type === "complete" ? event.env.now + event.wrapuptime * 1e6 : 0,
    })),
    leave: assign({ leaving: true }),
  },
  guards: {
    hasWrapup: ({ event }) => event.type === "complete" && event.wrapuptime > 0,
    leaving: ({ context }) => context.leaving,
    wrapupTimer: ({ event }) => event.type === "timer" && event.name === WRAPUP,
  },
}).createMachine({
  id: "queue-member",
  context: ({ input }) => {
    const s = input.spawn;
    return {
      queue: s.queue ?? "", interface: s.interface ?? "", name: s.name ?? "", stateInterface: s.stateInterface ?? "", penalty: s.penalty ?? 0,
      dynamic: s.dynamic ?? false, paused: s.paused ?? false, reason: s.paused ? s.reason ?? "" : "", addedAt: input.env.now, lastPause: 0, callsTaken: 0, lastCall: 0,
      call: "", leaving: false, wrapupUntil: 0,
      ...(s.ringinuse !== undefined ? { ringinuse: s.ringinuse } : {}), ...(s.wrapuptime !== undefined ? { wrapuptime: s.wrapuptime } : {}),
    };
  },
  initial: "available",
  on: Object.fromEntries(["update", "pause", "unpause", "penalty", "ringinuse", "reset"].map((t) => [t, { actions: "update" }])),
  states: {
    available: {
      on: { connect: { target: "incall", actions: "connected" }, remove: "removed" },
    },
    incall: {
      on: {
        complete: [
          { guard: "leaving", target: "removed", actions: "completed" },
          { guard: "hasWrapup", target: "wrapup", actions: ["completed", emit(({ event }) => ({ type: "timer.set" as const, name: WRAPUP, at: event.env.now + (event.type === "complete" ? event.wrapuptime : 0) * 1e6 }))] },
          { target: "available", actions: "completed" },
        ],
        remove: { actions: "leave" },
      },
    },
    wrapup: {
      on: {
        timer: { guard: "wrapupTimer", target: "available" },
        remove: { target: "removed", actions: emit({ type: "timer.cancel" as const, name: WRAPUP }) },
      },
    },
    removed: { type: "final" },
  },
});

export const queueMemberKind: ActorKindDef = { kind: "queue-member", eventType: "queue-member.transition", eventVersion: 1, machine: queueMemberMachine };

export const queueMemberId = (queue: string, iface: string) => `queue-member:${queue}/${iface}`;
