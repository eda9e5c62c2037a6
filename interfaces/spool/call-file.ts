/**
 * A call file (Asterisk's pbx_spool format): `Key: value` lines, keys in any case,
 * `#` comments (at a line's start or after white space) and `;` comments (`\;` is a
 * literal semicolon). What it asks for:
 *
 *     Channel: PJSIP/6001            the channel to call (required, TECH/resource)
 *     CallerID: "Wake-up" <100>
 *     WaitTime: 45                   seconds it may ring
 *     MaxRetries: 0                  attempts after the first
 *     RetryTime: 300                 seconds between attempts
 *     Account: acct-1                the channel's CDR accountcode
 *     Context/Extension/Priority     where the answered channel goes, or
 *     Application/Data               the one application it runs
 *     Setvar: NAME=value             (or Set:), as many as wanted, in order
 *     Archive: yes                   keep it in outgoing_done with a Status: line
 *     AlwaysDelete: no               a file whose mtime was moved to the future is kept
 *     Codecs: ulaw,alaw              narrows the endpoint's allow= list for this call
 *
 * and what Asterisk appends while it works on one: `StartRetry:`, `EndRetry:`,
 * `AbortRetry:`, `DelayedRetry:` (`<pid> <retries> (<epoch>)`), and `Status:` on archive.
 * Each `EndRetry`, `AbortRetry` or `Retry` line is one attempt made.
 *
 * As in Asterisk, a bad line is a warning naming the line and the file goes on with the
 * default; the file itself is refused (a reason, never an exception) only when it
 * cannot give a call: no Channel in TECH/resource form, neither Application nor
 * Extension, an Extension without a Context, or content that is not text.
 */
import { parseCallerId } from "../../dialplan/index.js";
import { yesNo } from "../../conf/yes-no.js";

export interface CallFile {
  /** `TECH/resource`. */
  readonly channel: string;
  readonly callerId?: { readonly num: string; readonly name: string };
  readonly waitTime: number;
  readonly maxRetries: number;
  readonly retryTime: number;
  readonly account?: string;
  readonly context?: string;
  readonly exten?: string;
  readonly priority: number;
  readonly application?: string;
  readonly data?: string;
  /** Setvar/Set lines, in file order (a later one of the same name wins). */
  readonly variables: Readonly<Record<string, string>>;
  /** Codecs: names the call may use (`all` for any), narrowing the endpoint's allow= list. */
  readonly codecs?: readonly string[];
  readonly archive: boolean;
  readonly alwaysDelete: boolean;
  readonly earlyMedia: boolean;
  /** Attempts already made (EndRetry, AbortRetry and Retry lines). */
  readonly retries: number;
  /** The pid of a `StartRetry:` not followed by its EndRetry: an attempt that never finished. */
  readonly callingPid?: number;
}

export interface CallFileWarning { readonly line: number; readonly reason: string }

export type ParsedCallFile =
  | { readonly ok: true; readonly file: CallFile; readonly warnings: readonly CallFileWarning[] }
  | { readonly ok: false; readonly reason: string; readonly warnings: readonly CallFileWarning[] };

export const DEFAULT_WAIT_TIME = 45;
export const DEFAULT_RETRY_TIME = 300;

/** Strips a line's comments as pbx_spool does. */
function uncomment(line: string): string {
  let out = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === "#" && (i === 0 || line[i - 1] === " " || line[i - 1] === "\t")) break;
    if (ch === ";") {
      if (out.endsWith("\\")) { out = out.slice(0, -1) + ";"; continue; }
      break;
    }
    out += ch;
  }
  return out.trimEnd();
}

/** A leading integer as sscanf("%d") reads it ("30s" is 30), or undefined. */
function leadingInt(value: string): number | undefined {
  const m = /^[+-]?\d+/.exec(value);
  return m ? Number(m[0]) : undefined;
}

