import { test } from "node:test";
import assert from "node:assert/strict";
import { nextRoundRobin, ringOrder, type Candidate } from "./strategy.js";

const S = 1_000_000;
const members: Candidate[] = [
  { id: "PJSIP/a", penalty: 0, callsTaken: 5, lastCall: 100 * S, index: 0 },
  { id: "PJSIP/b", penalty: 0, callsTaken: 1, lastCall: 50 * S, index: 1 },
  { id: "PJSIP/c", penalty: 0, callsTaken: 3, lastCall: 0, index: 2 },
  { id: "PJSIP/d", penalty: 2, callsTaken: 0, lastCall: 0, index: 3 },
];
const ctx = { rrpos: 0, now: 200 * S, random: () => 0 };

test("ringall rings the lowest penalty tier together, then the next", () => {
  assert.deepEqual(ringOrder("ringall", members, ctx), [["PJSIP/a", "PJSIP/b", "PJSIP/c"], ["PJSIP/d"]]);
});

test("linear keeps the member order, one at a time; a caller's retry starts at its linpos and wraps within the tier", () => {
  assert.deepEqual(ringOrder("linear", members, ctx).flat(), ["PJSIP/a", "PJSIP/b", "PJSIP/c", "PJSIP/d"]);
  assert.deepEqual(ringOrder("linear", members, { ...ctx, linpos: 2 }).flat(), ["PJSIP/c", "PJSIP/a", "PJSIP/b", "PJSIP/d"]);
});

test("leastrecent rings who never took a call first, then the longest idle; penalty last", () => {
  assert.deepEqual(ringOrder("leastrecent", members, ctx).flat(), ["PJSIP/c", "PJSIP/b", "PJSIP/a", "PJSIP/d"]);
});

test("fewestcalls rings by calls taken within a penalty", () => {
  assert.deepEqual(ringOrder("fewestcalls", members, ctx).flat(), ["PJSIP/b", "PJSIP/c", "PJSIP/a", "PJSIP/d"]);
});

test("rrmemory starts at the remembered position and wraps", () => {
  assert.deepEqual(ringOrder("rrmemory", members, { ...ctx, rrpos: 2 }).flat(), ["PJSIP/c", "PJSIP/a", "PJSIP/b", "PJSIP/d"]);
  assert.equal(nextRoundRobin(2, 4), 3);
  assert.equal(nextRoundRobin(3, 4), 0);
});

test("random and wrandom follow the drawn numbers; wrandom's range grows with penalty", () => {
  const draws = [900, 100, 500, 0];
  let i = 0;
  assert.deepEqual(ringOrder("random", members, { ...ctx, random: () => draws[i++] }).flat(), ["PJSIP/b", "PJSIP/c", "PJSIP/a", "PJSIP/d"]);
  const ranges: number[] = [];
  ringOrder("wrandom", members, { ...ctx, random: (n) => { ranges.push(n); return 0; } });
  assert.deepEqual(ranges, [1000, 1000, 1000, 3000]);
});
