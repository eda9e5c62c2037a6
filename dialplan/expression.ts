/**
 * The `$[...]` expression language, evaluated after variable substitution, with
 * Asterisk's operators, precedence and value rules. Lowest to highest precedence:
 *
 *   a ? b :: c        ternary (left-associative)
 *   |  (or ||)        a if a is neither empty nor zero, else b
 *   &  (or &&)        a if neither is empty or zero, else 0
 *   = == != < > <= >= numeric when neither side is a string, else character order; 1 or 0
 *   + -               numbers; a non-numeric side counts as absent (with a warning)
 *   * / %             numbers; x/0 gives 2147483647, x%0 gives 0 (with a warning)
 *   ! and unary -     right-associative
 *   :  =~  ~~         regex match anchored at the start / anywhere (the first capture
 *                     group, else the length matched), string concatenation
 *   ( )  NAME(args)   grouping, functions
 *
 * Values keep the typing Asterisk gives them: a bare number is a numeric string and
 * prints as written (`00` stays `00`) until arithmetic makes it a number; a double-quoted
 * token is a string *with* its quotes (they are stripped only by `:`, `=~` and `~~`),
 * so `$["a" = "a"]` is 1 and `$["ADULT"]` is `"ADULT"`. Numbers are IEEE doubles
 * (Asterisk uses long double), printed like C's `%.18Lg` as far as doubles allow.
 *
 * Bad syntax never throws: like Asterisk, the whole expression evaluates to `0` and a
 * warning explains why. Other problems (division by zero, unknown function, bad
 * regex) give Asterisk's value plus a warning.
 */
import { withCoreFunctions, type FunctionReader } from "./functions.js";

export interface ExpressionOptions {
  /** Functions callable as `NAME(args)` inside the expression, beyond the math ones. */
  readonly readFunction?: FunctionReader;
}

export interface ExpressionResult {
  readonly value: string;
  readonly warnings: readonly string[];
}

type Value =
  | { readonly kind: "number"; readonly n: number }
  | { readonly kind: "numeric"; readonly s: string } // looks like a number, prints as written
  | { readonly kind: "string"; readonly s: string };

// ---- lexer ---------------------------------------------------------------------------

type Op = "?" | "::" | "|" | "&" | "=" | "!=" | "<" | ">" | "<=" | ">=" | "+" | "-" | "*" | "/" | "%" | "!" | ":" | "=~" | "~~" | "(" | ")" | ",";
type Token = { readonly type: "op"; readonly op: Op; readonly at: number } | { readonly type: "value"; readonly value: Value; readonly at: number };

const TWO_CHAR_OPS: Record<string, Op> = { "||": "|", "&&": "&", "==": "=", "=~": "=~", "~~": "~~", ">=": ">=", "<=": "<=", "!=": "!=", "::": "::" };
const ONE_CHAR_OPS = "|&=><+,-*/%?!:()";
const NUMBER = /[0-9]+(\.[0-9]+)?/y;
/** Characters that end a `${...}` token's tail. */
const TAIL_STOP = "-\t\r \n$():?%/+=*<>!|&";

