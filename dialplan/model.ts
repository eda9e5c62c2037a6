/**
 * The dialplan as data: contexts holding extensions (sorted in Asterisk's search order),
 * includes, switches and ignore patterns, plus the `[general]` options and the globals.
 * Plain immutable values, so the runtime can keep one per reload and a replay can
 * rebuild it from the configuration text.
 */
import { compareExtensions, extensionKey } from "./pattern.js";
import type { Timing } from "./timing.js";
import type { VariableList } from "./variables.js";

/** The priority number Asterisk gives a hint (`exten => 6001,hint,PJSIP/6001`). */
export const HINT = -1;

export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

/** One priority of an extension: what one `exten =>` or `same =>` line defines. */
export interface Priority {
  /** 1, 2, ... or HINT. */
  readonly priority: number;
  readonly label?: string;
  /** The application; for a hint, the device list (`PJSIP/6001&Custom:x`). */
  readonly app: string;
  /** The text between the application's parentheses, not yet substituted. */
  readonly appData: string;
  readonly position: SourcePosition;
}

export interface Extension {
  /** As written, blanks removed: `6001`, `_NXX-XXXX`, `s`. */
  readonly name: string;
  /** Caller-ID pattern after `/` (`306/_101`), undefined when any caller matches. */
  readonly callerId?: string;
  /** Ascending; a hint, if any, comes first. */
  readonly priorities: readonly Priority[];
  readonly labels: ReadonlyMap<string, number>;
}

export interface Include {
  /** The included context's name. */
  readonly context: string;
  /** The text as written, with any time specification (`daytime,9:00-17:00,mon-fri,*,*`). */
  readonly text: string;
  readonly timing?: Timing;
  readonly position: SourcePosition;
}

export interface Switch {
  /** The switch module: `IAX2`, `Loopback`, `DUNDi`, `Realtime`, or Recall's own. */
  readonly module: string;
  /** What follows the first `/`. */
  readonly data: string;
  /** `eswitch =>`: substitute variables in `data` at lookup time, with the channel's scope. */
  readonly evaluate: boolean;
  readonly position: SourcePosition;
}

export interface IgnorePattern {
  readonly pattern: string;
  readonly position: SourcePosition;
}

export interface Context {
  readonly name: string;
  /** In search order: plain extensions, then patterns, most specific first; caller-ID variants first. */
  readonly extensions: readonly Extension[];
  readonly includes: readonly Include[];
  readonly switches: readonly Switch[];
  readonly ignorePatterns: readonly IgnorePattern[];
  readonly autohints: boolean;
  /** Where the context was first declared. */
  readonly position: SourcePosition;
}

/** The `[general]` section of extensions.conf. */
export interface GeneralOptions {
  /** `static`: `dialplan save` is allowed to rewrite the file. */
  readonly static: boolean;
  /** `writeprotect`: `dialplan save` is refused. */
  readonly writeProtect: boolean;
  /** `autofallthrough` (default yes): running off the end of an extension hangs up instead of waiting. */
  readonly autoFallthrough: boolean;
  /** `extenpatternmatchnew`: Asterisk's trie matcher; Recall always searches the sorted list, which it documents as equivalent for matching. */
  readonly extenPatternMatchNew: boolean;
  /** `clearglobalvars`: a reload drops globals set at run time. */
  readonly clearGlobalVars: boolean;
  /** `userscontext` (default `default`). */
  readonly usersContext: string;
}

export const DEFAULT_GENERAL: GeneralOptions = {
  static: false, writeProtect: false, autoFallthrough: true, extenPatternMatchNew: false, clearGlobalVars: false, usersContext: "default",
};

export interface Dialplan {
  readonly general: GeneralOptions;
  /** `[globals]`, substituted at load in order, most recent first. */
  readonly globals: VariableList;
  /** In order of first declaration. */
  readonly contexts: ReadonlyMap<string, Context>;
}

