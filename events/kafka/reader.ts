/**
 * Reads one node's records back from the topic in offset order, from `from` up to
 * `end` (exclusive; Infinity to follow the topic live). Behind it a tap reads every
 * partition and an OffsetMerge restores the order. If the tap's consumer dies (the
 * broker went away for good), a new tap starts over and the merge drops what was
 * already delivered, so nothing is lost or repeated.
 */
import type { Batch, Kafka } from "kafkajs";
import { OffsetMerge } from "./merge.js";
import { openTap, Signal, sleep, type Tap } from "./tap.js";
import { decodeMessage, isOwn } from "./topic.js";
import type { EventRecord } from "../record.js";

export interface ReaderOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly node: Buffer;
  readonly from: number;
  readonly end: number;
  readonly groupId: () => string;
  readonly validate: boolean;
  readonly notice: (message: string) => void;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
}

/** Records released but not yet taken, above which fetching waits. */
const HIGH_WATER = 20_000;

export class TopicReader {
  private readonly merge: OffsetMerge;
  private ready: EventRecord[] = [];
  private failure: Error | null = null;
  private closed = false;
  private readonly changed = new Signal();
  private readonly taken = new Signal();
  private readonly running: Promise<void>;

  constructor(private readonly o: ReaderOptions) {
    this.merge = new OffsetMerge(o.from);
    this.running = this.keepTapping();
  }

  private get finished(): boolean {
    return this.closed || this.failure !== null || this.merge.next >= this.o.end;
  }

  /** The next records in offset order (at most `max`), or null at `end` or after close. */
  async next(max: number): Promise<EventRecord[] | null> {
    for (;;) {
      if (this.ready.length) {
        const out = this.ready.length <= max ? this.ready : this.ready.slice(0, max);
        this.ready = this.ready.length <= max ? [] : this.ready.slice(max);
        this.taken.notify();
        return out;
      }
      if (this.failure) throw this.failure;
      if (this.finished) return null;
      await this.changed.wait();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.changed.notify();
    this.taken.notify();
    await this.running;
  }

  private async keepTapping(): Promise<void> {
    let delay = this.o.backoff.initialMs;
    let reported = false;
    while (!this.finished) {
      let tap: Tap | null = null;
      let crashed: Error | null = null;
      try {
        tap = await openTap({
          kafka: this.o.kafka, topic: this.o.topic, groupId: this.o.groupId(),
          onBatch: (b) => this.take(b),
          onCrash: (e) => { crashed = e; this.changed.notify(); },
        });
        if (reported) this.o.notice(`kafka: reading ${this.o.topic} again`);
        reported = false;
        delay = this.o.backoff.initialMs;
        while (!this.finished && !crashed) await this.changed.wait();
      } catch (e) {
        crashed = e as Error;
      } finally {
        await tap?.close();
      }
      if (crashed && !this.finished) {
        if (!reported) this.o.notice(`kafka: cannot read topic ${this.o.topic} (${(crashed as Error).message}); retrying from offset ${this.merge.next}`);
        reported = true;
        await Promise.race([sleep(delay), this.taken.wait()]);
        delay = Math.min(delay * 2, this.o.backoff.maxMs);
      }
    }
  }

  private async take(batch: Batch): Promise<void> {
    if (this.finished) return;
    const own: EventRecord[] = [];
    try {
      for (const m of batch.messages) {
        if (!isOwn(m, this.o.node)) continue;
        const r = decodeMessage(m, this.o.topic, batch.partition, this.o.validate);
        if (r.offset >= this.merge.next && r.offset < this.o.end) own.push(r);
      }
    } catch (e) {
      this.failure = e as Error;
      this.changed.notify();
      return;
    }
    const released = this.merge.add(own);
    if (released.length) {
      this.ready = this.ready.length ? this.ready.concat(released) : released;
      this.changed.notify();
    }
    while (this.ready.length > HIGH_WATER && !this.finished) await this.taken.wait();
  }
}
