/**
 * The binary form of an event record, shared by the embedded log, Kafka and worker
 * threads. A record is two msgpack blobs: a small envelope (where the event belongs:
 * offset, type, stream, sequence, time, timers...) and a body (input, state,
 * outputs). Readers that only route or fold (recovery, `replay --until`, Kafka keys)
 * decode the envelope; the body is decoded, and checked against the catalogue, the
 * first time it is read.
 *
 *   payload = [u32 envelope length][envelope][body]
 *
 * Formats (the envelope's first field). Both are read; format 3 is written.
 * - 2: body = [input, state, outputs], each as plain msgpack maps and arrays.
 * - 3: the same, except that the state of an event type with a context layout
 *   (channel and bridge transitions: the records a log is mostly made of) is written
 *   compactly as `[layout, value, done, mask, ...values, rest]`: the context's known
 *   keys are not written at all, only the values of those present (bit i of `mask`:
 *   key i of the layout is there), in the layout's order; keys the layout does not
 *   know go in `rest` (a map, or nil). Caller-id pairs `{num, name}` are written as
 *   `[num, name]`. A state that does not fit (a context that is not a plain object,
 *   a key of another kind...) is written as a map, as in format 2 (a state is never
 *   an array, so the two cannot be confused). Decoding builds each context with a
 *   function made once per layout and mask: about 3x faster than reading the map,
 *   and the body is half the size.
 * Layouts are part of the format: a layout's key list never changes once written
 * (a new key for a context goes to `rest` until a new layout id is added).
 */
import { Packr } from "msgpackr";
import { lookupEventType, knownVersions, type CompiledEventType } from "./catalogue/index.js";
import { EventLogError } from "./log.js";
import { GIVE_UP, intern, peekInputType, read as readBody, readFirst } from "./body-reader.js";
import type { ActorKind, ActorState, EventRecord, Input, Output } from "./record.js";

/** The format written. */
const FORMAT = 3;
/** The oldest format still read (see the header). */
const OLDEST_FORMAT = 2;
const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });

/**
 * Context layouts (format 3), by id. Append only: the key list of an id is fixed for
 * ever, because records name their layout by id. At most 31 keys (the mask is an int).
 */
interface Layout {
  readonly keys: readonly string[];
  /** Keys whose values are caller-id pairs `{num, name}`, written `[num, name]`. */
  readonly pairs: readonly string[];
}
const LAYOUTS: readonly (Layout | undefined)[] = [
  undefined,
  { // 1: channel.transition
    keys: [
      "name", "uniqueid", "linkedid", "tech", "direction", "endpoint", "callerId", "connected", "dnid", "ani", "rdnis",
      "context", "exten", "priority", "app", "appData", "accountcode", "peeraccount", "amaflags", "userfield", "vars",
      "createdAt", "answeredAt", "hungupAt", "hangupCause", "hangupSource", "dialStatus", "parent", "peer", "bridge",
    ],
    pairs: ["callerId", "connected"],
  },
  { // 2: bridge.transition
    keys: ["id", "technology", "name", "channels", "createdAt", "entered"],
    pairs: [],
  },
  { // 3: queue.transition
    keys: [
      "name", "strategy", "servicelevel", "maxlen", "weight", "callers", "rrpos", "selection", "completed", "abandoned",
      "completedInSl", "holdtimeTotal", "talktimeTotal", "connected",
    ],
    pairs: [],
  },
  { // 4: queue-member.transition
    keys: [
      "queue", "interface", "name", "stateInterface", "penalty", "dynamic", "paused", "reason", "addedAt", "lastPause",
      "callsTaken", "lastCall", "call", "leaving", "ringinuse", "wrapuptime", "wrapupUntil",
    ],
    pairs: [],
  },
];
/** Which layout an event type's context is written with. */
const LAYOUT_OF: ReadonlyMap<string, number> = new Map([
  ["channel.transition", 1], ["bridge.transition", 2], ["queue.transition", 3], ["queue-member.transition", 4],
]);

