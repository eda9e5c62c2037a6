/**
 * Substitution of `${VAR}`, `${VAR:offset:length}`, `${FUNC(args)}` and `$[expression]`
 * in application data, as Asterisk does before running each priority:
 *
 * - nested references are substituted inside out (`${${X}}`, `$[${A} + 1]`);
 * - an offset skips that many characters (from the end when negative); a length keeps
 *   that many (leaves that many off the end when negative);
 * - an unset variable, or a function that does not exist, gives an empty string (the
 *   latter with a warning);
 * - a `$` followed by neither `{` nor `[` is an ordinary character;
 * - runaway nesting stops after 15 levels with a warning.
 */
import { evaluateExpression } from "./expression.js";
import { splitFunctionCall, withCoreFunctions, type FunctionReader } from "./functions.js";
import { lookupVariable, type VariableScope } from "./variables.js";

export interface SubstitutionContext extends VariableScope {
  /** Dialplan functions (`${CALLERID(num)}`); LEN and ISNULL work without one. */
  readonly readFunction?: FunctionReader;
}

export interface SubstitutionResult {
  readonly value: string;
  readonly warnings: readonly string[];
}

const MAX_DEPTH = 15;
const INT_MAX = 2147483647;

/** Asterisk's substring rule for `${VAR:offset:length}`. */
export function substring(value: string, offset: number, length: number): string {
  const size = value.length;
  if (offset === 0 && length >= size) return value;
  const start = offset < 0 ? Math.max(0, size + offset) : offset;
  if (start >= size) return "";
  if (length >= 0) return value.slice(start, start + length);
  const end = size + length;
  return end > start ? value.slice(start, end) : "";
}

/** sscanf("%d"): optional blanks and sign, then digits. */
function scanInt(s: string): { value: number; rest: string } | undefined {
  const m = /^\s*([+-]?\d+)/.exec(s);
  if (!m) return undefined;
  const n = Number.parseInt(m[1], 10);
  return { value: Math.max(-INT_MAX - 1, Math.min(INT_MAX, n)), rest: s.slice(m[0].length) };
}

/** Splits `NAME:offset:length` (a `:` inside parentheses belongs to a function's arguments). */
export function parseVariableReference(text: string): { name: string; offset: number; length: number; isFunction: boolean } {
  let parens = 0, isFunction = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(") { isFunction = true; parens++; }
    else if (ch === ")") parens--;
    else if (ch === ":" && parens === 0) {
      let offset = 0, length = INT_MAX;
      const first = scanInt(text.slice(i + 1));
      if (first) {
        offset = first.value;
        const second = first.rest.startsWith(":") ? scanInt(first.rest.slice(1)) : undefined;
        if (second) length = second.value;
      }
      return { name: text.slice(0, i), offset, length, isFunction };
    }
  }
  return { name: text, offset: 0, length: INT_MAX, isFunction };
}

/**
 * Finds the end of a `${...}` or `$[...]` whose body starts at `from`: returns the body
 * and where scanning stopped, and whether the body holds references of its own.
 */
function scanBody(t: string, from: number, open: "{" | "[", close: "}" | "]"): { body: string; next: number; nested: boolean; closed: boolean } {
  const other = open === "{" ? "[" : "{";
  let i = from, depth = 1, nested = false;
  while (depth > 0 && i < t.length) {
    if (t[i] === "$" && t[i + 1] === open) { nested = true; depth++; i++; }
    else if (t[i] === open) depth++;
    else if (t[i] === close) depth--;
    else if (t[i] === "$" && t[i + 1] === other) { nested = true; i++; }
    i++;
  }
  const closed = depth === 0;
  return { body: t.slice(from, closed ? i - 1 : i), next: i, nested, closed };
}

class Substituter {
  readonly warnings: string[] = [];
  private readonly readFunction: FunctionReader;

  constructor(private readonly ctx: SubstitutionContext) {
    this.readFunction = withCoreFunctions(ctx.readFunction);
  }

  run(t: string, depth: number): string {
    if (depth >= MAX_DEPTH) {
      this.warnings.push(`Exceeded maximum variable substitution recursion depth (${MAX_DEPTH}) - possible infinite recursion in dialplan?`);
      return "";
    }
    let out = "", i = 0;
    while (i < t.length) {
      const dollar = t.indexOf("$", i);
      if (dollar < 0) { out += t.slice(i); break; }
      const kind = t[dollar + 1];
      if (kind !== "{" && kind !== "[") { out += t.slice(i, dollar + 1); i = dollar + 1; continue; }
      out += t.slice(i, dollar);
      const scan = kind === "{" ? scanBody(t, dollar + 2, "{", "}") : scanBody(t, dollar + 2, "[", "]");
      if (!scan.closed) this.warnings.push(`Error in extension logic (missing '${kind === "{" ? "}" : "]"}')`);
      i = scan.next;
      const body = scan.nested ? this.run(scan.body, depth + 1) : scan.body;
      out += kind === "{" ? this.reference(body) : this.expression(body);
    }
    return out;
  }

  private reference(text: string): string {
    const ref = parseVariableReference(text);
    let value: string | undefined;
    if (ref.isFunction) {
      const call = splitFunctionCall(ref.name);
      value = this.readFunction(call.name, call.args);
      if (value === undefined) this.warnings.push(`Function ${call.name} not registered`);
    } else {
      value = lookupVariable(this.ctx, ref.name);
    }
    return value === undefined ? "" : substring(value, ref.offset, ref.length);
  }

  private expression(text: string): string {
    const result = evaluateExpression(text, { readFunction: this.readFunction });
    this.warnings.push(...result.warnings);
    return result.value;
  }
}

/** Substitutes every reference in `template`. Never throws. */
export function substitute(template: string, ctx: SubstitutionContext = {}): SubstitutionResult {
  const s = new Substituter(ctx);
  const value = s.run(template, 0);
  return { value, warnings: s.warnings };
}
