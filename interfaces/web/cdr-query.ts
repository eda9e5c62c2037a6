/**
 * The /cdr page's filters, from the URL to ClickHouse SQL. Contract: every value a
 * user gives travels as a query parameter (`{name:Type}`, bound by the engine), never
 * as SQL text; the only words of the SQL chosen by the URL are the sort column and
 * direction, and those come from fixed lists. A value that is malformed or too long is
 * a FilterError naming the field (the page answers 400), not a query.
 *
 * Rows of one linkedid are one call: a page is a page of calls (linkedids), sorted by
 * the call's first leg, each with its matching rows.
 */
import type { QueryParams } from "../../projections/sinks/sql.js";

export class FilterError extends Error { override readonly name = "FilterError"; }

export const DISPOSITIONS = ["ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"] as const;

/** Sortable columns: the call's value for each (its first leg's, or the longest). */
const SORTS: Readonly<Record<string, string>> = {
  start: "min(start)", src: "argMin(src, start)", dst: "argMin(dst, start)", disposition: "argMin(disposition, start)",
  duration: "max(duration)", billsec: "max(billsec)",
};

export const PAGE_SIZES = [25, 50, 100, 200] as const;
const MAX_TEXT = 128;
const MAX_PAGE = 100_000;

export interface CdrFilter {
  readonly from?: string; // "YYYY-MM-DD HH:MM:SS", UTC
  readonly to?: string;
  readonly src?: string;
  readonly dst?: string;
  readonly disposition: readonly string[];
  readonly minDuration?: number;
  readonly accountcode?: string;
  readonly linkedid?: string;
  readonly uniqueid?: string;
  readonly sort: string;
  readonly dir: "asc" | "desc";
  readonly page: number;
  readonly size: number;
}

function text(params: URLSearchParams, name: string): string | undefined {
  const v = params.get(name);
  if (v === null || v.trim() === "") return undefined;
  if (v.length > MAX_TEXT) throw new FilterError(`${name}: at most ${MAX_TEXT} characters`);
  return v.trim();
}

/** `2026-12-06`, `2026-12-06T14:01` or `2026-12-06 14:01:30` (UTC); `to` of a bare date means its end. */
function time(params: URLSearchParams, name: "from" | "to"): string | undefined {
  const v = text(params, name);
  if (v === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
  if (!m) throw new FilterError(`${name}: a date and time as YYYY-MM-DD or YYYY-MM-DDTHH:MM, not "${v}"`);
  const [, y, mo, d, h, mi, s] = m;
  const bareEnd = name === "to" && h === undefined;
  const stamp = `${y}-${mo}-${d} ${h ?? (bareEnd ? "23" : "00")}:${mi ?? (bareEnd ? "59" : "00")}:${s ?? (bareEnd || (name === "to" && s === undefined) ? "59" : "00")}`;
  const check = new Date(`${y}-${mo}-${d}T${stamp.slice(11)}Z`);
  if (Number.isNaN(check.getTime()) || check.getUTCDate() !== Number(d)) throw new FilterError(`${name}: no such date "${v}"`);
  return stamp;
}

function whole(params: URLSearchParams, name: string, max: number): number | undefined {
  const v = text(params, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) > max) throw new FilterError(`${name}: a whole number from 0 to ${max}, not "${v.slice(0, 20)}"`);
  return Number(v);
}

export function parseFilter(params: URLSearchParams): CdrFilter {
  const disposition = params.getAll("disposition").filter((d) => d !== "");
  for (const d of disposition) if (!(DISPOSITIONS as readonly string[]).includes(d)) throw new FilterError(`disposition: one of ${DISPOSITIONS.join(", ")}, not "${d.slice(0, 40)}"`);
  const sort = params.get("sort") || "start";
  if (!(sort in SORTS)) throw new FilterError(`sort: one of ${Object.keys(SORTS).join(", ")}`);
  const dir = params.get("dir") || "desc";
  if (dir !== "asc" && dir !== "desc") throw new FilterError("dir: asc or desc");
  const size = whole(params, "size", 1000) ?? 50;
  if (!(PAGE_SIZES as readonly number[]).includes(size)) throw new FilterError(`size: one of ${PAGE_SIZES.join(", ")}`);
  const from = time(params, "from"), to = time(params, "to");
  if (from && to && from > to) throw new FilterError("from: after to");
  return {
    from, to, src: text(params, "src"), dst: text(params, "dst"), disposition: [...new Set(disposition)],
    minDuration: whole(params, "duration", 1e8), accountcode: text(params, "accountcode"),
    linkedid: text(params, "linkedid"), uniqueid: text(params, "uniqueid"),
    sort, dir, page: Math.max(1, whole(params, "page", MAX_PAGE) ?? 1), size,
  };
}

/** The filter back as URL parameters (links for sorting, paging, CSV keep the view). */
export function filterParams(f: CdrFilter, change: Partial<Record<keyof CdrFilter, string | number | undefined>> = {}): URLSearchParams {
  const p = new URLSearchParams();
  const put = (k: keyof CdrFilter, v: string | number | undefined) => { if (v !== undefined && v !== "") p.set(k === "minDuration" ? "duration" : k, String(v)); };
  const value = (k: keyof CdrFilter) => (k in change ? change[k] : (f[k] as string | number | undefined));
  for (const k of ["from", "to", "src", "dst"] as const) put(k, value(k)?.toString().replace(" ", "T"));
  for (const d of f.disposition) p.append("disposition", d);
  for (const k of ["minDuration", "accountcode", "linkedid", "uniqueid", "sort", "dir", "page", "size"] as const) put(k, value(k));
  return p;
}

