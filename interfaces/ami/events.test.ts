import { test } from "node:test";
import assert from "node:assert/strict";
import { AmiEventProjection, type AmiEvent } from "./events.js";
import * as calls from "../../projections/test/calls.js";

async function events(scenario: (d: calls.CallDriver) => calls.Scenario, options = {}): Promise<AmiEvent[]> {
  const d = await calls.CallDriver.open();
  scenario(d);
  const records = await d.records();
  await d.log.close();
  const p = new AmiEventProjection(options);
  return records.flatMap((r) => p.apply(r));
}

const field = (e: AmiEvent, name: string) => e.headers.find(([k]) => k === name)?.[1];

test("A dials B, B answers, A hangs up: Asterisk 22's events in order, with their channel fields", async () => {
  const list = await events(calls.answered);
  const A = "PJSIP/1001-00000001", B = "PJSIP/2002-00000002";
  const brief = list.filter((e) => e.name !== "Newexten" && e.name !== "VarSet")
    .map((e) => `${e.name} ${field(e, "Channel") ?? field(e, "Device") ?? ""}`.trim());
  assert.deepEqual(brief, [
    `Newchannel ${A}`, "DeviceStateChange PJSIP/1001", `Newchannel ${B}`, "DeviceStateChange PJSIP/2002",
    `DialBegin ${A}`, `Newstate ${B}`, "DeviceStateChange PJSIP/2002", `Newstate ${A}`, `Newstate ${B}`, "DeviceStateChange PJSIP/2002",
    `DialEnd ${A}`, `Newstate ${A}`,
    "BridgeCreate", `BridgeEnter ${B}`, `BridgeEnter ${A}`,
    `HangupRequest ${A}`, "DeviceStateChange PJSIP/1001", `BridgeLeave ${A}`, `BridgeLeave ${B}`, "BridgeDestroy",
    `HangupRequest ${B}`, "DeviceStateChange PJSIP/2002", `Hangup ${B}`, `Hangup ${A}`,
  ]);
  const states = list.filter((e) => e.name === "DeviceStateChange").map((e) => `${field(e, "Device")} ${field(e, "State")}`);
  // As the call core counts them: the caller hearing ringback stays in use; the dialled leg is idle (Down), rings, then is in use.
  assert.deepEqual(states, ["PJSIP/1001 INUSE", "PJSIP/2002 NOT_INUSE", "PJSIP/2002 RINGING", "PJSIP/2002 INUSE", "PJSIP/1001 UNAVAILABLE", "PJSIP/2002 UNAVAILABLE"]);
  const dialBegin = list.find((e) => e.name === "DialBegin")!;
  assert.equal(field(dialBegin, "Channel"), A);
  assert.equal(field(dialBegin, "DestChannel"), B);
  assert.equal(field(dialBegin, "DialString"), "PJSIP/2002");
  assert.deepEqual(dialBegin.classes, ["call"]);
  // The snapshot fields of a channel event, in Asterisk's order.
  const first = list[0];
  assert.deepEqual(first.headers.map(([k]) => k), ["Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
    "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid"]);
  assert.deepEqual(first.headers.slice(0, 5), [["Channel", A], ["ChannelState", "4"], ["ChannelStateDesc", "Ring"], ["CallerIDNum", "1001"], ["CallerIDName", "Alice"]]);
  const hangups = list.filter((e) => e.name === "Hangup");
  assert.deepEqual(hangups.map((e) => [field(e, "Channel"), field(e, "Cause"), field(e, "Cause-txt")]), [[B, "16", "Normal Clearing"], [A, "16", "Normal Clearing"]]);
  const enter = list.find((e) => e.name === "BridgeEnter")!;
  assert.deepEqual(enter.headers.slice(0, 7).map(([k]) => k), ["BridgeUniqueid", "BridgeType", "BridgeTechnology", "BridgeCreator", "BridgeName", "BridgeNumChannels", "BridgeVideoSourceMode"]);
  assert.equal(field(enter, "BridgeTechnology"), "simple_bridge");
  // Offsets rise with the log, so a client can resume from one.
  const offsets = list.map((e) => e.offset!);
  assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  const endStates = list.filter((e) => e.name === "DialEnd").map((e) => field(e, "DialStatus"));
  assert.deepEqual(endStates, ["ANSWER"]);
});