interface CompiledLayout {
  readonly id: number;
  readonly keys: readonly string[];
  /** Key → bit. */
  readonly index: ReadonlyMap<string, number>;
  /** Bits of the pair keys. */
  readonly pairMask: number;
  /** Context builders by mask (made on first use). */
  readonly builders: Map<number, (a: readonly unknown[], at: number) => Record<string, unknown>>;
}
const compiledLayouts: readonly (CompiledLayout | undefined)[] = LAYOUTS.map((l, id) => l && {
  id, keys: l.keys, index: new Map(l.keys.map((k, i) => [k, i])),
  pairMask: l.pairs.reduce((m, k) => m | (1 << l.keys.indexOf(k)), 0), builders: new Map(),
});
const MAX_BUILDERS = 4096;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** A caller-id pair that `[num, name]` gives back exactly. */
const isPair = (v: unknown): v is { num: string; name: string } => {
  if (!isPlainObject(v)) return false;
  let n = 0;
  for (const k in v) { if (k !== "num" && k !== "name") return false; n++; }
  return n === 2 && typeof v.num === "string" && typeof v.name === "string";
};

const slots: unknown[] = [];

/** The state as format 3 writes it: compact when its type has a layout and it fits, else as it is. */
function compactState(type: string, state: ActorState): unknown {
  const id = LAYOUT_OF.get(type);
  if (id === undefined || !isPlainObject(state)) return state;
  const ctx = state.context;
  if (!isPlainObject(ctx)) return state;
  for (const k in state) if (k !== "value" && k !== "context" && k !== "done") return state;
  const done = state.done;
  if (done !== undefined && typeof done !== "boolean") return state;
  const layout = compiledLayouts[id]!;
  let mask = 0, rest: Record<string, unknown> | null = null;
  for (const k in ctx) {
    const i = layout.index.get(k);
    if (i === undefined) { (rest ??= {})[k] = ctx[k]; continue; }
    let v = ctx[k];
    if ((layout.pairMask >>> i) & 1) {
      if (isPair(v)) v = [v.num, v.name];
      else if (Array.isArray(v)) return state; // would read back as a pair
    }
    mask |= 1 << i;
    slots[i] = v;
  }
  const out: unknown[] = [id, state.value, done ?? null, mask];
  for (let i = 0, m = mask; m !== 0; i++, m >>>= 1) if (m & 1) { out.push(slots[i]); slots[i] = undefined; }
  out.push(rest);
  return out;
}

/** A function that builds the context of `mask` from `a[at...]` as one object literal (what makes decoding fast). */
function builder(layout: CompiledLayout, mask: number): (a: readonly unknown[], at: number) => Record<string, unknown> {
  let b = layout.builders.get(mask);
  if (b) return b;
  const fields: string[] = [];
  let j = 0;
  for (let i = 0; i < layout.keys.length; i++) {
    if (!((mask >>> i) & 1)) continue;
    const v = `a[at + ${j++}]`;
    fields.push(`${JSON.stringify(layout.keys[i])}: ${(layout.pairMask >>> i) & 1 ? `pair(${v})` : v}`);
  }
  // Keys come from the fixed layouts above, never from the data.
  const make = new Function("pair", `return function (a, at) { return { ${fields.join(", ")} }; };`) as
    (pair: (v: unknown) => unknown) => (a: readonly unknown[], at: number) => Record<string, unknown>;
  b = make(expandPair);
  if (layout.builders.size < MAX_BUILDERS) layout.builders.set(mask, b);
  return b;
}

const expandPair = (v: unknown): unknown => (Array.isArray(v) ? { num: v[0], name: v[1] } : v);

/** A format 3 compact state back as `{value, context, done?}`; undefined when it is malformed. */
function expandState(a: readonly unknown[]): ActorState | undefined {
  const layout = typeof a[0] === "number" ? compiledLayouts[a[0]] : undefined;
  const mask = a[3];
  if (!layout || typeof mask !== "number" || !Number.isInteger(mask) || mask < 0 || mask >>> layout.keys.length !== 0) return undefined;
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  if (a.length !== 5 + n) return undefined;
  const done = a[2], rest = a[4 + n];
  if (done !== null && typeof done !== "boolean") return undefined;
  if (rest !== null && !isPlainObject(rest)) return undefined;
  const context = builder(layout, mask)(a, 4);
  if (rest) for (const k of Object.keys(rest)) context[k] = rest[k];
  return done === null ? { value: a[1], context } : { value: a[1], context, done };
}

