/**
 * The live projections' own thread (in-worker.ts starts it inside `recall start`): it
 * folds the log into the sinks off the PBX's event loop. It reads the log read-only, as
 * far as the writer on the main thread says it is durable, so it stores exactly what the
 * projections in the main thread would have.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SegmentLog } from "../events/embedded/segment-log.js";
import { startProjections, type RunningProjections } from "./runner.js";
import type { FromProjections, ProjectionsWorkerData, ToProjections } from "./in-worker.js";

const { configDir, dataDir, logDir, durable } = workerData as ProjectionsWorkerData;
const port = parentPort!;
const post = (m: FromProjections) => port.postMessage(m);
const say = (line: string) => process.stderr.write(`${line}\n`);

let log: SegmentLog | undefined, running: RunningProjections | undefined;
try {
  // Not checked against the catalogue as it is read: this process wrote these records (the
  // runner in the main thread took them as they were, too), and the check cost more than the fold.
  log = await SegmentLog.open(logDir, { readOnly: true, until: durable, validate: false, notice: (m) => say(`NOTICE: ${m}`) });
  running = await startProjections(log, configDir, dataDir);
} catch (e) {
  await log?.close();
  post({ t: "failed", message: (e as Error).message });
}

if (log && running) {
  const view = log, projections = running;
  const status = (): FromProjections => ({ t: "status", status: projections.status(), head: view.nextOffset });
  // Often enough for `recall show projections` and the wallboard; each is a few hundred bytes.
  const statusTimer = setInterval(() => post(status()), 250);
  port.on("message", (m: ToProjections) => {
    if (m.t === "durable") {
      try { view.advance(m.offset); } catch (e) { say(`WARNING: projections: ${(e as Error).message}`); }
    } else if (m.t === "query") {
      projections.query!(m.sql, m.params, m.format).then(
        (text) => post({ t: "answer", id: m.id, text }),
        (e: Error) => post({ t: "answer", id: m.id, error: e.message }),
      );
    } else if (m.t === "close") {
      clearInterval(statusTimer);
      void projections.close().catch((e: Error) => say(`WARNING: projections: ${e.message}`))
        .then(() => view.close())
        .then(() => { post(status()); post({ t: "closed" }); port.close(); });
    }
  });
  post({ t: "ready", query: projections.query !== undefined });
  post(status());
}
