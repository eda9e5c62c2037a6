import { test } from "node:test";
import assert from "node:assert/strict";
import { CelProjection } from "./fold.js";
import { allCel, type CelSettings } from "../config.js";
import type { CelRow } from "../rows.js";
import type { EventRecord } from "../../events/record.js";
import * as calls from "../test/calls.js";

async function run(scenario: (d: calls.CallDriver) => calls.Scenario, settings: Partial<CelSettings> = {}) {
  const d = await calls.CallDriver.open();
  scenario(d);
  const records = await d.records();
  const p = new CelProjection({ ...allCel, ...settings });
  const problems: string[] = [];
  const rows = records.flatMap((r) => p.apply(r, (e) => problems.push(e.message)));
  assert.deepEqual(problems, []);
  await d.log.close();
  return rows;
}

const brief = (rows: CelRow[]) => rows.filter((r) => r.eventtype !== "APP_START" && r.eventtype !== "APP_END").map((r) => [r.eventtype, r.channame, r.peer, r.extra]);
const bridgeExtra = '{"bridge_id":"00000001-0000-4000-8000-000000000000","bridge_technology":"simple_bridge"}';

test("A dials B, B answers, A hangs up: Asterisk 22's events, peers and extras (REFERENCE.md)", async () => {
  const rows = await run(calls.answered);
  const A = "PJSIP/1001-00000001", B = "PJSIP/2002-00000002";
  assert.deepEqual(brief(rows), [
    ["CHAN_START", A, "", ""],
    ["CHAN_START", B, "", ""],
    ["ANSWER", B, "", ""],
    ["ANSWER", A, "", ""],
    ["BRIDGE_ENTER", B, "", bridgeExtra],
    ["BRIDGE_ENTER", A, B, bridgeExtra],
    ["BRIDGE_EXIT", A, B, bridgeExtra],
    ["BRIDGE_EXIT", B, "", bridgeExtra],
    ["HANGUP", B, "", `{"hangupcause":16,"hangupsource":"${A}","dialstatus":""}`],
    ["CHAN_END", B, "", ""],
    ["HANGUP", A, "", `{"hangupcause":16,"hangupsource":"${A}","dialstatus":"ANSWER"}`],
    ["CHAN_END", A, "", ""],
    ["LINKEDID_END", A, "", ""],
  ]);
  // Every field of one row.
  const { log_offset: _o, log_index: _i, ...start } = rows[0];
  assert.deepEqual(start, {
    eventtype: "CHAN_START", eventtime: calls.T0, userdeftype: "", cid_name: "Alice", cid_num: "1001", cid_ani: "1001", cid_rdnis: "",
    cid_dnid: "2002", exten: "2002", context: "internal", channame: A, appname: "", appdata: "", amaflags: "DOCUMENTATION", accountcode: "",
    peeraccount: "", uniqueid: "1716710000.1", linkedid: "1716710000.1", userfield: "", peer: "", extra: "",
  });
  const appStart = rows.find((r) => r.eventtype === "APP_START")!;
  assert.deepEqual([appStart.channame, appStart.appname, appStart.appdata], [A, "Dial", "PJSIP/2002,30"]);
  assert.ok(rows.every((r) => r.linkedid === "1716710000.1"));
});

test("a bridge whose technology changes: the BRIDGE_ENTER/EXIT extras that follow name the new one", async () => {
  const d = await calls.CallDriver.open();
  calls.answered(d);
  const records = await d.records();
  await d.log.close();
  // The bridge turns softmix as A joins it (as a third party would make it): its own record of A entering, just
  // before A's bridge.enter, and every bridge record after it say so.
  const at = records.findIndex((r) => r.type === "channel.transition" && r.input.type === "bridge.enter" && r.stream.endsWith(".1"));
  assert.equal(records[at - 1].type, "bridge.transition");
  const softmixed = (b: EventRecord): EventRecord => ({
    offset: b.offset, type: b.type, v: b.v, stream: b.stream, kind: b.kind, seq: b.seq, time: b.time, input: b.input, outputs: [],
    state: { ...b.state, context: { ...(b.state.context as object), technology: "softmix" } },
  });
  const changed = records.map((r, i) => (i >= at - 1 && r.type === "bridge.transition" ? softmixed(r) : r));
  const p = new CelProjection(allCel);
  const rows = changed.flatMap((r) => p.apply(r));
  const softmix = bridgeExtra.replace("simple_bridge", "softmix");
  assert.deepEqual(rows.filter((r) => r.eventtype.startsWith("BRIDGE_")).map((r) => [r.eventtype, r.extra]), [
    ["BRIDGE_ENTER", bridgeExtra], ["BRIDGE_ENTER", softmix], ["BRIDGE_EXIT", softmix], ["BRIDGE_EXIT", softmix],
  ]);
});

