/**
 * AEL syntax tree → the Dialplan model, as Asterisk's pbx_ael compiles AEL into
 * extensions.conf priorities. Every statement becomes numbered priorities of its
 * extension (1, 2, 3, ... in source order); control flow becomes Goto/GotoIf to
 * generated labels, each carried by a `NoOp()` priority of its own (or by the loop's
 * test) so `dialplan show` reads like hand-written extensions.conf:
 *
 *   App(args);                    App(args)              (each top-level argument trimmed)
 *   x = value;                    Set(x=$[value])        (as Asterisk: the value is an expression)
 *   local x = value;              Set(LOCAL(x)=$[value])
 *   FUNC(a) = value;              Set(FUNC(a)=$[value])
 *   label:                        (label) NoOp()
 *   if (c) A else B               GotoIf($[c]?:__ifN_else) A Goto(__ifN_end) (__ifN_else) NoOp() B (__ifN_end) NoOp()
 *   if (c) A                      GotoIf($[c]?:__ifN_end) A (__ifN_end) NoOp()
 *   ifTime (t|d|m|mo) A ...       GotoIfTime(t,d,m,mo?:__ifN_else) ...  (same layout as if)
 *   while (c) A                   (__whileN_top) GotoIf($[c]?:__whileN_end) A Goto(__whileN_top) (__whileN_end) NoOp()
 *   for (i; c; inc) A             i (__forN_top) GotoIf($[c]?:__forN_end) A (__forN_next) inc Goto(__forN_top) (__forN_end) NoOp()
 *   switch (v) { case X: ...      GotoIf($["v" = "X"]?__swN_0)           one test per case, in source order,
 *                pattern _P: ...  GotoIf($["xv" : "x(?:regex)$"]?__swN_1) then one per pattern, most specific first
 *                default: ... }   Goto(__swN_default | __swN_end)
 *                                 (__swN_0) NoOp() body...   (a case without break falls into the next one)
 *                                 (__swN_end) NoOp()
 *   break; / continue;            Goto(__..._end) / Goto(__whileN_top | __forN_next)   (innermost loop/switch)
 *   goto [[ctx,]exten,]label;     Goto([[ctx,]exten,]label)
 *   jump exten[,prio][@ctx];      Goto([ctx,]exten,prio|1)
 *   return;                       Return()
 *   &m(a, b);                     Gosub(m,~~s~~,1(a,b))
 *   macro m(p, q) { ... }         context `m`, extension `~~s~~`: Set(LOCAL(p)=${ARG1}) Set(LOCAL(q)=${ARG2}) ... Return()
 *   hint(DEV) 100 => ...          a hint priority on 100
 *
 * N counts per extension. Unlike Asterisk (which turns a switch into hidden extensions
 * `sw-N-value` and so changes ${EXTEN} inside its cases), the switch stays in its
 * extension: ${EXTEN} is unchanged, and the switch value is substituted once per test.
 *
 * Checks (errors unless said): `goto label` naming no label of its extension (a warning
 * and `Goto(label,1)` when the context has an extension of that name: the seed's
 * `goto s;`), break/continue outside a loop, a context defined twice without `extend`,
 * a macro sharing a context's name, duplicate priorities; `&m()` of a macro this file
 * does not define is a warning (it may live in extensions.conf).
 */
import { ContextBuilder, HINT, type AddResult, type Context, type Dialplan, type SourcePosition } from "../model.js";
import { DEFAULT_GENERAL } from "../model.js";
import type { DialplanDiagnostic } from "../parser.js";
import { compactExtension, compareExtensions, patternProblem, shrinkPhoneNumber } from "../pattern.js";
import { parseTiming } from "../timing.js";
import { setVariable, type VariableList } from "../variables.js";
import { splitTopLevel, type AelTree, type At, type ContextDecl, type ExtensionDecl, type Statement } from "./parser.js";

/** The extension a compiled macro lives at (Asterisk's name for it). */
export const MACRO_EXTENSION = "~~s~~";

interface Emitted { app: string; data: string; label?: string; at: At }

/** Where break and continue go in the innermost enclosing loop or switch. */
interface Scope { readonly kind: "loop" | "switch"; readonly breakLabel: string; readonly continueLabel?: string }