/** Bytes before the payload in a stored frame: `[u32 payload length][u32 crc32 of payload]`. */
export const FRAME_HEADER = 8;

/**
 * Encode a record as a storage frame, header space included; `crc` fills in the
 * checksum (the embedded log frames, Kafka sends `frame.subarray(FRAME_HEADER)`).
 */
export function encodeFrame(r: EventRecord, crc?: (payload: Buffer) => number): Buffer {
  const envelope = packr.pack([
    FORMAT, r.offset, r.type, r.v, r.stream, r.kind, r.linkedid ?? null, r.seq, r.time,
    r.state.done === true, r.timers ?? null, r.draws ?? null,
  ]);
  const body = packr.pack([r.input, compactState(r.type, r.state), r.outputs]);
  const payloadLength = 4 + envelope.length + body.length;
  const out = Buffer.allocUnsafe(FRAME_HEADER + payloadLength);
  out.writeUInt32LE(payloadLength, 0);
  out.writeUInt32LE(envelope.length, FRAME_HEADER);
  out.set(envelope, FRAME_HEADER + 4);
  out.set(body, FRAME_HEADER + 4 + envelope.length);
  out.writeUInt32LE(crc ? crc(out.subarray(FRAME_HEADER)) : 0, 4);
  return out;
}

/**
 * Payloads of records the embedded log has just framed (`rememberPayload`): the Kafka
 * shipper reads fresh records from the log's memory, and sends these bytes instead of
 * encoding each record a second time. Weak: an entry goes with its record.
 */
const framed = new WeakMap<EventRecord, Buffer>();

/** Remember `frame` (from encodeFrame) as the bytes of `r`, which must not change afterwards. */
export function rememberPayload(r: EventRecord, frame: Buffer): void {
  framed.set(r, frame.subarray(FRAME_HEADER));
}

/** The record's payload alone (what Kafka messages and worker threads carry); a stored or just framed record gives its own bytes back. */
export function encodeRecord(r: EventRecord): Buffer {
  return (r instanceof StoredRecord ? r.payload() : framed.get(r)) ?? encodeFrame(r).subarray(FRAME_HEADER);
}

function fail(offset: number | undefined, reason: string): never {
  throw new EventLogError(offset === undefined ? `bad event record: ${reason}` : `bad event record at offset ${offset}: ${reason}`, offset);
}

const unknownFormat = (format: unknown): string =>
  `unknown record format ${String(format)} (this build reads formats ${OLDEST_FORMAT} to ${FORMAT}${typeof format === "number" && format > FORMAT ? "; the log was written by a newer Recall" : ""})`;

/** A record read from storage: envelope fields decoded, body decoded on first use. */
export class StoredRecord implements EventRecord {
  private decoded?: [Input, ActorState, Output[]];
  /** The input read alone (inputOnly), before the whole body is. */
  private firstInput?: Input;

  constructor(
    readonly offset: number,
    readonly type: string,
    readonly v: number,
    readonly stream: string,
    readonly kind: ActorKind,
    readonly linkedid: string | undefined,
    readonly seq: number,
    readonly time: number,
    readonly done: boolean,
    readonly timers: Readonly<Record<string, number>> | undefined,
    readonly draws: readonly number[] | undefined,
    private readonly def: CompiledEventType,
    private readonly validate: boolean,
    /** The undecoded body: `source[bodyStart, bodyEnd)`. */
    private readonly source: Uint8Array,
    private readonly bodyStart: number,
    private readonly bodyEnd: number,
    /** Where the whole payload starts in `source` (-1: only the body is kept). */
    private readonly payloadStart = -1,
  ) {}

