/**
 * The extension search with switches answered, shared by the executor (on a channel)
 * and by the call layer (is this extension here at all, before a channel exists).
 * `Loopback/[exten]@context` (and Recall's `Local/...` spelling of it) searches that
 * context in place; any other module goes to the injected `switches`, which may answer
 * "later" with a promise (a question on the network): `settledSearch` waits for it and
 * searches again.
 */
import type { DialplanChannel } from "../calls/channel-api.js";
import type { Dialplan } from "./model.js";
import { findExtension } from "./lookup.js";

export interface Position {
  context: string;
  exten: string;
  priority: number;
}

/** What the search found to run: an application and its unsubstituted data. */
export interface FoundPriority {
  readonly app: string;
  readonly appData: string;
}

/**
 * Switches other than Loopback (`switch => Module/data`, e.g. to another Recall node):
 * the priority to run for `position`, undefined for "not here", or a promise when the
 * answer is not known yet.
 */
export type Switches = (module: string, data: string, position: Position, mode: "match" | "matchmore", channel?: DialplanChannel) => FoundPriority | undefined | Promise<unknown>;

export interface SearchEnv {
  readonly callerId?: string;
  /** Microseconds since the epoch (time-based includes). */
  readonly now: number;
  readonly timezone?: string;
  readonly switches?: Switches;
  readonly channel?: DialplanChannel;
  /** Substitutes `${...}` in `eswitch` data. */
  readonly substitute: (text: string) => string;
}

/** One search; a switch that answered "later" leaves its promise in `pending.at`. */
export function searchExtension(
  dialplan: Dialplan, p: Position, mode: "match" | "matchmore", env: SearchEnv, pending: { at?: Promise<unknown> }, depth = 0,
): FoundPriority | undefined {
  let skip = 0;
  for (;;) {
    const r = findExtension(dialplan, p.context, p.exten, env.callerId, p.priority, {
      mode, now: env.now, skipSwitches: skip, ...(env.timezone ? { timezone: env.timezone } : {}),
    });
    if (r.kind === "found") return { app: r.priority.app, appData: r.priority.appData };
    if (r.kind === "none") return undefined;
    skip = r.index + 1;
    const data = r.switch.evaluate ? env.substitute(r.switch.data) : r.switch.data;
    const module = r.switch.module.toLowerCase();
    if (module === "loopback" || module === "local") {
      const target = depth < 8 ? parseLoopback(data, p.exten) : undefined;
      const found = target && searchExtension(dialplan, { ...target, priority: p.priority }, mode, env, pending, depth + 1);
      if (found) return found;
      continue;
    }
    const answer = env.switches?.(r.switch.module, data, { ...p }, mode, env.channel);
    if (answer instanceof Promise) { pending.at ??= answer; continue; }
    if (answer) return answer;
  }
}

/**
 * Runs `search` until no switch is still waiting for its answer, so the result reflects
 * every switch. A switch that keeps answering "later" is asked at most four times,
 * then counts as "not here".
 */
export async function settledSearch<T>(search: (pending: { at?: Promise<unknown> }) => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const pending: { at?: Promise<unknown> } = {};
    const result = search(pending);
    if (!pending.at || attempt === 3) return result;
    await pending.at.catch(() => undefined);
  }
}

/**
 * `Loopback/[exten]@context[/options]` (and `Local/...`) switch data: the context to
 * search in place, and the extension (`${EXTEN}` in it is the one being searched).
 */
export function parseLoopback(data: string, exten: string): { context: string; exten: string } | undefined {
  const body = data.split(":")[0];
  const at = body.lastIndexOf("@");
  const context = (at < 0 ? body : body.slice(at + 1)).trim();
  const target = at < 0 ? "" : body.slice(0, at).trim();
  if (context === "") return undefined;
  return { context, exten: target === "" ? exten : target.replace(/\$\{EXTEN\}/g, exten) };
}