function isWordChar(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0x80 || /[A-Za-z0-9.';\\_^#@]/.test(s[i])) return 1;
  if (s[i] === "$" && i + 1 < s.length && s[i + 1] !== "{") return 2;
  return 0;
}

class Lexer {
  readonly tokens: Token[] = [];
  constructor(private readonly s: string, private readonly warn: (m: string) => void) {
    for (let i = 0; i < s.length;) i = this.next(i);
  }

  private next(i: number): number {
    const s = this.s, ch = s[i];
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\n") return i + 1;
    const two = TWO_CHAR_OPS[s.slice(i, i + 2)];
    if (two) { this.tokens.push({ type: "op", op: two, at: i }); return i + 2; }
    if (ch === "$" && s[i + 1] === "{") return this.variable(i, i);
    if (ONE_CHAR_OPS.includes(ch)) { this.tokens.push({ type: "op", op: ch as Op, at: i }); return i + 1; }
    if (ch === '"') {
      const close = s.indexOf('"', i + 1);
      if (close >= 0) return this.push(i, close + 1, "string");
    }
    // A number and a word may both match: the longer wins, a tie goes to the number.
    let word = i;
    for (let step; word < s.length && (step = isWordChar(s, word)); word += step);
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(s)?.[0].length ?? 0;
    if (s.startsWith("${", word) && word > i) return this.variable(i, word);
    if (num > 0 && num >= word - i) return this.push(i, i + num, "numeric");
    if (word > i) return this.push(i, word, "string");
    this.warn(`Unexpected character '${ch}' at column ${i + 1} ignored`);
    return i + 1;
  }

  /** `${...}` left unsubstituted becomes one string token, with what follows it up to an operator. */
  private variable(start: number, open: number): number {
    let i = open + 2, depth = 1;
    for (; i < this.s.length && depth > 0; i++) {
      if (this.s[i] === "{") depth++;
      else if (this.s[i] === "}") depth--;
    }
    for (; i < this.s.length; i++) {
      if (this.s.startsWith("${", i)) return this.variable(start, i);
      if (TAIL_STOP.includes(this.s[i])) break;
    }
    return this.push(start, i, "string");
  }

  private push(from: number, to: number, kind: "string" | "numeric"): number {
    this.tokens.push({ type: "value", value: { kind, s: this.s.slice(from, to) }, at: from });
    return to;
  }
}

// ---- values --------------------------------------------------------------------------

const num = (n: number): Value => ({ kind: "number", n });

/** A computed string gets Asterisk's typing: digits and dots (leading digit or dot) are numeric. */
function str(s: string): Value {
  return /^[0-9.][0-9.]*$/.test(s) ? { kind: "numeric", s } : { kind: "string", s };
}

/**
 * strtod on the only texts that reach it (digits, dots, signs and blanks): the longest
 * numeric prefix, 0 when there is none.
 */
function strtod(s: string): number {
  const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)/.exec(s);
  return m ? Number(m[0].trim()) : 0;
}

/** The number in a value, or undefined for a string (Asterisk's to_number failing). */
function toNumber(v: Value): number | undefined {
  if (v.kind === "number") return v.n;
  if (v.kind === "string") return undefined;
  return strtod(v.s);
}

/** C's `%.18Lg`, within what a double can represent. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n < 0 ? "-inf" : "inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const [mantissa, exp] = n.toExponential().split("e");
  const e = Number(exp);
  if (e < -4 || e >= 18) return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  if (Number.isInteger(n) && Math.abs(n) >= 1e16) return BigInt(n).toString();
  return String(n);
}

function toText(v: Value): string {
  return v.kind === "number" ? formatNumber(v.n) : v.s;
}

const isString = (v: Value) => v.kind === "string";

function isZeroOrNull(v: Value): boolean {
  if (v.kind === "number") return v.n === 0;
  return v.s === "" || (v.kind === "numeric" && strtod(v.s) === 0);
}

/** Double quotes are removed everywhere when the text both starts and ends with one. */
function stripQuotes(s: string): string {
  return s.length > 0 && s[0] === '"' && s[s.length - 1] === '"' ? s.replaceAll('"', "") : s;
}

/** C's atoi: optional blanks and sign, then digits. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1], 10) : 0;
}

// ---- parser and evaluator ---------------------------------------------------------------

class SyntaxProblem {
  constructor(readonly message: string) {}
}

const COMPARISONS: readonly Op[] = ["=", "!=", "<", ">", "<=", ">="];
const INT_MAX = 2147483647;

type Math1 = (x: number) => number;
const MATH1: Partial<Record<string, Math1>> = {
  COS: Math.cos, SIN: Math.sin, TAN: Math.tan, ACOS: Math.acos, ASIN: Math.asin, ATAN: Math.atan,
  SQRT: Math.sqrt, FLOOR: Math.floor, CEIL: Math.ceil, TRUNC: Math.trunc,
  ROUND: (x) => Math.sign(x) * Math.round(Math.abs(x)), // halves away from zero, as C's round
  RINT: roundHalfEven, // C's rint in the default rounding mode
  EXP: Math.exp, EXP2: (x) => 2 ** x, EXP10: (x) => 10 ** x,
  LOG: Math.log, LOG2: Math.log2, LOG10: Math.log10, ABS: Math.abs,
};
const MATH2: Partial<Record<string, (x: number, y: number) => number>> = {
  ATAN2: Math.atan2, POW: (x, y) => x ** y,
  REMAINDER: (x, y) => x - y * roundHalfEven(x / y), // IEEE remainder
};

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** POSIX bracket classes have no JavaScript spelling; the rest of ERE reads the same. */
const POSIX_CLASSES: Record<string, string> = {
  alpha: "A-Za-z", digit: "0-9", alnum: "A-Za-z0-9", upper: "A-Z", lower: "a-z", space: " \\t\\r\\n\\v\\f",
  blank: " \\t", punct: "!-\\/:-@\\[-`{-~", xdigit: "0-9A-Fa-f", cntrl: "\\x00-\\x1f\\x7f", print: " -~", graph: "!-~",
};

