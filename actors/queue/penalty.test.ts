import { test } from "node:test";
import assert from "node:assert/strict";
import { applyStep, effectivePenalty, OPEN_WINDOW, parsePenaltyChange, readBound, type PenaltyRule } from "./penalty.js";

const step = (v: string) => parsePenaltyChange(v) as PenaltyRule;

test("a relative step moves the bounds the caller has; an unbounded maximum stays unbounded", () => {
  const w = { max: 0, min: 0, raise: Infinity, raiseRespectMin: false };
  assert.deepEqual(applyStep(w, step("10,+1")), { max: 1, min: 0, raise: Infinity, raiseRespectMin: false });
  assert.deepEqual(applyStep(w, step("10,-3")), { max: 0, min: 0, raise: Infinity, raiseRespectMin: false }, "never below 0");
  assert.deepEqual(applyStep({ ...w, max: 5, min: 2 }, step("10,3,+4")), { max: 3, min: 3, raise: Infinity, raiseRespectMin: false }, "min kept under max");
  assert.deepEqual(applyStep(OPEN_WINDOW, step("10,4,1,2")), OPEN_WINDOW);
});

test("members outside the window do not ring; a raise counts low penalties as the raise, unless r keeps those under the minimum", () => {
  const w = { max: 3, min: 1, raise: Infinity, raiseRespectMin: false };
  assert.deepEqual([0, 1, 3, 4].map((p) => effectivePenalty(w, p)), [undefined, 1, 3, undefined]);
  assert.deepEqual([0, 1, 3].map((p) => effectivePenalty({ ...w, raise: 2 }, p)), [2, 2, 3]);
  assert.deepEqual([0, 1, 3].map((p) => effectivePenalty({ ...w, raise: 2, raiseRespectMin: true }, p)), [undefined, 2, 3]);
  assert.deepEqual([0, 1, 2].map((p) => effectivePenalty({ ...OPEN_WINDOW, max: 1 }, p)), [0, 1, undefined], "no minimum: only the maximum bounds");
  assert.deepEqual([0, 7].map((p) => effectivePenalty(OPEN_WINDOW, p)), [0, 7]);
  assert.deepEqual(readBound("r2"), { value: 2, respectMin: true });
  assert.deepEqual(readBound(undefined), { value: Infinity, respectMin: false });
  assert.equal(readBound("lots"), "Invalid value (lots)");
});
