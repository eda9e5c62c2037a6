/**
 * The checkpoint protocol of sink.ts over ClickHouse SQL, shared by the chDB and the
 * server sink: each supplies how to run a statement, a SELECT (JSONEachRow) and a
 * TabSeparated insert.
 *
 * A write inserts the rows of each projection, then one block of checkpoint rows
 * (one INSERT, so both checkpoints move together). `open` reads the checkpoints and
 * deletes whatever rows lie past them: a write cut short by a crash or an error.
 */
import type { ProjectionName } from "../projection.js";
import { NativeRows } from "./native.js";
import { noCheckpoint, rowCount, SinkError, type Checkpoint, type EncodedRows, type Sink, type SinkWrite } from "./sink.js";
import type { RowOrigin } from "../rows.js";
import { CHECKPOINTS, createCheckpoints, createTable, insertColumns, projectionTables, type Dialect } from "./schema.js";

export interface SqlEngine {
  exec(sql: string): Promise<void>;
  select<T>(sql: string): Promise<T[]>;
  /** Insert TabSeparated text (the checkpoint rows). */
  insertTsv(table: string, columns: readonly string[], tsv: string): Promise<void>;
  /** Insert a Native block (native.ts): the rows of the projections. */
  insertNative(table: string, columns: readonly string[], block: Buffer): Promise<void>;
  /** Wait for ALTER ... DELETE to finish (servers without mutations_sync run them in the background). */
  deleteWhere(table: string, where: string): Promise<void>;
  close(): Promise<void>;
}

const REBUILD = "_rebuild";
const CHECKPOINT_COLUMNS = ["proj", "through", "resume", "through_time", "version"];

export class SqlSink implements Sink {
  private version = 0;

  private readonly blocks = new Map<ProjectionName, NativeRows>();

  constructor(readonly name: string, readonly location: string, private readonly engine: SqlEngine, readonly dialect: Dialect, private readonly database?: string) {}

  private t(table: string): string { return this.database ? `\`${this.database}\`.\`${table}\`` : `\`${table}\``; }

  async open(projections: readonly ProjectionName[]): Promise<Map<ProjectionName, Checkpoint>> {
    await this.engine.exec(createCheckpoints(this.database));
    for (const p of projections) await this.engine.exec(createTable(p, this.dialect, this.database));
    const rows = await this.engine.select<{ proj: string; through: string | number; resume: string | number; through_time: string | number; v: string | number }>(
      `SELECT proj, argMax(through, version) AS through, argMax(resume, version) AS resume, argMax(through_time, version) AS through_time, max(version) AS v ` +
      `FROM ${this.t(CHECKPOINTS)} GROUP BY proj`,
    );
    const out = new Map<ProjectionName, Checkpoint>();
    for (const p of projections) out.set(p, noCheckpoint);
    for (const r of rows) {
      this.version = Math.max(this.version, Number(r.v));
      if (projections.includes(r.proj as ProjectionName)) {
        out.set(r.proj as ProjectionName, { offset: Number(r.through), resume: Number(r.resume), time: Number(r.through_time) < 0 ? null : Number(r.through_time) });
      }
    }
    for (const [p, cp] of out) {
      const [{ n }] = await this.engine.select<{ n: string | number }>(`SELECT count() AS n FROM ${this.t(p)} WHERE log_offset > ${cp.offset}`);
      if (Number(n) > 0) await this.engine.deleteWhere(this.t(p), `log_offset > ${cp.offset}`);
    }
    return out;
  }

  async write(w: SinkWrite): Promise<void> {
    try {
      // The tables' inserts run side by side (the engine works on them off the event loop); the checkpoints wait for both.
      await Promise.all([...w.rows].map(([p, rows]) => {
        if (!rowCount(rows)) return undefined;
        const columns = insertColumns(p, this.dialect);
        return this.engine.insertNative(this.t(p), columns, rows instanceof NativeRows ? rows.bytes() : this.block(p, rows as readonly RowOrigin[]));
      }));
      const version = ++this.version;
      const lines = [...w.rows.keys()].map((p) => `${p}\t${w.through}\t${w.resume.get(p) ?? w.through + 1}\t${w.throughTime}\t${version}`);
      if (lines.length) await this.engine.insertTsv(this.t(CHECKPOINTS), CHECKPOINT_COLUMNS, `${lines.join("\n")}\n`);
    } catch (e) {
      throw new SinkError(this.name, (e as Error).message, { cause: e });
    }
  }

