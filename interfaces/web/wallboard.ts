/**
 * The live queue wallboard's state, fed from the log: the runtime's observers hear
 * every durable transition of the queue and queue-member actors (and the device
 * states, for a member's phone ringing), so what the board shows is what the log
 * says. Contract: a change reaches every listener in the same turn of the event loop
 * as the transition is observed (coalesced per turn, no timer), so the board lags
 * the log by the page's network time only; at most MAX_LISTENERS listeners. At local
 * midnight and at each interval's start every listener hears a change too, so an open
 * board rolls over to the new day with no call moving.
 *
 * Per queue: callers waiting and since when, members (idle, ringing, in call,
 * wrap-up, paused with reason, unavailable), and today's figures: calls offered,
 * answered and abandoned, service level and average hold since local midnight, and
 * per-interval counts for the last INTERVALS intervals of INTERVAL_MS. Today's figures
 * do not follow `queue reset stats` (the queue's own counters, which `queue show`
 * prints, do): a wallboard's day is the calendar's. What happened before this process
 * started comes from queue_log (seed(), queue-history.ts); from then on the board
 * counts what grows in the queue actors' counters, so nothing is counted twice.
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

/** A queue's calls since local midnight. */
export interface Today { offered: number; answered: number; abandoned: number; answeredInSl: number; holdtimeTotal: number }

/** What queue_log says happened before this process started (queue-history.ts). */
export interface History {
  /** Local midnight (ms) the totals start from. */
  readonly day: number;
  readonly today: ReadonlyMap<string, Today>;
  readonly intervals: readonly Interval[];
}

const noCalls = (): Today => ({ offered: 0, answered: 0, abandoned: 0, answeredInSl: 0, holdtimeTotal: 0 });

/** Local midnight at or before `ms` (the server's time zone, as Asterisk's reports use). */
export function midnightOf(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** The next local midnight after `ms` (a day of 23 or 25 hours where the clocks change). */
export function nextMidnight(ms: number): number {
  const d = new Date(ms);
  d.setHours(24, 0, 0, 0);
  return d.getTime();
}

/** Runs `fn` once after `ms` (setTimeout, not holding the process open; tests drive their own). */
export type Timer = (ms: number, fn: () => void) => void;
const realTimer: Timer = (ms, fn) => { setTimeout(fn, ms).unref(); };

interface MemberContext {
  readonly queue: string; readonly interface: string; readonly name: string; readonly stateInterface: string; readonly penalty: number;
  readonly paused: boolean; readonly reason: string; readonly lastPause: number; readonly callsTaken: number; readonly lastCall: number;
  readonly addedAt: number; readonly call: string;
}

export class Wallboard {
  readonly #queues = new Map<string, QueueView>();
  readonly #members = new Map<string, { value: string; context: MemberContext; since: number }>();
  readonly #intervals: Interval[] = [];
  #day = 0;
  #today = new Map<string, Today>();
  /** Whether queue_log's history is in (else today's figures count since this process started). */
  seeded = false;
  readonly #listeners = new Set<() => void>();
  #pending = false;
  version = 0;

  constructor(actors: QueueActors, private readonly devices: Devices | undefined, private readonly nowMs: () => number, private readonly timer: Timer = realTimer) {
    for (const id of actors.ids("queue")) { const s = actors.state(id); if (s) this.#queue(id, s, false); }
    for (const id of actors.ids("queue-member")) { const s = actors.state(id); if (s) this.#member(id, s); }
    actors.observe("queue", (id, state) => { this.#queue(id, state, true); this.#changed(); });
    actors.observe("queue-member", (id, state) => { this.#member(id, state); this.#changed(); });
    devices?.onChange((device) => {
      for (const m of this.#members.values()) if (m.context.stateInterface === device || m.context.interface === device) { this.#changed(); return; }
    });
    this.#atNextBoundary();
  }

  /**
   * At local midnight (and at each interval's start) the open boards are sent again even
   * if no call moves: the day's figures start afresh and the chart gains its new bar.
   */
  #atNextBoundary(): void {
    const now = this.nowMs();
    const next = Math.min(nextMidnight(now), (Math.floor(now / INTERVAL_MS) + 1) * INTERVAL_MS);
    this.timer(next - now + 5, () => { this.#changed(); this.#atNextBoundary(); });
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

  /** The queue's calls today, started afresh at each local midnight. */
  #todayOf(queue: string): Today {
    const day = midnightOf(this.nowMs());
    if (day !== this.#day) { this.#day = day; this.#today = new Map(); }
    let t = this.#today.get(queue);
    if (!t) this.#today.set(queue, (t = noCalls()));
    return t;
  }

  #queue(id: string, state: ActorState, counted: boolean): void {
    const c = state.context as QueueView;
    const before = this.#queues.get(id);
    if (state.done) { this.#queues.delete(id); return; }
    this.#queues.set(id, c);
    if (!counted || !before) return;
    // The counters only grow between resets: what grew is what happened now.
    const bucket = this.#interval();
    const today = this.#todayOf(c.name);
    const joined = c.callers.filter((x) => !before.callers.some((b) => b.uniqueid === x.uniqueid)).length;
    bucket.offered += joined;
    today.offered += joined;
    const answered = c.connected - before.connected;
    if (answered > 0) {
      bucket.answered += answered;
      today.answered += answered;
      const hold = Math.max(0, c.holdtimeTotal - before.holdtimeTotal);
      today.holdtimeTotal += hold;
      // One connect per transition: its hold time is what the total grew by.
      if (answered === 1 && c.servicelevel > 0 && hold <= c.servicelevel) today.answeredInSl++;
    }
    const abandoned = c.abandoned - before.abandoned;
    if (abandoned > 0) { bucket.abandoned += abandoned; today.abandoned += abandoned; }
  }

  /** Add what queue_log recorded before this process started (its counts end where the board's begin). */
  seed(history: History): void {
    if (history.day === midnightOf(this.nowMs())) {
      for (const [queue, h] of history.today) {
        const t = this.#todayOf(queue);
        for (const k of Object.keys(h) as (keyof Today)[]) t[k] += h[k];
      }
    }
    for (const h of history.intervals) {
      const mine = this.#intervals.find((i) => i.start === h.start);
      if (mine) { mine.offered += h.offered; mine.answered += h.answered; mine.abandoned += h.abandoned; }
      else this.#intervals.push({ ...h });
    }
    this.#intervals.sort((a, b) => a.start - b.start);
    const oldest = Math.floor(this.nowMs() / INTERVAL_MS) * INTERVAL_MS - (INTERVALS - 1) * INTERVAL_MS;
    while (this.#intervals.length && (this.#intervals[0].start < oldest || this.#intervals.length > INTERVALS)) this.#intervals.shift();
    this.seeded = true;
    this.#changed();
  }

  /** A queue's calls since local midnight. */
  today(queue: string): Today {
    return { ...this.#todayOf(queue) };
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
