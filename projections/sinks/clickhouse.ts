/**
 * The ClickHouse server sink (@clickhouse/client over HTTP), configured by recall.conf
 * [clickhouse]. The server's version picks the table dialect (schema.ts): Debian's
 * 18.16 gets the legacy tables. Mutations on old servers run in the background, so a
 * delete waits for system.mutations to report it done.
 */
import { Readable } from "node:stream";
import type { ClickHouseClient } from "@clickhouse/client";
import { SqlSink, type QueryParams, type SqlEngine } from "./sql.js";
import { dialectOf, type Dialect } from "./schema.js";
import { inlineParams } from "./params.js";
import type { ClickHouseSettings } from "../config.js";
import type { ProjectionName } from "../projection.js";
import { SinkError, type Checkpoint, type EncodedRows, type Sink, type SinkWrite } from "./sink.js";

class ServerEngine implements SqlEngine {
  constructor(private readonly client: ClickHouseClient, private readonly dialect: Dialect, private readonly database: string) {}
  async exec(sql: string): Promise<void> { await this.client.command({ query: sql }); }
  async select<T>(sql: string): Promise<T[]> {
    const rs = await this.client.query({ query: sql, format: "JSONEachRow" });
    return rs.json<T>();
  }
  async insertTsv(table: string, columns: readonly string[], tsv: string): Promise<void> {
    await this.client.insert({
      table: table.replace(/`/g, ""), values: Readable.from([Buffer.from(tsv)], { objectMode: false }), format: "TabSeparated", columns: columns as [string, ...string[]],
    });
  }
  async insertNative(table: string, columns: readonly string[], block: Buffer): Promise<void> {
    const r = await this.client.exec({
      query: `INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(", ")}) FORMAT Native`, values: Readable.from([block], { objectMode: false }),
    });
    r.stream.resume(); // nothing to read, but the response must be consumed to free the connection
    await new Promise<void>((res, rej) => { r.stream.once("end", res); r.stream.once("error", rej); });
  }
  async deleteWhere(table: string, where: string): Promise<void> {
    if (this.dialect === "current") { await this.client.command({ query: `ALTER TABLE ${table} DELETE WHERE ${where}`, clickhouse_settings: { mutations_sync: "2" } }); return; }
    await this.client.command({ query: `ALTER TABLE ${table} DELETE WHERE ${where}` });
    const name = table.split(".").pop()!.replace(/`/g, "");
    for (let i = 0; i < 600; i++) {
      const rows = await this.select<{ n: string }>(`SELECT count() AS n FROM system.mutations WHERE database = '${this.database}' AND table = '${name}' AND is_done = 0`);
      if (Number(rows[0]?.n ?? 0) === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`ALTER TABLE ${table} DELETE did not finish within 60 s`);
  }
  async raw(sql: string, format: string): Promise<string> {
    const rs = await this.client.query({ query: sql, format: format as "JSONEachRow" });
    return rs.text();
  }
  /** The server binds `{name:Type}` placeholders from query_params: values never enter the SQL text. */
  async bound(sql: string, params: QueryParams, format: string): Promise<string> {
    // 18.16 has no query parameters: its values go in as literals that cannot be anything else (params.ts).
    const rs = this.dialect === "legacy"
      ? await this.client.query({ query: inlineParams(sql, params), format: format as "JSONEachRow" })
      : await this.client.query({ query: sql, format: format as "JSONEachRow", query_params: params as Record<string, unknown> });
    return rs.text();
  }
  async close(): Promise<void> { await this.client.close(); }
}

/**
 * The server sink. It connects on first use and again after a failed connection, so
 * a server that is down when Recall starts costs lag (the runner retries), not the
 * start: the PBX takes calls, and the rows follow once the server answers.
 */
export class ClickHouseSink implements Sink {
  readonly name = "clickhouse";
  readonly remote = true;
  private inner: SqlSink | null = null;
  private connecting: Promise<SqlSink> | null = null;

  constructor(private readonly settings: ClickHouseSettings) {}

  /** The URL, and the server's version and table dialect once connected. */
  get location(): string { return this.inner?.location ?? this.settings.url; }
  /** The table dialect (schema.ts); only known once connected. */
  get dialect(): Dialect | undefined { return this.inner?.dialect; }

  /** The connected sink, connecting first if need be. */
  connect(): Promise<SqlSink> {
    if (this.inner) return Promise.resolve(this.inner);
    this.connecting ??= connect(this.settings).then(
      (sink) => { this.inner = sink; return sink; },
      (e: Error) => { this.connecting = null; throw new Error(`cannot reach ${this.settings.url}: ${e.message}`, { cause: e }); },
    );
    return this.connecting;
  }

  async open(projections: readonly ProjectionName[]): Promise<Map<ProjectionName, Checkpoint>> { return (await this.connect()).open(projections); }
  /** Rows encoded for the connected server's dialect: a rebuild asks only after `open`. */
  encoder(projection: ProjectionName): EncodedRows {
    if (!this.inner) throw new SinkError(this.name, "not connected yet");
    return this.inner.encoder(projection);
  }
  async write(w: SinkWrite): Promise<void> { return (await this.connect()).write(w); }
  async reset(projections: readonly ProjectionName[]): Promise<void> { return (await this.connect()).reset(projections); }
  async rebuilding(): Promise<boolean> { return (await this.connect()).rebuilding(); }
  async setRebuilding(on: boolean): Promise<void> { return (await this.connect()).setRebuilding(on); }
  async count(projection: ProjectionName): Promise<number> { return (await this.connect()).count(projection); }
  async query(sql: string, format: string): Promise<string> { return (await this.connect()).query(sql, format); }
  async queryBound(sql: string, params: QueryParams, format: string): Promise<string> { return (await this.connect()).queryBound(sql, params, format); }
  async close(): Promise<void> {
    const inner = this.inner ?? (await this.connecting?.catch(() => null));
    await inner?.close();
  }
}

async function connect(settings: ClickHouseSettings): Promise<SqlSink> {
  // Loaded only when a server is configured: every thread that folds projections would carry it otherwise.
  const { createClient } = await import("@clickhouse/client");
  const common = {
    url: settings.url, username: settings.username, password: settings.password,
    log: { level: 127 as never }, // OFF: failures reach the runner as errors and are reported there, once
    request_timeout: 60_000,
  };
  // The database may not exist yet: create it from a connection that does not name it.
  const boot = createClient(common);
  let v: string;
  try {
    const rs = await boot.query({ query: "SELECT version() AS v", format: "JSONEachRow" });
    [{ v }] = await rs.json<{ v: string }>();
    if (settings.database !== "default") await boot.command({ query: `CREATE DATABASE IF NOT EXISTS \`${settings.database}\`` });
  } finally { await boot.close(); }
  const dialect = dialectOf(v);
  // Unqualified names in `recall query`-style SQL resolve to the configured database.
  const client = createClient({ ...common, database: settings.database });
  return new SqlSink("clickhouse", `${settings.url} (ClickHouse ${v}, ${dialect} tables)`, new ServerEngine(client, dialect, settings.database), dialect, settings.database);
}
