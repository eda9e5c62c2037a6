/**
 * The Kafka invariants catch a broken topic: a broker that drops one record it
 * acknowledged, one that stores a record twice, and one whose read-back overstates
 * where a partition stands (so a restarted shipper resumes past records never
 * shipped). Each is reported like any violation: invariant, seed, offset, reproduction.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { simulate, simulationConfig, type SimulateOptions } from "./simulation.js";
import { KAFKA_ONCE, KAFKA_RESUME, type BrokerSabotage } from "./kafka.js";
import { simulateCommand } from "./command.js";
import { tempDir } from "../core/reap.js";

function kafkaDay(seed: number, brokerSabotage: BrokerSabotage, extra: Partial<SimulateOptions> = {}): SimulateOptions {
  const configDir = tempDir("recall-sim-kafka-config-");
  simulationConfig(configDir, 3);
  rmSync(join(configDir, "queues.conf"), { force: true });
  writeFileSync(join(configDir, "recall.conf"), "[log]\nbackend = kafka\n");
  return { seed, dataDir: tempDir(`recall-sim-kafka-${seed}-`), agents: 3, calls: 20, hours: 0.2, faults: false, configDir, brokerSabotage, ...extra };
}

test("a broker that loses one record it acknowledged: the record is named missing from its partition", async () => {
  const s = await simulate(kafkaDay(5, { drop: 40 }));
  const v = s.violation;
  assert.ok(v, "caught");
  assert.equal(v.invariant, KAFKA_ONCE);
  assert.equal(v.offset, 40);
  assert.match(v.message, /outbox record 40 \(.+\) is not in partition \d+ of topic recall\.events/);
  assert.match(v.message, /\(seed 5, log offset 40, actor .+\); reproduce with: recall simulate --seed 5 /);
});

test("a broker that stores one record twice: the second copy is named", async () => {
  const s = await simulate(kafkaDay(5, { double: 40 }));
  assert.equal(s.violation?.invariant, KAFKA_ONCE);
  assert.equal(s.violation?.offset, 40);
  assert.match(s.violation.message, /holds record 40 again, or out of order/);
});

test("a read-back that overstates where the partitions stand: the restarted shipper's resume past records never shipped is caught", async () => {
  const s = await simulate(kafkaDay(1, { readBackAhead: 20 }, { agents: 3, calls: 40, hours: 0.5, faults: true }));
  assert.ok(s.faults.some((f) => f.startsWith("Kafka outage") && f.includes("crashed during it")), s.faults.join("\n"));
  assert.equal(s.violation?.invariant, KAFKA_RESUME, s.violation?.message);
  assert.match(s.violation.message, /after the restart, partition \d+ went on at record \d+, but the topic held this node's records there only up to \d+: outbox record \d+ was skipped/);
});

test("recall simulate --kafka writes backend = kafka into the generated configuration; with --config it is refused (that recall.conf says)", async () => {
  let err = "";
  assert.equal(await simulateCommand({ seed: "1", data: tempDir("recall-sim-kafka-"), config: "/nonexistent", kafka: true }, () => undefined, (s) => { err += s; }), 2);
  assert.match(err, /--kafka sets the generated configuration's log backend; with --config, set \[log\] backend = kafka in its recall.conf/);
  let out = "";
  const data = tempDir("recall-sim-kafka-");
  assert.equal(await simulateCommand({ seed: "2", data, agents: "2", calls: "5", hours: "0.05", kafka: true, "no-projections": true }, (s) => { out += s; }, (s) => { out += s; }), 0, out);
  assert.match(out, /kafka \(the real shipper, a simulated broker\): (\d+) events shipped to topic recall\.events \(8 partitions, \1 records there\)/);
  assert.match(out, /invariants: 0 violations/);
});
