/**
 * Time as a service. Actors and the dialplan never read the system clock: they get
 * time from a Clock injected by the runtime, real in production and virtual in
 * tests, simulations and replay, so that the same inputs give the same transitions.
 * Times are integer microseconds since the Unix epoch (CEL needs microseconds).
 */
import { Context } from "effect";

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
    // setTimeout caps at 2^31-1 ms; longer waits re-arm.
    let handle: NodeJS.Timeout;
    const arm = (ms: number) => {
      handle = setTimeout(() => {
        const left = (at - this.now()) / 1000;
        if (left > 1) arm(left); else fn();
      }, Math.min(ms, 2 ** 31 - 1));
      handle.unref?.();
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(handle) };
  }
}

/** A clock that moves only when told to: for tests, simulations and replay. */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000_000) { this.current = start; }

  now(): number { return this.current; }

  set(time: number): void { this.current = time; }

  schedule(at: number, fn: () => void): Timer {
    const id = this.seq++;
    this.pending.set(id, { at, fn });
    return { cancel: () => { this.pending.delete(id); } };
  }

  /** Advance to `to`, firing due timers in time order (ties in scheduling order). */
  advance(byMicros: number): void { this.advanceTo(this.current + byMicros); }

  advanceTo(to: number): void {
    for (;;) {
      let nextId = -1, next: { at: number; fn: () => void } | undefined;
      for (const [id, t] of this.pending) if (t.at <= to && (!next || t.at < next.at)) { next = t; nextId = id; }
      if (!next) break;
      this.pending.delete(nextId);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = Math.max(this.current, to);
  }

  get pendingTimers(): number { return this.pending.size; }
}
