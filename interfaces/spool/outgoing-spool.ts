/**
 * The outgoing spool (Asterisk's pbx_spool): call files dropped into `DATA/spool/outgoing`
 * are called through the call core's Originate.
 *
 * Guarantees:
 * - A file is read only once it is due (its mtime is not in the future: a future mtime
 *   schedules it) and has stayed the same size and mtime for `settleMs`, so a file
 *   written in place is not taken half-written. Write elsewhere and `mv` in all the same,
 *   as Asterisk asks. Names starting with `.` are never taken (editors' and tools'
 *   temporary files).
 * - At most `maxCalls` (200) files are being called at once; a due file waits for a
 *   free slot, looking again each second.
 * - A file is called at most 1 + MaxRetries times (retries.ts); each attempt and each
 *   retry is written into the file as Asterisk writes it, so a restart goes on where it
 *   stopped and counts an attempt cut short by the stop.
 * - A file is never lost and never loops: answered, it is archived to
 *   `outgoing_done` with `Status: Completed` (Archive: yes) or deleted; out of tries,
 *   the same with `Status: Expired`; a file that cannot give a call (call-file.ts) is
 *   moved to `outgoing_failed` with `Status: Failed` and a `Reason:` line, whatever its
 *   Archive says. A file that cannot even be moved is left alone until it changes.
 * - What the spool decides about a call is in the event log: the originated channel is
 *   created with `CALLFILE` (the file's name) and `CALLFILE_ATTEMPT`, and when the call
 *   is settled (answered, or failed before its hang-up) it gets `CALLFILE_STATUS`
 *   (Completed, Retry or Expired) and, for a retry, `CALLFILE_RETRY_AT` (epoch seconds),
 *   as inputs of its channel actor. A failure before any channel exists (an unknown
 *   endpoint) has only the messages log.
 *
 * File handling is I/O outside the actors, synchronous (call files are a few hundred
 * bytes; at most MAX_FILE_BYTES are read). Every timer runs on the injected clock, so
 * scheduling and retries are tested on a virtual one. `fs.watch` reports new files at
 * once; a scan every `scanIntervalMs` (5 s with it, 1 s without) catches what it misses.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, utimesSync, watch, writeSync, type FSWatcher } from "node:fs";
import { join } from "node:path";
import type { Clock, Timer } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { OriginateReason, type OriginateOutcome, type OriginateRequest } from "../../calls/originate.js";
import type { Channel } from "../../calls/channel.js";
import { parseCallFile, type CallFile } from "./call-file.js";
import { decideAfter, decideDue, formatAppended, type AfterAttempt } from "./retries.js";

export const MAX_FILE_BYTES = 64 * 1024;

export interface SpoolOptions {
  /** The spool directory: `outgoing`, `outgoing_done` and `outgoing_failed` are made under it. */
  readonly dir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly originate: (request: OriginateRequest) => Promise<OriginateOutcome>;
  /** Written in StartRetry/EndRetry lines (Asterisk's ast_mainpid). */
  readonly pid?: number;
  readonly settleMs?: number;
  readonly scanIntervalMs?: number;
  /** Watch the directory (default true); tests on a virtual clock drive `scan()` themselves. */
  readonly watch?: boolean;
  /** At most this many files are being called at once (default 200); the others wait their turn. */
  readonly maxCalls?: number;
}

type Entry =
  | { readonly state: "waiting"; readonly mtimeMs: number; readonly timer: Timer }
  | { readonly state: "settling"; readonly signature: string; readonly since: number; readonly timer: Timer }
  | { readonly state: "calling" }
  /** Could not be handled (not a regular file, or could not be moved aside): looked at again when it changes. */
  | { readonly state: "ignored"; readonly signature: string };

const REASON_TEXT: Readonly<Record<number, string>> = {
  [OriginateReason.FAILURE]: "Call Failure (not BUSY, and not NO_ANSWER, maybe Circuit busy or down?)",
  [OriginateReason.NO_SUCH_EXTENSION]: "No such extension",
  [OriginateReason.NO_ANSWER]: "Remote end Ringing (no answer)",
  [OriginateReason.BUSY]: "Remote end is Busy",
  [OriginateReason.CONGESTION]: "Congestion (circuits busy)",
};

const SOURCE = "pbx_spool.c";

/**
 * Append to a file that must still exist (one removed during its call is not made
 * again), on a line of its own even when the file does not end with a newline.
 */
