/**
 * Finding what to run: the search the runtime makes for every priority it executes.
 *
 * Within a context: plain extensions, then patterns in sorted order, then each include
 * (searched depth-first, with its own includes and switches, skipping time-based
 * includes that are closed), then the context's switches, as seed 003 states.
 * (Asterisk itself asks a context's switches before its includes.) A context already
 * visited in this search is skipped, so include loops end.
 *
 * The search is per priority: an extension that matches but lacks the priority asked
 * for does not end the search; the next match that has it wins. That is why, after
 * `exten => 6001,2,...`, priority 3 can come from a `_.` in an included context, and
 * why a `_.!` extension's `n` priorities run after other extensions' lines.
 */
import { HINT, type Context, type Dialplan, type Extension, type Priority, type Switch } from "./model.js";
import { extensionKey, isPattern, matchCallerId, matchExtension, type MatchMode } from "./pattern.js";
import { timingHoldsAt } from "./timing.js";

export interface FindOptions {
  /** `match` (default): run it; `canmatch`: it matches or may with more digits; `matchmore`: more digits may match. */
  readonly mode?: MatchMode;
  /**
   * How many switches (in search order) the runtime already asked and that answered
   * "not here": the search resumes after them.
   */
  readonly skipSwitches?: number;
  /** Now, microseconds since the epoch: needed for time-based includes, which are skipped without it. */
  readonly now?: number;
  /** Zone for time-based includes without their own (default: the process's zone). */
  readonly timezone?: string;
}

/** Why nothing was found, from least to most progress (Asterisk's search status). */
export type NotFoundReason = "no-context" | "no-extension" | "no-priority" | "no-label";

export type FindResult =
  | { readonly kind: "found"; readonly context: string; readonly extension: Extension; readonly priority: Priority }
  /** A switch must be asked; if it says no, search again with `skipSwitches: index + 1`. */
  | { readonly kind: "switch"; readonly context: string; readonly switch: Switch; readonly index: number }
  | { readonly kind: "none"; readonly reason: NotFoundReason };

/** How deep includes may nest (Asterisk's AST_PBX_MAX_STACK). */
export const MAX_INCLUDE_DEPTH = 128;

const REASONS: readonly NotFoundReason[] = ["no-context", "no-extension", "no-priority", "no-label"];

/** Plain extensions, also indexed by key (all caller-ID variants, in search order), and the patterns. */
interface ContextIndex {
  readonly plain: readonly Extension[];
  readonly byKey: ReadonlyMap<string, readonly Extension[]>;
  readonly patterns: readonly Extension[];
}

const indexes = new WeakMap<Context, ContextIndex>();

function indexOf(ctx: Context): ContextIndex {
  let index = indexes.get(ctx);
  if (!index) {
    const byKey = new Map<string, Extension[]>();
    const plain: Extension[] = [], patterns: Extension[] = [];
    for (const e of ctx.extensions) {
      if (!isPattern(e.name)) {
        plain.push(e);
        const key = extensionKey(e.name);
        byKey.set(key, [...(byKey.get(key) ?? []), e]);
      } else patterns.push(e);
    }
    index = { plain, byKey, patterns };
    indexes.set(ctx, index);
  }
  return index;
}

/** Thrown inside the search when a `!` pattern settles a matchmore question: no. */
const SETTLED = Symbol("settled");

class Search {
  private reason = 0;
  private switchesSeen = 0;
  private readonly visited: string[] = [];

  constructor(
    private readonly dp: Dialplan,
    private readonly exten: string,
    private readonly callerId: string | undefined,
    private readonly priority: number | string,
    private readonly options: FindOptions,
  ) {}

  run(context: string): FindResult {
    try {
      const r = this.context(context);
      if (r) return r;
    } catch (e) {
      if (e !== SETTLED) throw e;
    }
    return { kind: "none", reason: REASONS[this.reason] };
  }

  private progress(level: number): void {
    this.reason = Math.max(this.reason, level);
  }

