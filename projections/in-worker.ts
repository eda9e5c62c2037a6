/**
 * `recall start`'s live projections, folded in a worker thread (worker.ts). Folding CDR,
 * CEL and queue_log and encoding their rows cost the main thread about a tenth of its time
 * at 500 calls/s, time a call's set-up waited behind; in the worker it runs beside it.
 * The worker reads the log from its files (a read-only view), told here how far it is
 * durable at most every DURABLE_EVERY_MS, so what it stores is what the same runner in
 * this thread would store, from the same checkpoints. The chDB session stays here (chDB
 * in a worker crashes the process when the worker ends): the worker's chDB sink sends
 * its statements and Native blocks, which chDB runs on its own threads, and `recall
 * query` and the web console's queries are answered here as before.
 */
import { Worker } from "node:worker_threads";
import type { SegmentLog } from "../events/embedded/segment-log.js";
import { loadProjectionSettings } from "./config.js";
import { serveQueries } from "./query-server.js";
import type { RunningProjections } from "./runner.js";
import type { SinkStatus } from "./sink-runner.js";
import { openChdb, type ChdbOpened } from "./sinks/chdb.js";
import { ClickHouseSink } from "./sinks/clickhouse.js";
import type { QueryParams } from "./sinks/sql.js";

export interface ProjectionsWorkerData {
  readonly configDir: string;
  readonly dataDir: string;
  /** The writer's log directory and its durable offset when the worker started. */
  readonly logDir: string;
  readonly durable: number;
  /** The chDB sink's directory and server version, when recall.conf has it. */
  readonly chdb?: { readonly dir: string; readonly version: string };
}

export type EngineOp = "exec" | "select" | "insertTsv" | "insertNative" | "deleteWhere";

export type ToProjections =
  | { readonly t: "durable"; readonly offset: number }
  | { readonly t: "engineAnswer"; readonly id: number; readonly value?: unknown; readonly error?: string }
  | { readonly t: "close" };

export type FromProjections =
  | { readonly t: "ready" }
  | { readonly t: "failed"; readonly message: string }
  | { readonly t: "status"; readonly status: SinkStatus[]; readonly head: number }
  | { readonly t: "engine"; readonly id: number; readonly op: EngineOp; readonly args: unknown[] }
  | { readonly t: "closed" };

/** How often at most the worker hears the durable offset: the rows are written every 500 ms anyway. */
export const DURABLE_EVERY_MS = 50;

export async function startProjectionsInWorker(log: SegmentLog, configDir: string, dataDir: string): Promise<RunningProjections> {
  const settings = loadProjectionSettings(configDir);
  // Opened here first: a data directory another Recall holds fails the start, as before.
  const chdb: ChdbOpened | undefined = settings.sinks.includes("chdb") ? await openChdb(dataDir) : undefined;
  const data: ProjectionsWorkerData = {
    configDir, dataDir, logDir: log.dir, durable: log.durableOffset, ...(chdb ? { chdb: { dir: chdb.dir, version: chdb.version } } : {}),
  };
  // 8 MB semi-spaces (V8 gives the young generation three of them). Every event passes through
  // this thread's fold; with 16 MB semi-spaces, the main thread's, its young generation took
  // 16 MiB more at B2BUA 500 calls/s (peak RSS 501 and 506 MiB against 487 and 496, alternated)
  // for the same call set-up p99 and CPU.
  const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 24 } });
  let latest: { status: SinkStatus[]; head: number } = { status: [], head: data.durable };
  let closed: (() => void) | undefined;

  // The durable offset, at most every DURABLE_EVERY_MS: one message for many group commits.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tell = () => { timer = undefined; worker.postMessage({ t: "durable", offset: log.durableOffset } satisfies ToProjections); };
  const stopListening = log.onDurable(() => { timer ??= setTimeout(tell, DURABLE_EVERY_MS); });

  const runEngine = (id: number, op: EngineOp, args: unknown[]) => {
    const engine = chdb!.engine;
    const done = op === "insertNative" ? engine.insertNative(args[0] as string, args[1] as string[], Buffer.from(args[2] as ArrayBuffer))
      : (engine[op] as (...a: unknown[]) => Promise<unknown>)(...args);
    done.then(
      (value) => worker.postMessage({ t: "engineAnswer", id, value } satisfies ToProjections),
      (e: Error) => worker.postMessage({ t: "engineAnswer", id, error: e.message } satisfies ToProjections),
    );
  };

  try {
    await new Promise<void>((resolve, reject) => {
      worker.on("message", (m: FromProjections) => {
        if (m.t === "engine") runEngine(m.id, m.op, m.args);
        else if (m.t === "status") latest = m;
        else if (m.t === "ready") resolve();
        else if (m.t === "failed") reject(new Error(m.message));
        else if (m.t === "closed") closed?.();
      });
      worker.once("error", reject);
      worker.once("exit", (code) => { reject(new Error(`projections worker exited (${code})`)); closed?.(); });
    });
  } catch (e) {
    stopListening();
    clearTimeout(timer);
    await worker.terminate();
    await chdb?.engine.close();
    throw e;
  }
  worker.on("error", (e) => process.stderr.write(`WARNING: projections worker: ${e.message}\n`));

  // Queries are answered here: by chDB, else by the ClickHouse server.
  const server = settings.sinks.includes("clickhouse") && !chdb ? new ClickHouseSink(settings.clickhouse) : undefined;
  const queries = chdb && await serveQueries(dataDir, (sql, format) => chdb.engine.raw(sql, format));
  const bound = chdb ? chdb.engine.bound.bind(chdb.engine) : server ? server.queryBound.bind(server) : undefined;

  return {
    ...(bound ? { query: (sql: string, params: QueryParams, format: string) => bound(sql, params, format) } : {}),
    // The worker's view may trail the log by a few ms: what it has not seen is lag too.
    status: () => latest.status.map((s) => ({ ...s, lagEvents: s.lagEvents + Math.max(0, log.nextOffset - latest.head) })),
    close: async () => {
      stopListening();
      clearTimeout(timer);
      const done = new Promise<void>((resolve) => { closed = resolve; });
      worker.postMessage({ t: "durable", offset: log.durableOffset } satisfies ToProjections);
      worker.postMessage({ t: "close" } satisfies ToProjections);
      await done; // its last writes went through the engine meanwhile
      await worker.terminate();
      await queries?.close();
      await server?.close();
      await chdb?.engine.close();
    },
  };
}
