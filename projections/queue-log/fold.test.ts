import { test } from "node:test";
import assert from "node:assert/strict";
import type { EventRecord } from "../../events/record.js";
import { decodeRecord, encodeRecord } from "../../events/codec.js";
import { QueueLogProjection, queueLogLine } from "./fold.js";

const T = 1796593738_000_000;
let offset = 0;
function queueRec(input: Record<string, unknown>, callers: { uniqueid: string; position: number }[] = [], dt = 0): EventRecord {
  return {
    offset: offset++, type: "queue.transition", v: 1, stream: "queue:helpdesk", kind: "queue", seq: offset, time: T + dt,
    input: { source: "dialplan", ...input } as EventRecord["input"], state: { value: "active", context: { name: "helpdesk", callers } }, outputs: [],
  };
}
function memberRec(input: Record<string, unknown>, dynamic = true): EventRecord {
  return {
    offset: offset++, type: "queue-member.transition", v: 1, stream: "queue-member:billing/PJSIP/carol", kind: "queue-member", seq: offset, time: T + 6e6,
    input: { source: "dialplan", ...input } as EventRecord["input"], state: { value: "available", context: { queue: "billing", name: "PJSIP/carol", dynamic } }, outputs: [],
  };
}

test("REFERENCE.md's lines, from the inputs that carry their data", () => {
  const p = new QueueLogProjection();
  const lines = [
    queueRec({ type: "configure", start: T - 1e6 }, [], -1e6),
    queueRec({ type: "configure" }),
    queueRec({ type: "join", uniqueid: "1796593738.0", url: "", callerIdNum: "1001" }, [{ uniqueid: "1796593738.0", position: 1 }]),
    queueRec({ type: "connect", uniqueid: "1796593738.0", agent: "Alice", holdtime: 0, peerUniqueid: "1796593738.2", ringtime: 0 }),
    queueRec({ type: "complete", uniqueid: "1796593738.0", agent: "Alice", by: "caller", holdtime: 0, talktime: 2, position: 1 }, [], 2e6),
    memberRec({ type: "add", callid: "1796593744.4" }),
    memberRec({ type: "pause", reason: "break" }),
    memberRec({ type: "unpause" }),
    memberRec({ type: "add" }, false),
  ].flatMap((r) => p.apply(r)).map(queueLogLine);
  assert.deepEqual(lines, [
    "1796593737|NONE|NONE|NONE|QUEUESTART|",
    "1796593738|1796593738.0|helpdesk|NONE|ENTERQUEUE||1001|1",
    "1796593738|1796593738.0|helpdesk|Alice|CONNECT|0|1796593738.2|0",
    "1796593740|1796593738.0|helpdesk|Alice|COMPLETECALLER|0|2|1",
    "1796593744|1796593744.4|billing|PJSIP/carol|ADDMEMBER|",
    "1796593744|NONE|billing|PJSIP/carol|PAUSE|break",
    "1796593744|NONE|billing|PJSIP/carol|UNPAUSE|",
  ]);
});

test("exits, abandon, ring results and custom QueueLog lines; data1..data5 split the data", () => {
  const p = new QueueLogProjection();
  const rows = [
    queueRec({ type: "abandon", uniqueid: "1.1", position: 2, origposition: 3, waittime: 14 }),
    queueRec({ type: "exit", reason: "timeout", uniqueid: "1.2", position: 1, origposition: 1, waittime: 30 }),
    queueRec({ type: "exit", reason: "key", key: "5", uniqueid: "1.3", position: 1, origposition: 2, waittime: 4 }),
    queueRec({ type: "exit", reason: "joinempty", uniqueid: "1.4", position: 0, origposition: 0, waittime: 0 }),
    queueRec({ type: "ringnoanswer", uniqueid: "1.5", agent: "Bob", ms: 15000 }),
    queueRec({ type: "log", uniqueid: "1.6", agent: "Bob", event: "MYEVENT", data: ["a", "b"] }),
    memberRec({ type: "pause", reason: "lunch", all: true }),
  ].flatMap((r) => p.apply(r));
  assert.deepEqual(rows.map((r) => `${r.event}|${r.data}`), [
    "ABANDON|2|3|14", "EXITWITHTIMEOUT|1|1|30", "EXITWITHKEY|5|1|2|4", "JOINEMPTY|", "RINGNOANSWER|15000", "MYEVENT|a|b", "PAUSEALL|lunch", "PAUSE|lunch",
  ]);
  assert.deepEqual([rows[2].data1, rows[2].data2, rows[2].data3, rows[2].data4, rows[2].data5], ["5", "1", "2", "4", ""]);
  assert.deepEqual(rows.map((r) => r.log_index), [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(p.lowWater(42), 42);
});

test("BLINDTRANSFER and ATTENDEDTRANSFER (Asterisk 22's words and fields), AGENTDUMP", () => {
  const p = new QueueLogProjection();
  const rows = [
    queueRec({ type: "transfer", kind: "blind", exten: "7790", context: "from-internal", uniqueid: "1.1", agent: "Alice", holdtime: 3, talktime: 12, position: 2 }),
    queueRec({ type: "transfer", kind: "attended", bridge: "b-1", uniqueid: "1.2", agent: "Bob", holdtime: 0, talktime: 5, position: 1 }),
    queueRec({ type: "agentdump", uniqueid: "1.3", agent: "Carol" }),
  ].flatMap((r) => p.apply(r));
  assert.deepEqual(rows.map((r) => `${r.agent}|${r.event}|${r.data}`), [
    "Alice|BLINDTRANSFER|7790|from-internal|3|12|2", "Bob|ATTENDEDTRANSFER|BRIDGE|b-1|0|5|1", "Carol|AGENTDUMP|",
  ]);
});

test("records read from the log: the fold decodes a state only for the inputs whose line needs it", () => {
  const p = new QueueLogProjection();
  // (the test records carry only the context fields the fold reads: not checked against the catalogue)
  const stored = (r: EventRecord) => decodeRecord(encodeRecord(r), r.offset, false);
  const select = stored(queueRec({ type: "select", uniqueid: "1.1", candidates: [{ id: "PJSIP/a", penalty: 0, callsTaken: 0, lastCall: 0, index: 0 }] }));
  const call = stored(memberRec({ type: "connect", uniqueid: "1.1" }));
  const connect = stored(queueRec({ type: "connect", uniqueid: "1.1", agent: "Alice", holdtime: 1, peerUniqueid: "1.2", ringtime: 1 }));
  const join = stored(queueRec({ type: "join", uniqueid: "1.3", url: "", callerIdNum: "1001" }, [{ uniqueid: "1.3", position: 1 }]));
  const pause = stored(memberRec({ type: "pause", reason: "lunch" }));
  assert.deepEqual([select, call, connect, join, pause].flatMap((r) => p.apply(r)).map((r) => `${r.queuename}|${r.event}|${r.data}`), [
    "helpdesk|CONNECT|1|1.2|1", "helpdesk|ENTERQUEUE||1001|1", "billing|PAUSE|lunch",
  ]);
  const read = (r: object) => {
    const x = r as unknown as { decoded?: unknown; firstInput?: unknown };
    return x.decoded ? "body" : x.firstInput ? "input" : "type";
  };
  assert.deepEqual([select, call, connect, join, pause].map(read), ["type", "type", "input", "body", "body"]);
});
