/**
 * Load shedding for new calls (recall.conf `[calls]`). Contract: when Recall cannot keep
 * up, a new INVITE is answered `503 Service Unavailable` with `Retry-After` before any
 * channel exists (nothing is logged for it, nothing to clean up), so the backlog stays
 * bounded and the calls already in progress keep their latency; as soon as the load
 * drops, calls are accepted again (the next window). Two signals, either one sheds:
 *
 *   [calls]
 *   max_setup_calls = 1000     ; inbound calls not yet answered (ringing included) at most
 *   overload_delay_ms = 50     ; while Recall's event loop typically (median) lagged more
 *                              ; than this over the last second, at most 10 calls are set
 *                              ; up at once (0: off)
 *   overload_retry_after = 2   ; seconds, in the 503's Retry-After
 *
 * The count is exact and deterministic (a simulation sees it too); the event-loop lag is
 * measured by whoever starts Recall (`recall start`, perf_hooks) and handed in as `lag`.
 * One NOTICE when shedding starts, one a window while it lasts (how many were refused),
 * one when a window passed without a refusal: a flood never floods the log, nor does a
 * load that hovers at the bound (admitted and refused in turn).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { ConfError, parseConfFile } from "../../conf/tokenizer.js";

export interface AdmissionLimits {
  readonly maxSetupCalls: number;
  /** 0: the event-loop lag is not looked at. */
  readonly overloadDelayMs: number;
  readonly retryAfterSeconds: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = { maxSetupCalls: 1000, overloadDelayMs: 50, retryAfterSeconds: 2 };

/**
 * The lag sheds only while at least this many calls are being set up: a Recall starved of
 * CPU by other processes lags with no calls at all, and refusing its few would relieve
 * nothing; an overloaded one has many set-ups waiting (calls/s x set-up time).
 */
const LAG_MIN_SETUPS = 10;

/** One window of the lag signal and of the log's summary lines. */
const WINDOW_US = 1_000_000;

export interface AdmissionDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: AdmissionLimits;
  /** The event loop's typical lag in ms since the last call (absent: only the count sheds). */
  readonly lag?: () => number;
}

export class CallAdmission {
  /** Inbound calls admitted and neither answered nor ended. */
  private setups = 0;
  private windowStart: number;
  private lagging = false;
  private lastLag = 0;
  /** Refused in the current window, and since the overload began. */
  private refusedWindow = 0;
  private refusedTotal = 0;
  /** From the first refusal to the first window without one: what the log reports on. */
  private overload = false;

  constructor(private readonly deps: AdmissionDeps) {
    this.windowStart = deps.clock.now();
  }

  get pending(): number { return this.setups; }

  /**
   * Whether a new call may be set up now. When it may not, the caller answers 503 with
   * `retryAfter` and creates nothing.
   */
  admit(): boolean {
    this.roll();
    const { maxSetupCalls, overloadDelayMs } = this.deps.limits;
    const full = this.setups >= maxSetupCalls;
    const saturated = overloadDelayMs > 0 && this.lagging && this.setups >= LAG_MIN_SETUPS;
    if (!full && !saturated) return true;
    if (!this.overload) {
      this.overload = true;
      this.deps.logger.log("NOTICE", "res_pjsip_session.c", `Overload: refusing new calls with 503 (${this.reason()})`);
    }
    this.refusedWindow++;
    this.refusedTotal++;
    return false;
  }

  get retryAfter(): string { return String(this.deps.limits.retryAfterSeconds); }

  /** A call was admitted; `done` (call it once: answered or ended) frees its place. */
  started(): () => void {
    this.setups++;
    let open = true;
    return () => { if (open) { open = false; this.setups--; } };
  }

  /**
   * A new window: read the lag; during an overload say how many were refused in the last
   * window, or that it is over when none was (admissions flip call by call at the bound,
   * the log does not).
   */
  private roll(): void {
    const now = this.deps.clock.now();
    if (now - this.windowStart < WINDOW_US) return;
    this.windowStart = now;
    if (this.deps.lag) {
      this.lastLag = this.deps.lag();
      this.lagging = this.lastLag > this.deps.limits.overloadDelayMs;
    }
    if (this.overload && this.refusedWindow > 0) {
      this.deps.logger.log("NOTICE", "res_pjsip_session.c", `Overload: refused ${this.refusedWindow} new calls in the last second (${this.reason()})`);
    } else if (this.overload) {
      this.overload = false;
      this.deps.logger.log("NOTICE", "res_pjsip_session.c", `Overload over: accepting new calls again (${this.refusedTotal} refused with 503; ${this.reason()})`);
      this.refusedTotal = 0;
    }
    this.refusedWindow = 0;
  }

  private reason(): string {
    const { maxSetupCalls, overloadDelayMs } = this.deps.limits;
    const lag = this.deps.lag && overloadDelayMs > 0 ? `, event loop lag ${this.lastLag.toFixed(0)} ms of ${overloadDelayMs} allowed` : "";
    return `${this.setups} calls being set up of ${maxSetupCalls} allowed${lag}`;
  }
}

/** recall.conf `[calls]`; a bad value is an error naming file and line, and its default stands. */
export function loadAdmissionLimits(configDir: string): { limits: AdmissionLimits; errors: ConfError[] } {
  const path = join(configDir, "recall.conf");
  const errors: ConfError[] = [];
  if (!existsSync(path)) return { limits: DEFAULT_ADMISSION, errors };
  let { maxSetupCalls, overloadDelayMs, retryAfterSeconds } = DEFAULT_ADMISSION;
  for (const section of parseConfFile(path).sections) {
    if (section.name !== "calls") continue;
    for (const e of section.entries) {
      const n = Number(e.value);
      const min = e.key === "overload_delay_ms" ? 0 : 1;
      if (!Number.isInteger(n) || n < min) { errors.push(new ConfError(e.file, e.line, `[calls] ${e.key}: a whole number, at least ${min}`)); continue; }
      switch (e.key) {
        case "max_setup_calls": maxSetupCalls = n; break;
        case "overload_delay_ms": overloadDelayMs = n; break;
        case "overload_retry_after": retryAfterSeconds = n; break;
        default: errors.push(new ConfError(e.file, e.line, `[calls] ${e.key}: unknown option`));
      }
    }
  }
  return { limits: { maxSetupCalls, overloadDelayMs, retryAfterSeconds }, errors };
}
