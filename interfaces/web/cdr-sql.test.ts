/**
 * The /cdr queries against the real engines: chDB (values bound by queryBindAsync) and,
 * when installed, a private ClickHouse server (Debian's 18.16 takes them as escaped
 * literals, params.ts; a current server binds query_params). A caller number full of
 * SQL metacharacters is found exactly; attacks in every filter match nothing and leave
 * the table as it was.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createClient } from "@clickhouse/client";
import { openChdbSink } from "../../projections/sinks/chdb.js";
import { ClickHouseSink } from "../../projections/sinks/clickhouse.js";
import { defaultClickHouse } from "../../projections/config.js";
import type { SqlSink } from "../../projections/sinks/sql.js";
import { MemoryLogger } from "../../core/logger.js";
import { freePort } from "../cli/recall-process.js";
import { parseFilter } from "./cdr-query.js";
import { WebConsole } from "./console.js";
import { tempDir } from "../../core/reap.js";

const NASTY = "O'Brien\\'); DROP TABLE cdr; --";
const ROWS: [string, string, string, string][] = [
  // src, dst, disposition, linkedid
  [NASTY, "200", "ANSWERED", "1765000000.1"],
  ["1001", "200", "BUSY", "1765000000.2"],
  ["1001", "300", "ANSWERED", "1765000000.3"],
];
const values = (quote: (s: string) => string) => ROWS.map(([src, dst, disp, id]) =>
  `(${quote(src)}, ${quote(dst)}, ${quote(disp)}, ${quote(id)}, ${quote(id)}, '2026-12-06 10:00:00', '2026-12-06 10:01:00')`).join(", ");
const sqlQuote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

async function check(sink: SqlSink) {
  const web = new WebConsole({ query: (sql, params, format) => sink.queryBound(sql, params, format), users: () => new Map(), logger: new MemoryLogger(), prefix: "" });
  const view = (q: Record<string, string>) => web.cdrView(parseFilter(new URLSearchParams(q)));
  assert.equal((await view({})).totalRows, 3);
  // The nasty caller number is data: found by itself, exactly.
  const found = await view({ src: NASTY });
  assert.deepEqual(found.calls.map((c) => c.rows[0].src), [NASTY]);
  assert.equal((await view({ src: "O'Brien*" })).totalCalls, 1);
  for (const evil of ["' OR '1'='1", "1001' OR 1=1 --", "\\' OR 1=1 --", "') UNION ALL SELECT name FROM system.tables --", "{src:String}"]) {
    for (const field of ["src", "dst", "accountcode", "linkedid", "uniqueid"]) {
      assert.equal((await view({ [field]: evil })).totalRows, 0, `${field}=${evil}`);
    }
  }
  // Dates, several dispositions, a duration, sorting and paging.
  assert.equal((await view({ from: "2026-12-06T09:00", to: "2026-12-06T10:00", disposition: "ANSWERED" })).totalCalls, 2);
  assert.equal((await view({ from: "2026-12-07" })).totalCalls, 0);
  const page2 = await view({ sort: "src", dir: "asc", size: "25", page: "1" });
  assert.deepEqual(page2.calls.map((c) => c.rows[0].src), ["1001", "1001", NASTY]);
  assert.equal((await view({})).totalRows, 3, "the table is as it was");
}

test("chDB: bound parameters", async () => {
  const dir = tempDir("recall-web-sql-");
  const sink = await openChdbSink(dir);
  try {
    await sink.open(["cdr", "cel"]);
    await sink.query(`INSERT INTO cdr (src, dst, disposition, linkedid, uniqueid, start, end) VALUES ${values(sqlQuote)}`, "CSV");
    await check(sink);
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const haveServer = existsSync("/usr/sbin/clickhouse-server") || existsSync("/usr/bin/clickhouse-server");
test("ClickHouse server: the same queries, the same answers", { skip: !haveServer && "clickhouse-server is not installed", timeout: 120_000 }, async () => {
  const scripts = resolve(process.cwd(), "infra", "clickhouse");
  const data = tempDir("recall-web-ch-");
  const port = await freePort(), tcp = await freePort();
  const url = execFileSync("sh", [join(scripts, "start.sh"), String(port), data], { env: { ...process.env, CLICKHOUSE_TCP_PORT: String(tcp) }, encoding: "utf8", timeout: 90_000 }).trim();
  try {
    const sink = new ClickHouseSink({ ...defaultClickHouse, url, database: "recall" });
    try {
      await sink.open(["cdr", "cel"]);
      const client = createClient({ url, database: "recall" });
      try {
        await client.command({ query: `INSERT INTO cdr (src, dst, disposition, linkedid, uniqueid, start, end) VALUES ${values(sqlQuote)}` });
      } finally { await client.close(); }
      await check(await sink.connect());
    } finally { await sink.close(); }
  } finally {
    execFileSync("sh", [join(scripts, "stop.sh"), data], { timeout: 60_000 });
    rmSync(data, { recursive: true, force: true });
  }
});
