/**
 * The live projections' own thread (in-worker.ts starts it inside `recall start`): it
 * folds the log into the sinks off the PBX's event loop. It reads the log read-only, as
 * far as the writer on the main thread says it is durable, so it stores exactly what the
 * projections in the main thread would have. chDB stays in the main thread (a chDB
 * session in a worker crashes the process when the worker ends): the chDB sink's
 * statements and Native blocks cross to it (RemoteEngine), its folding and encoding
 * happen here.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SegmentLog } from "../events/embedded/segment-log.js";
import { startProjections, type RunningProjections } from "./runner.js";
import { SqlSink, type SqlEngine } from "./sinks/sql.js";
import { dialectOf } from "./sinks/schema.js";
import type { EngineOp, FromProjections, ProjectionsWorkerData, ToProjections } from "./in-worker.js";

const { configDir, dataDir, logDir, durable, chdb } = workerData as ProjectionsWorkerData;
const port = parentPort!;
const post = (m: FromProjections, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const say = (line: string) => process.stderr.write(`${line}\n`);

/** The main thread's chDB session, one message per statement. */
class RemoteEngine implements SqlEngine {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  answer(id: number, value: unknown, error: string | undefined): void {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    if (error !== undefined) w?.reject(new Error(error)); else w?.resolve(value);
  }

  private call(op: EngineOp, args: unknown[], transfer: ArrayBuffer[] = []): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      post({ t: "engine", id, op, args }, transfer);
    });
  }

  async exec(sql: string): Promise<void> { await this.call("exec", [sql]); }
  async select<T>(sql: string): Promise<T[]> { return (await this.call("select", [sql])) as T[]; }
  async insertTsv(table: string, columns: readonly string[], tsv: string): Promise<void> { await this.call("insertTsv", [table, columns, tsv]); }
  async insertNative(table: string, columns: readonly string[], block: Buffer): Promise<void> {
    const bytes = block.buffer.slice(block.byteOffset, block.byteOffset + block.byteLength) as ArrayBuffer; // its own, to hand over
    await this.call("insertNative", [table, columns, bytes], [bytes]);
  }
  async deleteWhere(table: string, where: string): Promise<void> { await this.call("deleteWhere", [table, where]); }
  async close(): Promise<void> { /* the session is the main thread's */ }
}

const engine = new RemoteEngine();
let log: SegmentLog | undefined, running: RunningProjections | undefined;
let opened = false;
/** The durable offset last heard; taken in once the view is open. */
let heard = durable;
const advance = () => {
  try { log!.advance(heard); } catch (e) { say(`WARNING: projections: ${(e as Error).message}`); }
};
port.on("message", (m: ToProjections) => {
  if (m.t === "engineAnswer") engine.answer(m.id, m.value, m.error);
  else if (m.t === "durable") {
    heard = Math.max(heard, m.offset);
    if (opened) advance();
  } else if (m.t === "close" && opened) { // main closes only a worker that said it was ready
    clearInterval(statusTimer);
    void running!.close().catch((e: Error) => say(`WARNING: projections: ${e.message}`))
      .then(() => log!.close())
      .then(() => { post(status()); post({ t: "closed" }); port.close(); });
  }
});
const status = (): FromProjections => ({ t: "status", status: running!.status(), head: log!.nextOffset });
let statusTimer: ReturnType<typeof setInterval> | undefined;

try {
  // Not checked against the catalogue as it is read: this process wrote these records (the
  // runner in the main thread took them as they were, too), and the check cost more than the fold.
  log = await SegmentLog.open(logDir, { readOnly: true, until: durable, validate: false, notice: (m) => say(`NOTICE: ${m}`) });
  running = await startProjections(log, configDir, dataDir, {
    serveQueries: false,
    ...(chdb ? { openChdb: async () => new SqlSink("chdb", chdb.dir, engine, dialectOf(chdb.version)) } : {}),
  });
  opened = true;
  advance();
  // Often enough for `recall show projections` and the wallboard; each is a few hundred bytes.
  statusTimer = setInterval(() => post(status()), 250);
  post({ t: "ready" });
  post(status());
} catch (e) {
  await log?.close();
  post({ t: "failed", message: (e as Error).message });
  port.close();
}
