import { test } from "node:test";
import assert from "node:assert/strict";
import { Cause } from "../../calls/hangup-causes.js";
import { causeFromSipResponse, sipResponseFromCause, sipTechCause } from "./causes.js";

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

test("the technology cause text of a SIP leg", () => {
  assert.equal(sipTechCause(486), "SIP 486 Busy Here");
  assert.equal(sipTechCause(599), "SIP 599");
});