test("busy call with no Dial: CHAN_START, HANGUP (17, dialplan/builtin), CHAN_END, LINKEDID_END", async () => {
  const rows = await run(calls.hangup17, { apps: new Set() });
  assert.deepEqual(rows.map((r) => [r.eventtype, r.extra]), [
    ["CHAN_START", ""],
    ["HANGUP", '{"hangupcause":17,"hangupsource":"dialplan/builtin","dialstatus":""}'],
    ["CHAN_END", ""],
    ["LINKEDID_END", ""],
  ]);
});

test("failed dials carry DIALSTATUS on the caller's HANGUP; LINKEDID_END exactly once, last", async () => {
  for (const [scenario, status, cause] of [[calls.busy, "BUSY", 17], [calls.noAnswer, "NOANSWER", 19], [calls.cancel, "CANCEL", 16], [calls.declined, "CHANUNAVAIL", 21], [calls.unreachable, "CHANUNAVAIL", 27]] as const) {
    const rows = await run(scenario);
    const hangups = rows.filter((r) => r.eventtype === "HANGUP").map((r) => JSON.parse(r.extra));
    assert.equal(hangups.find((h) => h.dialstatus !== "").dialstatus, status, scenario.name);
    assert.equal(hangups[0].hangupcause, cause, `${scenario.name}: callee's cause`);
    assert.equal(rows.filter((r) => r.eventtype === "LINKEDID_END").length, 1);
    assert.equal(rows[rows.length - 1].eventtype, "LINKEDID_END");
  }
});

test("cel.conf: events and apps filter, enable=no records nothing", async () => {
  const rows = await run(calls.gosub, { events: new Set(["APP_START", "USER_DEFINED"]), apps: new Set(["dial"]) });
  assert.deepEqual(rows.map((r) => [r.eventtype, r.appname, r.userdeftype, r.extra]), [
    ["USER_DEFINED", "CELGenUserEvent", "TAGGED", '{"extra":"vip"}'],
    ["APP_START", "Dial", "", ""],
  ]);
  assert.equal((await run(calls.gosub, { enable: false })).length, 0);
  const all = await run(calls.gosub);
  const userfield = all.filter((r) => r.eventtype === "HANGUP" && r.channame === "PJSIP/1001-00000001")[0];
  assert.deepEqual([userfield.userfield, userfield.accountcode, userfield.peeraccount], ["projectX", "sales", ""]);
});

test("Local channel: LOCAL_OPTIMIZE on ;1 naming ;2; one LINKEDID_END for all four channels", async () => {
  const rows = await run(calls.local);
  const opt = rows.filter((r) => r.eventtype === "LOCAL_OPTIMIZE");
  assert.deepEqual(opt.map((r) => [r.channame, r.peer, r.extra]), [[
    "Local/2002@internal-00000002;1", "Local/2002@internal-00000003;2", '{"local_two":"Local/2002@internal-00000003;2","local_two_uniqueid":"1716710000.3"}',
  ]]);
  assert.equal(rows.filter((r) => r.eventtype === "CHAN_START").length, 4);
  assert.deepEqual(rows.filter((r) => r.eventtype === "LINKEDID_END").map((r) => r.channame), ["PJSIP/1001-00000001"]);
  // B joins A's bridge with A as peer.
  const enterB = rows.filter((r) => r.eventtype === "BRIDGE_ENTER" && r.channame === "PJSIP/2002-00000004");
  assert.deepEqual(enterB.map((r) => r.peer), ["", "PJSIP/1001-00000001"]);
});

test("blind transfer: BLINDTRANSFER on the transferer with Asterisk's extra, before both leave the bridge (every field)", async () => {
  const rows = await run(calls.blindTransfer);
  const A = "PJSIP/1001-00000001", B = "PJSIP/2002-00000002", C = "PJSIP/3003-00000003";
  const i = rows.findIndex((r) => r.eventtype === "BLINDTRANSFER");
  const { log_offset: _o, log_index: _i, ...bt } = rows[i];
  assert.deepEqual(bt, {
    eventtype: "BLINDTRANSFER", eventtime: calls.T0 + 21e6, userdeftype: "", cid_name: "Alice", cid_num: "1001", cid_ani: "1001", cid_rdnis: "", cid_dnid: "",
    exten: "2002", context: "internal", channame: B, appname: "", appdata: "", amaflags: "DOCUMENTATION", accountcode: "", peeraccount: "",
    uniqueid: "1716710000.2", linkedid: "1716710000.1", userfield: "", peer: "",
    extra: '{"extension":"3003","context":"internal","bridge_id":"00000001-0000-4000-8000-000000000000","transferee_channel_name":"PJSIP/1001-00000001","transferee_channel_uniqueid":"1716710000.1"}',
  });
  const bridge1 = '{"bridge_id":"00000001-0000-4000-8000-000000000000","bridge_technology":"simple_bridge"}';
  const bridge2 = '{"bridge_id":"00000002-0000-4000-8000-000000000000","bridge_technology":"simple_bridge"}';
  assert.deepEqual(brief(rows.slice(i)), [
    ["BLINDTRANSFER", B, "", bt.extra],
    ["BRIDGE_EXIT", A, B, bridge1],
    ["BRIDGE_EXIT", B, "", bridge1],
    ["HANGUP", B, "", `{"hangupcause":16,"hangupsource":"${B}","dialstatus":""}`],
    ["CHAN_END", B, "", ""],
    ["CHAN_START", C, "", ""],
    ["ANSWER", C, "", ""],
    ["BRIDGE_ENTER", C, "", bridge2],
    ["BRIDGE_ENTER", A, C, bridge2],
    ["BRIDGE_EXIT", A, C, bridge2],
    ["BRIDGE_EXIT", C, "", bridge2],
    ["HANGUP", C, "", `{"hangupcause":16,"hangupsource":"${A}","dialstatus":""}`],
    ["CHAN_END", C, "", ""],
    ["HANGUP", A, "", `{"hangupcause":16,"hangupsource":"${A}","dialstatus":"ANSWER"}`],
    ["CHAN_END", A, "", ""],
    ["LINKEDID_END", A, "", ""],
  ]);
});

