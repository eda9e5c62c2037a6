/**
 * npm run bench:queues — the queue figures that need no SIP peers:
 * - `queue show` of a 200-member queue (target < 50 ms), with 1,000 members in 50 more queues live;
 * - the strategy's ring order over a 200-member queue (what Queue() computes before it rings);
 * - a rebuild of queue_log from a log of queue calls into chDB and into DATA/queue_log, in
 *   events/s, beside README's CDR/CEL rebuild figure (target: at least as fast).
 * Queue() through sipp agents at 100 callers/s is simulations/bench/queues-sipp.bench.ts.
 */
import { join } from "node:path";
import { VirtualClock } from "../../core/clock.js";
import { tempDir } from "../../core/reap.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import { QueueService } from "../../actors/queue/service.js";
import { DEFAULT_GENERAL, defaultQueue, type QueueConfig } from "../../actors/queue/config.js";
import { formatQueue } from "../../actors/queue/console.js";
import { ringOrder } from "../../actors/queue/strategy.js";
import { rebuild } from "../../projections/rebuild.js";
import { openChdbSink } from "../../projections/sinks/chdb.js";
import { QueueLogFileSink } from "../../projections/queue-log/file-sink.js";
import { allCel, defaultCdr } from "../../projections/config.js";

const out = (s: string) => process.stdout.write(`${s}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function main(): Promise<void> {
  const dir = tempDir("recall-bench-queues-");
  const log = await SegmentLog.open(join(dir, "log"), { notice: () => undefined });
  const clock = new VirtualClock(1_800_000_000_000_000);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(1), kinds: actorKinds });
  const queues = new QueueService(runtime, () => "NOT_INUSE");
  const conf = new Map<string, QueueConfig>();
  for (let q = 0; q < 50; q++) {
    conf.set(`q${q}`, { ...defaultQueue(`q${q}`), strategy: "leastrecent", members: Array.from({ length: 20 }, (_, m) => ({ interface: `PJSIP/a${q}-${m}`, penalty: m % 3, name: `Agent ${q}-${m}`, stateInterface: `PJSIP/a${q}-${m}`, paused: false })) });
  }
  conf.set("big", { ...defaultQueue("big"), members: Array.from({ length: 200 }, (_, m) => ({ interface: `PJSIP/big${m}`, penalty: 0, name: `PJSIP/big${m}`, stateInterface: `PJSIP/big${m}`, paused: false })) });
  queues.apply({ general: DEFAULT_GENERAL, queues: conf, rules: new Map(), warnings: [] }, clock.now());
  await runtime.settle();

  // Queue calls: join, select, connect (queue and member), complete (queue and member), across the 50 queues.
  const CALLS = 40_000;
  for (let i = 0; i < CALLS; i++) {
    const q = `q${i % 50}`, member = `PJSIP/a${i % 50}-${Math.floor(i / 50) % 20}`, uid = `${1_800_000_000 + i}.${i}`;
    clock.advance(10_000);
    queues.sendQueue(q, { source: "test", type: "join", uniqueid: uid, channel: `PJSIP/caller-${i}`, callerIdNum: "1001", callerIdName: "", url: "" });
    queues.sendQueue(q, { source: "test", type: "select", uniqueid: uid, candidates: queues.members(q).slice(0, 20).map((m, index) => ({ id: m.interface, penalty: m.penalty, callsTaken: m.callsTaken, lastCall: m.lastCall, index })) });
    queues.sendQueue(q, { source: "test", type: "connect", uniqueid: uid, interface: member, agent: member, peerUniqueid: `${uid}1`, holdtime: 1, ringtime: 1 });
    queues.sendMember(q, member, { source: "test", type: "connect", uniqueid: uid });
    queues.sendQueue(q, { source: "test", type: "complete", uniqueid: uid, interface: member, agent: member, by: "caller", holdtime: 1, talktime: 5, position: 1 });
    queues.sendMember(q, member, { source: "test", type: "complete", wrapuptime: 0 });
    if (i % 1000 === 999) await runtime.settle();
  }
  await runtime.settle();
  out(`log: ${log.nextOffset.toLocaleString("en")} events (${CALLS.toLocaleString("en")} queue calls over 50 queues of 20 members, plus a 200-member queue)`);

  const show: number[] = [];
  for (let i = 0; i < 50; i++) { const t = performance.now(); formatQueue(queues, "big", clock.now()); show.push(performance.now() - t); }
  out(`queue show big (200 members): median ${pct(show, 0.5).toFixed(2)} ms, p99 ${pct(show, 0.99).toFixed(2)} ms (target < 50 ms)`);

  const order: number[] = [];
  const candidates = queues.members("big").map((m, index) => ({ id: m.interface, penalty: m.penalty, callsTaken: m.callsTaken, lastCall: m.lastCall, index }));
  for (let i = 0; i < 200; i++) { const t = performance.now(); ringOrder("leastrecent", candidates, { rrpos: 0, now: clock.now(), random: () => 0 }); order.push(performance.now() - t); }
  out(`strategy over 200 members: median ${pct(order, 0.5).toFixed(3)} ms, p99 ${pct(order, 0.99).toFixed(3)} ms`);

  const settings = { cdr: defaultCdr, cel: allCel };
  await log.close();
  // As `recall rebuild` reads it: read-only, frames' checksums trusted.
  const reader = await SegmentLog.open(join(dir, "log"), { readOnly: true, validate: false, notice: () => undefined });
  // Wall time on a shared machine moves with the load; CPU seconds less so: both are printed, best of three runs.
  for (const [label, open] of [
    ["chDB (cdr, cel, queue_log tables)", () => openChdbSink(join(dir, "chdb"))],
    ["DATA/queue_log", async () => new QueueLogFileSink(dir)],
  ] as const) {
    let best = { rate: 0, cpuRate: 0, seconds: 0, cpu: 0, rows: 0 };
    for (let run = 0; run < 3; run++) {
      const sink = await open();
      const cpu = process.cpuUsage();
      const r = await rebuild(reader, sink, settings);
      const c = process.cpuUsage(cpu);
      const cpuSeconds = (c.user + c.system) / 1e6;
      if (r.events / r.seconds > best.rate) best = { rate: r.events / r.seconds, cpuRate: r.events / cpuSeconds, seconds: r.seconds, cpu: cpuSeconds, rows: r.rows.queue_log };
      await sink.close();
    }
    out(`rebuild into ${label}: ${Math.round(best.rate).toLocaleString("en")} events/s (${best.seconds.toFixed(2)} s wall, ${best.cpu.toFixed(2)} s CPU: ` +
      `${Math.round(best.cpuRate).toLocaleString("en")} events per CPU-second), ${best.rows.toLocaleString("en")} queue_log rows, best of 3`);
  }
  out("README's CDR/CEL rebuild into chDB on this machine: 213,000–217,000 events/s (npm run bench:projections prints it with its CPU seconds)");
  await reader.close();
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });
