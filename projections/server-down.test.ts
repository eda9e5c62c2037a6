/**
 * A ClickHouse server that is down, at start and later, costs lag and never rows: the
 * live runner starts without it, retries with back-off while reporting why, and once
 * the server answers it holds exactly the rows chDB holds. A real server
 * (infra/clickhouse), stopped and started again on the same data.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as calls from "./test/calls.js";
import { allCel, defaultCdr, defaultClickHouse } from "./config.js";
import { startProjections } from "./runner.js";
import { startProjectionsInWorker } from "./in-worker.js";
import type { SegmentLog } from "../events/embedded/segment-log.js";
import type { SqlSink } from "./sinks/sql.js";
import type { ClickHouseSink } from "./sinks/clickhouse.js";
import { freePort } from "../interfaces/cli/recall-process.js";
import { tempDir } from "../core/reap.js";

const scripts = resolve(process.cwd(), "infra", "clickhouse");
const haveServer = existsSync("/usr/sbin/clickhouse-server") || existsSync("/usr/bin/clickhouse-server");

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("a ClickHouse server down at start and again later: the PBX runs on, failures are reported with back-off, and no row is lost or doubled", { skip: !haveServer && "clickhouse-server is not installed", timeout: 240_000 }, async () => {
  const dir = tempDir("recall-server-down-");
  const data = join(dir, "clickhouse");
  const port = await freePort(), tcp = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const start = () => execFileSync("sh", [join(scripts, "start.sh"), String(port), data], { env: { ...process.env, CLICKHOUSE_TCP_PORT: String(tcp) }, encoding: "utf8" });
  const stop = () => execFileSync("sh", [join(scripts, "stop.sh"), data]);
  const failures: { message: string; wait: number }[] = [];
  const d = await calls.CallDriver.open(dir);
  const running = await startProjections(d.log, dir, dir, {
    settings: { cdr: defaultCdr, cel: allCel, clickhouse: { ...defaultClickHouse, url, database: "recall" }, sinks: ["chdb", "clickhouse"] },
    serveQueries: false, minWriteIntervalMs: 50,
    report: { failure: (sink, e, wait) => { if (sink === "clickhouse") failures.push({ message: e.message, wait }); } },
  });
  const [chdbRunner, serverRunner] = running.sinks;
  const head = () => d.log.nextOffset - 1;
  const caughtUp = () => running.status().every((s) => s.through === head() && s.failing === null);
  const rows = async (sink: SqlSink | ClickHouseSink, table: string) => sink.query(`SELECT log_offset, log_index, uniqueid FROM ${table} ORDER BY log_offset, log_index`, "TSV");
  try {
    // Down at start: the runner is up, chDB follows, the server sink reports and lags.
    for (let i = 0; i < 5; i++) { calls.answered(d); calls.busy(d); d.advance(1); }
    await d.settle();
    await until("the first failures are reported", () => failures.length >= 2);
    assert.match(failures[0].message, new RegExp(`cannot reach ${url}`));
    assert.ok(failures[1].wait > failures[0].wait, `the retries back off: ${failures.map((f) => f.wait).join(", ")}`);
    await until("chDB has every record", () => chdbRunner.through === head());
    const [, server] = running.status();
    assert.equal(server.through, -1);
    assert.ok(server.lagEvents > 0 && server.failing !== null, JSON.stringify(server));

    // Up: it catches up from the log.
    start();
    await until("both sinks are caught up", caughtUp);
    const chdb = chdbRunner.sink as SqlSink, remote = serverRunner.sink as ClickHouseSink;
    for (const table of ["cdr", "cel"]) assert.equal(await rows(remote, table), await rows(chdb, table), `${table} after the server came up`);

    // Down again, with calls meanwhile; up again.
    stop();
    const before = failures.length;
    for (let i = 0; i < 5; i++) { calls.cancel(d); calls.blindTransfer(d); d.advance(1); }
    await d.settle();
    await until("the write failures are reported", () => failures.length > before);
    assert.ok(running.status()[1].lagEvents > 0);
    start();
    await until("both sinks are caught up again", caughtUp);
    for (const table of ["cdr", "cel"]) {
      const text = await rows(remote, table);
      assert.equal(text, await rows(chdb, table), `${table} after the server came back`);
      assert.ok(text.split("\n").length > 20, `${table} has the calls' rows`);
    }
  } finally {
    await running.close();
    await d.log.close();
    try { stop(); } catch { /* already stopped */ }
    rmSync(dir, { recursive: true, force: true });
  }
});

test("in recall start's projections thread, the ClickHouse server sink follows the log and answers queries from the main thread", { skip: !haveServer && "clickhouse-server is not installed", timeout: 240_000 }, async () => {
  const dir = tempDir("recall-server-worker-");
  const data = join(dir, "clickhouse");
  const port = await freePort(), tcp = await freePort();
  execFileSync("sh", [join(scripts, "start.sh"), String(port), data], { env: { ...process.env, CLICKHOUSE_TCP_PORT: String(tcp) }, encoding: "utf8" });
  const config = tempDir("recall-conf-");
  writeFileSync(join(config, "recall.conf"), `[projections]\nsinks = clickhouse\n[clickhouse]\nurl = http://127.0.0.1:${port}\ndatabase = recall\n`);
  const d = await calls.CallDriver.open(dir);
  const running = await startProjectionsInWorker(d.log as SegmentLog, config, dir);
  try {
    for (let i = 0; i < 3; i++) { calls.answered(d); calls.busy(d); d.advance(1); }
    await d.settle();
    const head = d.log.nextOffset - 1;
    await until("the server sink has every record", () => running.status().every((s) => s.through === head && s.failing === null));
    assert.deepEqual(running.status().map((s) => s.sink), ["clickhouse", "queue_log"]);
    assert.equal(await running.query!("SELECT disposition, count() AS n FROM recall.cdr GROUP BY disposition ORDER BY disposition", {}, "CSV"), '"ANSWERED",6\n"BUSY",3\n');
  } finally {
    await running.close();
    await d.log.close();
    execFileSync("sh", [join(scripts, "stop.sh"), data]);
    rmSync(dir, { recursive: true, force: true });
  }
});
