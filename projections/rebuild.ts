/**
 * `recall rebuild`: empty the sink's tables, fold the whole log into them, clear the
 * rebuild mark. Killed half way, the next rebuild finds the mark and resumes from the
 * sink's checkpoint instead of starting over: no duplicate, no gap.
 */
import type { EventLog } from "../events/log.js";
import type { CdrSettings, CelSettings } from "./config.js";
import type { UnexpectedEvent } from "./projection.js";
import { foldRange, PROJECTIONS, SinkRunner, type RowCounts } from "./sink-runner.js";
import type { Sink } from "./sinks/sink.js";

/** Records per read during a rebuild, and records folded per write. */
export const REBUILD_READ_BATCH = 256;
export const REBUILD_WRITE_BATCH = 200_000;

export interface RebuildResult {
  readonly sink: string;
  readonly location: string;
  readonly resumed: boolean;
  readonly events: number;
  readonly rows: RowCounts;
  readonly seconds: number;
}

export interface RebuildOptions {
  readonly readBatch?: number;
  readonly writeBatch?: number;
  /** An event a fold could not use, or found odd (with its offset): the fold goes on with every other call. */
  readonly problem?: (e: UnexpectedEvent) => void;
  /** A write failed and is retried after `retryMs`. */
  readonly failure?: (e: Error, retryMs: number) => void;
}

export async function rebuild(
  log: EventLog, sink: Sink, settings: { cdr: CdrSettings; cel: CelSettings }, onProgress?: (done: number, total: number) => void, options: RebuildOptions = {},
): Promise<RebuildResult> {
  const started = process.hrtime.bigint();
  const resumed = await sink.rebuilding();
  if (!resumed) {
    await sink.reset(PROJECTIONS);
    await sink.setRebuilding(true);
  }
  const to = log.nextOffset;
  const runner = new SinkRunner(sink, settings, {
    progress: (_s, through) => onProgress?.(through + 1, to),
    problem: (_s, e) => options.problem?.(e),
    failure: (_s, e, ms) => options.failure?.(e, ms),
  }, { batchEvents: Infinity, encode: true });
  const from = await runner.open();
  const first = runner.through + 1;
  if (from < to) await foldRange(log, runner, from, to, options.readBatch ?? REBUILD_READ_BATCH, options.writeBatch ?? REBUILD_WRITE_BATCH);
  await sink.setRebuilding(false);
  onProgress?.(to, to);
  return {
    sink: sink.name, location: sink.location, resumed, events: to - first,
    rows: { cdr: await sink.count("cdr"), cel: await sink.count("cel"), queue_log: await sink.count("queue_log") },
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
