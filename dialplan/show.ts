/**
 * `dialplan show [[exten@]context]`, in Asterisk's layout:
 *
 *   [ Context 'from-internal' created by 'pbx_config' ]
 *     '6001' =>         1. Dial(PJSIP/6001,20)                         [extensions.conf:12]
 *                       2. Hangup()                                    [extensions.conf:13]
 *     Include =>        'features'                                     [pbx_config]
 *
 *   -= 1 extension (2 priorities) in 1 context. =-
 *
 * Contexts are listed newest first, as Asterisk lists a freshly loaded dialplan.
 */
import { HINT, type Context, type Dialplan, type Priority } from "./model.js";
import { extensionMatches } from "./pattern.js";
import { MAX_INCLUDE_DEPTH } from "./lookup.js";

export interface ShowResult {
  readonly text: string;
  /** False when the context or extension asked for does not exist (the CLI's failure). */
  readonly ok: boolean;
}

const REGISTRAR = "pbx_config";

interface Counters { extensions: number; priorities: number; contexts: number; contextSeen: boolean; extensionSeen: boolean }

const line = (left: string, middle: string, right: string) => `  ${left.padEnd(17)} ${middle.padEnd(45)} [${right}]\n`;

function describe(p: Priority): string {
  return p.priority === HINT ? `hint: ${p.app}` : `${p.priority}. ${p.app}(${p.appData})`;
}

function where(p: Priority): string {
  const file = p.position.file.slice(p.position.file.lastIndexOf("/") + 1);
  return `${file}:${p.position.line}`;
}

/** One context; with `exten`, `descend` lists each include's matches where Asterisk puts them. */
function showContext(ctx: Context, exten: string | undefined, included: boolean, n: Counters, out: string[], descend?: (context: string) => void): void {
  let header = false;
  const printHeader = () => {
    if (header) return;
    header = true;
    n.contexts++;
    out.push(included
      ? `[ Included context '${ctx.name}' created by '${REGISTRAR}' ]\n`
      : `[ Context '${ctx.name}' created by '${REGISTRAR}' ]\n${ctx.autohints ? "Autohints support enabled\n" : ""}`);
  };
  n.contextSeen = true;
  if (exten === undefined) printHeader();

  for (const e of ctx.extensions) {
    if (exten !== undefined && !extensionMatches(e.name, exten)) continue;
    n.extensionSeen = true;
    printHeader();
    n.extensions++;
    e.priorities.forEach((p, i) => {
      n.priorities++;
      const left = i === 0
        ? (e.callerId === undefined ? `'${e.name}' =>` : `'${e.name}' (CID match '${e.callerId}') => `)
        : (p.label === undefined ? "" : `   [${p.label}]`);
      out.push(line(left, describe(p), where(p)));
    });
  }
  for (const inc of ctx.includes) {
    if (exten === undefined) out.push(line("Include =>", `'${inc.text}'`, REGISTRAR));
    else descend?.(inc.context);
  }
  for (const ip of ctx.ignorePatterns) {
    if (exten === undefined || extensionMatches(`_${ip.pattern}.`, exten)) out.push(line("Ignore pattern =>", `'${ip.pattern}'`, REGISTRAR));
  }
  if (!included) {
    for (const sw of ctx.switches) out.push(line("Alt. Switch =>", `'${sw.module}/${sw.data}'`, REGISTRAR));
  }
  if (header) out.push("\n");
}

function showWithIncludes(dp: Dialplan, name: string, exten: string, included: boolean, stack: string[], n: Counters, out: string[]): void {
  const ctx = dp.contexts.get(name);
  if (!ctx) return;
  showContext(ctx, exten, included, n, out, (inc) => {
    if (stack.length >= MAX_INCLUDE_DEPTH || stack.some((s) => s.toLowerCase() === inc.toLowerCase())) return;
    showWithIncludes(dp, inc, exten, true, [...stack, inc], n, out);
  });
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** The output of `dialplan show`, `dialplan show CONTEXT` or `dialplan show EXTEN@CONTEXT`. */
export function showDialplan(dp: Dialplan, target?: string): ShowResult {
  let context: string | undefined, exten: string | undefined;
  if (target) {
    const at = target.indexOf("@");
    if (at >= 0) { exten = target.slice(0, at) || undefined; context = target.slice(at + 1) || undefined; }
    else context = target;
  }
  const n: Counters = { extensions: 0, priorities: 0, contexts: 0, contextSeen: false, extensionSeen: false };
  const out: string[] = [];
  const names = [...dp.contexts.keys()].reverse().filter((c) => context === undefined || c === context);
  for (const name of names) {
    if (exten === undefined) showContext(dp.contexts.get(name)!, undefined, false, n, out);
    else showWithIncludes(dp, name, exten, false, [], n, out);
  }
  if (context !== undefined && !n.contextSeen) return { text: `There is no existence of '${context}' context\n`, ok: false };
  if (exten !== undefined && !n.extensionSeen) {
    return {
      text: out.join("") + (context !== undefined
        ? `There is no existence of ${exten}@${context} extension\n`
        : `There is no existence of '${exten}' extension in all contexts\n`),
      ok: false,
    };
  }
  out.push(`-= ${plural(n.extensions, "extension", "extensions")} (${plural(n.priorities, "priority", "priorities")}) in ${plural(n.contexts, "context", "contexts")}. =-\n`);
  return { text: out.join(""), ok: true };
}

export interface HintEntry {
  readonly context: string;
  readonly exten: string;
  /** Devices whose states make up the extension's state (`PJSIP/6001`, `Custom:lamp`). */
  readonly devices: readonly string[];
  /** The presence provider after the comma (`CustomPresence:6001`), if any. */
  readonly presence?: string;
}

/**
 * Every hint in the dialplan, contexts in declaration order, for `core show hints`
 * and for the device-state watcher that keeps extension states.
 */
export function listHints(dp: Dialplan): HintEntry[] {
  const out: HintEntry[] = [];
  for (const ctx of dp.contexts.values()) {
    for (const e of ctx.extensions) {
      const hint = e.priorities.find((p) => p.priority === HINT);
      if (!hint) continue;
      const comma = hint.app.indexOf(",");
      const devices = (comma < 0 ? hint.app : hint.app.slice(0, comma)).split("&").map((d) => d.trim()).filter((d) => d !== "");
      const presence = comma < 0 ? "" : hint.app.slice(comma + 1).trim();
      out.push({ context: ctx.name, exten: e.name, devices, ...(presence ? { presence } : {}) });
    }
  }
  return out;
}
