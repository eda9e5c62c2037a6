/**
 * `{name:Type}` placeholders written into the SQL as literals, for servers older than
 * ClickHouse's query parameters (Debian's 18.16). Contract: a value can only ever be
 * one literal — a String is quoted with every `\` and `'` escaped (and control bytes
 * written as escapes), an integer type takes only a whole number, an Array(String) is
 * a list of such strings — so no value can end the literal or add SQL. A placeholder
 * with no value or an unknown type is an error, never left in or guessed.
 */
import type { QueryParams } from "./sql.js";

export class ParamError extends Error { override readonly name = "ParamError"; }

export function quoteString(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `'${value.replace(/[\\'\x00-\x1f]/g, (c) => c === "\\" ? "\\\\" : c === "'" ? "\\'" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}'`;
}

function literal(name: string, type: string, value: string | number | readonly string[], afterIn: boolean): string {
  if (type === "String") return quoteString(String(value));
  if (/^U?Int(8|16|32|64)$/.test(type)) {
    if (!/^-?\d{1,20}$/.test(String(value))) throw new ParamError(`parameter ${name}: ${type} takes a whole number`);
    return String(value);
  }
  if (type === "Array(String)") {
    if (!Array.isArray(value)) throw new ParamError(`parameter ${name}: Array(String) takes a list`);
    const items = value.map((v) => quoteString(String(v))).join(", ");
    // 18.16 takes `x IN ('a', 'b')`, not an array literal, on the right of IN.
    if (afterIn) {
      if (value.length === 0) throw new ParamError(`parameter ${name}: IN an empty list`);
      return `(${items})`;
    }
    return `[${items}]`;
  }
  throw new ParamError(`parameter ${name}: type ${type} is not supported here`);
}

export function inlineParams(sql: string, params: QueryParams): string {
  return sql.replace(/\{([A-Za-z_][A-Za-z0-9_]*):([^}]+)\}/g, (_, name: string, type: string, at: number) => {
    if (!(name in params)) throw new ParamError(`parameter ${name}: no value given`);
    return literal(name, type.trim(), params[name], /\bIN\s*$/i.test(sql.slice(Math.max(0, at - 8), at)));
  });
}
