import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "../core/random.js";
import {
  compactExtension, compareExtensions, extensionCanMatch, extensionKey, extensionMatches, extensionMatchesMore,
  matchCallerId, matchExtension, patternProblem, shrinkPhoneNumber,
} from "./pattern.js";

test("X, Z and N match their digit ranges, in either case", () => {
  for (const [p, yes, no] of [["_X", "0", "a"], ["_Z", "1", "0"], ["_N", "2", "1"], ["_x", "9", "*"], ["_n", "9", "0"], ["_z", "5", "0"]] as const) {
    assert.equal(extensionMatches(p, yes), true, `${p} ~ ${yes}`);
    assert.equal(extensionMatches(p, no), false, `${p} !~ ${no}`);
  }
  assert.equal(extensionMatches("_NXXNXXXXXX", "2125551212"), true);
  assert.equal(extensionMatches("_NXXNXXXXXX", "2121551212"), false);
});

test("other characters match themselves, case-sensitively, in patterns and plain extensions", () => {
  assert.equal(extensionMatches("_*7X", "*71"), true);
  assert.equal(extensionMatches("_#1", "#1"), true);
  assert.equal(extensionMatches("_abc", "abc"), true);
  assert.equal(extensionMatches("_abc", "ABC"), false);
  assert.equal(extensionMatches("s", "s"), true);
  assert.equal(extensionMatches("s", "S"), false);
  assert.equal(extensionMatches("6001", "600"), false);
  assert.equal(extensionMatches("6001", "60011"), false);
});

test("character sets and ranges (seed examples)", () => {
  assert.equal(extensionMatches("_6[34]XX", "6300"), true);
  assert.equal(extensionMatches("_6[34]XX", "6401"), true);
  assert.equal(extensionMatches("_6[34]XX", "6501"), false);
  for (const d of "1234578") assert.equal(extensionMatches("_6[1-57-9]XX", `6${d}00`), d !== "6" && d !== "0");
  assert.equal(extensionMatches("_6[1-57-9]XX", "6600"), false);
  assert.equal(extensionMatches("_64X[4-9]", "6414"), true);
  assert.equal(extensionMatches("_64X[4-9]", "6413"), false);
  assert.equal(extensionMatches("_[a-c]1", "b1"), true);
  assert.equal(extensionMatches("_[a-c]1", "d1"), false);
  // "The first digit must be between six and four": a reversed range reads as the range.
  for (const d of "456") assert.equal(extensionMatches("_[6-4]4[4-9]", `${d}44`), true);
  assert.equal(extensionMatches("_[6-4]4[4-9]", "744"), false);
  assert.equal(extensionMatches("_1[]2", "12"), true, "an empty set is ignored");
  assert.equal(extensionMatches("_1[23", "12"), false, "an unterminated set never matches");
});

test("'-' is ignored in patterns and in dialled strings, but not inside a set", () => {
  assert.equal(extensionMatches("_NXX-XXXX", "5551234"), true);
  assert.equal(extensionMatches("_NXXXXXX", "555-1234"), true);
  assert.equal(extensionMatches("555-1234", "5551234"), true);
  assert.equal(extensionMatches("_[-5]1", "-1"), false, "a leading '-' of the dialled string is skipped before the set is tried");
  assert.equal(extensionMatches("_[0-2]", "-"), false);
});

test("'.' needs at least one more character, '!' none; both accept anything", () => {
  assert.equal(extensionMatches("_9.", "9"), false);
  assert.equal(extensionMatches("_9.", "9a#*"), true);
  assert.equal(matchExtension("_9!", "9"), "early");
  assert.equal(matchExtension("_9!", "9123"), "early");
  assert.equal(extensionMatches("_9!", "8"), false);
  assert.equal(extensionMatches("_X.", "1\u0007"), true, "control characters are just characters to '.'");
});

test("canmatch and matchmore for overlap dialling", () => {
  assert.equal(extensionCanMatch("_9.", "9"), true);
  assert.equal(extensionMatchesMore("_9.", "9"), true);
  assert.equal(extensionMatchesMore("_9.", "91"), true, "'.' always wants more");
  assert.equal(extensionCanMatch("_NXX", "2"), true);
  assert.equal(extensionMatchesMore("_NXX", "212"), false, "complete: nothing more to wait for");
  assert.equal(extensionCanMatch("_NXX", "212"), true);
  assert.equal(extensionCanMatch("_NXX", "112"), false);
  assert.equal(extensionCanMatch("6001", "60"), true);
  assert.equal(extensionMatchesMore("6001", "60"), true);
  assert.equal(extensionMatchesMore("6001", "6001"), false);
  assert.equal(extensionCanMatch("6001", ""), true);
  assert.equal(matchExtension("_9!", "9", "matchmore"), "early", "'!' settles the question");
  assert.equal(matchExtension("_91!", "9", "matchmore"), "yes");
});

test("a NUL ends the dialled string, as it would in C", () => {
  assert.equal(extensionMatches("600", "600\u0000junk"), true);
});

test("caller-ID matching: exact, pattern, and the empty caller ID", () => {
  assert.equal(matchCallerId("_101", "101"), true);
  assert.equal(matchCallerId("_101", "102"), false);
  assert.equal(matchCallerId("_10X", "107"), true);
  assert.equal(matchCallerId("6001", "6001"), true);
  assert.equal(matchCallerId("6001", undefined), false);
  assert.equal(matchCallerId("", undefined), true);
  assert.equal(matchCallerId("", ""), true);
  assert.equal(shrinkPhoneNumber("(555) 123-4567"), "5551234567");
  assert.equal(shrinkPhoneNumber("_[1-3]XX."), "_[1-3]XX.");
  assert.equal(shrinkPhoneNumber("1.2.3"), "123");
});

