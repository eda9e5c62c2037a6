/**
 * Sound files for saying numbers, digits and characters in English, as Asterisk's
 * say.c composes them from the core sounds (digits/..., letters/...).
 */

/** SayNumber in English: "digits/3 digits/hundred digits/40 digits/2" for 342; no "and". */
export function numberFiles(n: number): string[] {
  if (!Number.isFinite(n)) return [];
  n = Math.trunc(n);
  if (n < 0) return ["digits/minus", ...numberFiles(-n)];
  if (n === 0) return ["digits/0"];
  const out: string[] = [];
  const group = (value: number, word: string, size: number) => {
    out.push(...numberFiles(Math.floor(value / size)), `digits/${word}`);
    return value % size;
  };
  if (n >= 1_000_000_000) n = group(n, "billion", 1_000_000_000);
  if (n >= 1_000_000) n = group(n, "million", 1_000_000);
  if (n >= 1_000) n = group(n, "thousand", 1_000);
  if (n >= 100) { out.push(`digits/${Math.floor(n / 100)}`, "digits/hundred"); n %= 100; }
  if (n >= 20) { out.push(`digits/${n - (n % 10)}`); n %= 10; }
  if (n > 0) out.push(`digits/${n}`);
  return out;
}

/** SayDigits: one file per digit; `*` `#` `-` have their own; other characters are skipped. */
export function digitFiles(text: string): string[] {
  const out: string[] = [];
  for (const ch of text) {
    if (ch >= "0" && ch <= "9") out.push(`digits/${ch}`);
    else if (ch === "*") out.push("digits/star");
    else if (ch === "#") out.push("digits/pound");
    else if (ch === "-") out.push("digits/minus");
  }
  return out;
}

const SYMBOLS: Readonly<Record<string, string>> = {
  "*": "digits/star", "#": "digits/pound", "!": "letters/exclaimation-point", "@": "letters/at", "$": "letters/dollar",
  "-": "letters/dash", ".": "letters/dot", "=": "letters/equals", "+": "letters/plus", "/": "letters/slash", " ": "letters/space",
};

/** SayAlpha: letters/a..z (either case), digits, and the punctuation Asterisk has prompts for. */
export function alphaFiles(text: string): string[] {
  const out: string[] = [];
  for (const ch of text) {
    const lower = ch.toLowerCase();
    if (lower >= "a" && lower <= "z") out.push(`letters/${lower}`);
    else if (ch >= "0" && ch <= "9") out.push(`digits/${ch}`);
    else if (SYMBOLS[ch]) out.push(SYMBOLS[ch]);
  }
  return out;
}
