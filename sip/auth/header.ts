/**
 * WWW-Authenticate / Proxy-Authenticate challenges and Authorization /
 * Proxy-Authorization credentials of the Digest scheme: parse and write.
 * `Digest realm="asterisk", nonce="...", algorithm=MD5, qop="auth"`
 */
import { SipParseError } from "../message/errors.js";
import { isTokenChar, isWhite, quote, quotedEnd, unquote } from "../message/text.js";

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  /** As written; absent means MD5. It may name an algorithm we do not support. */
  algorithm?: string;
  /** The qop options offered ("auth", "auth-int"); undefined when the challenge has none (RFC 2069). */
  qop?: string[];
  stale: boolean;
  domain?: string;
  /** Any other parameters, unquoted. */
  other: Map<string, string>;
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  cnonce?: string;
  opaque?: string;
  qop?: string;
  nc?: string;
  other: Map<string, string>;
}

/** Parse `Digest a=b, c="d"` into lowercase names and unquoted values. */
export function parseAuthParams(value: string, header: string): Map<string, string> {
  let pos = 0;
  const end = value.length;
  while (pos < end && isWhite(value.charCodeAt(pos))) pos++;
  const schemeStart = pos;
  while (pos < end && isTokenChar(value.charCodeAt(pos))) pos++;
  if (value.slice(schemeStart, pos).toLowerCase() !== "digest") {
    throw new SipParseError("invalid-header", `not a Digest value: '${value.slice(0, 30)}'`, header);
  }
  const params = new Map<string, string>();
  for (;;) {
    while (pos < end && (isWhite(value.charCodeAt(pos)) || value.charCodeAt(pos) === 44)) pos++;
    if (pos >= end) return params;
    const nameStart = pos;
    while (pos < end && isTokenChar(value.charCodeAt(pos))) pos++;
    if (pos === nameStart) throw new SipParseError("invalid-header", `unexpected '${value[pos]}' in digest parameters`, header);
    const name = value.slice(nameStart, pos).toLowerCase();
    while (pos < end && isWhite(value.charCodeAt(pos))) pos++;
    if (value.charCodeAt(pos) !== 61) throw new SipParseError("invalid-header", `parameter ${name} has no value`, header);
    pos++;
    while (pos < end && isWhite(value.charCodeAt(pos))) pos++;
    let raw: string;
    if (value.charCodeAt(pos) === 34) {
      const close = quotedEnd(value, pos, header);
      raw = unquote(value.slice(pos, close));
      pos = close;
    } else {
      const start = pos;
      while (pos < end && value.charCodeAt(pos) !== 44 && !isWhite(value.charCodeAt(pos))) pos++;
      raw = value.slice(start, pos);
    }
    if (params.has(name)) throw new SipParseError("invalid-header", `parameter ${name} appears twice`, header);
    params.set(name, raw);
    while (pos < end && isWhite(value.charCodeAt(pos))) pos++;
    if (pos < end && value.charCodeAt(pos) !== 44) throw new SipParseError("invalid-header", `expected ',' after ${name}`, header);
  }
}

function take(params: Map<string, string>, name: string): string | undefined {
  const value = params.get(name);
  params.delete(name);
  return value;
}

function required(params: Map<string, string>, name: string, header: string): string {
  const value = take(params, name);
  if (value === undefined) throw new SipParseError("invalid-header", `missing ${name}`, header);
  return value;
}

/** Parse a WWW-Authenticate or Proxy-Authenticate value. */
export function parseChallenge(value: string, header = "WWW-Authenticate"): DigestChallenge {
  const params = parseAuthParams(value, header);
  const realm = required(params, "realm", header);
  const nonce = required(params, "nonce", header);
  const qop = take(params, "qop");
  return {
    realm,
    nonce,
    opaque: take(params, "opaque"),
    algorithm: take(params, "algorithm"),
    qop: qop === undefined ? undefined : qop.split(",").map((q) => q.trim().toLowerCase()).filter((q) => q !== ""),
    stale: take(params, "stale")?.toLowerCase() === "true",
    domain: take(params, "domain"),
    other: params,
  };
}

/** Parse an Authorization or Proxy-Authorization value. */
export function parseCredentials(value: string, header = "Authorization"): DigestCredentials {
  const params = parseAuthParams(value, header);
  return {
    username: required(params, "username", header),
    realm: required(params, "realm", header),
    nonce: required(params, "nonce", header),
    uri: required(params, "uri", header),
    response: required(params, "response", header),
    algorithm: take(params, "algorithm"),
    cnonce: take(params, "cnonce"),
    opaque: take(params, "opaque"),
    qop: take(params, "qop")?.toLowerCase(),
    nc: take(params, "nc"),
    other: params,
  };
}

function checked(value: string): string {
  if (/[\r\n\u0100-\uffff]/.test(value)) throw new TypeError(`digest parameter must be a byte string without CR or LF: ${JSON.stringify(value.slice(0, 40))}`);
  return value;
}

function tokenOrQuoted(value: string): string {
  return value !== "" && [...value].every((c) => isTokenChar(c.charCodeAt(0))) ? value : quote(value);
}

/** Write a challenge: realm, nonce, opaque, algorithm, qop, stale, then others. */
export function formatChallenge(challenge: DigestChallenge): string {
  const parts = [`realm=${quote(checked(challenge.realm))}`, `nonce=${quote(checked(challenge.nonce))}`];
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(checked(challenge.opaque))}`);
  if (challenge.domain !== undefined) parts.push(`domain=${quote(checked(challenge.domain))}`);
  if (challenge.algorithm !== undefined) parts.push(`algorithm=${tokenOrQuoted(checked(challenge.algorithm))}`);
  if (challenge.qop !== undefined) parts.push(`qop=${quote(checked(challenge.qop.join(",")))}`);
  if (challenge.stale) parts.push("stale=true");
  for (const [name, value] of challenge.other) parts.push(`${name}=${tokenOrQuoted(checked(value))}`);
  return "Digest " + parts.join(", ");
}

/** Write credentials in the order SIP phones use. */
export function formatCredentials(credentials: DigestCredentials): string {
  const c = credentials;
  const parts = [
    `username=${quote(checked(c.username))}`, `realm=${quote(checked(c.realm))}`, `nonce=${quote(checked(c.nonce))}`,
    `uri=${quote(checked(c.uri))}`, `response=${quote(checked(c.response))}`,
  ];
  if (c.algorithm !== undefined) parts.push(`algorithm=${tokenOrQuoted(checked(c.algorithm))}`);
  if (c.cnonce !== undefined) parts.push(`cnonce=${quote(checked(c.cnonce))}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(checked(c.opaque))}`);
  if (c.qop !== undefined) parts.push(`qop=${tokenOrQuoted(checked(c.qop))}`);
  if (c.nc !== undefined) parts.push(`nc=${tokenOrQuoted(checked(c.nc))}`);
  for (const [name, value] of c.other) parts.push(`${name}=${tokenOrQuoted(checked(value))}`);
  return "Digest " + parts.join(", ");
}
