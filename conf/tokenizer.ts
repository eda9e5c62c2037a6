/**
 * The one tokenizer for Asterisk-style `.conf` files (pjsip.conf, extensions.conf,
 * queues.conf, manager.conf ...). It knows the syntax shared by all of them and
 * nothing about what any option means:
 *
 * - `[name]` sections; `[name](!)` templates; `[name](a,b)` inheritance; `[name](+)`
 *   appends to an earlier section of that name. Sections with the same name stay
 *   separate sections, in file order (pjsip.conf relies on this).
 * - `key = value`, `key => value`, `key += more` (appends to the last value of `key`
 *   in the section, as Asterisk does).
 * - `;` comments, `\;` for a literal semicolon, `;-- block comments --;` (nestable, may
 *   span lines; `;---` is an ordinary comment, as in Asterisk).
 * - `#include file`, `#include "file"`, `#tryinclude` (relative to the including file's
 *   directory, globs allowed), with cycle detection. `#exec` is not supported (a warning).
 *
 * What Asterisk refuses to load (no `]`, an entry before any section, a missing include,
 * `(+)` on an unknown section) is a thrown ConfError. What Asterisk logs and skips (a line
 * without `=`, an unknown directive, an unterminated block comment) is a warning — unless
 * `missingEquals: "error"` asks for a line without `=` to be an error.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { expandIncludePattern } from "./include-glob.js";

export interface ConfPosition { readonly file: string; readonly line: number }
export interface ConfEntry extends ConfPosition { readonly key: string; readonly value: string; readonly op: "=" | "=>" }
export interface ConfSection extends ConfPosition {
  readonly name: string;
  /** `[name](!)`: a template, only used through inheritance. */
  readonly template: boolean;
  /** `[name](tmpl1,tmpl2)`, in the order listed. */
  readonly inherits: readonly string[];
  /** The section's own entries, in file order (templates not applied: see resolveTemplates). */
  readonly entries: readonly ConfEntry[];
}
export interface ConfDiagnostic extends ConfPosition { readonly reason: string }
export interface ConfFile { readonly sections: readonly ConfSection[]; readonly warnings: readonly ConfDiagnostic[] }

export interface ConfOptions {
  /**
   * A line that is neither a section, a directive nor `key = value`. Asterisk logs
   * "No '=' (equal sign) in line N of FILE" and loads the rest, so the default is
   * "warning"; "error" throws ConfError instead.
   */
  readonly missingEquals?: "warning" | "error";
}

/** A configuration file Asterisk would refuse to load. */
export class ConfError extends Error {
  override readonly name = "ConfError";
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super(`${file}:${line}: ${reason}`);
  }
}

/** "file:line: reason", the form every config diagnostic is printed in. */
export function formatDiagnostic(d: ConfDiagnostic): string {
  return `${d.file}:${d.line}: ${d.reason}`;
}

interface MutableSection {
  name: string;
  file: string;
  line: number;
  template: boolean;
  inherits: string[];
  entries: ConfEntry[];
}

interface ParseState {
  readonly options: ConfOptions;
  readonly sections: MutableSection[];
  readonly warnings: ConfDiagnostic[];
  /** The section entries go to; an #include continues in the includer's section. */
  current: MutableSection | undefined;
  /** Resolved paths of the files being read, outermost first, to detect include cycles. */
  readonly includeStack: string[];
}

export function parseConfText(text: string, file: string, options: ConfOptions = {}): ConfFile {
  const state: ParseState = { options, sections: [], warnings: [], current: undefined, includeStack: [resolve(file)] };
  parseInto(state, text, file);
  return finish(state);
}

export function parseConfFile(path: string, options: ConfOptions = {}): ConfFile {
  const state: ParseState = { options, sections: [], warnings: [], current: undefined, includeStack: [resolve(path)] };
  parseInto(state, readConf(path, path, 0), path);
  return finish(state);
}

/**
 * The concrete (non-template) sections, in file order, each with the entries of its
 * templates first — recursively, in the order listed — then its own. As in Asterisk a
 * section may inherit from any section (template or not) defined before it; the first
 * earlier section of that name is used.
 */
