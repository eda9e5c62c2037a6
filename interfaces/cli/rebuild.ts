/**
 * `recall rebuild --data DIR [--config DIR] [--sink chdb|clickhouse|csv|queue_log]`: fold the
 * whole event log into one sink again, with a progress bar on a terminal (a line per
 * stored write otherwise) and a final count. Restartable: a rebuild that was killed
 * resumes where its sink stopped. Refused while a Recall runs on the data directory.
 */
import { join } from "node:path";
import { logHolder, SegmentLog } from "../../events/embedded/segment-log.js";
import { loadProjectionSettings } from "../../projections/config.js";
import { openSinks } from "../../projections/runner.js";
import { rebuild } from "../../projections/rebuild.js";

export interface RebuildOptions { readonly dataDir: string; readonly configDir: string; readonly sink: string }

function bar(done: number, total: number, startedAt: number): string {
  const width = 30;
  const f = total ? done / total : 1;
  const full = Math.round(f * width);
  const secs = (Date.now() - startedAt) / 1000;
  const rate = secs > 0 ? Math.round(done / secs) : 0;
  return `\r[${"#".repeat(full)}${"-".repeat(width - full)}] ${(f * 100).toFixed(1).padStart(5)}%  ${done}/${total} events  ${rate} events/s`;
}

export async function rebuildCommand(options: RebuildOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (!["chdb", "clickhouse", "csv", "queue_log"].includes(options.sink)) { err(`recall rebuild: unknown sink '${options.sink}' (chdb, clickhouse, csv, queue_log)\n`); return 2; }
  // A running Recall's live projections write to the same sinks: a rebuild beside them would drop the tables under
  // their writes and race them on the checkpoints (chDB would refuse anyway: it is locked to that process).
  const holder = logHolder(join(options.dataDir, "log"));
  if (holder !== undefined) {
    err(`recall rebuild: Recall (process ${holder}) is running on ${options.dataDir} and its projections are live; stop it first, or rebuild from a copy of ${join(options.dataDir, "log")}\n`);
    return 1;
  }
  const settings = loadProjectionSettings(options.configDir);
  // A rebuild trusts the frames' checksums and skips the schema checks of every body (1.5x faster).
  const log = await SegmentLog.open(join(options.dataDir, "log"), { readOnly: true, validate: false, notice: (m) => err(`${m}\n`) });
  try {
    const [sink] = await openSinks([options.sink], options.dataDir, settings);
    try {
      const tty = process.stderr.isTTY;
      const startedAt = Date.now();
      let lastDraw = 0;
      const problems = new Set<number>(); // offsets: both folds may report the same record
      const result = await rebuild(log, sink, settings, (done, total) => {
        // Without a terminal (a log file, a supervisor), one line per stored write: how far a killed rebuild got.
        if (!tty) { if (done < total) err(`rebuild: ${done}/${total} events stored\n`); return; }
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        err(bar(done, total, startedAt));
      }, {
        problem: (e) => { problems.add(e.offset); err(`${tty ? "\n" : ""}WARNING: rebuild: ${e.message}\n`); },
        failure: (e, ms) => err(`${tty ? "\n" : ""}WARNING: rebuild: ${e.message}; retrying in ${ms} ms\n`),
      });
      if (tty) err("\n");
      out(`${result.resumed ? "Resumed rebuild" : "Rebuilt"} ${result.sink} (${result.location}): ${result.events} events in ${result.seconds.toFixed(2)} s` +
        ` (${Math.round(result.events / Math.max(result.seconds, 1e-9))} events/s); cdr ${result.rows.cdr} rows, cel ${result.rows.cel} rows, queue_log ${result.rows.queue_log} rows` +
        `${problems.size ? `; ${problems.size} unexpected event${problems.size === 1 ? "" : "s"} reported above, the other calls folded` : ""}\n`);
      return 0;
    } finally {
      await sink.close();
    }
  } finally {
    await log.close();
  }
}
