/**
 * The console's templating: `html\`<p>${value}</p>\`` escapes every interpolated value
 * unless it is already Html (a nested template or `raw`), so text from the log or a
 * query (caller names, userfield) can never become markup. Arrays are joined.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string { return this.text; }
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Markup written by the console itself (a stylesheet, a script): never user data. */
export const raw = (text: string): Html => new Html(text);
