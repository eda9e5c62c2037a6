/**
 * The SIP message parser (RFC 3261 §7, §18.3). One pass over the header section
 * splits lines, unfolds continuations, normalises names and splits address lists;
 * values stay unparsed except the mandatory headers, which are checked so that every
 * message handed on has a usable top Via, From, To, Call-ID and CSeq.
 *
 * Lines may end in CRLF or, leniently, a bare LF; a bare CR is an error (it is how
 * header injection hides). Header bytes are read as latin1 and the body stays a
 * Buffer, so invalid UTF-8 is just data.
 */
import { SipParseError } from "./errors.js";
import { ListKind, Role, knownHeader, lookupHeader } from "./header-names.js";
import { DEFAULT_LIMITS, type ParseLimits } from "./limits.js";
import { EMPTY_BODY, type HeaderField, type SipMessage, SipRequest, SipResponse } from "./message.js";
import { CR, HT, LF, SP, isToken, isWhite, parseDecimal, splitList, trimWhite } from "./text.js";
import { parseCSeq } from "./cseq.js";
import { parseNameAddr } from "./name-addr.js";
import { parseVia } from "./via.js";

/** A parsed header section, waiting for its body. */
export interface ParsedHead {
  readonly message: SipMessage;
  /** The Content-Length value, undefined when the header is absent. */
  readonly contentLength: number | undefined;
  /** Offset in the text just past the blank line. */
  readonly bodyStart: number;
}

const LF_CRLF = Buffer.from("\n\r\n", "latin1");
const LF_LF = Buffer.from("\n\n", "latin1");

/**
 * Offset just past the blank line that ends the header section, searching from `from`
 * (which must be the start of a line); -1 when the section is not complete.
 */
export function findBodyStart(buf: Buffer, from: number): number {
  const crlf = buf.indexOf(LF_CRLF, from);
  const lf = (crlf === -1 ? buf : buf.subarray(0, crlf + 2)).indexOf(LF_LF, from);
  if (lf !== -1) return lf + 2;
  return crlf === -1 ? -1 : crlf + 3;
}

/** Parse one message received as a datagram (UDP): the body is what follows the blank line, cut at Content-Length. */
export function parseMessage(data: Buffer, limits: ParseLimits = DEFAULT_LIMITS): SipMessage {
  let start = 0;
  const len = data.length;
  while (start < len && (data[start] === CR || data[start] === LF)) start++;
  try {
    if (start === len) throw new SipParseError("empty", "no message, only line breaks");
    if (len - start > limits.maxMessageSize) throw new SipParseError("too-large", `message of ${len - start} bytes exceeds the limit of ${limits.maxMessageSize}`);
    // Decode the whole datagram once: the line scan of parseHead finds the blank line.
    const head = parseHead(data.toString("latin1", start, len), limits);
    const bodyStart = start + head.bodyStart;
    const available = len - bodyStart;
    const length = head.contentLength ?? available;
    if (length > available) {
      throw new SipParseError("content-length", `Content-Length ${length} is larger than the ${available} bytes received`, "Content-Length");
    }
    return finishMessage(head.message, length === 0 ? EMPTY_BODY : data.subarray(bodyStart, bodyStart + length));
  } catch (e) {
    if (e instanceof SipParseError && e.code !== "empty") {
      salvage(e, data.toString("latin1", start, Math.min(len, start + limits.maxMessageSize)), limits);
    }
    throw e;
  }
}

/** Attach the body and check the mandatory headers (RFC 3261 §8.1.1). */
export function finishMessage(message: SipMessage, body: Buffer): SipMessage {
  message.body = body;
  // Each getter parses and caches its header, throwing SipParseError if it is missing or malformed.
  message.via;
  message.from;
  message.to;
  message.callId;
  const cseq = message.cseq;
  if (message.isRequest && cseq.method !== message.method) {
    throw new SipParseError("invalid-header", `CSeq method ${cseq.method} does not match the request method ${message.method}`, "CSeq");
  }
  return message;
}

function startLineError(reason: string, kind: "request" | "response" | undefined): SipParseError {
  const e = new SipParseError("start-line", reason);
  e.kind = kind;
  return e;
}

function isSipVersion(s: string, pos: number): boolean {
  return s.startsWith("SIP/2.0", pos) || s.slice(pos, pos + 7).toUpperCase() === "SIP/2.0";
}

/** A SIP-Version token (RFC 3261 §7.1); a request of another version than 2.0 is answered 505. */
const SIP_VERSION = /^SIP\/\d+\.\d+$/i;

