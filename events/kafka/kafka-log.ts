/**
 * The Kafka backend of the event log.
 *
 * Writes go through an outbox: `append` places the events in a local embedded log
 * (the outbox, in `dir`) and is acknowledged once they are durable there, so Recall
 * keeps taking calls when Kafka is down. A shipper (shipper.ts) sends them on to the
 * topic, exactly once, and catches up when Kafka comes back.
 *
 * Reads come from Kafka: `read` and `subscribe` give this node's records in offset
 * order (the per-partition streams are merged back, see merge.ts), and wait for
 * records the shipper has not delivered yet. `consume` is the consumer-group reader
 * projections use: it resumes from the group's committed offsets and keeps each
 * stream's order (not the global order). `readAt` and `nextOffset` are answered by
 * the outbox, which holds every record of this node.
 */
import type { Consumer, logLevel } from "kafkajs";
import { SegmentLog, type SegmentLogOptions } from "../embedded/segment-log.js";
import { EventLogError, type EventLog, type ReadOptions, type Subscription } from "../log.js";
import type { EventDraft, EventRecord } from "../record.js";
import { TopicReader } from "./reader.js";
import { Shipper, type ShippingStatus } from "./shipper.js";
import { KafkajsLink } from "./kafkajs-link.js";
import { Signal, tapGroupId } from "./tap.js";
import { decodeMessage, isOwn, kafkaClient } from "./topic.js";

export type { ShippingStatus } from "./shipper.js";

export interface KafkaEventLogOptions {
  /** The outbox: an embedded log directory (Recall uses DATA/log). */
  readonly dir: string;
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Partitions when the topic is created (default 8); an existing topic keeps its own. */
  readonly partitions?: number;
  /** This node's name in the topic (the `node` header); default "recall". */
  readonly nodeId?: string;
  readonly clientId?: string;
  /** Operator-facing messages: outages, catching up, recovery. Default: stderr. */
  readonly notice?: (message: string) => void;
  /** Most records per produce request (default 5000). */
  readonly shipBatch?: number;
  /** Back-off between attempts to reach Kafka (default 250 ms doubling to 5 s). */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** How long `close` lets the shipper finish before leaving the rest in the outbox (default 5 s). */
  readonly closeTimeoutMs?: number;
  /** Check record bodies against the catalogue when reading (default true). */
  readonly validate?: boolean;
  readonly outbox?: Omit<SegmentLogOptions, "notice" | "readOnly">;
  /** kafkajs's own log lines (default: none). */
  readonly kafkaLogLevel?: logLevel;
}

export interface ConsumeOptions {
  /** Where a group with no committed offsets starts (default: the beginning). */
  readonly fromBeginning?: boolean;
}

export class KafkaEventLog implements EventLog {
  private closed = false;
  private readonly subscriptions = new Set<Subscription>();
  private readonly readers = new Set<TopicReader>();
  private readonly node: Buffer;
  private readonly backoff: { initialMs: number; maxMs: number };

  private constructor(
    private readonly o: KafkaEventLogOptions,
    /** The outbox: every record of this node, durable; what recovery at start reads. */
    readonly outbox: SegmentLog,
    private readonly kafka: ReturnType<typeof kafkaClient>,
    private readonly shipper: Shipper,
    private readonly notice: (message: string) => void,
  ) {
    this.node = Buffer.from(this.nodeId);
    this.backoff = { initialMs: o.retry?.initialMs ?? 250, maxMs: o.retry?.maxMs ?? 5000 };
  }

  /** Open the outbox and start shipping. Never waits for Kafka: it may be down. */
  static async open(o: KafkaEventLogOptions): Promise<KafkaEventLog> {
    const notice = o.notice ?? ((m: string) => process.stderr.write(`${m}\n`));
    const nodeId = o.nodeId ?? "recall";
    const clientId = o.clientId ?? "recall";
    if (!o.brokers.length) throw new EventLogError("Kafka event log: no brokers configured");
    // Bodies are checked against the catalogue where records are read back (from
    // Kafka); the shipper forwards them as they are.
    const outbox = await SegmentLog.open(o.dir, { ...o.outbox, validate: false, notice, keepPayloads: true });
    const kafka = kafkaClient({ brokers: o.brokers, clientId, ...(o.kafkaLogLevel !== undefined ? { logLevel: o.kafkaLogLevel } : {}) });
    const link = new KafkajsLink({
      kafka, topic: o.topic, partitions: o.partitions ?? 8, nodeId, clientId, brokers: o.brokers, notice,
      ...(o.kafkaLogLevel !== undefined ? { kafkaLogLevel: o.kafkaLogLevel } : {}),
    });
    const shipper = new Shipper({
      link, outbox, topic: o.topic, nodeId, notice,
      batchSize: o.shipBatch ?? 5000,
      backoff: { initialMs: o.retry?.initialMs ?? 250, maxMs: o.retry?.maxMs ?? 5000 },
    });
    const log = new KafkaEventLog(o, outbox, kafka, shipper, notice);
    shipper.start();
    return log;
  }

