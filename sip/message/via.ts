/**
 * Via values (RFC 3261 §20.42, RFC 3581): `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport`.
 */
import { SipParseError } from "./errors.js";
import { type Params, formatParams, isTokenChar, parseParams, skipWhite } from "./text.js";
import { formatHost, hostPort, parseHostPort } from "./uri.js";

export interface Via {
  /** Always `SIP/2.0` in practice. */
  readonly protocol: string;
  /** Uppercase: UDP, TCP, TLS, WS, WSS, SCTP. */
  readonly transport: string;
  /** sent-by host, without brackets for IPv6. */
  readonly host: string;
  readonly port?: number;
  /** branch, received, rport (null when sent as a flag), maddr, ttl... */
  readonly params: Params;
}

/** The RFC 3261 magic cookie that starts every compliant branch. */
export const BRANCH_COOKIE = "z9hG4bK";

const H = "Via";

function token(s: string, pos: number): number {
  while (pos < s.length && isTokenChar(s.charCodeAt(pos))) pos++;
  return pos;
}

function expectSlash(s: string, pos: number): number {
  pos = skipWhite(s, pos);
  if (s.charCodeAt(pos) !== 0x2f) throw new SipParseError("invalid-header", "expected '/' in sent-protocol", H);
  return skipWhite(s, pos + 1);
}

/** Parse one Via value. Throws SipParseError (`invalid-header`). */
export function parseVia(value: string): Via {
  let pos = skipWhite(value, 0);
  let protocol: string, transport: string;
  if (value.startsWith("SIP/2.0/", pos)) {
    protocol = "SIP/2.0";
    pos += 8;
  } else {
    const nameEnd = token(value, pos);
    const name = value.slice(pos, nameEnd);
    pos = expectSlash(value, nameEnd);
    const versionEnd = token(value, pos);
    const version = value.slice(pos, versionEnd);
    if (name === "" || version === "") throw new SipParseError("invalid-header", "bad sent-protocol", H);
    protocol = name.toUpperCase() + "/" + version;
    pos = expectSlash(value, versionEnd);
  }
  const transportEnd = token(value, pos);
  if (transportEnd === pos) throw new SipParseError("invalid-header", "missing transport", H);
  transport = value.slice(pos, transportEnd);
  if (transport !== "UDP" && transport !== "TCP") transport = transport.toUpperCase();
  pos = skipWhite(value, transportEnd);
  if (pos === transportEnd) throw new SipParseError("invalid-header", "expected whitespace before sent-by", H);
  let hostEnd = pos;
  while (hostEnd < value.length) {
    const c = value.charCodeAt(hostEnd);
    if (c === 0x3b || c === 0x20 || c === 0x09) break;
    hostEnd++;
  }
  try {
    if (parseHostPort(value, pos, hostEnd, value) !== hostEnd) throw new SipParseError("invalid-header", "bad sent-by", H);
  } catch (e) {
    if (e instanceof SipParseError && e.code === "invalid-uri") throw new SipParseError("invalid-header", "bad sent-by", H);
    throw e;
  }
  const { host, port } = hostPort;
  return { protocol, transport, host, port, params: parseParams(value, hostEnd, H) };
}

/** Write a Via value. */
export function formatVia(via: Via): string {
  return via.protocol + "/" + via.transport + " " + formatHost(via.host) + (via.port === undefined ? "" : ":" + via.port) + formatParams(via.params);
}

/** The branch parameter, if any. */
export function branchOf(via: Via): string | undefined {
  return via.params.get("branch") ?? undefined;
}