function parseStartLine(head: string, end: number, fields: HeaderField[]): SipMessage {
  if (isSipVersion(head, 0) && (end === 7 || head.charCodeAt(7) === SP)) {
    const status = parseDecimal(head.slice(8, 11), 3);
    if (!(status >= 100 && status <= 699) || (end > 11 && head.charCodeAt(11) !== SP)) {
      throw startLineError("bad status code", "response");
    }
    return new SipResponse(status, end > 12 ? head.slice(12, end) : "", fields);
  }
  const sp1 = head.indexOf(" ");
  const sp2 = head.lastIndexOf(" ", end - 1);
  if (sp1 <= 0 || sp2 <= sp1 + 1 || sp1 >= end) throw startLineError("malformed request line", undefined);
  const method = head.slice(0, sp1);
  const uri = head.slice(sp1 + 1, sp2);
  if (!isToken(method)) throw startLineError("bad method", undefined);
  if (end - sp2 - 1 !== 7 || !isSipVersion(head, sp2 + 1)) {
    if (SIP_VERSION.test(head.slice(sp2 + 1, end))) {
      const e = new SipParseError("unsupported-version", `unsupported version ${head.slice(sp2 + 1, end)}`);
      e.kind = "request";
      throw e;
    }
    throw startLineError("unsupported SIP version", "request");
  }
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c <= SP || c === 0x7f) throw startLineError("bad Request-URI", "request");
  }
  return new SipRequest(method, uri, fields);
}

/** Collects header fields while enforcing the limits and the single-instance rules. */
class FieldCollector {
  readonly fields: HeaderField[] = [];
  contentLength: number | undefined = undefined;
  #vias = 0;
  #seen = 0; // one bit per Role seen

  constructor(readonly limits: ParseLimits) {}

  add(name: string, key: string, list: ListKind, role: Role, value: string): void {
    if (list === ListKind.Address && value.indexOf(",") !== -1) {
      const items = splitList(value);
      if (role === Role.Via) this.#countVia(items.length);
      for (const item of items) this.#push(name, key, item);
      return;
    }
    switch (role) {
      case Role.None: break;
      case Role.Via: this.#countVia(1); break;
      case Role.ContentLength: {
        const n = parseDecimal(trimWhite(value), 10);
        if (Number.isNaN(n)) throw new SipParseError("content-length", `Content-Length '${value.slice(0, 20)}' is not a number`, "Content-Length");
        if (this.contentLength !== undefined && this.contentLength !== n) {
          throw new SipParseError("content-length", "conflicting Content-Length headers", "Content-Length");
        }
        this.contentLength = n;
        break;
      }
      default:
        // From, To, Call-ID, CSeq: one each.
        if (this.#seen & (1 << role)) throw new SipParseError("duplicate-header", `more than one ${name}`, name);
        this.#seen |= 1 << role;
    }
    this.#push(name, key, value);
  }

  #push(name: string, key: string, value: string): void {
    if (this.fields.length >= this.limits.maxHeaders) {
      throw new SipParseError("too-many-headers", `more than ${this.limits.maxHeaders} header fields`);
    }
    this.fields.push({ name, key, value });
  }

