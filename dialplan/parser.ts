/**
 * extensions.conf → Dialplan, read the way Asterisk's pbx_config reads it:
 *
 *   [general]   static, writeprotect, autofallthrough, extenpatternmatchnew, clearglobalvars, userscontext
 *   [globals]   NAME = value   (substituted with the globals set before it)
 *   [context]   exten => name[/callerid],priority[(label)],App(args)
 *               same => priority[(label)],App(args)
 *               include => context[,times,weekdays,mdays,months[,timezone]]
 *               switch => Module/data   (eswitch: data substituted per call; lswitch: never)
 *               ignorepat => pattern
 *
 * A priority is a number, `n`/`next` (previous line + 1), `s`/`same` (previous line's),
 * `hint`, or a label already defined in the extension; `+k` adds k. "Previous line"
 * means the previous extension line of the context, whatever its extension, as in
 * Asterisk. Sections come from the shared tokenizer (comments, `#include`, templates).
 *
 * Problems are collected with file and line. By default any error (duplicate priority,
 * `n` with no previous priority, bad application syntax, ...) makes the load throw a
 * DialplanError listing them all; `lenient` instead skips the bad lines, as Asterisk
 * does, and returns the problems.
 */
import { ConfError, parseConfFile, parseConfText, resolveTemplates, type ConfFile, type ConfOptions, type ConfSection } from "../conf/tokenizer.js";
import type { FunctionReader } from "./functions.js";
import { ContextBuilder, DEFAULT_GENERAL, HINT, type AddResult, type Context, type Dialplan, type GeneralOptions, type SourcePosition } from "./model.js";
import { compactExtension, isPattern, patternProblem, shrinkPhoneNumber } from "./pattern.js";
import { substitute } from "./substitute.js";
import { parseTiming } from "./timing.js";
import { setVariable, type VariableList } from "./variables.js";
import { yesNo } from "../conf/yes-no.js";

export interface DialplanDiagnostic extends SourcePosition {
  readonly severity: "error" | "warning";
  readonly reason: string;
}

/** A dialplan that does not load: every problem found, the first error named by file and line. */
export class DialplanError extends ConfError {
  constructor(readonly diagnostics: readonly DialplanDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    const first = errors[0] ?? diagnostics[0];
    const more = errors.length - 1;
    super(first.file, first.line, `${first.reason}${more > 0 ? ` (and ${more} more error${more > 1 ? "s" : ""})` : ""}`);
  }
}

export interface DialplanLoadOptions {
  /** Skip bad lines and report them instead of throwing (Asterisk's behaviour). */
  readonly lenient?: boolean;
  /** Functions usable by `${...}` in `[globals]` values and extension names at load time. */
  readonly readFunction?: FunctionReader;
  /** Passed to the tokenizer. */
  readonly conf?: ConfOptions;
}

export interface DialplanLoad {
  readonly dialplan: Dialplan;
  readonly diagnostics: readonly DialplanDiagnostic[];
}

/** Parses extensions.conf text (`file` names it in diagnostics). */
export function parseDialplan(text: string, file = "extensions.conf", options: DialplanLoadOptions = {}): DialplanLoad {
  return buildDialplan(parseConfText(text, file, options.conf), options);
}

/** Reads extensions.conf from disk, following `#include`. */
export function loadDialplan(path: string, options: DialplanLoadOptions = {}): DialplanLoad {
  return buildDialplan(parseConfFile(path, options.conf), options);
}

const isTrue = (v: string | undefined) => v !== undefined && yesNo(v) === true;

/** Builds the dialplan from tokenized sections. */
export function buildDialplan(conf: ConfFile, options: DialplanLoadOptions = {}): DialplanLoad {
  const diagnostics: DialplanDiagnostic[] = conf.warnings.map((w) => ({ severity: "warning", file: w.file, line: w.line, reason: w.reason }));
  const loader = new Loader(diagnostics, options.readFunction);
  const sections = resolveTemplates(conf);
  for (const s of sections) if (s.name.toLowerCase() === "globals") loader.globalsSection(s);
  for (const s of sections) {
    const lower = s.name.toLowerCase();
    if (lower === "general") loader.generalSection(s);
    else if (lower !== "globals") loader.contextSection(s);
  }
  const dialplan = loader.finish();
  if (!options.lenient && diagnostics.some((d) => d.severity === "error")) throw new DialplanError(diagnostics);
  return { dialplan, diagnostics };
}

/** pbx_config's split of the extension field: the first `,` outside `[ ]`, a backslash protecting the next character. */
function splitFirstField(value: string): [string, string | undefined] {
  let square = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === "[") square++;
    else if (ch === "]") { if (square) square--; }
    else if (ch === "\\") i++;
    else if (ch === "," && !square) return [value.slice(0, i), value.slice(i + 1)];
  }
  return [value, undefined];
}

function splitAtComma(value: string | undefined): [string, string | undefined] {
  if (value === undefined) return ["", undefined];
  const i = value.indexOf(",");
  return i < 0 ? [value, undefined] : [value.slice(0, i), value.slice(i + 1)];
}

