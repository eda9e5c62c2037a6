/**
 * Session timers (RFC 4028) on an answered inbound call, as chan_pjsip keeps them with
 * the endpoint's `timers`, `timers_min_se` and `timers_sess_expires`:
 * - the terms are settled when the INVITE is answered: the interval the caller asked
 *   for (a Session-Expires below Min-SE was already refused 422), or ours when it only
 *   says `Supported: timer`; the refresher it named, else the caller when it supports
 *   timers, else us;
 * - when the caller refreshes, every re-INVITE or UPDATE it sends restarts the timer; if
 *   none comes before the interval is nearly over (interval − min(32 s, interval/3),
 *   §10), Recall sends BYE and the call ends with cause 18 (no user response: pjsip
 *   ends it with 408, which Asterisk maps to 18);
 * - when Recall refreshes, it re-INVITEs the caller with the SDP it last sent at half
 *   the interval; a refresh that fails (408, 481, no answer, transport error) ends the
 *   call the same way.
 * Timers run on the injected clock; the hang-up they cause is a logged channel input.
 */
import type { Clock, Timer } from "../../core/clock.js";
import type { SipRequest } from "../message/index.js";
import type { Endpoint } from "../config/model.js";

export interface SessionTimerTerms {
  /** Seconds. */
  readonly interval: number;
  readonly refresher: "uac" | "uas";
  /** Whether the caller supports timers (then our 200 says `Require: timer`). */
  readonly callerSupports: boolean;
}

/** The terms for an INVITE from an endpoint, or undefined when no session timer runs. */
export function sessionTimerTerms(req: SipRequest, endpoint: Endpoint): SessionTimerTerms | undefined {
  if (endpoint.timers === "no") return undefined;
  const supports = req.getAll("Supported").some((v) => v.split(",").some((t) => t.trim().toLowerCase() === "timer"))
    || req.getAll("Require").some((v) => v.split(",").some((t) => t.trim().toLowerCase() === "timer"));
  const se = req.get("Session-Expires");
  if (se !== undefined) {
    const [value, ...params] = se.split(";");
    const interval = Number(value.trim());
    if (!Number.isInteger(interval) || interval <= 0) return undefined;
    const asked = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith("refresher="))?.slice(10).trim();
    const refresher = !supports ? "uas" : asked === "uas" ? "uas" : "uac";
    return { interval, refresher, callerSupports: supports };
  }
  if (supports) return { interval: endpoint.timers_sess_expires, refresher: "uac", callerSupports: true };
  if (endpoint.timers === "always") return { interval: endpoint.timers_sess_expires, refresher: "uas", callerSupports: false };
  return undefined;
}

/** The headers of a 2xx that agrees to these terms. */
export function sessionTimerHeaders(terms: SessionTimerTerms): [string, string][] {
  const out: [string, string][] = [["Session-Expires", `${terms.interval};refresher=${terms.refresher}`]];
  if (terms.callerSupports) out.push(["Require", "timer"]);
  return out;
}

export interface SessionTimerHost {
  readonly clock: Clock;
  /** Re-INVITE the caller with our last SDP; resolves with the final status (0: nothing sent). */
  refresh(): Promise<number>;
  /** End the call: BYE, cause 18. */
  expire(reason: string): void;
}

/** One call's session timer, from the answer until `stop()`. */
export class SessionTimer {
  private timer: Timer | undefined;
  private stopped = false;

  constructor(private readonly host: SessionTimerHost, readonly terms: SessionTimerTerms) {}

  start(): void { this.arm(); }

  /** The caller refreshed the session (a re-INVITE or UPDATE was answered 2xx). */
  refreshed(): void { if (this.terms.refresher === "uac") this.arm(); }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private arm(): void {
    this.timer?.cancel();
    if (this.stopped) return;
    const { interval, refresher } = this.terms;
    const seconds = refresher === "uas" ? interval / 2 : interval - Math.min(32, interval / 3);
    this.timer = this.host.clock.schedule(this.host.clock.now() + Math.round(seconds * 1e6), () => void this.fire());
  }

  private async fire(): Promise<void> {
    if (this.stopped) return;
    if (this.terms.refresher === "uac") {
      this.host.expire(`no session refresh within ${this.terms.interval} s`);
      return;
    }
    const status = await this.host.refresh();
    if (this.stopped) return;
    if (status >= 200 && status < 300) this.arm();
    else this.host.expire(`session refresh failed (${status || "not sent"})`);
  }
}
