/**
 * `DATA/queue_log`: the queue_log projection as the file Asterisk writes, one line
 * per row (`epoch|callid|queue|agent|EVENT|data...`), so queue-report tools read it
 * unchanged. It holds only the queue_log projection.
 *
 * The sink contract (sink.ts) with a file: a write appends and fsyncs the lines,
 * then replaces the checkpoint file (offset, resume, and the file's length then)
 * atomically; `open` cuts the file back to that length, so a write a crash cut short
 * leaves no line behind and the runner writes it again. The live writes (lines,
 * fsync, checkpoint) are asynchronous: an fsync on a busy disk takes 100 ms and more,
 * and the event loop (SIP, ARI, AMI) must not wait for it.
 */
import { existsSync, mkdirSync, readFileSync, statSync, truncateSync } from "node:fs";
import { open as openFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ProjectionName } from "../projection.js";
import type { RowOrigin } from "../rows.js";
import { NO_CHECKPOINT, noCheckpoint, SinkError, type Checkpoint, type EncodedRows, type Sink, type SinkWrite } from "../sinks/sink.js";
import { queueLogLine, type QueueLogRow } from "./fold.js";
import { loadState, saveState, saveStateAsync } from "../sinks/state-file.js";

interface State {
  checkpoint?: { offset: number; time: number | null; resume: number; bytes: number };
  rebuilding: boolean;
}

const lines = (rows: readonly RowOrigin[]) => {
  let text = "";
  for (const r of rows) text += `${queueLogLine(r as QueueLogRow)}\n`;
  return text;
};

class Lines implements EncodedRows {
  count = 0;
  private readonly parts: string[] = [];
  add(rows: readonly RowOrigin[]): void {
    if (!rows.length) return;
    this.parts.push(lines(rows));
    this.count += rows.length;
  }
  bytes(): Buffer { return Buffer.from(this.parts.join("")); }
}

export class QueueLogFileSink implements Sink {
  readonly name = "queue_log";
  readonly location: string;
  private readonly statePath: string;
  private state: State = { rebuilding: false };

  constructor(dataDir: string) {
    this.location = join(dataDir, "queue_log");
    this.statePath = join(dataDir, "queue_log.checkpoint.json");
  }

  private load(): void {
    this.state = loadState<State>(this.statePath, () => ({ rebuilding: false }));
  }

  private save(): void { saveState(this.statePath, this.state); }

  async open(projections: readonly ProjectionName[]): Promise<Map<ProjectionName, Checkpoint>> {
    const out = new Map<ProjectionName, Checkpoint>();
    if (!projections.includes("queue_log")) return out;
    mkdirSync(dirname(this.location), { recursive: true });
    this.load();
    const cp = this.state.checkpoint;
    const bytes = cp?.bytes ?? 0;
    if (existsSync(this.location) && statSync(this.location).size > bytes) truncateSync(this.location, bytes);
    out.set("queue_log", cp ? { offset: cp.offset, time: cp.time, resume: cp.resume } : noCheckpoint);
    return out;
  }

  async write(w: SinkWrite): Promise<void> {
    const rows = w.rows.get("queue_log");
    if (!rows) return;
    try {
      let bytes = this.state.checkpoint?.bytes ?? 0;
      const data = rows instanceof Lines ? rows.bytes() : Buffer.from(lines(rows as readonly RowOrigin[]));
      if (data.length) {
        const fh = await openFile(this.location, "a");
        try { await fh.writeFile(data); await fh.sync(); } finally { await fh.close(); }
        bytes += data.length;
      }
      this.state.checkpoint = { offset: w.through, time: w.throughTime, resume: w.resume.get("queue_log") ?? w.through + 1, bytes };
      await saveStateAsync(this.statePath, this.state);
    } catch (e) {
      throw new SinkError(this.name, (e as Error).message, { cause: e });
    }
  }

  encoder(): EncodedRows { return new Lines(); }

  async reset(projections: readonly ProjectionName[]): Promise<void> {
    if (!projections.includes("queue_log")) return;
    this.load();
    if (existsSync(this.location)) truncateSync(this.location, 0);
    this.state.checkpoint = { offset: NO_CHECKPOINT, time: null, resume: 0, bytes: 0 };
    this.save();
  }

  async rebuilding(): Promise<boolean> { this.load(); return this.state.rebuilding; }
  async setRebuilding(on: boolean): Promise<void> { this.load(); this.state.rebuilding = on; this.save(); }

  async count(projection: ProjectionName): Promise<number> {
    if (projection !== "queue_log" || !existsSync(this.location)) return 0;
    const text = readFileSync(this.location, "utf8");
    return text ? text.split("\n").length - 1 : 0;
  }

  async close(): Promise<void> { /* the file is closed after every write */ }
}
