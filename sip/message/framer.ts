/**
 * Framing SIP over a byte stream (TCP, TLS): messages are cut by the blank line and
 * Content-Length (RFC 3261 §18.3). CRLFs between messages are keep-alives (RFC 5626
 * §3.5.1: a double CRLF is a ping, answered with a single CRLF).
 *
 * A message that is framed but malformed comes out as a SipParseError and the stream
 * goes on. When the framing itself is lost (no or bad Content-Length, a header
 * section or body beyond the size limit) the error is fatal: `failed` becomes true,
 * nothing more is produced, and the connection should be answered 400 if possible
 * and closed.
 */
import { SipParseError } from "./errors.js";
import { DEFAULT_LIMITS, type ParseLimits } from "./limits.js";
import { EMPTY_BODY, ownBytes, type SipMessage } from "./message.js";
import { type ParsedHead, findBodyStart, finishMessage, parseHead, salvage } from "./parser.js";
import { CR, LF, parseDecimal, trimWhite } from "./text.js";
import { knownHeader } from "./header-names.js";

export interface StreamFramerOptions {
  limits?: ParseLimits;
  /** Called for each CRLFCRLF keep-alive ping between messages; the transport answers CRLF. */
  onPing?: () => void;
}

export class StreamFramer {
  readonly #limits: ParseLimits;
  readonly #onPing: (() => void) | undefined;
  /** Received bytes not yet consumed are #buf[#start, #end); the buffer grows geometrically, so bytes are copied O(1) times. */
  #buf: Buffer = EMPTY_BODY;
  #start = 0;
  #end = 0;
  /** Where the blank-line search resumes, relative to #start (bytes before it were already searched). */
  #searched = 0;
  /** The head of the message being received, once its header section is complete. */
  #head: { parsed: ParsedHead | SipParseError; text: string; bodyStart: number; length: number } | undefined;
  #failed = false;
  #crlfRun = 0;

  constructor(options: StreamFramerOptions = {}) {
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#onPing = options.onPing;
  }

  /** True once framing is lost: close the connection. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Feed bytes as they arrive; returns the messages (and per-message errors) completed by them, in order. */
  push(chunk: Buffer): Array<SipMessage | SipParseError> {
    const out: Array<SipMessage | SipParseError> = [];
    if (this.#failed || chunk.length === 0) return out;
    this.#append(chunk);
    try {
      while (this.#next(out));
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      this.#failed = true;
      out.push(e);
      this.#release();
    }
    if (this.#start === this.#end) this.#release();
    return out;
  }

  #append(chunk: Buffer): void {
    const used = this.#end - this.#start;
    if (this.#end + chunk.length > this.#buf.length) {
      const needed = used + chunk.length;
      if (needed <= this.#buf.length) {
        this.#buf.copy(this.#buf, 0, this.#start, this.#end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.#buf.length, 4096));
        this.#buf.copy(grown, 0, this.#start, this.#end);
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = used;
    }
    chunk.copy(this.#buf, this.#end);
    this.#end += chunk.length;
  }

  /** Nothing is buffered: drop a large buffer so an idle connection holds little memory. */
  #release(): void {
    this.#start = this.#end = 0;
    if (this.#buf.length > 16_384) this.#buf = EMPTY_BODY;
  }

  /** The unconsumed bytes (a view: copy what must outlive the next push). */
  #pending(): Buffer {
    return this.#buf.subarray(this.#start, this.#end);
  }

  /** Take one message off the buffer if it is complete; false when more bytes are needed. */
  #next(out: Array<SipMessage | SipParseError>): boolean {
    const limits = this.#limits;
    if (this.#head === undefined) {
      if (!this.#skipKeepAlives()) return false;
      const pending = this.#pending();
      const bodyStart = findBodyStart(pending, this.#searched);
      if (bodyStart === -1) {
        if (pending.length > limits.maxMessageSize) this.#fatal("too-large", `header section exceeds ${limits.maxMessageSize} bytes`);
        this.#searched = Math.max(0, pending.length - 2);
        return false;
      }
      const text = pending.toString("latin1", 0, bodyStart);
      let parsed: ParsedHead | SipParseError, length: number;
      try {
        parsed = parseHead(text, limits);
        if (parsed.contentLength === undefined) this.#fatal("content-length", "Content-Length is required on a stream", "Content-Length", text);
        length = parsed.contentLength;
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
        if (e.request === undefined) salvage(e, text, limits);
        if (e.code === "content-length") throw e;
        // The message is bad but may still be framed: skip it if its length can be found.
        const found = contentLengthOf(text);
        if (found === undefined) throw e;
        parsed = e;
        length = found;
      }
      if (bodyStart + length > limits.maxMessageSize) {
        this.#fatal("too-large", `message of ${bodyStart + length} bytes exceeds the limit of ${limits.maxMessageSize}`, undefined, text);
      }
      this.#head = { parsed, text, bodyStart, length };
    }
    const { parsed, text, bodyStart, length } = this.#head;
    const end = bodyStart + length;
    if (this.buffered < end) return false;
    const body = length === 0 ? EMPTY_BODY : ownBytes(this.#buf.subarray(this.#start + bodyStart, this.#start + end));
    this.#start += end;
    this.#head = undefined;
    this.#searched = 0;
    if (parsed instanceof SipParseError) out.push(parsed);
    else {
      try {
        out.push(finishMessage(parsed.message, body));
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
        salvage(e, text, limits);
        out.push(e);
      }
    }
    return true;
  }

  /** Drop CR/LF before a message, reporting each double CRLF as a ping; false if nothing else is buffered. */
  #skipKeepAlives(): boolean {
    const buf = this.#buf;
    let i = this.#start;
    while (i < this.#end && (buf[i] === CR || buf[i] === LF)) {
      if (buf[i] === LF && ++this.#crlfRun === 2) {
        this.#crlfRun = 0;
        this.#onPing?.();
      }
      i++;
    }
    if (i > this.#start) {
      this.#start = i;
      this.#searched = 0;
    }
    if (this.#start === this.#end) return false;
    this.#crlfRun = 0;
    return true;
  }

  #fatal(code: "too-large" | "content-length", reason: string, header?: string, text?: string): never {
    const e = new SipParseError(code, reason, header);
    const pending = this.#pending();
    salvage(e, text ?? pending.toString("latin1", 0, Math.min(pending.length, this.#limits.maxMessageSize)), this.#limits);
    throw e;
  }
}

/** The Content-Length of a header section that failed to parse, if it states exactly one valid value. */
function contentLengthOf(text: string): number | undefined {
  let found: number | undefined;
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0 || knownHeader(trimWhite(line.slice(0, colon)))?.key !== "content-length") continue;
    const n = parseDecimal(trimWhite(line.slice(colon + 1).replace(/\r$/, "")), 10);
    if (Number.isNaN(n) || (found !== undefined && found !== n)) return undefined;
    found = n;
  }
  return found;
}
