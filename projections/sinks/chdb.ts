/**
 * The default sink: ClickHouse embedded in the process (chDB), its data in
 * DATA/projections/chdb. chDB allows one data directory per process and locks it, so
 * while Recall runs, `recall query` asks the running process (query-server.ts).
 */
import { createRequire } from "node:module";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SqlSink, type QueryParams, type SqlEngine } from "./sql.js";
import { dialectOf } from "./schema.js";
import { SinkError } from "./sink.js";

const require = createRequire(import.meta.url);

interface ChdbSession {
  query(sql: string, format?: string): string;
  queryAsync(sql: string, opts?: { format?: string }): Promise<{ text(): string }>;
  queryBindAsync(sql: string, params: object, opts?: { format?: string }): Promise<{ text(): string }>;
  insert(p: { table: string; values: Buffer; format: "TSV"; columns?: readonly string[] }): Promise<unknown>;
  close(): void;
}

export const chdbDir = (dataDir: string) => join(dataDir, "projections", "chdb");

/** ClickHouse's message without chDB's wrapping ("Query failed: ..."). */
export function chdbMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/^Query failed:\s*/, "").trim();
}

class ChdbEngine implements SqlEngine {
  private inserts = 0;
  constructor(readonly session: ChdbSession, private readonly spool: string) {}
  async exec(sql: string): Promise<void> { this.session.query(sql, "CSV"); }
  async select<T>(sql: string): Promise<T[]> {
    const text = this.session.query(sql, "JSONEachRow");
    return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as T);
  }
  async insertTsv(table: string, columns: readonly string[], tsv: string): Promise<void> {
    await this.session.insert({ table: table.replace(/`/g, ""), values: Buffer.from(tsv), format: "TSV", columns });
  }
  /**
   * A Native block goes through a file: chDB's insert API takes text formats only, and
   * `INSERT ... SELECT FROM file()` runs off the event loop like an insert does.
   */
  async insertNative(table: string, columns: readonly string[], block: Buffer): Promise<void> {
    const file = join(this.spool, `insert-${++this.inserts}.native`);
    await writeFile(file, block);
    try {
      await this.session.queryAsync(
        `INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(", ")}) SELECT * FROM file('${file.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}', 'Native') ` +
        // No replacing merge inside the block: exactness comes from the checkpoints (background merges still collapse a row
        // written twice), and it is a quarter of the insert's cost.
        "SETTINGS optimize_on_insert = 0",
        { format: "CSV" });
    } finally { await rm(file, { force: true }); }
  }
  async deleteWhere(table: string, where: string): Promise<void> {
    this.session.query(`ALTER TABLE ${table} DELETE WHERE ${where} SETTINGS mutations_sync = 2`, "CSV");
  }
  async raw(sql: string, format: string): Promise<string> {
    // Reads run off the event loop; anything else (an INSERT, an ALTER) in line, so it has taken effect when the answer comes.
    if (/^\s*(\(\s*)*(SELECT|WITH|SHOW|DESC|DESCRIBE|EXPLAIN|EXISTS)\b/i.test(sql)) return (await this.session.queryAsync(sql, { format })).text();
    return this.session.query(sql, format);
  }
  /** A read whose `{name:Type}` placeholders chDB binds itself: values never enter the SQL text. */
  async bound(sql: string, params: QueryParams, format: string): Promise<string> {
    return (await this.session.queryBindAsync(sql, params, { format })).text();
  }
  async close(): Promise<void> { this.session.close(); }
}

/** The chDB session's engine, for a sink here or in the projections' worker (which cannot hold chDB itself). */
export interface ChdbOpened {
  readonly engine: SqlEngine & { raw(sql: string, format: string): Promise<string>; bound(sql: string, params: QueryParams, format: string): Promise<string> };
  readonly dir: string;
  readonly version: string;
}

export async function openChdbSink(dataDir: string): Promise<SqlSink> {
  const { engine, dir, version } = await openChdb(dataDir);
  return new SqlSink("chdb", dir, engine, dialectOf(version));
}

export async function openChdb(dataDir: string): Promise<ChdbOpened> {
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
  // Blocks a killed process left behind (their rows are past the checkpoint, or never inserted): the directory is ours now.
  const spool = join(dataDir, "projections");
  for (const f of readdirSync(spool)) if (/^insert-\d+\.native$/.test(f)) rmSync(join(spool, f), { force: true });
  const version = session.query("SELECT version()", "TSV").trim();
  return { engine: new ChdbEngine(session, spool), dir, version };
}
