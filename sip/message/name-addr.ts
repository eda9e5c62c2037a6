/**
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1): the value of
 * From, To, Contact, Route, Record-Route, Refer-To, P-Asserted-Identity...
 * `"Alice" <sip:alice@example.com>;tag=1928` or `sip:alice@example.com;tag=1928`.
 */
import { SipParseError } from "./errors.js";
import { type SipUri, formatUri, parseUri } from "./uri.js";
import { type Params, DQUOTE, formatParams, isTokenChar, isWhite, parseParams, quote, quotedEnd, skipWhite, trimWhite, unquote } from "./text.js";

export interface NameAddr {
  /** Display name, unquoted and unescaped (bytes as latin1); undefined when absent. */
  readonly displayName?: string;
  readonly uri: SipUri;
  /** Header parameters after the address: tag, expires, q, +sip.instance... (values keep their quotes). */
  readonly params: Params;
}

/** Parse a name-addr or addr-spec with its parameters. Throws SipParseError (`invalid-header`). */
export function parseNameAddr(value: string, header?: string): NameAddr {
  const end = value.length;
  let pos = skipWhite(value, 0);
  let displayName: string | undefined;
  let uriStart: number, uriEnd: number, paramsStart: number;
  const first = value.charCodeAt(pos);
  const lt = value.indexOf("<", pos);
  const semi = value.indexOf(";", pos);
  if (first === DQUOTE || (lt !== -1 && (semi === -1 || lt < semi))) {
    if (first === DQUOTE) {
      const close = quotedEnd(value, pos, header);
      displayName = unquote(value.slice(pos, close));
      pos = skipWhite(value, close);
      if (value.charCodeAt(pos) !== 60) throw new SipParseError("invalid-header", "expected '<' after the display name", header);
    } else {
      for (let i = pos; i < lt; i++) {
        const c = value.charCodeAt(i);
        if (!isTokenChar(c) && !isWhite(c) && c < 0x80) throw new SipParseError("invalid-header", "display name must be a token or a quoted string", header);
      }
      const name = trimWhite(value.slice(pos, lt));
      if (name !== "") displayName = name;
      pos = lt;
    }
    const gt = value.indexOf(">", pos);
    if (gt === -1) throw new SipParseError("invalid-header", "missing '>'", header);
    uriStart = pos + 1;
    uriEnd = gt;
    paramsStart = gt + 1;
  } else {
    uriStart = pos;
    uriEnd = semi === -1 ? end : semi;
    while (uriEnd > uriStart && isWhite(value.charCodeAt(uriEnd - 1))) uriEnd--;
    paramsStart = uriEnd;
  }
  let uri: SipUri;
  try {
    uri = parseUri(value.slice(uriStart, uriEnd));
  } catch (e) {
    if (e instanceof SipParseError) throw new SipParseError(e.code === "unsupported-uri-scheme" ? e.code : "invalid-header", e.reason, header);
    throw e;
  }
  const params = parseParams(value, paramsStart, header);
  return { displayName, uri, params };
}

/** Write a name-addr, always in angle brackets; a display name is always quoted. */
export function formatNameAddr(addr: NameAddr): string {
  const uri = "<" + formatUri(addr.uri) + ">" + formatParams(addr.params);
  return addr.displayName === undefined || addr.displayName === "" ? uri : quote(addr.displayName) + " " + uri;
}

/** The `tag` parameter of a From or To value, if any. */
export function tagOf(addr: NameAddr): string | undefined {
  return addr.params.get("tag") ?? undefined;
}
