import { test } from "node:test";
import assert from "node:assert/strict";
import { parseVariableReference, substitute, substring, type SubstitutionContext } from "./substitute.js";
import { variablesFrom } from "./variables.js";

const ctx = (vars: Record<string, string>, extra: Partial<SubstitutionContext> = {}): SubstitutionContext => ({
  channel: variablesFrom(Object.entries(vars)), ...extra,
});
const sub = (t: string, vars: Record<string, string> = {}, extra: Partial<SubstitutionContext> = {}) => substitute(t, ctx(vars, extra)).value;

test("seed substring table: NUMBER=98765", () => {
  const v = { NUMBER: "98765" };
  assert.equal(sub("${NUMBER:2}", v), "765");
  assert.equal(sub("${NUMBER:-2}", v), "65");
  assert.equal(sub("${NUMBER:0:3}", v), "987");
  assert.equal(sub("${NUMBER:1:3}", v), "876");
});

test("EXTEN substrings as used in dialplans", () => {
  const v = { EXTEN: "914165551212" };
  assert.equal(sub("PJSIP/${EXTEN:1}@trunk", v), "PJSIP/14165551212@trunk");
  assert.equal(sub("${EXTEN:-4:3}", v), "121");
  assert.equal(sub("${EXTEN:-4}", v), "1212");
  assert.equal(sub("${EXTEN:2:-2}", v), "41655512", "a negative length leaves characters off the end");
  assert.equal(sub("${EXTEN:-100:2}", v), "91", "an offset before the start starts at the beginning");
  assert.equal(sub("${EXTEN:100}", v), "", "an offset past the end gives nothing");
  assert.equal(sub("${EXTEN:0:-100}", v), "");
  assert.equal(sub("${EXTEN::3}", v), "914165551212", "an empty offset reads nothing, as sscanf does");
});

test("substring() mirrors Asterisk's rules", () => {
  assert.equal(substring("abcdef", 0, 2147483647), "abcdef");
  assert.equal(substring("abcdef", -2, 1), "e");
  assert.equal(substring("abcdef", 1, -1), "bcde");
  assert.equal(substring("abcdef", 3, -3), "");
});

test("variables: unset is empty, names are case-sensitive, text around is kept", () => {
  assert.equal(sub("[${COUNT}] [${count}] [${MISSING}]", { COUNT: "3" }), "[3] [] []");
  assert.equal(sub("cost: $5 and $ alone", {}), "cost: $5 and $ alone");
  assert.equal(sub("${A}${B}", { A: "x", B: "y" }), "xy");
});

test("nested references are substituted inside out", () => {
  assert.equal(sub("${${NAME}}", { NAME: "TARGET", TARGET: "hit" }), "hit");
  assert.equal(sub("${VAR_${N}}", { N: "2", VAR_2: "two" }), "two");
  assert.equal(sub("${${NAME}:1:2}", { NAME: "T", T: "abcd" }), "bc");
  assert.equal(sub("${X:${OFF}}", { X: "hello", OFF: "3" }), "lo");
});

test("expressions run after substitution", () => {
  assert.equal(sub("$[${A} + 2]", { A: "1" }), "3");
  assert.equal(sub("$[$[1 + 2] * 2]"), "6");
  assert.equal(sub("n=$[${AGE} > 18 ? \"ADULT\" :: \"MINOR\"]", { AGE: "21" }), 'n="ADULT"');
  assert.equal(sub("$[${X} : \"([0-9]+)\"]", { X: "123abc" }), "123", "brackets inside the expression are counted");
  assert.equal(sub("$[\"${S}\" =~ \"[a-c]\"]", { S: "zzb" }), "1");
  const bad = substitute("x$[1 +]y");
  assert.equal(bad.value, "x0y");
  assert.ok(bad.warnings.length > 0);
});

test("functions: core LEN/ISNULL, a registry for the rest, substring of results, unknown ones warn", () => {
  assert.equal(sub("${LEN(${X})}", { X: "hello" }), "5");
  assert.equal(sub("${ISNULL(${X})}", {}), "1");
  const calls: [string, string][] = [];
  const readFunction = (name: string, args: string) => { calls.push([name, args]); return name === "CALLERID" ? "6001" : undefined; };
  assert.equal(sub("${CALLERID(num):1}", {}, { readFunction }), "001");
  assert.equal(sub("${CALLERID(num:x)}", {}, { readFunction }), "6001", "a ':' inside the parentheses is an argument");
  assert.deepEqual(calls[1], ["CALLERID", "num:x"]);
  const r = substitute("a${NOSUCH(1)}b", { readFunction });
  assert.equal(r.value, "ab");
  assert.match(r.warnings.join(), /NOSUCH/);
  assert.equal(sub("$[LEN(${X}) > 3]", { X: "abcd" }, { readFunction }), "1", "functions inside expressions use the same reader");
});

test("built-ins come before channel variables, channel before globals", () => {
  const scope: SubstitutionContext = {
    builtin: (n) => (n === "EXTEN" ? "6001" : undefined),
    channel: variablesFrom([["EXTEN", "shadow"], ["X", "chan"]]),
    globals: variablesFrom([["X", "global"], ["G", "g"]]),
  };
  assert.equal(substitute("${EXTEN} ${X} ${G}", scope).value, "6001 chan g");
});

test("malformed references: missing braces and runaway nesting", () => {
  const r = substitute("a${X", ctx({ X: "1" }));
  assert.equal(r.value, "a1");
  assert.match(r.warnings.join(), /missing '}'/);
  // A variable whose value names itself nests no further than 15 levels.
  let t = "${A}";
  for (let i = 0; i < 30; i++) t = `\${${t}}`;
  const deep = substitute(t, ctx({ A: "A" }));
  assert.equal(typeof deep.value, "string");
  assert.match(deep.warnings.join(), /recursion depth/);
});

test("parseVariableReference splits name, offset and length", () => {
  assert.deepEqual(parseVariableReference("EXTEN:1"), { name: "EXTEN", offset: 1, length: 2147483647, isFunction: false });
  assert.deepEqual(parseVariableReference("CUT(a,b:c,1):-2:1"), { name: "CUT(a,b:c,1)", offset: -2, length: 1, isFunction: true });
});

test("random templates never throw", () => {
  const chars = "${}[]()$:-1aX+?\"\\ ";
  let seed = 99;
  for (let i = 0; i < 2000; i++) {
    let t = "";
    for (let j = 0; j < i % 25; j++) { seed = (seed * 1103515245 + 12345) % 2 ** 31; t += chars[seed % chars.length]; }
    assert.equal(typeof substitute(t, ctx({ a: "1", X: "${X}" })).value, "string");
  }
});
