/**
 * The text primitives of res_pjsip's CLI: printf-style fields (widths count bytes, as
 * C does), the indentation of nested objects, the dotted header placeholders and the
 * ParameterName/ParameterValue table of one object's options.
 */

/** Width of the whole listing; the `=` separator line is this long. */
export const CLI_MAX_WIDTH = 90;
/** Column where the last field of a row starts. */
export const CLI_LAST_TABSTOP = 62;
export const SEPARATOR = "=".repeat(CLI_MAX_WIDTH);

/** Width of the "Title" field at nesting `level` (0 = the listed object). */
export function indentWidth(level: number): number {
  return level * 2 + 1 + 8;
}

/** `n` dots of a header placeholder (`<Aor.....>`). */
export function dots(n: number): string {
  return ".".repeat(Math.min(Math.max(n, 0), CLI_MAX_WIDTH));
}

const byteLength = (s: string) => Buffer.byteLength(s, "utf8");

/** The first `max` bytes of `s` (C's `%.*s`). */
function clip(s: string, max: number): string {
  if (byteLength(s) <= max) return s;
  return Buffer.from(s, "utf8").subarray(0, max).toString("utf8").replace(/\uFFFD$/, "");
}

/**
 * C's `%-W.Ps` (left) or `%W.Ps` (right): at most `precision` bytes, padded to `width`.
 * A negative width, as `%*s` allows, left-justifies; a negative precision means none.
 */
export function field(s: string, width: number, opts: { left?: boolean; precision?: number } = {}): string {
  let left = opts.left ?? false;
  if (width < 0) [width, left] = [-width, true];
  const text = opts.precision !== undefined && opts.precision >= 0 ? clip(s, opts.precision) : s;
  const pad = " ".repeat(Math.max(0, width - byteLength(text)));
  return left ? text + pad : pad + text;
}

/** `%-W.Ws`: exactly `width` bytes, cut or padded. */
export const fit = (s: string, width: number) => field(s, width, { left: true, precision: width });
/** `%-Ws`: padded to `width`, never cut. */
export const padRight = (s: string, width: number) => field(s, width, { left: true });
/** `%Ws`. */
export const padLeft = (s: string, width: number) => field(s, width);

/** The "   Title:" that starts a row at nesting `level`. */
export function title(level: number, name: string): string {
  return `${padLeft(name, indentWidth(level))}:`;
}

/** One option of an object as Asterisk's sorcery prints it. */
export type Parameter = readonly [name: string, value: string];

/**
 * The options table of `pjsip show <type> <name>`: sorted by name (byte order, stable),
 * the name column at least 13 wide, the separator as wide as the widest row.
 */
export function parameterTable(params: readonly Parameter[]): string {
  const nameWidth = Math.max(13, ...params.map(([n]) => byteLength(n)));
  const valueWidth = Math.max(14, ...params.map(([, v]) => byteLength(v)));
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const rows = [
    ` ${padRight("ParameterName", nameWidth)} : ParameterValue`,
    ` ${"=".repeat(nameWidth + valueWidth + 3)}`,
    ...sorted.map(([n, v]) => ` ${padRight(n, nameWidth)} : ${v}`),
  ];
  return rows.map((r) => `${r}\n`).join("");
}

/** Byte-order comparison, as strcmp sorts Asterisk's containers. */
export function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