test("the same records give the same events (a pure fold), and CEL/Cdr events only when enabled", async () => {
  const once = await events(calls.answered);
  const twice = await events(calls.answered);
  assert.deepEqual(once, twice);
  assert.ok(!once.some((e) => e.name === "CEL" || e.name === "Cdr"));
  const withCel = await events(calls.answered, { cel: true, cdr: true });
  const cel = withCel.filter((e) => e.name === "CEL").map((e) => field(e, "EventName"));
  assert.deepEqual(cel, ["CHAN_START", "APP_START", "CHAN_START", "ANSWER", "ANSWER", "BRIDGE_ENTER", "BRIDGE_ENTER", "BRIDGE_EXIT", "BRIDGE_EXIT",
    "HANGUP", "CHAN_END", "APP_END", "HANGUP", "CHAN_END", "LINKEDID_END"]);
  const cdr = withCel.filter((e) => e.name === "Cdr");
  assert.equal(cdr.length, 2);
  assert.equal(field(cdr[0], "Disposition"), "ANSWERED");
});

test("a busy callee: DialEnd BUSY and Hangup with cause 17", async () => {
  const list = await events(calls.busy);
  assert.deepEqual(list.filter((e) => e.name === "DialEnd").map((e) => field(e, "DialStatus")), ["BUSY"]);
  const b = list.find((e) => e.name === "Hangup")!;
  assert.deepEqual([field(b, "Cause"), field(b, "Cause-txt")], ["17", "User busy"]);
});

test("a record the fold does not expect (a bridge entered by a channel it never saw) gives no event and no error", async () => {
  const p = new AmiEventProjection();
  const d = await calls.CallDriver.open();
  calls.answered(d);
  const records = await d.records();
  await d.log.close();
  // Only the bridge's records: its channels are unknown to this fold.
  const bridgeOnly = records.filter((r) => r.kind === "bridge");
  const out = bridgeOnly.flatMap((r) => p.apply(r));
  assert.deepEqual(out.map((e) => e.name), ["BridgeCreate", "BridgeDestroy"]);
});

test("transfers and Local optimisation: BlindTransfer, AttendedTransfer, LocalOptimizationBegin/End name their parties", async () => {
  const names = (list: AmiEvent[], pattern: RegExp, keys: RegExp) =>
    list.filter((e) => pattern.test(e.name)).map((e) => [e.name, ...e.headers.filter(([k]) => keys.test(k)).map(([k, v]) => `${k}=${v}`)]);
  const blind = await events(calls.blindTransfer);
  assert.deepEqual(names(blind, /Transfer/, /^(Result|TransfererChannel|TransfereeChannel|Context|Extension|IsExternal)$/), [
    ["BlindTransfer", "Result=Success", "TransfererChannel=PJSIP/2002-00000002", "TransfereeChannel=PJSIP/1001-00000001", "IsExternal=No", "Context=internal", "Extension=3003"],
  ]);
  const attended = await events(calls.attendedTransfer);
  assert.deepEqual(names(attended, /Transfer/, /^(Result|OrigTransfererChannel|SecondTransfererChannel|DestType|TransfereeChannel|TransferTargetChannel)$/), [
    ["AttendedTransfer", "Result=Success", "OrigTransfererChannel=PJSIP/2002-00000002", "SecondTransfererChannel=PJSIP/2002-00000003", "DestType=Bridge",
      "TransfereeChannel=PJSIP/1001-00000001", "TransferTargetChannel=PJSIP/3003-00000004"],
  ]);
  const local = await events(calls.local);
  assert.deepEqual(names(local, /^LocalOptimization/, /^(LocalOneChannel|LocalTwoChannel|SourceChannel|Success)$/), [
    ["LocalOptimizationBegin", "LocalOneChannel=Local/2002@internal-00000002;1", "LocalTwoChannel=Local/2002@internal-00000003;2", "SourceChannel=PJSIP/2002-00000004"],
    ["LocalOptimizationEnd", "LocalOneChannel=Local/2002@internal-00000002;1", "LocalTwoChannel=Local/2002@internal-00000003;2", "Success=Yes"],
  ]);
});