  /** Live rows as a Native block, in the table's reused encoder: one write at a time uses it. */
  private block(p: ProjectionName, rows: readonly RowOrigin[]): Buffer {
    let n = this.blocks.get(p);
    if (!n) this.blocks.set(p, (n = new NativeRows(p, this.dialect)));
    n.clear();
    n.add(rows);
    return n.bytes();
  }

  encoder(projection: ProjectionName): EncodedRows {
    return new NativeRows(projection, this.dialect);
  }

  async reset(projections: readonly ProjectionName[]): Promise<void> {
    for (const p of projections) {
      await this.engine.exec(`DROP TABLE IF EXISTS ${this.t(p)}`);
      await this.engine.exec(createTable(p, this.dialect, this.database));
    }
    await this.engine.exec(createCheckpoints(this.database));
    const version = await this.nextVersion();
    // A checkpoint row of NO_CHECKPOINT supersedes the old ones (ReplacingMergeTree keeps the highest version).
    const lines = projections.map((p) => `${p}\t-1\t0\t-1\t${version}`);
    await this.engine.insertTsv(this.t(CHECKPOINTS), CHECKPOINT_COLUMNS, `${lines.join("\n")}\n`);
  }

  async rebuilding(): Promise<boolean> {
    await this.engine.exec(createCheckpoints(this.database));
    const rows = await this.engine.select<{ through: string | number }>(
      `SELECT argMax(through, version) AS through FROM ${this.t(CHECKPOINTS)} WHERE proj = '${REBUILD}' GROUP BY proj`);
    return rows.length > 0 && Number(rows[0].through) === 1;
  }

  async setRebuilding(on: boolean): Promise<void> {
    const version = await this.nextVersion();
    await this.engine.insertTsv(this.t(CHECKPOINTS), CHECKPOINT_COLUMNS, `${REBUILD}\t${on ? 1 : 0}\t0\t-1\t${version}\n`);
  }

  /**
   * A version above every checkpoint row stored, read from the table: `reset` and the
   * rebuild mark come before `open` has read it, and a row with a lower version than
   * the old checkpoints would lose to them (and a rebuild would store nothing).
   */
  private async nextVersion(): Promise<number> {
    const [{ v }] = await this.engine.select<{ v: string | number }>(`SELECT max(version) AS v FROM ${this.t(CHECKPOINTS)}`);
    this.version = Math.max(this.version, Number(v)) + 1;
    return this.version;
  }

  async count(projection: ProjectionName): Promise<number> {
    const [{ n }] = await this.engine.select<{ n: string | number }>(`SELECT count() AS n FROM ${this.t(projection)}`);
    return Number(n);
  }

  /** Run any query the user gives (recall query); the engine's own error text on failure. */
  query(sql: string, format: string): Promise<string> {
    const e = this.engine as SqlEngine & { raw?(sql: string, format: string): Promise<string> };
    if (!e.raw) throw new SinkError(this.name, "queries are not supported on this sink");
    return e.raw(sql, format);
  }

  /**
   * A read with `{name:Type}` placeholders bound by the engine (ClickHouse query
   * parameters): the values are never spliced into the SQL, so no value can change
   * what the statement does. The web console's queries come here.
   */
  queryBound(sql: string, params: QueryParams, format: string): Promise<string> {
    const e = this.engine as SqlEngine & { bound?(sql: string, params: QueryParams, format: string): Promise<string> };
    if (!e.bound) throw new SinkError(this.name, "parameterised queries are not supported on this sink");
    return e.bound(sql, params, format);
  }

  close(): Promise<void> { return this.engine.close(); }
}

/** Values for a query's `{name:Type}` placeholders. */
export type QueryParams = Readonly<Record<string, string | number | readonly string[]>>;

export { projectionTables };
