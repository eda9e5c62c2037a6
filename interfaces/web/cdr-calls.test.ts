import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openChdbSink } from "../../projections/sinks/chdb.js";
import { MemoryLogger } from "../../core/logger.js";
import type { QueryParams } from "../../projections/sinks/sql.js";
import { CallCounts, pageOfCalls } from "./cdr-calls.js";
import { callsQuery, parseFilter, whereOf } from "./cdr-query.js";
import { cdrBody } from "./cdr-page.js";
import { WebConsole } from "./console.js";
import { HttpServer } from "../http/server.js";
import { loadManagerConf } from "../ami/config.js";
import { artifacts, CHROMIUM, launchChromium } from "./browser.js";
import { tempDir } from "../../core/reap.js";

/**
 * 12,000 calls of one to four legs in a real chDB, shaped to catch a window that cuts a
 * call wrongly: three calls share each start second (ties go by linkedid), every fifth
 * call has legs hours after its first, every seventh a leg before it, every eleventh a
 * linkedid that does not sort with time, and legs differ in caller and disposition so
 * a filter matches some legs of a call and not others.
 */
const INSERT = `INSERT INTO cdr (src, dst, disposition, start, end, duration, uniqueid, linkedid, sequence, log_offset)
SELECT toString(1000 + (c * 13 + k) % 40), '200', ['ANSWERED', 'NO ANSWER', 'BUSY'][1 + (c + k) % 3],
  toDateTime64(1790000000 + intDiv(c, 3) * 7 + multiIf(c % 5 = 0, k * 5000, c % 7 = 0 AND k = 1, -400, k * 2), 6, 'UTC') AS s, s, k,
  concat(toString(c), '.', toString(k)), if(c % 11 = 0, concat('z-', toString(c)), concat(toString(1790000000 + intDiv(c, 3) * 7), '.', toString(c))), k, c * 4 + k
FROM (SELECT intDiv(number, 4) AS c, number % 4 AS k FROM numbers(48000)) WHERE k < 1 + (c * 7) % 4`;

