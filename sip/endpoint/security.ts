/**
 * Failed authentication and unknown-endpoint requests: one log line each in the exact
 * form Asterisk writes (so fail2ban's stock asterisk filter matches), and a throttle
 * that stops answering a source after too many failures in a short time.
 */
import type { Logger } from "../../core/logger.js";
import type { SipRequest } from "../message/index.js";

export type SecurityFailure = "Failed to authenticate" | "No matching endpoint found" | "Not match Endpoint ACL" | "Not match Endpoint Contact ACL";

export interface ThrottleOptions {
  /** Failures from one address within `windowSeconds` that trigger a block. */
  readonly maxFailures: number;
  readonly windowSeconds: number;
  readonly blockSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 10, windowSeconds: 60, blockSeconds: 300 };

interface SourceRecord { failures: number[]; blockedUntil: number }

export class AuthSecurity {
  private readonly sources = new Map<string, SourceRecord>();

  constructor(private readonly logger: Logger, private readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** Whether requests from `ip` are being ignored (microseconds clock). */
  blocked(ip: string, now: number): boolean {
    const r = this.sources.get(ip);
    return r !== undefined && r.blockedUntil > now;
  }

  failed(req: SipRequest, ip: string, port: number, why: SecurityFailure, now: number): void {
    let from = "";
    try { from = req.get("From") ?? ""; } catch { /* malformed From: log it empty */ }
    let callId = "";
    try { callId = req.callId; } catch { /* likewise */ }
    this.logger.log("NOTICE", "res_pjsip/pjsip_distributor.c", `Request '${req.method}' from '${from}' failed for '${ip}:${port}' (callid: ${callId}) - ${why}`);
    const r = this.sources.get(ip) ?? { failures: [], blockedUntil: 0 };
    const windowStart = now - this.options.windowSeconds * 1e6;
    r.failures = r.failures.filter((t) => t > windowStart);
    r.failures.push(now);
    if (r.failures.length >= this.options.maxFailures && r.blockedUntil <= now) {
      r.blockedUntil = now + this.options.blockSeconds * 1e6;
      r.failures = [];
      this.logger.log("WARNING", "res_pjsip/pjsip_distributor.c", `Too many failed requests from '${ip}' (${this.options.maxFailures} in ${this.options.windowSeconds} s): ignoring it for ${this.options.blockSeconds} s`);
    }
    this.sources.set(ip, r);
    if (this.sources.size > 100_000) this.prune(now);
  }

  private prune(now: number): void {
    for (const [ip, r] of this.sources) if (r.blockedUntil <= now && !r.failures.some((t) => t > now - this.options.windowSeconds * 1e6)) this.sources.delete(ip);
  }
}