export function resolveTemplates(file: ConfFile): ConfSection[] {
  const resolved = new Map<number, readonly ConfEntry[]>();
  const entriesOf = (index: number): readonly ConfEntry[] => {
    const done = resolved.get(index);
    if (done) return done;
    const section = file.sections[index];
    const entries: ConfEntry[] = [];
    for (const name of section.inherits) entries.push(...entriesOf(baseIndex(file.sections, index, name)));
    entries.push(...section.entries);
    resolved.set(index, entries);
    return entries;
  };
  const out: ConfSection[] = [];
  file.sections.forEach((section, index) => {
    if (!section.template) out.push({ ...section, entries: entriesOf(index) });
  });
  return out;
}

function baseIndex(sections: readonly ConfSection[], index: number, name: string): number {
  for (let i = 0; i < index; i++) if (sections[i].name === name) return i;
  const section = sections[index];
  const later = sections.findIndex((s, i) => i > index && s.name === name);
  throw new ConfError(section.file, section.line, later < 0
    ? `[${section.name}] inherits from '${name}', which is not defined`
    : `[${section.name}] inherits from '${name}', which is defined only later (${sections[later].file}:${sections[later].line}); define it first`);
}

function finish(state: ParseState): ConfFile {
  return {
    sections: state.sections.map((s) => ({ ...s, inherits: [...s.inherits], entries: [...s.entries] })),
    warnings: state.warnings,
  };
}

function readConf(path: string, fromFile: string, fromLine: number): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfError(fromLine === 0 ? path : fromFile, fromLine, `cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseInto(state: ParseState, text: string, file: string): void {
  const lines = text.split(/\r?\n/);
  const comment = { depth: 0, openedAt: 0 };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const wasInComment = comment.depth > 0;
    const content = stripComments(lines[i], comment).trim();
    if (!wasInComment && comment.depth > 0) comment.openedAt = lineNo;
    if (content === "") continue;
    if (content.startsWith("[")) parseSectionHeader(state, content, file, lineNo);
    else if (content.startsWith("#")) parseDirective(state, content, file, lineNo);
    else parseEntry(state, content, file, lineNo);
  }
  if (comment.depth > 0) {
    state.warnings.push({ file, line: comment.openedAt, reason: "block comment ';--' is never closed with '--;'" });
  }
}

/**
 * The text of one line outside comments. `depth` carries open block comments from line
 * to line. `\;` is a literal semicolon (the backslash is dropped). `;--` opens a block
 * comment unless a third dash follows; `--;` closes one if its dashes come after the
 * opening marker.
 */
function stripComments(line: string, comment: { depth: number }): string {
  let out = "";
  let afterMarker = 0; // `--;` only closes if both dashes are after the last marker
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch !== ";") {
      if (comment.depth === 0) out += ch;
      continue;
    }
    if (comment.depth === 0 && out.endsWith("\\")) {
      out = out.slice(0, -1) + ";";
      continue;
    }
    if (line[i + 1] === "-" && line[i + 2] === "-" && line[i + 3] !== "-") {
      comment.depth++;
      i += 2;
      afterMarker = i + 1;
      continue;
    }
    if (comment.depth > 0) {
      if (i >= afterMarker + 2 && line[i - 1] === "-" && line[i - 2] === "-") {
        comment.depth--;
        afterMarker = i + 1;
      }
      continue;
    }
    break; // a line comment
  }
  return out;
}

function parseSectionHeader(state: ParseState, content: string, file: string, line: number): void {
  const close = content.indexOf("]");
  if (close < 0) throw new ConfError(file, line, "section header has no closing ']'");
  const name = content.slice(1, close).trim();
  if (name === "") throw new ConfError(file, line, "section header has an empty name");
  let rest = content.slice(close + 1).trim();
  const flags: string[] = [];
  if (rest.startsWith("(")) {
    const end = rest.indexOf(")");
    if (end < 0) throw new ConfError(file, line, `section [${name}] options have no closing ')'`);
    for (const flag of rest.slice(1, end).split(",")) {
      const f = flag.trim();
      if (f === "") throw new ConfError(file, line, `section [${name}] has an empty name in its '(...)' list`);
      flags.push(f);
    }
    rest = rest.slice(end + 1).trim();
  }
  if (rest !== "") state.warnings.push({ file, line, reason: `text after section header [${name}] ignored: '${rest}'` });

  if (flags.includes("+")) {
    const existing = state.sections.find((s) => s.name === name);
    if (!existing) throw new ConfError(file, line, `[${name}](+) adds to a section that is not defined before it`);
    if (flags.includes("!")) existing.template = true;
    existing.inherits.push(...flags.filter((f) => f !== "+" && f !== "!"));
    state.current = existing;
    return;
  }
  const section: MutableSection = {
    name, file, line,
    template: flags.includes("!"),
    inherits: flags.filter((f) => f !== "!"),
    entries: [],
  };
  state.sections.push(section);
  state.current = section;
}

function parseDirective(state: ParseState, content: string, file: string, line: number): void {
  const match = /^#(\S*)\s*(.*)$/.exec(content)!;
  const directive = match[1].toLowerCase();
  let arg = match[2].trim();
  if (directive === "exec") {
    state.warnings.push({ file, line, reason: "#exec is not supported; line ignored" });
    return;
  }
  if (directive !== "include" && directive !== "tryinclude") {
    state.warnings.push({ file, line, reason: `unknown directive '#${match[1]}'; line ignored` });
    return;
  }
  if ((arg.startsWith('"') && arg.endsWith('"') && arg.length >= 2) || (arg.startsWith("<") && arg.endsWith(">"))) {
    arg = arg.slice(1, -1).trim();
  }
  if (arg === "") {
    state.warnings.push({ file, line, reason: `#${directive} needs a file name; line ignored` });
    return;
  }
  const paths = expandIncludePattern(arg, dirname(file));
  const existing = paths.filter((p) => isFile(p, file, line));
  if (existing.length === 0) {
    if (directive === "tryinclude") return;
    throw new ConfError(file, line, `#include '${arg}': no such file`);
  }
  for (const path of existing) {
    const absolute = resolve(path);
    const cycle = state.includeStack.indexOf(absolute);
    if (cycle >= 0) {
      const chain = [...state.includeStack.slice(cycle), absolute].join(" -> ");
      throw new ConfError(file, line, `#include cycle: ${chain}`);
    }
    state.includeStack.push(absolute);
    parseInto(state, readConf(path, file, line), path);
    state.includeStack.pop();
  }
}

