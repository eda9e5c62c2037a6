/**
 * Time as a service. Actors and the dialplan never read the system clock: they get
 * time from a Clock injected by the runtime, real in production and virtual in
 * tests, simulations and replay, so that the same inputs give the same transitions.
 * Times are integer microseconds since the Unix epoch (CEL needs microseconds).
 */
import * as Context from "effect/Context";

export interface Timer { cancel(): void }

export interface Clock {
  /** Wall time, microseconds since the epoch. */
  now(): number;
  /** Run `fn` once when the clock reaches `at` (microseconds). */
  schedule(at: number, fn: () => void): Timer;
}

export class ClockService extends Context.Tag("recall/Clock")<ClockService, Clock>() {}

/** The system clock: wall time anchored once, advanced by the monotonic timer so it never steps back. */
export class SystemClock implements Clock {
  private readonly originWall = Date.now() * 1000;
  private readonly originMono = process.hrtime.bigint();

  now(): number {
    return this.originWall + Number((process.hrtime.bigint() - this.originMono) / 1000n);
  }

  schedule(at: number, fn: () => void): Timer {
    const delayMs = Math.max(0, (at - this.now()) / 1000);
    // setTimeout caps at 2^31-1 ms; longer waits re-arm. It may also fire early: it counts
    // from the loop's cached time, which lags while a turn runs long. A timer fires at or
    // after `at`, never before (an absolute timeout that fired early found itself not yet
    // expired, and the dialplan ran its priority again).
    let handle: NodeJS.Timeout;
    const arm = (ms: number) => {
      handle = setTimeout(() => {
        const left = (at - this.now()) / 1000;
        if (left > 0) arm(Math.ceil(left)); else fn();
      }, Math.min(ms, 2 ** 31 - 1));
      handle.unref?.();
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(handle) };
  }
}

const NOTHING = (): void => undefined;

/** A clock that moves only when told to: for tests, simulations and replay. */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  /** Pending timers as a binary min-heap on (at, scheduling order). */
  private heap: { at: number; id: number; fn: () => void }[] = [];
  /** Ids of timers neither fired nor cancelled. */
  private readonly live = new Set<number>();

  constructor(start = 1_700_000_000_000_000) { this.current = start; }

  now(): number { return this.current; }

  set(time: number): void { this.current = time; }

  schedule(at: number, fn: () => void): Timer {
    const id = this.seq++;
    const entry = { at, id, fn };
    this.push(entry);
    this.live.add(id);
    // A cancelled timer stays in the heap until its time: let go of what its function holds now.
    return { cancel: () => { this.live.delete(id); entry.fn = NOTHING; } };
  }

  /** Advance to `to`, firing due timers in time order (ties in scheduling order). */
  advance(byMicros: number): void { this.advanceTo(this.current + byMicros); }

  advanceTo(to: number): void {
    for (;;) {
      const next = this.heap[0];
      if (!next || next.at > to) break;
      this.pop();
      if (!this.live.delete(next.id)) continue;
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = Math.max(this.current, to);
  }

  get pendingTimers(): number { return this.live.size; }

  /** When the earliest live timer is due (cancelled ones are dropped on the way), or undefined. */
  nextAt(): number | undefined {
    while (this.heap.length && !this.live.has(this.heap[0].id)) this.pop();
    return this.heap[0]?.at;
  }

  private before(a: { at: number; id: number }, b: { at: number; id: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  private push(t: { at: number; id: number; fn: () => void }): void {
    const h = this.heap;
    h.push(t);
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (!h.length) return;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l], h[m])) m = l;
      if (r < h.length && this.before(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
