import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCallFile } from "./call-file.js";
import { decideAfter, decideDue, formatAppended } from "./retries.js";

const ok = (text: string) => {
  const r = parseCallFile(text);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r;
};

test("a call file with every key, in any case, with # and ; comments and both Setvar and Set", () => {
  const { file, warnings } = ok([
    "# a wake-up call",
    "channel: PJSIP/6001",
    'CALLERID: "Wake up" <100>   ; shown on the phone',
    "WaitTime: 20",
    "MaxRetries: 2",
    "retrytime: 60",
    "Account: acct-7",
    "Context: from-internal",
    "Extension: 900",
    "Priority: 3",
    "Setvar: FOO=bar=baz",
    "Set: __INHERITED=semi\\;colon",
    "Codecs: ulaw,alaw",
    "Archive: yes",
    "AlwaysDelete: no",
    "Data: x#not-a-comment",
  ].join("\n"));
  assert.deepEqual(warnings, []);
  assert.equal(file.channel, "PJSIP/6001");
  assert.deepEqual(file.callerId, { name: "Wake up", num: "100" });
  assert.deepEqual([file.waitTime, file.maxRetries, file.retryTime, file.priority], [20, 2, 60, 3]);
  assert.deepEqual([file.account, file.context, file.exten, file.application], ["acct-7", "from-internal", "900", undefined]);
  assert.deepEqual(file.variables, { FOO: "bar=baz", __INHERITED: "semi;colon" });
  assert.deepEqual(file.codecs, ["ulaw", "alaw"]);
  assert.deepEqual([file.archive, file.alwaysDelete, file.retries, file.callingPid], [true, false, 0, undefined]);
});

test("defaults as Asterisk's: WaitTime 45, RetryTime 300, MaxRetries 0, Priority 1, AlwaysDelete yes, Archive no; Application wins over Extension", () => {
  const { file } = ok("Channel: Local/100@default\nApplication: Playback\nData: hello-world\nExtension: 1\n");
  assert.deepEqual([file.waitTime, file.retryTime, file.maxRetries, file.priority, file.alwaysDelete, file.archive], [45, 300, 0, 1, true, false]);
  assert.deepEqual([file.application, file.data, file.exten], ["Playback", "hello-world", undefined]);
});

test("bad lines are warnings naming the line, with the default kept; the file is still a call", () => {
  const { file, warnings } = ok("Channel: PJSIP/6001\nApplication: Echo\nWaitTime: soon\nRetryTime: 0\nMaxRetries: 3x\nbogus line\nColour: blue\nSetvar: novalue\n");
  assert.deepEqual([file.waitTime, file.retryTime, file.maxRetries], [45, 300, 3]);
  assert.deepEqual(warnings.map((w) => w.line), [3, 4, 6, 7, 8]);
  assert.match(warnings[3].reason, /unknown keyword 'Colour'/);
});

test("files that cannot give a call are refused with the reason", () => {
  const reason = (text: string) => { const r = parseCallFile(text); assert.equal(r.ok, false); return r.ok ? "" : r.reason; };
  assert.equal(reason("Application: Playback\n"), "no Channel: line");
  assert.equal(reason("Channel: 6001\nApplication: Playback\n"), "no valid Channel (Tech/Dest)");
  assert.equal(reason("Channel: PJSIP/6001\nContext: default\n"), "neither Application: nor Extension: is given");
  assert.equal(reason("Channel: PJSIP/6001\nExtension: 100\n"), "Extension: 100 has no Context:");
  assert.match(reason("Channel: PJSIP/6001\0\nApplication: Echo"), /not a text file/);
});

test("attempts are counted from the lines the spool appended: EndRetry, AbortRetry, Retry; a StartRetry without its end is an attempt cut short", () => {
  const base = "Channel: PJSIP/6001\nApplication: Echo\nMaxRetries: 2\nRetryTime: 10\n";
  const written = base + formatAppended({ key: "StartRetry", retries: 1, time: 110 }, 42) + formatAppended({ key: "EndRetry", retries: 1, time: 105 }, 42)
    + formatAppended({ key: "StartRetry", retries: 2, time: 130 }, 42);
  const { file } = ok(written);
  assert.deepEqual([file.retries, file.callingPid], [1, 42]);
  assert.match(written, /\nStartRetry: 42 1 \(110\)\n/);
});

test("decideDue: the first attempt appends StartRetry and moves the mtime past it; a cut-short attempt is aborted and counted; no tries left is expired", () => {
  const file = ok("Channel: PJSIP/6001\nApplication: Echo\nMaxRetries: 1\nRetryTime: 10\n").file;
  assert.deepEqual(decideDue(file, 1000), { kind: "attempt", attempt: 1, append: [{ key: "StartRetry", retries: 1, time: 1010 }], mtime: 1020 });
  assert.deepEqual(decideDue({ ...file, retries: 1 }, 1000), { kind: "attempt", attempt: 2, append: [{ key: "StartRetry", retries: 2, time: 1010 }], mtime: 1020 });
  assert.deepEqual(decideDue({ ...file, callingPid: 7 }, 1000), {
    kind: "attempt", attempt: 2, append: [{ key: "AbortRetry", retries: 1, time: 1000 }, { key: "StartRetry", retries: 2, time: 1010 }], mtime: 1020,
  });
  assert.deepEqual(decideDue({ ...file, retries: 2 }, 1000), { kind: "expired", attempts: 2 });
  assert.deepEqual(decideDue({ ...file, retries: 1, callingPid: 7 }, 1000), { kind: "expired", attempts: 2 });
});

test("decideAfter: answered is completed; a failure retries RetryTime later until 1 + MaxRetries attempts were made", () => {
  const file = ok("Channel: PJSIP/6001\nApplication: Echo\nMaxRetries: 2\nRetryTime: 30\n").file;
  assert.deepEqual(decideAfter(file, 1, true, 500), { kind: "completed" });
  assert.deepEqual(decideAfter(file, 1, false, 500), { kind: "retry", append: { key: "EndRetry", retries: 1, time: 500 }, at: 530 });
  assert.deepEqual(decideAfter(file, 2, false, 600), { kind: "retry", append: { key: "EndRetry", retries: 2, time: 600 }, at: 630 });
  assert.deepEqual(decideAfter(file, 3, false, 700), { kind: "expired" });
  assert.deepEqual(decideAfter({ ...file, maxRetries: 0 }, 1, false, 700), { kind: "expired" });
});
