/**
 * AEL tokens → syntax tree. The grammar read (Asterisk's ael.y, the parts Recall
 * supports):
 *
 *   file       := { context | macro | globals }
 *   context    := ["abstract"] ["extend"] "context" NAME "{" { item } "}"
 *   item       := "includes" "{" { NAME["|"time...] ";" } "}"
 *               | ("switches" | "eswitches") "{" { Module/data ";" } "}"
 *               | "ignorepat" "=>" PATTERN ";"
 *               | ["regexten"] ["hint" "(" DEVICES ")"] EXTEN["/"CALLERID] "=>" statement
 *   macro      := "macro" NAME "(" [PARAM {"," PARAM}] ")" "{" { statement } "}"
 *   globals    := "globals" "{" { NAME "=" VALUE ";" } "}"
 *   statement  := "{" { statement } "}" | ";"
 *               | "if" "(" COND ")" statement ["else" statement]
 *               | "ifTime" "(" TIMES ")" statement ["else" statement]
 *               | "while" "(" COND ")" statement
 *               | "for" "(" INIT ";" COND ";" INC ")" statement
 *               | "switch" "(" EXPR ")" "{" { ("case" V ":" | "pattern" P ":" | "default" ":") { statement } } "}"
 *               | "goto" TARGET ";" | "jump" EXTEN["@"CONTEXT] ";"
 *               | "break" ";" | "continue" ";" | "return" ";"
 *               | "local" NAME "=" VALUE ";" | NAME "=" VALUE ";"
 *               | "&" MACRO "(" ARGS ")" ";"
 *               | LABEL ":"
 *               | APP "(" ARGS ")" ";" | APP ";"
 *
 * Upper-case parts are raw text, rebuilt from the tokens as written. Keywords are
 * lower case; `Goto(...)`, `Return()` and the like (a word followed by `(`) are
 * application calls. The first syntax error throws, named by file and line.
 */
import { aelError, type Token } from "./lexer.js";

export interface At { readonly file: string; readonly line: number }

export type Statement =
  | { readonly kind: "app"; readonly name: string; readonly args: string | undefined; readonly at: At }
  | { readonly kind: "set"; readonly name: string; readonly value: string; readonly local: boolean; readonly at: At }
  | { readonly kind: "block"; readonly body: readonly Statement[]; readonly at: At }
  | { readonly kind: "if"; readonly condition: string; readonly time: boolean; readonly then: Statement; readonly else?: Statement; readonly at: At }
  | { readonly kind: "while"; readonly condition: string; readonly body: Statement; readonly at: At }
  | { readonly kind: "for"; readonly init: string; readonly condition: string; readonly increment: string; readonly body: Statement; readonly at: At }
  | { readonly kind: "switch"; readonly value: string; readonly cases: readonly SwitchCase[]; readonly at: At }
  | { readonly kind: "goto"; readonly target: string; readonly at: At }
  | { readonly kind: "jump"; readonly target: string; readonly at: At }
  | { readonly kind: "label"; readonly name: string; readonly at: At }
  | { readonly kind: "break" | "continue" | "return"; readonly at: At }
  | { readonly kind: "call"; readonly macro: string; readonly args: string; readonly at: At };

export interface SwitchCase {
  readonly kind: "case" | "pattern" | "default";
  /** The value or pattern; empty for default. */
  readonly value: string;
  readonly body: readonly Statement[];
  readonly at: At;
}

export interface ExtensionDecl {
  readonly kind: "extension";
  readonly name: string;
  readonly hint?: string;
  readonly regexten: boolean;
  readonly body: readonly Statement[];
  readonly at: At;
}

export type ContextItem =
  | ExtensionDecl
  | { readonly kind: "include"; readonly text: string; readonly at: At }
  | { readonly kind: "switch"; readonly text: string; readonly evaluate: boolean; readonly at: At }
  | { readonly kind: "ignorepat"; readonly pattern: string; readonly at: At };

export interface ContextDecl {
  readonly name: string;
  readonly abstract: boolean;
  readonly extend: boolean;
  readonly items: readonly ContextItem[];
  readonly at: At;
}

export interface MacroDecl {
  readonly name: string;
  readonly params: readonly string[];
  readonly body: readonly Statement[];
  readonly at: At;
}

export interface GlobalDecl { readonly name: string; readonly value: string; readonly at: At }

export interface AelTree {
  readonly contexts: readonly ContextDecl[];
  readonly macros: readonly MacroDecl[];
  readonly globals: readonly GlobalDecl[];
}

