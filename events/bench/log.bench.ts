/**
 * npm run bench:log — the embedded log's figures against issue #2's targets:
 *   1. batched append throughput (target ≥ 200,000 events/s);
 *   2. append-to-durable latency at a steady 20,000 events/s (target p99 < 10 ms);
 *   3. replay: read, decode, check and fold (target ≥ 500,000 events/s), and
 *      re-running the machines (`replay --verify`), reported alongside.
 * Kafka's figure comes from events/bench/kafka.bench.ts.
 */
import { rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { SegmentLog } from "../embedded/segment-log.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { sampleDraft } from "../testing.js";
import type { EventDraft } from "../record.js";
import { tempDir } from "../../core/reap.js";

const TOTAL = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH = 1000;
const quiet = { notice: () => undefined };
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

function report(name: string, value: number, unit: string, target: number, higherIsBetter = true) {
  const ratio = higherIsBetter ? value / target : target / value;
  console.log(`${name.padEnd(44)} ${fmt(value).padStart(12)} ${unit.padEnd(9)} target ${higherIsBetter ? "≥" : "<"} ${fmt(target)}  ratio ${ratio.toFixed(2)}  ${ratio >= 1 ? "ok" : "BELOW TARGET"}`);
}

async function throughput(dir: string) {
  const log = await SegmentLog.open(dir, quiet);
  const drafts: EventDraft[] = Array.from({ length: BATCH }, (_, i) => sampleDraft(`contact:${i % 500}`, 1 + Math.floor(i / 500), i));
  const started = process.hrtime.bigint();
  const inflight: Promise<unknown>[] = [];
  for (let n = 0; n < TOTAL; n += BATCH) {
    inflight.push(log.append(drafts));
    if (inflight.length >= 64) await inflight.shift();
  }
  await Promise.all(inflight);
  const s = seconds(started);
  report("embedded append, batches of 1,000", TOTAL / s, "events/s", 200_000);
  await log.close();
}

async function latency(dir: string) {
  const log = await SegmentLog.open(dir, quiet);
  const rate = 20_000, durationS = 5, tickMs = 1;
  const lat: number[] = [];
  const draft = sampleDraft("contact:lat", 1);
  const started = process.hrtime.bigint();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(rate * durationS, Math.floor(seconds(started) * rate));
      for (; sent < due; sent++) {
        const t = process.hrtime.bigint();
        log.append([draft]).then(() => lat.push(Number(process.hrtime.bigint() - t) / 1e6));
      }
      if (sent >= rate * durationS) resolve(); else setTimeout(tick, tickMs);
    };
    tick();
  });
  await log.flush();
  lat.sort((a, b) => a - b);
  const actual = sent / seconds(started);
  console.log(`append latency at ${fmt(actual)} events/s: p50 ${percentile(lat, 0.5).toFixed(2)} ms, p99 ${percentile(lat, 0.99).toFixed(2)} ms, max ${lat[lat.length - 1].toFixed(2)} ms`);
  report("append-to-durable p99 at 20,000 events/s", percentile(lat, 0.99), "ms", 10, false);
  await log.close();
}

async function replay(dir: string) {
  // A realistic log: contacts registering, refreshing and expiring through the runtime.
  const log = await SegmentLog.open(dir, quiet);
  const clock = new VirtualClock();
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(1), kinds: actorKinds });
  const contacts = 20_000, rounds = Math.max(1, Math.floor(TOTAL / contacts / 2));
  const reg = (i: number, cseq: number) => ({ source: "test" as const, type: "register" as const, aor: `${6000 + (i % 1000)}`, uri: `sip:${i}@127.0.0.1:${5000 + (i % 60000)}`, expires: 3600, callId: `c${i}`, cseq, userAgent: "bench", received: "udp:127.0.0.1:5062", endpoint: `${6000 + (i % 1000)}` });
  for (let i = 0; i < contacts; i++) runtime.spawn("contact", `contact:${i}`, reg(i, 1));
  for (let r = 1; r < rounds * 2; r++) {
    for (let i = 0; i < contacts; i++) runtime.send(`contact:${i}`, reg(i, r + 1));
    await runtime.settle();
    clock.advance(60e6);
  }
  await runtime.settle();
  runtime.stop();
  await log.close();

  // Fold in a fresh process, as `recall replay` and recovery do (this one's heap is full of the run above).
  const child = execFileSync(process.execPath, [fileURLToPath(new URL("./replay.child.js", import.meta.url)), dir], { encoding: "utf8" });
  const r = JSON.parse(child) as { events: number; live: number; folds: number[]; verify: number; divergence: boolean };
  console.log(`  (${fmt(r.live)} live actors rebuilt; passes: ${r.folds.map(fmt).join(", ")} events/s, the first with the JIT cold)`);
  report(`replay: read + decode + fold, cold (${fmt(r.events)} events)`, r.folds[0], "events/s", 500_000);
  report(`replay: read + decode + fold, warm`, Math.max(...r.folds.slice(1)), "events/s", 500_000);
  console.log(`replay --verify (re-running every transition): ${fmt(r.verify)} events/s, ${r.divergence ? "DIVERGENCE" : "0 divergences"}`);
}

const root = tempDir("recall-bench-");
try {
  console.log(`Embedded event log benchmark (${fmt(TOTAL)} events, Node ${process.version})`);
  await throughput(join(root, "a"));
  await latency(join(root, "b"));
  await replay(join(root, "c"));
} finally {
  rmSync(root, { recursive: true, force: true });
}
