/**
 * The ClickHouse tables of the projections, for chDB and for a server, and the
 * TabSeparated text the sinks insert.
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
 * uniqueid, sequence) for CDR, (linkedid, log_offset, log_index) for CEL — partitioned
 * by month. Exactness comes from the checkpoint protocol (sink.ts: rows first,
 * checkpoint last, anything past the checkpoint deleted on open), so queries need no
 * FINAL; the replacing engine is the second line: a row written twice by any path
 * (two writers, an operator re-running an INSERT) still collapses to one. Leading the
 * order key with linkedid serves "one call" lookups from the primary index; linkedid
 * starts with the epoch second of the call, so the key also clusters by time and
 * monthly partitions plus the minmax index prune time-range scans.
 */
import type { ProjectionName } from "../projection.js";
import { amaFlagCodes, type CdrRow, type CelRow } from "../rows.js";
import { ByteBuilder, escapeTsv } from "./bytes.js";

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

export const columnsOf: Readonly<Record<"cdr" | "cel", readonly [string, Kind][]>> = { cdr: cdrColumns, cel: celColumns };

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
export function insertColumns(table: "cdr" | "cel", d: Dialect): string[] {
  const out: string[] = [];
  for (const [name, kind] of columnsOf[table]) {
    out.push(name);
    if (d === "legacy" && (kind === "time" || kind === "time?")) out.push(`${name}_us`);
  }
  return out;
}

export function createTable(table: "cdr" | "cel", d: Dialect, database?: string): string {
  const cols: string[] = [];
  for (const [name, kind] of columnsOf[table]) {
    cols.push(`${q(name)} ${type(kind, d)}`);
    if (d === "legacy" && (kind === "time" || kind === "time?")) cols.push(`${q(`${name}_us`)} ${kind === "time?" ? "Nullable(UInt64)" : "UInt64"}`);
  }
  const time = table === "cdr" ? "start" : "eventtime";
  if (d === "current") cols.push(`INDEX ${time}_minmax ${q(time)} TYPE minmax GRANULARITY 4`);
  const key = table === "cdr" ? "(linkedid, uniqueid, sequence)" : "(linkedid, log_offset, log_index)";
  const name = database ? `${q(database)}.${q(table)}` : q(table);
  return `CREATE TABLE IF NOT EXISTS ${name} (\n  ${cols.join(",\n  ")}\n) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(${q(time)}) ORDER BY ${key}`;
}

export function createCheckpoints(database?: string): string {
  const name = database ? `${q(database)}.${q(CHECKPOINTS)}` : q(CHECKPOINTS);
  return `CREATE TABLE IF NOT EXISTS ${name} (proj String, through Int64, resume Int64, through_time Int64, version UInt64) ` +
    `ENGINE = ReplacingMergeTree(version) ORDER BY proj`;
}

/** TabSeparated escaping. */
export const tsv = escapeTsv;

/** A string column (anything else as String() writes it). */
const field = (b: ByteBuilder, v: unknown): void => b.tsv(typeof v === "string" ? v : String(v));

/** Whole seconds as DateTime text, UTC; recent seconds' texts are kept (a row's times, and the rows of a batch, are close). */
const secondTexts: { second: number; text: string }[] = Array.from({ length: 64 }, () => ({ second: NaN, text: "" }));
function time32(us: number): string {
  const ms = Math.floor(us / 1000);
  const second = Math.floor(ms / 1000);
  const slot = secondTexts[second & 63];
  if (slot.second !== second) {
    const iso = new Date(ms).toISOString();
    slot.second = second;
    slot.text = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  }
  return slot.text;
}

const TAB = 9, NL = 10, DOT = 46;

/**
 * A time column: DateTime64(6) text input `seconds.micros`; in the legacy tables two
 * columns, the DateTime text and the exact µs. Null as `\N`.
 */
