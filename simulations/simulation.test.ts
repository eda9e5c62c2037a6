/**
 * A short simulated day on every `npm test`: real SIP between simulated phones and the
 * real PBX on a virtual clock; every invariant holds, the log replays, and the same seed
 * writes the same log bytes while another seed writes another day. The network test
 * shows loss, duplicates and reordering are drawn from the seed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { simulate, simulationConfig, type SimulateOptions } from "./simulation.js";
import { World, drain } from "./world.js";
import { QUEUE_ORDER } from "./queue-order.js";
import { KAFKA_APPENDS, KAFKA_ONCE, KAFKA_RESUME } from "./kafka.js";
import { STRATEGIES } from "../actors/queue/config.js";
import type { MemoryPacket } from "../sip/transport/index.js";
import { tempDir } from "../core/reap.js";

const day = (seed: number, extra: Partial<SimulateOptions> = {}): SimulateOptions => ({
  seed, dataDir: tempDir(`recall-sim-${seed}-`), agents: 4, calls: 40, hours: 0.5, faults: false, ...extra,
});

/** The sample dialplan without queues: callers Dial an agent's extension directly. */
const directConfig = (agents: number) => {
  const dir = tempDir("recall-sim-config-");
  simulationConfig(dir, agents);
  rmSync(join(dir, "queues.conf"), { force: true });
  return dir;
};

/** The log's segments alone (the Kafka shipper keeps its checkpoint next to them). */
const segmentBytes = (dataDir: string) => {
  const dir = join(dataDir, "log");
  return Buffer.concat(readdirSync(dir).filter((f) => f.endsWith(".seg")).sort().map((f) => readFileSync(join(dir, f))));
};

const logBytes = (dataDir: string) => {
  const dir = join(dataDir, "log");
  return Buffer.concat(readdirSync(dir).sort().map((f) => readFileSync(join(dir, f))));
};

test("a short day without queues: calls are answered, abandoned and refused, every invariant holds, the log replays; same seed, same bytes", async () => {
  const configDir = directConfig(4);
  const a = day(11, { configDir }), b = day(11, { configDir }), c = day(12, { configDir });
  const first = await simulate(a);
  assert.equal(first.violation, undefined, first.violation?.message);
  assert.equal(first.offered, 40);
  assert.ok(first.answered > 10, `answered ${first.answered}`);
  assert.equal(first.answered + first.abandoned + first.refused + first.other, first.offered);
  assert.ok(first.invariants.includes("replay of the log reproduces every transition"));
  assert.ok(first.events > 500);
  const second = await simulate(b);
  assert.deepEqual(second, first, "the same seed: the same day");
  assert.ok(logBytes(a.dataDir).equals(logBytes(b.dataDir)), "the same seed writes a byte-identical log");
  const other = await simulate(c);
  assert.equal(other.violation, undefined, other.violation?.message);
  assert.ok(!logBytes(c.dataDir).equals(logBytes(a.dataDir)), "another seed makes another day");
});

test("a day with faults: the PBX crashes mid-call and restarts from its log, the network loses bursts, a phone vanishes; the invariants hold and the seed reproduces it", async () => {
  const configDir = directConfig(6);
  const a = day(1, { agents: 6, calls: 80, hours: 1, faults: true, configDir }), b = day(1, { agents: 6, calls: 80, hours: 1, faults: true, configDir });
  const first = await simulate(a);
  assert.equal(first.violation, undefined, first.violation?.message);
  assert.ok(first.faults.some((f) => f.startsWith("crash at")), first.faults.join("\n"));
  assert.ok(first.faults.some((f) => f.includes("vanished")));
  assert.ok(first.network.lost > 0, "the loss burst lost packets");
  assert.ok(first.invariants.includes("nothing acknowledged is lost across a crash"));
  assert.ok(first.invariants.includes("replay of the log reproduces every transition"));
  const second = await simulate(b);
  assert.deepEqual(second, first);
  assert.ok(logBytes(a.dataDir).equals(logBytes(b.dataDir)), "faults too come from the seed");
});