  /** The payload bytes this record was decoded from, unless only its body was kept. */
  payload(): Buffer | undefined {
    if (this.payloadStart < 0) return undefined;
    const s = this.source;
    return Buffer.from(s.buffer, s.byteOffset + this.payloadStart, this.bodyEnd - this.payloadStart);
  }

  get input(): Input { return this.body()[0]; }

  /**
   * The input alone, without decoding the state and outputs after it: a fold that needs
   * the state of few records (queue_log needs it of joins and membership changes, not of
   * the selects and calls that make most queue records) reads the input first and the
   * whole body only when it must. Falls back to the whole body when the fast reader
   * cannot read it.
   */
  /** The input's `type`, read without decoding the body (undefined: decode it to know). */
  inputType(): string | undefined {
    if (this.decoded) return this.decoded[0].type;
    if (this.firstInput) return this.firstInput.type;
    const s = this.source;
    return peekInputType(Buffer.isBuffer(s) ? s : Buffer.from(s.buffer, s.byteOffset, s.byteLength), this.bodyStart, this.bodyEnd);
  }

  inputOnly(): Input {
    if (this.decoded) return this.decoded[0];
    if (this.firstInput) return this.firstInput;
    const s = this.source;
    const input = readFirst(Buffer.isBuffer(s) ? s : Buffer.from(s.buffer, s.byteOffset, s.byteLength), this.bodyStart, this.bodyEnd);
    if (input === GIVE_UP || typeof input !== "object" || input === null) return this.body()[0];
    if (this.validate && !this.def.isInput(input)) fail(this.offset, `input does not match ${this.def.type} v${this.def.v}`);
    return (this.firstInput = input as Input);
  }
  get state(): ActorState { return this.body()[1]; }
  get outputs(): Output[] { return this.body()[2]; }

  /**
   * The same record holding its own copy of the undecoded body, so keeping it does not
   * keep alive the read buffer it came from.
   */
  detach(): StoredRecord {
    if (this.decoded || (this.bodyStart === 0 && this.bodyEnd === this.source.length)) return this;
    const own = Buffer.from(this.source.subarray(this.bodyStart, this.bodyEnd));
    return new StoredRecord(
      this.offset, this.type, this.v, this.stream, this.kind, this.linkedid, this.seq, this.time, this.done,
      this.timers, this.draws, this.def, this.validate, own, 0, own.length,
    );
  }

  private body(): [Input, ActorState, Output[]] {
    if (this.decoded) return this.decoded;
    const s = this.source;
    let b = readBody(Buffer.isBuffer(s) ? s : Buffer.from(s.buffer, s.byteOffset, s.byteLength), this.bodyStart, this.bodyEnd);
    if (b === GIVE_UP) {
      try {
        b = packr.unpack(s as Buffer, { start: this.bodyStart, end: this.bodyEnd });
      } catch (e) {
        fail(this.offset, `undecodable body (${(e as Error).message})`);
      }
    }
    if (!Array.isArray(b) || b.length !== 3) fail(this.offset, "body is not [input, state, outputs]");
    const [input, stored, outputs] = b as [Input, ActorState | unknown[], Output[]];
    const state = Array.isArray(stored) ? expandState(stored) : stored;
    if (!state) fail(this.offset, "malformed compact state");
    if (!Array.isArray(outputs)) fail(this.offset, "outputs is not a list");
    if (this.validate) {
      const { type, v } = this.def;
      if (!this.def.isInput(input)) fail(this.offset, `input does not match ${type} v${v}`);
      if (!this.def.isState(state)) fail(this.offset, `state does not match ${type} v${v}`);
      for (const o of outputs) if (!this.def.isOutput(o)) fail(this.offset, `output does not match ${type} v${v}`);
    }
    this.decoded = [input, state, outputs];
    return this.decoded;
  }

  /** A plain object copy, body included (decodes it). */
  toJSON(): EventRecord {
    return {
      offset: this.offset, type: this.type, v: this.v, stream: this.stream, kind: this.kind, seq: this.seq, time: this.time,
      input: this.input, state: this.state, outputs: this.outputs,
      ...(this.linkedid !== undefined ? { linkedid: this.linkedid } : {}),
      ...(this.draws !== undefined ? { draws: this.draws } : {}),
      ...(this.timers !== undefined ? { timers: this.timers } : {}),
    };
  }
}

