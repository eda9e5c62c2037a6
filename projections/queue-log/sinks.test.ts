/**
 * queue_log rows through the SQL sinks: written to chDB and to a real ClickHouse server
 * (Debian's 18.16: the legacy dialect, DateTime plus time_us), read back exactly, with
 * the checkpoint moved to the write's last offset.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { defaultClickHouse } from "../config.js";
import { openChdbSink } from "../sinks/chdb.js";
import { ClickHouseSink } from "../sinks/clickhouse.js";
import type { SqlSink } from "../sinks/sql.js";
import { columnsOf } from "../sinks/schema.js";
import { freePort } from "../../interfaces/cli/recall-process.js";
import type { QueueLogRow } from "./fold.js";
import { tempDir } from "../../core/reap.js";

const T = 1_796_593_738_123_456;
const rows: QueueLogRow[] = [
  { log_offset: 3, log_index: 0, time: T, callid: "NONE", queuename: "NONE", agent: "NONE", event: "QUEUESTART", data: "", data1: "", data2: "", data3: "", data4: "", data5: "" },
  { log_offset: 7, log_index: 0, time: T + 1, callid: "1796593738.0", queuename: "helpdesk", agent: "NONE", event: "ENTERQUEUE", data: "|1001|1", data1: "", data2: "1001", data3: "1", data4: "", data5: "" },
  { log_offset: 9, log_index: 0, time: T + 2e6, callid: "1796593738.0", queuename: "helpdesk", agent: "Alice", event: "CONNECT", data: "0|1796593738.2|0", data1: "0", data2: "1796593738.2", data3: "0", data4: "", data5: "" },
  { log_offset: 9, log_index: 1, time: T + 2e6, callid: "NONE", queuename: "NONE", agent: "Ç'est|\"Bob\"", event: "PAUSEALL", data: "", data1: "", data2: "", data3: "", data4: "", data5: "" },
];

async function stored(sink: SqlSink): Promise<Record<string, unknown>[]> {
  const cols = columnsOf.queue_log.map(([name, kind]) => (kind === "time"
    ? (sink.dialect === "legacy" ? `\`${name}_us\` AS \`${name}\`` : `toUnixTimestamp64Micro(\`${name}\`) AS \`${name}\``) : `\`${name}\``));
  const text = await sink.query(`SELECT ${cols.join(", ")} FROM queue_log ORDER BY log_offset, log_index`, "JSONEachRow");
  return text.split("\n").filter(Boolean).map((l) => Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, unknown>).map(([k, v]) => [k, k === "time" || k.startsWith("log_") ? Number(v) : v])));
}

async function roundTrip(sink: SqlSink): Promise<void> {
  await sink.reset(["queue_log"]);
  const cp = await sink.open(["queue_log"]);
  assert.equal(cp.get("queue_log")!.offset, -1);
  await sink.write({ through: 9, throughTime: T + 2e6, rows: new Map([["queue_log", rows]]), resume: new Map([["queue_log", 10]]) });
  assert.deepEqual(await stored(sink), rows.map((r) => ({ ...r })));
  assert.equal((await sink.open(["queue_log"])).get("queue_log")!.offset, 9);
  assert.equal(await sink.count("queue_log"), 4);
}

test("chDB: queue_log rows stored and read back exactly", async () => {
  const sink = await openChdbSink(tempDir("recall-qlog-"));
  try { await roundTrip(sink); } finally { await sink.close(); }
});

const haveServer = existsSync("/usr/sbin/clickhouse-server") || existsSync("/usr/bin/clickhouse-server");

test("ClickHouse server: queue_log rows stored and read back exactly", { skip: !haveServer && "clickhouse-server is not installed" }, async () => {
  const scripts = resolve(process.cwd(), "infra", "clickhouse");
  const data = join(tempDir("recall-qlog-ch-"), "clickhouse");
  const port = await freePort(), tcp = await freePort();
  const url = execFileSync("sh", [join(scripts, "start.sh"), String(port), data], { env: { ...process.env, CLICKHOUSE_TCP_PORT: String(tcp) }, encoding: "utf8" }).trim();
  try {
    const sink = await new ClickHouseSink({ ...defaultClickHouse, url, database: "recall" }).connect();
    try { await roundTrip(sink); } finally { await sink.close(); }
  } finally {
    execFileSync("sh", [join(scripts, "stop.sh"), data]);
  }
});
