/**
 * AEL (extensions.ael) for Recall: lexer → parser → compiler into the same Dialplan
 * model extensions.conf loads into (see compiler.ts for the priority layout), and the
 * loading of a configuration directory's extensions.conf and extensions.ael together.
 *
 * Both files feed one dialplan, as Asterisk's pbx_config and pbx_ael share one context
 * table: a context defined in both is one context holding the extensions, includes,
 * switches and ignore patterns of both (extensions.conf's first); the same extension
 * and priority defined in both is an error naming both places. Globals of both are
 * set, extensions.ael's last (they win). `[general]` comes from extensions.conf.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ContextBuilder, type AddResult, type Context, type Dialplan } from "../model.js";
import { DialplanError, loadDialplan, type DialplanDiagnostic, type DialplanLoad } from "../parser.js";
import { setVariable } from "../variables.js";
import { compileAel } from "./compiler.js";
import { tokenize, type IncludeReader } from "./lexer.js";
import { parseTokens } from "./parser.js";

export { compileAel, MACRO_EXTENSION, patternRegex } from "./compiler.js";
export { tokenize } from "./lexer.js";
export { parseTokens, type AelTree } from "./parser.js";

export interface AelLoadOptions {
  /** Return the problems instead of throwing on errors (a syntax error always throws). */
  readonly lenient?: boolean;
  /** Reads `#include`d files (default: from disk). */
  readonly readInclude?: IncludeReader;
}

/** Compiles AEL text (`file` names it in diagnostics and anchors relative `#include`s). */
export function parseAel(text: string, file = "extensions.ael", options: AelLoadOptions = {}): DialplanLoad {
  const tree = parseTokens(tokenize(text, file, options.readInclude));
  const { dialplan, diagnostics } = compileAel(tree);
  if (!options.lenient && diagnostics.some((d) => d.severity === "error")) throw new DialplanError(diagnostics);
  return { dialplan, diagnostics };
}

/** Reads and compiles extensions.ael from disk. */
export function loadAel(path: string, options: AelLoadOptions = {}): DialplanLoad {
  return parseAel(readFileSync(path, "utf8"), path, options);
}

/** One dialplan from two: `second`'s contexts merged into `first`'s (see the module header). */
export function mergeDialplans(first: Dialplan, second: Dialplan): DialplanLoad {
  const diagnostics: DialplanDiagnostic[] = [];
  const added = (at: { file: string; line: number }, r: AddResult) => {
    if (r) diagnostics.push({ severity: "error" in r ? "error" : "warning", file: at.file, line: at.line, reason: "error" in r ? r.error : r.warning });
  };
  const contexts = new Map<string, Context>(first.contexts);
  for (const ctx of second.contexts.values()) {
    const existing = contexts.get(ctx.name);
    if (!existing) { contexts.set(ctx.name, ctx); continue; }
    const builder = new ContextBuilder(ctx.name, existing.position);
    builder.autohints = existing.autohints || ctx.autohints;
    for (const c of [existing, ctx]) {
      for (const e of c.extensions) for (const p of e.priorities) added(p.position, builder.addPriority(e.name, e.callerId, p));
      for (const i of c.includes) added(i.position, builder.addInclude(i));
      for (const s of c.switches) added(s.position, builder.addSwitch(s));
      for (const ip of c.ignorePatterns) added(ip.position, builder.addIgnorePattern(ip));
    }
    contexts.set(ctx.name, builder.build());
  }
  let globals = first.globals;
  for (const v of [...second.globals].reverse()) globals = setVariable(globals, v.name, v.value);
  return { dialplan: { general: first.general, globals, contexts }, diagnostics };
}

const MISSING_INCLUDE = /^context '[^']*' includes '([^']*)', which does not exist$/;

/**
 * The dialplan of a configuration directory: extensions.conf and/or extensions.ael.
 * Undefined when neither exists; throws a DialplanError on any error (each problem
 * with its file and line).
 */
export function loadDialplanFiles(configDir: string): (DialplanLoad & { readonly files: readonly string[] }) | undefined {
  const confPath = join(configDir, "extensions.conf"), aelPath = join(configDir, "extensions.ael");
  const hasConf = existsSync(confPath), hasAel = existsSync(aelPath);
  if (!hasConf && !hasAel) return undefined;
  const conf = hasConf ? loadDialplan(confPath) : undefined;
  if (!hasAel) return { ...conf!, files: [confPath] };
  const ael = loadAel(aelPath);
  const merged = conf ? mergeDialplans(conf.dialplan, ael.dialplan) : { dialplan: ael.dialplan, diagnostics: [] };
  const { contexts } = merged.dialplan;
  // extensions.conf alone could not see the contexts extensions.ael brings.
  const confDiagnostics = (conf?.diagnostics ?? []).filter((d) => {
    const m = MISSING_INCLUDE.exec(d.reason);
    return !m || !contexts.has(m[1]);
  });
  const diagnostics = [...confDiagnostics, ...ael.diagnostics, ...merged.diagnostics];
  for (const ctx of ael.dialplan.contexts.values()) {
    for (const inc of ctx.includes) {
      if (!contexts.has(inc.context)) diagnostics.push({ severity: "warning", file: inc.position.file, line: inc.position.line, reason: `context '${ctx.name}' includes '${inc.context}', which does not exist` });
    }
  }
  if (diagnostics.some((d) => d.severity === "error")) throw new DialplanError(diagnostics);
  return { dialplan: merged.dialplan, diagnostics, files: conf ? [confPath, aelPath] : [aelPath] };
}
