/**
 * The live queue wallboard's state, fed from the log: the runtime's observers hear
 * every durable transition of the queue and queue-member actors (and the device
 * states, for a member's phone ringing), so what the board shows is what the log
 * says. Contract: a change reaches every listener in the same turn of the event loop
 * as the transition is observed (coalesced per turn, no timer), so the board lags
 * the log by the page's network time only; at most MAX_LISTENERS listeners.
 *
 * Per queue: callers waiting and since when, members (idle, ringing, in call,
 * wrap-up, paused with reason, unavailable), service level, calls answered and
 * abandoned since Recall started or `queue reset stats` (the queue's own counters),
 * and per-interval counts (offered, answered, abandoned) for the last INTERVALS
 * intervals of INTERVAL_MS, counted from the transitions this process observed.
 */
export const INTERVAL_MS = 15 * 60_000;
export const INTERVALS = 24;
export const MAX_LISTENERS = 200;

interface ActorState { readonly value: unknown; readonly context: unknown; readonly done?: boolean }

/** What the wallboard needs of the actor runtime (actors/runtime.ts). */
export interface QueueActors {
  ids(kind: "queue" | "queue-member"): string[];
  state(id: string): ActorState | undefined;
  observe(kind: "queue" | "queue-member", observer: (id: string, state: ActorState, outputs: readonly unknown[]) => void): void;
}

/** Device states (calls/device-state.ts), for a member's phone ringing or unreachable. */
export interface Devices {
  state(device: string): string;
  onChange(listener: (device: string, state: string) => void): () => void;
}

export interface QueueView {
  readonly name: string;
  readonly strategy: string;
  readonly servicelevel: number;
  readonly callers: readonly { readonly uniqueid: string; readonly callerIdNum: string; readonly callerIdName: string; readonly enteredAt: number }[];
  readonly completed: number;
  readonly completedInSl: number;
  readonly connected: number;
  readonly abandoned: number;
  readonly holdtimeTotal: number;
}

export type MemberStatus = "idle" | "ringing" | "in call" | "wrap-up" | "paused" | "unavailable";

export interface MemberView {
  readonly queue: string;
  readonly interface: string;
  readonly name: string;
  readonly status: MemberStatus;
  readonly reason: string;
  readonly callsTaken: number;
  /** µs since the status began, where known. */
  readonly since: number;
  readonly penalty: number;
}

export interface Interval { readonly start: number; offered: number; answered: number; abandoned: number }

interface MemberContext {
  readonly queue: string; readonly interface: string; readonly name: string; readonly stateInterface: string; readonly penalty: number;
  readonly paused: boolean; readonly reason: string; readonly lastPause: number; readonly callsTaken: number; readonly lastCall: number;
  readonly addedAt: number; readonly call: string;
}

export class Wallboard {
  readonly #queues = new Map<string, QueueView>();
  readonly #members = new Map<string, { value: string; context: MemberContext; since: number }>();
  readonly #intervals: Interval[] = [];
  readonly #listeners = new Set<() => void>();
  #pending = false;
  version = 0;

  constructor(actors: QueueActors, private readonly devices: Devices | undefined, private readonly nowMs: () => number) {
    for (const id of actors.ids("queue")) { const s = actors.state(id); if (s) this.#queue(id, s, false); }
    for (const id of actors.ids("queue-member")) { const s = actors.state(id); if (s) this.#member(id, s); }
    actors.observe("queue", (id, state) => { this.#queue(id, state, true); this.#changed(); });
    actors.observe("queue-member", (id, state) => { this.#member(id, state); this.#changed(); });
    devices?.onChange((device) => {
      for (const m of this.#members.values()) if (m.context.stateInterface === device || m.context.interface === device) { this.#changed(); return; }
    });
  }

  #interval(): Interval {
    const start = Math.floor(this.nowMs() / INTERVAL_MS) * INTERVAL_MS;
    let last = this.#intervals.at(-1);
    if (!last || last.start !== start) {
      last = { start, offered: 0, answered: 0, abandoned: 0 };
      this.#intervals.push(last);
      while (this.#intervals.length > INTERVALS) this.#intervals.shift();
    }
    return last;
  }

  #queue(id: string, state: ActorState, counted: boolean): void {
    const c = state.context as QueueView;
    const before = this.#queues.get(id);
    if (state.done) { this.#queues.delete(id); return; }
    this.#queues.set(id, c);
    if (!counted || !before) return;
    // The counters only grow between resets: what grew is what happened now.
    const bucket = this.#interval();
    const joined = c.callers.filter((x) => !before.callers.some((b) => b.uniqueid === x.uniqueid)).length;
    bucket.offered += joined;
    if (c.connected > before.connected) bucket.answered += c.connected - before.connected;
    if (c.abandoned > before.abandoned) bucket.abandoned += c.abandoned - before.abandoned;
  }

  #member(id: string, state: ActorState): void {
    if (state.done || state.value === "removed") { this.#members.delete(id); return; }
    const before = this.#members.get(id);
    const value = String(state.value);
    const context = state.context as MemberContext;
    const changed = !before || before.value !== value || before.context.paused !== context.paused;
    this.#members.set(id, { value, context, since: changed ? this.nowMs() * 1000 : before.since });
  }

  #changed(): void {
    this.version++;
    if (this.#pending) return;
    this.#pending = true;
    queueMicrotask(() => {
      this.#pending = false;
      for (const l of this.#listeners) l();
    });
  }

  onChange(listener: () => void): (() => void) | undefined {
    if (this.#listeners.size >= MAX_LISTENERS) return undefined;
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  queues(): QueueView[] {
    return [...this.#queues.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  members(queue: string): MemberView[] {
    const out: MemberView[] = [];
    for (const { value, context: m, since } of this.#members.values()) {
      if (m.queue !== queue) continue;
      const device = this.devices?.state(m.stateInterface || m.interface);
      const status: MemberStatus = value === "incall" ? "in call" : value === "wrapup" ? "wrap-up" : m.paused ? "paused"
        : device === "RINGING" || device === "RINGINUSE" ? "ringing" : device === "UNAVAILABLE" || device === "INVALID" ? "unavailable" : "idle";
      out.push({ queue: m.queue, interface: m.interface, name: m.name || m.interface, status, reason: m.paused ? m.reason : "", callsTaken: m.callsTaken, since, penalty: m.penalty });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  intervals(): readonly Interval[] {
    this.#interval();
    return this.#intervals;
  }
}
