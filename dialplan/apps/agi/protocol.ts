/**
 * The AGI wire protocol, as res_agi speaks it: the `agi_...` environment that opens a
 * session, the parsing of a command line into words (double quotes group, a backslash
 * takes the next character literally), the `agi://host[:port][/script]` address, and
 * the shapes of the answers (`200 result=...`, 510, 511, 520).
 */
import type { ChannelContext } from "../../../events/catalogue/channel.js";

/** FastAGI's port when the address names none. */
export const FASTAGI_PORT = 4573;
/** res_agi's MAX_ARGS: words past this many are dropped. */
export const MAX_ARGS = 128;

export const INVALID_COMMAND = "510 Invalid or unknown command";
export const DEAD_CHANNEL = "511 Command Not Permitted on a dead channel or intercept routine";

/** The 520 answer: the command's usage between the two lines libraries look for. */
export function usageError(usage: string): string {
  return `520-Invalid command syntax.  Proper usage follows:\n${usage}\n520 End of proper usage.`;
}

/** Splits a command line into its words as res_agi's parse_args does. */
export function parseCommandLine(line: string): string[] {
  const words: string[] = [];
  let current: string | undefined;
  let quoted = false, escaped = false;
  const add = (ch: string) => {
    if (current === undefined) {
      if (words.length >= MAX_ARGS - 1) return;
      current = "";
    }
    current += ch;
  };
  const end = () => { if (current !== undefined) words.push(current); current = undefined; };
  for (const ch of line) {
    if (ch === '"' && !escaped) {
      quoted = !quoted;
      // An opening quote after blanks starts a word, even an empty one ("" is an argument).
      if (quoted && current === undefined && words.length < MAX_ARGS - 1) current = "";
      continue;
    }
    if ((ch === " " || ch === "\t") && !quoted && !escaped) { end(); continue; }
    if (ch === "\\" && !escaped) { escaped = true; continue; }
    escaped = false;
    add(ch);
  }
  end();
  return words;
}

export interface FastAgiAddress {
  readonly host: string;
  readonly port: number;
  /** What follows host[:port]/ (agi_network_script), "" when nothing does. */
  readonly script: string;
}

/** `agi://host[:port][/script]`; undefined when it is not one (or the port is not a port). */
export function parseFastAgiUrl(url: string): FastAgiAddress | undefined {
  const m = /^agi:\/\/(\[[^\]]+\]|[^:/\[\]]+)(?::(\d{1,5}))?(?:\/(.*))?$/i.exec(url);
  if (!m) return undefined;
  const port = m[2] === undefined ? FASTAGI_PORT : Number(m[2]);
  if (!(port > 0 && port < 65536)) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ""), port, script: m[3] ?? "" };
}

export interface EnvironmentInput {
  /** agi_request: the address or script as given to AGI(). */
  readonly request: string;
  /** FastAGI: agi_network and agi_network_script come first. */
  readonly network?: { readonly script: string };
  readonly channel: ChannelContext;
  readonly language: string;
  readonly version: string;
  readonly position: { readonly context: string; readonly exten: string; readonly priority: number };
  readonly enhanced: boolean;
  readonly args: readonly string[];
}

/** The environment block that opens a session, ending with its blank line. */
export function environment(e: EnvironmentInput): string {
  const c = e.channel;
  const or = (v: string) => (v === "" ? "unknown" : v);
  const lines: [string, string | number][] = [];
  if (e.network) {
    lines.push(["agi_network", "yes"]);
    if (e.network.script !== "") lines.push(["agi_network_script", e.network.script]);
  }
  lines.push(
    ["agi_request", e.request],
    ["agi_channel", c.name],
    ["agi_language", e.language],
    ["agi_type", c.tech],
    ["agi_uniqueid", c.uniqueid],
    ["agi_version", e.version],
    ["agi_callerid", or(c.callerId.num)],
    ["agi_calleridname", or(c.callerId.name)],
    ["agi_callingpres", 0],
    ["agi_callingani2", 0],
    ["agi_callington", 0],
    ["agi_callingtns", 0],
    ["agi_dnid", or(c.dnid)],
    ["agi_rdnis", or(c.rdnis)],
    ["agi_context", e.position.context],
    ["agi_extension", e.position.exten],
    ["agi_priority", e.position.priority],
    ["agi_enhanced", e.enhanced ? "1.0" : "0.0"],
    ["agi_accountcode", c.accountcode],
    // Asterisk sends the id of the thread running the channel; the channel's sequence number is as unique here.
    ["agi_threadid", c.uniqueid.split(".").pop() ?? "0"],
  );
  e.args.forEach((a, i) => lines.push([`agi_arg_${i + 1}`, a]));
  return `${lines.map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n`;
}

/** `200 result=N`, with more (` (value)`, ` endpos=N`) after it. */
export function ok(result: string | number, more = ""): string {
  return `200 result=${result}${more}`;
}

/** A digit as AGI reports it: its character code; 0 when there is none. */
export function digitCode(digit: string | undefined): number {
  return digit === undefined || digit === "" ? 0 : digit.charCodeAt(0);
}