export function parseCallFile(text: string): ParsedCallFile {
  const warnings: CallFileWarning[] = [];
  if (text.includes("\0")) return { ok: false, reason: "not a text file (it holds NUL bytes)", warnings };
  let tech = "", dest = "", channelLine = 0;
  let callerId: { num: string; name: string } | undefined;
  let waitTime = DEFAULT_WAIT_TIME, maxRetries = 0, retryTime = DEFAULT_RETRY_TIME, priority = 1;
  let account: string | undefined, context: string | undefined, exten: string | undefined;
  let application: string | undefined, data: string | undefined, codecs: string[] | undefined;
  const variables: Record<string, string> = {};
  let archive = false, alwaysDelete = true, earlyMedia = false, retries = 0;
  let callingPid: number | undefined;

  const number = (value: string, line: number, what: string, min: number, fallback: number): number => {
    const n = leadingInt(value);
    if (n === undefined || n < min) { warnings.push({ line, reason: `invalid ${what} '${value}', using ${fallback}` }); return fallback; }
    return n;
  };
  const flag = (value: string, line: number, key: string): boolean => {
    const b = yesNo(value);
    if (b === undefined && value.trim() !== "") warnings.push({ line, reason: `${key}: '${value}' is neither yes nor no, taken as no` });
    return b ?? false;
  };

  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = uncomment(raw);
    if (!line.trim()) return;
    const colon = line.indexOf(":");
    if (colon < 0) { warnings.push({ line: lineNo, reason: `syntax error (no ':'): '${line.trim()}'` }); return; }
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    switch (key) {
      case "channel": {
        const slash = value.indexOf("/");
        if (slash <= 0 || slash === value.length - 1) { warnings.push({ line: lineNo, reason: `Channel should be in form Tech/Dest, not '${value}'` }); return; }
        tech = value.slice(0, slash); dest = value.slice(slash + 1); channelLine = lineNo;
        return;
      }
      case "callerid": callerId = parseCallerId(value); return;
      case "application": application = value; return;
      case "data": data = value; return;
      case "context": context = value; return;
      case "extension": exten = value; return;
      case "priority": priority = number(value, lineNo, "priority", 1, 1); return;
      case "maxretries": maxRetries = number(value, lineNo, "max retries", 0, 0); return;
      case "retrytime": retryTime = number(value, lineNo, "retrytime", 1, DEFAULT_RETRY_TIME); return;
      case "waittime": waitTime = number(value, lineNo, "waittime", 1, DEFAULT_WAIT_TIME); return;
      case "account": account = value; return;
      case "codecs": codecs = value.split(/[,&|]/).map((c) => c.trim()).filter(Boolean); return;
      case "archive": archive = flag(value, lineNo, "Archive"); return;
      case "alwaysdelete": alwaysDelete = flag(value, lineNo, "AlwaysDelete"); return;
      case "early_media": earlyMedia = flag(value, lineNo, "early_media"); return;
      case "setvar": case "set": {
        const eq = value.indexOf("=");
        if (eq <= 0) { warnings.push({ line: lineNo, reason: `malformed ${line.slice(0, colon).trim()}: should be 'variable=value'` }); return; }
        variables[value.slice(0, eq).trim()] = value.slice(eq + 1);
        return;
      }
      case "retry": retries++; return;
      case "startretry": {
        const pid = leadingInt(value);
        callingPid = pid !== undefined && pid > 0 ? pid : undefined;
        return;
      }
      case "endretry": case "abortretry": callingPid = undefined; retries++; return;
      case "delayedretry": case "status": case "reason": return; // written by Recall or Asterisk: nothing to do
      default: warnings.push({ line: lineNo, reason: `unknown keyword '${line.slice(0, colon).trim()}'` });
    }
  });

  if (!tech) return { ok: false, reason: channelLine === 0 && !warnings.some((w) => w.reason.startsWith("Channel")) ? "no Channel: line" : "no valid Channel (Tech/Dest)", warnings };
  if (!application && !exten) return { ok: false, reason: "neither Application: nor Extension: is given", warnings };
  if (!application && !context) return { ok: false, reason: `Extension: ${exten} has no Context:`, warnings };
  const file: CallFile = {
    channel: `${tech}/${dest}`, waitTime, maxRetries, retryTime, priority, variables, archive, alwaysDelete, earlyMedia, retries,
    ...(callerId ? { callerId } : {}), ...(account !== undefined ? { account } : {}),
    ...(application ? { application, data: data ?? "" } : { context: context!, exten: exten! }),
    ...(codecs !== undefined ? { codecs } : {}), ...(callingPid !== undefined ? { callingPid } : {}),
  };
  return { ok: true, file, warnings };
}
