/**
 * npm run bench:projections — rebuild speed into chDB and into a local ClickHouse
 * server (infra/clickhouse/start.sh), a linkedid lookup over 10 million CEL rows in
 * chDB, and the live lag: calls made at 500 a second by the real channel and bridge
 * machines into an embedded log while the live runner (startProjections) writes to
 * chDB; for each hang-up, the time from its append to its CDR row answering a query.
 * Targets: 500,000 events/s (chDB), 200,000 events/s (server), < 100 ms, p99 < 1 s.
 *   BENCH_CALLS (default 20000 calls of the scenario mix), BENCH_CEL_ROWS (default 10,000,000),
 *   BENCH_LIVE_SECONDS (default 20), BENCH_LIVE_RATE (calls/s, default 500),
 *   BENCH_ONLY (comma list of rebuild, server, live; default all)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import type { EventDraft } from "../../events/record.js";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import { allCel, defaultCdr, defaultClickHouse } from "../config.js";
import { startProjections } from "../runner.js";
import { rebuild, REBUILD_READ_BATCH } from "../rebuild.js";
import type { SqlSink } from "../sinks/sql.js";
import { openChdbSink } from "../sinks/chdb.js";
import { ClickHouseSink } from "../sinks/clickhouse.js";
import * as calls from "../test/calls.js";
import { freePort } from "../../interfaces/cli/recall-process.js";

const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 20);
const LIVE_RATE = Number(process.env.BENCH_LIVE_RATE ?? 500);
const ONLY = new Set((process.env.BENCH_ONLY ?? "rebuild,server,live").split(","));
const CEL_ROWS = Number(process.env.BENCH_CEL_ROWS ?? 10_000_000);
const settings = { cdr: defaultCdr, cel: allCel };
const mix = [calls.answered, calls.answered, calls.answered, calls.busy, calls.noAnswer, calls.cancel, calls.gosub, calls.local, calls.blindTransfer];

const line = (name: string, value: number, unit: string, target?: number, lowerIsBetter = false) => {
  const ratio = target === undefined ? "" : `  (${lowerIsBetter ? (target / value).toFixed(2) : (value / target).toFixed(2)}× target ${target.toLocaleString("en")} ${unit})`;
  process.stdout.write(`${name.padEnd(44)} ${Math.round(value).toLocaleString("en").padStart(12)} ${unit}${ratio}\n`);
};

/** CPU seconds used since `from`, next to the wall time: what a rebuild costs whatever else the machine runs. */
const cpuLine = (from: NodeJS.CpuUsage, seconds: number, whose: string) => {
  const c = process.cpuUsage(from);
  process.stdout.write(`  ${seconds.toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU (${whose})\n`);
};


async function main(): Promise<void> {
  if (ONLY.has("rebuild") || ONLY.has("server")) await rebuilds();
  if (ONLY.has("live")) await liveLag();
}

/** The calls of the mix into DIR/log; returns the event count (the driver and its actors are garbage afterwards). */
async function makeLog(dir: string): Promise<number> {
  const d = await calls.CallDriver.open(dir);
  for (let i = 0; i < CALLS; i++) { mix[i % mix.length](d); d.advance(0.5); if (i % 500 === 0) await d.settle(); }
  await d.settle();
  const events = d.log.nextOffset;
  await d.log.close();
  return events;
}

