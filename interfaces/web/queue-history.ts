/**
 * The wallboard's past: what queue_log recorded today and in the chart's intervals
 * before this process started, so that a restart does not zero the day. Contract: only
 * records below `before` (the log's next offset when the board began to count) are
 * read, and only once the SQL sink has stored them all, so no call is counted twice
 * or missed; the values travel as bound parameters.
 */
import type { QueryParams } from "../../projections/sinks/sql.js";
import { INTERVAL_MS, INTERVALS, midnightOf, type History, type Interval, type Today } from "./wallboard.js";

type Query = (sql: string, params: QueryParams, format: string) => Promise<string>;

interface Row { queuename: string; event: string; bucket: string; is_today: number | string; n: string; holds: number[] }

const SQL = `SELECT queuename, event, intDiv(toUInt32(toUnixTimestamp(time)), {interval:UInt32}) * {interval:UInt32} AS bucket,
  toUInt32(toUnixTimestamp(time)) >= {midnight:UInt32} AS is_today, count() AS n, groupArrayIf(toUInt32OrZero(data1), event = 'CONNECT') AS holds
FROM queue_log
WHERE time >= toDateTime({since:UInt32}, 'UTC') AND log_offset < {before:UInt64} AND event IN ('ENTERQUEUE', 'CONNECT', 'ABANDON')
GROUP BY queuename, event, bucket, is_today`;

/**
 * Today's totals per queue and the last INTERVALS intervals, from queue_log.
 * `servicelevel` gives each queue's threshold (seconds) for the answered-in-time count.
 */
export async function queueHistory(query: Query, before: number, nowMs: number, servicelevel: (queue: string) => number): Promise<History> {
  const midnight = midnightOf(nowMs);
  const firstInterval = Math.floor(nowMs / INTERVAL_MS) * INTERVAL_MS - (INTERVALS - 1) * INTERVAL_MS;
  const since = Math.min(midnight, firstInterval);
  const text = await query(SQL, { interval: INTERVAL_MS / 1000, midnight: midnight / 1000, since: since / 1000, before }, "JSONEachRow");
  const today = new Map<string, Today>();
  const intervals = new Map<number, Interval>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as Row;
    const n = Number(r.n), start = Number(r.bucket) * 1000;
    if (start >= firstInterval) {
      let i = intervals.get(start);
      if (!i) intervals.set(start, (i = { start, offered: 0, answered: 0, abandoned: 0 }));
      if (r.event === "ENTERQUEUE") i.offered += n; else if (r.event === "CONNECT") i.answered += n; else i.abandoned += n;
    }
    if (!Number(r.is_today)) continue;
    let t = today.get(r.queuename);
    if (!t) today.set(r.queuename, (t = { offered: 0, answered: 0, abandoned: 0, answeredInSl: 0, holdtimeTotal: 0 }));
    if (r.event === "ENTERQUEUE") t.offered += n;
    else if (r.event === "ABANDON") t.abandoned += n;
    else {
      const sl = servicelevel(r.queuename);
      t.answered += n;
      for (const h of r.holds) { t.holdtimeTotal += Number(h); if (sl > 0 && Number(h) <= sl) t.answeredInSl++; }
    }
  }
  return { day: midnight, today, intervals: [...intervals.values()].sort((a, b) => a.start - b.start) };
}

/**
 * Seed the board once the SQL sink has stored every record below `before`: poll its
 * position (`stored()`), give up after `waitMs` (the board then counts from its start,
 * and says so).
 */
export async function seedWallboard(board: { seed(h: History): void; queues(): readonly { name: string; servicelevel: number }[] },
  query: Query, stored: () => number, before: number, nowMs: () => number, waitMs = 60_000): Promise<boolean> {
  for (let waited = 0; stored() < before - 1; waited += 200) {
    if (waited >= waitMs) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  const levels = new Map(board.queues().map((q) => [q.name, q.servicelevel]));
  board.seed(await queueHistory(query, before, nowMs(), (q) => levels.get(q) ?? 0));
  return true;
}