  get nodeId(): string { return this.o.nodeId ?? "recall"; }
  get topic(): string { return this.o.topic; }
  get nextOffset(): number { return this.outbox.nextOffset; }
  /** How far shipping got, how many events wait in the outbox, and why, if stalled. */
  get shipping(): ShippingStatus { return this.shipper.status; }

  append(drafts: readonly EventDraft[]): Promise<EventRecord[]> {
    if (this.closed) return Promise.reject(new EventLogError("event log is closed"));
    return this.outbox.append(drafts).then((records) => {
      this.shipper.wake();
      return records;
    });
  }

  /** Resolves once every event appended before the call is in Kafka. */
  untilShipped(offset = this.outbox.nextOffset): Promise<void> {
    return this.shipper.until(offset);
  }

  async *read(from: number, options: ReadOptions = {}): AsyncIterable<EventRecord[]> {
    const end = Math.min(options.to ?? Infinity, this.outbox.durableOffset);
    if (Math.max(0, from) >= end) return;
    const reader = this.reader(Math.max(0, from), end);
    try {
      for (let batch = await reader.next(options.batchSize ?? 4096); batch; batch = await reader.next(options.batchSize ?? 4096)) yield batch;
    } finally {
      await reader.close();
      this.readers.delete(reader);
    }
  }

  readAt(offsets: readonly number[]): Promise<EventRecord[]> {
    return this.outbox.readAt(offsets);
  }

  subscribe(from: number, handler: (batch: EventRecord[]) => void | Promise<void>): Subscription {
    const reader = this.reader(Math.max(0, from), Infinity);
    const pump = (async () => {
      for (let batch = await reader.next(4096); batch; batch = await reader.next(4096)) await handler(batch);
    })();
    pump.catch((e) => this.notice(`kafka: subscription from offset ${from} stopped: ${(e as Error).message}`));
    const sub: Subscription = {
      close: async () => {
        this.subscriptions.delete(sub);
        await reader.close();
        this.readers.delete(reader);
        await pump.catch(() => undefined);
      },
    };
    this.subscriptions.add(sub);
    return sub;
  }

  /**
   * Deliver this node's records through consumer group `groupId`, resuming from its
   * committed offsets; each batch is one partition's records in order (so each
   * stream's order holds). A batch is committed after the handler resolves; if the
   * handler throws, the batch is delivered again.
   */
  consume(groupId: string, handler: (batch: EventRecord[]) => void | Promise<void>, options: ConsumeOptions = {}): Subscription {
    let stopped = false;
    const validate = this.o.validate ?? true;
    const changed = new Signal();
    const running = (async () => {
      let delay = this.backoff.initialMs;
      let reported = false;
      while (!stopped) {
        let crashed: Error | null = null;
        const consumer: Consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
        consumer.on(consumer.events.CRASH, (event) => {
          const { error, restart } = event.payload as { error: Error; restart: boolean };
          if (!restart) { crashed = error; changed.notify(); }
        });
        try {
          await consumer.connect();
          await consumer.subscribe({ topics: [this.o.topic], fromBeginning: options.fromBeginning ?? true });
          await consumer.run({
            autoCommit: true,
            autoCommitThreshold: 1,
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale }) => {
              if (!isRunning() || isStale()) return;
              const records: EventRecord[] = [];
              for (const m of batch.messages) if (isOwn(m, this.node)) records.push(decodeMessage(m, this.o.topic, batch.partition, validate));
              if (records.length) await handler(records);
              resolveOffset(batch.lastOffset());
              await commitOffsetsIfNecessary();
            },
          });
          if (reported) this.notice(`kafka: consumer group ${groupId} running again`);
          reported = false;
          delay = this.backoff.initialMs;
          while (!stopped && !crashed) await changed.wait();
        } catch (e) {
          crashed = e as Error;
        } finally {
          await consumer.disconnect().catch(() => undefined);
        }
        if (crashed && !stopped) {
          if (!reported) this.notice(`kafka: consumer group ${groupId} stopped (${(crashed as Error).message}); retrying`);
          reported = true;
          await changed.wait(delay);
          delay = Math.min(delay * 2, this.backoff.maxMs);
        }
      }
    })();
    const sub: Subscription = {
      close: async () => {
        stopped = true;
        changed.notify();
        this.subscriptions.delete(sub);
        await running;
      },
    };
    this.subscriptions.add(sub);
    return sub;
  }

  private reader(from: number, end: number): TopicReader {
    const reader = new TopicReader({
      kafka: this.kafka, topic: this.o.topic, node: this.node, from, end,
      groupId: () => tapGroupId(this.o.clientId ?? "recall", this.nodeId),
      validate: this.o.validate ?? true, notice: this.notice, backoff: this.backoff,
    });
    this.readers.add(reader);
    return reader;
  }

  /**
   * Stop taking appends, let the shipper finish for up to `closeTimeoutMs`, then stop
   * it and every reader. Events not shipped yet stay in the outbox for the next open.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.outbox.flush();
    await this.shipper.stop(this.o.closeTimeoutMs ?? 5000);
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await Promise.all([...this.readers].map((r) => r.close()));
    await this.outbox.close();
  }
}
