import { test } from "node:test";
import assert from "node:assert/strict";
import type { EventRecord } from "../../events/record.js";
import { CdrProjection } from "./fold.js";
import { defaultCdr, type CdrSettings } from "../config.js";
import type { CdrRow } from "../rows.js";
import * as calls from "../test/calls.js";

const T0 = calls.T0;
const at = (s: number) => T0 + s * 1e6;

async function run(scenario: (d: calls.CallDriver) => calls.Scenario, settings: Partial<CdrSettings> = {}) {
  const d = await calls.CallDriver.open();
  const s = scenario(d);
  const records = await d.records();
  const rows = fold(records, settings);
  await d.log.close();
  return { s, rows, records };
}

function fold(records: readonly EventRecord[], settings: Partial<CdrSettings> = {}): CdrRow[] {
  const p = new CdrProjection({ ...defaultCdr, ...settings });
  const problems: string[] = [];
  const rows = records.flatMap((r) => p.apply(r, (e) => problems.push(e.message)));
  assert.deepEqual(problems, []);
  return rows;
}

/** The fields Asterisk writes, without log positions. */
const fields = ({ log_offset: _o, log_index: _i, ...rest }: CdrRow) => rest;

test("two-party call: one record per channel sharing linkedid (seed 003's A/B example), every field", async () => {
  const { rows } = await run(calls.answered);
  assert.deepEqual(rows.map(fields), [
    {
      accountcode: "", src: "1001", dst: "2002", dcontext: "internal", clid: '"Alice" <1001>', channel: "PJSIP/1001-00000001",
      dstchannel: "PJSIP/2002-00000002", lastapp: "Dial", lastdata: "PJSIP/2002,30", start: at(0), answer: at(3), end: at(60),
      duration: 60, billsec: 57, disposition: "ANSWERED", amaflags: "DOCUMENTATION", userfield: "", uniqueid: "1716710000.1",
      linkedid: "1716710000.1", peeraccount: "", sequence: 1,
    },
    {
      accountcode: "", src: "1001", dst: "2002", dcontext: "internal", clid: '"Alice" <1001>', channel: "PJSIP/2002-00000002",
      dstchannel: "PJSIP/1001-00000001", lastapp: "AppDial", lastdata: "(Outgoing Line)", start: at(0), answer: at(3), end: at(60),
      duration: 60, billsec: 57, disposition: "ANSWERED", amaflags: "DOCUMENTATION", userfield: "", uniqueid: "1716710000.2",
      linkedid: "1716710000.1", peeraccount: "", sequence: 1,
    },
  ]);
});

test("recall_layout=pair: Asterisk 12+'s single row for the A/B pair (REFERENCE.md)", async () => {
  const { rows } = await run(calls.answered, { layout: "pair" });
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0].channel, rows[0].dstchannel, rows[0].lastapp, rows[0].lastdata, rows[0].disposition], ["PJSIP/1001-00000001", "PJSIP/2002-00000002", "Dial", "PJSIP/2002,30", "ANSWERED"]);
});

test("failed dials: BUSY, NO ANSWER, cancel, declined and unreachable give the caller's record its disposition", async () => {
  const cases: [typeof calls.busy, string, number][] = [
    [calls.busy, "BUSY", 1], [calls.noAnswer, "NO ANSWER", 20], [calls.cancel, "NO ANSWER", 5], [calls.declined, "FAILED", 2], [calls.unreachable, "FAILED", 0],
  ];
  for (const [scenario, disposition, duration] of cases) {
    const { rows } = await run(scenario);
    assert.equal(rows.length, 1, `${scenario.name}: the unanswered callee leg is left out (unanswered=no)`);
    const r = rows[0];
    assert.deepEqual([r.channel, r.dstchannel, r.lastapp, r.disposition, r.duration, r.billsec, r.answer], ["PJSIP/1001-00000001", "PJSIP/2002-00000002", "Dial", disposition, duration, 0, null], scenario.name);
  }
});

test("unanswered=yes logs the rung leg too, with its own disposition", async () => {
  const { rows } = await run(calls.busy, { unanswered: true });
  assert.deepEqual(rows.map((r) => [r.channel, r.dstchannel, r.lastapp, r.disposition]), [
    ["PJSIP/2002-00000002", "PJSIP/1001-00000001", "AppDial", "BUSY"],
    ["PJSIP/1001-00000001", "PJSIP/2002-00000002", "Dial", "BUSY"],
  ]);
});

