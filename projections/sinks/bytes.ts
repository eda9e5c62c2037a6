/**
 * A growable byte buffer outside the JS heap: rows are encoded into it as they are
 * folded (a rebuild folds hundreds of thousands of records per write), so neither
 * row objects nor their text live long enough for the garbage collector to copy them.
 *
 * Besides whole strings (`append`), it writes TabSeparated fields, ASCII text and
 * integers byte by byte: a row goes into the buffer without a line string being built
 * (the cheapest way in V8 for the short ASCII values rows are made of).
 */
export class ByteBuilder {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 1 << 20) { this.buf = Buffer.allocUnsafe(initial); }

  get length(): number { return this.len; }

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

  /** One byte (an ASCII separator). */
  byte(c: number): void {
    this.room(1)[this.len++] = c;
  }

  /** Text known to be ASCII with nothing to escape (formatted times). */
  ascii(s: string): void {
    const n = s.length, b = this.room(n);
    let p = this.len;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.len = p;
  }

  /** A TabSeparated field: backslash, tab, newline, carriage return and NUL escaped; UTF-8. */
  tsv(s: string): void {
    const n = s.length, b = this.room(n * 3); // escapes take 2 bytes per character, UTF-8 at most 3 per code unit
    let p = this.len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) { // the rest through the UTF-8 encoder (it starts at a whole character)
        this.len = p;
        this.append(escapeTsv(s.slice(i)));
        return;
      }
      if (c === 92 || c === 9 || c === 10 || c === 13 || c === 0) {
        b[p++] = 92;
        b[p++] = c === 92 ? 92 : c === 9 ? 116 : c === 10 ? 110 : c === 13 ? 114 : 48;
      } else b[p++] = c;
    }
    this.len = p;
  }

  /** An integer in decimal (anything else as String() writes it). */
  int(v: number): void {
    if (v >= 0 && v < 1e9 && (v | 0) === v) { this.small(v, 0); return; }
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v))) { this.ascii(String(v)); return; }
    // Past 32 bits: the high digits, then the low nine zero-padded, each with integer arithmetic.
    const hi = Math.floor(v / 1e9);
    this.int(hi);
    this.small(v - hi * 1e9, 9);
  }

  /** `v` < 1e9 in decimal, padded with zeros to `width` digits. */
  small(v: number, width: number): void {
    let digits = 1;
    for (let x = v; x >= 10; x = (x / 10) | 0) digits++;
    if (digits < width) digits = width;
    const b = this.room(digits);
    let p = this.len + digits;
    this.len = p;
    for (let x = v, i = 0; i < digits; i++, x = (x / 10) | 0) b[--p] = 48 + (x % 10);
  }

  /** The bytes so far (a view: valid until the next write). */
  bytes(): Buffer { return this.buf.subarray(0, this.len); }
}

/** TabSeparated escaping of a string. */
export function escapeTsv(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || (c <= 13 && (c === 9 || c === 10 || c === 13 || c === 0))) {
      return s.replace(/[\\\t\n\r\0]/g, (ch) => (ch === "\\" ? "\\\\" : ch === "\t" ? "\\t" : ch === "\n" ? "\\n" : ch === "\r" ? "\\r" : "\\0"));
    }
  }
  return s;
}
