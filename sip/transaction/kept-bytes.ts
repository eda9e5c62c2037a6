/**
 * The bytes the transaction layer keeps for 64*T1 only to send them again: the final
 * response of a non-INVITE transaction over UDP (Timer J) and the ACK of a 2xx (Timer M).
 * At 4,500 REGISTERs/s that is some 144,000 responses alive at once. As strings on the
 * JS heap they were ~70 MB that V8 then let the heap grow to two to four times; here they
 * sit off the heap in 1 MiB slabs, written in the order they come (they all live the same
 * time) and dropped a whole slab at a time once everything in it has expired.
 */
import type { Clock } from "../../core/clock.js";

const SLAB_BYTES = 1 << 20;
/** A handle is slab number × 2^24 + offset: slabs are under 16 MiB, and 2^29 slabs are years of traffic. */
const OFFSET_SPAN = 1 << 24;
const LENGTH_BYTES = 4;

interface Slab {
  readonly bytes: Buffer;
  used: number;
  /** When the last entry written to it expires. */
  expires: number;
}

export class KeptBytes {
  /** Slabs still holding live entries, oldest first; #slabs[0] is slab number #first. */
  #slabs: Slab[] = [];
  #first = 0;

  constructor(private readonly clock: Clock) {}

  /**
   * Keep `data` (a Buffer, or a latin1 byte string) at least until `expires`; returns its handle.
   * Slabs go oldest first, so memory comes back on time when entries live the same time, as these do.
   */
  put(data: Buffer | string, expires: number): number {
    const length = typeof data === "string" ? data.length : data.byteLength;
    const need = LENGTH_BYTES + length;
    if (need >= OFFSET_SPAN) throw new RangeError(`${length} bytes are too many to keep for retransmission`);
    let slab = this.#slabs[this.#slabs.length - 1];
    if (slab === undefined || slab.used + need > slab.bytes.length) {
      // Unpooled, so that a dropped slab frees its own memory and nothing else's.
      slab = { bytes: Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, need)), used: 0, expires };
      this.#slabs.push(slab);
    }
    const offset = slab.used;
    slab.bytes.writeUInt32LE(length, offset);
    if (typeof data === "string") slab.bytes.write(data, offset + LENGTH_BYTES, "latin1");
    else data.copy(slab.bytes, offset + LENGTH_BYTES);
    slab.used += need;
    slab.expires = Math.max(slab.expires, expires);
    return (this.#first + this.#slabs.length - 1) * OFFSET_SPAN + offset;
  }

  /** The bytes kept under `handle` (a view, not a copy), or undefined once their slab is dropped. */
  get(handle: number): Buffer | undefined {
    const slab = this.#slabs[Math.floor(handle / OFFSET_SPAN) - this.#first];
    if (slab === undefined) return undefined;
    const offset = handle % OFFSET_SPAN;
    return slab.bytes.subarray(offset + LENGTH_BYTES, offset + LENGTH_BYTES + slab.bytes.readUInt32LE(offset));
  }

  /** Drop the oldest slabs whose entries have all expired (the layer calls it as its entries expire). */
  drop(): void {
    const now = this.clock.now();
    let n = 0;
    while (n < this.#slabs.length && this.#slabs[n].expires <= now) n++;
    if (n === 0) return;
    this.#slabs = this.#slabs.slice(n);
    this.#first += n;
  }

  /** Bytes held in slabs (for tests and statistics). */
  get heldBytes(): number {
    let total = 0;
    for (const slab of this.#slabs) total += slab.bytes.length;
    return total;
  }

  clear(): void {
    this.#first += this.#slabs.length;
    this.#slabs = [];
  }
}