class Evaluator {
  private pos = 0;
  constructor(private readonly tokens: readonly Token[], private readonly readFunction: FunctionReader, private readonly warn: (m: string) => void) {}

  run(): Value {
    if (this.tokens.length === 0) return { kind: "string", s: "" };
    const v = this.ternary();
    if (this.pos < this.tokens.length) this.unexpected();
    return v;
  }

  private peekOp(): Op | undefined {
    const t = this.tokens[this.pos];
    return t?.type === "op" ? t.op : undefined;
  }

  private unexpected(): never {
    const t = this.tokens[this.pos];
    if (!t) throw new SyntaxProblem("syntax error: unexpected end of expression");
    throw new SyntaxProblem(`syntax error: unexpected '${t.type === "op" ? t.op : toText(t.value)}' at column ${t.at + 1}`);
  }

  private expect(op: Op): void {
    if (this.peekOp() !== op) this.unexpected();
    this.pos++;
  }

  private ternary(): Value {
    let cond = this.or();
    while (this.peekOp() === "?") {
      this.pos++;
      const yes = this.ternary();
      this.expect("::");
      const no = this.or();
      cond = this.choose(cond, yes, no);
    }
    return cond;
  }

  private choose(cond: Value, yes: Value, no: Value): Value {
    if (isString(cond)) {
      const s = toText(cond);
      return s !== "" && s !== '""' && s !== "0" ? yes : no;
    }
    return toNumber(cond) ? yes : no;
  }

  private or(): Value {
    let a = this.and();
    while (this.peekOp() === "|") {
      this.pos++;
      const b = this.and();
      a = isZeroOrNull(a) ? b : a;
    }
    return a;
  }

  private and(): Value {
    let a = this.comparison();
    while (this.peekOp() === "&") {
      this.pos++;
      const b = this.comparison();
      a = isZeroOrNull(a) || isZeroOrNull(b) ? num(0) : a;
    }
    return a;
  }

  private comparison(): Value {
    let a = this.additive();
    for (let op = this.peekOp(); op && COMPARISONS.includes(op); op = this.peekOp()) {
      this.pos++;
      a = this.compare(op, a, this.additive());
    }
    return a;
  }

  private compare(op: Op, a: Value, b: Value): Value {
    let cmp: number;
    if (isString(a) || isString(b)) {
      const x = toText(a), y = toText(b);
      cmp = x < y ? -1 : x > y ? 1 : 0;
    } else {
      const x = toNumber(a)!, y = toNumber(b)!;
      cmp = x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
    }
    const truth = op === "=" ? cmp === 0 : op === "!=" ? cmp !== 0 : op === "<" ? cmp < 0 : op === ">" ? cmp > 0 : op === "<=" ? cmp <= 0 : cmp >= 0;
    return num(truth ? 1 : 0);
  }

  private additive(): Value {
    let a = this.multiplicative();
    for (let op = this.peekOp(); op === "+" || op === "-"; op = this.peekOp()) {
      this.pos++;
      const b = this.multiplicative();
      const x = toNumber(a), y = toNumber(b);
      if (x === undefined || y === undefined) this.warn("non-numeric argument");
      // A non-numeric side counts as absent.
      if (x === undefined) a = num(y === undefined ? 0 : op === "+" ? y : 0 - y);
      else a = num(y === undefined ? x : op === "+" ? x + y : x - y);
    }
    return a;
  }

  private multiplicative(): Value {
    let a = this.unary();
    for (let op = this.peekOp(); op === "*" || op === "/" || op === "%"; op = this.peekOp()) {
      this.pos++;
      const b = this.unary();
      const x = toNumber(a), y = toNumber(b);
      if (x === undefined || y === undefined) {
        this.warn("non-numeric argument");
        a = num(op === "/" && x !== undefined ? INT_MAX : 0);
      } else if (y === 0 && op !== "*") {
        this.warn("division by zero");
        a = num(op === "/" ? INT_MAX : y);
      } else {
        a = num(op === "*" ? x * y : op === "/" ? x / y : x % y);
      }
    }
    return a;
  }

