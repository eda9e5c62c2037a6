/**
 * A msgpack reader for record bodies that interns short strings by their bytes. A
 * channel's name, ids, context and caller id repeat in each of its records: found in
 * the intern table, they are not decoded again, the garbage collector has far fewer
 * strings to move, and the folds' maps and the sinks' dictionaries hash each distinct
 * string once (V8 keeps a string's hash in the string). A rebuild is about 8 % faster
 * than with msgpackr's general reader, which is as fast at decoding alone.
 *
 * It reads the same values msgpackr gives back for what bodies are made of: maps with
 * string keys, arrays, strings, numbers, nil, booleans and msgpackr's `undefined`.
 * Anything else (bin, ext, float32, 64-bit integers, a key that is not a string or is
 * `__proto__`) and anything malformed makes it give up: `read` returns GIVE_UP and the
 * caller decodes the body with msgpackr, which reads or rejects it as before.
 */

/** Returned by `read` when the bytes use something this reader leaves to msgpackr (or are malformed). */
export const GIVE_UP: unique symbol = Symbol("give up");

/** Longest string interned (bytes); longer ones are rare in bodies and decoded each time. */
const INTERN_MAX = 40;
const SLOTS = 1 << 14;
const interned: string[] = new Array(SLOTS).fill("");

const EMPTY = Buffer.alloc(0);
let b: Buffer = EMPTY;
let pos = 0;
let end = 0;
let failed = false;

/** The value at `bytes[start, stop)`, which must be exactly one value; GIVE_UP when msgpackr must read it. */
export function read(bytes: Buffer, start: number, stop: number): unknown {
  b = bytes; pos = start; end = stop; failed = false;
  const v = value();
  const ok = !failed && pos === end;
  b = EMPTY;
  return ok ? v : GIVE_UP;
}

/**
 * The first element of the array at `bytes[start, stop)` (a record body's input), the
 * rest left unread; GIVE_UP when the bytes are not an array this reader reads.
 */
export function readFirst(bytes: Buffer, start: number, stop: number): unknown {
  b = bytes; pos = start; end = stop; failed = false;
  const t = pos < end ? b[pos++] : 0;
  const n = t >= 0x90 && t <= 0x9f ? t & 0x0f : 0;
  const v = n > 0 ? value() : fail();
  const ok = !failed;
  b = EMPTY;
  return ok ? v : GIVE_UP;
}

/**
 * The `type` of the input at the head of a record body `bytes[start, stop)`, read
 * without building the input (other fields before it are skipped); undefined when the
 * input has none or the bytes are not what this reader reads.
 */
export function peekInputType(bytes: Buffer, start: number, stop: number): string | undefined {
  b = bytes; pos = start; end = stop; failed = false;
  let found: string | undefined;
  const t = pos < end ? b[pos++] : 0;
  if (t >= 0x90 && t <= 0x9f && (t & 0x0f) > 0 && pos < end) {
    const m = b[pos++];
    // msgpackr writes a map16 header even for small maps.
    const n = m >= 0x80 && m <= 0x8f ? m & 0x0f : m === 0xde && pos + 2 <= end ? (pos += 2, (b[pos - 2] << 8) | b[pos - 1]) : -1;
    for (let i = 0; i < n && !failed; i++) {
      const k = b[pos];
      if (!((k >= 0xa0 && k <= 0xbf) || k === 0xd9)) break;
      const key = value();
      if (key === "type") { const v = value(); if (typeof v === "string" && !failed) found = v; break; }
      skip();
    }
  }
  b = EMPTY;
  return found;
}

const u32 = (at: number) => ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);

/** Step over one value without building it. */
function skip(): void {
  if (pos >= end) { failed = true; return; }
  const t = b[pos++];
  if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return;
  let n = -1, items = 0;
  if (t >= 0xa0 && t <= 0xbf) n = t & 0x1f;
  else if (t >= 0x90 && t <= 0x9f) items = t & 0x0f;
  else if (t >= 0x80 && t <= 0x8f) items = 2 * (t & 0x0f);
  else {
    switch (t) {
      case 0xcc: case 0xd0: n = 1; break;
      case 0xcd: case 0xd1: n = 2; break;
      case 0xce: case 0xd2: n = 4; break;
      case 0xcb: n = 8; break;
      case 0xd4: n = 2; break;
      case 0xd9: n = pos < end ? 1 + b[pos] : -2; break;
      case 0xda: n = pos + 2 <= end ? 2 + ((b[pos] << 8) | b[pos + 1]) : -2; break;
      case 0xdb: n = pos + 4 <= end ? 4 + u32(pos) : -2; break;
      case 0xdc: if (pos + 2 <= end) { items = (b[pos] << 8) | b[pos + 1]; pos += 2; } else n = -2; break;
      case 0xdd: if (pos + 4 <= end) { items = u32(pos); pos += 4; } else n = -2; break;
      case 0xde: if (pos + 2 <= end) { items = 2 * ((b[pos] << 8) | b[pos + 1]); pos += 2; } else n = -2; break;
      case 0xdf: if (pos + 4 <= end) { items = 2 * u32(pos); pos += 4; } else n = -2; break;
      default: n = -2; // the rarer forms: let the whole reader decide
    }
  }
  if (n === -2) { failed = true; return; }
  if (n >= 0) { pos += n; if (pos > end) failed = true; return; }
  if (items > end - pos) { failed = true; return; } // every element takes a byte at least
  for (let i = 0; i < items && !failed; i++) skip();
}

