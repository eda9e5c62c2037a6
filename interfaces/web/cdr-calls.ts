/**
 * One page of /cdr's calls, and how many calls match, without making a wide view pay
 * for grouping every matching call twice.
 *
 * Why a wide view was slow: a page of calls sorted by their first leg meant grouping
 * every matching row by linkedid (millions of string keys for a month) to sort the
 * groups, and a second full pass (uniqExact) to count them. Now:
 * - The page, when sorted by time (the default) over many rows, is found in a time
 *   window at the range's newest (or oldest) edge, widened until it holds the page: a call whose
 *   first matching leg lies inside the window has a row there, and any call outside it
 *   sorts after every call inside, so the window's page is the page of the whole range
 *   (same order, same ties). Other sorts, and pages past MAX_WINDOWED calls, group the
 *   whole range as before.
 * - The count groups by linkedid once (exact: the keys themselves are compared; on
 *   chDB about twice as fast as uniqExact) and runs after a windowed page, so it cannot
 *   hold up the page's own queries (in chDB they queued behind it); `CallCounts` shares a count still running with the page's own
 *   follow-up request (/cdr/count), so a slow count is computed once.
 */
import type { QueryParams } from "../../projections/sinks/sql.js";
import { boundsQuery, callsQuery, countQuery, windowQuery, type CdrFilter } from "./cdr-query.js";

type Query = (sql: string, params: QueryParams, format: string) => Promise<string>;

/** Deeper pages than this many calls group the whole range (a window that wide saves nothing). */
export const MAX_WINDOWED = 10_000;

const rowsOf = <T>(text: string): T[] => text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as T);

/** Whether the filter's page may come from a window (sorted by time, not too deep). */
export function windowed(f: CdrFilter): boolean {
  return f.sort === "start" && f.page * f.size <= MAX_WINDOWED;
}

/** The linkedids of the filter's page, in the page's order, and how many rows match. */
export async function pageOfCalls(query: Query, f: CdrFilter): Promise<{ ids: string[]; rows: number }> {
  const b = boundsQuery(f);
  const [bounds] = rowsOf<{ lo: number | string; hi: number | string; n: number | string }>(await query(b.sql, b.params, "JSONEachRow"));
  const rows = Number(bounds?.n ?? 0);
  if (rows === 0) return { ids: [], rows };
  const wanted = f.page * f.size;
  // A window pays (two passes, one through the primary key) only when it is a small part of the range.
  if (!windowed(f) || rows < 20 * wanted) {
    const c = callsQuery(f);
    return { ids: rowsOf<{ linkedid: string }>(await query(c.sql, c.params, "JSONEachRow")).map((r) => r.linkedid), rows };
  }
  const lo = Number(bounds.lo), hi = Number(bounds.hi);
  // A first guess holding about four rows per wanted call, then four times wider each time.
  let width = Math.max(60, Math.ceil(((hi - lo + 1) * Math.min(1, (4 * wanted) / rows))));
  for (;;) {
    const edge = f.dir === "desc" ? Math.max(lo, hi - width) : Math.min(hi + 1, lo + width + 1);
    const covers = f.dir === "desc" ? edge <= lo : edge > hi;
    const w = windowQuery(f, edge);
    const ids = rowsOf<{ linkedid: string }>(await query(w.sql, w.params, "JSONEachRow")).map((r) => r.linkedid);
    if (ids.length === f.size || covers) return { ids, rows };
    width *= 4;
  }
}

export interface CallCount { readonly calls: number; readonly rows: number }

/**
 * Counts by filter, shared while they run and for KEEP_MS after (a page and its
 * follow-up request, or the next page of the same view, ask once); at most MAX_KEPT.
 */
export class CallCounts {
  static readonly KEEP_MS = 10_000;
  static readonly MAX_KEPT = 64;
  readonly #counts = new Map<string, Promise<CallCount>>();

  count(query: Query, f: CdrFilter): Promise<CallCount> {
    const { sql, params } = countQuery(f);
    const key = JSON.stringify([sql, params]);
    let counting = this.#counts.get(key);
    if (counting) return counting;
    counting = query(sql, params, "JSONEachRow").then((t) => {
      const [r] = rowsOf<{ calls: string | number; rows: string | number | null }>(t);
      return { calls: Number(r?.calls ?? 0), rows: Number(r?.rows ?? 0) };
    });
    this.#counts.set(key, counting);
    while (this.#counts.size > CallCounts.MAX_KEPT) this.#counts.delete(this.#counts.keys().next().value as string);
    const forget = () => { setTimeout(() => { if (this.#counts.get(key) === counting) this.#counts.delete(key); }, CallCounts.KEEP_MS).unref(); };
    counting.then(forget, () => this.#counts.delete(key));
    return counting;
  }
}
