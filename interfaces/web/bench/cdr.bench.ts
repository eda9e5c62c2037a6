/**
 * npm run bench:web — the /cdr page's queries over BENCH_CDR_ROWS (default 10,000,000)
 * CDR rows in chDB: a day's range with a caller filter (target < 300 ms), the same
 * with a disposition, and the unfiltered first page, each the whole page's work
 * (calls, count, rows of the page) through WebConsole.cdrView as the console runs it.
 * Rows: 90 days, 2,000 callers, one to three legs a call, the mix of dispositions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openChdbSink } from "../../../projections/sinks/chdb.js";
import { MemoryLogger } from "../../../core/logger.js";
import { parseFilter } from "../cdr-query.js";
import { WebConsole } from "../console.js";

const rows = Number(process.env.BENCH_CDR_ROWS ?? 10_000_000);
const dir = mkdtempSync(join(tmpdir(), "recall-web-bench-"));
const sink = await openChdbSink(dir);
try {
  await sink.open(["cdr", "cel"]);
  const t0 = Date.now();
  const day0 = Date.UTC(2026, 8, 1) / 1000;
  // Calls of 1-3 legs: leg k of call c; a call every ~0.8 s over 90 days.
  await sink.query(`INSERT INTO cdr (accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags, userfield, uniqueid, linkedid, peeraccount, sequence, log_offset, log_index)
SELECT if(c % 7 = 0, 'tenant-b', 'tenant-a'), toString(1000 + c % 2000), toString(2000 + (c * 7) % 500), 'from-internal', concat('"Caller" <', toString(1000 + c % 2000), '>'),
  concat('PJSIP/', toString(1000 + c % 2000), '-', lower(hex(n))), concat('PJSIP/', toString(2000 + (c * 7) % 500), '-', lower(hex(n))), 'Dial', 'PJSIP/x,30',
  toDateTime64(${day0} + c * 0.8 + k, 6, 'UTC'), NULL, toDateTime64(${day0} + c * 0.8 + k + c % 300, 6, 'UTC'), c % 300, if(c % 5 < 3, c % 280, 0),
  multiIf(c % 5 < 3, 'ANSWERED', c % 5 = 3, 'NO ANSWER', c % 10 = 4, 'BUSY', 'FAILED'), 3, '', concat(toString(${day0} + intDiv(c * 4, 5)), '.', toString(n)),
  concat(toString(${day0} + intDiv(c * 4, 5)), '.', toString(c)), '', k, n, 0
FROM (SELECT number AS n, intDiv(number * 1, 2) AS c, number % 2 AS k FROM numbers(${rows}))`, "CSV");
  console.log(`inserted ${rows.toLocaleString("en")} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const web = new WebConsole({ query: (sql, params, format) => sink.queryBound(sql, params, format), users: () => new Map(), logger: new MemoryLogger(), prefix: "" });
  const cases: [string, string][] = [
    ["a day + src", "from=2026-10-01&to=2026-10-01&src=1234"],
    ["a day + src LIKE 12* + ANSWERED", "from=2026-10-01&to=2026-10-01&src=12*&disposition=ANSWERED"],
    ["a week, sorted by duration", "from=2026-09-20&to=2026-09-26&sort=duration"],
    ["unfiltered first page", ""],
    ["linkedid", `linkedid=${Date.UTC(2026, 8, 1) / 1000 + 400000}.500000`],
  ];
  for (const [name, q] of cases) {
    const f = parseFilter(new URLSearchParams(q));
    await web.cdrView(f); // first run warms the marks and caches
    const times: number[] = [];
    let calls = 0;
    for (let i = 0; i < 5; i++) {
      const s = process.hrtime.bigint();
      calls = (await web.cdrView(f)).totalCalls;
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log(`${name.padEnd(36)} ${calls.toString().padStart(8)} calls  median ${times[2].toFixed(0)} ms  max ${times[4].toFixed(0)} ms`);
  }
} finally {
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
}