function value(): unknown {
  if (pos >= end) { failed = true; return undefined; }
  const t = b[pos++];
  if (t <= 0x7f) return t;
  if (t >= 0xe0) return t - 0x100;
  if (t >= 0xa0 && t <= 0xbf) return str(t & 0x1f);
  if (t >= 0x90 && t <= 0x9f) return array(t & 0x0f);
  if (t >= 0x80 && t <= 0x8f) return map(t & 0x0f);
  switch (t) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xcb: {
      if (pos + 8 > end) break;
      pos += 8;
      return b.readDoubleBE(pos - 8);
    }
    case 0xd4: // msgpackr's undefined: fixext 1 of type 0
      if (pos + 2 > end || b[pos] !== 0) break;
      pos += 2;
      return undefined;
    case 0xcc: return pos < end ? b[pos++] : fail();
    case 0xcd: return pos + 2 <= end ? (pos += 2, (b[pos - 2] << 8) | b[pos - 1]) : fail();
    case 0xce: return pos + 4 <= end ? (pos += 4, ((b[pos - 4] << 24) >>> 0) + ((b[pos - 3] << 16) | (b[pos - 2] << 8) | b[pos - 1])) : fail();
    case 0xd0: return pos < end ? (b[pos++] << 24) >> 24 : fail();
    case 0xd1: return pos + 2 <= end ? (pos += 2, (((b[pos - 2] << 24) >> 16) | b[pos - 1])) : fail();
    case 0xd2: return pos + 4 <= end ? (pos += 4, (b[pos - 4] << 24) | (b[pos - 3] << 16) | (b[pos - 2] << 8) | b[pos - 1]) : fail();
    case 0xd9: return pos < end ? str(b[pos++]) : fail();
    case 0xda: return pos + 2 <= end ? (pos += 2, str((b[pos - 2] << 8) | b[pos - 1])) : fail();
    case 0xdb: return pos + 4 <= end ? (pos += 4, str(((b[pos - 4] << 24) >>> 0) + ((b[pos - 3] << 16) | (b[pos - 2] << 8) | b[pos - 1]))) : fail();
    case 0xdc: return pos + 2 <= end ? (pos += 2, array((b[pos - 2] << 8) | b[pos - 1])) : fail();
    case 0xdd: return pos + 4 <= end ? (pos += 4, array(((b[pos - 4] << 24) >>> 0) + ((b[pos - 3] << 16) | (b[pos - 2] << 8) | b[pos - 1]))) : fail();
    case 0xde: return pos + 2 <= end ? (pos += 2, map((b[pos - 2] << 8) | b[pos - 1])) : fail();
    case 0xdf: return pos + 4 <= end ? (pos += 4, map(((b[pos - 4] << 24) >>> 0) + ((b[pos - 3] << 16) | (b[pos - 2] << 8) | b[pos - 1]))) : fail();
  }
  return fail(); // bin, ext (but msgpackr's undefined), float32, 64-bit integers, the unused 0xc1
}

function fail(): undefined {
  failed = true;
  pos = end;
  return undefined;
}

function array(n: number): unknown[] | undefined {
  if (n > end - pos) return fail(); // every element takes a byte at least
  const a = new Array<unknown>(n);
  for (let i = 0; i < n; i++) a[i] = value();
  return a;
}

function map(n: number): Record<string, unknown> | undefined {
  if (2 * n > end - pos) return fail();
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const t = b[pos];
    if (!((t >= 0xa0 && t <= 0xbf) || t === 0xd9)) return fail(); // msgpackr turns other keys into strings its own way
    const k = value() as string;
    if (k === "__proto__") return fail();
    o[k] = value();
  }
  return o;
}

/** The string of `n` bytes at `pos`: interned when short and ASCII. */
function str(n: number): string | undefined {
  const from = pos;
  if (n > end - from) return fail();
  pos = from + n;
  return intern(b, from, n);
}

/**
 * The UTF-8 string `bytes[from, from + n)`, the same string each time when it is short
 * and ASCII (the envelope reader's streams and linkedids come from here too, so a
 * channel's ids are one string wherever a record names them).
 */
export function intern(bytes: Buffer, from: number, n: number): string {
  if (n > INTERN_MAX) return bytes.toString("utf8", from, from + n);
  // The slot: length, first and last bytes (ids differ at their ends); the whole string is compared.
  const last = from + n - 1;
  let h = n;
  if (n > 0) h = Math.imul(h ^ (bytes[from] << 8) ^ bytes[last], 0x01000193);
  if (n > 1) h = Math.imul(h ^ (bytes[last - 1] << 8) ^ (n > 2 ? bytes[last - 2] << 16 : 0) ^ (n > 3 ? bytes[last - 3] << 24 : 0), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  const slot = (h ^ (h >>> 16)) & (SLOTS - 1);
  const known = interned[slot];
  if (known.length === n) {
    let i = 0;
    while (i < n && known.charCodeAt(i) === bytes[from + i]) i++;
    if (i === n) return known;
  }
  for (let i = from; i <= last; i++) if (bytes[i] >= 0x80) return bytes.toString("utf8", from, from + n);
  return (interned[slot] = bytes.toString("latin1", from, from + n));
}