/** Extension order within a context: Asterisk's pattern order, caller-ID variants before the plain one. */
export function compareExtensionEntries(a: Extension, b: Extension): number {
  const cmp = compareExtensions(a.name, b.name);
  if (cmp !== 0) return cmp;
  if (a.callerId === undefined || b.callerId === undefined) {
    return a.callerId === b.callerId ? 0 : a.callerId === undefined ? 1 : -1;
  }
  return compareExtensions(a.callerId, b.callerId);
}

/** The outcome of adding a priority: a problem to report, or none. */
export type AddResult = { readonly error: string } | { readonly warning: string } | undefined;

interface ExtensionDraft {
  readonly name: string;
  readonly callerId?: string;
  readonly priorities: Map<number, Priority>;
  readonly labels: Map<string, number>;
}

/** Collects one context's lines, then freezes them into a Context. */
export class ContextBuilder {
  private readonly drafts = new Map<string, ExtensionDraft>();
  private readonly includes: Include[] = [];
  private readonly switches: Switch[] = [];
  private readonly ignorePatterns: IgnorePattern[] = [];
  autohints = false;

  constructor(readonly name: string, readonly position: SourcePosition) {}

  /** Adds one priority; a duplicate priority is refused, a duplicate label is dropped with a warning. */
  addPriority(extension: string, callerId: string | undefined, p: Priority): AddResult {
    const key = `${extensionKey(extension)}\u0001${callerId === undefined ? "" : `/${extensionKey(callerId)}`}`;
    let draft = this.drafts.get(key);
    if (!draft) {
      draft = { name: extension, ...(callerId === undefined ? {} : { callerId }), priorities: new Map(), labels: new Map() };
      this.drafts.set(key, draft);
    }
    const what = p.priority === HINT ? "hint" : `priority ${p.priority}`;
    const taken = draft.priorities.get(p.priority);
    if (taken) {
      return { error: `extension '${extension}' ${what} in '${this.name}' is already defined at ${taken.position.file}:${taken.position.line}` };
    }
    let warning: string | undefined;
    let entry = p;
    if (p.label !== undefined) {
      const other = draft.labels.get(p.label);
      if (other !== undefined) {
        warning = `extension '${extension}' ${what} in '${this.name}': label '${p.label}' is already used at priority ${other}; label ignored`;
        const { label: _dropped, ...rest } = p;
        entry = rest;
      } else draft.labels.set(p.label, p.priority);
    }
    draft.priorities.set(p.priority, entry);
    return warning === undefined ? undefined : { warning };
  }

  /** The priority a label names in an extension (for `exten => 100,label+1,...`). */
  labelPriority(extension: string, callerId: string | undefined, label: string): number | undefined {
    const key = `${extensionKey(extension)}\u0001${callerId === undefined ? "" : `/${extensionKey(callerId)}`}`;
    return this.drafts.get(key)?.labels.get(label);
  }

  /** Adds an include; including the same context twice is refused (as Asterisk does). */
  addInclude(include: Include): AddResult {
    if (this.includes.some((i) => i.text === include.text)) return { warning: `context '${include.text}' is already included in '${this.name}'` };
    this.includes.push(include);
    return undefined;
  }

  addSwitch(sw: Switch): AddResult {
    if (this.switches.some((s) => s.module === sw.module && s.data === sw.data)) return { warning: `switch '${sw.module}/${sw.data}' is already in '${this.name}'` };
    this.switches.push(sw);
    return undefined;
  }

  addIgnorePattern(ip: IgnorePattern): AddResult {
    if (this.ignorePatterns.some((i) => i.pattern === ip.pattern)) return { warning: `ignore pattern '${ip.pattern}' is already in '${this.name}'` };
    this.ignorePatterns.push(ip);
    return undefined;
  }

  build(): Context {
    const extensions: Extension[] = [...this.drafts.values()].map((d) => ({
      name: d.name,
      ...(d.callerId === undefined ? {} : { callerId: d.callerId }),
      priorities: [...d.priorities.values()].sort((a, b) => a.priority - b.priority),
      labels: d.labels,
    }));
    extensions.sort(compareExtensionEntries);
    return {
      name: this.name, extensions, includes: [...this.includes], switches: [...this.switches],
      ignorePatterns: [...this.ignorePatterns], autohints: this.autohints, position: this.position,
    };
  }
}
