/**
 * The live projections inside `recall start`: one SinkRunner (sink-runner.ts) per sink
 * of recall.conf, each catching up from its own checkpoint and then following the log
 * as events become durable.
 */
import type { EventLog, Subscription } from "../events/log.js";
import type { ProjectionSettings } from "./config.js";
import { loadProjectionSettings } from "./config.js";
import { FIRST_RETRY_MS, nextRetry, SinkRunner, type RunnerReport, type SinkStatus } from "./sink-runner.js";
import type { Sink } from "./sinks/sink.js";
import { openChdbSink } from "./sinks/chdb.js";
import { ClickHouseSink } from "./sinks/clickhouse.js";
import { CsvSink } from "./sinks/csv.js";
import { QueueLogFileSink } from "./queue-log/file-sink.js";
import type { QueryParams, SqlSink } from "./sinks/sql.js";
import { serveQueries } from "./query-server.js";

export interface RunningProjections {
  /** Lines for `recall show projections`-style status: per sink, stored offset, lag. */
  status(): SinkStatus[];
  /**
   * A parameterised read on the sink that holds the rows (chDB, else the ClickHouse
   * server): the same tables `recall query` reads, through this process's session;
   * undefined when no SQL sink is configured.
   */
  readonly query?: (sql: string, params: QueryParams, format: string) => Promise<string>;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly settings?: ProjectionSettings;
  readonly report?: RunnerReport;
  /** Serve `recall query` for the chDB sink on DATA/projections/query.sock (default true). */
  readonly serveQueries?: boolean;
  /** Start live writes at most this often (default LIVE_WRITE_INTERVAL_MS). */
  readonly minWriteIntervalMs?: number;
  /** How to open the chDB sink (default: a session in this thread). */
  readonly openChdb?: () => Promise<SqlSink>;
}

/**
 * The live runner's write pace: two writes a second. Each write is a new part per table
 * that ClickHouse inserts and merges on its own threads: at 500 calls/s, writing every
 * 250 ms cost those threads 19 % of a core, every 500 ms 8 %, on a machine whose two
 * cores the PBX's main thread and its peers need. A row is still queryable within a
 * second of its event (`npm run bench:projections`: p99 524 ms).
 */
export const LIVE_WRITE_INTERVAL_MS = 500;

/** Open the sinks recall.conf [projections] sinks names (chdb by default). */
export async function openSinks(names: readonly string[], dataDir: string, settings: ProjectionSettings, openChdb: () => Promise<Sink> = () => openChdbSink(dataDir)): Promise<Sink[]> {
  const sinks: Sink[] = [];
  for (const n of names) {
    if (n === "chdb") sinks.push(await openChdb());
    else if (n === "clickhouse") sinks.push(new ClickHouseSink(settings.clickhouse));
    else if (n === "csv") sinks.push(new CsvSink(dataDir, settings.cel.dateformat));
    else if (n === "queue_log") sinks.push(new QueueLogFileSink(dataDir));
    else throw new Error(`unknown sink '${n}' (chdb, clickhouse, csv, queue_log)`);
  }
  return sinks;
}

/** Projections running in this thread, with their runners. */
export interface LiveProjections extends RunningProjections {
  readonly sinks: readonly SinkRunner[];
}

/**
 * Run the projections live in this thread (`recall start` runs this in a worker,
 * in-worker.ts): each sink catches up from its checkpoint, then follows the log as
 * events become durable.
 */
export async function startProjections(log: EventLog, configDir: string, dataDir: string, options: StartOptions = {}): Promise<LiveProjections> {
  const settings = options.settings ?? loadProjectionSettings(configDir);
  const report: RunnerReport = options.report ?? {
    problem: (sink, e) => process.stderr.write(`WARNING: projections (${sink}): ${e.message}\n`),
    failure: (sink, e, ms) => process.stderr.write(`WARNING: projections (${sink}): ${e.message}; retrying in ${ms} ms\n`),
  };
  // DATA/queue_log is always written, as Asterisk always writes its queue_log file.
  const sinks = await openSinks([...settings.sinks, "queue_log"], dataDir, settings, options.openChdb);
  const runners = sinks.map((s) => new SinkRunner(s, settings, report, { minWriteIntervalMs: options.minWriteIntervalMs ?? LIVE_WRITE_INTERVAL_MS }));
  const subs: Subscription[] = [];
  for (const runner of runners) subs.push(await follow(log, runner, report));
  const chdb = sinks.find((s) => s.name === "chdb") as SqlSink | undefined;
  const server = chdb && options.serveQueries !== false ? await serveQueries(dataDir, (sql, format) => chdb.query(sql, format)) : undefined;
  const readable = chdb ?? (sinks.find((s) => s.name === "clickhouse") as ClickHouseSink | undefined);
  return {
    sinks: runners,
    ...(readable ? { query: (sql: string, params: QueryParams, format: string) => readable.queryBound(sql, params, format) } : {}),
    status: () => runners.map((r) => r.status(log.nextOffset - 1)),
    close: async () => {
      for (const r of runners) r.stop();
      await Promise.all(subs.map((s) => s.close()));
      await Promise.all(runners.map((r) => r.drain().catch((e: Error) => report.failure?.(r.sink.name, e, 0))));
      await server?.close();
      for (const s of sinks) await s.close();
    },
  };
}

/**
 * Follow the log into one runner from its checkpoint. A sink in this process (chDB, CSV)
 * that cannot be opened fails the start (another Recall holds the data directory); a
 * remote sink (a server) that cannot be reached is tried again with back-off while the
 * PBX runs: its rows wait in the log, and its status shows the lag and why.
 */
async function follow(log: EventLog, runner: SinkRunner, report: RunnerReport): Promise<Subscription> {
  let sub: Subscription | null = null, closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined, attempt: Promise<void> = Promise.resolve();
  const subscribe = (from: number) => {
    sub = log.subscribe(from, (batch) => runner.follow(batch).catch((e: Error) => report.failure?.(runner.sink.name, e, 0)));
  };
  const retry = (wait: number): void => {
    timer = setTimeout(() => {
      attempt = runner.open().then((from) => { if (!closed) subscribe(from); }, (e: Error) => {
        if (closed) return;
        const next = nextRetry(wait);
        report.failure?.(runner.sink.name, e, next);
        retry(next);
      });
    }, wait);
  };
  try {
    subscribe(await runner.open());
  } catch (e) {
    if (!runner.sink.remote) throw e;
    report.failure?.(runner.sink.name, e as Error, FIRST_RETRY_MS);
    retry(FIRST_RETRY_MS);
  }
  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await attempt;
      await sub?.close();
    },
  };
}
