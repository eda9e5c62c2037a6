/**
 * The default sink: ClickHouse embedded in the process (chDB), its data in
 * DATA/projections/chdb. chDB allows one data directory per process and locks it, so
 * while Recall runs, `recall query` asks the running process (query-server.ts).
 */
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SqlSink, type SqlEngine } from "./sql.js";
import { dialectOf } from "./schema.js";
import { SinkError } from "./sink.js";

const require = createRequire(import.meta.url);

interface ChdbSession {
  query(sql: string, format?: string): string;
  queryAsync(sql: string, opts?: { format?: string }): Promise<{ text(): string }>;
  insert(p: { table: string; values: Buffer | string; format: "TSV"; columns?: readonly string[]; settings?: Record<string, number | string> }): Promise<unknown>;
  close(): void;
}

export const chdbDir = (dataDir: string) => join(dataDir, "projections", "chdb");

/** ClickHouse's message without chDB's wrapping ("Query failed: ..."). */
export function chdbMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/^Query failed:\s*/, "").trim();
}

class ChdbEngine implements SqlEngine {
  constructor(readonly session: ChdbSession) {}
  async exec(sql: string): Promise<void> { this.session.query(sql, "CSV"); }
  async select<T>(sql: string): Promise<T[]> {
    const text = this.session.query(sql, "JSONEachRow");
    return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as T);
  }
  async insertTsv(table: string, columns: readonly string[], tsv: Buffer | string): Promise<void> {
    // No replacing merge inside each inserted block: exactness comes from the checkpoints, background merges still
    // collapse a row written twice, and it is a quarter of the insert's cost.
    await this.session.insert({
      table: table.replace(/`/g, ""), values: typeof tsv === "string" ? Buffer.from(tsv) : tsv, format: "TSV", columns, settings: { optimize_on_insert: 0 },
    });
  }
  async deleteWhere(table: string, where: string): Promise<void> {
    this.session.query(`ALTER TABLE ${table} DELETE WHERE ${where} SETTINGS mutations_sync = 2`, "CSV");
  }
  async raw(sql: string, format: string): Promise<string> {
    // Reads run off the event loop; chDB's async path does not apply writes (INSERT ... SELECT, ALTER), so those run in line.
    if (/^\s*(\(\s*)*(SELECT|WITH|SHOW|DESC|DESCRIBE|EXPLAIN|EXISTS)\b/i.test(sql)) return (await this.session.queryAsync(sql, { format })).text();
    return this.session.query(sql, format);
  }
  async close(): Promise<void> { this.session.close(); }
}

export async function openChdbSink(dataDir: string): Promise<SqlSink> {
  const dir = chdbDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const { Session } = require("chdb") as { Session: new (path: string) => ChdbSession };
  let session: ChdbSession;
  try {
    session = new Session(dir);
  } catch (e) {
    const cause = (e as { cause?: Error }).cause?.message ?? "";
    throw new SinkError("chdb", `cannot open ${dir}: ${chdbMessage(e)}${cause ? ` (${cause})` : ""}; is another Recall process using this data directory?`, { cause: e });
  }
  const version = session.query("SELECT version()", "TSV").trim();
  return new SqlSink("chdb", dir, new ChdbEngine(session), dialectOf(version));
}
