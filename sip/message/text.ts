/**
 * Low-level scanning shared by the value parsers: character classes, comma lists that
 * respect quotes and angle brackets, `;name=value` parameters, quoted strings.
 * Strings here are byte strings (latin1): one character per byte of the wire.
 */
import { SipParseError } from "./errors.js";

/**
 * Ordered parameters. Names are lowercase (they are case-insensitive); a flag parameter
 * has value `null`. Read-only, like every parsed value (parsed values are cached by
 * their message): build a new Map to change them.
 */
export type Params = ReadonlyMap<string, string | null>;

/** Shared by every value without parameters. */
export const NO_PARAMS: Params = new Map();

export const SP = 32, HT = 9, CR = 13, LF = 10, DQUOTE = 34, BACKSLASH = 92;

/** RFC 3261 `token` characters: alphanumerics and -.!%*_+`'~ */
const TOKEN = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

/** Characters that end an unquoted parameter value. */
const VALUE_STOP = new Uint8Array(256);
for (const ch of '; \t",<>') VALUE_STOP[ch.charCodeAt(0)] = 1;

export function isTokenChar(c: number): boolean {
  return c < 256 && TOKEN[c] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function isWhite(c: number): boolean {
  return c === SP || c === HT;
}

export function skipWhite(s: string, pos: number, end = s.length): number {
  while (pos < end && isWhite(s.charCodeAt(pos))) pos++;
  return pos;
}

/** `s` without leading and trailing spaces and tabs (and nothing else: byte 0xA0 is data). */
export function trimWhite(s: string): string {
  let start = 0, end = s.length;
  while (start < end && isWhite(s.charCodeAt(start))) start++;
  while (end > start && isWhite(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/**
 * Split a header value on the commas that separate list elements, ignoring commas
 * inside quoted strings (with backslash escapes) and inside `<...>`. Empty elements
 * are dropped, each element is trimmed.
 */
export function splitList(value: string): string[] {
  if (value.indexOf(",") === -1) {
    const t = trimWhite(value);
    return t === "" ? [] : [t];
  }
  const out: string[] = [];
  let inQuote = false, inAngle = false, start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === BACKSLASH) i++;
      else if (c === DQUOTE) inQuote = false;
    } else if (c === DQUOTE) inQuote = true;
    else if (c === 60) inAngle = true;
    else if (c === 62) inAngle = false;
    else if (c === 44 && !inAngle) {
      const item = trimWhite(value.slice(start, i));
      if (item !== "") out.push(item);
      start = i + 1;
    }
  }
  const last = trimWhite(value.slice(start));
  if (last !== "") out.push(last);
  return out;
}

/** End (exclusive) of the quoted string that opens at `pos`; throws if it is not closed. */
export function quotedEnd(s: string, pos: number, header?: string): number {
  for (let i = pos + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === DQUOTE) return i + 1;
  }
  throw new SipParseError("invalid-header", "unterminated quoted string", header);
}

/** The content of a quoted string with its escapes resolved; an unquoted string is returned as is. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== DQUOTE || s.charCodeAt(s.length - 1) !== DQUOTE) return s;
  const inner = s.slice(1, -1);
  if (inner.indexOf("\\") === -1) return inner;
  let out = "";
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === "\\" && i + 1 < inner.length) out += inner[++i];
    else out += c;
  }
  return out;
}

/** `s` as a quoted string, escaping `"` and `\`. */
export function quote(s: string): string {
  return '"' + s.replace(/["\\]/g, "\\$&") + '"';
}

/**
 * Parse `;name[=value]` parameters of a header value from `pos` to the end of `s`
 * (whitespace allowed around `;` and `=`). Values keep their quotes, if any, so that
 * writing them back gives the same bytes; use `unquote` to read one.
 */
export function parseParams(s: string, pos: number, header?: string): Params {
  const end = s.length;
  let into: Map<string, string | null> | undefined;
  for (;;) {
    while (pos < end && isWhite(s.charCodeAt(pos))) pos++;
    if (pos >= end) return into ?? NO_PARAMS;
    if (s.charCodeAt(pos) !== 59) throw new SipParseError("invalid-header", `unexpected '${s[pos]}' where a ';' parameter was expected`, header);
    pos++;
    while (pos < end && isWhite(s.charCodeAt(pos))) pos++;
    const nameStart = pos;
    let upper = false;
    for (; pos < end; pos++) {
      const c = s.charCodeAt(pos);
      if (c >= 256 || TOKEN[c] !== 1) break;
      if (c <= 0x5a && c >= 0x41) upper = true;
    }
    if (pos === nameStart) throw new SipParseError("invalid-header", "empty parameter name", header);
    const name = upper ? s.slice(nameStart, pos).toLowerCase() : s.slice(nameStart, pos);
    while (pos < end && isWhite(s.charCodeAt(pos))) pos++;
    let value: string | null = null;
    if (pos < end && s.charCodeAt(pos) === 61) {
      pos++;
      while (pos < end && isWhite(s.charCodeAt(pos))) pos++;
      const valueStart = pos;
      if (pos < end && s.charCodeAt(pos) === DQUOTE) pos = quotedEnd(s, pos, header);
      else {
        for (; pos < end; pos++) {
          const c = s.charCodeAt(pos);
          if (c < 256 && VALUE_STOP[c] === 1) break;
        }
      }
      value = s.slice(valueStart, pos);
    }
    (into ??= new Map()).set(name, value);
  }
}

/** `;name=value;flag` for a parameter map. */
export function formatParams(params: Params): string {
  let out = "";
  for (const [name, value] of params) out += value === null ? ";" + name : ";" + name + "=" + value;
  return out;
}

/** Parse a non-negative decimal integer of at most `maxDigits` digits; NaN if it is not one. */
export function parseDecimal(s: string, maxDigits = 10): number {
  const len = s.length;
  if (len === 0 || len > maxDigits) return NaN;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}
