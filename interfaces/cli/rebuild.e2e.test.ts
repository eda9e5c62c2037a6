/**
 * `recall rebuild` killed with SIGKILL half way, run again: the rows are those of a
 * clean rebuild (itself rebuilt a second time), with no duplicate and no gap; and
 * `recall start` killed while its live projections catch up on the same log. Real processes on a real log of one
 * write batch's worth of events (REBUILD_WRITE_BATCH: a rebuild stores it in several
 * writes, shrinking toward the end), for chDB, the CSV files and, when it is installed,
 * a ClickHouse server started here.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { REBUILD_WRITE_BATCH } from "../../projections/rebuild.js";
import * as calls from "../../projections/test/calls.js";
import { freePort, startRecall } from "./recall-process.js";
import { askRunning } from "../../projections/query-server.js";
import { tempDir } from "../../core/reap.js";

const recall = join(process.cwd(), "bin", "recall.js");
const mix = [calls.answered, calls.busy, calls.noAnswer, calls.cancel, calls.gosub, calls.local, calls.blindTransfer, calls.attendedTransfer, calls.hangup17];

/** A data directory holding only a log of REBUILD_WRITE_BATCH events. */
let logDir: Promise<string> | undefined;
function bigLog(): Promise<string> {
  logDir ??= (async () => {
    const dir = tempDir("recall-rebuild-kill-");
    const d = await calls.CallDriver.open(dir);
    for (let i = 0; d.log.nextOffset < REBUILD_WRITE_BATCH; i++) {
      mix[i % mix.length](d);
      d.advance(0.5);
      if (i % 500 === 0) await d.settle();
    }
    await d.settle();
    await d.log.close();
    return dir;
  })();
  return logDir;
}

after(async () => { if (logDir) rmSync(await logDir, { recursive: true, force: true }); });

/** A fresh data directory with a copy of the log. */
async function dataDir(): Promise<string> {
  const data = tempDir("recall-rebuild-data-");
  cpSync(join(await bigLog(), "log"), join(data, "log"), { recursive: true });
  return data;
}

function configDir(recallConf = ""): string {
  const dir = tempDir("recall-rebuild-conf-");
  if (recallConf) writeFileSync(join(dir, "recall.conf"), recallConf);
  return dir;
}

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Run `recall rebuild`; with `killAfterFirstWrite`, SIGKILL it as soon as it reports its first stored write. */
function rebuild(data: string, config: string, sink: string, killAfterFirstWrite = false): Promise<Run> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [recall, "rebuild", "--data", data, "--config", config, "--sink", sink], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
      if (killAfterFirstWrite && /events stored/.test(stderr)) child.kill("SIGKILL");
    });
    child.on("error", rej);
    child.on("close", (code, signal) => res({ code, signal, stdout, stderr }));
  });
}

/** Kill a rebuild after its first write, run it again, and rebuild a copy cleanly; returns both data directories. */
async function killedAndClean(sink: string, config: (which: "killed" | "clean") => string): Promise<{ killed: string; clean: string }> {
  const killed = await dataDir(), clean = await dataDir();
  const first = await rebuild(killed, config("killed"), sink, true);
  assert.equal(first.signal, "SIGKILL", `the rebuild was to be killed half way, but it ended: ${first.stdout}${first.stderr}`);
  const stored = Number(/(\d+)\/\d+ events stored/.exec(first.stderr)![1]);
  const second = await rebuild(killed, config("killed"), sink);
  assert.equal(second.code, 0, second.stderr);
  const m = /^Resumed rebuild .*: (\d+) events in/.exec(second.stdout);
  assert.ok(m, `the second run resumes: ${second.stdout}`);
  const total = Number(/\/(\d+) events stored/.exec(first.stderr)![1]);
  assert.ok(Number(m[1]) <= total - stored, `resumed after the ${stored} events stored, not from the start: ${second.stdout}`);
  const reference = await rebuild(clean, config("clean"), sink);
  assert.equal(reference.code, 0, reference.stderr);
  assert.match(reference.stdout, /^Rebuilt /);
  // A rebuild over a complete sink starts over: the whole log again, and the same rows (compared by the callers).
  const again = await rebuild(clean, config("clean"), sink);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(/^Rebuilt .*: (\d+) events in/.exec(again.stdout)?.[1], String(total), `a second rebuild folds the whole log: ${again.stdout}`);
  return { killed, clean };
}

const order = { cdr: "ORDER BY log_offset, log_index", cel: "ORDER BY log_offset, log_index" };