/** Extension pattern (after `_`) → JavaScript regex source, for a switch's `pattern`. */
export function patternRegex(pattern: string): string {
  const body = pattern.startsWith("_") ? pattern.slice(1) : pattern;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    const upper = c.toUpperCase();
    if (upper === "X") out += "[0-9]";
    else if (upper === "Z") out += "[1-9]";
    else if (upper === "N") out += "[2-9]";
    else if (c === ".") out += ".+";
    else if (c === "!") out += ".*";
    else if (c === "-") continue;
    else if (c === "[") {
      const close = body.indexOf("]", i + 1);
      const set = close < 0 ? body.slice(i + 1) : body.slice(i + 1, close);
      out += `[${set.replace(/[\\\]^]/g, "")}]`;
      i = close < 0 ? body.length : close;
    } else if (/[A-Za-z0-9]/.test(c)) out += c;
    else if (c !== "\\" && c !== "]" && c !== "^" && c !== '"') out += `[${c}]`;
  }
  return out;
}

/** `x=value` or `App(args)` (a for's init and increment). */
function simpleStatement(text: string, at: At): Statement | undefined {
  if (!text) return undefined;
  const eq = text.indexOf("="), open = text.indexOf("(");
  if (eq > 0 && (open < 0 || eq < open || text.slice(open).indexOf(")") < eq - open)) {
    return { kind: "set", name: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim(), local: false, at };
  }
  if (open > 0 && text.endsWith(")")) return { kind: "app", name: text.slice(0, open).trim(), args: text.slice(open + 1, -1), at };
  return { kind: "app", name: text, args: undefined, at };
}

const trimArgs = (args: string) => splitTopLevel(args).map((a) => a.trim()).join(",");

class ExtensionCompiler {
  readonly out: Emitted[] = [];
  private counter = 0;
  private readonly scopes: Scope[] = [];
  /** `goto label;` with one part: checked once the extension's labels are known. */
  readonly shortGotos: { index: number; label: string; at: At }[] = [];
  readonly longGotos: { context: string; exten: string; label: string; at: At }[] = [];

  constructor(private readonly c: Compiler, readonly context: string, readonly extension: string) {}

  private emit(app: string, data: string, at: At, label?: string): number {
    this.out.push({ app, data, at, ...(label !== undefined ? { label } : {}) });
    return this.out.length - 1;
  }

  private fresh(kind: string): string { return `__${kind}${++this.counter}`; }

  statements(list: readonly Statement[]): void { for (const s of list) this.statement(s); }

