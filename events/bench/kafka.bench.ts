/**
 * The Kafka backend end to end on a local broker (infra/kafka/), against issue #2's
 * target of 50,000 events/s:
 *   1. shipped: events appended (durable in the outbox) and in the topic, per second;
 *   2. catch-up: a backlog left by an outage shipped from the outbox, per second;
 *   3. consumed: the topic read back in offset order (`read`), and through a
 *      consumer group (`consume`), per second.
 *   node dist/events/bench/kafka.bench.js      (BENCH_EVENTS=200000 by default)
 * Starts and stops its own broker.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startBroker } from "../../infra/kafka/broker.js";
import { KafkaEventLog } from "../kafka/kafka-log.js";
import { sampleDraft } from "../testing.js";
import type { EventDraft } from "../record.js";
import { tempDir } from "../../core/reap.js";

const TOTAL = Number(process.env.BENCH_EVENTS ?? 200_000);
const TARGET = 50_000;
const BATCH = 1000;
const STREAMS = 500;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

function report(name: string, perSecond: number, target?: number) {
  const tail = target ? `target ≥ ${fmt(target)}  ratio ${(perSecond / target).toFixed(2)}  ${perSecond >= target ? "ok" : "BELOW TARGET"}` : "";
  console.log(`${name.padEnd(52)} ${fmt(perSecond).padStart(10)} events/s  ${tail}`);
}

const drafts = (from: number): EventDraft[] =>
  Array.from({ length: BATCH }, (_, k) => sampleDraft(`contact:${(from + k) % STREAMS}`, Math.floor((from + k) / STREAMS) + 1, from + k));

const root = tempDir("recall-kafka-bench-");
const broker = await startBroker();
const notices: string[] = [];
const open = (name: string, brokers = broker.brokers) => KafkaEventLog.open({
  dir: join(root, name), brokers, topic: `bench-${name}`, nodeId: "bench", notice: (m) => notices.push(m), retry: { initialMs: 100, maxMs: 500 },
});
try {
  console.log(`Kafka event log benchmark (${fmt(TOTAL)} events of ~${sampleSize()} bytes, ${STREAMS} streams, 8 partitions, Node ${process.version})`);

  // 0. Warm the broker's JIT (a production broker is long warm): ship and discard a first run.
  const warm = await open("warm-up");
  for (let n = 0; n < Math.min(TOTAL, 100_000); n += BATCH) await warm.append(drafts(n));
  await warm.untilShipped();
  await warm.close();

  // 1. Append and ship at once: the live figure.
  const live = await open("live");
  await live.append(drafts(0).slice(0, 1)); // topic created, producer connected
  await live.untilShipped();
  let started = process.hrtime.bigint();
  const inflight: Promise<unknown>[] = [];
  for (let n = 1; n < TOTAL; n += BATCH) {
    inflight.push(live.append(drafts(n).slice(0, Math.min(BATCH, TOTAL - n))));
    if (inflight.length >= 16) await inflight.shift();
  }
  await Promise.all(inflight);
  const appendedIn = seconds(started);
  await live.untilShipped();
  const shippedIn = seconds(started);
  console.log(`  (appends durable in the outbox after ${appendedIn.toFixed(2)} s, all in Kafka after ${shippedIn.toFixed(2)} s)`);
  report("shipped: append → outbox → Kafka (acks=-1)", (TOTAL - 1) / shippedIn, TARGET);

  // 2. Consume the topic.
  started = process.hrtime.bigint();
  let read = 0;
  for await (const batch of live.read(0)) read += batch.length;
  report(`consumed: read(0), offset order (${fmt(read)})`, read / seconds(started), TARGET);
  started = process.hrtime.bigint();
  let consumed = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => { done = r; });
  const sub = live.consume("bench-projection", (batch) => { consumed += batch.length; if (consumed >= TOTAL) done(); });
  await all;
  report("consumed: consumer group (per-partition order)", consumed / seconds(started), TARGET);
  await sub.close();
  await live.close();

  // 3. A backlog written while Kafka was away, shipped when it is back.
  const backlog = await open("backlog", ["127.0.0.1:1"]);
  for (let n = 0; n < TOTAL; n += BATCH) await backlog.append(drafts(n));
  await backlog.close();
  started = process.hrtime.bigint();
  const resumed = await open("backlog");
  await resumed.untilShipped();
  report("catch-up: outbox backlog → Kafka (after an outage)", TOTAL / seconds(started), TARGET);
  await resumed.close();
} finally {
  await broker.stop();
  rmSync(root, { recursive: true, force: true });
}

function sampleSize(): number {
  return JSON.stringify(sampleDraft("contact:1", 1)).length;
}
