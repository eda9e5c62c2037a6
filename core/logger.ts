/**
 * Asterisk-style log lines: `[Nov 25 10:00:00] WARNING[1234] res_pjsip_registrar: message`.
 * Tools that read Asterisk's `messages` log (fail2ban, log shippers) read Recall's too.
 */
import { appendFileSync } from "node:fs";
import type { Clock } from "./clock.js";

export type LogLevel = "DEBUG" | "VERBOSE" | "NOTICE" | "WARNING" | "ERROR" | "SECURITY";

export interface Logger {
  log(level: LogLevel, source: string, message: string): void;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

let stampSecond = -1;
let stampText = "";

export function formatLogLine(time: number, level: LogLevel, source: string, message: string, pid = process.pid): string {
  const second = Math.floor(time / 1e6);
  if (second !== stampSecond) {
    const d = new Date(second * 1000);
    stampSecond = second;
    stampText = `${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  }
  return `[${stampText}] ${level}[${pid}] ${source}: ${message}`;
}

/**
 * Writes to a stream (the console) and, when given, appends to a file (DATA/messages.log).
 * VERBOSE and DEBUG lines are gathered and written once per turn of the event loop (a
 * busy PBX logs several per call, and one write per line costs more than the call);
 * any other line is written at once, after the ones gathered before it.
 */
export class AsteriskLogger implements Logger {
  private pending: string[] = [];

  /** `out` gets one or more whole lines, each ending in a newline. */
  constructor(private readonly clock: Clock, private readonly out: (text: string) => void, private readonly file?: string) {
    process.once("exit", () => this.flush());
  }

  log(level: LogLevel, source: string, message: string): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(`${formatLogLine(this.clock.now(), level, source, message)}\n`);
    // Warnings and security events (what fail2ban reads) are written at once.
    if (level !== "VERBOSE" && level !== "DEBUG") this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join("");
    this.pending = [];
    this.out(text);
    if (this.file) appendFileSync(this.file, text);
  }
}

/** Keeps lines in memory: for tests. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  log(level: LogLevel, source: string, message: string): void {
    this.lines.push(`${level} ${source}: ${message}`);
  }
}
