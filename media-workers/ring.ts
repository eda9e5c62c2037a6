/**
 * Single-producer/single-consumer byte ring over a SharedArrayBuffer. One thread only
 * pushes, one only pops, so two Atomics-published counters are all the synchronisation
 * needed: the producer owns `tail`, the consumer owns `head`. Counters run freely as
 * uint32 and are reduced modulo the (power-of-two) capacity, so full and empty differ.
 * A full ring refuses the message and counts it: back-pressure is visible, never a
 * silent overwrite.
 *
 * Waking the consumer costs an `Atomics.notify` (a lock, a task posted to the other
 * thread and a syscall): the producer wakes it once per iteration of its own event loop
 * (setImmediate: every datagram and timer handled in one poll share it), however many
 * messages it pushed meanwhile, and only when the consumer sleeps (WAITING) with
 * messages unread. Every
 * push bumps SIGNAL at once, so a consumer about to sleep never misses one: its
 * waitAsync on the old SIGNAL returns at once.
 */
import { Packr, Unpackr } from "msgpackr";

const HEAD = 0, TAIL = 1, SIGNAL = 2, DROPPED = 3, CLOSED = 4, WAITING = 5;
const HEADER_BYTES = 64; // keeps the counters off the data's cache lines

type WaitAsync = (ta: Int32Array, index: number, value: number, timeout?: number) =>
  { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class RingBuffer {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  private readonly ctl: Int32Array;
  private readonly data: Uint8Array;
  private readonly mask: number;

  /** A new ring of `capacity` bytes (rounded up to a power of two), or a view of an existing one. */
  constructor(capacityOrSab: number | SharedArrayBuffer) {
    if (typeof capacityOrSab === "number") {
      let cap = 1024;
      while (cap < capacityOrSab) cap *= 2;
      if (cap > 2 ** 30) throw new RangeError("ring capacity above 1 GiB");
      this.sab = new SharedArrayBuffer(HEADER_BYTES + cap);
    } else {
      this.sab = capacityOrSab;
    }
    this.capacity = this.sab.byteLength - HEADER_BYTES;
    if (this.capacity < 1024 || (this.capacity & (this.capacity - 1)) !== 0) throw new RangeError("ring capacity must be a power of two");
    this.mask = this.capacity - 1;
    this.ctl = new Int32Array(this.sab, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(this.sab, HEADER_BYTES, this.capacity);
  }

  /** Bytes in use (length prefixes included). */
  get used(): number { return (Atomics.load(this.ctl, TAIL) - Atomics.load(this.ctl, HEAD)) >>> 0; }
  /** Messages refused because the ring was full. */
  get dropped(): number { return Atomics.load(this.ctl, DROPPED); }
  get closed(): boolean { return Atomics.load(this.ctl, CLOSED) !== 0; }

  private copyIn(pos: number, src: Uint8Array): void {
    const at = pos & this.mask, first = Math.min(src.length, this.capacity - at);
    this.data.set(first === src.length ? src : src.subarray(0, first), at);
    if (first < src.length) this.data.set(src.subarray(first), 0);
  }

  private copyOut(pos: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const at = pos & this.mask, first = Math.min(len, this.capacity - at);
    out.set(this.data.subarray(at, at + first), 0);
    if (first < len) out.set(this.data.subarray(0, len - first), first);
    return out;
  }

  /** Producer side. False (and counted) when the message does not fit now. */
  push(msg: Uint8Array): boolean {
    const head = Atomics.load(this.ctl, HEAD) >>> 0, tail = Atomics.load(this.ctl, TAIL) >>> 0;
    const need = 4 + msg.length;
    if (need > this.capacity - ((tail - head) >>> 0)) { Atomics.add(this.ctl, DROPPED, 1); return false; }
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, msg.length, true);
    this.copyIn(tail, len);
    this.copyIn(tail + 4, msg);
    // Publish only after the bytes are in: the consumer reads TAIL with Atomics.load.
    Atomics.store(this.ctl, TAIL, (tail + need) | 0);
    Atomics.add(this.ctl, SIGNAL, 1);
    if (!this.wakeQueued) {
      this.wakeQueued = true;
      setImmediate(this.wake);
    }
    return true;
  }

  private wakeQueued = false;
  /** After the producer's poll: one notify for everything it pushed, if the consumer sleeps with some of it unread. */
  private readonly wake = (): void => {
    this.wakeQueued = false;
    if (Atomics.load(this.ctl, WAITING) !== 0 && this.used > 0) Atomics.notify(this.ctl, SIGNAL);
  };

  /** Consumer side. The next message, or undefined when empty. */
  pop(): Uint8Array | undefined {
    const head = Atomics.load(this.ctl, HEAD) >>> 0, tail = Atomics.load(this.ctl, TAIL) >>> 0;
    if (head === tail) return undefined;
    const lb = this.copyOut(head, 4);
    const len = new DataView(lb.buffer).getUint32(0, true);
    if (len + 4 > ((tail - head) >>> 0)) throw new Error("ring corrupted: length beyond tail");
    const msg = this.copyOut(head + 4, len);
    Atomics.store(this.ctl, HEAD, (head + 4 + len) | 0);
    return msg;
  }

  /** Wake a consumer for good (it sees `closed`). */
  close(): void {
    Atomics.store(this.ctl, CLOSED, 1);
    Atomics.add(this.ctl, SIGNAL, 1);
    Atomics.notify(this.ctl, SIGNAL);
  }

  /**
   * Consumer loop: drain, then sleep on the signal word until the producer pushes.
   * Atomics.waitAsync keeps the thread's event loop free (sockets, timers) meanwhile.
   */
  async consume(handler: (msg: Uint8Array) => void): Promise<void> {
    for (;;) {
      const sig = Atomics.load(this.ctl, SIGNAL);
      for (let m = this.pop(); m; m = this.pop()) handler(m);
      if (this.closed) return;
      Atomics.store(this.ctl, WAITING, 1);
      const r = waitAsync(this.ctl, SIGNAL, sig);
      if (r.async) await r.value;
      Atomics.store(this.ctl, WAITING, 0);
    }
  }
}

/** A ring that carries msgpackr-encoded values. */
export class MessageRing<T> {
  private readonly packr = new Packr({ useRecords: false, moreTypes: false });
  private readonly unpackr = new Unpackr({ useRecords: false });
  readonly ring: RingBuffer;
  constructor(capacityOrSab: number | SharedArrayBuffer) { this.ring = new RingBuffer(capacityOrSab); }
  get sab(): SharedArrayBuffer { return this.ring.sab; }
  send(value: T): boolean { return this.ring.push(this.packr.pack(value)); }
  receive(): T | undefined {
    const m = this.ring.pop();
    return m === undefined ? undefined : (this.unpackr.unpack(m) as T);
  }
  consume(handler: (value: T) => void): Promise<void> {
    return this.ring.consume((m) => handler(this.unpackr.unpack(m) as T));
  }
  close(): void { this.ring.close(); }
}
