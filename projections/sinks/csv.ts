/**
 * CSV files for tools that read files: DATA/cdr-csv/Master.csv in cdr_csv's column
 * order (with its newcdrcolumns: peeraccount, linkedid, sequence) and
 * DATA/cel-custom/Master.csv in cel_custom's sample order. Times are UTC.
 *
 * Idempotence: DATA/cdr-csv/checkpoint.json holds each projection's checkpoint and
 * the byte length of its file at that checkpoint. Rows are appended and fsynced
 * first, the checkpoint replaced atomically (write + rename) last; `open` truncates
 * each file back to its recorded length, dropping rows a crash left past it.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ProjectionName } from "../projection.js";
import { NO_CHECKPOINT, noCheckpoint, SinkError, type Checkpoint, type EncodedRows, type Sink, type SinkWrite } from "./sink.js";
import type { CdrRow, CelRow, RowOrigin } from "../rows.js";
import { ByteBuilder } from "./bytes.js";
import { loadState, saveState } from "./state-file.js";

interface State {
  checkpoints: Partial<Record<ProjectionName, Checkpoint & { bytes: number }>>;
  rebuilding: boolean;
}

/** CSV field quoting as Asterisk's cdr_csv: every string in double quotes, quotes doubled. */
const s = (v: string) => `"${v.replace(/"/g, '""')}"`;