  statement(s: Statement): void {
    switch (s.kind) {
      case "block": this.statements(s.body); break;
      case "app": this.emit(s.name, s.args === undefined ? "" : trimArgs(s.args), s.at); break;
      case "set":
        this.emit("Set", `${s.local ? `LOCAL(${s.name})` : s.name}=$[${s.value}]`, s.at);
        break;
      case "label": this.emit("NoOp", "", s.at, s.name); break;
      case "return": this.emit("Return", "", s.at); break;
      case "call": {
        if (!this.c.macroNames.has(s.macro)) this.c.warn(s.at, `&${s.macro}(): no macro '${s.macro}' in this file (it must be a context with extension '${MACRO_EXTENSION}')`);
        this.emit("Gosub", `${s.macro},${MACRO_EXTENSION},1(${trimArgs(s.args)})`, s.at);
        break;
      }
      case "if": {
        const id = this.fresh("if");
        const end = `${id}_end`, otherwise = s.else ? `${id}_else` : end;
        if (s.time) this.emit("GotoIfTime", `${splitTopLevel(s.condition, "|").map((f) => f.trim()).join(",")}?:${otherwise}`, s.at);
        else this.emit("GotoIf", `$[${s.condition}]?:${otherwise}`, s.at);
        this.statement(s.then);
        if (s.else) {
          this.emit("Goto", end, s.at);
          this.emit("NoOp", "", s.else.at, otherwise);
          this.statement(s.else);
        }
        this.emit("NoOp", "", s.at, end);
        break;
      }
      case "while": {
        const id = this.fresh("while");
        const top = `${id}_top`, end = `${id}_end`;
        this.emit("GotoIf", `$[${s.condition}]?:${end}`, s.at, top);
        this.scoped({ kind: "loop", breakLabel: end, continueLabel: top }, () => this.statement(s.body));
        this.emit("Goto", top, s.at);
        this.emit("NoOp", "", s.at, end);
        break;
      }
      case "for": {
        const id = this.fresh("for");
        const top = `${id}_top`, next = `${id}_next`, end = `${id}_end`;
        const init = simpleStatement(s.init, s.at);
        if (init) this.statement(init);
        this.emit("GotoIf", `$[${s.condition}]?:${end}`, s.at, top);
        this.scoped({ kind: "loop", breakLabel: end, continueLabel: next }, () => this.statement(s.body));
        const inc = simpleStatement(s.increment, s.at);
        const at = this.out.length;
        if (inc) this.statement(inc);
        else this.emit("NoOp", "", s.at);
        this.out[at].label = next;
        this.emit("Goto", top, s.at);
        this.emit("NoOp", "", s.at, end);
        break;
      }
      case "switch": {
        const id = this.fresh("sw");
        const end = `${id}_end`;
        const labels = s.cases.map((c, i) => (c.kind === "default" ? `${id}_default` : `${id}_${i}`));
        s.cases.forEach((c, i) => {
          if (c.kind === "case") this.emit("GotoIf", `$["${s.value}" = "${c.value}"]?${labels[i]}`, c.at);
        });
        const patterns = s.cases.map((c, i) => ({ c, i })).filter(({ c }) => c.kind === "pattern");
        patterns.sort((a, b) => compareExtensions(a.c.value.startsWith("_") ? a.c.value : `_${a.c.value}`, b.c.value.startsWith("_") ? b.c.value : `_${b.c.value}`) || a.i - b.i);
        for (const { c, i } of patterns) {
          this.emit("GotoIf", `$["x${s.value}" : "x(?:${patternRegex(c.value)})$"]?${labels[i]}`, c.at);
        }
        const def = s.cases.findIndex((c) => c.kind === "default");
        this.emit("Goto", def < 0 ? end : labels[def], s.at);
        this.scoped({ kind: "switch", breakLabel: end }, () => {
          s.cases.forEach((c, i) => {
            this.emit("NoOp", "", c.at, labels[i]);
            this.statements(c.body);
          });
        });
        this.emit("NoOp", "", s.at, end);
        break;
      }
      case "break": {
        const scope = this.scopes.at(-1);
        if (!scope) { this.c.error(s.at, "'break' outside a loop or switch"); break; }
        this.emit("Goto", scope.breakLabel, s.at);
        break;
      }
      case "continue": {
        const loop = [...this.scopes].reverse().find((x) => x.kind === "loop");
        if (!loop) { this.c.error(s.at, "'continue' outside a loop"); break; }
        this.emit("Goto", loop.continueLabel!, s.at);
        break;
      }
      case "goto": {
        let parts = splitTopLevel(s.target).map((p) => p.trim());
        if (parts.length === 1 && s.target.includes("|")) parts = splitTopLevel(s.target, "|").map((p) => p.trim());
        if (parts.length > 3 || parts.some((p) => p === "")) { this.c.error(s.at, `goto: bad destination '${s.target}' (expected [[context,]extension,]label)`); break; }
        const index = this.emit("Goto", parts.join(","), s.at);
        const label = parts[parts.length - 1];
        if (!/^\d+$/.test(label) && !s.target.includes("$")) {
          if (parts.length === 1) this.shortGotos.push({ index, label, at: s.at });
          else this.longGotos.push({ context: parts.length === 3 ? parts[0] : this.context, exten: parts[parts.length - 2], label, at: s.at });
        }
        break;
      }
      case "jump": {
        const atSign = s.target.lastIndexOf("@");
        const where = atSign < 0 ? s.target : s.target.slice(0, atSign);
        const context = atSign < 0 ? "" : s.target.slice(atSign + 1).trim();
        const [exten, priority] = splitTopLevel(where).map((p) => p.trim());
        if (!exten) { this.c.error(s.at, `jump: bad destination '${s.target}' (expected extension[,priority][@context])`); break; }
        this.emit("Goto", [...(context ? [context] : []), exten, priority || "1"].join(","), s.at);
        break;
      }
    }
  }