const APP_NAME = /^[A-Za-z0-9_]+$/;

class Loader {
  private globals: VariableList = [];
  private general: GeneralOptions = DEFAULT_GENERAL;
  private readonly builders = new Map<string, ContextBuilder>();

  constructor(private readonly diagnostics: DialplanDiagnostic[], private readonly readFunction: FunctionReader | undefined) {}

  private report(severity: "error" | "warning", at: SourcePosition, reason: string): void {
    this.diagnostics.push({ severity, file: at.file, line: at.line, reason });
  }

  private added(at: SourcePosition, r: AddResult): void {
    if (r) this.report("error" in r ? "error" : "warning", at, "error" in r ? r.error : r.warning);
  }

  /** Load-time substitution: globals only, no channel. */
  private expand(text: string, at: SourcePosition, builtin?: (name: string) => string | undefined): string {
    if (!text.includes("$")) return text;
    const r = substitute(text, { globals: this.globals, readFunction: this.readFunction, ...(builtin ? { builtin } : {}) });
    for (const w of r.warnings) this.report("warning", at, w);
    return r.value;
  }

  globalsSection(s: ConfSection): void {
    for (const e of s.entries) this.globals = setVariable(this.globals, e.key, this.expand(e.value, e));
  }

  generalSection(s: ConfSection): void {
    const get = (key: string) => s.entries.filter((e) => e.key.toLowerCase() === key).at(-1)?.value;
    const auto = get("autofallthrough"), newpm = get("extenpatternmatchnew");
    this.general = {
      static: isTrue(get("static")),
      writeProtect: isTrue(get("writeprotect")),
      autoFallthrough: auto === undefined ? DEFAULT_GENERAL.autoFallthrough : isTrue(auto),
      extenPatternMatchNew: newpm === undefined ? DEFAULT_GENERAL.extenPatternMatchNew : isTrue(newpm),
      clearGlobalVars: isTrue(get("clearglobalvars")),
      usersContext: get("userscontext") || DEFAULT_GENERAL.usersContext,
    };
  }

  contextSection(s: ConfSection): void {
    let builder = this.builders.get(s.name);
    if (!builder) {
      builder = new ContextBuilder(s.name, { file: s.file, line: s.line });
      this.builders.set(s.name, builder);
    }
    // "Previous line" state restarts with every section, as in Asterisk.
    const state: LineState = { lastPriority: undefined, lastExtension: undefined };
    for (const e of s.entries) {
      const key = e.key.toLowerCase();
      if (key === "exten") {
        const [ext, rest] = splitFirstField(e.value);
        state.lastExtension = this.expand(ext, e);
        this.extensionLine(builder, state.lastExtension, rest, e, state);
      } else if (key.startsWith("same")) {
        if (state.lastExtension === undefined) {
          this.report("error", e, `'same' needs a previous 'exten' line in context '${s.name}'`);
          continue;
        }
        this.extensionLine(builder, state.lastExtension, e.value, e, state);
      } else if (key === "include") {
        const text = this.expand(e.value, e).trim();
        const cut = text.search(/[|,]/);
        const context = (cut < 0 ? text : text.slice(0, cut)).trim();
        if (!context) { this.report("error", e, "include needs a context name"); continue; }
        const timing = cut < 0 ? undefined : parseTiming(text.slice(cut + 1), (w) => this.report("warning", e, w));
        this.added(e, builder.addInclude({ context, text, ...(timing ? { timing } : {}), position: { file: e.file, line: e.line } }));
      } else if (key === "ignorepat") {
        const pattern = this.expand(e.value, e).trim();
        if (!pattern) { this.report("error", e, "ignorepat needs a pattern"); continue; }
        this.added(e, builder.addIgnorePattern({ pattern, position: { file: e.file, line: e.line } }));
      } else if (key === "switch" || key === "lswitch" || key === "eswitch") {
        const text = key === "switch" ? this.expand(e.value, e) : e.value;
        const slash = text.indexOf("/");
        const module = (slash < 0 ? text : text.slice(0, slash)).trim();
        if (!module) { this.report("error", e, `${key} needs a switch module (${key} => Module/data)`); continue; }
        this.added(e, builder.addSwitch({ module, data: slash < 0 ? "" : text.slice(slash + 1), evaluate: key === "eswitch", position: { file: e.file, line: e.line } }));
      } else if (key === "autohints") {
        builder.autohints = isTrue(e.value);
      } else {
        this.report("warning", e, `unknown directive '${e.key}' in context '${s.name}', ignored`);
      }
    }
  }

