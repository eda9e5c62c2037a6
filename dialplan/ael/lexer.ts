/**
 * extensions.ael → tokens. AEL's lexer is context-sensitive (application arguments are
 * taken as written); this one keeps every token's position and the blanks before it, so
 * the parser can rebuild raw text (arguments, conditions, goto targets) from tokens.
 *
 *   punctuation   { } ( ) ; , : = & =>
 *   strings       "..." (a backslash protects the next character), kept with their quotes
 *   words         any other run of non-blank characters; `${...}` and `$[...]` are taken
 *                 whole, blanks and punctuation inside included (`${EXTEN:0:1}` is one word)
 *   comments      `// ...` to the end of the line, `/* ... *\/`
 *   #include      `#include "file"` or `#include <file>` at the start of a line: the file's
 *                 tokens are spliced in (path relative to the including file's directory)
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { DialplanError } from "../parser.js";

export type TokenKind = "word" | "string" | "punct" | "eof";

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** The blanks (and comments, as one blank) before the token. */
  readonly ws: string;
  readonly file: string;
  readonly line: number;
}

/** Reads an `#include`d file: its text, or throws. */
export type IncludeReader = (path: string) => string;

const PUNCT = new Set(["{", "}", "(", ")", ";", ",", ":", "=", "&"]);
const MAX_INCLUDE_DEPTH = 20;

/** A syntax error, named by file and line (a DialplanError, so every loader reports it alike). */
export function aelError(file: string, line: number, reason: string): DialplanError {
  return new DialplanError([{ severity: "error", file, line, reason }]);
}

export function tokenize(text: string, file: string, readInclude: IncludeReader = (p) => readFileSync(p, "utf8"), depth = 0): Token[] {
  const tokens: Token[] = [];
  let i = 0, line = 1, ws = "", lineStart = true;
  const n = text.length;
  const push = (kind: TokenKind, t: string, at: number) => {
    tokens.push({ kind, text: t, ws, file, line: at });
    ws = "";
    lineStart = false;
  };
  while (i < n) {
    const c = text[i];
    if (c === "\n") { line++; ws += c; i++; lineStart = true; continue; }
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") { ws += c; i++; continue; }
    if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") i++;
      ws += " ";
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const start = line;
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw aelError(file, start, "unterminated /* comment");
      for (let k = i; k < end; k++) if (text[k] === "\n") line++;
      i = end + 2;
      ws += " ";
      continue;
    }
    if (c === "#" && lineStart) {
      const eol = text.indexOf("\n", i);
      const directive = text.slice(i, eol < 0 ? n : eol).trim();
      const m = /^#include\s*(?:"([^"]+)"|<([^>]+)>|(\S+))\s*$/.exec(directive);
      if (!m) throw aelError(file, line, `bad directive '${directive}': expected #include "file"`);
      if (depth >= MAX_INCLUDE_DEPTH) throw aelError(file, line, `#include nested more than ${MAX_INCLUDE_DEPTH} deep (an include loop?)`);
      const name = m[1] ?? m[2] ?? m[3];
      const path = isAbsolute(name) ? name : join(dirname(file), name);
      let included: string;
      try {
        included = readInclude(path);
      } catch (e) {
        throw aelError(file, line, `#include "${name}": cannot read ${path}: ${(e as Error).message}`);
      }
      for (const t of tokenize(included, path, readInclude, depth + 1)) {
        if (t.kind !== "eof") tokens.push(t);
      }
      i = eol < 0 ? n : eol;
      ws += " ";
      continue;
    }
    const at = line;
    if (c === '"') {
      let k = i + 1;
      while (k < n && text[k] !== '"') {
        if (text[k] === "\\") k++;
        if (text[k] === "\n") line++;
        k++;
      }
      if (k >= n) throw aelError(file, at, "unterminated string (missing '\"')");
      push("string", text.slice(i, k + 1), at);
      i = k + 1;
      continue;
    }
    if (c === "=" && text[i + 1] === ">") { push("punct", "=>", at); i += 2; continue; }
    if (PUNCT.has(c)) { push("punct", c, at); i++; continue; }
    // A word.
    let k = i;
    while (k < n) {
      const ch = text[k];
      if (ch === "$" && (text[k + 1] === "{" || text[k + 1] === "[")) {
        const start = line;
        let open = 0;
        k++;
        do {
          const d = text[k];
          if (d === "{" || d === "[") open++;
          else if (d === "}" || d === "]") open--;
          else if (d === "\n") line++;
          k++;
        } while (k < n && open > 0);
        if (open > 0) throw aelError(file, start, `unterminated '${text.slice(i, Math.min(k, i + 20)).split("\n")[0]}...': missing '}' or ']'`);
        continue;
      }
      if (ch === " " || ch === "\t" || ch === "\r" || ch === "\n" || ch === "\f" || ch === "\v" || ch === '"' || PUNCT.has(ch)) break;
      if (ch === "/" && (text[k + 1] === "/" || text[k + 1] === "*")) break;
      k++;
    }
    push("word", text.slice(i, k), at);
    i = k;
  }
  tokens.push({ kind: "eof", text: "", ws, file, line });
  return tokens;
}
