/**
 * Option value kinds for pjsip.conf objects. Each option is an OptionSpec: the value it
 * has before any line sets it (Asterisk's default) and how one `key = value` line changes
 * it. Lists that Asterisk accumulates line after line (`match`, `contact`, `allow`,
 * `permit`...) get the current value; the rest replace it. A bad value throws ValueError
 * with the reason; the loader adds file, line, object and option.
 */
import { yesNo } from "../../conf/yes-no.js";

export class ValueError extends Error {
  override readonly name = "ValueError";
}

export interface OptionSpec<T> {
  readonly initial: T;
  apply(value: string, current: T): T;
  /** The field this option writes when it is not its own name (`disallow` writes `allow`). */
  readonly field?: string;
}

type AnySpec = OptionSpec<any>; // each option has its own value type
export type SpecTable = Readonly<Record<string, AnySpec>>;
type FieldOf<K extends string, S> = S extends { readonly field: infer F extends string } ? F : K;
/** The typed object an option table describes: one readonly field per option (or per `field`). */
export type Fields<T extends SpecTable> = {
  readonly [K in keyof T & string as FieldOf<K, T[K]>]: T[K] extends OptionSpec<infer V> ? V : never;
};

export function option<T>(initial: T, apply: (value: string, current: T) => T): OptionSpec<T> {
  return { initial, apply };
}

/** The same spec, writing to another field. */
export function into<F extends string, T>(field: F, spec: OptionSpec<T>): OptionSpec<T> & { readonly field: F } {
  return { ...spec, field };
}

export const str = (initial = ""): OptionSpec<string> => option(initial, (v) => v);

/** A yes/no option (pjsip.conf and friends): an empty value is false, a word not yes or no an error. */
export function parseBool(value: string): boolean {
  const b = value.trim() === "" ? false : yesNo(value);
  if (b === undefined) throw new ValueError(`'${value}' is not a yes/no value`);
  return b;
}

export const bool = (initial: boolean): OptionSpec<boolean> => option(initial, parseBool);

export function parseUint(value: string): number {
  const n = /^\+?\d+$/.test(value) ? Number(value) : NaN;
  if (!(n <= 0xffffffff)) throw new ValueError(`'${value}' is not a non-negative integer`);
  return n;
}

export const uint = (initial: number): OptionSpec<number> => option(initial, parseUint);

export const int = (initial: number): OptionSpec<number> =>
  option(initial, (v) => {
    if (!/^[+-]?\d+$/.test(v)) throw new ValueError(`'${v}' is not an integer`);
    return Number(v);
  });

export const double = (initial: number): OptionSpec<number> =>
  option(initial, (v) => {
    const n = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(v) ? Number(v) : NaN;
    if (Number.isNaN(n)) throw new ValueError(`'${v}' is not a number`);
    return n;
  });

/** One of a fixed set of words, compared without case; the canonical spelling is kept. */
export function oneOf<const V extends string>(initial: V, values: readonly V[], aliases: Readonly<Record<string, V>> = {}): OptionSpec<V> {
  return option(initial, (v) => {
    const lower = v.toLowerCase();
    const found = values.find((x) => x.toLowerCase() === lower) ?? aliases[lower];
    if (found === undefined) throw new ValueError(`'${v}' is not one of ${values.join(", ")}`);
    return found;
  });
}

/** Comma-separated items, trimmed, empty ones dropped. */
export function splitList(value: string, separators = /,/): string[] {
  return value.split(separators).map((s) => s.trim()).filter((s) => s !== "");
}

/** A comma list that replaces the previous one; `allowed` restricts the words. */
export function names(initial: readonly string[] = [], allowed?: readonly string[]): OptionSpec<readonly string[]> {
  return option(initial, (v) => {
    const items = splitList(v);
    if (allowed) {
      const bad = items.find((i) => !allowed.includes(i.toLowerCase()));
      if (bad !== undefined) throw new ValueError(`'${bad}' is not one of ${allowed.join(", ")}`);
      return [...new Set(items.map((i) => i.toLowerCase()))];
    }
    return items;
  });
}

