/**
 * Asterisk-style log lines: `[Nov 25 10:00:00] WARNING[1234] res_pjsip_registrar: message`.
 * Tools that read Asterisk's `messages` log (fail2ban, log shippers) read Recall's too.
 *
 * Contract of AsteriskLogger:
 * - Which line goes where is logger.conf's `[logfiles]`: each channel (the console, or a
 *   file under the data directory, Asterisk's astlogdir) takes the levels it lists.
 *   VERBOSE lines reach the console up to the core verbosity (`core set verbose N`), and a
 *   file listing `verbose` up to it too, or up to N for `verbose(N)`; DEBUG lines need
 *   `debug` listed and the core debug level (`core set debug N`) at or above theirs.
 * - `log()` never waits for a disk: files are written through asynchronous streams, so a
 *   slow or full disk never blocks the event loop.
 * - `rotate()` loses no line and duplicates none: lines logged before it are in the
 *   archived file, lines logged after it in the new one.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { access, rename } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import type { Clock } from "./clock.js";

export type LogLevel = "DEBUG" | "VERBOSE" | "NOTICE" | "WARNING" | "ERROR" | "SECURITY" | "DTMF";

export interface Logger {
  /** `verbosity`: the level of a VERBOSE or DEBUG line (Asterisk's ast_verb(N) / ast_debug(N)); VERBOSE defaults to 3, DEBUG to 1. */
  log(level: LogLevel, source: string, message: string, verbosity?: number): void;
}

export const LOG_LEVELS: readonly LogLevel[] = ["DEBUG", "VERBOSE", "NOTICE", "WARNING", "ERROR", "SECURITY", "DTMF"];

/** One `[logfiles]` line: `name => levels`. */
export interface LogChannelSettings {
  /** "console", or a file name (relative to the data directory, or absolute). */
  readonly name: string;
  readonly levels: ReadonlySet<LogLevel>;
  /** `verbose(N)`: this channel's own verbosity, instead of the core's. */
  readonly verbosity?: number;
}

export type RotateStrategy = "none" | "sequential" | "rotate" | "timestamp";

export interface LoggerSettings {
  /** strftime format of the time stamp; undefined is Asterisk's default, `%b %e %T`. */
  readonly dateformat?: string;
  readonly rotateStrategy: RotateStrategy;
  /** File names get `.<hostname>` appended. */
  readonly appendHostname: boolean;
  readonly queueLog: boolean;
  readonly queueLogName: string;
  readonly channels: readonly LogChannelSettings[];
}