  /** One `exten =>` / `same =>` line, from the priority field on. */
  private extensionLine(builder: ContextBuilder, rawExtension: string, rest: string | undefined, at: SourcePosition, state: LineState): void {
    const slash = rawExtension.indexOf("/");
    const name = compactExtension(slash < 0 ? rawExtension : rawExtension.slice(0, slash));
    const callerId = slash < 0 ? undefined : shrinkPhoneNumber(rawExtension.slice(slash + 1));
    if (name === "") { this.report("error", at, "extension name is empty"); return; }

    const [priorityField, appField] = splitAtComma(rest);
    const priority = this.priority(builder, name, callerId, priorityField.trim(), at, state);
    if (!priority) return;
    state.lastPriority = priority.number;

    const app = priority.number === HINT
      ? { app: this.expand((appField ?? "").trim(), at, isPattern(name) ? undefined : (v) => (v === "EXTEN" ? name : v === "CONTEXT" ? builder.name : undefined)), data: "" }
      : this.application(appField ?? "", at);
    if (!app) return;

    for (const problem of [patternProblem(name), callerId === undefined ? undefined : patternProblem(callerId)]) {
      if (problem) this.report("warning", at, `extension '${rawExtension}': ${problem}`);
    }
    if (name === "_." || name === "_!") {
      this.report("warning", at, `the use of '${name}' for an extension is strongly discouraged and can have unexpected behavior; use '_X${name[1]}' instead`);
    }
    this.added(at, builder.addPriority(name, callerId, {
      priority: priority.number,
      ...(priority.label ? { label: priority.label } : {}),
      app: app.app, appData: app.data, position: { file: at.file, line: at.line },
    }));
  }

  private priority(builder: ContextBuilder, name: string, callerId: string | undefined, field: string, at: SourcePosition, state: LineState): { number: number; label?: string } | undefined {
    let text = field, label: string | undefined;
    const open = text.indexOf("(");
    if (open >= 0) {
      const close = text.indexOf(")", open + 1);
      if (close < 0) { this.report("error", at, `label missing trailing ')' in priority '${field}'`); return undefined; }
      label = text.slice(open + 1, close).trim() || undefined;
      text = text.slice(0, open).trim();
    }
    let offset = 0;
    const plus = text.indexOf("+");
    if (plus >= 0) {
      offset = Number.parseInt(text.slice(plus + 1), 10) || 0;
      text = text.slice(0, plus).trim();
    }
    let n: number;
    if (text === "hint") {
      if (offset) { this.report("error", at, "a hint takes no offset"); return undefined; }
      return { number: HINT, ...(label ? { label } : {}) };
    } else if (text === "n" || text === "next" || text === "s" || text === "same") {
      const relative = text.startsWith("n") ? 1 : 0;
      if (state.lastPriority === undefined) {
        this.report("error", at, `can't use '${text}' priority on the first entry of a context: number it`);
        return undefined;
      }
      if (state.lastPriority === HINT) {
        this.report("error", at, `can't use '${text}' priority right after a hint: number it`);
        return undefined;
      }
      n = state.lastPriority + relative;
    } else if (/^\s*[+-]?\d/.test(text)) {
      n = Number.parseInt(text, 10);
      if (!/^\s*[+-]?\d+\s*$/.test(text)) this.report("warning", at, `priority '${text}' read as ${n}`);
      if (n < 1) { this.report("error", at, `invalid priority '${field}': priorities start at 1`); return undefined; }
    } else {
      const byLabel = text ? builder.labelPriority(name, callerId, text) : undefined;
      if (byLabel === undefined) {
        this.report("error", at, text ? `invalid priority/label '${text}'` : "missing priority");
        return undefined;
      }
      n = byLabel;
    }
    n += offset;
    if (n < 1) { this.report("error", at, `invalid priority '${field}' (${n})`); return undefined; }
    return { number: n, ...(label ? { label } : {}) };
  }

  /** `App(args)`: the data runs to the last `)`; `App` alone has no data. */
  private application(field: string, at: SourcePosition): { app: string; data: string } | undefined {
    const open = field.indexOf("(");
    let app: string, data = "";
    if (open < 0) app = field.trim();
    else {
      app = field.slice(0, open).trim();
      const close = field.lastIndexOf(")");
      if (close < open) {
        this.report("error", at, `no closing parenthesis found for '${field.trim()}'`);
        return undefined;
      }
      data = field.slice(open + 1, close);
      const trailing = field.slice(close + 1).trim();
      if (trailing) this.report("warning", at, `text after the closing parenthesis ignored: '${trailing}'`);
    }
    if (!app) { this.report("error", at, "missing application"); return undefined; }
    if (!APP_NAME.test(app)) {
      this.report("error", at, `bad application syntax '${field.trim()}': expected App(arguments)`);
      return undefined;
    }
    return { app, data };
  }

  finish(): Dialplan {
    const contexts = new Map<string, Context>();
    for (const [name, b] of this.builders) contexts.set(name, b.build());
    for (const ctx of contexts.values()) {
      for (const inc of ctx.includes) {
        if (!contexts.has(inc.context)) this.report("warning", inc.position, `context '${ctx.name}' includes '${inc.context}', which does not exist`);
      }
    }
    return { general: this.general, globals: this.globals, contexts };
  }
}

interface LineState {
  lastPriority: number | undefined;
  lastExtension: string | undefined;
}