/** A list that grows with every line; each comma-separated item parsed by `parseItem`. */
export function accumulate<T>(parseItem: (item: string) => T, split = true): OptionSpec<readonly T[]> {
  return option<readonly T[]>([], (v, current) => [...current, ...(split ? splitList(v) : v.trim() === "" ? [] : [v]).map(parseItem)]);
}

/** Formats Asterisk knows by name (format_cache.c); `allow`/`disallow` accept these and `all`. */
export const KNOWN_CODECS: readonly string[] = [
  "ulaw", "alaw", "gsm", "g722", "g723", "g726", "g726aal2", "g729", "adpcm", "ilbc", "lpc10",
  "speex", "speex16", "speex32", "opus", "silk", "silk8", "silk12", "silk16", "silk24", "siren7", "siren14",
  "g719", "codec2", "slin", "slin12", "slin16", "slin24", "slin32", "slin44", "slin48", "slin96", "slin192",
  "testlaw", "h261", "h263", "h263p", "h264", "h265", "mpeg4", "vp8", "vp9", "jpeg", "png", "red", "t140", "t38",
];

/**
 * `allow`/`disallow`: the ordered codec list. Items are separated by `,` or `|`; `!x`
 * inverts one item; `all` adds or removes every codec; `ulaw:20` carries a packetization
 * time (checked, not kept). An unknown codec is an error, as in Asterisk.
 */
export function codecs<F extends string>(field: F, allowing: boolean): OptionSpec<readonly string[]> & { readonly field: F } {
  return into(field, option<readonly string[]>([], (v, current) => {
    let list = [...current];
    for (const raw of splitList(v, /[,|]/)) {
      let item = raw;
      let allow = allowing;
      if (item.startsWith("!")) [item, allow] = [item.slice(1), !allowing];
      const colon = item.lastIndexOf(":");
      if (colon >= 0) {
        if (!/^\d+$/.test(item.slice(colon + 1))) throw new ValueError(`bad packetization in '${raw}'`);
        item = item.slice(0, colon);
      }
      const name = item.toLowerCase();
      if (name === "all") {
        list = allow ? [...list, ...KNOWN_CODECS.filter((c) => !list.includes(c))] : [];
      } else if (!KNOWN_CODECS.includes(name)) {
        throw new ValueError(`unknown codec '${item}'`);
      } else if (allow) {
        if (!list.includes(name)) list.push(name);
      } else {
        list = list.filter((c) => c !== name);
      }
    }
    return list;
  }));
}

export interface CallerId { readonly name: string; readonly number: string }

/** `"Name" <number>`, `Name <number>`, `<number>` or a bare number (Asterisk's ast_callerid_split). */
export function parseCallerId(value: string): CallerId | undefined {
  const v = value.trim();
  if (v === "") return undefined;
  const angle = /^(.*?)\s*<([^>]*)>\s*$/.exec(v);
  if (angle) return { name: angle[1].trim().replace(/^"(.*)"$/, "$1"), number: angle[2].trim() };
  if (/^[+0-9*#]+$/.test(v)) return { name: "", number: v };
  return { name: v.replace(/^"(.*)"$/, "$1"), number: "" };
}

/** call_group/pickup_group: `1,3-5` → [1,3,4,5], each 0..63; an empty value clears. */
export function parseGroups(value: string): readonly number[] {
  const out = new Set<number>();
  for (const part of splitList(value)) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new ValueError(`'${part}' is not a group number or range`);
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (from > 63 || to > 63 || to < from) throw new ValueError(`group '${part}' is outside 0-63`);
    for (let g = from; g <= to; g++) out.add(g);
  }
  return [...out].sort((a, b) => a - b);
}

export interface SetVar { readonly name: string; readonly value: string }

export function parseSetVar(value: string): SetVar {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new ValueError(`'${value}' is not NAME=value`);
  return { name: value.slice(0, eq).trim(), value: value.slice(eq + 1).trim() };
}
