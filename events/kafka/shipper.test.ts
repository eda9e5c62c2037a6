/**
 * Shipping from the outbox to Kafka against a real broker: exactly once after the
 * shipping process is killed, after a batch landed only partly, with Kafka down at
 * start and with Kafka going away mid-run. The topic's content is checked message by
 * message each time.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Partitioners } from "kafkajs";
import { freePorts, startBroker, type Broker } from "../../infra/kafka/broker.js";
import { SegmentLog } from "../embedded/segment-log.js";
import { sampleDraft } from "../testing.js";
import type { EventRecord } from "../record.js";
import { KafkaEventLog, type KafkaEventLogOptions } from "./kafka-log.js";
import { assertExactlyOnce, dumpTopic } from "./testing.js";
import { kafkaClient, partitionOf, toMessage } from "./topic.js";
import { tempDir } from "../../core/reap.js";

const broker = await startBroker();
after(() => broker.stop());

const freshDir = () => tempDir("recall-kafka-outbox-");
let topics = 0;
const fast = { initialMs: 100, maxMs: 500 };

function openLog(over: Partial<KafkaEventLogOptions> & { notices?: string[] } = {}) {
  const { notices, ...rest } = over;
  return KafkaEventLog.open({
    dir: freshDir(), brokers: broker.brokers, topic: `s${++topics}`, retry: fast,
    notice: (m) => { notices?.push(m); }, ...rest,
  });
}

const drafts = (from: number, n: number, streams = 13) =>
  Array.from({ length: n }, (_, k) => sampleDraft(`contact:o${(from + k) % streams}`, Math.floor((from + k) / streams) + 1, from + k));

/** Fail instead of hanging when `p` takes longer than `ms`. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

async function until(what: string, ms: number, condition: () => boolean): Promise<void> {
  await within(ms, what, (async () => { while (!condition()) await new Promise((r) => setTimeout(r, 20)); })());
}

async function readAll(log: KafkaEventLog): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for await (const batch of log.read(0)) out.push(...batch);
  return out;
}

test("kill -9 of the shipping process, three times mid-run: the topic ends with every event exactly once", async () => {
  const dir = freshDir();
  const topic = `crash${++topics}`;
  const fixture = new URL("./ship-crash.fixture.js", import.meta.url).pathname;
  for (let round = 1; round <= 3; round++) {
    const child = spawn(process.execPath, [fixture, dir, broker.brokers[0], topic], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((r) => child.on("exit", r));
    let out = "";
    child.stdout.setEncoding("utf8");
    try {
      await within(30_000, `round ${round}`, new Promise<void>((resolve) => {
        child.stdout.on("data", (d: string) => {
          out += d;
          // Kill once this round has shipped a few hundred events: appends and sends are under way.
          const shipped = out.trim().split("\n").map(Number);
          if (shipped[shipped.length - 1] - shipped[0] >= 300) resolve();
        });
      }));
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  }
  const notices: string[] = [];
  const log = await openLog({ dir, topic, nodeId: "crash", notices });
  try {
    const count = log.nextOffset;
    assert.ok(count > 900, `${count} events appended`);
    await within(30_000, "catching up", log.untilShipped());
    assertExactlyOnce(await dumpTopic(broker.brokers, topic), "crash", count, 8);
    assert.match(notices.join("\n"), /taking over the lock of process \d+, which is gone/);
  } finally { await log.close(); }
});

test("a batch that landed in some partitions only, and no checkpoint: shipping resumes per partition, without duplicates", async () => {
  const dir = freshDir();
  const topic = `part${++topics}`;
  // The outbox, written while Kafka was never reached.
  const outbox = await SegmentLog.open(dir, { notice: () => undefined });
  await outbox.append(drafts(0, 400));
  const records: EventRecord[] = [];
  for await (const b of outbox.read(0)) records.push(...b);
  await outbox.close();
  // A crashed shipper got partitions 0-3 up to offset 299 and the others up to 99 into the topic.
  const kafka = kafkaClient({ brokers: broker.brokers, clientId: "crashed-shipper" });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 8 }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const node = Buffer.from("p");
  const landed = records.filter((r) => r.offset < (partitionOf(r.stream, 8) < 4 ? 300 : 100));
  await producer.send({ topic, acks: -1, messages: landed.map((r) => toMessage(r, node, partitionOf(r.stream, 8))) });
  await producer.disconnect();

  const log = await openLog({ dir, topic, nodeId: "p" });
  try {
    await within(30_000, "shipping", log.untilShipped());
    assertExactlyOnce(await dumpTopic(broker.brokers, topic), "p", 400, 8);
    assert.deepEqual((await readAll(log)).map((r) => r.offset), records.map((r) => r.offset));
  } finally { await log.close(); }
});

test("Kafka down at start: appends are acknowledged, the lag is reported, and everything is shipped once the broker starts", async () => {
  const [port] = await freePorts(1);
  const notices: string[] = [];
  const topic = `late${++topics}`;
  const log = await openLog({ brokers: [`127.0.0.1:${port}`], topic, nodeId: "late", notices });
  let late: Broker | null = null;
  try {
    for (let i = 0; i < 10; i++) await within(2000, "append while Kafka is down", log.append(drafts(i * 50, 50)));
    await until("the outage notice", 10_000, () => notices.length > 0);
    assert.match(notices[0], new RegExp(`kafka: cannot ship events to topic ${topic} at 127\\.0\\.0\\.1:${port}: .*; appends go on into the outbox .* \\(\\d+ events waiting\\) and are shipped when Kafka is back; retrying`));
    const status = log.shipping;
    assert.equal(status.shipped, 0);
    assert.equal(status.lag, 500);
    assert.equal(status.connected, false);
    assert.ok(status.error);

    late = await startBroker({ port });
    await within(30_000, "catching up", log.untilShipped());
    assert.deepEqual(log.shipping, { shipped: 500, lag: 0, connected: true });
    assert.match(notices.join("\n"), /kafka: shipping to late\d+ again after [\d.]+ s; \d+ events still waiting in the outbox/);
    assert.match(notices.join("\n"), /kafka: caught up; every event up to offset 499 is in late\d+/);
    assertExactlyOnce(await dumpTopic(late.brokers, topic), "late", 500, 8);
  } finally {
    await log.close();
    await late?.stop();
  }
});

test("Kafka stopped mid-run: appends go on, shipping stalls with a message, and resumes when the broker is back, nothing lost or repeated", async () => {
  const notices: string[] = [];
  const log = await openLog({ nodeId: "mid", notices });
  try {
    await log.append(drafts(0, 300));
    await within(10_000, "shipping", log.untilShipped());
    // Appends keep coming while the broker goes away.
    let appended = 300;
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        await log.append(drafts(appended, 20));
        appended += 20;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await broker.down();
    await until("the outage notice", 15_000, () => notices.some((m) => m.includes("cannot ship")));
    const during = appended;
    await until("appends during the outage", 5000, () => appended >= during + 200);
    assert.ok(log.shipping.lag > 0);
    assert.equal(log.shipping.connected, false);
    await broker.up();
    stop = true;
    await writer;
    await within(30_000, "catching up", log.untilShipped());
    assert.equal(log.shipping.lag, 0);
    assert.match(notices.join("\n"), /caught up/);
    assertExactlyOnce(await dumpTopic(broker.brokers, log.topic), "mid", appended, 8);
    const back = await readAll(log);
    assert.deepEqual(back.map((r) => r.offset), Array.from({ length: appended }, (_, i) => i));
  } finally { await log.close(); }
});