/** Asterisk's logger.conf.sample, which is what Recall uses when there is no logger.conf. */
export const DEFAULT_LOGGER_SETTINGS: LoggerSettings = {
  rotateStrategy: "sequential",
  appendHostname: false,
  queueLog: true,
  queueLogName: "queue_log",
  channels: [
    { name: "console", levels: new Set<LogLevel>(["NOTICE", "WARNING", "ERROR"]) },
    { name: "messages.log", levels: new Set<LogLevel>(["NOTICE", "WARNING", "ERROR"]) },
  ],
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const two = (n: number) => String(n).padStart(2, "0");

/**
 * strftime over a microsecond time, in UTC, with Asterisk's `%Nq` (N digits of the
 * fraction of the second). Directives not listed are left as written.
 */
export function formatDate(time: number, format: string): string {
  const d = new Date(Math.floor(time / 1000));
  return format.replace(/%([1-6]?q|.)/g, (whole, spec: string) => {
    if (spec.endsWith("q")) {
      const digits = spec.length === 2 ? Number(spec[0]) : 3;
      return String(Math.floor(((time % 1e6) + 1e6) % 1e6)).padStart(6, "0").slice(0, digits);
    }
    switch (spec) {
      case "Y": return String(d.getUTCFullYear());
      case "y": return two(d.getUTCFullYear() % 100);
      case "m": return two(d.getUTCMonth() + 1);
      case "d": return two(d.getUTCDate());
      case "e": return String(d.getUTCDate()).padStart(2, " ");
      case "H": return two(d.getUTCHours());
      case "M": return two(d.getUTCMinutes());
      case "S": return two(d.getUTCSeconds());
      case "b": case "h": return MONTHS[d.getUTCMonth()];
      case "a": return DAYS[d.getUTCDay()];
      case "j": return String(Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1).padStart(3, "0");
      case "F": return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
      case "T": return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
      case "s": return String(Math.floor(time / 1e6));
      case "z": return "+0000";
      case "Z": return "UTC";
      case "%": return "%";
      default: return whole;
    }
  });
}

export const DEFAULT_DATEFORMAT = "%b %e %T";

/** The stamp of the last second formatted, per format: most lines share it (formats with %q do not). */
const stamps = new Map<string, { second: number; text: string }>();

function stamp(time: number, format: string): string {
  if (/%[1-6]?q/.test(format)) return formatDate(time, format);
  const second = Math.floor(time / 1e6);
  const cached = stamps.get(format);
  if (cached?.second === second) return cached.text;
  const text = formatDate(time, format);
  stamps.set(format, { second, text });
  return text;
}

export function formatLogLine(time: number, level: LogLevel, source: string, message: string, pid = process.pid, dateformat = DEFAULT_DATEFORMAT): string {
  return `[${stamp(time, dateformat)}] ${level}[${pid}] ${source}: ${message}`;
}

/**
 * A log file written through an asynchronous stream, renamed aside by rotate(). A rotation
 * takes effect where it was asked for: lines written after the call wait in `queue` until
 * the old file is renamed and the new one opened, so they land in the new file.
 */
class LogFile {
  /** Opened at the first line, so a channel that never logs leaves no empty file. */
  private stream: WriteStream | undefined;
  /** While a rotation runs: the lines and rotations asked for since, in order. */
  private queue: (string | Rotation)[] = [];
  private pumping: Promise<void> | undefined;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  private open(): WriteStream {
    const stream = createWriteStream(this.path, { flags: "a" });
    // A log that cannot be written must not take the PBX down: say so on stderr.
    stream.on("error", (e) => process.stderr.write(`logger: cannot write ${this.path}: ${e.message}\n`));
    return stream;
  }

  write(text: string, fromQueue = false): void {
    if (this.pumping && !fromQueue) this.queue.push(text);
    else (this.stream ??= this.open()).write(text);
  }

  /** Archives the file as `strategy` says and starts a new one; resolves with the archive's name. */
  rotate(strategy: RotateStrategy, now: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.queue.push({ strategy, now, resolve });
      this.pumping ??= this.pump();
    });
  }

  private async pump(): Promise<void> {
    for (let i = 0; i < this.queue.length; i++) {
      const item = this.queue[i];
      if (typeof item === "string") this.write(item, true);
      else item.resolve(await this.swap(item.strategy, item.now));
    }
    this.queue = [];
    this.pumping = undefined;
  }

  private async swap(strategy: RotateStrategy, now: number): Promise<string | undefined> {
    const old = this.stream;
    if (old?.pending) await new Promise<void>((r) => old.once("ready", () => r()).once("error", () => r())); // the file exists once the stream has opened it
    let archive: string | undefined;
    if (strategy !== "none") {
      try {
        if (await exists(this.path)) { // else nothing was logged yet (or the file was moved away): nothing to archive
          archive = await archiveName(this.path, strategy, now);
          // Lines still queued on the old stream land in the archive: they were logged before the rotation.
          await rename(this.path, archive);
        }
      } catch (e) {
        process.stderr.write(`logger: cannot rotate ${this.path}: ${(e as Error).message}\n`);
        archive = undefined;
      }
    }
    this.stream = undefined;
    if (old) await new Promise<void>((r) => old.end(() => r()));
    return archive;
  }

  async close(): Promise<void> {
    await this.pumping;
    const stream = this.stream;
    if (stream) await new Promise<void>((r) => stream.end(() => r()));
  }
}

