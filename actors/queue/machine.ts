/**
 * A queue: its callers waiting in order, the strategy's ring order, and the
 * statistics `queue show` prints. The Queue() application decides; this machine keeps
 * the record, and every input that writes a queue_log line carries that line's data.
 *
 *   active ─(every input)─► active        (a queue lives as long as its configuration)
 *
 * join appends a caller (or puts it at `position`); connect, abandon and exit take it
 * out; select orders the members that may ring with the queue's strategy (random
 * numbers drawn from the logged environment); complete (or transfer) counts a finished call.
 */
import { assign, setup } from "xstate";
import type { QueueCaller, QueueContext } from "../../events/catalogue/queue.js";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";
import type { Strategy } from "./config.js";
import { nextRoundRobin, ringOrder, type Candidate } from "./strategy.js";

type Source = "dialplan" | "cli" | "config" | "actor" | "test" | "ami";

export type ConfigureQueueInput = {
  readonly source: Source; readonly type: "configure"; readonly name: string; readonly strategy: Strategy;
  readonly servicelevel: number; readonly maxlen: number; readonly weight: number;
  /** Set on the first configure after Recall starts (µs of the start): queue_log's QUEUESTART. */
  readonly start?: number;
};

/** Where a caller left from, for the queue_log lines that need it. */
type Leaving = { readonly uniqueid: string; readonly position: number; readonly origposition: number; readonly waittime: number };

export type QueueInput =
  | ConfigureQueueInput
  | { readonly source: Source; readonly type: "join"; readonly uniqueid: string; readonly channel: string; readonly callerIdNum: string; readonly callerIdName: string; readonly url: string; readonly position?: number }
  /** linpos: the caller's linear position (absent for the other strategies). */
  | { readonly source: Source; readonly type: "select"; readonly uniqueid: string; readonly candidates: readonly Candidate[]; readonly linpos?: number }
  | { readonly source: Source; readonly type: "ringnoanswer" | "ringcanceled"; readonly uniqueid: string; readonly interface: string; readonly agent: string; readonly ms: number; readonly index?: number; readonly count?: number }
  | { readonly source: Source; readonly type: "connect"; readonly uniqueid: string; readonly interface: string; readonly agent: string; readonly peerUniqueid: string; readonly holdtime: number; readonly ringtime: number; readonly index?: number; readonly count?: number }
  | { readonly source: Source; readonly type: "complete"; readonly uniqueid: string; readonly interface: string; readonly agent: string; readonly by: "caller" | "agent"; readonly holdtime: number; readonly talktime: number; readonly position: number }
  /** A transfer took the connected call elsewhere: counted as completed (queue_log BLINDTRANSFER / ATTENDEDTRANSFER). */
  | ({ readonly source: Source; readonly type: "transfer"; readonly uniqueid: string; readonly interface: string; readonly agent: string; readonly holdtime: number; readonly talktime: number; readonly position: number }
    & ({ readonly kind: "blind"; readonly exten: string; readonly context: string } | { readonly kind: "attended"; readonly bridge: string }))
  /** The member who answered hung up before the bridge (queue_log AGENTDUMP); the caller waits on. */
  | { readonly source: Source; readonly type: "agentdump"; readonly uniqueid: string; readonly interface: string; readonly agent: string }
  | ({ readonly source: Source; readonly type: "abandon" } & Leaving)
  | ({ readonly source: Source; readonly type: "exit"; readonly reason: "timeout" | "empty" | "key" | "full" | "joinempty" | "joinunavail" | "leaveunavail" | "withdraw"; readonly key?: string } & Leaving)
  | { readonly source: Source; readonly type: "log"; readonly uniqueid: string; readonly agent: string; readonly event: string; readonly data: readonly string[] }
  | { readonly source: Source; readonly type: "reset" };

type QueueEvent = MachineEvent<QueueInput>;

const without = (callers: readonly QueueCaller[], uniqueid: string) => callers.filter((c) => c.uniqueid !== uniqueid);

/** Context changes of each input. The ring order lives only in the select's own event (the log stays small). */
function update(c: QueueContext, e: QueueEvent): Partial<QueueContext> {
  const changes = changesOf(c, e);
  return e.type !== "select" && c.selection.length ? { ...changes, selection: [] } : changes;
}

function changesOf(c: QueueContext, e: QueueEvent): Partial<QueueContext> {
  switch (e.type) {
    case "configure": return { strategy: e.strategy, servicelevel: e.servicelevel, maxlen: e.maxlen, weight: e.weight };
    case "join": {
      const caller: QueueCaller = { uniqueid: e.uniqueid, channel: e.channel, callerIdNum: e.callerIdNum, callerIdName: e.callerIdName, enteredAt: e.env.now, position: 0 };
      const callers = [...c.callers];
      const at = e.position !== undefined && e.position > 0 && e.position <= callers.length ? e.position - 1 : callers.length;
      callers.splice(at, 0, { ...caller, position: at + 1 });
      return { callers };
    }
    case "select": {
      const random = (n: number) => (n <= 1 ? 0 : e.env.random32() % n);
      return { selection: ringOrder(c.strategy as Strategy, e.candidates, { rrpos: c.rrpos, linpos: e.linpos ?? 0, now: e.env.now, random }) };
    }
    case "ringnoanswer": case "ringcanceled":
      return e.index !== undefined && e.count !== undefined && e.type === "ringnoanswer" ? { rrpos: nextRoundRobin(e.index, e.count) } : {};
    case "connect": return {
      callers: without(c.callers, e.uniqueid), connected: c.connected + 1, holdtimeTotal: c.holdtimeTotal + e.holdtime,
      ...(e.index !== undefined && e.count !== undefined ? { rrpos: nextRoundRobin(e.index, e.count) } : {}),
    };
    case "complete": case "transfer": return {
      completed: c.completed + 1, talktimeTotal: c.talktimeTotal + e.talktime,
      completedInSl: c.completedInSl + (c.servicelevel > 0 && e.holdtime <= c.servicelevel ? 1 : 0),
    };
    case "abandon": return { callers: without(c.callers, e.uniqueid), abandoned: c.abandoned + 1 };
    case "exit": return { callers: without(c.callers, e.uniqueid) };
    case "reset": return { completed: 0, abandoned: 0, completedInSl: 0, holdtimeTotal: 0, talktimeTotal: 0, connected: 0 };
    default: return {};
  }
}

const INPUTS = ["configure", "join", "select", "ringnoanswer", "ringcanceled", "connect", "complete", "transfer", "agentdump", "abandon", "exit", "log", "reset"] as const;

export const queueMachine = setup({
  types: {} as { context: QueueContext; events: QueueEvent; input: SpawnInput<ConfigureQueueInput> },
  actions: {
    update: assign(({ context, event }) => update(context, event)),
  },
}).createMachine({
  id: "queue",
  context: ({ input }) => ({
    name: input.spawn.name ?? "", strategy: input.spawn.strategy ?? "ringall", servicelevel: input.spawn.servicelevel ?? 0,
    maxlen: input.spawn.maxlen ?? 0, weight: input.spawn.weight ?? 0, callers: [], rrpos: 0, selection: [],
    completed: 0, abandoned: 0, completedInSl: 0, holdtimeTotal: 0, talktimeTotal: 0, connected: 0,
  }),
  initial: "active",
  states: {
    active: { on: Object.fromEntries(INPUTS.map((t) => [t, { actions: "update" }])) },
  },
});

export const queueKind: ActorKindDef = { kind: "queue", eventType: "queue.transition", eventVersion: 1, machine: queueMachine };

export const queueId = (name: string) => `queue:${name}`;
