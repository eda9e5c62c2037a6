/**
 * A growable byte buffer outside the JS heap: rows are encoded into it as they are
 * folded (a rebuild folds hundreds of thousands of records per write), so neither
 * row objects nor their bytes live long enough for the garbage collector to copy them.
 * It writes ClickHouse's binary forms (native.ts); short ASCII strings byte by byte,
 * the cheapest way in V8 for the values rows are made of.
 */
export class ByteBuilder {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 1 << 20) { this.buf = Buffer.allocUnsafe(initial); }

  get length(): number { return this.len; }

  /** Empty again, keeping the buffer. */
  clear(): void { this.len = 0; }

  /** Room for `n` more bytes. */
  private room(n: number): Buffer {
    if (this.len + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.len + n, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    return this.buf;
  }

  /** Append `text` as UTF-8. */
  append(text: string): void {
    const b = this.room(text.length * 3); // a UTF-16 code unit is at most 3 UTF-8 bytes
    this.len += b.write(text, this.len, "utf8");
  }

  /** `n` bytes to fill at `buf[at...]`, counted as written. */
  reserve(n: number): { buf: Buffer; at: number } {
    const buf = this.room(n), at = this.len;
    this.len += n;
    return { buf, at };
  }

  /** Bytes as they are. */
  copy(bytes: Uint8Array): void {
    this.room(bytes.length).set(bytes, this.len);
    this.len += bytes.length;
  }

  /** An unsigned LEB128 integer (ClickHouse's VarUInt). */
  varint(v: number): void {
    const b = this.room(10);
    while (v >= 0x80) { b[this.len++] = (v % 0x80) | 0x80; v = Math.floor(v / 0x80); }
    b[this.len++] = v;
  }

  /** A little-endian UInt64 below 2^53. */
  uint64(v: number): void {
    const b = this.room(8);
    b.writeUInt32LE(v % 4294967296, this.len);
    b.writeUInt32LE(Math.floor(v / 4294967296), this.len + 4);
    this.len += 8;
  }

  /** A string as its UTF-8 byte length (varint) and bytes: ClickHouse's binary String. */
  lengthPrefixed(s: string): void {
    const n = s.length;
    if (n < 43) { // at most 126 bytes: a one-byte length, filled in after the bytes
      const b = this.room(1 + n * 3);
      const at = this.len;
      let p = at + 1;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) { p = at + 1 + b.write(s, at + 1, "utf8"); break; }
        b[p++] = c;
      }
      b[at] = p - at - 1;
      this.len = p;
      return;
    }
    const bytes = Buffer.byteLength(s, "utf8");
    this.varint(bytes);
    this.room(bytes).write(s, this.len, "utf8");
    this.len += bytes;
  }

  /** The bytes so far (a view: valid until the next write). */
  bytes(): Buffer { return this.buf.subarray(0, this.len); }
}
