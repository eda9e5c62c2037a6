/**
 * npm run bench:web — the /cdr page's queries over BENCH_CDR_ROWS (default 10,000,000)
 * CDR rows, in chDB and in a private ClickHouse server (infra/clickhouse/start.sh, when
 * installed; BENCH_WEB_ENGINES=chdb or clickhouse picks one): a day's range with a
 * caller filter (target < 300 ms), the same with a disposition, the wide views (a week,
 * a month, the unfiltered first page; target < 1 s), a linkedid. Each is timed twice
 * through WebConsole.cdrView as the console runs it: the page's answer (its calls and
 * rows, and the count if ready within 300 ms) and the moment the count is ready (what
 * the page's script then shows).
 * Rows: 5,000,000 calls of two legs, one every 0.8 s over 46 days (1 September to 17 October
 * 2026), 2,000 callers, the mix of dispositions.
 * BENCH_WEB_DATA=dir keeps the tables there between runs (filled once).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createClient } from "@clickhouse/client";
import { openChdbSink } from "../../../projections/sinks/chdb.js";
import { ClickHouseSink } from "../../../projections/sinks/clickhouse.js";
import { defaultClickHouse } from "../../../projections/config.js";
import type { Dialect } from "../../../projections/sinks/schema.js";
import { MemoryLogger } from "../../../core/logger.js";
import { freePort } from "../../cli/recall-process.js";
import { parseFilter } from "../cdr-query.js";
import { WebConsole, type Query } from "../console.js";

const rows = Number(process.env.BENCH_CDR_ROWS ?? 10_000_000);
const engines = (process.env.BENCH_WEB_ENGINES ?? "chdb,clickhouse").split(",");
const keep = process.env.BENCH_WEB_DATA;
const day0 = Date.UTC(2026, 8, 1) / 1000;

/** Leg k of call c, a call every 0.8 s (times in µs, whole seconds on legacy tables). */
function insertSql(d: Dialect): string {
  const t = (plus: string) => d === "current" ? `toDateTime64((${day0} * 1000000 + c * 800000 + (${plus}) * 1000000) / 1000000, 6, 'UTC')`
    : `toDateTime(intDiv(${day0} * 1000000 + c * 800000 + (${plus}) * 1000000, 1000000)), toUInt64(${day0} * 1000000 + c * 800000 + (${plus}) * 1000000)`;
  const times = d === "current" ? "start, answer, end" : "start, start_us, answer, answer_us, end, end_us";
  return `INSERT INTO cdr (accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, ${times}, duration, billsec, disposition, amaflags, userfield, uniqueid, linkedid, peeraccount, sequence, log_offset, log_index)
SELECT if(c % 7 = 0, 'tenant-b', 'tenant-a'), toString(1000 + c % 2000), toString(2000 + (c * 7) % 500), 'from-internal', concat('"Caller" <', toString(1000 + c % 2000), '>'),
  concat('PJSIP/', toString(1000 + c % 2000), '-', lower(hex(n))), concat('PJSIP/', toString(2000 + (c * 7) % 500), '-', lower(hex(n))), 'Dial', 'PJSIP/x,30',
  ${t("k")}, NULL, ${d === "legacy" ? "NULL, " : ""}${t("k + c % 300")}, c % 300, if(c % 5 < 3, c % 280, 0),
  multiIf(c % 5 < 3, 'ANSWERED', c % 5 = 3, 'NO ANSWER', c % 10 = 4, 'BUSY', 'FAILED'), 3, '', concat(toString(${day0} + intDiv(c * 4, 5)), '.', toString(n)),
  concat(toString(${day0} + intDiv(c * 4, 5)), '.', toString(c)), '', k, n, 0
FROM (SELECT number AS n, intDiv(number * 1, 2) AS c, number % 2 AS k FROM numbers(${rows}))`;
}

const cases: [string, string][] = [
  ["a day + src", "from=2026-10-01&to=2026-10-01&src=1234"],
  ["a day + src LIKE 12* + ANSWERED", "from=2026-10-01&to=2026-10-01&src=12*&disposition=ANSWERED"],
  ["a week", "from=2026-09-20&to=2026-09-26"],
  ["a week, sorted by duration", "from=2026-09-20&to=2026-09-26&sort=duration"],
  ["a week, page 40", "from=2026-09-20&to=2026-09-26&page=40"],
  ["a month", "from=2026-09-01&to=2026-09-30"],
  ["a month + ANSWERED", "from=2026-09-01&to=2026-09-30&disposition=ANSWERED"],
  ["a month, oldest first", "from=2026-09-01&to=2026-09-30&dir=asc"],
  ["unfiltered first page", ""],
  ["linkedid", `linkedid=${day0 + 400000}.500000`],
];