  private unary(): Value {
    const op = this.peekOp();
    if (op === "-") {
      this.pos++;
      const x = toNumber(this.unary());
      if (x === undefined) { this.warn("non-numeric argument"); return num(0); }
      return num(-x);
    }
    if (op === "!") {
      this.pos++;
      const v = this.unary();
      const truth = v.kind === "number" ? v.n !== 0 : v.s !== "" && v.s !== "0" && atoi(v.s) !== 0;
      return num(truth ? 0 : 1);
    }
    return this.match();
  }

  private match(): Value {
    let a = this.primary();
    for (let op = this.peekOp(); op === ":" || op === "=~" || op === "~~"; op = this.peekOp()) {
      this.pos++;
      // The right side may itself start with a prefix operator: `a : -b` is `a : (-b)`.
      const b = this.peekOp() === "-" || this.peekOp() === "!" ? this.unary() : this.primary();
      const text = stripQuotes(toText(a)), pattern = stripQuotes(toText(b));
      a = op === "~~" ? str(text + pattern) : this.regex(text, pattern, op === ":");
    }
    return a;
  }

  private regex(text: string, pattern: string, anchored: boolean): Value {
    let re: RegExp, groups: number;
    try {
      const source = pattern.replace(/\[:([a-z]+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
      re = new RegExp(source, "s"); // POSIX '.' also matches a newline
      groups = new RegExp(`${source}|`, "s").exec("")!.length - 1;
    } catch (e) {
      this.warn(`regcomp() error: ${(e as Error).message}`);
      return str("");
    }
    const m = re.exec(text);
    if (m && (!anchored || m.index === 0)) return m[1] !== undefined ? str(m[1]) : num(m[0].length);
    return groups === 0 ? num(0) : str("");
  }

  private primary(): Value {
    const t = this.tokens[this.pos];
    if (!t) this.unexpected();
    if (t.type === "op") {
      if (t.op !== "(") this.unexpected();
      this.pos++;
      const v = this.ternary();
      this.expect(")");
      return v;
    }
    this.pos++;
    if (this.peekOp() !== "(") return t.value;
    this.pos++;
    const args = [this.ternary()];
    while (this.peekOp() === ",") {
      this.pos++;
      const next = this.peekOp();
      args.push(next === ")" || next === "," ? str("") : this.ternary());
    }
    this.expect(")");
    return this.call(toText(t.value), args);
  }

  private call(name: string, args: Value[]): Value {
    if (!/^[A-Z_0-9]+$/.test(name)) {
      this.warn(`'${name}' is not possibly a function name`);
      return num(0);
    }
    const one = MATH1[name], two = MATH2[name];
    if (one || two) {
      if (args.length !== (one ? 1 : 2)) { this.warn(`Wrong args to ${name}() function`); return num(0); }
      const xs = args.map((a) => toNumber(a) ?? (this.warn(`non-numeric argument to ${name}()`), 0));
      return num(one ? one(xs[0]) : two!(xs[0], xs[1]));
    }
    const result = this.readFunction(name, args.map(toText).join(","));
    if (result === undefined) {
      this.warn(`'${name}' doesn't appear to be an available function`);
      return num(0);
    }
    return /^[-0-9. \t]*$/.test(result) ? num(strtod(result)) : str(result);
  }
}

/** Evaluates the text between `$[` and `]` (variables already substituted). */
export function evaluateExpression(text: string, options: ExpressionOptions = {}): ExpressionResult {
  const warnings: string[] = [];
  const warn = (m: string) => { warnings.push(m); };
  const tokens = new Lexer(text, warn).tokens;
  try {
    const value = new Evaluator(tokens, withCoreFunctions(options.readFunction), warn).run();
    return { value: toText(value), warnings };
  } catch (e) {
    if (!(e instanceof SyntaxProblem)) throw e;
    return { value: "0", warnings: [...warnings, `${e.message}; expression: ${text}`] };
  }
}

/**
 * Truth of a condition as GotoIf, ExecIf and IF() see it: empty is false, a leading
 * integer is its own truth (`0`, `00`, `0.9` are false), any other text is true.
 */
export function isTrueCondition(text: string): boolean {
  if (text === "") return false;
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number.parseInt(m[1], 10) !== 0 : true;
}