  private scoped(scope: Scope, body: () => void): void {
    this.scopes.push(scope);
    try { body(); } finally { this.scopes.pop(); }
  }
}

/** The user labels of every extension in the file: context → extension → labels. */
function collectLabels(tree: AelTree): Map<string, Map<string, Set<string>>> {
  const all = new Map<string, Map<string, Set<string>>>();
  const walk = (list: readonly Statement[], into: Set<string>) => {
    for (const s of list) {
      if (s.kind === "label") into.add(s.name);
      else if (s.kind === "block") walk(s.body, into);
      else if (s.kind === "if") { walk([s.then], into); if (s.else) walk([s.else], into); }
      else if (s.kind === "while" || s.kind === "for") walk([s.body], into);
      else if (s.kind === "switch") for (const c of s.cases) walk(c.body, into);
    }
  };
  const add = (context: string, exten: string, body: readonly Statement[]) => {
    let ctx = all.get(context);
    if (!ctx) all.set(context, (ctx = new Map()));
    let set = ctx.get(exten);
    if (!set) ctx.set(exten, (set = new Set()));
    walk(body, set);
  };
  for (const c of tree.contexts) for (const i of c.items) if (i.kind === "extension") add(c.name, compactExtension(i.name.split("/")[0]), i.body);
  for (const m of tree.macros) add(m.name, MACRO_EXTENSION, m.body);
  return all;
}

class Compiler {
  readonly diagnostics: DialplanDiagnostic[] = [];
  readonly macroNames: Set<string>;
  private readonly builders = new Map<string, { builder: ContextBuilder; at: At }>();
  private readonly labels: Map<string, Map<string, Set<string>>>;

  constructor(private readonly tree: AelTree) {
    this.macroNames = new Set(tree.macros.map((m) => m.name));
    this.labels = collectLabels(tree);
  }

  error(at: At, reason: string): void { this.diagnostics.push({ severity: "error", file: at.file, line: at.line, reason }); }
  warn(at: At, reason: string): void { this.diagnostics.push({ severity: "warning", file: at.file, line: at.line, reason }); }

  private added(at: At, r: AddResult): void {
    if (!r) return;
    if ("error" in r) this.error(at, r.error);
    else this.warn(at, r.warning);
  }

  compile(): Dialplan {
    let globals: VariableList = [];
    for (const g of this.tree.globals) globals = setVariable(globals, g.name, g.value);
    for (const c of this.tree.contexts) this.context(c);
    for (const m of this.tree.macros) {
      const taken = this.builders.get(m.name);
      if (taken) { this.error(m.at, `macro '${m.name}' has the name of the context defined at ${taken.at.file}:${taken.at.line}`); continue; }
      const builder = new ContextBuilder(m.name, m.at);
      this.builders.set(m.name, { builder, at: m.at });
      const ext = new ExtensionCompiler(this, m.name, MACRO_EXTENSION);
      m.params.forEach((p, i) => ext.statement({ kind: "app", name: "Set", args: `LOCAL(${p})=\${ARG${i + 1}}`, at: m.at }));
      ext.statements(m.body);
      ext.statement({ kind: "return", at: m.at });
      this.finishExtension(builder, MACRO_EXTENSION, undefined, ext, undefined);
    }
    const contexts = new Map<string, Context>();
    for (const [name, { builder }] of this.builders) contexts.set(name, builder.build());
    return { general: DEFAULT_GENERAL, globals, contexts };
  }

