/**
 * RFC 3261 timer values (§17, Table 4). T1, T2 and T4 are configurable as pjsip.conf
 * `[system]` does (`timer_t1`, `timer_b`); the rest derive from them.
 */
export interface TimerSettings {
  /** RTT estimate, ms (500). */
  readonly t1: number;
  /** Longest retransmit interval for non-INVITE requests and INVITE responses, ms (4000). */
  readonly t2: number;
  /** Longest time a message stays in the network, ms (5000). */
  readonly t4: number;
  /** Transaction timeout, Timers B, F, H, J, L, M, ms (64*T1). */
  readonly timeout?: number;
}

export const DEFAULT_TIMERS: TimerSettings = Object.freeze({ t1: 500, t2: 4_000, t4: 5_000 });

/** The timers in microseconds, the unit of Clock. */
export interface TimerValues {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
  /** B, F, H, J, L, M (and the wait for a final response after CANCEL, RFC 3261 §9.1). */
  readonly timeout: number;
  /** D: how long a client INVITE transaction absorbs retransmitted final responses (at least 32 s). */
  readonly d: number;
}

export function timerValues(settings: Partial<TimerSettings> = {}): TimerValues {
  const s = { ...DEFAULT_TIMERS, ...settings };
  for (const [name, value] of Object.entries(s)) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new RangeError(`timer ${name} must be a positive number of ms, got ${value}`);
  }
  const ms = 1_000;
  const timeout = (s.timeout ?? 64 * s.t1) * ms;
  return { t1: s.t1 * ms, t2: s.t2 * ms, t4: s.t4 * ms, timeout, d: Math.max(32_000 * ms, timeout) };
}
