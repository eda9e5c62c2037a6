/**
 * The binary form of an event record, shared by the embedded log, Kafka and worker
 * threads. A record is two msgpack blobs: a small envelope (where the event belongs:
 * offset, type, stream, sequence, time, timers...) and a body (input, state,
 * outputs). Readers that only route or fold (recovery, `replay --until`, Kafka keys)
 * decode the envelope; the body is decoded, and checked against the catalogue, the
 * first time it is read.
 *
 *   payload = [u32 envelope length][envelope][body]
 */
import { Packr } from "msgpackr";
import { lookupEventType, knownVersions, type CompiledEventType } from "./catalogue/index.js";
import { EventLogError } from "./log.js";
import type { ActorKind, ActorState, EventRecord, Input, Output } from "./record.js";

const FORMAT = 2;
const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });

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
  const body = packr.pack([r.input, r.state, r.outputs]);
  const payloadLength = 4 + envelope.length + body.length;
  const out = Buffer.allocUnsafe(FRAME_HEADER + payloadLength);
  out.writeUInt32LE(payloadLength, 0);
  out.writeUInt32LE(envelope.length, FRAME_HEADER);
  out.set(envelope, FRAME_HEADER + 4);
  out.set(body, FRAME_HEADER + 4 + envelope.length);
  out.writeUInt32LE(crc ? crc(out.subarray(FRAME_HEADER)) : 0, 4);
  return out;
}

/** The record's payload alone (what Kafka messages and worker threads carry); a stored record gives its own bytes back. */
export function encodeRecord(r: EventRecord): Buffer {
  return (r instanceof StoredRecord ? r.payload() : undefined) ?? encodeFrame(r).subarray(FRAME_HEADER);
}

function fail(offset: number | undefined, reason: string): never {
  throw new EventLogError(offset === undefined ? `bad event record: ${reason}` : `bad event record at offset ${offset}: ${reason}`, offset);
}

/** A record read from storage: envelope fields decoded, body decoded on first use. */
export class StoredRecord implements EventRecord {
  private decoded?: [Input, ActorState, Output[]];

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
    let b: unknown;
    try {
      b = packr.unpack(this.source as Buffer, { start: this.bodyStart, end: this.bodyEnd });
    } catch (e) {
      fail(this.offset, `undecodable body (${(e as Error).message})`);
    }
    if (!Array.isArray(b) || b.length !== 3) fail(this.offset, "body is not [input, state, outputs]");
    const [input, state, outputs] = b as [Input, ActorState, Output[]];
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
  if (format !== FORMAT) fail(expectedOffset, `unknown record format ${format}`);
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
  let a: unknown;
  try {
    a = packr.unpack(bytes as Buffer, { start: start + 4, end: bodyStart });
  } catch (e) {
    fail(expectedOffset, `undecodable (${(e as Error).message})`);
  }
  if (!Array.isArray(a) || a.length !== 12) fail(expectedOffset, "not an event record");
  const [format, offset, type, v, stream, kind, linkedid, seq, time, done, timers, draws] = a;
  if (format !== FORMAT) fail(expectedOffset, `unknown record format ${String(format)}`);
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