test("recall rebuild into chDB, SIGKILLed after its first write and run again, holds exactly the rows of a clean rebuild", { timeout: 300_000 }, async () => {
  const config = configDir();
  const { killed, clean } = await killedAndClean("chdb", () => config);
  const query = (data: string, sql: string) => execFileSync(process.execPath, [recall, "query", "--data", data, "--format", "tsv", sql], { encoding: "utf8", maxBuffer: 1 << 30 });
  for (const table of ["cdr", "cel"] as const) {
    const rows = query(killed, `SELECT * FROM ${table} ${order[table]}`);
    assert.ok(rows.split("\n").length > 1000, `${table} has rows`);
    assert.ok(rows === query(clean, `SELECT * FROM ${table} ${order[table]}`), `${table}: the same rows as a clean rebuild`);
    assert.equal(query(killed, `SELECT count() = uniqExact(log_offset, log_index) FROM ${table}`).split("\n")[1], "1", `${table}: no duplicate`);
  }
  for (const d of [killed, clean]) rmSync(d, { recursive: true, force: true });
});

test("recall rebuild into CSV, SIGKILLed after its first write and run again, writes the same files as a clean rebuild", { timeout: 300_000 }, async () => {
  const config = configDir();
  const { killed, clean } = await killedAndClean("csv", () => config);
  for (const file of [join("cdr-csv", "Master.csv"), join("cel-custom", "Master.csv")]) {
    const a = readFileSync(join(killed, file)), b = readFileSync(join(clean, file));
    assert.ok(a.length > 100_000, `${file} has rows`);
    assert.ok(a.equals(b), `${file}: the same bytes as a clean rebuild`);
  }
  for (const d of [killed, clean]) rmSync(d, { recursive: true, force: true });
});

