/**
 * Extension names and patterns: matching a dialled string, ordering extensions the way
 * Asterisk searches them, and caller-ID matching.
 *
 * A name starting with `_` is a pattern: `X` 0-9, `Z` 1-9, `N` 2-9 (letters of any case),
 * `[..]` a set with ranges, `.` one or more of anything, `!` zero or more of anything
 * (and "stop waiting for digits"). Every other character matches itself, case-sensitively.
 * `-` is decoration everywhere except inside a set, in patterns and in dialled strings alike.
 */

/** How much of a match is asked for (Asterisk's E_MATCH, E_CANMATCH, E_MATCHMORE). */
export type MatchMode = "match" | "canmatch" | "matchmore";

/**
 * The outcome of matching: `no`, `yes`, or `early` when the pattern reached a `!`
 * (a match now that also says no further digits are worth waiting for).
 */
export type MatchResult = "no" | "yes" | "early";

export function isPattern(name: string): boolean {
  return name.startsWith("_");
}

/** C strings end at NUL: a dialled string carrying one is cut there, as Asterisk would see it. */
function cString(s: string): string {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

/** Blanks outside character sets are dropped when an extension is stored (as Asterisk does). */
export function compactExtension(name: string): string {
  const pattern = isPattern(name);
  let out = "", inSet = false;
  for (const ch of name) {
    if (ch === "[" && pattern) inSet = true;
    else if (ch === "]") inSet = false;
    else if (ch === " " && !inSet) continue;
    out += ch;
  }
  return out;
}

/** Caller-ID patterns lose `( )`, blanks, `-` outside sets and any `.` but a final one. */
export function shrinkPhoneNumber(n: string): string {
  let out = "", depth = 0;
  for (let i = 0; i < n.length; i++) {
    const ch = n[i];
    if (ch === "[") { depth++; out += ch; }
    else if (ch === "]") { depth--; out += ch; }
    else if (ch === "-") { if (depth > 0) out += ch; }
    else if (ch === ".") { if (i === n.length - 1) out += ch; }
    else if (ch !== "(" && ch !== ")" && ch !== " ") out += ch;
  }
  return out;
}

/** Whether code unit `c` is in the set written between `from` and `to` (exclusive) of `p`. */
function setContains(p: string, from: number, to: number, c: number): boolean {
  for (let i = from; i < to;) {
    if (i + 2 < to && p[i + 1] === "-") {
      // The seed reads `[6-4]` as "between six and four": a reversed range is the same range.
      const a = p.charCodeAt(i), b = p.charCodeAt(i + 2);
      if (c >= Math.min(a, b) && c <= Math.max(a, b)) return true;
      i += 3;
    } else {
      if (p.charCodeAt(i) === c) return true;
      i++;
    }
  }
  return false;
}

function inRange(c: number, lo: string, hi: string): boolean {
  return c >= lo.charCodeAt(0) && c <= hi.charCodeAt(0);
}

/** Matches a dialled string against an extension name or pattern. */
export function matchExtension(name: string, dialled: string, mode: MatchMode = "match"): MatchResult {
  const pattern = cString(name), data = cString(dialled);

  if (!isPattern(pattern)) {
    const p = pattern.replaceAll("-", ""), d = data.replaceAll("-", "");
    if (p.length < d.length) return "no";
    if (mode === "match") return p === d ? "yes" : "no";
    if (!p.startsWith(d)) return "no";
    return mode === "canmatch" || p.length > d.length ? "yes" : "no";
  }
  // A pattern "dialled" literally matches itself (Asterisk compares these case-blind).
  if (mode === "match" && (pattern.toLowerCase() === data.toLowerCase()
    || (data.startsWith("_") && compareExtensions(pattern, data) === 0))) return "yes";

  let pi = 1, di = 0;
  for (;;) {
    while (data[di] === "-") di++;
    while (pattern[pi] === "-") pi++;
    if (di >= data.length || pi >= pattern.length || pattern[pi] === "/") break;
    const c = data.charCodeAt(di);
    switch (pattern[pi]) {
      case "[": {
        const end = pattern.indexOf("]", pi + 1);
        if (end < 0) return "no";
        if (end === pi + 1) { pi = end + 1; continue; } // an empty set is ignored
        if (!setContains(pattern, pi + 1, end, c)) return "no";
        pi = end;
        break;
      }
      case "n": case "N": if (!inRange(c, "2", "9")) return "no"; break;
      case "x": case "X": if (!inRange(c, "0", "9")) return "no"; break;
      case "z": case "Z": if (!inRange(c, "1", "9")) return "no"; break;
      case ".": return "yes";
      case "!": return "early";
      case " ": di--; break;
      default: if (data[di] !== pattern[pi]) return "no";
    }
    di++; pi++;
  }
  if (di < data.length) return "no";
  // The dialled string is used up: what is left of the pattern decides.
  if (pi >= pattern.length || pattern[pi] === "/") return mode === "matchmore" ? "no" : "yes";
  if (pattern[pi] === "!") return "early";
  return mode === "match" ? "no" : "yes";
}

/** True when `dialled` is exactly matched by the extension `name` (`!` counts as a match). */
export function extensionMatches(name: string, dialled: string): boolean {
  return matchExtension(name, dialled, "match") !== "no";
}

/** True when `dialled` matches or could match with more digits. */
export function extensionCanMatch(name: string, dialled: string): boolean {
  return matchExtension(name, dialled, "canmatch") !== "no";
}

/** True when more digits could still lead to a match (a `!` answers: stop waiting). */
export function extensionMatchesMore(name: string, dialled: string): boolean {
  return matchExtension(name, dialled, "matchmore") === "yes";
}

/**
 * Caller-ID matching for `exten => 306/_101,...`: an empty caller ID matches only an
 * empty pattern; otherwise the pattern is matched like an extension.
 */
export function matchCallerId(cidPattern: string, callerId: string | undefined): boolean {
  if (!callerId) return cidPattern === "";
  return extensionMatches(cidPattern, callerId);
}

// ---- ordering ----------------------------------------------------------------------

/**
 * One position of a pattern, for sorting. Sets (a literal is a set of one) come first,
 * smallest first, ties broken by lowest first character, then by the set whose sorted
 * characters compare lower; then `.`, then `!`, then the end of the pattern, then a
 * broken set (a `[` with no `]`).
 */
interface Slot { readonly rank: 0 | 1 | 2 | 3 | 4; readonly chars: string }

const DIGITS = "0123456789";
const CLASS: Record<string, string> = { x: DIGITS, X: DIGITS, z: DIGITS.slice(1), Z: DIGITS.slice(1), n: DIGITS.slice(2), N: DIGITS.slice(2) };

function expandSet(body: string): string {
  const chars = new Set<number>();
  for (let i = 0; i < body.length;) {
    if (i + 2 < body.length && body[i + 1] === "-") {
      const a = body.charCodeAt(i), b = body.charCodeAt(i + 2);
      for (let c = Math.min(a, b); c <= Math.max(a, b); c++) chars.add(c);
      i += 3;
    } else chars.add(body.charCodeAt(i++));
  }
  return String.fromCharCode(...[...chars].sort((x, y) => x - y));
}

/** Reads the slot at `p.at` of a pattern body (without `_`) and advances past it. */
function nextSlot(s: string, p: { at: number }): Slot {
  for (;;) {
    while (s[p.at] === "-") p.at++;
    if (p.at >= s.length) return { rank: 3, chars: "" };
    const ch = s[p.at++];
    if (ch in CLASS) return { rank: 0, chars: CLASS[ch] };
    if (ch === ".") return { rank: 1, chars: "" };
    if (ch === "!") return { rank: 2, chars: "" };
    if (ch !== "[") return { rank: 0, chars: ch };
    const end = s.indexOf("]", p.at);
    if (end < 0) return { rank: 4, chars: "" };
    const chars = expandSet(s.slice(p.at, end));
    p.at = end + 1;
    if (chars) return { rank: 0, chars }; // an empty set is skipped
  }
}

function compareSlots(a: Slot, b: Slot): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.chars.length !== b.chars.length) return a.chars.length - b.chars.length;
  return a.chars < b.chars ? -1 : a.chars > b.chars ? 1 : 0;
}

