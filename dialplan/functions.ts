/**
 * The seam between the pure dialplan core and the dialplan functions the runtime owns
 * (CALLERID, CDR, DB, GLOBAL, ...): `${NAME(args)}` and `$[NAME(args)]` reach them
 * through a FunctionReader. The core itself knows only LEN and ISNULL, which need no
 * channel; a reader that answers for them takes precedence.
 */

/**
 * Reads a function: `name` as written (case kept), `args` the raw text between the
 * parentheses after substitution. Returns the value, or undefined when no such
 * function exists (the caller then warns and uses an empty value, as Asterisk does).
 */
export type FunctionReader = (name: string, args: string) => string | undefined;

/** The channel-free functions the core answers itself. */
export const coreFunctions: FunctionReader = (name, args) => {
  switch (name) {
    case "LEN": return String(args.length);
    case "ISNULL": return args === "" ? "1" : "0";
    default: return undefined;
  }
};

/** A reader that asks `reader` first and falls back to the core functions. */
export function withCoreFunctions(reader?: FunctionReader): FunctionReader {
  if (!reader) return coreFunctions;
  return (name, args) => reader(name, args) ?? coreFunctions(name, args);
}

/**
 * Splits `NAME(args)` into its name and argument text (up to the last `)`); a name
 * with no parentheses has empty arguments.
 */
export function splitFunctionCall(text: string): { readonly name: string; readonly args: string } {
  const open = text.indexOf("(");
  if (open < 0) return { name: text, args: "" };
  const close = text.lastIndexOf(")");
  return { name: text.slice(0, open), args: close > open ? text.slice(open + 1, close) : text.slice(open + 1) };
}

/**
 * Splits application or function arguments the way Asterisk does (AST_STANDARD_APP_ARGS):
 * on `delimiter` outside `( )`, `[ ]` and double quotes; quotes are removed and a
 * backslash makes the next character literal. A trailing delimiter gives a final empty
 * argument; empty text gives none. With `max`, the last argument keeps the unsplit rest.
 */
export function splitArguments(text: string, delimiter = ",", max = Infinity): string[] {
  const out: string[] = [];
  let i = 0, endedOnDelimiter = false;
  while (i < text.length && out.length < max - 1) {
    let arg = "", paren = 0, bracket = 0, quote = false;
    endedOnDelimiter = false;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (ch === "(") paren++;
      else if (ch === ")") { if (paren) paren--; }
      else if (ch === "[") bracket++;
      else if (ch === "]") { if (bracket) bracket--; }
      else if (ch === '"' && delimiter !== '"') { quote = !quote; continue; }
      else if (ch === "\\") { i++; if (i < text.length) arg += text[i]; continue; }
      else if (ch === delimiter && !paren && !quote && !bracket) { i++; endedOnDelimiter = true; break; }
      arg += ch;
    }
    out.push(arg);
  }
  if (i < text.length || endedOnDelimiter) out.push(text.slice(i));
  return out;
}
