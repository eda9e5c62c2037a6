/**
 * SIP's case and equality rules (RFC 3261 §7.3.1, §19.1.4), in one place. Every part
 * of Recall that reads a URI parameter with a fixed vocabulary, compares two hosts or
 * asks whether two URIs are the same goes through here, so that `;transport=UDP`,
 * `;Transport=udp` and `;transport=udp` mean one thing everywhere.
 *
 * Parsing already lower-cases what is always case-insensitive and cheap to fold once:
 * URI schemes, header names (short forms expanded) and parameter names. Values are
 * kept as written, so a URI we echo back is the URI we were given; the accessors
 * below fold the values whose case does not matter.
 */
import type { SipUri } from "./uri.js";

/** URI parameters whose values compare case-insensitively (RFC 3261 §19.1.4). */
const CASELESS_VALUES: ReadonlySet<string> = new Set(["transport", "user", "method", "ttl", "maddr", "lr"]);

/**
 * A URI parameter's value by (case-insensitive) name: `undefined` when absent, `null`
 * for a flag. Values of transport, user, ttl, maddr and lr come in lower case, method
 * in upper case (its canonical form); others as written.
 */
export function uriParam(uri: SipUri, name: string): string | null | undefined {
  const key = name.toLowerCase();
  const value = uri.params.get(key);
  if (value === undefined || value === null || !CASELESS_VALUES.has(key)) return value;
  return key === "method" ? value.toUpperCase() : value.toLowerCase();
}

/** The `transport` parameter of a URI in lower case (`udp`, `tcp`, `tls`, `ws`, `wss`...), if any. */
export function uriTransport(uri: SipUri): string | undefined {
  return uriParam(uri, "transport") ?? undefined;
}

/** Host names and addresses compare case-insensitively (an IPv6 address in any case of its hex digits). */
export function sameHost(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

/** %-escapes of unreserved characters are the characters themselves (RFC 3261 §19.1.4). */
function unescape(s: string): string {
  if (s.indexOf("%") === -1) return s;
  try { return decodeURIComponent(s); } catch { return s; }
}

/**
 * URI equality by RFC 3261 §19.1.4: sip and sips differ; the user part (and password)
 * compares case-sensitively after unescaping, everything else case-insensitively; a
 * port written differs from a port left out; `user`, `ttl`, `method`, `maddr` and
 * `transport` must match when either side has one, other parameters only when both
 * have them; URI headers must be the same on both sides.
 */
export function uriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (unescape(a.user ?? "") !== unescape(b.user ?? "") || (a.user === undefined) !== (b.user === undefined)) return false;
  if (unescape(a.password ?? "") !== unescape(b.password ?? "")) return false;
  if (!sameHost(a.host, b.host) || a.port !== b.port) return false;
  for (const name of ["user", "ttl", "method", "maddr", "transport"]) {
    if (uriParam(a, name) !== uriParam(b, name)) return false;
  }
  for (const [name, value] of a.params) {
    if (!b.params.has(name)) continue;
    const other = b.params.get(name);
    if (value === null || other === null ? value !== other : unescape(value).toLowerCase() !== unescape(other!).toLowerCase()) return false;
  }
  if (a.headers.size !== b.headers.size) return false;
  for (const [name, value] of a.headers) {
    const other = [...b.headers].find(([n]) => n.toLowerCase() === name.toLowerCase());
    if (!other || unescape(other[1]).toLowerCase() !== unescape(value).toLowerCase()) return false;
  }
  return true;
}
