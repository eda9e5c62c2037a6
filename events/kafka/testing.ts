/** Test helpers for the Kafka backend: what the topic really holds, message by message. */
import assert from "node:assert/strict";
import type { Batch } from "kafkajs";
import { decodeRecord } from "../codec.js";
import { openTap, tapGroupId } from "./tap.js";
import { kafkaClient, NODE_HEADER, partitionOf } from "./topic.js";

export interface TopicEntry {
  readonly partition: number;
  readonly kafkaOffset: number;
  readonly key: string;
  readonly node: string;
  readonly offset: number;
  readonly stream: string;
}

/** Every message of the topic, partition by partition in Kafka order. */
export async function dumpTopic(brokers: readonly string[], topic: string): Promise<TopicEntry[]> {
  const kafka = kafkaClient({ brokers, clientId: "recall-test" });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  await admin.disconnect();
  const entries: TopicEntry[] = [];
  const reached = new Map([...ends].map(([p, high]) => [p, high === 0]));
  let done!: () => void;
  const all = new Promise<void>((r) => { done = r; });
  const check = () => { if ([...reached.values()].every(Boolean)) done(); };
  check();
  const onBatch = async (batch: Batch) => {
    for (const m of batch.messages) {
      if (Number(m.offset) >= ends.get(batch.partition)!) continue;
      const r = decodeRecord(m.value!, undefined, false);
      entries.push({
        partition: batch.partition, kafkaOffset: Number(m.offset), key: m.key?.toString() ?? "", node: m.headers?.[NODE_HEADER]?.toString() ?? "",
        offset: r.offset, stream: r.stream,
      });
    }
    if (Number(batch.lastOffset()) >= ends.get(batch.partition)! - 1) reached.set(batch.partition, true);
    check();
  };
  let crash: Error | null = null;
  const tap = await openTap({ kafka, topic, groupId: tapGroupId("recall-test", "dump"), onBatch, onCrash: (e) => { crash = e; done(); } });
  try {
    await all;
    if (crash) throw crash;
  } finally {
    await tap.close();
  }
  return entries.sort((a, b) => a.partition - b.partition || a.kafkaOffset - b.kafkaOffset);
}

/**
 * The topic holds node `node`'s offsets 0..count-1 exactly once each, every record in
 * its stream's partition, keyed by its stream, in offset order within the partition.
 */
export function assertExactlyOnce(entries: readonly TopicEntry[], node: string, count: number, partitions: number): void {
  const own = entries.filter((e) => e.node === node);
  const seen = new Map<number, number>();
  for (const e of own) seen.set(e.offset, (seen.get(e.offset) ?? 0) + 1);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([o]) => o);
  const missing = Array.from({ length: count }, (_, i) => i).filter((o) => !seen.has(o));
  const extra = [...seen.keys()].filter((o) => o >= count);
  assert.deepEqual({ duplicated: duplicated.slice(0, 20), missing: missing.slice(0, 20), extra: extra.slice(0, 20) }, { duplicated: [], missing: [], extra: [] },
    `node ${node}: ${duplicated.length} offsets duplicated, ${missing.length} missing, ${extra.length} unexpected`);
  const lastInPartition = new Map<number, number>();
  for (const e of own) {
    assert.equal(e.partition, partitionOf(e.stream, partitions), `offset ${e.offset} (stream ${e.stream}) is in partition ${e.partition}`);
    assert.equal(e.key, e.stream);
    assert.ok(e.offset > (lastInPartition.get(e.partition) ?? -1), `partition ${e.partition}: offset ${e.offset} after ${lastInPartition.get(e.partition)}`);
    lastInPartition.set(e.partition, e.offset);
  }
}