/** A LIKE pattern: `*` and `%` are wildcards; without one the value is matched as given, anywhere. */
function like(value: string): string {
  const escaped = value.replace(/[\\_]/g, (c) => `\\${c}`).replace(/\*/g, "%");
  return escaped.includes("%") ? escaped : `%${escaped}%`;
}

export interface CdrSql { readonly where: string; readonly params: Record<string, string | number | readonly string[]> }

export function whereOf(f: CdrFilter): CdrSql {
  const terms: string[] = [];
  const params: Record<string, string | number | readonly string[]> = {};
  if (f.from) { terms.push("start >= toDateTime({from:String}, 'UTC')"); params.from = f.from; }
  if (f.to) { terms.push("start < toDateTime({to:String}, 'UTC') + 1"); params.to = f.to; }
  if (f.src) { terms.push("src LIKE {src:String}"); params.src = like(f.src); }
  if (f.dst) { terms.push("dst LIKE {dst:String}"); params.dst = like(f.dst); }
  if (f.disposition.length) { terms.push("disposition IN {disposition:Array(String)}"); params.disposition = f.disposition; }
  if (f.minDuration !== undefined) { terms.push("duration > {duration:UInt32}"); params.duration = f.minDuration; }
  if (f.accountcode) { terms.push("accountcode = {accountcode:String}"); params.accountcode = f.accountcode; }
  if (f.linkedid) { terms.push("linkedid = {linkedid:String}"); params.linkedid = f.linkedid; }
  if (f.uniqueid) { terms.push("uniqueid = {uniqueid:String}"); params.uniqueid = f.uniqueid; }
  return { where: terms.length ? terms.join(" AND ") : "1", params };
}

export const CDR_COLUMNS = ["start", "src", "dst", "clid", "duration", "billsec", "disposition", "lastapp", "channel", "dstchannel",
  "uniqueid", "userfield", "accountcode", "linkedid", "peeraccount"] as const;

const select = `start, src, dst, clid, duration, billsec, disposition, lastapp, channel, dstchannel, uniqueid, userfield, accountcode, linkedid, peeraccount`;

/** The page's calls: linkedids in the chosen order, one page of them (every matching call grouped; cdr-calls.ts). */
export function callsQuery(f: CdrFilter): { sql: string; params: QueryParams } {
  const { where, params } = whereOf(f);
  return {
    sql: `SELECT linkedid, ${SORTS[f.sort]} AS k, min(start) AS first FROM cdr WHERE ${where} GROUP BY linkedid ` +
      `ORDER BY k ${f.dir === "asc" ? "ASC" : "DESC"}, first ${f.dir === "asc" ? "ASC" : "DESC"}, linkedid LIMIT {limit:UInt32} OFFSET {offset:UInt64}`,
    params: { ...params, limit: f.size, offset: (f.page - 1) * f.size },
  };
}

/** The matching rows' time span (whole seconds) and number. */
export function boundsQuery(f: CdrFilter): { sql: string; params: QueryParams } {
  const { where, params } = whereOf(f);
  return { sql: `SELECT toUInt32(toUnixTimestamp(min(start))) AS lo, toUInt32(toUnixTimestamp(max(start))) AS hi, count() AS n FROM cdr WHERE ${where}`, params };
}

/**
 * The page among calls with a matching row at or after `edge` (newest first: their
 * first leg, over all their matching rows, must be at or after it too) or before it
 * (oldest first: there the window's own rows give the first leg).
 */
export function windowQuery(f: CdrFilter, edge: number): { sql: string; params: QueryParams } {
  const { where, params } = whereOf(f);
  const page = `LIMIT {limit:UInt32} OFFSET {offset:UInt64}`;
  const all = { ...params, edge, limit: f.size, offset: (f.page - 1) * f.size };
  return f.dir === "desc"
    ? { sql: `SELECT linkedid, min(start) AS k FROM cdr WHERE ${where} AND linkedid IN (SELECT linkedid FROM cdr WHERE ${where} AND start >= toDateTime({edge:UInt32}, 'UTC')) ` +
        `GROUP BY linkedid HAVING k >= toDateTime({edge:UInt32}, 'UTC') ORDER BY k DESC, linkedid ${page}`, params: all }
    : { sql: `SELECT linkedid, min(start) AS k FROM cdr WHERE ${where} AND start < toDateTime({edge:UInt32}, 'UTC') GROUP BY linkedid ORDER BY k ASC, linkedid ${page}`, params: all };
}

/** Every matching call counted once: grouped by linkedid. */
export function countQuery(f: CdrFilter): { sql: string; params: QueryParams } {
  const { where, params } = whereOf(f);
  return { sql: `SELECT count() AS calls, sum(n) AS rows FROM (SELECT linkedid, count() AS n FROM cdr WHERE ${where} GROUP BY linkedid)`, params };
}

/** The matching rows of the given calls, legs in order. */
export function rowsQuery(f: CdrFilter, linkedids: readonly string[]): { sql: string; params: QueryParams } {
  const { where, params } = whereOf(f);
  return { sql: `SELECT ${select} FROM cdr WHERE ${where} AND linkedid IN {ids:Array(String)} ORDER BY linkedid, start, sequence`, params: { ...params, ids: linkedids } };
}

/** Every matching row for the CSV export, bounded. */
export const CSV_LIMIT = 1_000_000;
export function csvQuery(f: CdrFilter): { sql: string; params: QueryParams } {
  const { where, params } = whereOf(f);
  return { sql: `SELECT ${select} FROM cdr WHERE ${where} ORDER BY start, linkedid, sequence LIMIT ${CSV_LIMIT}`, params };
}