/** "YYYY-MM-DD HH:MM:SS" in UTC, "" for none (cdr_csv's date format). */
function date(us: number | null): string {
  if (us === null) return "";
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

export function cdrCsvLine(r: CdrRow): string {
  return [
    s(r.accountcode), s(r.src), s(r.dst), s(r.dcontext), s(r.clid), s(r.channel), s(r.dstchannel), s(r.lastapp), s(r.lastdata),
    s(date(r.start)), s(date(r.answer)), s(date(r.end)), r.duration, r.billsec, s(r.disposition), s(r.amaflags), s(r.uniqueid), s(r.userfield),
    s(r.peeraccount), s(r.linkedid), r.sequence,
  ].join(",");
}

/** A small strftime for cel.conf dateformat (UTC): %Y %m %d %H %M %S %F %T %s %z %% and %q / %1q..%6q for fractions. */
export function strftime(format: string, us: number): string {
  const d = new Date(Math.floor(us / 1000));
  const p2 = (n: number) => String(n).padStart(2, "0");
  const frac = String(us % 1e6).padStart(6, "0");
  return format.replace(/%(\d?)([YmdHMSFTszq%])/g, (_, n: string, c: string) => {
    switch (c) {
      case "Y": return String(d.getUTCFullYear());
      case "m": return p2(d.getUTCMonth() + 1);
      case "d": return p2(d.getUTCDate());
      case "H": return p2(d.getUTCHours());
      case "M": return p2(d.getUTCMinutes());
      case "S": return p2(d.getUTCSeconds());
      case "F": return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`;
      case "T": return `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
      case "s": return String(Math.floor(us / 1e6));
      case "z": return "+0000";
      case "q": return frac.slice(0, n ? Number(n) : 3);
      default: return "%";
    }
  });
}

/** Asterisk's CEL time without dateformat: seconds.microseconds. */
export function celTime(us: number, dateformat: string): string {
  if (dateformat) return strftime(dateformat, us);
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}`;
}

export function celCsvLine(r: CelRow, dateformat: string): string {
  return [
    s(r.eventtype), s(celTime(r.eventtime, dateformat)), s(r.cid_name), s(r.cid_num), s(r.cid_ani), s(r.cid_rdnis), s(r.cid_dnid),
    s(r.exten), s(r.context), s(r.channame), s(r.appname), s(r.appdata), s(r.amaflags), s(r.accountcode), s(r.peeraccount),
    s(r.uniqueid), s(r.linkedid), s(r.peer), s(r.userfield), s(r.userdeftype), s(r.extra),
  ].join(",");
}

/** Rows as the CSV bytes to append. */
class CsvRows implements EncodedRows {
  count = 0;
  private readonly text = new ByteBuilder();
  constructor(private readonly lines: (rows: readonly RowOrigin[]) => string) {}
  add(rows: readonly RowOrigin[]): void {
    if (!rows.length) return;
    this.text.append(this.lines(rows));
    this.count += rows.length;
  }
  bytes(): Buffer { return this.text.bytes(); }
}

export class CsvSink implements Sink {
  readonly name = "csv";
  readonly location: string;
  private readonly files: Record<"cdr" | "cel", string>;
  private readonly statePath: string;
  private state: State = { checkpoints: {}, rebuilding: false };

  constructor(dataDir: string, private readonly dateformat = "") {
    this.files = { cdr: join(dataDir, "cdr-csv", "Master.csv"), cel: join(dataDir, "cel-custom", "Master.csv") };
    this.statePath = join(dataDir, "cdr-csv", "checkpoint.json");
    this.location = `${this.files.cdr}, ${this.files.cel}`;
  }

  private load(): void {
    this.state = loadState<State>(this.statePath, () => ({ checkpoints: {}, rebuilding: false }));
  }

  private save(): void { saveState(this.statePath, this.state); }

  async open(projections: readonly ProjectionName[]): Promise<Map<ProjectionName, Checkpoint>> {
    for (const f of Object.values(this.files)) mkdirSync(dirname(f), { recursive: true });
    this.load();
    const out = new Map<ProjectionName, Checkpoint>();
    for (const p of projections) {
      if (p !== "cdr" && p !== "cel") continue;
      const cp = this.state.checkpoints[p];
      const bytes = cp?.bytes ?? 0;
      const file = this.files[p];
      if (existsSync(file) && statSync(file).size > bytes) truncateSync(file, bytes); // rows past the checkpoint: a cut-short write
      out.set(p, cp ? { offset: cp.offset, time: cp.time, resume: cp.resume } : noCheckpoint);
    }
    return out;
  }

  async write(w: SinkWrite): Promise<void> {
    try {
      for (const [p, rows] of w.rows) {
        if (p !== "cdr" && p !== "cel") continue;
        const file = this.files[p];
        let bytes = this.state.checkpoints[p]?.bytes ?? 0;
        const data = rows instanceof CsvRows ? rows.bytes() : Buffer.from(this.csv(p, rows as readonly RowOrigin[]));
        if (data.length) {
          const fd = openSync(file, "a");
          try { writeSync(fd, data); fsyncSync(fd); } finally { closeSync(fd); }
          bytes += data.length;
        }
        this.state.checkpoints[p] = { offset: w.through, time: w.throughTime, resume: w.resume.get(p) ?? w.through + 1, bytes };
      }
      this.save();
    } catch (e) {
      throw new SinkError(this.name, (e as Error).message, { cause: e });
    }
  }

  /** Rows as CSV lines, newline-terminated ("" for none). */
  private csv(p: "cdr" | "cel", rows: readonly RowOrigin[]): string {
    let text = "";
    for (const r of rows) text += `${p === "cdr" ? cdrCsvLine(r as CdrRow) : celCsvLine(r as CelRow, this.dateformat)}\n`;
    return text;
  }

  encoder(projection: ProjectionName): EncodedRows {
    const p = projection === "cdr" ? "cdr" : "cel";
    return new CsvRows((rows) => this.csv(p, rows));
  }

  async reset(projections: readonly ProjectionName[]): Promise<void> {
    this.load();
    for (const p of projections) {
      if (p !== "cdr" && p !== "cel") continue;
      if (existsSync(this.files[p])) truncateSync(this.files[p], 0);
      this.state.checkpoints[p] = { offset: NO_CHECKPOINT, time: null, resume: 0, bytes: 0 };
    }
    this.save();
  }

  async rebuilding(): Promise<boolean> { this.load(); return this.state.rebuilding; }
  async setRebuilding(on: boolean): Promise<void> { this.load(); this.state.rebuilding = on; this.save(); }

  async count(projection: ProjectionName): Promise<number> {
    if (projection !== "cdr" && projection !== "cel") return 0;
    const file = this.files[projection];
    if (!existsSync(file)) return 0;
    // Rows hold no raw newlines except inside quoted fields, which Recall never writes unescaped... count record starts.
    const text = readFileSync(file, "utf8");
    return text ? text.split(/\n(?=")/).length : 0;
  }

  async close(): Promise<void> { /* files are closed after every write */ }
}
