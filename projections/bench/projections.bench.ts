/**
 * npm run bench:projections — rebuild speed into chDB and into a local ClickHouse
 * server (infra/clickhouse/start.sh), and a linkedid lookup over 10 million CEL rows
 * in chDB. Targets: 500,000 events/s (chDB), 200,000 events/s (server), < 100 ms.
 *   BENCH_CALLS (default 20000 calls of the scenario mix), BENCH_CEL_ROWS (default 10,000,000)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { allCel, defaultCdr, defaultClickHouse } from "../config.js";
import { rebuild } from "../runner.js";
import { openChdbSink } from "../sinks/chdb.js";
import { openClickHouseSink } from "../sinks/clickhouse.js";
import * as calls from "../test/calls.js";

const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const CEL_ROWS = Number(process.env.BENCH_CEL_ROWS ?? 10_000_000);
const settings = { cdr: defaultCdr, cel: allCel };
const mix = [calls.answered, calls.answered, calls.answered, calls.busy, calls.noAnswer, calls.cancel, calls.gosub, calls.local, calls.blindTransfer];

const line = (name: string, value: number, unit: string, target?: number, lowerIsBetter = false) => {
  const ratio = target === undefined ? "" : `  (${lowerIsBetter ? (target / value).toFixed(2) : (value / target).toFixed(2)}× target ${target.toLocaleString("en")} ${unit})`;
  process.stdout.write(`${name.padEnd(44)} ${Math.round(value).toLocaleString("en").padStart(12)} ${unit}${ratio}\n`);
};

function freePort(): Promise<number> {
  return new Promise((res) => { const s = createServer(); s.listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); }); });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "recall-bench-proj-"));
  const d = await calls.CallDriver.open(dir);
  for (let i = 0; i < CALLS; i++) { mix[i % mix.length](d); d.advance(0.5); if (i % 500 === 0) await d.settle(); }
  await d.settle();
  const events = d.log.nextOffset;
  await d.log.close();
  process.stdout.write(`log: ${events.toLocaleString("en")} events from ${CALLS.toLocaleString("en")} calls\n`);

  const log = await SegmentLog.open(join(dir, "log"), { readOnly: true, notice: () => undefined });
  let t = process.hrtime.bigint();
  let n = 0;
  for await (const b of log.read(0, { batchSize: 200_000 })) n += b.length;
  line("log read alone", n / (Number(process.hrtime.bigint() - t) / 1e9), "events/s");

  const chdb = await openChdbSink(dir);
  const r1 = await rebuild(log, chdb, settings);
  line("rebuild into chDB", r1.events / r1.seconds, "events/s", 500_000);
  process.stdout.write(`  rows: cdr ${r1.rows.cdr.toLocaleString("en")}, cel ${r1.rows.cel.toLocaleString("en")}\n`);

  // 10M CEL rows: the rebuilt ones copied with fresh linkedids until the table is that big.
  const have = r1.rows.cel;
  const copies = Math.max(0, Math.ceil(CEL_ROWS / have) - 1);
  t = process.hrtime.bigint();
  for (let k = 1; k <= copies; k++) {
    await chdb.query(`INSERT INTO cel SELECT * REPLACE (concat(linkedid, '-${k}') AS linkedid, log_offset + ${k * events} AS log_offset) FROM (SELECT * FROM cel WHERE log_offset < ${events})`, "CSV"); // REPLACE's aliases would shadow the columns in a WHERE at this level
  }
  const total = Number((await chdb.query("SELECT count() FROM cel", "TSV")).trim());
  process.stdout.write(`  cel filled to ${total.toLocaleString("en")} rows in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s\n`);
  await chdb.query("OPTIMIZE TABLE cel FINAL", "CSV").catch(() => undefined);
  const probe = (await chdb.query(`SELECT linkedid FROM cel WHERE log_offset = ${Math.floor(events / 2)} LIMIT 1`, "TSV")).trim();
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    t = process.hrtime.bigint();
    await chdb.query(`SELECT * FROM cel WHERE linkedid = '${probe}-${1 + (i % Math.max(1, copies))}' ORDER BY log_offset, log_index`, "JSONEachRow");
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  line(`SELECT by linkedid, ${total.toLocaleString("en")} CEL rows (median ms)`, times[10], "ms", 100, true);
  line("  (p95 ms)", times[18], "ms");
  await chdb.close();

  const server = ["/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"].some(existsSync);
  if (!server) process.stdout.write("rebuild into ClickHouse server: skipped (clickhouse-server not installed)\n");
  else {
    const data = join(dir, "clickhouse");
    const port = await freePort();
    const scripts = resolve(process.cwd(), "infra", "clickhouse");
    const url = execFileSync("sh", [join(scripts, "start.sh"), String(port), data], { env: { ...process.env, CLICKHOUSE_TCP_PORT: String(await freePort()) }, encoding: "utf8" }).trim();
    try {
      const sink = await openClickHouseSink({ ...defaultClickHouse, url });
      const r2 = await rebuild(log, sink, settings);
      line(`rebuild into ClickHouse server (${sink.dialect})`, r2.events / r2.seconds, "events/s", 200_000);
      await sink.close();
    } finally { execFileSync("sh", [join(scripts, "stop.sh"), data]); }
  }
  await log.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exitCode = 1; });