test("outbound registration: Registry on each change of status (not the first Unregistered), with the failure's cause", () => {
  const p = new AmiEventProjection();
  const ctx = { name: "trunk", serverUri: "sip:reg.example.com", clientUri: "sip:me@example.com", lastStatus: 0 };
  const record = (offset: number, value: string, extra: Record<string, unknown> = {}) => ({
    type: "outbound-registration.transition", v: 1, stream: "outbound-registration:trunk", kind: "outbound-registration" as const, seq: offset + 1,
    time: 0, offset, input: { source: "sip" as const, type: "x" }, state: { value, context: { ...ctx, ...extra } }, outputs: [],
  });
  const out = [record(0, "unregistered"), record(1, "registered"), record(2, "registered"), record(3, "rejected", { lastStatus: 403 })]
    .flatMap((r) => p.apply(r));
  assert.deepEqual(out.map((e) => [e.name, ...e.headers.map(([k, v]) => `${k}=${v}`)]), [
    ["Registry", "ChannelType=PJSIP", "Username=sip:me@example.com", "Domain=sip:reg.example.com", "Status=Registered"],
    ["Registry", "ChannelType=PJSIP", "Username=sip:me@example.com", "Domain=sip:reg.example.com", "Status=Rejected", "Cause=403"],
  ]);
  assert.deepEqual(out.map((e) => e.classes), [["system"], ["system"]]);
});

test("a Custom: device (AstDB CustomDevstate) gives DeviceStateChange, and ExtensionStatus for the hints naming it", () => {
  const p = new AmiEventProjection({ hints: () => [{ context: "internal", exten: "7001", devices: ["Custom:lamp"] }, { context: "internal", exten: "7002", devices: ["Custom:other"] }] });
  const record = (offset: number, value: "set" | "deleted", state: string, family = "CustomDevstate") => ({
    type: "astdb.transition", v: 1, stream: `astdb:${family}/lamp`, kind: "astdb" as const, seq: offset + 1,
    time: 0, offset, input: { source: "cli" as const, type: value === "set" ? "put" : "del" }, state: { value, context: { family, key: "lamp", value: state } }, outputs: [],
  });
  const out = [record(0, "set", "BUSY"), record(1, "set", "BUSY"), record(2, "set", "INUSE", "other-family"), record(3, "set", "ONHOLD"), record(4, "deleted", "ONHOLD")]
    .flatMap((r) => p.apply(r));
  assert.deepEqual(out.map((e) => [e.name, ...e.headers.map(([k, v]) => `${k}=${v}`)]), [
    ["DeviceStateChange", "Device=Custom:lamp", "State=BUSY"],
    ["ExtensionStatus", "Exten=7001", "Context=internal", "Hint=Custom:lamp", "Status=2", "StatusText=Busy"],
    ["DeviceStateChange", "Device=Custom:lamp", "State=ONHOLD"],
    ["ExtensionStatus", "Exten=7001", "Context=internal", "Hint=Custom:lamp", "Status=16", "StatusText=Hold"],
    ["DeviceStateChange", "Device=Custom:lamp", "State=UNKNOWN"],
    ["ExtensionStatus", "Exten=7001", "Context=internal", "Hint=Custom:lamp", "Status=0", "StatusText=Idle"],
  ]);
});

test("a hang-up asked for from outside the call is SoftHangupRequest with Cause 32; a Local channel called is LocalBridge", async () => {
  const list = await events((d) => {
    const a = d.channel(calls.alice, "in", { exten: "2002" });
    const c = d.ctx(a);
    const half1 = d.channel(calls.alice, "out", { exten: "2002", linkedid: c.linkedid, parent: a, callerId: c.callerId, local: "2002@internal", half: 1 });
    const half2 = d.channel(calls.alice, "in", { exten: "2002", linkedid: c.linkedid, callerId: c.callerId, local: "2002@internal", half: 2 });
    d.send(half1, "local.bridge", { other: half2, optimize: false });
    d.send(half1, "dialing");
    d.send(a, "hangup", { cause: 16, by: "", soft: 32 });
    d.hangup(half1, 16, "");
    return { a };
  });
  const bridge = list.find((e) => e.name === "LocalBridge")!;
  assert.deepEqual([field(bridge, "LocalOneChannel"), field(bridge, "LocalTwoChannel"), field(bridge, "Context"), field(bridge, "Exten"), field(bridge, "LocalOptimization")],
    ["Local/2002@internal-00000002;1", "Local/2002@internal-00000003;2", "internal", "2002", "No"]);
  assert.deepEqual(list.filter((e) => /HangupRequest$/.test(e.name)).map((e) => `${e.name} ${field(e, "Channel")} ${field(e, "Cause")}`),
    ["SoftHangupRequest PJSIP/1001-00000001 32", "HangupRequest Local/2002@internal-00000002;1 16"]);
});