/** Whether the actor ended with this record, read without decoding a stored body. */
/** What folding needs of a record: where it is, whose it is, when, and whether the actor ended. */
export interface Envelope {
  readonly offset: number;
  readonly stream: string;
  readonly time: number;
  readonly done: boolean;
}

/**
 * The envelope of a stored record, read straight from its msgpack bytes without
 * building the whole record: the fold over a long log (recovery, `replay --until`)
 * reads only this. Checks what decodeRecord checks up to the `done` field: format,
 * offset, a known type and version, types of the fields; the body is not read.
 */
export function decodeEnvelope(bytes: Buffer, expectedOffset: number, start: number, end: number): Envelope {
  const r = new EnvelopeReader(bytes, start + 4, end, expectedOffset);
  const envLength = bytes[start] | (bytes[start + 1] << 8) | (bytes[start + 2] << 16) | (bytes[start + 3] << 24);
  if (end - start < 4 || envLength <= 0 || start + 4 + envLength > end) fail(expectedOffset, "bad envelope length");
  if (r.arrayLength() !== 12) fail(expectedOffset, "not an event record");
  const format = r.number();
  if (format !== FORMAT && format !== OLDEST_FORMAT) fail(expectedOffset, unknownFormat(format));
  const offset = r.number();
  if (offset !== expectedOffset) fail(expectedOffset, `record claims offset ${offset}`);
  const type = r.string(), v = r.number();
  const def = lookupEventType(type, v);
  if (!def) {
    const versions = knownVersions(type);
    fail(offset, versions.length ? `unknown version ${v} of event type ${type} (known: ${versions.join(", ")})` : `unknown event type ${type}`);
  }
  const stream = r.string();
  if (!stream) fail(offset, "stream missing");
  if (r.string() !== def.kind) fail(offset, `kind does not match ${type}`);
  r.skipNilOrString(); // linkedid
  r.number(); // seq
  const time = r.number();
  const done = r.bool();
  return { offset, stream, time, done };
}

/** Just enough of msgpack to walk an envelope: numbers, strings, nil and booleans. */
class EnvelopeReader {
  constructor(private readonly b: Buffer, private pos: number, private readonly end: number, private readonly at: number) {}

  private byte(): number {
    if (this.pos >= this.end) fail(this.at, "envelope cut short");
    return this.b[this.pos++];
  }

  arrayLength(): number {
    const t = this.byte();
    if (t >= 0x90 && t <= 0x9f) return t & 0x0f;
    if (t === 0xdc) { const n = this.b.readUInt16BE(this.pos); this.pos += 2; return n; }
    return -1;
  }

  number(): number {
    const b = this.b, t = this.byte();
    let v: number;
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    switch (t) {
      case 0xcc: v = b[this.pos]; this.pos += 1; return v;
      case 0xcd: v = b.readUInt16BE(this.pos); this.pos += 2; return v;
      case 0xce: v = b.readUInt32BE(this.pos); this.pos += 4; return v;
      case 0xcf: v = Number(b.readBigUInt64BE(this.pos)); this.pos += 8; return v;
      case 0xd0: v = b.readInt8(this.pos); this.pos += 1; return v;
      case 0xd1: v = b.readInt16BE(this.pos); this.pos += 2; return v;
      case 0xd2: v = b.readInt32BE(this.pos); this.pos += 4; return v;
      case 0xd3: v = Number(b.readBigInt64BE(this.pos)); this.pos += 8; return v;
      case 0xca: v = b.readFloatBE(this.pos); this.pos += 4; return v;
      case 0xcb: v = b.readDoubleBE(this.pos); this.pos += 8; return v;
      default: return fail(this.at, "a number field is not a number");
    }
  }