/** Splits at top-level commas (outside (), [], {} and quotes), keeping the text as written. */
export function splitTopLevel(text: string, delimiter = ","): string[] {
  const out: string[] = [];
  let depth = 0, quote = false, start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") { i++; continue; }
    if (c === '"') quote = !quote;
    else if (quote) continue;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") { if (depth) depth--; }
    else if (c === delimiter && depth === 0) { out.push(text.slice(start, i)); start = i + 1; }
  }
  out.push(text.slice(start));
  return out;
}

const describe = (t: Token) => (t.kind === "eof" ? "end of file" : `'${t.text}'`);

class Parser {
  private pos = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(k = 0): Token { return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)]; }
  private next(): Token { const t = this.peek(); if (t.kind !== "eof") this.pos++; return t; }
  private at(t: Token): At { return { file: t.file, line: t.line }; }
  private isPunct(text: string, k = 0): boolean { const t = this.peek(k); return t.kind === "punct" && t.text === text; }
  private isWord(text: string, k = 0): boolean { const t = this.peek(k); return t.kind === "word" && t.text === text; }

  private fail(t: Token, reason: string): never {
    throw aelError(t.file, t.line, reason);
  }

  private expect(text: string, what: string): Token {
    const t = this.peek();
    if (t.kind !== "punct" || t.text !== text) this.fail(t, `expected '${text}' ${what}, found ${describe(t)}`);
    return this.next();
  }

  private name(what: string): Token {
    const t = this.peek();
    if (t.kind !== "word") this.fail(t, `expected ${what}, found ${describe(t)}`);
    return this.next();
  }

  /**
   * The raw text up to (not including) one of `stops` outside parentheses and braces.
   * Blanks between tokens are kept (a line break becomes one blank).
   */
  private raw(stops: readonly string[], what: string, start: Token = this.peek()): string {
    let out = "", depth = 0, first = true;
    for (;;) {
      const t = this.peek();
      if (t.kind === "eof") this.fail(start, `${what}: reached the end of the file looking for ${stops.map((s) => `'${s}'`).join(" or ")}`);
      if (t.kind === "punct") {
        if (depth === 0 && stops.includes(t.text)) break;
        if (t.text === "(" || t.text === "{") depth++;
        else if (t.text === ")" || t.text === "}") {
          if (depth === 0) this.missing(start, t, stops, what);
          depth--;
        } else if (t.text === ";" && depth === 0) this.missing(start, t, stops, what);
      }
      if (!first && t.ws) out += /[\n\r]/.test(t.ws) ? " " : t.ws;
      out += t.text;
      first = false;
      this.next();
    }
    return out;
  }

  private missing(start: Token, found: Token, stops: readonly string[], what: string): never {
    const where = found.line === start.line && found.file === start.file ? "" : ` (on line ${found.line})`;
    this.fail(start, `${what}: missing ${stops.map((s) => `'${s}'`).join(" or ")} before ${describe(found)}${where}`);
  }

  parseFile(): AelTree {
    const contexts: ContextDecl[] = [], macros: MacroDecl[] = [], globals: GlobalDecl[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === "eof") break;
      if (t.kind === "word" && (t.text === "context" || t.text === "abstract" || t.text === "extend")) contexts.push(this.context());
      else if (this.isWord("macro")) macros.push(this.macro());
      else if (this.isWord("globals")) globals.push(...this.globals());
      else if (this.isPunct(";")) this.next();
      else this.fail(t, `expected 'context', 'macro' or 'globals', found ${describe(t)}`);
    }
    return { contexts, macros, globals };
  }

  private context(): ContextDecl {
    const first = this.peek();
    let abstract = false, extend = false;
    for (;;) {
      if (this.isWord("abstract")) { abstract = true; this.next(); }
      else if (this.isWord("extend")) { extend = true; this.next(); }
      else break;
    }
    if (!this.isWord("context")) this.fail(this.peek(), `expected 'context', found ${describe(this.peek())}`);
    this.next();
    const name = this.name("a context name").text;
    this.expect("{", `to open context '${name}'`);
    const items: ContextItem[] = [];
    while (!this.isPunct("}")) {
      if (this.peek().kind === "eof") this.fail(first, `context '${name}' is not closed (missing '}')`);
      items.push(...this.contextItem(name));
    }
    this.next();
    return { name, abstract, extend, items, at: this.at(first) };
  }

  private contextItem(context: string): ContextItem[] {
    const t = this.peek();
    if (this.isPunct(";")) { this.next(); return []; }
    if ((this.isWord("includes") || this.isWord("switches") || this.isWord("eswitches")) && this.isPunct("{", 1)) {
      const keyword = this.next().text;
      this.next();
      const out: ContextItem[] = [];
      while (!this.isPunct("}")) {
        if (this.isPunct(";")) { this.next(); continue; }
        const start = this.peek();
        const text = this.raw([";", "}"], `${keyword} in context '${context}'`).trim();
        this.expect(";", `after '${text}' in ${keyword}`);
        out.push(keyword === "includes"
          ? { kind: "include", text, at: this.at(start) }
          : { kind: "switch", text, evaluate: keyword === "eswitches", at: this.at(start) });
      }
      this.next();
      return out;
    }
    if (this.isWord("ignorepat") && this.isPunct("=>", 1)) {
      this.next(); this.next();
      const pattern = this.raw([";", "}"], "ignorepat").trim();
      if (!pattern) this.fail(t, "ignorepat needs a pattern");
      this.expect(";", "after the ignorepat");
      return [{ kind: "ignorepat", pattern, at: this.at(t) }];
    }
    let regexten = false, hint: string | undefined;
    for (;;) {
      if (this.isWord("regexten")) { regexten = true; this.next(); continue; }
      if (this.isWord("hint") && this.isPunct("(", 1)) {
        this.next(); this.next();
        hint = this.raw([")"], "hint").trim();
        this.expect(")", "to close the hint's devices");
        continue;
      }
      break;
    }
    const start = this.peek();
    if (start.kind !== "word" && start.kind !== "string") this.fail(start, `expected an extension (NAME => ...) in context '${context}', found ${describe(start)}`);
    const name = this.raw(["=>", "{", ";", "}"], "extension name").replace(/\s+/g, "");
    if (!this.isPunct("=>")) this.fail(this.peek(), `expected '=>' after extension '${name}' in context '${context}', found ${describe(this.peek())}`);
    this.next();
    const body = this.statement();
    return [{ kind: "extension", name, ...(hint !== undefined ? { hint } : {}), regexten, body: body.kind === "block" ? body.body : [body], at: this.at(start) }];
  }

  private macro(): MacroDecl {
    const first = this.next();
    const name = this.name("a macro name").text;
    this.expect("(", `after macro '${name}'`);
    const params = this.raw([")"], `parameters of macro '${name}'`).split(",").map((p) => p.trim()).filter((p) => p !== "");
    this.expect(")", `to close the parameters of macro '${name}'`);
    for (const p of params) if (!/^[A-Za-z0-9_-]+$/.test(p)) this.fail(first, `macro '${name}': bad parameter name '${p}'`);
    if (!this.isPunct("{")) this.fail(this.peek(), `expected '{' to open macro '${name}', found ${describe(this.peek())}`);
    const body = this.statement();
    return { name, params, body: body.kind === "block" ? body.body : [body], at: this.at(first) };
  }

  private globals(): GlobalDecl[] {
    this.next();
    this.expect("{", "after 'globals'");
    const out: GlobalDecl[] = [];
    while (!this.isPunct("}")) {
      if (this.isPunct(";")) { this.next(); continue; }
      const t = this.name("a global variable name");
      this.expect("=", `after global '${t.text}'`);
      const value = this.raw([";", "}"], `global '${t.text}'`).trim();
      this.expect(";", `after global '${t.text}'`);
      out.push({ name: t.text, value, at: this.at(t) });
    }
    this.next();
    return out;
  }

  private block(): Statement {
    const open = this.next();
    const body: Statement[] = [];
    while (!this.isPunct("}")) {
      if (this.peek().kind === "eof") this.fail(open, "'{' is not closed (missing '}')");
      body.push(this.statement());
    }
    this.next();
    return { kind: "block", body, at: this.at(open) };
  }

  /** `( text )` after a keyword. */
  private parenthesized(keyword: string, start: Token): string {
    this.expect("(", `after '${keyword}'`);
    const text = this.raw([")"], keyword, start).trim();
    this.expect(")", `to close '${keyword} (...'`);
    return text;
  }

  statement(): Statement {
    const t = this.peek();
    const at = this.at(t);
    if (this.isPunct("{")) return this.block();
    if (this.isPunct(";")) { this.next(); return { kind: "block", body: [], at }; }
    if (this.isPunct("&")) {
      this.next();
      const macro = this.name("a macro name after '&'").text;
      let args = "";
      if (this.isPunct("(")) {
        this.next();
        args = this.raw([")"], `&${macro}(...)`, t);
        this.expect(")", `to close &${macro}(...`);
      }
      this.expect(";", `after &${macro}(...)`);
      return { kind: "call", macro, args, at };
    }
    if (t.kind !== "word") this.fail(t, `expected a statement, found ${describe(t)}`);
    const word = t.text;
    const followedBy = (p: string) => this.isPunct(p, 1);
    switch (word) {
      case "if":
      case "ifTime": {
        this.next();
        const condition = this.parenthesized(word, t);
        if (!condition) this.fail(t, `${word} needs a condition`);
        const then = this.statement();
        let otherwise: Statement | undefined;
        if (this.isWord("else")) { this.next(); otherwise = this.statement(); }
        return { kind: "if", condition, time: word === "ifTime", then, ...(otherwise ? { else: otherwise } : {}), at };
      }
      case "while": {
        this.next();
        const condition = this.parenthesized("while", t);
        if (!condition) this.fail(t, "while needs a condition");
        return { kind: "while", condition, body: this.statement(), at };
      }
      case "for": {
        this.next();
        this.expect("(", "after 'for'");
        const init = this.raw([";"], "for (init; ...)").trim();
        this.expect(";", "after the for's initialisation");
        const condition = this.raw([";"], "for (...; condition; ...)").trim();
        this.expect(";", "after the for's condition");
        const increment = this.raw([")"], "for (...; ...; increment)").trim();
        this.expect(")", "to close 'for (...'");
        if (!condition) this.fail(t, "for needs a condition");
        return { kind: "for", init, condition, increment, body: this.statement(), at };
      }
      case "switch": {
        this.next();
        const value = this.parenthesized("switch", t);
        return { kind: "switch", value, cases: this.cases(t), at };
      }
      case "else":
        this.fail(t, "'else' without 'if'");
      // falls through (fail never returns)
      case "case":
      case "pattern":
      case "default":
        if (!followedBy("(") && !followedBy("=")) this.fail(t, `'${word}' outside a switch`);
        break;
      case "goto":
      case "jump":
        if (!followedBy("(")) {
          this.next();
          const target = this.raw([";", "}"], word).trim();
          if (!target) this.fail(t, `${word} needs a destination`);
          this.expect(";", `after '${word} ${target}'`);
          return { kind: word, target, at };
        }
        break;
      case "break":
      case "continue":
      case "return":
        if (followedBy(";")) { this.next(); this.next(); return { kind: word, at }; }
        break;
      case "local":
        if (this.peek(1).kind === "word" && this.isPunct("=", 2)) {
          this.next();
          const name = this.next().text;
          this.next();
          const value = this.raw([";", "}"], `local ${name}`).trim();
          this.expect(";", `after 'local ${name}=...'`);
          return { kind: "set", name, value, local: true, at };
        }
        break;
    }
    this.next();
    if (this.isPunct(":") && !this.isPunct(":", 1)) { this.next(); return { kind: "label", name: word, at }; }
    if (this.isPunct("=")) {
      this.next();
      const value = this.raw([";", "}"], `${word}=...`).trim();
      this.expect(";", `after '${word}=${value}'`);
      return { kind: "set", name: word, value, local: false, at };
    }
    if (this.isPunct(";")) { this.next(); return { kind: "app", name: word, args: undefined, at }; }
    if (this.isPunct("(")) {
      this.next();
      const args = this.raw([")"], `${word}(...)`, t);
      this.expect(")", `to close ${word}(...`);
      if (this.isPunct("=")) {
        // FUNCTION(args)=value: an assignment to a dialplan function.
        this.next();
        const value = this.raw([";", "}"], `${word}(${args})=...`).trim();
        this.expect(";", `after '${word}(${args})=${value}'`);
        return { kind: "set", name: `${word}(${args})`, value, local: false, at };
      }
      this.expect(";", `after ${word}(...)`);
      return { kind: "app", name: word, args, at };
    }
    this.fail(this.peek(), `expected '(', '=', ':' or ';' after '${word}', found ${describe(this.peek())}`);
  }

  private cases(start: Token): SwitchCase[] {
    this.expect("{", "to open the switch's cases");
    const cases: SwitchCase[] = [];
    let current: { kind: SwitchCase["kind"]; value: string; body: Statement[]; at: At } | undefined;
    for (;;) {
      const t = this.peek();
      if (t.kind === "eof") this.fail(start, "switch is not closed (missing '}')");
      if (this.isPunct("}")) { this.next(); break; }
      if (t.kind === "word" && (t.text === "case" || t.text === "pattern") && !this.isPunct("(", 1)) {
        this.next();
        const value = this.raw([":"], t.text).trim();
        if (!value) this.fail(t, `${t.text} needs a value`);
        this.expect(":", `after '${t.text} ${value}'`);
        current = { kind: t.text, value, body: [], at: this.at(t) };
        cases.push(current);
        continue;
      }
      if (this.isWord("default") && this.isPunct(":", 1)) {
        this.next(); this.next();
        if (cases.some((c) => c.kind === "default")) this.fail(t, "a switch has at most one 'default'");
        current = { kind: "default", value: "", body: [], at: this.at(t) };
        cases.push(current);
        continue;
      }
      if (!current) this.fail(t, `expected 'case', 'pattern' or 'default' in a switch, found ${describe(t)}`);
      current.body.push(this.statement());
    }
    return cases;
  }
}

export function parseTokens(tokens: readonly Token[]): AelTree {
  return new Parser(tokens).parseFile();
}