test("Hangup(17) without Dial: one row, dstchannel empty, lastapp Hangup, lastdata 17, BUSY, billsec 0 (REFERENCE.md)", async () => {
  const { rows } = await run(calls.hangup17);
  assert.deepEqual(rows.map((r) => [r.dstchannel, r.lastapp, r.lastdata, r.disposition, r.billsec, r.duration]), [["", "Hangup", "17", "BUSY", 0, 1]]);
});

test("congestion: CONGESTION with congestion=yes, FAILED otherwise", async () => {
  const congested = (d: calls.CallDriver) => {
    const a = d.channel(calls.alice, "in", { exten: "2002" });
    d.startDial(a, "2002", "Dial", "PJSIP/2002");
    const b = d.dialLeg(a, calls.bob, "PJSIP/2002");
    d.hangup(b, 42, d.ctx(b).name); d.destroy(b);
    d.send(a, "dial.end", { status: "CONGESTION" });
    d.hangup(a, 16, "dialplan/builtin"); d.destroy(a);
    return { a };
  };
  assert.equal((await run(congested)).rows[0].disposition, "FAILED");
  assert.equal((await run(congested, { congestion: true })).rows[0].disposition, "CONGESTION");
});

test("Gosub: CDR(accountcode) and CDR(userfield) set in the subroutine, peeraccount from the callee, dst back at 2002 after Return", async () => {
  const { rows } = await run(calls.gosub);
  const a = rows.find((r) => r.channel === "PJSIP/1001-00000001")!;
  const b = rows.find((r) => r.channel === "PJSIP/2002-00000002")!;
  assert.deepEqual([a.accountcode, a.userfield, a.peeraccount, a.dst, a.dcontext, a.lastapp, a.billsec], ["sales", "projectX", "customer2002", "2002", "internal", "Dial", 30]);
  assert.deepEqual([b.accountcode, b.peeraccount, b.dstchannel], ["customer2002", "sales", "PJSIP/1001-00000001"]);
  assert.equal(a.end, b.end, "both end when the bridge breaks");
});

test("endbeforehexten=no: the record ends at destruction and `h`'s application is lastapp", async () => {
  const withH = (d: calls.CallDriver) => {
    const a = d.channel(calls.alice, "in", { exten: "2002" });
    d.startDial(a, "2002", "Playback", "hello");
    d.send(a, "answer");
    d.advance(4);
    d.hangup(a, 16, "PJSIP/1001-00000001");
    d.send(a, "app.end", { app: "Playback" });
    d.send(a, "newexten", { context: "internal", exten: "h", priority: 1 });
    d.send(a, "app.start", { app: "NoOp", data: "in h" });
    d.advance(1);
    d.send(a, "app.end", { app: "NoOp" });
    d.destroy(a);
    return { a };
  };
  const [late] = (await run(withH, { endbeforehexten: false })).rows;
  assert.deepEqual([late.lastapp, late.lastdata, late.dst, late.duration], ["NoOp", "in h", "2002", 5]);
  const [early] = (await run(withH)).rows;
  assert.deepEqual([early.lastapp, early.lastdata, early.dst, early.duration], ["Playback", "hello", "2002", 4]);
});

test("initiatedseconds rounds billsec half up; by default it truncates", async () => {
  const short = (d: calls.CallDriver) => {
    const a = d.channel(calls.alice, "in", { exten: "2002" });
    d.startDial(a, "2002", "Answer", "");
    d.send(a, "answer");
    d.advance(1.5);
    d.hangup(a, 16, "dialplan/builtin"); d.destroy(a);
    return { a };
  };
  assert.equal((await run(short)).rows[0].billsec, 1);
  assert.equal((await run(short, { initiatedseconds: true })).rows[0].billsec, 2);
  assert.equal((await run(short, { enable: false })).rows.length, 0);
});

test("Local channel optimised away: no Local records; A and B each see the other", async () => {
  const { rows } = await run(calls.local);
  assert.deepEqual(rows.map((r) => [r.channel, r.dstchannel, r.disposition, r.billsec, r.linkedid]), [
    ["PJSIP/1001-00000001", "PJSIP/2002-00000004", "ANSWERED", 40, "1716710000.1"],
    ["PJSIP/2002-00000004", "PJSIP/1001-00000001", "ANSWERED", 40, "1716710000.1"],
  ]);
});