  string(): string {
    const t = this.byte();
    let n: number;
    if (t >= 0xa0 && t <= 0xbf) n = t & 0x1f;
    else if (t === 0xd9) n = this.b[this.pos++];
    else if (t === 0xda) { n = this.b.readUInt16BE(this.pos); this.pos += 2; }
    else if (t === 0xdb) { n = this.b.readUInt32BE(this.pos); this.pos += 4; }
    else return fail(this.at, "a string field is not a string");
    if (this.pos + n > this.end) fail(this.at, "envelope cut short");
    const s = this.b.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  skipNilOrString(): void {
    if (this.b[this.pos] === 0xc0) { this.pos++; return; }
    this.string();
  }

  bool(): boolean {
    const t = this.byte();
    if (t === 0xc3) return true;
    if (t === 0xc2) return false;
    return fail(this.at, "done is not a boolean");
  }
}

export const isFinal = (r: EventRecord): boolean => (r instanceof StoredRecord ? r.done : r.state.done === true);

/**
 * Decode one record. `expectedOffset` is where the reader found it: a record that
 * claims another offset is corrupt. `validate` checks the body against the
 * catalogue's schemas when it is decoded (type and version are always checked).
 * The record is `bytes[start, end)`; the bytes must not be changed afterwards (the
 * body is decoded lazily from them).
 */
export function decodeRecord(bytes: Uint8Array, expectedOffset?: number, validate = true, start = 0, end = bytes.length): StoredRecord {
  if (end - start < 4) fail(expectedOffset, "too short");
  const envLength = bytes[start] | (bytes[start + 1] << 8) | (bytes[start + 2] << 16) | (bytes[start + 3] << 24);
  const bodyStart = start + 4 + envLength;
  if (envLength <= 0 || bodyStart > end) fail(expectedOffset, "bad envelope length");
  const fast = fastRecord(bytes, expectedOffset, validate, start, bodyStart, end);
  if (fast) return fast;
  let a: unknown;
  try {
    a = packr.unpack(bytes as Buffer, { start: start + 4, end: bodyStart });
  } catch (e) {
    fail(expectedOffset, `undecodable (${(e as Error).message})`);
  }
  if (!Array.isArray(a) || a.length !== 12) fail(expectedOffset, "not an event record");
  const [format, offset, type, v, stream, kind, linkedid, seq, time, done, timers, draws] = a;
  if (format !== FORMAT && format !== OLDEST_FORMAT) fail(expectedOffset, unknownFormat(format));
  if (typeof offset !== "number") fail(expectedOffset, "offset missing");
  if (expectedOffset !== undefined && offset !== expectedOffset) fail(expectedOffset, `record claims offset ${offset}`);
  const at = offset;
  if (typeof type !== "string" || typeof v !== "number") fail(at, "type or version missing");
  const def = lookupEventType(type, v);
  if (!def) {
    const versions = knownVersions(type);
    fail(at, versions.length ? `unknown version ${v} of event type ${type} (known: ${versions.join(", ")})` : `unknown event type ${type}`);
  }
  if (typeof stream !== "string" || !stream) fail(at, "stream missing");
  if (kind !== def.kind) fail(at, `kind ${String(kind)} does not match ${type}`);
  if (typeof seq !== "number" || typeof time !== "number") fail(at, "seq or time missing");
  if (linkedid !== null && typeof linkedid !== "string") fail(at, "linkedid is not a string");
  if (timers !== null && (typeof timers !== "object" || Array.isArray(timers))) fail(at, "timers is not a map");
  if (draws !== null && !Array.isArray(draws)) fail(at, "draws is not a list");
  return new StoredRecord(
    offset, type, v, stream, kind as ActorKind, linkedid ?? undefined, seq, time, done === true,
    timers ?? undefined, draws ?? undefined, def, validate, bytes, bodyStart, end, start,
  );
}

/*
 * The fast path of decodeRecord: the usual envelope (no timers or draws, a known type)
 * read straight from its bytes, without an intermediate array, with the catalogue's
 * own strings for type and kind. Anything unusual (including every malformed record)
 * returns undefined and goes the general way, which reports it.
 */
let at = 0;

function fastNumber(b: Uint8Array): number {
  const t = b[at++];
  if (t <= 0x7f) return t;
  if (t >= 0xe0) return t - 0x100;
  let v: number;
  switch (t) {
    case 0xcc: return b[at++];
    case 0xcd: v = (b[at] << 8) | b[at + 1]; at += 2; return v;
    case 0xce: v = ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]); at += 4; return v;
    case 0xcf: {
      const hi = ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
      const lo = ((b[at + 4] << 24) >>> 0) + ((b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]);
      at += 8;
      return hi < 0x200000 ? hi * 0x100000000 + lo : NaN; // beyond 2^53: the general path
    }
    case 0xcb: // msgpackr writes integers past 32 bits (times) as doubles
      if (!Buffer.isBuffer(b)) return NaN;
      v = b.readDoubleBE(at); at += 8; return v;
    case 0xd0: v = (b[at++] << 24) >> 24; return v;
    case 0xd1: v = ((b[at] << 24) >> 16) | b[at + 1]; at += 2; return v;
    case 0xd2: v = (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]; at += 4; return v;
    default: return NaN;
  }
}