  private context(name: string): FindResult | undefined {
    if (this.visited.length >= MAX_INCLUDE_DEPTH) return undefined;
    if (this.visited.some((v) => v.toLowerCase() === name.toLowerCase())) return undefined;
    const ctx = this.dp.contexts.get(name);
    if (!ctx) return undefined;
    this.progress(1);
    const found = this.extensions(ctx);
    if (found) return found;
    this.visited.push(name);
    for (const inc of ctx.includes) {
      if (inc.timing && (this.options.now === undefined || !timingHoldsAt(inc.timing, this.options.now, this.options.timezone))) continue;
      const r = this.context(inc.context);
      if (r) return r;
    }
    for (const sw of ctx.switches) {
      const index = this.switchesSeen++;
      if (index >= (this.options.skipSwitches ?? 0)) return { kind: "switch", context: name, switch: sw, index };
    }
    return undefined;
  }

  private extensions(ctx: Context): FindResult | undefined {
    const mode = this.options.mode ?? "match";
    const index = indexOf(ctx);
    // An exact question can only be answered by plain extensions equal to it, so those are looked up directly.
    const plain = mode === "match" ? index.byKey.get(extensionKey(this.exten.split("\0")[0])) ?? [] : index.plain;
    for (const candidates of [plain, index.patterns]) {
      for (const e of candidates) {
        const m = matchExtension(e.name, this.exten, mode);
        if (m === "no" || (e.callerId !== undefined && !matchCallerId(e.callerId, this.callerId))) continue;
        if (m === "early" && mode === "matchmore") throw SETTLED;
        const p = this.pick(e);
        if (p) return { kind: "found", context: ctx.name, extension: e, priority: p };
      }
    }
    return undefined;
  }

  private pick(e: Extension): Priority | undefined {
    this.progress(2);
    if (typeof this.priority === "string") {
      this.progress(3);
      const n = e.labels.get(this.priority);
      return n === undefined ? undefined : e.priorities.find((p) => p.priority === n);
    }
    return e.priorities.find((p) => p.priority === this.priority);
  }
}

/**
 * Finds the priority to run for `exten` dialled in `context` by `callerId`.
 * `priority` is a number (1, 2, ..., or HINT) or a label name.
 */
export function findExtension(
  dp: Dialplan, context: string, exten: string, callerId: string | undefined, priority: number | string, options: FindOptions = {},
): FindResult {
  return new Search(dp, exten, callerId, priority, options).run(context);
}

/** True when `exten` (priority 1 by default) can run now. */
export function extensionExists(dp: Dialplan, context: string, exten: string, callerId?: string, priority: number | string = 1, options: FindOptions = {}): boolean {
  return findExtension(dp, context, exten, callerId, priority, { ...options, mode: "match" }).kind !== "none";
}

/** True when `exten` matches or could match with more digits (Asterisk's canmatch). */
export function canMatchExtension(dp: Dialplan, context: string, exten: string, callerId?: string, priority: number | string = 1, options: FindOptions = {}): boolean {
  return findExtension(dp, context, exten, callerId, priority, { ...options, mode: "canmatch" }).kind !== "none";
}

/** True when more digits could still match: WaitExten and overlap dialling keep collecting. */
export function matchMoreExtension(dp: Dialplan, context: string, exten: string, callerId?: string, priority: number | string = 1, options: FindOptions = {}): boolean {
  return findExtension(dp, context, exten, callerId, priority, { ...options, mode: "matchmore" }).kind !== "none";
}

/** The priority number a label stands for in the extension that would run, if any. */
export function findLabel(dp: Dialplan, context: string, exten: string, label: string, callerId?: string, options: FindOptions = {}): number | undefined {
  const r = findExtension(dp, context, exten, callerId, label, options);
  return r.kind === "found" ? r.priority.priority : undefined;
}

/** The hint for an extension (its device list in `app`), if any. */
export function findHint(dp: Dialplan, context: string, exten: string, options: FindOptions = {}): Priority | undefined {
  const r = findExtension(dp, context, exten, "", HINT, options);
  return r.kind === "found" ? r.priority : undefined;
}

/** Whether digits dialled in `context` match one of its `ignorepat`s (dial tone stays on). */
export function isIgnoredPattern(dp: Dialplan, context: string, digits: string): boolean {
  const ctx = dp.contexts.get(context);
  return !!ctx && ctx.ignorePatterns.some((ip) => matchExtension(ip.pattern, digits, "match") !== "no");
}