  #countVia(n: number): void {
    if ((this.#vias += n) > this.limits.maxVia) throw new SipParseError("too-many-via", `more than ${this.limits.maxVia} Via values`, "Via");
  }
}

/**
 * Parse a header section (start line through the blank line) decoded as latin1.
 * `head` may go on past the blank line (the body is not looked at).
 */
export function parseHead(head: string, limits: ParseLimits): ParsedHead {
  const maxLineLength = limits.maxLineLength;
  let nl = head.indexOf("\n");
  if (nl === -1) throw new SipParseError("truncated", "header section is not terminated by a blank line");
  let lineEnd = nl > 0 && head.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
  let nextCr = head.indexOf("\r");
  if (nextCr !== -1 && nextCr < lineEnd) throw new SipParseError("header-syntax", "bare CR in the start line");
  if (lineEnd > maxLineLength) throw new SipParseError("line-too-long", `start line longer than ${maxLineLength}`);
  const collector = new FieldCollector(limits);
  const message = parseStartLine(head, lineEnd, collector.fields);

  // The field being read: it is added once the next line shows it is not folded further.
  let name = "", key = "", list = ListKind.Single, role = Role.None, value: string | undefined, length = 0;
  let pos = nl + 1;
  for (;;) {
    nl = head.indexOf("\n", pos);
    if (nl === -1) throw new SipParseError("truncated", "header section is not terminated by a blank line");
    lineEnd = nl > pos && head.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
    if (nextCr !== -1 && nextCr < pos) nextCr = head.indexOf("\r", pos);
    if (nextCr !== -1 && nextCr < lineEnd) throw new SipParseError("header-syntax", "bare CR in a header line");
    if (lineEnd === pos) {
      pos = nl + 1;
      break;
    }
    const first = head.charCodeAt(pos);
    if (first === SP || first === HT) {
      if (value === undefined) throw new SipParseError("header-syntax", "continuation line before any header");
      length += lineEnd - pos;
      if (length > maxLineLength) throw new SipParseError("line-too-long", `header longer than ${maxLineLength}`, name);
      const part = trimWhite(head.slice(pos, lineEnd));
      if (part !== "") value = value === "" ? part : value + " " + part;
      pos = nl + 1;
      continue;
    }
    if (value !== undefined) collector.add(name, key, list, role, value);
    length = lineEnd - pos;
    const colon = head.indexOf(":", pos);
    if (colon === -1 || colon > lineEnd) throw new SipParseError("header-syntax", "header line without ':'");
    let nameEnd = colon;
    while (nameEnd > pos && isWhite(head.charCodeAt(nameEnd - 1))) nameEnd--;
    const known = lookupHeader(head, pos, nameEnd);
    if (known !== undefined) {
      name = known.name;
      key = known.key;
      list = known.list;
      role = known.role;
    } else {
      name = head.slice(pos, nameEnd);
      if (!isToken(name)) throw new SipParseError("header-syntax", `bad header name '${name.slice(0, 40)}'`);
      key = name.toLowerCase();
      list = ListKind.Single;
      role = Role.None;
    }
    if (length > maxLineLength) throw new SipParseError("line-too-long", `header longer than ${maxLineLength}`, name);
    let vs = colon + 1, ve = lineEnd;
    while (vs < ve && isWhite(head.charCodeAt(vs))) vs++;
    while (ve > vs && isWhite(head.charCodeAt(ve - 1))) ve--;
    value = head.slice(vs, ve);
    pos = nl + 1;
  }
  if (value !== undefined) collector.add(name, key, list, role, value);
  return { message, contentLength: collector.contentLength, bodyStart: pos };
}

const SALVAGED = new Set(["via", "from", "to", "call-id", "cseq"]);

/**
 * After a parse error, recover from the raw bytes what a 400 needs: whether this was
 * a request, its start line, and the well-formed Via, From, To, Call-ID and CSeq.
 * `text` is the start of the message as latin1, at most `maxMessageSize` long.
 */
export function salvage(error: SipParseError, text: string, limits: ParseLimits): void {
  let nl = text.indexOf("\n");
  if (nl === -1) nl = text.length;
  const line = text.slice(0, nl > 0 && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl);
  if (line.length > limits.maxLineLength) return;
  if (isSipVersion(line, 0)) {
    error.kind ??= "response";
    return;
  }
  // Read leniently (RFC 4475 lwsstart, lwsruri, trws): runs of SP, SP at the end, SP inside
  // the Request-URI. The request is still refused; this only lets the refusal reach the sender.
  const words = line.split(" ").filter((w) => w !== "");
  if (words.length < 3 || !SIP_VERSION.test(words[words.length - 1])) return;
  let request: SipRequest;
  try {
    request = new SipRequest(words[0], words.slice(1, -1).join(""));
  } catch {
    return;
  }
  error.kind = "request";
  error.request = request;

  const fields: Array<[string, string]> = [];
  let pos = nl + 1, lines = 0, skipping = false;
  while (pos < text.length && lines++ < limits.maxHeaders) {
    let end = text.indexOf("\n", pos);
    if (end === -1) end = text.length;
    const raw = text.slice(pos, end > pos && text.charCodeAt(end - 1) === CR ? end - 1 : end);
    pos = end + 1;
    if (raw === "") break;
    const continuation = isWhite(raw.charCodeAt(0));
    // A bad line is left out with its continuations, so nothing of it leaks into another field.
    if (raw.length > limits.maxLineLength || raw.indexOf("\r") !== -1) {
      if (continuation && !skipping && fields.length > 0) fields.pop();
      skipping = true;
      continue;
    }
    if (continuation) {
      if (!skipping && fields.length > 0) fields[fields.length - 1][1] += " " + trimWhite(raw);
      continue;
    }
    skipping = false;
    const colon = raw.indexOf(":");
    if (colon <= 0) { skipping = true; continue; }
    fields.push([trimWhite(raw.slice(0, colon)), trimWhite(raw.slice(colon + 1))]);
  }
  let vias = 0;
  for (const [rawName, value] of fields) {
    const known = knownHeader(rawName);
    if (known === undefined || !SALVAGED.has(known.key) || value.length > limits.maxLineLength) continue;
    try {
      if (known.key === "via") {
        for (const item of splitList(value)) {
          if (vias++ >= limits.maxVia) break;
          parseVia(item);
          request.add("Via", item);
        }
        continue;
      }
      if (request.has(known.name)) continue;
      if (known.key === "cseq") parseCSeq(value);
      else if (known.key === "call-id") { if (value === "") continue; }
      else parseNameAddr(value, known.name);
      request.add(known.name, value);
    } catch (e) {
      // Not well formed: left out of the 400. A well-formed address of another scheme
      // (From: <http://...>) is only one Recall does not serve: the 400 may copy it.
      if (e instanceof SipParseError && e.code === "unsupported-uri-scheme" && !request.has(known.name)) request.add(known.name, value);
    }
  }
}