function time(b: ByteBuilder, v: number | null | undefined, d: Dialect): void {
  if (v === null || v === undefined) { b.ascii(d === "current" ? "\\N" : "\\N\t\\N"); return; }
  if (d === "legacy") { b.ascii(time32(v)); b.byte(TAB); b.int(v); return; }
  if (!Number.isInteger(v)) { b.ascii(String(v / 1e6)); return; }
  const s = Math.floor(v / 1e6);
  b.int(s);
  b.byte(DOT);
  b.small(v - s * 1e6, 6);
}

const ama = (v: unknown): number => amaFlagCodes[v as keyof typeof amaFlagCodes] ?? 3;

/** One CDR row in `insertColumns("cdr")` order. */
function cdrLine(b: ByteBuilder, r: CdrRow, d: Dialect): void {
  field(b, r.accountcode); b.byte(TAB); field(b, r.src); b.byte(TAB); field(b, r.dst); b.byte(TAB); field(b, r.dcontext); b.byte(TAB);
  field(b, r.clid); b.byte(TAB); field(b, r.channel); b.byte(TAB); field(b, r.dstchannel); b.byte(TAB); field(b, r.lastapp); b.byte(TAB);
  field(b, r.lastdata); b.byte(TAB); time(b, r.start, d); b.byte(TAB); time(b, r.answer, d); b.byte(TAB); time(b, r.end, d); b.byte(TAB);
  b.int(r.duration); b.byte(TAB); b.int(r.billsec); b.byte(TAB); field(b, r.disposition); b.byte(TAB); b.int(ama(r.amaflags)); b.byte(TAB);
  field(b, r.userfield); b.byte(TAB); field(b, r.uniqueid); b.byte(TAB); field(b, r.linkedid); b.byte(TAB); field(b, r.peeraccount); b.byte(TAB);
  b.int(r.sequence); b.byte(TAB); b.int(r.log_offset); b.byte(TAB); b.int(r.log_index); b.byte(NL);
}

/** One CEL row in `insertColumns("cel")` order. */
function celLine(b: ByteBuilder, r: CelRow, d: Dialect): void {
  field(b, r.eventtype); b.byte(TAB); time(b, r.eventtime, d); b.byte(TAB); field(b, r.userdeftype); b.byte(TAB); field(b, r.cid_name); b.byte(TAB);
  field(b, r.cid_num); b.byte(TAB); field(b, r.cid_ani); b.byte(TAB); field(b, r.cid_rdnis); b.byte(TAB); field(b, r.cid_dnid); b.byte(TAB);
  field(b, r.exten); b.byte(TAB); field(b, r.context); b.byte(TAB); field(b, r.channame); b.byte(TAB); field(b, r.appname); b.byte(TAB);
  field(b, r.appdata); b.byte(TAB); b.int(ama(r.amaflags)); b.byte(TAB); field(b, r.accountcode); b.byte(TAB); field(b, r.peeraccount); b.byte(TAB);
  field(b, r.uniqueid); b.byte(TAB); field(b, r.linkedid); b.byte(TAB); field(b, r.userfield); b.byte(TAB); field(b, r.peer); b.byte(TAB);
  field(b, r.extra); b.byte(TAB); b.int(r.log_offset); b.byte(TAB); b.int(r.log_index); b.byte(NL);
}

/** Append the rows of one table to `into` as TabSeparated lines in `insertColumns` order. */
export function writeTsv(into: ByteBuilder, table: "cdr" | "cel", rows: readonly object[], d: Dialect): void {
  if (table === "cdr") for (const r of rows as readonly CdrRow[]) cdrLine(into, r, d);
  else for (const r of rows as readonly CelRow[]) celLine(into, r, d);
}

/** The rows of one table as TabSeparated text in `insertColumns` order. */
export function toTsv(table: "cdr" | "cel", rows: readonly object[], d: Dialect): Buffer {
  const b = new ByteBuilder(Math.max(256, rows.length * 256));
  writeTsv(b, table, rows, d);
  return b.bytes();
}

export const projectionTables: readonly ProjectionName[] = ["cdr", "cel"];
