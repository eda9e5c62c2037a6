/**
 * The shipper: moves records from the outbox (the local embedded log every append is
 * made durable in first) to the Kafka topic, in offset order, one batch at a time,
 * with an idempotent producer (acks=-1, one request in flight) that runs in its own
 * thread (remote-producer.ts); the next batch is read and encoded while one is sent.
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
 */
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Kafka, logLevel } from "kafkajs";
import type { SegmentLog } from "../embedded/segment-log.js";
import { EventLogError } from "../log.js";
import { lastShippedOffsets } from "./resume.js";
import { Signal, tapGroupId } from "./tap.js";
import { classify } from "./errors.js";
import { RemoteProducer, type EncodedBatch } from "./remote-producer.js";
import { ensureTopic, partitionOf } from "./topic.js";
import { encodeRecord } from "../codec.js";

export interface ShipperConfig {
  readonly kafka: Kafka;
  readonly outbox: SegmentLog;
  readonly topic: string;
  /** Partitions of the topic when the shipper creates it. */
  readonly partitions: number;
  readonly nodeId: string;
  readonly clientId: string;
  /** Where Kafka is (for the producer thread and messages). */
  readonly brokers: readonly string[];
  readonly kafkaLogLevel?: logLevel;
  readonly notice: (message: string) => void;
  /** Most records per request. */
  readonly batchSize: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
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
  private producer: RemoteProducer | null = null;
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
  private readonly node: Buffer;
  private readonly checkpointPath: string;
  private loop: Promise<void> | null = null;

  constructor(private readonly c: ShipperConfig) {
    this.node = Buffer.from(c.nodeId);
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
    this.progress.notify();
    // A send to a broker that went silent can take a while to fail: don't wait for it.
    const giveUp = new Signal();
    await Promise.race([this.loop, giveUp.wait(5000)]);
    giveUp.notify();
    this.checkpoint(true);
    await this.producer?.close();
    this.producer = null;
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
        const sending = this.pending.batch.keys.length ? this.producer!.send(this.c.topic, this.pending.batch) : Promise.resolve();
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
        await this.stopped.wait(delay);
        delay = Math.min(delay * 2, this.c.backoff.maxMs);
      }
    }
  }

  /** Connect, make sure the topic exists, and find where each partition stands. */
  private async prepare(): Promise<void> {
    const admin = this.c.kafka.admin();
    try {
      await admin.connect();
      const partitions = await ensureTopic(admin, this.c.topic, this.c.partitions, this.c.notice);
      const last = await lastShippedOffsets({
        kafka: this.c.kafka, admin, topic: this.c.topic, node: this.node, groupId: tapGroupId(this.c.clientId, this.c.nodeId),
      });
      const highest = Math.max(-1, ...last);
      if (highest >= this.c.outbox.durableOffset) {
        throw new EventLogError(
          `Kafka topic ${this.c.topic} already holds events of node '${this.c.nodeId}' up to offset ${highest}, but the outbox ${this.c.outbox.dir} ends at ${this.c.outbox.durableOffset - 1}: ` +
          `the outbox was replaced, or another node uses the id '${this.c.nodeId}'; nothing is shipped until this is resolved`,
        );
      }
      this.last = Array.from({ length: partitions }, (_, p) => last[p] ?? -1);
      this.position = this.resumePoint(highest);
      this.producer = await RemoteProducer.start({
        brokers: this.c.brokers, clientId: this.c.clientId, ...(this.c.kafkaLogLevel !== undefined ? { logLevel: this.c.kafkaLogLevel } : {}),
      });
      this.ready = true;
      this.connected = true;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
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
      const s = ((performance.now() - this.outage.since) / 1000).toFixed(1);
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
    const now = performance.now();
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
        `kafka: cannot ship events to topic ${this.c.topic} at ${this.c.brokers.join(",")}: ${reason}; ` +
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
    await this.producer?.close();
    this.producer = null;
  }

  /** Remember how far shipping got (a hint: the topic itself is the truth). */
  private checkpoint(force: boolean): void {
    const now = performance.now();
    if (this.last.length === 0 || (!force && now - this.checkpointedAt < CHECKPOINT_EVERY_MS)) return;
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
