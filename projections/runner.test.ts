import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as calls from "./test/calls.js";
import { startProjections } from "./runner.js";
import { askRunning } from "./query-server.js";
import { startProjectionsInWorker } from "./in-worker.js";
import type { SegmentLog } from "../events/embedded/segment-log.js";
import { tempDir } from "../core/reap.js";

test("live: projections follow the log into chDB, report lag, and answer recall query over the socket", async () => {
  const dir = tempDir("recall-live-");
  const config = tempDir("recall-conf-");
  writeFileSync(join(config, "recall.conf"), "[projections]\nsinks = chdb,csv\n");
  const d = await calls.CallDriver.open(dir);
  calls.answered(d);
  await d.settle();
  const running = await startProjections(d.log, config, dir, { report: {} });
  try {
    calls.busy(d);
    await d.settle();
    const head = d.log.nextOffset - 1;
    for (let i = 0; i < 100 && running.status().some((s) => s.through < head); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(running.status().map((s) => [s.sink, s.through, s.lagEvents]), [["chdb", head, 0], ["csv", head, 0], ["queue_log", head, 0]]);
    const answer = await askRunning(dir, "SELECT disposition, count() AS n FROM cdr GROUP BY disposition ORDER BY disposition", "CSV");
    assert.deepEqual(answer, { ok: true, text: '"ANSWERED",2\n"BUSY",1\n' });
    const bad = await askRunning(dir, "SELEC 1", "CSV");
    assert.equal(bad?.ok, false);
    assert.match(bad!.error!, /Syntax error/);
  } finally {
    await running.close();
    await d.log.close();
  }
});

test("in a worker: projections read the log as far as it is durable, from their checkpoints, and answer queries across the thread", async () => {
  const dir = tempDir("recall-live-");
  const config = tempDir("recall-conf-");
  writeFileSync(join(config, "recall.conf"), "[projections]\nsinks = chdb\n");
  const d = await calls.CallDriver.open(dir);
  const log = d.log as SegmentLog;
  calls.answered(d);
  await d.settle();
  // A first run stores the first call, and stops.
  let running = await startProjectionsInWorker(log, config, dir);
  const caughtUp = async (p: typeof running) => {
    const head = log.nextOffset - 1;
    for (let i = 0; i < 200 && !(p.status().length && p.status().every((s) => s.through === head)); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(p.status().map((s) => [s.sink, s.through, s.lagEvents]), [["chdb", head, 0], ["queue_log", head, 0]]);
  };
  await caughtUp(running);
  await running.close();
  // Calls while no projection runs, then calls as a second one follows: every row once.
  calls.busy(d);
  await d.settle();
  running = await startProjectionsInWorker(log, config, dir);
  try {
    for (let i = 0; i < 3; i++) { calls.answered(d); await d.settle(); }
    await caughtUp(running);
    assert.equal(await running.query!("SELECT disposition, count() AS n FROM cdr GROUP BY disposition ORDER BY disposition", {}, "CSV"), '"ANSWERED",8\n"BUSY",1\n');
    assert.equal(await running.query!("SELECT count() FROM cel WHERE linkedid = {id:String}", { id: "nobody" }, "CSV"), "0\n");
    await assert.rejects(running.query!("SELEC 1", {}, "CSV"), /Syntax error/);
    assert.deepEqual(await askRunning(dir, "SELECT count() > 0 FROM cel", "CSV"), { ok: true, text: "1\n" });
  } finally {
    await running.close();
    await d.log.close();
  }
});
