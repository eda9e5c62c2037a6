import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateExpression, formatNumber, isTrueCondition } from "./expression.js";

const ev = (text: string, readFunction?: (name: string, args: string) => string | undefined) =>
  evaluateExpression(text, readFunction ? { readFunction } : {}).value;

test("seed examples: arithmetic, precedence, comparisons", () => {
  assert.equal(ev("2 + 3 * 4"), "14");
  assert.equal(ev("-3"), "-3");
  assert.equal(ev("5 > 3"), "1");
  assert.equal(ev("5 < 3"), "0");
  assert.equal(ev('"bob" = "bob"'), "1");
  assert.equal(ev('"bob" > "ann"'), "1");
});

test("seed examples: regex match with capture", () => {
  assert.equal(ev('"8015551212" : "(...)"'), "801");
  assert.equal(ev('"One Thousand" =~ "(T[^ ]+)"'), "Thousand");
});

test("seed GotoIf example: vara=1, varb=vara+2, varc=varb*2, varc = 6", () => {
  const varb = ev("1 + 2");
  const varc = ev(`${varb} * 2`);
  assert.equal(varc, "6");
  assert.equal(ev(`${varc} = 6`), "1");
});

test("the ternary takes the middle or last value; quoted strings keep their quotes", () => {
  assert.equal(ev('21 > 18 ? "ADULT" :: "MINOR"'), '"ADULT"');
  assert.equal(ev('12 > 18 ? "ADULT" :: "MINOR"'), '"MINOR"');
  assert.equal(ev("4 + (2 * 8) ? 3 :: 6"), "3");
  assert.equal(ev("0 ? 3 :: 6"), "6");
  assert.equal(ev('"" ? 3 :: 6'), "6");
  assert.equal(ev("x ? 3 :: 6"), "3");
  assert.equal(ev("1 ? 0 ? 7 :: 8 :: 9"), "8", "a ternary may nest in the middle");
  assert.equal(ev("0 ? 1 :: 0 ? 2 :: 3"), "3", "left-associative");
  assert.equal(ev("1 | 0 ? 5 :: 6"), "5", "the condition takes the whole or-expression");
});

test("precedence table: | < & < comparison < + - < * / % < unary < : =~", () => {
  assert.equal(ev("4 + 2 * 8"), "20");
  assert.equal(ev("(4 + 2) * 8"), "48");
  assert.equal(ev("4 + 8 % 3"), "6");
  assert.equal(ev("(4+9) %3"), "1");
  assert.equal(ev("0 | 1 & 0"), "0", "& binds tighter than |");
  assert.equal(ev("1 = 1 & 2 = 2"), "1");
  assert.equal(ev("3 > 4 & 4 < 3"), "0");
  assert.equal(ev("1 + 1 = 2"), "1", "+ binds tighter than =");
  assert.equal(ev("!0 + 1"), "2", "! binds tighter than +");
  assert.equal(ev("- 2 * 3"), "-6");
  assert.equal(ev("10 - 2 - 3"), "5", "left-associative");
  assert.equal(ev("2 - -3"), "5");
  assert.equal(ev("-4 - -2"), "-2");
  assert.equal(ev('- "12345" : "(..)"'), "-12", "unary minus applies to the whole match");
  assert.equal(ev('"12345" : - "1"'), "0", "a prefix operator may follow ':'");
});

test("| and & return operands, not booleans", () => {
  assert.equal(ev("2 | 4"), "2");
  assert.equal(ev("0 | 4"), "4");
  assert.equal(ev("0 | 0"), "0");
  assert.equal(ev('"" | abc'), '""', 'a quoted empty string is two characters, not empty');
  assert.equal(ev("4 & 5"), "4");
  assert.equal(ev("0 & 4"), "0");
  assert.equal(ev("!4 | !0"), "1");
  assert.equal(ev("a || b"), "a", "|| and && are the same operators");
  assert.equal(ev("a && 0"), "0");
});

test("numbers print as written until arithmetic touches them", () => {
  assert.equal(ev("00"), "00");
  assert.equal(ev("043"), "043");
  assert.equal(ev("043 + 0"), "43");
  assert.equal(ev("!00"), "1");
  assert.equal(ev("!01"), "0");
  assert.equal(ev("something"), "something");
  assert.equal(ev(""), "");
  assert.equal(ev("   "), "");
});

test("comparisons: numeric when both sides are numbers, character order otherwise", () => {
  assert.equal(ev("10 > 9"), "1");
  assert.equal(ev("10 > 9a"), "0", "9a is a string, so '10' < '9a'");
  assert.equal(ev("x = x"), "1");
  assert.equal(ev("y = x"), "0");
  assert.equal(ev("1.0 = 1"), "1");
  assert.equal(ev('6001 = "6001"'), "0", "a quoted side is compared with its quotes");
  assert.equal(ev('"6001" = "6001"'), "1");
  assert.equal(ev("3 != 4"), "1");
  assert.equal(ev("3 >= 3"), "1");
  assert.equal(ev("4 <= 3"), "0");
});

