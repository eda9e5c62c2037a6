import { test } from "node:test";
import assert from "node:assert/strict";
import { DeviceStates, aggregateDeviceStates, extensionStateName, extensionStateOf, deviceOfChannel } from "./device-state.js";
import { HintWatchers } from "./hint-watchers.js";

test("aggregation follows Asterisk: highest state wins, ringing beside in-use is RINGINUSE, nothing is INVALID", () => {
  assert.equal(aggregateDeviceStates([]), "INVALID");
  assert.equal(aggregateDeviceStates(["NOT_INUSE", "UNAVAILABLE"]), "NOT_INUSE");
  assert.equal(aggregateDeviceStates(["UNAVAILABLE", "INVALID"]), "UNAVAILABLE");
  assert.equal(aggregateDeviceStates(["NOT_INUSE", "RINGING"]), "RINGING");
  assert.equal(aggregateDeviceStates(["RINGING", "INUSE"]), "RINGINUSE");
  assert.equal(aggregateDeviceStates(["ONHOLD", "RINGING"]), "RINGINUSE");
  assert.equal(aggregateDeviceStates(["INUSE", "BUSY"]), "BUSY");
  assert.equal(aggregateDeviceStates(["ONHOLD", "NOT_INUSE"]), "ONHOLD");
  assert.equal(extensionStateName(extensionStateOf("RINGINUSE")), "InUse&Ringing");
  assert.equal(extensionStateName(extensionStateOf("UNKNOWN")), "Idle");
  assert.equal(extensionStateName(extensionStateOf("INVALID")), "Unavailable");
  assert.equal(deviceOfChannel("PJSIP/6001-0000000a"), "PJSIP/6001");
  assert.equal(deviceOfChannel("Local/100@ctx-00000001;1"), "Local/100@ctx");
});

test("a PJSIP device folds its channels: callee rings, answers, hangs up; the caller is in use while it hears ringback", () => {
  const d = new DeviceStates();
  const heard: string[] = [];
  d.onChange((device, state) => heard.push(`${device} ${state}`));
  d.driver("PJSIP", "PJSIP/6001", { reachable: true });
  d.driver("PJSIP", "PJSIP/6002", { reachable: true });
  assert.equal(d.state("PJSIP/6001"), "NOT_INUSE");
  assert.equal(d.state("PJSIP/9999"), "INVALID", "a PJSIP device no endpoint stands for");
  const a = { name: "PJSIP/6001-00000001", direction: "in" as const };
  const b = { name: "PJSIP/6002-00000002", direction: "out" as const };
  d.channel("ch:a", a, "ring");
  d.channel("ch:b", b, "dialing");
  d.channel("ch:b", b, "ringing");
  d.channel("ch:a", a, "ringing");
  assert.equal(d.state("PJSIP/6001"), "INUSE");
  assert.equal(d.state("PJSIP/6002"), "RINGING");
  d.channel("ch:b", b, "up");
  d.channel("ch:a", a, "up");
  assert.equal(d.state("PJSIP/6002"), "INUSE");
  d.channel("ch:b", b, "hungup");
  d.channel("ch:a", a, "destroyed", true);
  assert.deepEqual(heard, ["PJSIP/6001 NOT_INUSE", "PJSIP/6002 NOT_INUSE", "PJSIP/6001 INUSE", "PJSIP/6002 RINGING", "PJSIP/6002 INUSE", "PJSIP/6002 NOT_INUSE", "PJSIP/6001 NOT_INUSE"]);
  d.driver("PJSIP", "PJSIP/6002", { reachable: false });
  assert.equal(d.state("PJSIP/6002"), "UNAVAILABLE");
});

test("busy_at, a second call ringing while one is up, and a fed Custom: device", () => {
  const d = new DeviceStates();
  d.driver("PJSIP", "PJSIP/6001", { reachable: true, busyAt: 2 });
  d.channel("1", { name: "PJSIP/6001-00000001", direction: "out" }, "up");
  d.channel("2", { name: "PJSIP/6001-00000002", direction: "out" }, "ringing");
  assert.equal(d.state("PJSIP/6001"), "RINGINUSE");
  d.channel("2", { name: "PJSIP/6001-00000002", direction: "out" }, "up");
  assert.equal(d.state("PJSIP/6001"), "BUSY");
  assert.equal(d.state("Custom:dnd"), "UNKNOWN");
  d.set("Custom:dnd", "BUSY");
  assert.equal(d.state("Custom:dnd"), "BUSY");
  d.set("PJSIP/6001", "ONHOLD");
  assert.equal(d.state("PJSIP/6001"), "ONHOLD", "a fed state wins over the fold");
});

test("hint watchers hear only changes of the aggregated extension state", () => {
  const d = new DeviceStates();
  d.driver("PJSIP", "PJSIP/6001", { reachable: true });
  const w = new HintWatchers(d);
  const heard: string[] = [];
  const { state, stop } = w.watch("6001@internal", ["PJSIP/6001", "Custom:dnd"], (s) => heard.push(extensionStateName(s)));
  assert.equal(extensionStateName(state), "Idle");
  assert.equal(w.watchers("6001@internal"), 1);
  d.channel("1", { name: "PJSIP/6001-00000001", direction: "out" }, "ringing");
  d.channel("1", { name: "PJSIP/6001-00000001", direction: "out" }, "progress");
  d.channel("1", { name: "PJSIP/6001-00000001", direction: "out" }, "up");
  d.set("Custom:dnd", "NOT_INUSE");
  d.set("Custom:dnd", "BUSY");
  d.channel("1", { name: "PJSIP/6001-00000001", direction: "out" }, "destroyed", true);
  d.set("Custom:dnd", undefined);
  assert.deepEqual(heard, ["Ringing", "InUse", "Busy", "Idle"]);
  stop();
  assert.equal(w.watchers("6001@internal"), 0);
  d.set("Custom:dnd", "BUSY");
  assert.equal(heard.length, 4);
});

test("a call its phone puts on hold makes the device ONHOLD (hint state Hold) until it is taken off hold", () => {
  const d = new DeviceStates();
  const hints = new HintWatchers(d);
  const heard: string[] = [];
  d.driver("PJSIP", "PJSIP/6001", { reachable: true });
  const states: number[] = [];
  hints.watch("6001@internal", ["PJSIP/6001"], (s) => states.push(s));
  d.onChange((device, state) => heard.push(`${device} ${state}`));
  const a = { name: "PJSIP/6001-00000001", direction: "in" as const };
  d.channel("ch:a", a, "up");
  d.channel("ch:a", { ...a, onHold: true }, "up");
  assert.equal(d.state("PJSIP/6001"), "ONHOLD");
  d.channel("ch:a", { ...a, onHold: false }, "up");
  d.channel("ch:a", { ...a, onHold: false }, "hungup");
  assert.deepEqual(heard, ["PJSIP/6001 INUSE", "PJSIP/6001 ONHOLD", "PJSIP/6001 INUSE", "PJSIP/6001 NOT_INUSE"]);
  assert.deepEqual(states.map(extensionStateName), ["InUse", "Hold", "InUse", "Idle"]);
});