interface Rotation { readonly strategy: RotateStrategy; readonly now: number; readonly resolve: (archive: string | undefined) => void }

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * Asterisk's strategies: `sequential` takes the first unused `.N` (the newest archive has
 * the highest number); `rotate` shifts `.N` to `.N+1` and takes `.0` (the oldest has the
 * highest number); `timestamp` takes `.<seconds since 1970>`.
 */
async function archiveName(path: string, strategy: Exclude<RotateStrategy, "none">, now: number): Promise<string> {
  if (strategy === "timestamp") {
    let name = `${path}.${Math.floor(now / 1e6)}`;
    for (let n = 1; await exists(name); n++) name = `${path}.${Math.floor(now / 1e6)}-${n}`;
    return name;
  }
  let free = 0;
  while (await exists(`${path}.${free}`)) free++;
  if (strategy === "sequential") return `${path}.${free}`;
  for (let n = free; n > 0; n--) await rename(`${path}.${n - 1}`, `${path}.${n}`);
  return `${path}.0`;
}

interface Pending { readonly level: LogLevel; readonly verbosity: number; readonly text: string }

export interface AsteriskLoggerOptions {
  /** Where relative file channels are written (Asterisk's astlogdir: Recall's data directory). */
  readonly dir?: string;
  readonly settings?: LoggerSettings;
  /** Core verbosity and debug level at start (`core set verbose|debug N` change them). */
  readonly verbose?: number;
  readonly debug?: number;
  readonly hostname?: string;
}

/**
 * The console (`out`, one or more whole lines ending in a newline) and logger.conf's files.
 * VERBOSE, DEBUG and DTMF lines are gathered and written once per turn of the event loop
 * (a busy PBX logs several per call, and one write per line costs more than the call); any
 * other line is written at once, after the ones gathered before it.
 */
export class AsteriskLogger implements Logger {
  private pending: Pending[] = [];
  private settings: LoggerSettings = DEFAULT_LOGGER_SETTINGS;
  private files = new Map<string, { file: LogFile; channel: LogChannelSettings }>();
  private console: LogChannelSettings | undefined;
  private readonly dir: string | undefined;
  private readonly hostname: string;
  verbose: number;
  debug: number;

  constructor(private readonly clock: Clock, private readonly out: (text: string) => void, options: AsteriskLoggerOptions = {}) {
    this.dir = options.dir;
    this.verbose = options.verbose ?? 3;
    this.debug = options.debug ?? 0;
    this.hostname = options.hostname ?? "localhost";
    this.configure(options.settings ?? DEFAULT_LOGGER_SETTINGS);
    process.once("exit", () => this.flush());
  }

  /** Applies logger.conf (at start and on `logger reload`): files no longer listed are closed, new ones opened. */
  configure(settings: LoggerSettings): void {
    this.flush();
    this.settings = settings;
    this.console = settings.channels.find((c) => c.name === "console");
    const wanted = new Map<string, LogChannelSettings>();
    for (const c of settings.channels) if (c.name !== "console") wanted.set(this.pathOf(c.name), c);
    for (const [path, f] of this.files) if (!wanted.has(path)) { void f.file.close(); this.files.delete(path); }
    for (const [path, channel] of wanted) {
      const open = this.files.get(path);
      if (open) open.channel = channel;
      else if (this.dir !== undefined || isAbsolute(path)) this.files.set(path, { file: new LogFile(path), channel });
    }
  }

  private pathOf(name: string): string {
    const base = isAbsolute(name) ? name : join(this.dir ?? ".", name);
    return this.settings.appendHostname ? `${base}.${this.hostname}` : base;
  }

  /** The queue_log file, when logger.conf enables it. */
  get queueLogPath(): string | undefined {
    return this.settings.queueLog ? this.pathOf(this.settings.queueLogName) : undefined;
  }

