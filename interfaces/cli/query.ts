/**
 * `recall query --data DIR "SQL" [--format table|csv|json]`: ClickHouse SQL over the
 * embedded projection tables (cdr, cel). While Recall runs it owns the chDB directory,
 * so the query goes to it over DATA/projections/query.sock; otherwise chDB is opened
 * here. ClickHouse's own message is printed for a bad query, not a stack trace.
 */
import { askRunning } from "../../projections/query-server.js";
import { chdbMessage, openChdbSink } from "../../projections/sinks/chdb.js";

export interface QueryOptions { readonly dataDir: string; readonly sql: string; readonly format: string }

const FORMATS: Record<string, string> = { table: "PrettyCompactMonoBlock", csv: "CSVWithNames", json: "JSONEachRow", tsv: "TSVWithNames" };

export async function queryCommand(options: QueryOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const format = FORMATS[options.format];
  if (!format) { err(`recall query: --format is table, csv, json or tsv, not '${options.format}'\n`); return 2; }
  if (!options.sql.trim()) { err("recall query: no SQL given\n"); return 2; }
  const running = await askRunning(options.dataDir, options.sql, format);
  if (running) {
    if (running.ok) { out(running.text ?? ""); return 0; }
    err(`${chdbMessage(running.error)}\n`);
    return 1;
  }
  let sink;
  try {
    sink = await openChdbSink(options.dataDir);
    await sink.open(["cdr", "cel", "queue_log"]); // the tables exist even before the first rebuild
  } catch (e) {
    err(`recall query: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    out(await sink.query(options.sql, format));
    return 0;
  } catch (e) {
    err(`${chdbMessage(e)}\n`);
    return 1;
  } finally {
    await sink.close();
  }
}