test("floating point division and the math functions", () => {
  assert.equal(ev("3 / 2"), "1.5");
  assert.equal(ev("FLOOR(4 + 8 / 3)"), "6");
  assert.equal(ev("(4+8) / 3"), "4");
  assert.equal(ev("CEIL(2.1)"), "3");
  assert.equal(ev("ROUND(2.5)"), "3");
  assert.equal(ev("ROUND(-2.5)"), "-3");
  assert.equal(ev("RINT(2.5)"), "2");
  assert.equal(ev("RINT(3.5)"), "4");
  assert.equal(ev("TRUNC(-2.7)"), "-2");
  assert.equal(ev("SQRT(16)"), "4");
  assert.equal(ev("ABS(-7)"), "7");
  assert.equal(ev("POW(2, 10)"), "1024");
  assert.equal(ev("REMAINDER(7, 4)"), "-1");
  assert.equal(ev("EXP10(2)"), "100");
  assert.equal(ev("LOG2(8)"), "3");
});

test("LEN and ISNULL work without a function registry; other names go to the registry", () => {
  assert.equal(ev("LEN(hello) + 1"), "6");
  assert.equal(ev("ISNULL(x)"), "0");
  assert.equal(ev('LEN("ab")'), "4", "quotes are part of the argument text");
  const calls: string[] = [];
  const reader = (name: string, args: string) => { calls.push(`${name}(${args})`); return name === "CUT" ? "42" : undefined; };
  assert.equal(ev("CUT(abc, 1 + 1, 2) * 2", reader), "84");
  assert.deepEqual(calls, ["CUT(abc,2,2)"], "arguments are evaluated, then joined with commas");
  const r = evaluateExpression("NOPE(1)");
  assert.equal(r.value, "0");
  assert.match(r.warnings.join(), /NOPE/);
  assert.equal(evaluateExpression("lower(1)").value, "0", "function names are upper case");
  assert.equal(ev("F(a,,b)", (_n, a) => `[${a}]`), "[a,,b]", "an empty argument is allowed");
});

test("regex operators: anchored ':' and unanchored '=~', capture or match length", () => {
  assert.equal(ev('"Something interesting" =~ interesting'), "11");
  assert.equal(ev('"Something interesting" : interesting'), "0");
  assert.equal(ev('"Something interesting" : "(interesting)"'), "");
  assert.equal(ev('"011043567857575" : "011(..)"'), "04");
  assert.equal(ev('"9011043567857575" =~ "011(..)"'), "04");
  assert.equal(ev('"abc" : "[[:alpha:]]+"'), "3", "POSIX classes");
  assert.equal(ev('"a" ~~ "b" ~~ 1'), "ab1");
  const bad = evaluateExpression('"abc" : "("');
  assert.equal(bad.value, "");
  assert.match(bad.warnings.join(), /regcomp/);
});

test("non-numeric arithmetic and division by zero give Asterisk's values with a warning", () => {
  const cases: [string, string][] = [["abc + 3", "3"], ["3 + abc", "3"], ["abc - 3", "-3"], ["abc * 3", "0"], ["abc / 3", "0"], ["3 / abc", "2147483647"], ["5 / 0", "2147483647"], ["5 % 0", "0"], ["-abc", "0"]];
  for (const [text, value] of cases) {
    const r = evaluateExpression(text);
    assert.equal(r.value, value, text);
    assert.ok(r.warnings.length > 0, `${text} warns`);
  }
});

test("bad syntax evaluates to 0 with a warning naming the expression, never throws", () => {
  for (const text of ["1 +", "(1", "1 )", "* 2", "1 2", "a ? b", "a :: b", "1,2", "LEN()", "(", "?", '"unterminated']) {
    const r = evaluateExpression(text);
    assert.equal(r.value, text === '"unterminated' ? "unterminated" : "0", text);
    assert.ok(r.warnings.length > 0, `${text} warns`);
  }
  assert.match(evaluateExpression("1 +").warnings.at(-1) ?? "", /1 \+/);
});

test("random input never throws", () => {
  const chars = '0123456789 +-*/%!=<>&|?:()",~abcXYZ$[]{}\\\u0000\u00ff';
  let seed = 12345;
  for (let i = 0; i < 2000; i++) {
    let s = "";
    for (let j = 0; j < 1 + (i % 15); j++) { seed = (seed * 1103515245 + 12345) % 2 ** 31; s += chars[seed % chars.length]; }
    const r = evaluateExpression(s);
    assert.equal(typeof r.value, "string");
  }
});

test("numbers print like %.18Lg", () => {
  assert.equal(formatNumber(14), "14");
  assert.equal(formatNumber(1.5), "1.5");
  assert.equal(formatNumber(-0), "-0");
  assert.equal(formatNumber(1e20), "1e+20");
  assert.equal(formatNumber(0.00001), "1e-05");
  assert.equal(formatNumber(123456789012345680), "123456789012345680");
  assert.equal(formatNumber(Infinity), "inf");
});

test("condition truth as GotoIf sees it", () => {
  assert.equal(isTrueCondition(""), false);
  assert.equal(isTrueCondition("0"), false);
  assert.equal(isTrueCondition("00"), false);
  assert.equal(isTrueCondition("0.9"), false);
  assert.equal(isTrueCondition("1"), true);
  assert.equal(isTrueCondition("-1"), true);
  assert.equal(isTrueCondition("abc"), true);
  assert.equal(isTrueCondition(" 0"), false);
});