  get current(): LoggerSettings { return this.settings; }

  log(level: LogLevel, source: string, message: string, verbosity?: number): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    const text = `${formatLogLine(this.clock.now(), level, source, message, process.pid, this.settings.dateformat)}\n`;
    this.pending.push({ level, verbosity: verbosity ?? (level === "VERBOSE" ? 3 : 1), text });
    // Warnings and security events (what fail2ban reads) are written at once.
    if (level !== "VERBOSE" && level !== "DEBUG" && level !== "DTMF") this.flush();
  }

  /** Does `channel` take this line? The console always shows VERBOSE up to the core verbosity. */
  private takes(channel: LogChannelSettings | undefined, line: Pending, isConsole: boolean): boolean {
    if (line.level === "VERBOSE") {
      if (isConsole) return line.verbosity <= this.verbose;
      return !!channel?.levels.has("VERBOSE") && line.verbosity <= (channel.verbosity ?? this.verbose);
    }
    if (!channel?.levels.has(line.level)) return false;
    return line.level !== "DEBUG" || line.verbosity <= this.debug;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    const select = (channel: LogChannelSettings | undefined, isConsole: boolean) => {
      let text = "";
      for (const line of lines) if (this.takes(channel, line, isConsole)) text += line.text;
      return text;
    };
    const toConsole = select(this.console, true);
    if (toConsole) this.out(toConsole);
    for (const { file, channel } of this.files.values()) {
      const text = select(channel, false);
      if (text) file.write(text);
    }
  }

  /** `logger rotate`: every file archived by the rotate strategy; resolves with "file → archive" per file. */
  async rotate(): Promise<string[]> {
    this.flush();
    const now = this.clock.now();
    const done = await Promise.all([...this.files.values()].map(async ({ file }) => {
      const archive = await file.rotate(this.settings.rotateStrategy, now);
      return archive ? `${file.path} → ${archive}` : `${file.path} reopened`;
    }));
    return done;
  }

  /** `logger show channels`. */
  describeChannels(): string {
    const describe = (c: LogChannelSettings | undefined, isConsole: boolean) => {
      const levels = LOG_LEVELS.filter((l) => (l === "VERBOSE" && isConsole) || c?.levels.has(l)).map((l) =>
        l === "VERBOSE" ? `VERBOSE(${isConsole || c?.verbosity === undefined ? this.verbose : c.verbosity})` : l === "DEBUG" ? `DEBUG(${this.debug})` : l);
      return `${levels.join(" ")}`;
    };
    const rows: string[][] = [["Channel", "Type", "Status", "Configuration"], ["-------", "----", "------", "-------------"]];
    for (const { file, channel } of this.files.values()) rows.push([file.path, "File", "Enabled", describe(channel, false)]);
    rows.push(["", "Console", this.console ? "Enabled" : "Verbose only", describe(this.console, true)]);
    const width = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
    const s = this.settings;
    return `Logger: rotate strategy ${s.rotateStrategy}, date format "${s.dateformat ?? DEFAULT_DATEFORMAT}", queue_log ${s.queueLog ? this.queueLogPath : "off"}\n` +
      `Core verbosity ${this.verbose}, core debug ${this.debug}\n\n` +
      rows.map((r) => `${r[0].padEnd(width[0])}  ${r[1].padEnd(width[1])}  ${r[2].padEnd(width[2])}  ${r[3]}`.trimEnd()).join("\n") + "\n";
  }

  /** Writes what is pending and closes the files (a clean shutdown). */
  async close(): Promise<void> {
    this.flush();
    await Promise.all([...this.files.values()].map(({ file }) => file.close()));
    this.files.clear();
  }
}

/** Keeps lines in memory: for tests. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  log(level: LogLevel, source: string, message: string): void {
    this.lines.push(`${level} ${source}: ${message}`);
  }
}
