import { test } from "node:test";
import assert from "node:assert/strict";
import { causeName, causeText, dialStatusFromCause, dialStatusFromCauses, parseCause } from "./hangup-causes.js";

test("cause names, texts and parsing", () => {
  assert.equal(causeName(17), "AST_CAUSE_USER_BUSY");
  assert.equal(causeName(16), "AST_CAUSE_NORMAL_CLEARING");
  assert.equal(causeName(4), undefined);
  assert.equal(causeText(19), "User alerting, no answer");
  assert.equal(causeText(999), "Unknown");
  assert.equal(parseCause("17"), 17);
  assert.equal(parseCause("user_busy"), 17);
  assert.equal(parseCause("AST_CAUSE_CONGESTION"), 42);
  assert.equal(parseCause("nonsense"), undefined);
});

test("DIALSTATUS from the called legs' causes (app_dial's rules)", () => {
  assert.equal(dialStatusFromCause(17), "BUSY");
  assert.equal(dialStatusFromCause(42), "CONGESTION");
  assert.equal(dialStatusFromCause(19), "NOANSWER");
  assert.equal(dialStatusFromCause(3), "CHANUNAVAIL");
  assert.equal(dialStatusFromCause(21), "CHANUNAVAIL");
  assert.equal(dialStatusFromCauses([19, 3, 17]), "BUSY", "any busy leg makes the dial busy");
  assert.equal(dialStatusFromCauses([3, 42]), "CONGESTION");
  assert.equal(dialStatusFromCauses([19, 16]), "NOANSWER");
});
