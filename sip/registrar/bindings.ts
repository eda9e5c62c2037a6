/**
 * What a REGISTER does to the bindings of one AOR (RFC 3261 §10.3 steps 6-8, with
 * PJSIP's AOR options): a pure decision, carried out by the registrar through the
 * contact actors. Either the request is rejected with a status, or it yields the
 * contacts to add, refresh and remove.
 */
import { parseUri, uriEquals } from "../message/index.js";

export interface AorPolicy {
  readonly name: string;
  readonly maxContacts: number;
  readonly removeExisting: boolean;
  readonly minimumExpiration: number;
  readonly maximumExpiration: number;
  readonly defaultExpiration: number;
}

/** A live binding of the AOR. */
export interface Binding {
  readonly id: string;
  readonly uri: string;
  readonly callId: string;
  readonly cseq: number;
  /** Microseconds. */
  readonly expiresAt: number;
  readonly registeredAt: number;
}

/** One Contact of the REGISTER, with its `expires` parameter if it had one. */
export interface RequestedContact { readonly uri: string; readonly expires?: number }

export interface RegisterRequest {
  /** `"*"` for `Contact: *`; an empty list is a query. */
  readonly contacts: readonly RequestedContact[] | "*";
  /** The Expires header, if present. */
  readonly expires?: number;
  readonly callId: string;
  readonly cseq: number;
}

export type BindingChange =
  | { readonly op: "add"; readonly uri: string; readonly expires: number }
  | { readonly op: "refresh"; readonly id: string; readonly uri: string; readonly expires: number }
  | { readonly op: "remove"; readonly id: string; readonly uri: string; readonly reason: "unregistered" | "replaced" };

export type BindingDecision =
  | { readonly ok: true; readonly changes: readonly BindingChange[] }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly minExpires?: number; readonly exceedsMaxContacts?: boolean };

/** Contact URIs are the same binding when they are equal URIs (RFC 3261 §10.3 step 6, §19.1.4). */
export function sameContact(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return uriEquals(parseUri(a.trim()), parseUri(b.trim()));
  } catch {
    return a.trim() === b.trim();
  }
}

export function decideBindings(policy: AorPolicy, existing: readonly Binding[], req: RegisterRequest, now: number): BindingDecision {
  if (req.contacts === "*") {
    if (req.expires !== 0) return { ok: false, status: 400, reason: "Bad Request" };
    const changes: BindingChange[] = [];
    for (const b of existing) {
      if (b.callId === req.callId && req.cseq <= b.cseq) continue;
      changes.push({ op: "remove", id: b.id, uri: b.uri, reason: "unregistered" });
    }
    return { ok: true, changes };
  }
  if (req.contacts.length === 0) return { ok: true, changes: [] };
  if (policy.maxContacts === 0) return { ok: false, status: 403, reason: "Forbidden" };

  const changes: BindingChange[] = [];
  const remaining = new Map(existing.map((b) => [b.id, b]));
  let added = 0;
  for (const c of req.contacts) {
    let expires = c.expires ?? req.expires ?? policy.defaultExpiration;
    if (expires !== 0 && expires < policy.minimumExpiration) {
      return { ok: false, status: 423, reason: "Interval Too Brief", minExpires: policy.minimumExpiration };
    }
    if (expires > policy.maximumExpiration) expires = policy.maximumExpiration;
    const current = existing.find((b) => sameContact(b.uri, c.uri));
    if (current) {
      if (current.callId === req.callId && req.cseq <= current.cseq) {
        return { ok: false, status: 500, reason: "Server Internal Error" };
      }
      if (expires === 0) {
        changes.push({ op: "remove", id: current.id, uri: current.uri, reason: "unregistered" });
        remaining.delete(current.id);
      } else {
        changes.push({ op: "refresh", id: current.id, uri: current.uri, expires });
      }
    } else if (expires !== 0 && !changes.some((x) => x.op === "add" && sameContact(x.uri, c.uri))) {
      changes.push({ op: "add", uri: c.uri, expires });
      added++;
    }
  }

  const excess = remaining.size + added - policy.maxContacts;
  if (excess > 0) {
    if (!policy.removeExisting) return { ok: false, status: 403, reason: "Forbidden", exceedsMaxContacts: true };
    // Make room by dropping the bindings closest to expiring, oldest first on a tie;
    // a binding this very REGISTER refreshes stays.
    const refreshed = new Set(changes.filter((x) => x.op === "refresh").map((x) => (x as { id: string }).id));
    const candidates = [...remaining.values()]
      .filter((b) => !refreshed.has(b.id))
      .sort((a, b) => a.expiresAt - b.expiresAt || a.registeredAt - b.registeredAt);
    if (candidates.length < excess) return { ok: false, status: 403, reason: "Forbidden", exceedsMaxContacts: true };
    for (const b of candidates.slice(0, excess)) changes.push({ op: "remove", id: b.id, uri: b.uri, reason: "replaced" });
  }
  void now;
  return { ok: true, changes };
}
