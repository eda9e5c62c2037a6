/**
 * A growable byte buffer outside the JS heap: rows are encoded into it as they are
 * folded (a rebuild folds hundreds of thousands of records per write), so neither
 * row objects nor their text live long enough for the garbage collector to copy them.
 */
export class ByteBuilder {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 1 << 20) { this.buf = Buffer.allocUnsafe(initial); }

  get length(): number { return this.len; }

  /** Append `text` as UTF-8. */
  append(text: string): void {
    const worst = this.len + text.length * 3; // a UTF-16 code unit is at most 3 UTF-8 bytes
    if (worst > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(worst, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    this.len += this.buf.write(text, this.len, "utf8");
  }

  /** The bytes so far (a view: valid until the next append). */
  bytes(): Buffer { return this.buf.subarray(0, this.len); }
}