function appendExisting(path: string, text: string): void {
  const fd = openSync(path, "r+");
  try {
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    const apart = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a && !text.startsWith("\n");
    writeSync(fd, apart ? `\n${text}` : text, size);
  } finally { closeSync(fd); }
}

export class OutgoingSpool {
  readonly outgoing: string;
  readonly done: string;
  readonly failed: string;
  private readonly entries = new Map<string, Entry>();
  private readonly settleMs: number;
  private scanIntervalMs: number;
  private readonly pid: number;
  private readonly maxCalls: number;
  private watcher: FSWatcher | undefined;
  private scanTimer: Timer | undefined;
  private stopped = false;
  /** Calls in progress, for tests and a clean stop. */
  private readonly calls = new Set<Promise<void>>();

  constructor(private readonly o: SpoolOptions) {
    this.outgoing = join(o.dir, "outgoing");
    this.done = join(o.dir, "outgoing_done");
    this.failed = join(o.dir, "outgoing_failed");
    this.settleMs = o.settleMs ?? 200;
    // Asterisk polls each second without inotify; with fs.watch the scan is only a safety net.
    this.scanIntervalMs = o.scanIntervalMs ?? ((o.watch ?? true) ? 5000 : 1000);
    this.pid = o.pid ?? process.pid;
    this.maxCalls = o.maxCalls ?? 200;
  }

  /** Start watching; false (and a WARNING, as Asterisk words it) when the directory cannot be made. */
  start(): boolean {
    try { mkdirSync(this.outgoing, { recursive: true }); } catch (e) {
      this.o.logger.log("WARNING", SOURCE, `Unable to create queue directory ${this.outgoing} -- outgoing spool disabled (${(e as Error).message})`);
      return false;
    }
    if (this.o.watch ?? true) {
      try {
        this.watcher = watch(this.outgoing, (_event, name) => { if (name) this.observe(String(name)); });
        this.watcher.on("error", (e) => {
          this.pollOnly();
          this.o.logger.log("WARNING", SOURCE, `Watching ${this.outgoing} failed (${e.message}); scanning it every ${this.scanIntervalMs} ms`);
        });
      } catch (e) {
        this.pollOnly();
        this.o.logger.log("WARNING", SOURCE, `Cannot watch ${this.outgoing} (${(e as Error).message}); scanning it every ${this.scanIntervalMs} ms`);
      }
    }
    this.scan();
    this.armScan();
    return true;
  }

  /** Without a working watch the scan is all there is: every second, as Asterisk polls. */
  private pollOnly(): void {
    this.scanIntervalMs = this.o.scanIntervalMs ?? 1000;
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.scanTimer?.cancel();
    for (const e of this.entries.values()) if (e.state === "waiting" || e.state === "settling") e.timer.cancel();
  }

  /** Resolves once every call started so far is settled and its file handled. */
  async idle(): Promise<void> {
    while (this.calls.size) await Promise.all([...this.calls]);
  }

