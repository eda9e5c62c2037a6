/**
 * The ClickHouse tables of the projections, for chDB and for a server (native.ts
 * writes their rows).
 *
 * Two dialects, picked from the server's version:
 * - current (20.1 and later, chDB): DateTime64(6, 'UTC') times, LowCardinality for the
 *   few-valued strings, a minmax index on the time column;
 * - legacy (Debian's 18.16): no DateTime64 and LowCardinality only as an experiment,
 *   so times are DateTime('UTC') (whole seconds, like Asterisk's own SQL backends)
 *   with a `<column>_us` UInt64 beside each holding the exact microseconds since the
 *   epoch, plain String columns, and no skipping index.
 *
 * Every table is a ReplacingMergeTree keyed by the row's identity — (linkedid,
 * uniqueid, sequence) for CDR, (linkedid, log_offset, log_index) for CEL, (queuename,
 * log_offset, log_index) for queue_log — partitioned
 * by month. Exactness comes from the checkpoint protocol (sink.ts: rows first,
 * checkpoint last, anything past the checkpoint deleted on open), so queries need no
 * FINAL; the replacing engine is the second line: a row written twice by any path
 * (two writers, an operator re-running an INSERT) still collapses to one. Leading the
 * order key with linkedid serves "one call" lookups from the primary index; linkedid
 * starts with the epoch second of the call, so the key also clusters by time and
 * monthly partitions plus the minmax index prune time-range scans.
 */
import type { ProjectionName } from "../projection.js";
import type { CdrRow, CelRow } from "../rows.js";
import type { QueueLogRow } from "../queue-log/fold.js";

export type Dialect = "current" | "legacy";

/** 20.1 brought DateTime64; everything older gets the legacy tables. */
export function dialectOf(version: string): Dialect {
  const major = Number(version.split(".")[0]);
  return major >= 20 ? "current" : "legacy";
}

export const CHECKPOINTS = "recall_checkpoints";

type Kind = "lc" | "str" | "time" | "time?" | "u8" | "u32" | "u64";

const cdrColumns: readonly [keyof CdrRow, Kind][] = [
  ["accountcode", "lc"], ["src", "str"], ["dst", "str"], ["dcontext", "lc"], ["clid", "str"], ["channel", "str"], ["dstchannel", "str"],
  ["lastapp", "lc"], ["lastdata", "str"], ["start", "time"], ["answer", "time?"], ["end", "time"], ["duration", "u32"], ["billsec", "u32"],
  ["disposition", "lc"], ["amaflags", "u8"], ["userfield", "str"], ["uniqueid", "str"], ["linkedid", "str"], ["peeraccount", "lc"],
  ["sequence", "u32"], ["log_offset", "u64"], ["log_index", "u32"],
];

const celColumns: readonly [keyof CelRow, Kind][] = [
  ["eventtype", "lc"], ["eventtime", "time"], ["userdeftype", "lc"], ["cid_name", "str"], ["cid_num", "str"], ["cid_ani", "str"],
  ["cid_rdnis", "str"], ["cid_dnid", "str"], ["exten", "str"], ["context", "lc"], ["channame", "str"], ["appname", "lc"], ["appdata", "str"],
  ["amaflags", "u8"], ["accountcode", "lc"], ["peeraccount", "lc"], ["uniqueid", "str"], ["linkedid", "str"], ["userfield", "str"],
  ["peer", "str"], ["extra", "str"], ["log_offset", "u64"], ["log_index", "u32"],
];

const queueLogColumns: readonly [keyof QueueLogRow, Kind][] = [
  ["time", "time"], ["callid", "str"], ["queuename", "lc"], ["agent", "str"], ["event", "lc"], ["data", "str"],
  ["data1", "str"], ["data2", "str"], ["data3", "str"], ["data4", "str"], ["data5", "str"], ["log_offset", "u64"], ["log_index", "u32"],
];

export const columnsOf: Readonly<Record<ProjectionName, readonly [string, Kind][]>> = { cdr: cdrColumns, cel: celColumns, queue_log: queueLogColumns };

/** Each table's time column (partitioning, minmax index) and identity key. */
const TIME: Readonly<Record<ProjectionName, string>> = { cdr: "start", cel: "eventtime", queue_log: "time" };
const KEY: Readonly<Record<ProjectionName, string>> = {
  cdr: "(linkedid, uniqueid, sequence)", cel: "(linkedid, log_offset, log_index)", queue_log: "(queuename, log_offset, log_index)",
};

const q = (name: string) => `\`${name}\``;

function type(kind: Kind, d: Dialect): string {
  switch (kind) {
    case "lc": return d === "current" ? "LowCardinality(String)" : "String";
    case "str": return "String";
    case "time": return d === "current" ? "DateTime64(6, 'UTC')" : "DateTime('UTC')";
    case "time?": return d === "current" ? "Nullable(DateTime64(6, 'UTC'))" : "Nullable(DateTime('UTC'))";
    case "u8": return "UInt8";
    case "u32": return "UInt32";
    case "u64": return "UInt64";
  }
}

/** Column names in insert order (legacy tables add `<time>_us` after each time). */
export function insertColumns(table: ProjectionName, d: Dialect): string[] {
  const out: string[] = [];
  for (const [name, kind] of columnsOf[table]) {
    out.push(name);
    if (d === "legacy" && (kind === "time" || kind === "time?")) out.push(`${name}_us`);
  }
  return out;
}

export function createTable(table: ProjectionName, d: Dialect, database?: string): string {
  const cols: string[] = [];
  for (const [name, kind] of columnsOf[table]) {
    cols.push(`${q(name)} ${type(kind, d)}`);
    if (d === "legacy" && (kind === "time" || kind === "time?")) cols.push(`${q(`${name}_us`)} ${kind === "time?" ? "Nullable(UInt64)" : "UInt64"}`);
  }
  const time = TIME[table];
  if (d === "current") cols.push(`INDEX ${time}_minmax ${q(time)} TYPE minmax GRANULARITY 4`);
  const key = KEY[table];
  const name = database ? `${q(database)}.${q(table)}` : q(table);
  return `CREATE TABLE IF NOT EXISTS ${name} (\n  ${cols.join(",\n  ")}\n) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(${q(time)}) ORDER BY ${key}`;
}

export function createCheckpoints(database?: string): string {
  const name = database ? `${q(database)}.${q(CHECKPOINTS)}` : q(CHECKPOINTS);
  return `CREATE TABLE IF NOT EXISTS ${name} (proj String, through Int64, resume Int64, through_time Int64, version UInt64) ` +
    `ENGINE = ReplacingMergeTree(version) ORDER BY proj`;
}

export const projectionTables: readonly ProjectionName[] = ["cdr", "cel", "queue_log"];
