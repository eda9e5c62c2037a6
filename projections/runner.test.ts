import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as calls from "./test/calls.js";
import { startProjections } from "./runner.js";
import { askRunning } from "./query-server.js";

test("live: projections follow the log into chDB, report lag, and answer recall query over the socket", async () => {
  const dir = mkdtempSync(join(tmpdir(), "recall-live-"));
  const config = mkdtempSync(join(tmpdir(), "recall-conf-"));
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
