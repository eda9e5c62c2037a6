/**
 * SIP requests and responses: a start line, an ordered list of header fields and a
 * body kept as bytes. Header values are byte strings (latin1, one character per wire
 * byte) so that any input, valid UTF-8 or not, survives a round trip unchanged.
 *
 * Values are parsed lazily: the parser checks the headers every layer relies on
 * (top Via, From, To, Call-ID, CSeq, whose parsed forms are cached), anything else,
 * the Request-URI included, is parsed when asked for, and an accessor that meets a
 * malformed value throws SipParseError (`invalid-header`, `invalid-uri`).
 */
import { SipParseError } from "./errors.js";
import { ListKind, canonicalHeaderName, headerKey, knownHeader, listKind } from "./header-names.js";
import { type CSeq, parseCSeq } from "./cseq.js";
import { type NameAddr, parseNameAddr } from "./name-addr.js";
import { isToken, parseDecimal, splitList, trimWhite } from "./text.js";
import { type SipUri, parseUri } from "./uri.js";
import { type Via, parseVia } from "./via.js";

/** One header field. `key` is the lowercase canonical name used for comparison. */
export interface HeaderField {
  readonly name: string;
  readonly key: string;
  readonly value: string;
}

export const EMPTY_BODY: Buffer = Buffer.alloc(0);

/** Header values may not hold CR or LF (header injection) nor characters above 0xFF (not bytes). */
const UNSAFE_VALUE = /[\r\n\u0100-\uffff]/;

/** A header field for `name`, with the name made canonical (`i` → `Call-ID`). Throws TypeError on a bad name or value. */
export function header(name: string, value: string): HeaderField {
  const known = knownHeader(name);
  if (known) return checkedField(known.name, known.key, value);
  if (!isToken(name)) throw new TypeError(`invalid SIP header name ${JSON.stringify(name)}`);
  return checkedField(name, name.toLowerCase(), value);
}

function checkedField(name: string, key: string, value: string): HeaderField {
  if (UNSAFE_VALUE.test(value)) {
    throw new TypeError(`${name} value must be a byte string without CR or LF (use utf8ToBytes for text): ${JSON.stringify(value.slice(0, 60))}`);
  }
  return { name, key, value };
}