function comparePatterns(a: string, b: string): number {
  const pa = { at: 0 }, pb = { at: 0 };
  for (;;) {
    const sa = nextSlot(a, pa), sb = nextSlot(b, pb);
    const cmp = compareSlots(sa, sb);
    if (cmp !== 0 || sa.rank === 3) return cmp;
  }
}

function compareLiterals(a: string, b: string): number {
  const x = a.replaceAll("-", ""), y = b.replaceAll("-", "");
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Asterisk's extension order: plain extensions first (in character order, `-` ignored),
 * then patterns, most specific first, position by position. Zero means "the same
 * extension" (for example `_NXX-XXXX` and `_NXXXXXX`).
 */
export function compareExtensions(a: string, b: string): number {
  const pa = isPattern(a), pb = isPattern(b);
  if (!pa) return pb ? -1 : compareLiterals(a, b);
  if (!pb) return 1;
  return comparePatterns(a.slice(1), b.slice(1));
}

/**
 * A key equal for two names exactly when Asterisk treats them as the same extension
 * (`compareExtensions` gives 0), for indexing.
 */
export function extensionKey(name: string): string {
  if (!isPattern(name)) return name.replaceAll("-", "");
  const body = name.slice(1), at = { at: 0 }, parts: string[] = [];
  for (let slot = nextSlot(body, at); slot.rank !== 3; slot = nextSlot(body, at)) parts.push(`${slot.rank}${slot.chars}`);
  return `_${parts.join("\u0000")}`;
}

/** What is wrong with a pattern, if anything (for load-time diagnostics). */
export function patternProblem(name: string): string | undefined {
  if (name === "") return "empty extension";
  if (!isPattern(name)) return undefined;
  let inSet = false;
  for (let i = 1; i < name.length; i++) {
    const ch = name[i];
    if (inSet) { if (ch === "]") inSet = false; continue; }
    if (ch === "[") inSet = true;
    else if ((ch === "." || ch === "!") && i < name.length - 1 && name.slice(i + 1).replaceAll("-", "") !== ""
      && !(ch === "." && name.slice(i + 1) === "!")) {
      return `'${ch}' is only meaningful at the end of a pattern; what follows it is never matched`;
    }
  }
  return inSet ? "'[' without a matching ']'" : undefined;
}