function isFile(path: string, file: string, line: number): boolean {
  try {
    if (statSync(path).isFile()) return true;
    throw new ConfError(file, line, `#include '${path}' is not a regular file`);
  } catch (err) {
    if (err instanceof ConfError) throw err;
    return false;
  }
}

function parseEntry(state: ParseState, content: string, file: string, line: number): void {
  const section = state.current;
  if (!section) throw new ConfError(file, line, "entry before any [section]");
  const eq = content.indexOf("=");
  if (eq < 0) {
    const reason = `no '=' in line: '${content}'`;
    if (state.options.missingEquals === "error") throw new ConfError(file, line, reason);
    state.warnings.push({ file, line, reason: `${reason}; line ignored` });
    return;
  }
  if (eq > 0 && content[eq - 1] === "+") {
    const key = content.slice(0, eq - 1).trim();
    const more = content.slice(eq + 1);
    const at = section.entries.map((e) => e.key).lastIndexOf(key);
    if (at >= 0) {
      const prev = section.entries[at];
      section.entries[at] = { ...prev, value: (prev.value + more).trim() };
      return;
    }
    addEntry(state, section, { file, line, key, value: more.trim(), op: "=" });
    return;
  }
  const object = content[eq + 1] === ">";
  addEntry(state, section, {
    file, line,
    key: content.slice(0, eq).trim(),
    value: content.slice(eq + (object ? 2 : 1)).trim(),
    op: object ? "=>" : "=",
  });
}

function addEntry(state: ParseState, section: MutableSection, entry: ConfEntry): void {
  if (entry.key === "") {
    state.warnings.push({ file: entry.file, line: entry.line, reason: "entry without a name before '='; line ignored" });
    return;
  }
  section.entries.push(entry);
}
