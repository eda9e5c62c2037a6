/**
 * `recall start`'s live projections, run in a worker thread (worker.ts). Folding CDR, CEL
 * and queue_log, encoding their rows and handing them to chDB cost the main thread about a
 * tenth of its time at 500 calls/s, time a call's set-up waited behind; in the worker they
 * run beside it. The worker reads the log from its files (a read-only view), told here how
 * far it is durable at most every DURABLE_EVERY_MS, so what it stores is what the same
 * runner in this thread would store, from the same checkpoints. `recall query` is answered
 * by the worker's chDB session, and status and queries cross as messages.
 */
import { Worker } from "node:worker_threads";
import type { SegmentLog } from "../events/embedded/segment-log.js";
import type { RunningProjections } from "./runner.js";
import type { SinkStatus } from "./sink-runner.js";
import type { QueryParams } from "./sinks/sql.js";

export interface ProjectionsWorkerData {
  readonly configDir: string;
  readonly dataDir: string;
  /** The writer's log directory and its durable offset when the worker started. */
  readonly logDir: string;
  readonly durable: number;
}

export type ToProjections =
  | { readonly t: "durable"; readonly offset: number }
  | { readonly t: "query"; readonly id: number; readonly sql: string; readonly params: QueryParams; readonly format: string }
  | { readonly t: "close" };

export type FromProjections =
  | { readonly t: "ready"; readonly query: boolean }
  | { readonly t: "failed"; readonly message: string }
  | { readonly t: "status"; readonly status: SinkStatus[]; readonly head: number }
  | { readonly t: "answer"; readonly id: number; readonly text?: string; readonly error?: string }
  | { readonly t: "closed" };

/** How often at most the worker hears the durable offset: the rows are written every 500 ms anyway. */
export const DURABLE_EVERY_MS = 50;

export async function startProjectionsInWorker(log: SegmentLog, configDir: string, dataDir: string): Promise<RunningProjections> {
  const data: ProjectionsWorkerData = { configDir, dataDir, logDir: log.dir, durable: log.durableOffset };
  const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
  let latest: { status: SinkStatus[]; head: number } = { status: [], head: data.durable };
  const answers = new Map<number, { resolve: (text: string) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let closed: (() => void) | undefined;

  // The durable offset, at most every DURABLE_EVERY_MS: one message for many group commits.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tell = () => { timer = undefined; worker.postMessage({ t: "durable", offset: log.durableOffset } satisfies ToProjections); };
  const stopListening = log.onDurable(() => { timer ??= setTimeout(tell, DURABLE_EVERY_MS); });

  const ready = await new Promise<boolean>((resolve, reject) => {
    worker.on("message", (m: FromProjections) => {
      if (m.t === "ready") resolve(m.query);
      else if (m.t === "failed") reject(new Error(m.message));
      else if (m.t === "status") latest = m;
      else if (m.t === "answer") {
        const a = answers.get(m.id);
        answers.delete(m.id);
        if (m.error !== undefined) a?.reject(new Error(m.error)); else a?.resolve(m.text ?? "");
      } else if (m.t === "closed") closed?.();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      reject(new Error(`projections worker exited (${code})`));
      for (const a of answers.values()) a.reject(new Error("projections worker exited"));
      answers.clear();
      closed?.();
    });
  }).catch(async (e: Error) => {
    stopListening();
    clearTimeout(timer);
    await worker.terminate();
    throw e;
  });
  worker.on("error", (e) => process.stderr.write(`WARNING: projections worker: ${e.message}\n`));

  return {
    ...(ready ? {
      query: (sql: string, params: QueryParams, format: string) => new Promise<string>((resolve, reject) => {
        const id = nextId++;
        answers.set(id, { resolve, reject });
        worker.postMessage({ t: "query", id, sql, params, format } satisfies ToProjections);
      }),
    } : {}),
    // The worker's view may trail the log by a few ms: what it has not seen is lag too.
    status: () => latest.status.map((s) => ({ ...s, lagEvents: s.lagEvents + Math.max(0, log.nextOffset - latest.head) })),
    close: async () => {
      stopListening();
      clearTimeout(timer);
      const done = new Promise<void>((resolve) => { closed = resolve; });
      worker.postMessage({ t: "durable", offset: log.durableOffset } satisfies ToProjections);
      worker.postMessage({ t: "close" } satisfies ToProjections);
      await done;
      await worker.terminate();
    },
  };
}