test("recall start SIGKILLed while its projections catch up, started again: chDB and the CSV files hold exactly the rows of a clean rebuild", { timeout: 300_000 }, async () => {
  const live = await dataDir();
  const head = REBUILD_WRITE_BATCH - 1; // about: the log has at least this many events
  let stored = -1;
  const conf = { "recall.conf": "[projections]\nsinks = chdb,csv\n" };
  const first = await startRecall(conf, { dataDir: live });
  try {
    // Kill it once some rows are stored and the rest are not: whatever the write in flight, nothing may be lost or doubled.
    for (let i = 0; i < 4000 && stored <= 0; i++) {
      const r = await askRunning(live, "SELECT max(log_offset) FROM cel", "TSV"); // 0 while the table is empty
      stored = r?.ok && r.text?.trim() ? Number(r.text.trim()) : -1;
      if (stored <= 0) await new Promise((res) => setTimeout(res, 5));
    }
  } finally { first.child.kill("SIGKILL"); await first.stop(); }
  assert.ok(stored > 0 && stored < head - 1000, `killed half way through the catch-up (cel stored through ${stored} of ${head})`);
  const second = await startRecall(conf, { dataDir: live });
  // chDB, CSV and DATA/queue_log (always written) all caught up.
  const caughtUp = (status: string) => (status.match(/lag 0 events/g) ?? []).length === 3;
  try {
    for (let i = 0; i < 600 && !caughtUp(await second.cli("recall show projections")); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(caughtUp(await second.cli("recall show projections")), "chDB and CSV caught up");
  } finally { await second.stop(); }
  // The reference: a clean rebuild of the same log (as the live runs left it).
  const clean = tempDir("recall-rebuild-data-");
  cpSync(join(live, "log"), join(clean, "log"), { recursive: true });
  for (const sink of ["chdb", "csv"]) {
    const reference = await rebuild(clean, configDir(), sink);
    assert.equal(reference.code, 0, reference.stderr);
  }
  const query = (data: string, sql: string) => execFileSync(process.execPath, [recall, "query", "--data", data, "--format", "tsv", sql], { encoding: "utf8", maxBuffer: 1 << 30 });
  for (const table of ["cdr", "cel"] as const) {
    const rows = query(live, `SELECT * FROM ${table} ${order[table]}`);
    assert.ok(rows.split("\n").length > 1000, `${table} has rows`);
    assert.ok(rows === query(clean, `SELECT * FROM ${table} ${order[table]}`), `${table}: the same rows as a clean rebuild`);
  }
  for (const file of [join("cdr-csv", "Master.csv"), join("cel-custom", "Master.csv")]) {
    assert.ok(readFileSync(join(live, file)).equals(readFileSync(join(clean, file))), `${file}: the same bytes as a clean rebuild`);
  }
  for (const d of [live, clean]) rmSync(d, { recursive: true, force: true });
});

const chScripts = resolve(process.cwd(), "infra", "clickhouse");
const haveServer = existsSync("/usr/sbin/clickhouse-server") || existsSync("/usr/bin/clickhouse-server");

test("recall rebuild into a ClickHouse server, SIGKILLed after its first write and run again, holds exactly the rows of a clean rebuild",
  { skip: !haveServer && "clickhouse-server is not installed", timeout: 300_000 }, async () => {
    const server = tempDir("recall-rebuild-ch-");
    mkdirSync(server, { recursive: true });
    const port = await freePort();
    const url = execFileSync("sh", [join(chScripts, "start.sh"), String(port), server], { env: { ...process.env, CLICKHOUSE_TCP_PORT: String(await freePort()) }, encoding: "utf8" }).trim();
    try {
      const configs = { killed: configDir(`[clickhouse]\nurl = ${url}\ndatabase = killed\n`), clean: configDir(`[clickhouse]\nurl = ${url}\ndatabase = clean\n`) };
      const { killed, clean } = await killedAndClean("clickhouse", (which) => configs[which]);
      const query = async (sql: string) => {
        const r = await fetch(`${url}/?query=${encodeURIComponent(sql)}`);
        const text = await r.text();
        assert.ok(r.ok, text);
        return text;
      };
      for (const table of ["cdr", "cel"] as const) {
        const rows = await query(`SELECT * FROM killed.${table} ${order[table]} FORMAT TSV`);
        assert.ok(rows.split("\n").length > 1000, `${table} has rows`);
        assert.ok(rows === await query(`SELECT * FROM clean.${table} ${order[table]} FORMAT TSV`), `${table}: the same rows as a clean rebuild`);
        assert.equal((await query(`SELECT count() = uniqExact(log_offset, log_index) FROM killed.${table} FORMAT TSV`)).trim(), "1", `${table}: no duplicate`);
      }
      for (const d of [killed, clean]) rmSync(d, { recursive: true, force: true });
    } finally {
      execFileSync("sh", [join(chScripts, "stop.sh"), server]);
    }
  });

test("recall rebuild into a ClickHouse server that stops after the first write: it warns, retries with back-off, and once the server is back ends with a clean rebuild's rows",
  { skip: !haveServer && "clickhouse-server is not installed", timeout: 300_000 }, async () => {
    const server = tempDir("recall-rebuild-outage-");
    const port = await freePort(), tcp = await freePort();
    const start = () => execFileSync("sh", [join(chScripts, "start.sh"), String(port), server], { env: { ...process.env, CLICKHOUSE_TCP_PORT: String(tcp) }, encoding: "utf8" }).trim();
    const url = start();
    try {
      const config = configDir(`[clickhouse]\nurl = ${url}\ndatabase = outage\n`);
      const data = await dataDir();
      const child = spawn(process.execPath, [recall, "rebuild", "--data", data, "--config", config, "--sink", "clickhouse"], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "", stderr = "", stopped = false, restarted = false;
      child.stdout.on("data", (b: Buffer) => { stdout += b.toString(); });
      child.stderr.on("data", (b: Buffer) => {
        stderr += b.toString();
        if (!stopped && /events stored/.test(stderr)) {
          // Paused while the server stops, so its next write is the one that fails.
          stopped = true;
          child.kill("SIGSTOP");
          execFileSync("sh", [join(chScripts, "stop.sh"), server]);
          child.kill("SIGCONT");
        }
        if (stopped && !restarted && (stderr.match(/retrying in/g) ?? []).length >= 2) { restarted = true; start(); }
      });
      const code = await new Promise((r) => child.on("close", r));
      assert.equal(code, 0, stderr);
      const waits = [...stderr.matchAll(/WARNING: rebuild: .*; retrying in (\d+) ms/g)].map((m) => Number(m[1]));
      assert.ok(waits.length >= 2 && waits[1] > waits[0], `the write failures are reported, with growing waits: ${stderr}`);
      assert.match(stdout, /^Rebuilt clickhouse .*: \d+ events in/);
      const clean = await dataDir();
      const reference = await rebuild(clean, configDir(`[clickhouse]\nurl = ${url}\ndatabase = reference\n`), "clickhouse");
      assert.equal(reference.code, 0, reference.stderr);
      const query = async (sql: string) => (await fetch(`${url}/?query=${encodeURIComponent(sql)}`)).text();
      for (const table of ["cdr", "cel"] as const) {
        const rows = await query(`SELECT * FROM outage.${table} ${order[table]} FORMAT TSV`);
        assert.ok(rows.split("\n").length > 1000, `${table} has rows`);
        assert.ok(rows === await query(`SELECT * FROM reference.${table} ${order[table]} FORMAT TSV`), `${table}: the same rows as a rebuild without the outage`);
      }
      for (const d of [data, clean]) rmSync(d, { recursive: true, force: true });
    } finally {
      execFileSync("sh", [join(chScripts, "stop.sh"), server]);
    }
  });