  private context(c: ContextDecl): void {
    const existing = this.builders.get(c.name);
    if (existing && !c.extend) {
      this.error(c.at, `context '${c.name}' is already defined at ${existing.at.file}:${existing.at.line} (use 'extend context' to add to it)`);
      return;
    }
    const builder = existing?.builder ?? new ContextBuilder(c.name, c.at);
    if (!existing) this.builders.set(c.name, { builder, at: c.at });
    const pos = (at: At): SourcePosition => ({ file: at.file, line: at.line });
    for (const item of c.items) {
      switch (item.kind) {
        case "include": {
          const cut = item.text.search(/[|,]/);
          const context = (cut < 0 ? item.text : item.text.slice(0, cut)).trim();
          const timing = cut < 0 ? undefined : parseTiming(item.text.slice(cut + 1), (w) => this.warn(item.at, w));
          this.added(item.at, builder.addInclude({ context, text: item.text, ...(timing ? { timing } : {}), position: pos(item.at) }));
          break;
        }
        case "switch": {
          const slash = item.text.indexOf("/");
          const module = (slash < 0 ? item.text : item.text.slice(0, slash)).trim();
          if (!module) { this.error(item.at, "a switch needs a module (Module/data)"); break; }
          this.added(item.at, builder.addSwitch({ module, data: slash < 0 ? "" : item.text.slice(slash + 1), evaluate: item.evaluate, position: pos(item.at) }));
          break;
        }
        case "ignorepat":
          this.added(item.at, builder.addIgnorePattern({ pattern: item.pattern, position: pos(item.at) }));
          break;
        case "extension":
          this.extension(builder, c, item);
          break;
      }
    }
  }

  private extension(builder: ContextBuilder, c: ContextDecl, e: ExtensionDecl): void {
    const slash = e.name.indexOf("/");
    const name = compactExtension(slash < 0 ? e.name : e.name.slice(0, slash));
    const callerId = slash < 0 ? undefined : shrinkPhoneNumber(e.name.slice(slash + 1));
    if (!name) { this.error(e.at, "extension name is empty"); return; }
    for (const problem of [patternProblem(name), callerId === undefined ? undefined : patternProblem(callerId)]) {
      if (problem) this.warn(e.at, `extension '${e.name}': ${problem}`);
    }
    const ext = new ExtensionCompiler(this, c.name, name);
    ext.statements(e.body);
    if (ext.out.length === 0) this.warn(e.at, `extension '${name}' in context '${c.name}' has no statements`);
    this.finishExtension(builder, name, callerId, ext, e.hint === undefined ? undefined : { devices: e.hint, at: e.at });
  }

  private finishExtension(builder: ContextBuilder, name: string, callerId: string | undefined, ext: ExtensionCompiler, hint: { devices: string; at: At } | undefined): void {
    const own = this.labels.get(ext.context)?.get(name) ?? new Set<string>();
    for (const g of ext.shortGotos) {
      if (own.has(g.label)) continue;
      if (this.labels.get(ext.context)?.has(g.label)) {
        this.warn(g.at, `goto ${g.label}: no label '${g.label}' in extension '${name}'; read as extension '${g.label}', priority 1 (write 'goto ${g.label},1;')`);
        ext.out[g.index].data = `${g.label},1`;
      } else this.error(g.at, `goto ${g.label}: no label '${g.label}' in extension '${name}' of context '${ext.context}'`);
    }
    for (const g of ext.longGotos) {
      const labels = this.labels.get(g.context)?.get(g.exten);
      if (labels && !labels.has(g.label)) this.error(g.at, `goto: no label '${g.label}' in extension '${g.exten}' of context '${g.context}'`);
    }
    if (hint) this.added(hint.at, builder.addPriority(name, callerId, { priority: HINT, app: hint.devices, appData: "", position: { file: hint.at.file, line: hint.at.line } }));
    ext.out.forEach((p, i) => {
      this.added(p.at, builder.addPriority(name, callerId, {
        priority: i + 1, ...(p.label !== undefined ? { label: p.label } : {}), app: p.app, appData: p.data, position: { file: p.at.file, line: p.at.line },
      }));
    });
  }
}

export interface Compiled {
  readonly dialplan: Dialplan;
  readonly diagnostics: readonly DialplanDiagnostic[];
}

/** Compiles a parsed AEL file; problems are returned, not thrown. */
export function compileAel(tree: AelTree): Compiled {
  const compiler = new Compiler(tree);
  const dialplan = compiler.compile();
  return { dialplan, diagnostics: compiler.diagnostics };
}