test("a disk full for 30 s: the runtime holds the transitions the log refused and stores them, in order, once it takes appends again; the log never falls behind memory (seed 4 found it did)", async () => {
  const s = await simulate(day(4, { agents: 10, calls: 300, hours: 2, faults: true, diskFull: true, configDir: directConfig(10) }));
  assert.ok(s.faults.some((f) => f.startsWith("disk full")));
  assert.equal(s.violation, undefined, s.violation?.message);
  assert.ok(s.invariants.includes("the log, folded, holds no call left up"));
  assert.ok(s.invariants.includes("replay of the log reproduces every transition"));
  assert.ok(s.offered > 200 && s.answered > 100, `${s.offered} offered, ${s.answered} answered`);
});

test("with the sample's support queue: agents log in with *45 and take the queue's calls; every ENTERQUEUE ends once; same seed, same bytes", async () => {
  const a = day(21, { agents: 5, calls: 60, hours: 0.5 }), b = day(21, { agents: 5, calls: 60, hours: 0.5 });
  const first = await simulate(a);
  assert.equal(first.violation, undefined, first.violation?.message);
  assert.ok(first.invariants.includes("a queue member is never in two calls (ringinuse=no)"));
  assert.ok(first.invariants.includes(QUEUE_ORDER));
  assert.ok(first.queue && first.queue.entered > 30, JSON.stringify(first.queue));
  assert.equal(first.queue!.entered, first.queue!.connected + first.queue!.abandoned + first.queue!.exited);
  assert.ok(first.queue!.connected > 20);
  assert.deepEqual(await simulate(b), first);
  assert.ok(logBytes(a.dataDir).equals(logBytes(b.dataDir)));
});

test("queues across a crash: the restart abandons the callers who were waiting and frees the members who were in a call (seed 4)", async () => {
  const s = await simulate(day(4, { agents: 8, calls: 300, hours: 2, faults: true }));
  assert.equal(s.violation, undefined, s.violation?.message);
  const crash = s.faults.find((f) => f.startsWith("crash at"));
  assert.match(crash ?? "", / [1-9]\d* queue calls ended by the restart/);
  assert.equal(s.queue!.entered, s.queue!.connected + s.queue!.abandoned + s.queue!.exited);
});

test("a member rung for one caller is not rung for another until that caller is done with it (ringinuse=no; found by seed 2: a caller whose ringall group was answered freed a member another caller was ringing)", async () => {
  const s = await simulate(day(2, { agents: 8, calls: 300, hours: 2, faults: true }));
  assert.ok(s.faults.some((f) => f.includes("vanished")));
  assert.equal(s.violation, undefined, s.violation?.message);
  assert.ok(s.invariants.includes("a queue member is never in two calls (ringinuse=no)"));
});

test("every strategy keeps queue order: callers ring in their turn, members in the strategy's order, and the legs dialled are the group chosen", async () => {
  for (const strategy of STRATEGIES) {
    const s = await simulate(day(31, { agents: 5, calls: 50, hours: 0.4, faults: true, strategy }));
    assert.equal(s.violation, undefined, `${strategy}: ${s.violation?.message}`);
    assert.ok(s.invariants.includes(QUEUE_ORDER), strategy);
    assert.ok(s.queue!.connected > 10, `${strategy}: ${JSON.stringify(s.queue)}`);
  }
});

