/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966): parse and write.
 * The user part keeps its %-escapes exactly as written; IPv6 hosts are stored
 * without their brackets and bracketed again on output.
 */
import { SipParseError } from "./errors.js";
import { NO_PARAMS, type Params, formatParams, parseDecimal } from "./text.js";

export interface SipUri {
  readonly scheme: "sip" | "sips" | "tel";
  /** User part as written (escapes kept); for tel: the number. */
  readonly user?: string;
  readonly password?: string;
  /** Host name or address, without brackets for IPv6; "" for tel URIs. */
  readonly host: string;
  readonly port?: number;
  /** URI parameters (`;transport=tcp;lr`), lowercase names. */
  readonly params: Params;
  /** URI headers (`?Replaces=...&Subject=...`), names as written. */
  readonly headers: ReadonlyMap<string, string>;
}

/** Shared by every URI without headers (nearly all): the type is read-only, so it is never changed. */
const NO_HEADERS: ReadonlyMap<string, string> = new Map();

const HOST = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) HOST[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) HOST[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) HOST[c] = 1;
HOST[0x2d] = HOST[0x2e] = HOST[0x5f] = 1; // - . _
const IPV6 = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) IPV6[c] = 1;
for (let c = 0x41; c <= 0x46; c++) IPV6[c] = 1;
for (let c = 0x61; c <= 0x66; c++) IPV6[c] = 1;
IPV6[0x3a] = IPV6[0x2e] = 1; // : .

function fail(reason: string, uri: string): never {
  throw new SipParseError("invalid-uri", `${reason} in URI '${uri.length > 80 ? uri.slice(0, 80) + "..." : uri}'`);
}

/** Characters never allowed unescaped in a user part, password, parameter or URI header. */
function hasForbidden(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x22 || c === 0x3c || c === 0x3e) return true;
  }
  return false;
}

/** Where parseHostPort puts its result (parsing is synchronous, so one scratch object serves every call). */
export const hostPort: { host: string; port: number | undefined } = { host: "", port: undefined };

/**
 * Parse a host (hostname, IPv4 or `[IPv6]`) and optional port at `pos` into `hostPort`;
 * returns the end position.
 */
export function parseHostPort(s: string, pos: number, end: number, uri: string): number {
  const out = hostPort;
  out.port = undefined;
  if (pos < end && s.charCodeAt(pos) === 0x5b) {
    const close = s.indexOf("]", pos);
    if (close === -1 || close >= end) fail("unclosed IPv6 reference", uri);
    for (let i = pos + 1; i < close; i++) if (IPV6[s.charCodeAt(i)] !== 1) fail("bad IPv6 address", uri);
    if (close === pos + 1) fail("empty IPv6 address", uri);
    out.host = s.slice(pos + 1, close);
    pos = close + 1;
  } else {
    const start = pos;
    while (pos < end && s.charCodeAt(pos) < 256 && HOST[s.charCodeAt(pos)] === 1) pos++;
    if (pos === start) fail("missing host", uri);
    out.host = s.slice(start, pos);
  }
  if (pos < end && s.charCodeAt(pos) === 0x3a) {
    const start = ++pos;
    while (pos < end && s.charCodeAt(pos) >= 0x30 && s.charCodeAt(pos) <= 0x39) pos++;
    const port = parseDecimal(s.slice(start, pos), 5);
    if (!(port <= 65535)) fail("bad port", uri);
    out.port = port;
  }
  return pos;
}

function parseUriParams(s: string, pos: number, end: number, uri: string): Params {
  if (pos >= end) return NO_PARAMS;
  const params = new Map<string, string | null>();
  while (pos < end && s.charCodeAt(pos) === 0x3b) {
    let next = s.indexOf(";", pos + 1);
    if (next === -1 || next > end) next = end;
    const eq = s.indexOf("=", pos + 1);
    const hasValue = eq !== -1 && eq < next;
    const name = s.slice(pos + 1, hasValue ? eq : next);
    if (name === "" || hasForbidden(name)) fail("bad parameter", uri);
    const value = hasValue ? s.slice(eq + 1, next) : null;
    if (value !== null && hasForbidden(value)) fail("bad parameter value", uri);
    params.set(name.toLowerCase(), value);
    pos = next;
  }
  return params;
}

/**
 * Parse a sip:, sips: or tel: URI. Throws SipParseError: `invalid-uri`, or
 * `unsupported-uri-scheme` for a well-formed URI of another scheme (mailto:, http:...).
 */