test("attended transfer: ATTENDEDTRANSFER on the transferer's first leg naming both bridges and all parties; the consultation call ends its own linkedid", async () => {
  const att = await run(calls.attendedTransfer);
  const A = "PJSIP/1001-00000001", B = "PJSIP/2002-00000002", B2 = "PJSIP/2002-00000003", C = "PJSIP/3003-00000004";
  const row = att.find((r) => r.eventtype === "ATTENDEDTRANSFER")!;
  assert.deepEqual([row.channame, row.uniqueid, row.linkedid, row.peer, row.eventtime, row.exten, row.context], [B, "1716710000.2", "1716710000.1", "", calls.T0 + 21e6, "2002", "internal"]);
  assert.equal(row.extra, '{"bridge1_id":"00000001-0000-4000-8000-000000000000","channel2_name":"PJSIP/2002-00000003","channel2_uniqueid":"1716710011.3",' +
    '"bridge2_id":"00000002-0000-4000-8000-000000000000","transferee_channel_name":"PJSIP/1001-00000001","transferee_channel_uniqueid":"1716710000.1",' +
    '"transfer_target_channel_name":"PJSIP/3003-00000004","transfer_target_channel_uniqueid":"1716710011.4"}');
  const i = att.indexOf(row);
  assert.deepEqual(brief(att.slice(i, i + 6)).map((r) => r.slice(0, 3)), [
    ["ATTENDEDTRANSFER", B, ""],
    ["BRIDGE_EXIT", C, B2],
    ["BRIDGE_EXIT", B2, ""],
    ["BRIDGE_EXIT", B, A],
    ["BRIDGE_ENTER", C, A],
    ["HANGUP", B, ""],
  ]);
  assert.deepEqual(att.filter((r) => r.eventtype === "LINKEDID_END").map((r) => [r.linkedid, r.channame]), [
    ["1716710011.3", B2], ["1716710000.1", A],
  ]);
  const cEnter = att.filter((r) => r.eventtype === "BRIDGE_ENTER" && r.channame === C).map((r) => [r.peer, r.linkedid]);
  assert.deepEqual(cEnter, [["", "1716710011.3"], [A, "1716710000.1"]]);
});

test("a transfer naming channels the fold never saw writes N/A, as Asterisk does for a missing snapshot", () => {
  const p = new CelProjection();
  const ctx = { name: "PJSIP/2002-00000009", uniqueid: "1.9", linkedid: "1.9", tech: "PJSIP", direction: "out", endpoint: "2002", callerId: { num: "", name: "" }, connected: { num: "", name: "" },
    dnid: "", ani: "", rdnis: "", context: "internal", exten: "s", priority: 1, app: "", appData: "", accountcode: "", peeraccount: "", amaflags: "DOCUMENTATION", userfield: "", vars: {}, createdAt: 0 };
  const rec = (offset: number, seq: number, input: Record<string, unknown>) => ({ offset, stream: "channel:1.9", kind: "channel", linkedid: "1.9", seq, time: 0, type: "channel.transition", v: 1, input, state: { value: "up", context: ctx }, output: [], random: [] }) as never;
  p.apply(rec(0, 0, { source: "test", type: "create" }));
  const [row] = p.apply(rec(1, 1, { source: "sip", type: "transfer.blind", exten: "100", context: "internal", bridge: "b", transferee: "channel:gone" }));
  assert.equal(row.extra, '{"extension":"100","context":"internal","bridge_id":"b","transferee_channel_name":"N/A","transferee_channel_uniqueid":"N/A"}');
});