async function rebuilds(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "recall-bench-proj-"));
  const events = await makeLog(dir);
  process.stdout.write(`log: ${events.toLocaleString("en")} events from ${CALLS.toLocaleString("en")} calls\n`);

  // A rebuild reads without schema validation: the frames' checksums already guard the bytes (recall rebuild should open the log so too).
  const log = await SegmentLog.open(join(dir, "log"), { readOnly: true, validate: false, notice: () => undefined });
  let t = process.hrtime.bigint();
  let n = 0;
  for await (const b of log.read(0, { batchSize: REBUILD_READ_BATCH })) n += b.length;
  line("log read alone (envelopes)", n / (Number(process.hrtime.bigint() - t) / 1e9), "events/s");
  t = process.hrtime.bigint();
  n = 0;
  for await (const b of log.read(0, { batchSize: REBUILD_READ_BATCH })) for (const r of b) n += r.state === undefined ? 0 : 1;
  line("log read, bodies decoded (a rebuild's ceiling)", n / (Number(process.hrtime.bigint() - t) / 1e9), "events/s");

  if (ONLY.has("rebuild")) {
    const chdb = await openChdbSink(dir);
    const cpu1 = process.cpuUsage();
    const r1 = await rebuild(log, chdb, settings);
    line("rebuild into chDB", r1.events / r1.seconds, "events/s", 500_000);
    cpuLine(cpu1, r1.seconds, "this process's, chDB's threads included");
    process.stdout.write(`  rows: cdr ${r1.rows.cdr.toLocaleString("en")}, cel ${r1.rows.cel.toLocaleString("en")}\n`);

    // 10M CEL rows: the rebuilt ones plus synthetic calls made by ClickHouse itself (numbers()), 18 rows per call as a
    // transferred call has, 50 calls a second, linkedids shaped like Asterisk's (epoch second.sequence).
    const have = r1.rows.cel;
    const synthetic = Math.max(0, CEL_ROWS - have);
    const PER_CALL = 18;
    t = process.hrtime.bigint();
    if (synthetic > 0) {
      await chdb.query(`INSERT INTO cel SELECT
          ['CHAN_START','APP_START','CHAN_START','ANSWER','ANSWER','BRIDGE_ENTER','BRIDGE_ENTER','BRIDGE_EXIT','BRIDGE_EXIT','HANGUP','CHAN_END',
           'APP_END','HANGUP','CHAN_END','USER_DEFINED','LOCAL_OPTIMIZE','BLINDTRANSFER','LINKEDID_END'][(number % ${PER_CALL}) + 1] AS eventtype,
          toDateTime64(1800000000 + intDiv(number, ${PER_CALL * 50}), 6, 'UTC') + toIntervalMicrosecond(number % ${PER_CALL}) AS eventtime, '' AS userdeftype,
          'Alice' AS cid_name, toString(1000 + number % 500) AS cid_num, cid_num AS cid_ani, '' AS cid_rdnis, '2002' AS cid_dnid, '2002' AS exten, 'internal' AS context,
          concat('PJSIP/', cid_num, '-', leftPad(hex(intDiv(number, ${PER_CALL})), 8, '0')) AS channame, if(number % ${PER_CALL} IN (1, 11), 'Dial', '') AS appname,
          if(appname = '', '', 'PJSIP/2002,30') AS appdata, 3 AS amaflags, '' AS accountcode, '' AS peeraccount,
          concat(toString(1800000000 + intDiv(number, ${PER_CALL * 50})), '.', toString(intDiv(number, ${PER_CALL}) * 2 + number % 2)) AS uniqueid,
          concat(toString(1800000000 + intDiv(number, ${PER_CALL * 50})), '.', toString(intDiv(number, ${PER_CALL}) * 2)) AS linkedid,
          '' AS userfield, '' AS peer, '' AS extra, ${1e12} + number AS log_offset, 0 AS log_index
        FROM numbers(${synthetic})`, "CSV");
    }
    const total = Number((await chdb.query("SELECT count() FROM cel", "TSV")).trim());
    process.stdout.write(`  cel filled to ${total.toLocaleString("en")} rows in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s\n`);
    await chdb.query("OPTIMIZE TABLE cel FINAL", "CSV").catch(() => undefined);
    // Probes: calls spread over the synthetic range (a different call each time, so no cache answers) and over the rebuilt one.
    const synthCalls = Math.max(1, Math.floor(synthetic / PER_CALL));
    const rebuilt = (await chdb.query(`SELECT DISTINCT linkedid FROM cel WHERE log_offset < ${events} LIMIT 10`, "TSV")).trim().split("\n");
    const probes = Array.from({ length: 20 }, (_, i) => (i % 2 && synthetic > 0
      ? `${1800000000 + Math.floor((Math.floor((synthCalls * (i + 0.5)) / 20) * PER_CALL) / (PER_CALL * 50))}.${Math.floor((synthCalls * (i + 0.5)) / 20) * 2}`
      : rebuilt[(i >> 1) % rebuilt.length]));
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      t = process.hrtime.bigint();
      const rows = (await chdb.query(`SELECT * FROM cel WHERE linkedid = '${probes[i]}' ORDER BY log_offset, log_index`, "JSONEachRow")).trim().split("\n").length;
      if (rows < 2) throw new Error(`probe ${probes[i]} found ${rows} rows`);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    line(`SELECT by linkedid, ${total.toLocaleString("en")} CEL rows (median ms)`, times[10], "ms", 100, true);
    line("  (p95 ms)", times[18], "ms");
    await chdb.close();
  }

  const server = ["/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"].some(existsSync);
  if (!ONLY.has("server")) { /* not asked for */ }
  else if (!server) process.stdout.write("rebuild into ClickHouse server: skipped (clickhouse-server not installed)\n");
  else {
    const data = join(dir, "clickhouse");
    const port = await freePort();
    const scripts = resolve(process.cwd(), "infra", "clickhouse");
    const url = execFileSync("sh", [join(scripts, "start.sh"), String(port), data], { env: { ...process.env, CLICKHOUSE_TCP_PORT: String(await freePort()) }, encoding: "utf8" }).trim();
    try {
      const sink = new ClickHouseSink({ ...defaultClickHouse, url });
      const cpu2 = process.cpuUsage();
      const r2 = await rebuild(log, sink, settings);
      line(`rebuild into ClickHouse server (${sink.dialect})`, r2.events / r2.seconds, "events/s", 200_000);
      cpuLine(cpu2, r2.seconds, "this process's; the server's own not counted");
      await sink.close();
    } finally { execFileSync("sh", [join(scripts, "stop.sh"), data]); }
  }
  await log.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Live lag. Calls of the scenario mix start at LIVE_RATE a second, each made by the
 * real channel and bridge machines through the actor runtime into an embedded log
 * (all of a call's ~30 events at its start: the log sees what many overlapping calls
 * give it, a steady stream at ~30 events per call); startProjections folds the log into
 * chDB as it becomes durable, as inside `recall start`, on the same event loop. The
 * time of each hang-up's append is noted; a poller asks chDB every 10 ms for the CDR
 * rows past the last it saw, and a hang-up's lag is the time until the row it closed
 * answered that query. The first 2 s (warming up) are left out.
 */
