/**
 * The shipper: moves records from the outbox (the local embedded log every append is
 * made durable in first) to the Kafka topic, in offset order, one batch at a time
 * (with kafkajs: an idempotent producer, acks=-1, one request in flight, in its own
 * thread); the next batch is read and encoded while one is sent.
 *
 * Exactly once, without duplicates after a crash or an outage: before shipping, and
 * again after any failed send, the shipper reads back what its node already has in
 * each partition (resume.ts) and skips those records. A failed send may have landed
 * with its acknowledgement lost; the broker's idempotence does not reliably drop the
 * resent copy across a broker restart (seen with 3.9), so the topic, read back, decides.
 *
 * When Kafka is unreachable, appends go on (the outbox takes them), the shipper
 * retries with back-off, says so once and then every 10 s with the number of
 * events waiting, and catches up when the broker is back.
 *
 * What it needs from Kafka is a KafkaLink: kafkajs against a real broker
 * (kafkajs-link.ts), or the simulated broker of `recall simulate`, which also gives it
 * a virtual clock for its back-off and its 1 s / 10 s checkpoint and report timing.
 */
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { SystemClock, type Clock, type Timer } from "../../core/clock.js";
import type { SegmentLog } from "../embedded/segment-log.js";
import { EventLogError } from "../log.js";
import { Signal } from "./tap.js";
import { classify } from "./errors.js";
import type { EncodedBatch } from "./remote-producer.js";
import { partitionOf } from "./topic.js";
import { encodeRecord } from "../codec.js";

/** What the shipper needs from Kafka. Failures reject with a ShipError or an error `classify` understands. */
export interface KafkaLink {
  /** Where Kafka is, for messages. */
  readonly where: string;
  /**
   * Connect, create the topic unless it exists, and read back, per partition, the
   * highest node offset of this node's records in it (-1: none). The answer has one
   * entry per partition the topic really has.
   */
  prepare(): Promise<number[]>;
  /** Open the producer (after `prepare`). */
  connect(): Promise<void>;
  /** Send one batch (each message in its partition); resolves once Kafka acknowledged all of it. */
  send(batch: EncodedBatch): Promise<void>;
  /** Drop the producer: after a failure, or at stop. */
  close(): Promise<void>;
}

/** What the shipper reads of the outbox. */
export type Outbox = Pick<SegmentLog, "dir" | "durableOffset" | "nextOffset" | "read">;

export interface ShipperConfig {
  readonly link: KafkaLink;
  readonly outbox: Outbox;
  readonly topic: string;
  readonly nodeId: string;
  /** Back-off waits and checkpoint and report timing (default: the system clock). */
  readonly clock?: Clock;
  readonly notice: (message: string) => void;
  /** Most records per request. */
  readonly batchSize: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** How often the shipped position is written down, at most (default 1 s). */
  readonly checkpointEveryMs?: number;
}

export interface ShippingStatus {
  /** Every outbox record below this offset is in Kafka. */
  readonly shipped: number;
  /** Durable outbox records not yet in Kafka. */
  readonly lag: number;
  /** Whether the last attempt to reach Kafka worked. */
  readonly connected: boolean;
  /** Why shipping is stalled, while it is. */
  readonly error?: string;
}

interface Pending {
  readonly batch: EncodedBatch;
  /** Outbox offset after the batch. */
  readonly end: number;
  /** Highest node offset per partition in the batch. */
  readonly last: Map<number, number>;
}

/** Bytes of message values per request, well under the topic's 16 MB message limit. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
const CHECKPOINT_EVERY_MS = 1000;
const REPORT_EVERY_MS = 10_000;
/** Failures that are not plainly "unreachable" are announced once they last this long. */
const ANNOUNCE_AFTER_MS = 2000;
export class Shipper {
  private position: number;
  private last: number[] = [];
  private pending: Pending | null = null;
  private ready = false;
  /** Set by `wake`: new records arrived since the loop last looked. */
  private woken = false;
  private stopping = false;
  private connected = false;
  private error: string | undefined;
  private outage: { since: number; reported: number; announced: boolean } | null = null;
  private catchingUp = false;
  private checkpointedAt = 0;
  private readonly changed = new Signal();
  private readonly progress = new Signal();
  private readonly stopped = new Signal();
  /** Ends the back-off wait under way, if any (stop does not wait it out). */
  private wakeSleeper: (() => void) | null = null;
  private readonly clock: Clock;
  private readonly checkpointPath: string;
  private loop: Promise<void> | null = null;

  constructor(private readonly c: ShipperConfig) {
    this.clock = c.clock ?? new SystemClock();
    this.checkpointPath = join(c.outbox.dir, "kafka-shipped.json");
    this.position = 0;
  }

  start(): void {
    this.loop ??= this.run();
  }

  get status(): ShippingStatus {
    return {
      shipped: this.position,
      lag: Math.max(0, this.c.outbox.durableOffset - this.position),
      connected: this.connected,
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  /** New durable records in the outbox. */
  wake(): void {
    this.woken = true;
    this.changed.notify();
  }

  /** Resolves once every record below `offset` (that the outbox still holds) is in Kafka. */
  async until(offset: number): Promise<void> {
    while (this.position < Math.min(offset, this.c.outbox.nextOffset)) {
      if (this.stopping) throw new EventLogError(`shipping stopped before offset ${offset - 1} reached Kafka`, offset - 1);
      await this.progress.wait(1000);
    }
  }

  /** Ship what is there for up to `drainMs`, then stop; what is left stays in the outbox. */
  async stop(drainMs: number): Promise<void> {
    if (this.loop && drainMs > 0 && this.ready) {
      await Promise.race([this.until(this.c.outbox.durableOffset).catch(() => undefined), this.stopped.wait(drainMs)]);
    }
    this.stopping = true;
    this.changed.notify();
    this.stopped.notify();
    this.wakeSleeper?.();
    this.progress.notify();
    // A send to a broker that went silent can take a while to fail: don't wait for it.
    const giveUp = new Signal();
    await Promise.race([this.loop, giveUp.wait(5000)]);
    giveUp.notify();
    this.checkpoint(true);
    await this.c.link.close();
  }

  private async run(): Promise<void> {
    let delay = this.c.backoff.initialMs;
    while (!this.stopping) {
      try {
        if (!this.ready) await this.prepare();
        this.woken = false;
        this.pending ??= await this.nextBatch(this.position);
        if (!this.pending) {
          if (!this.woken) await this.changed.wait();
          continue;
        }
        // Prepare the next batch while this one is on the wire (it starts after this
        // batch, so the per-partition filter gives the same answer either way).
        const sending = this.pending.batch.keys.length ? this.c.link.send(this.pending.batch) : Promise.resolve();
        const ahead = this.nextBatch(this.pending.end);
        try {
          await sending;
        } finally {
          await ahead.catch(() => null);
        }
        this.shipped(this.pending);
        this.pending = await ahead.catch(() => null);
        delay = this.c.backoff.initialMs;
      } catch (e) {
        if (this.stopping) break;
        const failure = classify(e);
        this.failed(failure.reason, failure.unreachable);
        await this.dropProducer();
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.c.backoff.maxMs);
      }
    }
  }

  /** Wait `ms` on the clock, or until stopped. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: Timer | undefined;
      const done = () => {
        timer?.cancel();
        this.wakeSleeper = null;
        resolve();
      };
      this.wakeSleeper = done;
      timer = this.clock.schedule(this.clock.now() + ms * 1000, done);
    });
  }

  /** Milliseconds on the clock. */
  private nowMs(): number { return this.clock.now() / 1000; }

  /** Connect, make sure the topic exists, and find where each partition stands. */
  private async prepare(): Promise<void> {
    const last = await this.c.link.prepare();
    if (last.length === 0) throw new EventLogError(`Kafka topic ${this.c.topic} has no partitions`);
    const highest = Math.max(-1, ...last);
    if (highest >= this.c.outbox.durableOffset) {
      throw new EventLogError(
        `Kafka topic ${this.c.topic} already holds events of node '${this.c.nodeId}' up to offset ${highest}, but the outbox ${this.c.outbox.dir} ends at ${this.c.outbox.durableOffset - 1}: ` +
        `the outbox was replaced, or another node uses the id '${this.c.nodeId}'; nothing is shipped until this is resolved`,
      );
    }
    this.last = last;
    this.position = this.resumePoint(highest);
    await this.c.link.connect();
    this.ready = true;
    this.connected = true;
  }

  /**
   * The first outbox offset that may not be in Kafka: every record below the lowest
   * partition figure is shipped; the checkpoint file, when it agrees with the topic,
   * saves scanning the outbox from there.
   */
  private resumePoint(highest: number): number {
    const fromTopic = Math.min(...this.last.map((l) => l + 1));
    let saved = 0;
    try {
      const cp = JSON.parse(readFileSync(this.checkpointPath, "utf8")) as { topic?: string; node?: string; shipped?: number };
      if (cp.topic === this.c.topic && cp.node === this.c.nodeId && typeof cp.shipped === "number") saved = cp.shipped;
    } catch { /* no checkpoint yet */ }
    if (saved > highest + 1) {
      this.c.notice(`kafka: the outbox's checkpoint says ${saved} events were shipped, but topic ${this.c.topic} holds this node's events only up to offset ${highest}; shipping again from offset ${fromTopic}`);
      return fromTopic;
    }
    return Math.max(saved, fromTopic);
  }

  /** The records from outbox offset `from` not yet in Kafka, encoded as one request. */
  private async nextBatch(from: number): Promise<Pending | null> {
    const to = this.c.outbox.durableOffset;
    if (from >= to) return null;
    const partitions = this.last.length;
    const values: Buffer[] = [];
    const keys: string[] = [];
    const parts: number[] = [];
    const times: number[] = [];
    const last = new Map<number, number>();
    let end = from;
    let bytes = 0;
    for await (const batch of this.c.outbox.read(from, { to, batchSize: this.c.batchSize })) {
      for (const r of batch) {
        const p = partitionOf(r.stream, partitions);
        if (r.offset > this.last[p]) {
          const value = encodeRecord(r);
          if (values.length && bytes + value.length > MAX_REQUEST_BYTES) break;
          bytes += value.length;
          values.push(value);
          keys.push(r.stream);
          parts.push(p);
          times.push(Math.floor(r.time / 1000));
          last.set(p, r.offset);
        }
        end = r.offset + 1;
      }
      break;
    }
    const ends = new Uint32Array(values.length);
    for (let i = 0, at = 0; i < values.length; i++) ends[i] = at += values[i].length;
    return {
      batch: { node: this.c.nodeId, values: Buffer.concat(values, bytes), ends, partitions: Uint32Array.from(parts), keys, times: Float64Array.from(times) },
      end, last,
    };
  }

  private shipped(batch: Pending): void {
    for (const [p, offset] of batch.last) this.last[p] = offset;
    this.position = batch.end;
    this.connected = true;
    this.error = undefined;
    if (this.outage?.announced) {
      const s = ((this.nowMs() - this.outage.since) / 1000).toFixed(1);
      this.c.notice(`kafka: shipping to ${this.c.topic} again after ${s} s; ${this.status.lag} events still waiting in the outbox`);
      this.catchingUp = true;
    }
    this.outage = null;
    if (this.catchingUp && this.status.lag === 0) {
      this.c.notice(`kafka: caught up; every event up to offset ${this.position - 1} is in ${this.c.topic}`);
      this.catchingUp = false;
    }
    this.checkpoint(false);
    this.progress.notify();
  }

  private failed(reason: string, unreachable: boolean): void {
    const now = this.nowMs();
    this.connected = false;
    this.error = reason;
    this.outage ??= { since: now, reported: now, announced: false };
    const o = this.outage;
    const { lag } = this.status;
    if (!o.announced) {
      // A leader moving or a coordinator loading clears up by itself: stay quiet unless it lasts.
      if (!unreachable && now - o.since < ANNOUNCE_AFTER_MS) return;
      o.announced = true;
      o.reported = now;
      this.c.notice(
        `kafka: cannot ship events to topic ${this.c.topic} at ${this.c.link.where}: ${reason}; ` +
        `appends go on into the outbox ${this.c.outbox.dir} (${lag} events waiting) and are shipped when Kafka is back; retrying`,
      );
    } else if (now - o.reported >= REPORT_EVERY_MS) {
      o.reported = now;
      const s = ((now - o.since) / 1000).toFixed(0);
      this.c.notice(`kafka: still cannot ship to ${this.c.topic} after ${s} s (${reason}); ${lag} events waiting in the outbox`);
    }
  }

  private async dropProducer(): Promise<void> {
    this.pending = null;
    this.ready = false;
    await this.c.link.close();
  }

  /** Remember how far shipping got (a hint: the topic itself is the truth). */
  private checkpoint(force: boolean): void {
    const now = this.nowMs();
    if (this.last.length === 0 || (!force && now - this.checkpointedAt < (this.c.checkpointEveryMs ?? CHECKPOINT_EVERY_MS))) return;
    this.checkpointedAt = now;
    try {
      const tmp = `${this.checkpointPath}.tmp`;
      writeFileSync(tmp, JSON.stringify({ topic: this.c.topic, node: this.c.nodeId, shipped: this.position }));
      renameSync(tmp, this.checkpointPath);
    } catch (e) {
      this.c.notice(`kafka: cannot write ${this.checkpointPath}: ${(e as Error).message}`);
    }
  }
}