export function parseUri(s: string): SipUri {
  const colon = s.indexOf(":");
  if (colon <= 0) fail("missing scheme", s);
  const scheme = colon === 3 && s.startsWith("sip") ? "sip" : s.slice(0, colon).toLowerCase();
  const end = s.length;
  if (scheme === "tel") {
    let semi = s.indexOf(";", colon + 1);
    if (semi === -1) semi = end;
    const number = s.slice(colon + 1, semi);
    if (number === "" || hasForbidden(number) || number.indexOf("?") !== -1) fail("bad telephone number", s);
    const params = parseUriParams(s, semi, end, s);
    return { scheme: "tel", user: number, password: undefined, host: "", port: undefined, params, headers: NO_HEADERS };
  }
  if (scheme !== "sip" && scheme !== "sips") {
    if (/^[a-z][a-z0-9+.-]*$/.test(scheme) && !hasForbidden(s)) {
      throw new SipParseError("unsupported-uri-scheme", `unsupported URI scheme '${scheme.slice(0, 20)}'`);
    }
    fail("bad scheme", s);
  }

  const at = s.indexOf("@", colon + 1);
  const question = s.indexOf("?", colon + 1);
  if (at === -1 || question === -1 || at < question) return parseSipUri(s, scheme, colon, at);
  // A '?' before the '@': either URI headers holding an unescaped '@' (common in Replaces,
  // though RFC 3261 wants it escaped) or a user part with a '?' in it (legal: user-unreserved,
  // RFC 4475 intmeth). Read it as headers first, as Recall always has; a user part if that fails.
  try {
    return parseSipUri(s, scheme, colon, -1);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    try {
      return parseSipUri(s, scheme, colon, at);
    } catch {
      throw e;
    }
  }
}

/** The rest of a sip: or sips: URI after its scheme; `at` is the '@' ending the userinfo, -1 when there is none. */
function parseSipUri(s: string, scheme: "sip" | "sips", colon: number, at: number): SipUri {
  const end = s.length;
  let pos = colon + 1;
  let user: string | undefined, password: string | undefined;
  const question = s.indexOf("?", at === -1 ? pos : at);
  if (at !== -1) {
    const pw = s.indexOf(":", pos);
    const userEnd = pw !== -1 && pw < at ? pw : at;
    user = s.slice(pos, userEnd);
    if (user === "" || hasForbidden(user)) fail("bad user part", s);
    if (userEnd !== at) {
      password = s.slice(pw + 1, at);
      if (hasForbidden(password)) fail("bad password", s);
    }
    pos = at + 1;
  }
  const hostEnd = question === -1 ? end : question;
  pos = parseHostPort(s, pos, hostEnd, s);
  const { host, port } = hostPort;
  if (pos < hostEnd && s.charCodeAt(pos) !== 0x3b) fail(`unexpected '${s[pos]}'`, s);
  const params = parseUriParams(s, pos, hostEnd, s);
  let headers = NO_HEADERS;
  if (question !== -1) {
    const map = new Map<string, string>();
    for (const pair of s.slice(question + 1).split("&")) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      const value = eq === -1 ? "" : pair.slice(eq + 1);
      if (name === "" || hasForbidden(name) || hasForbidden(value)) fail("bad URI header", s);
      map.set(name, value);
    }
    headers = map;
  }
  // Every property is present (possibly undefined) so that all URIs share one object shape.
  return { scheme, user, password, host, port, params, headers };
}

/** A host for output: IPv6 addresses get their brackets back. */
export function formatHost(host: string): string {
  return host.indexOf(":") === -1 ? host : "[" + host + "]";
}

/** Write a URI; `formatUri(parseUri(s))` is `s` up to the case of the scheme and of parameter names. */
export function formatUri(uri: SipUri): string {
  if (uri.scheme === "tel") return "tel:" + (uri.user ?? "") + formatParams(uri.params);
  let s = uri.scheme + ":";
  if (uri.user !== undefined) {
    s += uri.user;
    if (uri.password !== undefined) s += ":" + uri.password;
    s += "@";
  }
  s += formatHost(uri.host);
  if (uri.port !== undefined) s += ":" + uri.port;
  s += formatParams(uri.params);
  if (uri.headers.size > 0) {
    let sep = "?";
    for (const [name, value] of uri.headers) { s += sep + name + "=" + value; sep = "&"; }
  }
  return s;
}

/** A URI built from parts, with no parameters or headers unless given. */
export function sipUri(parts: Partial<SipUri> & { host: string }): SipUri {
  return { scheme: "sip", user: undefined, password: undefined, port: undefined, params: NO_PARAMS, headers: NO_HEADERS, ...parts };
}
