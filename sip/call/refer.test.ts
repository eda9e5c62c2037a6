import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReplaces } from "./refer.js";

test("Replaces (RFC 3891) as a Refer-To header carries it: call-id, to-tag, from-tag, early-only", () => {
  assert.deepEqual(parseReplaces("98asjd8@test.com;to-tag=12345;from-tag=54321"), { callId: "98asjd8@test.com", toTag: "12345", fromTag: "54321", earlyOnly: false });
  assert.deepEqual(parseReplaces("abc ; From-Tag=2 ;TO-TAG=1;early-only"), { callId: "abc", toTag: "1", fromTag: "2", earlyOnly: true });
  assert.equal(parseReplaces("abc;to-tag=1"), undefined, "both tags are required");
  assert.equal(parseReplaces(";to-tag=1;from-tag=2"), undefined, "and a call-id");
});