async function liveLag(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "recall-bench-live-"));
  const log = await SegmentLog.open(join(dir, "log"), { notice: () => undefined });
  const hangups = new Map<number, number>(); // offset → when appended (ms)
  const append = log.append.bind(log);
  log.append = (drafts: readonly EventDraft[]) => {
    const first = log.nextOffset, at = performance.now();
    for (let i = 0; i < drafts.length; i++) if (drafts[i].input.type === "hangup") hangups.set(first + i, at);
    return append(drafts);
  };
  const clock = new VirtualClock(calls.T0);
  const d = new calls.CallDriver(new ActorRuntime({ log, clock, random: new SeededRandom(11), kinds: actorKinds }), clock, log);
  const running = await startProjections(log, dir, dir, {
    settings: { cdr: defaultCdr, cel: allCel, clickhouse: defaultClickHouse, sinks: ["chdb"] }, serveQueries: false,
    report: { failure: (_s, e) => process.stderr.write(`live runner: ${e.message}\n`) },
  });
  const sink = running.sinks[0].sink as SqlSink;
  const lags: { at: number; lag: number }[] = [];
  let seen = -1, polling = true, queries = 0;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const poll = async () => {
    const text = await sink.query(`SELECT log_offset FROM cdr WHERE log_offset > ${seen} ORDER BY log_offset`, "TSV");
    const now = performance.now();
    queries++;
    for (const l of text.split("\n")) {
      if (!l) continue;
      const offset = Number(l);
      const at = hangups.get(offset);
      if (at !== undefined) { lags.push({ at, lag: now - at }); hangups.delete(offset); }
      if (offset > seen) seen = offset;
    }
  };
  const poller = (async () => { while (polling) { await poll(); await sleep(10); } })();

  const start = performance.now();
  let made = 0;
  for (;;) {
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= LIVE_SECONDS) break;
    for (const due = Math.floor(elapsed * LIVE_RATE); made < due; made++) mix[made % mix.length](d);
    await sleep(2);
  }
  const made_s = made / ((performance.now() - start) / 1000);
  await d.settle();
  const end = log.nextOffset - 1;
  for (let i = 0; i < 3000 && running.status()[0].through < end; i++) await sleep(10);
  polling = false;
  await poller;
  await poll();
  const events = log.nextOffset;
  await running.close();
  await log.close();
  rmSync(dir, { recursive: true, force: true });

  const kept = lags.filter((l) => l.at - start >= 2000).map((l) => l.lag).sort((a, b) => a - b);
  const pct = (q: number) => kept[Math.min(kept.length - 1, Math.floor(q * kept.length))] ?? NaN;
  process.stdout.write(`live: ${made.toLocaleString("en")} calls in ${LIVE_SECONDS} s (${Math.round(made_s)} calls/s, ${Math.round(events / LIVE_SECONDS).toLocaleString("en")} events/s), ` +
    `${kept.length.toLocaleString("en")} hang-ups measured, ${queries} polls\n`);
  line("live lag, hang-up to CDR row queryable (p50 ms)", pct(0.5), "ms");
  line("  (p99 ms)", pct(0.99), "ms", 1000, true);
  line("  (max ms)", kept.at(-1) ?? NaN, "ms");
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exitCode = 1; });
