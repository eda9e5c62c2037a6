/**
 * The Kafka backend against a real broker (infra/kafka/): the EventLog contract, the
 * consumer-group reader, several nodes sharing a topic, and records of the node's
 * log read back in offset order from every partition.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startBroker } from "../../infra/kafka/broker.js";
import { eventLogContract } from "../log-contract.js";
import { sampleDraft } from "../testing.js";
import type { EventLog } from "../log.js";
import type { EventRecord } from "../record.js";
import { Partitioners } from "kafkajs";
import { KafkaEventLog, type KafkaEventLogOptions } from "./kafka-log.js";
import { assertExactlyOnce, dumpTopic } from "./testing.js";
import { kafkaClient } from "./topic.js";
import { tempDir } from "../../core/reap.js";

const broker = await startBroker();
after(() => broker.stop());

const freshDir = () => tempDir("recall-kafka-outbox-");
let topics = 0;
const openLog = (over: Partial<KafkaEventLogOptions> = {}) => KafkaEventLog.open({
  dir: freshDir(), brokers: broker.brokers, topic: `t${++topics}`, notice: () => undefined, retry: { initialMs: 100, maxMs: 1000 }, ...over,
});

eventLogContract("kafka", {
  open: () => openLog(),
  reopen: async (log: EventLog) => {
    const k = log as KafkaEventLog;
    await k.close();
    return openLog({ dir: k.outbox.dir, topic: k.topic });
  },
});

async function readAll(log: EventLog, from = 0, to?: number): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for await (const batch of log.read(from, to === undefined ? {} : { to })) out.push(...batch);
  return out;
}

/** n drafts over `streams` streams, each stream's seq counting from 1. */
function drafts(n: number, streams: number, prefix = "contact:m", start = 0) {
  return Array.from({ length: n }, (_, k) => {
    const i = start + k;
    return sampleDraft(`${prefix}${i % streams}`, Math.floor(i / streams) + 1, i);
  });
}

test("each record goes to its stream's partition, keyed by stream, with the node header; reads merge partitions back into offset order", async () => {
  const log = await openLog({ nodeId: "pbx1", partitions: 5 });
  try {
    await log.append(drafts(600, 23));
    await log.untilShipped();
    assert.deepEqual(log.shipping, { shipped: 600, lag: 0, connected: true });
    const entries = await dumpTopic(broker.brokers, log.topic);
    assert.equal(new Set(entries.map((e) => e.partition)).size, 5);
    assertExactlyOnce(entries, "pbx1", 600, 5);
    assert.deepEqual((await readAll(log)).map((r) => r.offset), Array.from({ length: 600 }, (_, i) => i));
    const slice = await readAll(log, 137, 301);
    assert.deepEqual(slice.map((r) => r.offset), Array.from({ length: 164 }, (_, i) => 137 + i));
    assert.deepEqual(slice.map((r) => r.stream), drafts(600, 23).slice(137, 301).map((d) => d.stream));
  } finally { await log.close(); }
});

test("consume: a consumer group gets every record, each stream in order, and resumes from its committed offsets", async () => {
  const log = await openLog();
  try {
    await log.append(drafts(300, 9));
    const seen: EventRecord[] = [];
    let enough!: () => void;
    const got = new Promise<void>((r) => { enough = r; });
    let sub = log.consume("projection-a", (batch) => { seen.push(...batch); if (seen.length >= 300) enough(); });
    await got;
    await sub.close();
    assert.deepEqual(seen.map((r) => r.offset).sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
    const lastSeq = new Map<string, number>();
    for (const r of seen) {
      assert.equal(r.seq, (lastSeq.get(r.stream) ?? 0) + 1, `stream ${r.stream} out of order`);
      lastSeq.set(r.stream, r.seq);
    }

    await log.append(drafts(50, 9, "contact:m", 300));
    const later: EventRecord[] = [];
    const got2 = new Promise<void>((r) => { enough = r; });
    sub = log.consume("projection-a", (batch) => { later.push(...batch); if (later.length >= 50) enough(); });
    await got2;
    await new Promise((r) => setTimeout(r, 300)); // anything redelivered would show up by now
    await sub.close();
    assert.deepEqual(later.map((r) => r.offset).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => 300 + i));
  } finally { await log.close(); }
});

test("two nodes share a topic: each reads back only its own log, and resumes shipping past the other's messages", async () => {
  const topic = `shared${++topics}`;
  const dirA = freshDir();
  // One partition, so the nodes' messages interleave.
  let a = await openLog({ topic, dir: dirA, nodeId: "a", partitions: 1 });
  const b = await openLog({ topic, nodeId: "b", partitions: 1 });
  try {
    for (let i = 0; i < 5; i++) {
      await a.append(drafts(20, 4, "contact:a", i * 20));
      await b.append(drafts(30, 4, "contact:b", i * 30));
      await Promise.all([a.untilShipped(), b.untilShipped()]);
    }
    // The last 30 messages are b's, and the checkpoint is gone: a's restart must find
    // its last shipped offset further back in the topic.
    await a.close();
    rmSync(join(dirA, "kafka-shipped.json"));
    a = await openLog({ topic, dir: dirA, nodeId: "a", partitions: 1 });
    await a.append(drafts(10, 4, "contact:a", 100));
    await a.untilShipped();
    const entries = await dumpTopic(broker.brokers, topic);
    assertExactlyOnce(entries, "a", 110, 1);
    assertExactlyOnce(entries, "b", 150, 1);
    assert.deepEqual((await readAll(a)).map((r) => [r.offset, r.stream]), drafts(110, 4, "contact:a").map((d, i) => [i, d.stream]));
    assert.deepEqual((await readAll(b)).map((r) => r.offset), Array.from({ length: 150 }, (_, i) => i));
  } finally { await a.close(); await b.close(); }
});

test("a corrupt message in the topic is reported with its partition and Kafka offset, never skipped", async () => {
  const log = await openLog({ nodeId: "c", partitions: 1 });
  try {
    await log.append(drafts(3, 1));
    await log.untilShipped();
    const producer = kafkaClient({ brokers: broker.brokers, clientId: "corrupter" }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: log.topic, messages: [{ key: "contact:m0", value: Buffer.from("not a record"), partition: 0, headers: { node: "c" } }] });
    await producer.disconnect();
    await log.append(drafts(1, 1, "contact:m", 3));
    await log.untilShipped();
    await assert.rejects(readAll(log), /bad event record.*\(Kafka topic t\d+ partition 0, Kafka offset 3\)/);
  } finally { await log.close(); }
});
