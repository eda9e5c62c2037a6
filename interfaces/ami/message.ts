/**
 * AMI framing. A message is `Key: Value` lines ending in CRLF (a bare LF is accepted),
 * closed by an empty line. The reader is bounded: a line longer than MAX_LINE or a
 * message with more than MAX_HEADERS headers is not kept; the message is reported as
 * `oversized` when its empty line arrives, so the session can answer it with an error
 * and go on with the next one. Partial input waits for more bytes (no timeout here).
 */

export type Headers = ReadonlyArray<readonly [string, string]>;

/** One action as read: its headers in order, and case-insensitive lookup. */
export class AmiMessage {
  constructor(readonly headers: Headers) {}

  get(name: string): string | undefined {
    const want = name.toLowerCase();
    for (const [k, v] of this.headers) if (k.toLowerCase() === want) return v;
    return undefined;
  }

  /** Every value of a header that may repeat (Variable:, Filter:). */
  all(name: string): string[] {
    const want = name.toLowerCase();
    return this.headers.filter(([k]) => k.toLowerCase() === want).map(([, v]) => v);
  }
}

export const MAX_LINE = 8192;
export const MAX_HEADERS = 128;

export type ReadResult = { readonly message: AmiMessage } | { readonly oversized: string };

export class AmiReader {
  private pending = "";
  private lines: [string, string][] = [];
  private problem: string | undefined;
  /** Skipping the rest of a line that was too long. */
  private discarding = false;

  /** Feed bytes (as latin1/utf8 text); returns the messages they complete, in order. */
  push(chunk: string): ReadResult[] {
    const out: ReadResult[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf("\n", start);
      if (nl < 0) {
        if (!this.discarding) {
          this.pending += chunk.slice(start);
          if (this.pending.length > MAX_LINE) { this.pending = ""; this.discarding = true; this.problem ??= `line longer than ${MAX_LINE} bytes`; }
        }
        return out;
      }
      let line = this.discarding ? "" : this.pending + chunk.slice(start, nl);
      const wasDiscarding = this.discarding;
      this.pending = "";
      this.discarding = false;
      start = nl + 1;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (wasDiscarding) continue;
      if (line.length > MAX_LINE) { this.problem ??= `line longer than ${MAX_LINE} bytes`; continue; }
      if (line === "") {
        if (this.problem) out.push({ oversized: this.problem });
        else if (this.lines.length) out.push({ message: new AmiMessage(this.lines) });
        this.lines = [];
        this.problem = undefined;
        continue;
      }
      if (this.lines.length >= MAX_HEADERS) { this.problem ??= `more than ${MAX_HEADERS} headers`; continue; }
      const colon = line.indexOf(":");
      if (colon <= 0) continue; // Asterisk ignores a line without a header name
      this.lines.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
  }

  /** Bytes held for an incomplete message (for the session's bound). */
  get buffered(): number {
    return this.pending.length + this.lines.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  }
}

/** Serialize headers as one AMI message (CRLF lines, empty line at the end). Values lose any CR/LF. */
export function formatMessage(headers: Headers): string {
  let s = "";
  for (const [k, v] of headers) s += `${k}: ${v.replace(/[\r\n]+/g, " ")}\r\n`;
  return `${s}\r\n`;
}