/** Each case five times after a warm-up, a fresh console each time (no count kept from the last): the page's answer, then the count's. */
async function run(engine: string, query: Query): Promise<void> {
  const console_ = () => new WebConsole({ query, users: () => new Map(), logger: new MemoryLogger(), prefix: "" });
  const stats = (t: number[]) => { t.sort((a, b) => a - b); return `median ${t[2].toFixed(0).padStart(5)} ms  max ${t[4].toFixed(0).padStart(5)} ms`; };
  for (const [name, q] of cases) {
    const f = parseFilter(new URLSearchParams(q));
    await console_().cdrView(f); // the first run warms the marks and caches
    const page: number[] = [], counted: number[] = [];
    let calls = 0, inline = 0;
    for (let i = 0; i < 5; i++) {
      const web = console_();
      const s = process.hrtime.bigint();
      const view = await web.cdrView(f);
      page.push(Number(process.hrtime.bigint() - s) / 1e6);
      if (view.totalCalls !== undefined) inline++;
      calls = (await web.callCount(f)).calls;
      counted.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    console.log(`${engine.padEnd(10)} ${name.padEnd(32)} ${calls.toString().padStart(8)} calls  page ${stats(page)}  count ready ${stats(counted)}  (count on the page ${inline}/5)`);
  }
}

const home = keep ?? mkdtempSync(join(tmpdir(), "recall-web-bench-"));
try {
  if (engines.includes("chdb")) {
    const dir = join(home, "chdb");
    const fresh = !existsSync(dir);
    mkdirSync(dir, { recursive: true });
    const sink = await openChdbSink(dir);
    try {
      // open() drops rows past the checkpoint (all of these): only on a fresh directory.
      if (fresh) await sink.open(["cdr", "cel"]);
      if (fresh || Number(await sink.count("cdr")) !== rows) {
        const t0 = Date.now();
        await sink.query("TRUNCATE TABLE cdr", "CSV");
        await sink.query(insertSql("current"), "CSV");
        await sink.query("OPTIMIZE TABLE cdr FINAL", "CSV"); // the parts merged, as a table settles after its writes
        console.log(`chdb: inserted ${rows.toLocaleString("en")} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      await run("chdb", (sql, params, format) => sink.queryBound(sql, params, format));
    } finally { await sink.close(); }
  }
  const server = ["/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"].some(existsSync);
  if (engines.includes("clickhouse") && !server) console.log("clickhouse: skipped (clickhouse-server is not installed)");
  else if (engines.includes("clickhouse")) {
    const data = join(home, "clickhouse");
    const scripts = resolve(process.cwd(), "infra", "clickhouse");
    const url = execFileSync("sh", [join(scripts, "start.sh"), String(await freePort()), data], { env: { ...process.env, CLICKHOUSE_TCP_PORT: String(await freePort()) }, encoding: "utf8" }).trim();
    try {
      const sink = await new ClickHouseSink({ ...defaultClickHouse, url, database: "recall" }).connect();
      try {
        const present = await sink.count("cdr").catch(() => undefined);
        if (present === undefined) await sink.open(["cdr", "cel"]);
        if (present !== rows) {
          const t0 = Date.now();
          const client = createClient({ url, database: "recall", request_timeout: 600_000 });
          try {
            for (const query of ["TRUNCATE TABLE cdr", insertSql(sink.dialect), "OPTIMIZE TABLE cdr FINAL"]) await client.command({ query });
          } finally { await client.close(); }
          console.log(`clickhouse (${sink.dialect}): inserted ${rows.toLocaleString("en")} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        }
        await run("clickhouse", (sql, params, format) => sink.queryBound(sql, params, format));
      } finally { await sink.close(); }
    } finally { execFileSync("sh", [join(scripts, "stop.sh"), data]); }
  }
} finally {
  if (!keep) rmSync(home, { recursive: true, force: true });
}
