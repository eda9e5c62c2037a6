/**
 * `npm run sim:sweep`: many seeds of a faulty day, one after another, each in a fresh
 * data directory. A seed that violates an invariant is reported with its one-line
 * reproduction and its data directory kept; passing ones are deleted.
 * The support queue's strategy turns with the seed (seed 1 ringall, 2 leastrecent, ... in
 * the order of STRATEGIES), so a sweep covers every strategy; --strategy fixes one.
 * --kafka runs each day on the Kafka backend (shipped to a simulated broker, with its outage).
 * Usage: node dist/simulations/sweep.js [--from N] [--count N] [--agents A] [--calls C] [--hours H] [--strategy S] [--kafka] [--no-faults]
 */
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simulate } from "./simulation.js";
import { STRATEGIES, type Strategy } from "../actors/queue/config.js";

const { values } = parseArgs({ options: {
  from: { type: "string", default: "1" }, count: { type: "string", default: "100" }, agents: { type: "string", default: "10" },
  calls: { type: "string", default: "300" }, hours: { type: "string", default: "2" }, strategy: { type: "string" }, "no-faults": { type: "boolean", default: false },
  kafka: { type: "boolean", default: false },
} });
const from = Number(values.from), count = Number(values.count);
const t0 = process.hrtime.bigint();
const failed: string[] = [];
for (let seed = from; seed < from + count; seed++) {
  const dataDir = mkdtempSync(join(tmpdir(), `recall-sweep-${seed}-`));
  const t = process.hrtime.bigint();
  const strategy = (values.strategy ?? STRATEGIES[(seed - 1) % STRATEGIES.length]) as Strategy;
  if (!STRATEGIES.includes(strategy)) throw new Error(`--strategy ${strategy}: expected one of ${STRATEGIES.join(", ")}`);
  const s = await simulate({ seed, dataDir, agents: Number(values.agents), calls: Number(values.calls), hours: Number(values.hours), faults: !values["no-faults"], strategy, kafka: values.kafka });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  if (s.violation) {
    failed.push(`seed ${seed} (${strategy}): ${s.violation.message} (data kept in ${dataDir})`);
    process.stdout.write(`seed ${seed}: VIOLATION ${s.violation.message}\n`);
  } else {
    rmSync(dataDir, { recursive: true, force: true });
    process.stdout.write(`seed ${seed}: ok (${strategy}), ${s.offered} calls, ${s.answered} answered, ${s.faults.length} faults, ${s.events} events, ${secs.toFixed(1)} s\n`);
  }
}
const total = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(`${count} seeds in ${total.toFixed(0)} s: ${failed.length} with violations\n${failed.join("\n")}${failed.length ? "\n" : ""}`);
process.exitCode = failed.length ? 1 : 0;