test("with the Kafka backend and faults: the real shipper ships the day to a simulated broker through an outage and lost acknowledgements, every record exactly once; shipping leaves the log as the embedded backend writes it", async () => {
  const kafkaConfig = directConfig(4);
  writeFileSync(join(kafkaConfig, "recall.conf"), "[log]\nbackend = kafka\n[kafka]\ntopic = sim.events\npartitions = 4\n");
  const a = day(8, { agents: 4, calls: 60, hours: 0.5, faults: true, configDir: kafkaConfig });
  const first = await simulate(a);
  assert.equal(first.violation, undefined, first.violation?.message);
  const outage = first.faults.find((f) => f.startsWith("Kafka outage"));
  assert.match(outage ?? first.faults.join("\n"), /^Kafka outage at \+\d\d:\d\d:\d\d for \d+ s.*: [1-9]\d* events appended, [1-9]\d* calls came in and [1-9]\d* were answered meanwhile; \d+ acknowledgements lost around it; shipping lag up to [1-9]\d* events, caught up at \+\d\d:\d\d:\d\d$/);
  const k = first.kafka!;
  assert.deepEqual([k.topic, k.partitions, k.shipped, k.inTopic], ["sim.events", 4, first.events, first.events], "every event shipped, each once");
  assert.ok(k.failed > 0 && k.lostAcks > 0, `the outage failed requests (${k.failed}) and acknowledgements were lost (${k.lostAcks})`);
  // Seed 8's first crash falls inside the outage: the restarted shipper resumed from what the topic held.
  assert.match(outage!, /\(the PBX crashed during it\)/);
  for (const i of [KAFKA_ONCE, KAFKA_APPENDS, KAFKA_RESUME]) assert.ok(first.invariants.includes(i), i);
  // The same seed: the same day, shipping included; the log as the embedded backend writes it.
  const b = day(8, { agents: 4, calls: 60, hours: 0.5, faults: true, configDir: kafkaConfig });
  assert.deepEqual(await simulate(b), first);
  assert.ok(segmentBytes(a.dataDir).equals(segmentBytes(b.dataDir)));
  const embedded = day(8, { agents: 4, calls: 60, hours: 0.5, faults: true, configDir: directConfig(4) });
  const plain = await simulate(embedded);
  assert.equal(plain.kafka, undefined);
  assert.ok(segmentBytes(embedded.dataDir).equals(segmentBytes(a.dataDir)), "shipping does not change the log");
});

test("a data directory that already holds a log is refused, not appended to", async () => {
  const o = day(3, { calls: 2, hours: 0.05 });
  await simulate(o);
  await assert.rejects(simulate(o), /already holds a log/);
});

test("the simulated network loses, duplicates and reorders packets as the seed says", async () => {
  const run = async (seed: number) => {
    const world = new World(seed);
    world.net.conditions = { latencyMicros: 1_000, jitterMicros: 5_000, loss: 0.2, duplicate: 0.2 };
    const got: number[] = [];
    const a = world.net.network.transport({ name: "a", protocol: "udp", host: "10.9.0.1", port: 5060 });
    const b = world.net.network.transport({ name: "b", protocol: "udp", host: "10.9.0.2", port: 5060 });
    await a.start({ receive: () => undefined, internalError: () => undefined } as never);
    await b.start({ receive: (m: { get(n: string): string | undefined }) => got.push(Number(m.get("CSeq")?.split(" ")[0])), internalError: () => undefined } as never);
    for (let i = 1; i <= 200; i++) a.send(Buffer.from(`OPTIONS sip:b@10.9.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.9.0.1;branch=z9hG4bK${i}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: n\r\nCSeq: ${i} OPTIONS\r\nContent-Length: 0\r\n\r\n`), "10.9.0.2", 5060);
    while (await world.step(Infinity, () => drain(1)));
    return { got, stats: world.net.stats };
  };
  const one = await run(5);
  assert.deepEqual(await run(5), one, "the same seed: the same fate for every packet");
  const distinct = new Set(one.got);
  assert.ok(one.stats.lost > 10 && distinct.size < 200, "some packets are lost");
  assert.ok(one.got.length > distinct.size, "some arrive twice");
  assert.ok(one.got.some((n, i) => i > 0 && n < one.got[i - 1]), "some overtake others");
  const cut = new World(1);
  cut.net.partitioned.add("10.9.0.2");
  const packet: MemoryPacket = { protocol: "udp", from: { host: "10.9.0.1", port: 1 }, to: { host: "10.9.0.2", port: 1 }, data: Buffer.alloc(0) };
  assert.equal(cut.net.network.drop?.(packet), true, "a partitioned host gets nothing");
});