test("blind transfer: the four records of seed 003's transfer example, every field", async () => {
  const { rows } = await run(calls.blindTransfer);
  const A = "PJSIP/1001-00000001", B = "PJSIP/2002-00000002", C = "PJSIP/3003-00000003";
  const common = { accountcode: "", src: "1001", dcontext: "internal", clid: '"Alice" <1001>', disposition: "ANSWERED", amaflags: "DOCUMENTATION", userfield: "", linkedid: "1716710000.1", peeraccount: "" };
  assert.deepEqual(rows.map(fields), [
    // At the transfer: A→B (A's first record) and B's record end together.
    { ...common, dst: "2002", channel: A, dstchannel: B, lastapp: "Dial", lastdata: "PJSIP/2002", start: at(0), answer: at(1), end: at(21), duration: 21, billsec: 20, uniqueid: "1716710000.1", sequence: 1 },
    { ...common, dst: "2002", channel: B, dstchannel: A, lastapp: "AppDial", lastdata: "(Outgoing Line)", start: at(0), answer: at(1), end: at(21), duration: 21, billsec: 20, uniqueid: "1716710000.2", sequence: 1 },
    // A goes on in the dialplan at 3003: a new record for A→C (sequence 2), and C's own.
    { ...common, dst: "3003", channel: A, dstchannel: C, lastapp: "Dial", lastdata: "PJSIP/3003", start: at(21), answer: at(23), end: at(53), duration: 32, billsec: 30, uniqueid: "1716710000.1", sequence: 2 },
    { ...common, dst: "3003", channel: C, dstchannel: A, lastapp: "AppDial", lastdata: "(Outgoing Line)", start: at(21), answer: at(23), end: at(53), duration: 32, billsec: 30, uniqueid: "1716710021.3", sequence: 1 },
  ]);
});

test("blind transfer: the records end at the transfer input itself, whatever follows", async () => {
  const { records } = await run(calls.blindTransfer);
  const transfer = records.findIndex((r) => r.input.type === "transfer.blind");
  const p = new CdrProjection();
  const byRecord = records.map((r) => p.apply(r).map((row) => row.channel));
  assert.deepEqual(byRecord[transfer], ["PJSIP/1001-00000001", "PJSIP/2002-00000002"]);
});

test("attended transfer: A→B and B's consultation B2→C end at the transfer; A↔C continue as new records on A's linkedid", async () => {
  const { rows } = await run(calls.attendedTransfer);
  assert.deepEqual(rows.map((r) => [r.channel, r.dstchannel, r.dst, r.lastapp, r.sequence, r.start, r.answer, r.end, r.billsec, r.disposition, r.uniqueid, r.linkedid]), [
    ["PJSIP/1001-00000001", "PJSIP/2002-00000002", "2002", "Dial", 1, at(0), at(1), at(21), 20, "ANSWERED", "1716710000.1", "1716710000.1"],
    ["PJSIP/2002-00000002", "PJSIP/1001-00000001", "2002", "AppDial", 1, at(0), at(1), at(21), 20, "ANSWERED", "1716710000.2", "1716710000.1"],
    ["PJSIP/2002-00000003", "PJSIP/3003-00000004", "3003", "Dial", 1, at(11), at(16), at(21), 5, "ANSWERED", "1716710011.3", "1716710011.3"],
    ["PJSIP/3003-00000004", "PJSIP/2002-00000003", "3003", "AppDial", 1, at(11), at(16), at(21), 5, "ANSWERED", "1716710011.4", "1716710011.3"],
    ["PJSIP/1001-00000001", "PJSIP/3003-00000004", "2002", "Dial", 2, at(21), at(21), at(81), 60, "ANSWERED", "1716710000.1", "1716710000.1"],
    ["PJSIP/3003-00000004", "PJSIP/1001-00000001", "3003", "AppDial", 2, at(21), at(21), at(81), 60, "ANSWERED", "1716710011.4", "1716710000.1"],
  ]);
});

test("the fold is pure: the same records give the same rows; an unknown version is reported and the other calls go on", async () => {
  const d = await calls.CallDriver.open();
  calls.answered(d); calls.busy(d);
  const records = await d.records();
  assert.deepEqual(fold(records), fold(records));
  const bad = records.map((r, i) => (i === 3 ? { ...r, v: 99 } : r));
  const p = new CdrProjection();
  const problems: number[] = [];
  const rows = bad.flatMap((r) => { try { return p.apply(r, (e) => problems.push(e.offset)); } catch (e) { problems.push((e as { offset: number }).offset); return []; } });
  assert.equal(problems[0], 3);
  assert.ok(problems.every((o) => bad[o].stream === bad[3].stream), "later records of that channel are reported as a gap, no other");
  assert.equal(rows.filter((r) => r.linkedid !== "1716710000.1").length, 1, "the busy call still has its record");
  await d.log.close();
});