/** A string's length (its bytes start at `at`), or -1 when the next value is not a string. */
function fastStringLength(b: Uint8Array): number {
  const t = b[at++];
  if (t >= 0xa0 && t <= 0xbf) return t & 0x1f;
  if (t === 0xd9) return b[at++];
  if (t === 0xda) { const n = (b[at] << 8) | b[at + 1]; at += 2; return n; }
  return -1;
}

/** Whether the bytes are the ASCII string `s` (a string with other characters never matches). */
function sameBytes(b: Uint8Array, from: number, n: number, s: string): boolean {
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) { const c = s.charCodeAt(i); if (c >= 0x80 || b[from + i] !== c) return false; }
  return true;
}

const buffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const text = (b: Uint8Array, from: number, n: number): string => buffer(b).toString("utf8", from, from + n);

/** Recent types, so the common ones are matched by their bytes and not decoded. */
const recentTypes: string[] = [];

function fastRecord(b: Uint8Array, expectedOffset: number | undefined, validate: boolean, start: number, bodyStart: number, end: number): StoredRecord | undefined {
  at = start + 4;
  if (b[at++] !== 0x9c) return undefined; // an array of 12
  const format = b[at++];
  if (format !== FORMAT && format !== OLDEST_FORMAT) return undefined;
  const offset = fastNumber(b);
  if (Number.isNaN(offset) || (expectedOffset !== undefined && offset !== expectedOffset)) return undefined;
  let n = fastStringLength(b);
  if (n < 0) return undefined;
  let type: string | undefined;
  for (const t of recentTypes) if (sameBytes(b, at, n, t)) { type = t; break; }
  if (type === undefined) {
    type = text(b, at, n);
    recentTypes.unshift(type);
    if (recentTypes.length > 8) recentTypes.length = 8;
  }
  at += n;
  const v = fastNumber(b);
  const def = lookupEventType(type, v);
  if (!def) return undefined;
  n = fastStringLength(b);
  if (n <= 0) return undefined;
  const stream = intern(buffer(b), at, n);
  at += n;
  n = fastStringLength(b);
  if (n < 0 || !sameBytes(b, at, n, def.kind)) return undefined;
  at += n;
  let linkedid: string | undefined;
  if (b[at] === 0xc0) at++;
  else {
    n = fastStringLength(b);
    if (n < 0) return undefined;
    linkedid = intern(buffer(b), at, n);
    at += n;
  }
  const seq = fastNumber(b), time = fastNumber(b);
  if (Number.isNaN(seq) || Number.isNaN(time)) return undefined;
  const done = b[at++];
  if (done !== 0xc2 && done !== 0xc3) return undefined;
  if (b[at++] !== 0xc0 || b[at++] !== 0xc0 || at !== bodyStart) return undefined; // timers and draws: nil
  return new StoredRecord(
    offset, def.type, v, stream, def.kind, linkedid, seq, time, done === 0xc3,
    undefined, undefined, def, validate, b, bodyStart, end, start,
  );
}
