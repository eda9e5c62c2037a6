/**
 * A tap: a throwaway consumer that reads every partition of the topic, from the
 * beginning or from chosen Kafka offsets. kafkajs has no manual partition assignment,
 * so a tap is a consumer group of its own (one member, owning every partition) that
 * never commits: it leaves nothing behind that a later reader would resume from.
 */
import type { Batch, Consumer, Kafka } from "kafkajs";

export interface TapOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** Unique per tap. */
  readonly groupId: string;
  /** Kafka offset to start each partition at (default: the earliest). */
  readonly start?: ReadonlyMap<number, string>;
  /** Receives each fetched batch; the next fetch of that partition waits for it. */
  readonly onBatch: (batch: Batch) => Promise<void>;
  /** The consumer stopped for good (kafkajs gave up restarting it). */
  readonly onCrash: (error: Error) => void;
  /** How long the broker may hold a fetch open waiting for data. */
  readonly maxWaitMs?: number;
}

export interface Tap {
  seek(partition: number, offset: string): void;
  close(): Promise<void>;
}

export async function openTap(o: TapOptions): Promise<Tap> {
  const consumer: Consumer = o.kafka.consumer({
    groupId: o.groupId,
    maxWaitTimeInMs: o.maxWaitMs ?? 100,
    allowAutoTopicCreation: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  consumer.on(consumer.events.CRASH, (event) => {
    const { error, restart } = event.payload as { error: Error; restart: boolean };
    if (!restart) o.onCrash(error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: ({ batch }) => o.onBatch(batch) });
  } catch (e) {
    await consumer.disconnect().catch(() => undefined);
    throw e;
  }
  const seek = (partition: number, offset: string) => consumer.seek({ topic: o.topic, partition, offset });
  for (const [partition, offset] of o.start ?? []) seek(partition, offset);
  return { seek, close: () => consumer.disconnect().catch(() => undefined) };
}

/** Wakes whoever waits when something changed; waiters check their condition again. */
export class Signal {
  private waiters: (() => void)[] = [];
  /** Resolves at the next `notify`, or after `timeoutMs`. */
  wait(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      if (timeoutMs === undefined) { this.waiters.push(resolve); return; }
      const timer = setTimeout(done, timeoutMs);
      function done() { clearTimeout(timer); resolve(); }
      this.waiters.push(done);
    });
  }
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let taps = 0;
/** A group id no other tap uses. */
export const tapGroupId = (clientId: string, nodeId: string) => `${clientId}.tap.${nodeId}.${process.pid}.${++taps}`;