test("a page of calls from a time window is the page the whole range gives, for every filter, direction and page; the count groups exactly", { timeout: 120_000 }, async () => {
  const dir = tempDir("recall-cdr-calls-");
  const sink = await openChdbSink(dir);
  try {
    await sink.open(["cdr"]);
    await sink.query(INSERT, "CSV");
    let windows = 0;
    const query = (sql: string, params: QueryParams, format: string) => {
      if (/HAVING k >=|start < toDateTime\(\{edge/.test(sql)) windows++;
      return sink.queryBound(sql, params, format);
    };
    const views = ["", "dir=asc", "src=1003", "src=1003&dir=asc", "disposition=BUSY", "disposition=ANSWERED&dir=asc", "src=10*&disposition=NO ANSWER",
      "from=2026-09-21T12:00&to=2026-09-21T18:00", "from=2026-09-21T12:00&to=2026-09-21T18:00&dir=asc", "to=2026-09-21T13:00", "from=2026-09-22T02:00&dir=asc"];
    for (const v of views) for (const page of ["page=1", "page=2", "page=7&size=25", "page=3&size=200"]) {
      const f = parseFilter(new URLSearchParams(`${v}&${page}`));
      const all = callsQuery(f);
      const expected = (await sink.queryBound(all.sql, all.params, "JSONEachRow")).split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { linkedid: string }).linkedid);
      const got = await pageOfCalls(query, f);
      assert.deepEqual(got.ids, expected, `${v} ${page}`);
      const { where, params } = whereOf(f);
      const [truth] = (await sink.queryBound(`SELECT uniqExact(linkedid) AS calls, count() AS rows FROM cdr WHERE ${where}`, params, "JSONEachRow"))
        .split("\n").filter(Boolean).map((l) => JSON.parse(l) as { calls: string; rows: string });
      const counted = await new CallCounts().count(query, f);
      assert.deepEqual([counted.calls, counted.rows, got.rows], [Number(truth.calls), Number(truth.rows), Number(truth.rows)], `${v}: count`);
    }
    assert.ok(windows > 40, `the windows were used (${windows} window queries)`);
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a count still running is left to the page's script (/cdr/count) and shared with it; a count that is ready is on the page", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let counts = 0;
  const query = async (sql: string): Promise<string> => {
    if (sql.includes(" AS lo,")) return `{"lo":1790000000,"hi":1790000100,"n":"3"}\n`;
    if (sql.startsWith("SELECT count() AS calls")) { counts++; await gate; return `{"calls":"2","rows":"3"}\n`; }
    if (sql.includes("GROUP BY linkedid")) return `{"linkedid":"1.1"}\n{"linkedid":"1.2"}\n`;
    return `{"start":"2026-09-21 12:00:00","src":"1","dst":"2","clid":"","duration":1,"billsec":1,"disposition":"ANSWERED","lastapp":"Dial","channel":"","dstchannel":"","uniqueid":"1.1","userfield":"","accountcode":"","linkedid":"1.1","peeraccount":""}\n`;
  };
  const web = new WebConsole({ query: (sql) => query(sql), users: () => new Map(), logger: new MemoryLogger(), prefix: "" });
  const f = parseFilter(new URLSearchParams("src=1"));
  const view = await web.cdrView(f, 20);
  assert.equal(view.totalCalls, undefined);
  assert.equal(view.totalRows, 3);
  const body = cdrBody("", view).text;
  assert.match(body, /<span class="calls">counting<\/span> calls, 3 records/);
  assert.match(body, /fetch\("\/cdr\/count\?src=1&amp;sort=start&amp;dir=desc&amp;page=1&amp;size=50"|fetch\("\/cdr\/count\?src=1&sort=start&dir=desc&page=1&size=50"/);
  const later = web.callCount(f); // what /cdr/count answers: the same count, not a second one
  release();
  assert.deepEqual(await later, { calls: 2, rows: 3 });
  assert.equal(counts, 1);
  const again = await web.cdrView(f, 20);
  assert.equal(again.totalCalls, 2, "a count just made is on the next page");
  assert.match(cdrBody("", again).text, /<span class="calls">2<\/span> calls, 3 records · page 1 of <span class="pages">1<\/span>/);
});

test("in chromium: a page whose count is slow shows its calls at once, then its script fills in the count and the last page", { skip: !existsSync(CHROMIUM) && "chromium is not installed", timeout: 120_000 }, async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const ids = Array.from({ length: 50 }, (_, i) => `1790000${String(100 - i).padStart(3, "0")}.${i}`);
  const query = async (sql: string): Promise<string> => {
    if (sql.includes(" AS lo,")) return `{"lo":1790000000,"hi":1790000100,"n":"120"}\n`;
    if (sql.startsWith("SELECT count() AS calls")) { await gate; return `{"calls":"120","rows":"120"}\n`; }
    if (sql.includes("GROUP BY linkedid")) return ids.map((linkedid) => JSON.stringify({ linkedid })).join("\n");
    return ids.map((linkedid) => JSON.stringify({ start: "2026-09-21 12:00:00", src: "1001", dst: "200", clid: "", duration: 1, billsec: 1, disposition: "ANSWERED",
      lastapp: "Dial", channel: "", dstchannel: "", uniqueid: linkedid, userfield: "", accountcode: "", linkedid, peeraccount: "" })).join("\n");
  };
  const confDir = tempDir("recall-cdr-conf-");
  writeFileSync(join(confDir, "manager.conf"), "[general]\nenabled = no\n[supervisor]\nsecret = s3cret\nread = reporting\n");
  const { config } = loadManagerConf(confDir);
  rmSync(confDir, { recursive: true, force: true });
  const http = new HttpServer({ http: { host: "127.0.0.1", port: 0 }, prefix: "", sessionLimit: 10, sessionInactivityMs: 10_000, sessionKeepAliveMs: 10_000 });
  new WebConsole({ query: (sql) => query(sql), users: () => config.users, logger: new MemoryLogger(), prefix: "" }).mount(http);
  await http.start();
  const { context, close } = await launchChromium();
  try {
    const page = await context.newPage();
    await page.setExtraHTTPHeaders({ authorization: `Basic ${Buffer.from("supervisor:s3cret").toString("base64")}` });
    await page.goto(`http://127.0.0.1:${http.plain!.port}/cdr?src=1001`);
    assert.equal(await page.locator("#cdr tbody.call").count(), 50);
    assert.match(await page.textContent("#count") ?? "", /^counting calls, 120 records · page 1 of …/);
    assert.equal(await page.locator("a", { hasText: "Next ›" }).count(), 1, "a full page has a next one");
    release();
    await page.waitForFunction(`document.querySelector("#count .calls").textContent === "120"`, undefined, { timeout: 10_000 });
    assert.match(await page.textContent("#count") ?? "", /^120 calls, 120 records · page 1 of 3/);
    assert.match(await page.getAttribute("a#last", "href") ?? "", /page=3/);
    await page.screenshot({ path: join(artifacts, "20-cdr-count-filled.png"), fullPage: true });
  } finally {
    await close();
    await http.stop();
  }
});
