import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Cause, causeFromSipResponse, causeName, causeText, dialStatusFromCause, dialStatusFromCauses, parseCause, sipResponseFromCause, sipTechCause,
} from "./hangup-causes.js";
import { alphaFiles, digitFiles, numberFiles } from "./say.js";

test("SIP responses map to causes as the seed's table says", () => {
  const table: Array<[number, number]> = [
    [486, 17], [600, 17], [480, 19], [483, 19], [401, 21], [403, 21], [603, 21], [408, 18], [410, 22], [502, 27],
    [484, 28], [500, 38], [409, 41], [503, 42], [599, 42], [504, 102], [404, 1], [488, 58], [499, 127], [699, 127],
  ];
  for (const [sip, cause] of table) assert.equal(causeFromSipResponse(sip), cause, `SIP ${sip}`);
});

test("causes map back to SIP responses for an unanswered caller", () => {
  const table: Array<[number, number]> = [
    [Cause.USER_BUSY, 486], [Cause.NO_ANSWER, 480], [Cause.CALL_REJECTED, 403], [Cause.NO_USER_RESPONSE, 408], [Cause.NUMBER_CHANGED, 410],
    [Cause.DESTINATION_OUT_OF_ORDER, 502], [Cause.INVALID_NUMBER_FORMAT, 484], [Cause.NETWORK_OUT_OF_ORDER, 500], [Cause.SWITCH_CONGESTION, 503],
    [Cause.NORMAL_CIRCUIT_CONGESTION, 503], [Cause.RECOVERY_ON_TIMER_EXPIRE, 504], [Cause.UNALLOCATED, 404], [Cause.INTERWORKING, 500],
    [Cause.NORMAL_CLEARING, 603],
  ];
  for (const [cause, sip] of table) assert.equal(sipResponseFromCause(cause), sip, `cause ${cause}`);
});

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
  assert.equal(sipTechCause(486), "SIP 486 Busy Here");
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

test("English number, digit and letter prompts", () => {
  assert.deepEqual(numberFiles(0), ["digits/0"]);
  assert.deepEqual(numberFiles(15), ["digits/15"]);
  assert.deepEqual(numberFiles(42), ["digits/40", "digits/2"]);
  assert.deepEqual(numberFiles(100), ["digits/1", "digits/hundred"]);
  assert.deepEqual(numberFiles(-7), ["digits/minus", "digits/7"]);
  assert.deepEqual(numberFiles(1_234_567), [
    "digits/1", "digits/million", "digits/2", "digits/hundred", "digits/30", "digits/4", "digits/thousand",
    "digits/5", "digits/hundred", "digits/60", "digits/7",
  ]);
  assert.deepEqual(digitFiles("1*#-x9"), ["digits/1", "digits/star", "digits/pound", "digits/minus", "digits/9"]);
  assert.deepEqual(alphaFiles("aZ3 ."), ["letters/a", "letters/z", "digits/3", "letters/space", "letters/dot"]);
});