const seedPatterns = ["_6XX1", "_64XX", "_640X", "_6.", "_64NX", "_6[45]NX", "_6[34]NX"];

test("seed worked example: the sort puts _64NX first among the matches for 6421", () => {
  const sorted = [...seedPatterns].sort(compareExtensions);
  assert.deepEqual(sorted, ["_640X", "_64NX", "_64XX", "_6[34]NX", "_6[45]NX", "_6XX1", "_6."]);
  assert.equal(sorted.find((p) => extensionMatches(p, "6421")), "_64NX");
});

test("sort rules: plain first, fewest choices first, ASCII among equals, '.' then '!' after sets", () => {
  const cmp = (a: string, b: string) => Math.sign(compareExtensions(a, b));
  assert.equal(cmp("6001", "_6001"), -1);
  assert.equal(cmp("6001", "6002"), -1);
  assert.equal(cmp("s", "6001"), 1, "ASCII order among plain extensions");
  assert.equal(cmp("_N", "_X"), -1, "8 choices before 10");
  assert.equal(cmp("_Z", "_X"), -1);
  assert.equal(cmp("_[3-5]", "_[1-9]"), -1);
  assert.equal(cmp("_X", "_[a-j]"), -1, "same size: 0123456789 before abcdefghij");
  assert.equal(cmp("_[0-4]", "_[4-8]"), -1);
  assert.equal(cmp("_[0-35]", "_[0-245]"), -1, "same size and first character: the set with the lower differing character first");
  assert.equal(cmp("_[0-35]", "_[0-24]"), 1, "fewer characters first");
  assert.equal(cmp("_X.", "_X!"), -1);
  assert.equal(cmp("_X[0-9a-z]", "_X."), -1, "'.' sorts after any set");
  assert.equal(cmp("_X", "_X."), 1, "the end of a pattern sorts after '.'");
  assert.equal(cmp("_NXX-XXXX", "_NXXXXXX"), 0, "'-' has no effect");
  assert.equal(cmp("_1[]2", "_12"), 0, "empty sets have no effect");
  assert.equal(extensionKey("_NXX-XXXX"), extensionKey("_NXXXXXX"));
  assert.notEqual(extensionKey("_NXX"), extensionKey("_[2-9]X[0-8]"));
  assert.equal(extensionKey("_[2-9]"), extensionKey("_N"), "N is the set 2-9");
});

test("the order is a consistent total order (antisymmetric, transitive) over mixed names", () => {
  const rnd = new SeededRandom(7);
  const atoms = ["X", "N", "Z", "1", "9", "a", "[1-3]", "[3-1]", "[0-9a]", ".", "!", "-", "[]", "#", "*"];
  const names: string[] = ["s", "h", "6001", "600-1"];
  for (let i = 0; i < 150; i++) {
    let n = "_";
    for (let j = 1 + (rnd.next32() % 5); j > 0; j--) n += atoms[rnd.next32() % atoms.length];
    names.push(n);
  }
  for (const a of names) for (const b of names) assert.ok(Math.sign(compareExtensions(a, b)) === -Math.sign(compareExtensions(b, a)), `${a} vs ${b}`);
  const few = names.slice(0, 50);
  for (const a of few) for (const b of few) for (const c of few) {
    if (compareExtensions(a, b) <= 0 && compareExtensions(b, c) <= 0) assert.ok(compareExtensions(a, c) <= 0, `${a} <= ${b} <= ${c}`);
  }
  for (const a of names) for (const b of names) assert.equal(compareExtensions(a, b) === 0, extensionKey(a) === extensionKey(b), `${a} ≡ ${b}`);
});

test("blanks are removed outside sets when an extension is stored", () => {
  assert.equal(compactExtension("_NXX XXXX"), "_NXXXXXX");
  assert.equal(compactExtension("_[1 2]X"), "_[1 2]X");
  assert.equal(compactExtension("6 001"), "6001");
});

test("pattern problems are explained", () => {
  assert.match(patternProblem("_1[23") ?? "", /without a matching/);
  assert.match(patternProblem("_9.1") ?? "", /only meaningful at the end/);
  assert.equal(patternProblem("_.!"), undefined);
  assert.equal(patternProblem("_NXX-XXXX"), undefined);
  assert.equal(patternProblem(""), "empty extension");
});

test("random dialled strings never make the matcher throw", () => {
  const rnd = new SeededRandom(42);
  const alphabet = "0123456789*#abcXYZ-_.![]\u0000\u0001\u001b\u007f\u00e9\u4e2d ";
  const patterns = [...seedPatterns, "_X.", "_9!", "_[1-", "_[]", "s", "h", "6001", "_NXX-XXXX", "_.!"];
  for (let i = 0; i < 1000; i++) {
    let s = "";
    for (let j = rnd.next32() % 12; j > 0; j--) s += alphabet[rnd.next32() % alphabet.length];
    for (const p of patterns) {
      for (const mode of ["match", "canmatch", "matchmore"] as const) assert.ok(["no", "yes", "early"].includes(matchExtension(p, s, mode)));
      assert.equal(typeof compareExtensions(p, `_${s}`), "number");
    }
  }
});