  /** Files waiting for their time: name → mtime (ms). */
  scheduled(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, e] of this.entries) if (e.state === "waiting") out.set(name, e.mtimeMs);
    return out;
  }

  private armScan(): void {
    if (this.stopped) return;
    this.scanTimer = this.o.clock.schedule(this.o.clock.now() + this.scanIntervalMs * 1000, () => { this.scan(); this.armScan(); });
  }

  /** Look at every file of the spool; forget the ones that are gone. */
  scan(): void {
    let names: string[];
    try { names = readdirSync(this.outgoing); } catch (e) {
      this.o.logger.log("WARNING", SOURCE, `Cannot read ${this.outgoing}: ${(e as Error).message}`);
      return;
    }
    const present = new Set(names);
    for (const [name, e] of this.entries) if (!present.has(name) && e.state !== "calling") this.forget(name);
    for (const name of names) this.observe(name);
  }

  private forget(name: string): void {
    const e = this.entries.get(name);
    if (e && (e.state === "waiting" || e.state === "settling")) e.timer.cancel();
    this.entries.delete(name);
  }

  private nowMs(): number { return this.o.clock.now() / 1000; }
  /** Whole seconds, as the file's lines and mtimes carry them: rounded up, so RetryTime is a minimum. */
  private nowSec(): number { return Math.ceil(this.o.clock.now() / 1e6); }

  /** A file appeared or changed: wait for its time, let it settle, or take it. */
  observe(name: string): void {
    if (this.stopped || name.startsWith(".") || name.includes("/")) return;
    const current = this.entries.get(name);
    if (current?.state === "calling") return;
    const path = join(this.outgoing, name);
    let st;
    try { st = statSync(path); } catch { this.forget(name); return; }
    const signature = `${st.size}:${st.mtimeMs}:${st.isFile() ? "f" : "o"}`;
    if (current?.state === "ignored" && current.signature === signature) return;
    if (!st.isFile()) { this.forget(name); this.entries.set(name, { state: "ignored", signature }); return; }
    const now = this.nowMs();
    if (st.mtimeMs > now) {
      if (current?.state === "waiting" && current.mtimeMs === st.mtimeMs) return;
      this.forget(name);
      const timer = this.o.clock.schedule(Math.ceil(st.mtimeMs * 1000), () => { this.entries.delete(name); this.observe(name); });
      this.entries.set(name, { state: "waiting", mtimeMs: st.mtimeMs, timer });
      return;
    }
    const unchanged = current?.state === "settling" && current.signature === signature;
    if (unchanged && now - current.since >= this.settleMs) {
      if (this.calls.size < this.maxCalls) { this.forget(name); this.take(name); return; }
      // Every call slot is taken: look again in a second.
      current.timer.cancel();
      const timer = this.o.clock.schedule(this.o.clock.now() + 1_000_000, () => this.observe(name));
      this.entries.set(name, { ...current, timer });
      return;
    }
    // Unchanged since `since`, or changed now: look again once it has settled (a timer may fire a little early).
    const since = unchanged ? current.since : now;
    this.forget(name);
    const timer = this.o.clock.schedule(Math.ceil((since + this.settleMs) * 1000), () => this.observe(name));
    this.entries.set(name, { state: "settling", signature, since, timer });
  }

  /** Read a due, settled file and call it, or finish with it. */
  private take(name: string): void {
    const path = join(this.outgoing, name);
    let text: string;
    try {
      const size = statSync(path).size;
      if (size > MAX_FILE_BYTES) { this.moveAside(name, `too large (${size} bytes, at most ${MAX_FILE_BYTES})`); return; }
      text = readFileSync(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") this.moveAside(name, `cannot be read: ${(e as Error).message}`);
      return;
    }
    const parsed = parseCallFile(text);
    for (const w of parsed.warnings) this.o.logger.log("WARNING", SOURCE, `${path} line ${w.line}: ${w.reason}`);
    if (!parsed.ok) { this.moveAside(name, parsed.reason); return; }
    const file = parsed.file;
    const due = decideDue(file, this.nowSec());
    if (due.kind === "expired") {
      this.o.logger.log("NOTICE", SOURCE, `Queued call to ${file.channel} expired without completion after ${due.attempts} attempt${due.attempts === 1 ? "" : "s"}`);
      this.finish(name, file, "Expired", undefined);
      return;
    }
    try {
      appendExisting(path, due.append.map((line) => formatAppended(line, this.pid)).join(""));
      utimesSync(path, this.nowSec(), due.mtime);
    } catch (e) {
      this.o.logger.log("WARNING", SOURCE, `Cannot update ${path} (${(e as Error).message}); not calling it`);
      this.ignoreUntilChanged(name);
      return;
    }
    this.entries.set(name, { state: "calling" });
    const call = this.call(name, file, due.attempt, due.mtime)
      .catch((e: Error) => {
        this.o.logger.log("ERROR", SOURCE, `Calling ${path} failed: ${e.message}`);
        this.ignoreUntilChanged(name);
      })
      .finally(() => this.calls.delete(call));
    this.calls.add(call);
  }

  private async call(name: string, file: CallFile, attempt: number, ownMtime: number): Promise<void> {
    const total = file.maxRetries + 1;
    const where = file.application ? `application ${file.application}(${file.data ?? ""})` : `${file.exten}@${file.context}:${file.priority}`;
    this.o.logger.log("VERBOSE", SOURCE, `Attempting call on ${file.channel} for ${where} (attempt ${attempt} of ${total})`);
    let decision: AfterAttempt | undefined;
    const settled = (channel: Channel, reason: OriginateReason) => {
      decision = decideAfter(file, attempt, reason === OriginateReason.ANSWERED, this.nowSec());
      const vars: Record<string, string> = { CALLFILE_STATUS: decision.kind === "completed" ? "Completed" : decision.kind === "expired" ? "Expired" : "Retry" };
      if (decision.kind === "retry") vars.CALLFILE_RETRY_AT = String(decision.at);
      channel.change({ type: "setvars", vars }, "spool");
    };
    const outcome = await this.o.originate({
      channel: file.channel, timeoutMs: file.waitTime * 1000,
      ...(file.application ? { application: file.application, data: file.data ?? "" } : { context: file.context!, exten: file.exten!, priority: file.priority }),
      ...(file.callerId ? { callerId: file.callerId } : {}),
      ...(file.account ? { account: file.account } : {}),
      ...(file.codecs ? { codecs: file.codecs } : {}),
      variables: { ...file.variables, CALLFILE: name, CALLFILE_ATTEMPT: String(attempt) },
      settled,
    });
    decision ??= decideAfter(file, attempt, outcome.reason === OriginateReason.ANSWERED, this.nowSec());
    this.entries.delete(name);
    if (decision.kind === "completed") {
      this.o.logger.log("NOTICE", SOURCE, `Call completed to ${file.channel}`);
      this.finish(name, file, "Completed", ownMtime);
      return;
    }
    this.o.logger.log("NOTICE", SOURCE, `Call failed to go through, reason (${outcome.reason}) ${REASON_TEXT[outcome.reason] ?? "Unknown Reason!!"}${outcome.problem ? `: ${outcome.problem}` : ""}`);
    if (decision.kind === "expired") {
      this.o.logger.log("NOTICE", SOURCE, `Queued call to ${file.channel} expired without completion after ${attempt} attempt${attempt === 1 ? "" : "s"}`);
      this.finish(name, file, "Expired", ownMtime);
      return;
    }
    const path = join(this.outgoing, name);
    try {
      appendExisting(path, formatAppended(decision.append, this.pid));
      utimesSync(path, this.nowSec(), decision.at);
    } catch (e) {
      const gone = (e as NodeJS.ErrnoException).code === "ENOENT";
      this.o.logger.log(gone ? "NOTICE" : "WARNING", SOURCE, gone ? `${path} was removed during its call: no retry` : `Cannot update ${path} for its retry: ${(e as Error).message}`);
    }
    this.observe(name);
  }

  /**
   * Done with a file: kept if AlwaysDelete is no and something (the dialplan) moved its
   * mtime into the future past the one the attempt set; else archived with its Status,
   * or deleted.
   */
  private finish(name: string, file: CallFile, status: "Completed" | "Expired", ownMtime: number | undefined): void {
    const path = join(this.outgoing, name);
    try {
      if (!file.alwaysDelete) {
        const mtime = statSync(path).mtimeMs / 1000;
        if (mtime * 1000 > this.nowMs() && (ownMtime === undefined || Math.floor(mtime) !== ownMtime)) {
          this.o.logger.log("VERBOSE", SOURCE, `${path} kept (AlwaysDelete: no, its time was moved on)`);
          this.observe(name);
          return;
        }
      }
      if (!file.archive) { unlinkSync(path); return; }
      mkdirSync(this.done, { recursive: true });
      const archived = join(this.done, name);
      renameSync(path, archived);
      // Appended only once out of the watched directory.
      appendExisting(archived, `Status: ${status}\n`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      this.o.logger.log("WARNING", SOURCE, `Cannot remove ${path}: ${(e as Error).message}`);
      this.ignoreUntilChanged(name);
    }
  }

  /** A file that cannot give a call goes to outgoing_failed with the reason; never called again. */
  private moveAside(name: string, reason: string): void {
    const path = join(this.outgoing, name);
    // An earlier refused file of the same name is kept: this one gets the first free `.N`.
    let target = join(this.failed, name);
    for (let n = 1; existsSync(target) && n < 1000; n++) target = join(this.failed, `${name}.${n}`);
    try {
      mkdirSync(this.failed, { recursive: true });
      renameSync(path, target);
      appendExisting(target, `Status: Failed\nReason: ${reason}\n`);
      this.o.logger.log("WARNING", SOURCE, `Invalid call file ${path}: ${reason}; moved to ${target}`);
    } catch (e) {
      this.o.logger.log("WARNING", SOURCE, `Invalid call file ${path}: ${reason}; it could not be moved aside (${(e as Error).message}) and is left until it changes`);
      this.ignoreUntilChanged(name);
    }
  }

  private ignoreUntilChanged(name: string): void {
    try {
      const st = statSync(join(this.outgoing, name));
      this.entries.set(name, { state: "ignored", signature: `${st.size}:${st.mtimeMs}:${st.isFile() ? "f" : "o"}` });
    } catch { this.entries.delete(name); }
  }
}
