import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { openChdbSink } from "../../projections/sinks/chdb.js";
import { queueHistory } from "./queue-history.js";
import { INTERVAL_MS, midnightOf } from "./wallboard.js";
import { tempDir } from "../../core/reap.js";

/** queue_log rows in a real chDB: today's totals and the chart's intervals come back; older days, later offsets and other events do not. */
test("the wallboard's history: today's ENTERQUEUE/CONNECT/ABANDON per queue since local midnight, below the given offset", async () => {
  const dir = tempDir("recall-qhist-");
  const sink = await openChdbSink(dir);
  try {
    await sink.open(["queue_log"]);
    const now = midnightOf(Date.UTC(2026, 11, 7, 12)) + 10 * 3600_000 + 7 * 60_000; // 10:07 local
    const at = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
    let offset = 0;
    const row = (ms: number, queue: string, event: string, data1 = "") => `('${at(ms)}', 'c${offset}', '${queue}', 'PJSIP/6001', '${event}', '', '${data1}', '', '', '', '', ${offset++}, 0)`;
    const today = now - 3600_000, yesterday = midnightOf(now) - 60_000;
    const rows = [
      row(yesterday, "support", "ENTERQUEUE"), row(yesterday, "support", "CONNECT", "5"), // before midnight: not today
      row(today, "support", "ENTERQUEUE"), row(today, "support", "CONNECT", "4"),
      row(today, "support", "ENTERQUEUE"), row(today + 1000, "support", "CONNECT", "40"),
      row(today, "support", "ENTERQUEUE"), row(today, "support", "ABANDON", "1|1|30"),
      row(today, "support", "RINGNOANSWER", "15000"),
      row(today, "sales", "ENTERQUEUE"), row(now - 60_000, "sales", "CONNECT", "2"),
      row(now, "support", "ENTERQUEUE"), // at or after `before`: the live board counted it
    ];
    await sink.query(`INSERT INTO queue_log VALUES ${rows.join(", ")}`, "CSV");
    const h = await queueHistory((sql, params, format) => sink.queryBound(sql, params, format), offset - 1, now, (q) => (q === "support" ? 20 : 0));
    assert.equal(h.day, midnightOf(now));
    assert.deepEqual(h.today.get("support"), { offered: 3, answered: 2, abandoned: 1, answeredInSl: 1, holdtimeTotal: 44 });
    assert.deepEqual(h.today.get("sales"), { offered: 1, answered: 1, abandoned: 0, answeredInSl: 0, holdtimeTotal: 2 });
    const bucket = (ms: number) => Math.floor(ms / INTERVAL_MS) * INTERVAL_MS;
    assert.deepEqual(h.intervals.find((i) => i.start === bucket(today)), { start: bucket(today), offered: 4, answered: 2, abandoned: 1 });
    assert.ok(!h.intervals.some((i) => i.start === bucket(yesterday)), "yesterday 23:59 is older than the chart's six hours");
    // A filter value is a bound parameter: a hostile offset is a type error, not SQL.
    await assert.rejects(() => sink.queryBound("SELECT 1 FROM queue_log WHERE log_offset < {before:UInt64}", { before: "1; DROP TABLE queue_log" }, "JSONEachRow"));
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the history's day is the server's: queue_log lines either side of Kolkata's midnight (18:30 UTC) land on their own day", async () => {
  const tz = process.env.TZ;
  process.env.TZ = "Asia/Kolkata";
  const dir = tempDir("recall-qhist-tz-");
  const sink = await openChdbSink(dir);
  try {
    await sink.open(["queue_log"]);
    const midnight = Date.UTC(2026, 11, 7, 18, 30); // 00:00 on the 8th in Kolkata
    const at = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
    let offset = 0;
    const row = (ms: number, event: string, data1 = "") => `('${at(ms)}', 'c${offset}', 'support', 'PJSIP/6001', '${event}', '', '${data1}', '', '', '', '', ${offset++}, 0)`;
    await sink.query(`INSERT INTO queue_log VALUES ${[
      row(midnight - 60_000, "ENTERQUEUE"), row(midnight - 30_000, "ENTERQUEUE"),
      row(midnight - 1000, "CONNECT", "59"), // 23:59:59 on the 7th
      row(midnight + 1000, "CONNECT", "31"), // waited across midnight: answered on the 8th
      row(midnight + 5000, "ENTERQUEUE"), row(midnight + 9000, "ABANDON", "1|1|4"),
    ].join(", ")}`, "CSV");
    const h = await queueHistory((sql, params, format) => sink.queryBound(sql, params, format), offset, midnight + 3600_000, () => 20);
    assert.equal(h.day, midnight);
    assert.deepEqual(h.today.get("support"), { offered: 1, answered: 1, abandoned: 1, answeredInSl: 0, holdtimeTotal: 31 });
    // Half a second before midnight the log held the first three lines.
    const before = await queueHistory((sql, params, format) => sink.queryBound(sql, params, format), 3, midnight - 500, () => 20);
    assert.deepEqual(before.today.get("support"), { offered: 2, answered: 1, abandoned: 0, answeredInSl: 0, holdtimeTotal: 59 }, "seen from 23:59:59.5 on the 7th");
  } finally {
    if (tz === undefined) delete process.env.TZ; else process.env.TZ = tz;
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