/** Text (any Unicode) as the byte string of its UTF-8 encoding, for use in a header value. */
export function utf8ToBytes(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/**
 * Bytes (a latin1 byte string, or a copy of `source`) in a Buffer of their own, for a body
 * kept as long as its call: a small Buffer is otherwise a slice of Node's shared 8 KiB pool,
 * and keeping it keeps the whole slab.
 */
export function ownBytes(source: string | Uint8Array): Buffer {
  const out = Buffer.allocUnsafeSlow(source.length);
  if (typeof source === "string") out.write(source, 0, "latin1");
  else out.set(source);
  return out;
}

/**
 * A byte string as a string of its own. Keys and tags are cut from a received message's text
 * (or joined from such cuts), and V8 keeps that whole text alive as long as any cut of it
 * lives: something kept 32 s for a transaction's timers would keep the message's head.
 */
export function ownString(s: string): string {
  return Buffer.from(s, "latin1").toString("latin1");
}

/** A header byte string read as UTF-8 (invalid sequences become U+FFFD). */
export function bytesToUtf8(bytes: string): string {
  return Buffer.from(bytes, "latin1").toString("utf8");
}

abstract class SipMessageBase {
  #fields: HeaderField[];
  /** The body bytes. Content-Length is written from its length. */
  body: Buffer;
  #from: NameAddr | undefined;
  #to: NameAddr | undefined;
  #cseq: CSeq | undefined;
  #via: Via | undefined;

  constructor(fields: HeaderField[], body: Buffer) {
    this.#fields = fields;
    this.body = body;
  }

  /** The start line without its CRLF. */
  abstract startLine(): string;

  /** Every header field in order. Change them with set/add/prepend/remove. */
  get headerFields(): readonly HeaderField[] {
    return this.#fields;
  }

  /** The first field of a header, as stored (a token list such as Allow comes back as one string). */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this.#fields) if (f.key === key) return f.value;
    return undefined;
  }

  /** Every value of a header, whether sent on separate lines or comma-separated. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    const split = listKind(key) === ListKind.Other;
    for (const f of this.#fields) {
      if (f.key !== key) continue;
      if (split) out.push(...splitList(f.value));
      else out.push(f.value);
    }
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Number of fields of a header (each Via value counts as one). */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const f of this.#fields) if (f.key === key) n++;
    return n;
  }

  /** Replace every field of a header with `value` (or several), where the first one was; append if absent. */
  set(name: string, value: string | readonly string[]): this {
    const added = this.#make(name, value);
    const key = added.length > 0 ? added[0].key : headerKey(name);
    const at = this.#fields.findIndex((f) => f.key === key);
    this.#fields = this.#fields.filter((f) => f.key !== key);
    this.#fields.splice(at === -1 ? this.#fields.length : at, 0, ...added);
    this.#invalidate(key);
    return this;
  }

  /** Append a field (or several) at the end. */
  add(name: string, value: string | readonly string[]): this {
    const added = this.#make(name, value);
    this.#fields.push(...added);
    if (added.length > 0) this.#invalidate(added[0].key);
    return this;
  }

  /** Insert before the first field of the same header, or at the top (a proxy's Via, Record-Route). */
  prepend(name: string, value: string | readonly string[]): this {
    const added = this.#make(name, value);
    if (added.length === 0) return this;
    const key = added[0].key;
    const at = this.#fields.findIndex((f) => f.key === key);
    this.#fields.splice(at === -1 ? 0 : at, 0, ...added);
    this.#invalidate(key);
    return this;
  }

  /** Remove every field of a header; returns how many were removed. */
  remove(name: string): number {
    const key = headerKey(name);
    const before = this.#fields.length;
    this.#fields = this.#fields.filter((f) => f.key !== key);
    this.#invalidate(key);
    return before - this.#fields.length;
  }

  /** Remove and return the first field of a header (the top Via of a response, a consumed Route). */
  removeFirst(name: string): string | undefined {
    const key = headerKey(name);
    const at = this.#fields.findIndex((f) => f.key === key);
    if (at === -1) return undefined;
    const [field] = this.#fields.splice(at, 1);
    this.#invalidate(key);
    return field.value;
  }

  #make(name: string, value: string | readonly string[]): HeaderField[] {
    const values = typeof value === "string" ? [value] : value;
    const out: HeaderField[] = [];
    for (const v of values) {
      const field = header(name, v);
      if (listKind(field.key) === ListKind.Address && v.indexOf(",") !== -1) {
        for (const item of splitList(v)) out.push({ name: field.name, key: field.key, value: item });
      } else out.push(field);
    }
    return out;
  }

  #invalidate(key: string): void {
    if (key === "from") this.#from = undefined;
    else if (key === "to") this.#to = undefined;
    else if (key === "cseq") this.#cseq = undefined;
    else if (key === "via") this.#via = undefined;
  }

  /** The first value of a header given by its key (no name lookup: the getters below are hot). */
  #required(key: string, name: string): string {
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i++) if (fields[i].key === key) return fields[i].value;
    throw new SipParseError("missing-header", `missing ${name} header`, name);
  }

  /** Call-ID; throws `missing-header` if absent. */
  get callId(): string {
    const value = this.#required("call-id", "Call-ID");
    if (value === "") throw new SipParseError("invalid-header", "empty Call-ID", "Call-ID");
    return value;
  }

  get cseq(): CSeq {
    if (this.#cseq === undefined) this.#cseq = parseCSeq(this.#required("cseq", "CSeq"));
    return this.#cseq;
  }

  get from(): NameAddr {
    if (this.#from === undefined) this.#from = parseNameAddr(this.#required("from", "From"), "From");
    return this.#from;
  }

  get to(): NameAddr {
    if (this.#to === undefined) this.#to = parseNameAddr(this.#required("to", "To"), "To");
    return this.#to;
  }

  get fromTag(): string | undefined {
    return this.from.params.get("tag") ?? undefined;
  }

  get toTag(): string | undefined {
    return this.to.params.get("tag") ?? undefined;
  }

  /** The top Via. */
  get via(): Via {
    if (this.#via === undefined) this.#via = parseVia(this.#required("via", "Via"));
    return this.#via;
  }

  /** Every Via, top first. */
  vias(): Via[] {
    return this.getAll("Via").map((v) => parseVia(v));
  }

  /** Contact values, or `"*"` for the wildcard of an unregister-all REGISTER. */
  contacts(): NameAddr[] | "*" {
    const values = this.getAll("Contact");
    if (values.length === 1 && values[0] === "*") return "*";
    if (values.includes("*")) throw new SipParseError("invalid-header", "'*' mixed with other contacts", "Contact");
    return values.map((v) => parseNameAddr(v, "Contact"));
  }

  routes(): NameAddr[] {
    return this.getAll("Route").map((v) => parseNameAddr(v, "Route"));
  }

  recordRoutes(): NameAddr[] {
    return this.getAll("Record-Route").map((v) => parseNameAddr(v, "Record-Route"));
  }

  /** A header holding a single non-negative integer (Expires, Max-Forwards, Min-Expires...). */
  integer(name: string): number | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    const n = parseDecimal(trimWhite(value), 10);
    if (!(n <= 0xffffffff)) throw new SipParseError("invalid-header", `'${value.slice(0, 40)}' is not an integer`, canonicalHeaderName(name));
    return n;
  }

  get expires(): number | undefined {
    return this.integer("Expires");
  }

  get maxForwards(): number | undefined {
    return this.integer("Max-Forwards");
  }

  get contentType(): string | undefined {
    return this.get("Content-Type");
  }
}

export class SipRequest extends SipMessageBase {
  readonly method: string;
  #uri: string;
  #requestUri: SipUri | undefined;

  /**
   * A request. `fields` are taken as they are: build them with `header()` (or use
   * `add`/`set`), which guard against header injection.
   */
  constructor(method: string, uri: string, fields: HeaderField[] = [], body: Buffer = EMPTY_BODY) {
    super(fields, body);
    if (!isToken(method)) throw new TypeError(`invalid SIP method ${JSON.stringify(method)}`);
    this.method = method;
    this.#uri = SipRequest.#checkUri(uri);
  }

  static #checkUri(uri: string): string {
    if (uri === "" || /[\x00-\x20\x7f\u0100-\uffff]/.test(uri)) throw new TypeError(`invalid Request-URI ${JSON.stringify(uri)}`);
    return uri;
  }

  get isRequest(): true {
    return true;
  }

  /** The Request-URI as written. */
  get uri(): string {
    return this.#uri;
  }

  set uri(value: string) {
    this.#uri = SipRequest.#checkUri(value);
    this.#requestUri = undefined;
  }

  /**
   * The Request-URI parsed (on first use: a UAS reads it first thing). Throws
   * SipParseError `invalid-uri` for a malformed URI (answer 400) and
   * `unsupported-uri-scheme` for a well-formed URI of another scheme (answer 416).
   */
  get requestUri(): SipUri {
    if (this.#requestUri === undefined) this.#requestUri = parseUri(this.#uri);
    return this.#requestUri;
  }

  startLine(): string {
    return this.method + " " + this.#uri + " SIP/2.0";
  }
}

export class SipResponse extends SipMessageBase {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, fields: HeaderField[] = [], body: Buffer = EMPTY_BODY) {
    super(fields, body);
    if (!Number.isInteger(status) || status < 100 || status > 699) throw new TypeError(`invalid SIP status ${status}`);
    if (/[\r\n\u0100-\uffff]/.test(reason)) throw new TypeError(`invalid reason phrase ${JSON.stringify(reason)}`);
    this.status = status;
    this.reason = reason;
  }

  get isRequest(): false {
    return false;
  }

  startLine(): string {
    return "SIP/2.0 " + this.status + " " + this.reason;
  }
}

export type SipMessage = SipRequest | SipResponse;
