/**
 * The event fold on its own: log records in, ARI events out, with the routing to
 * applications that Stasis() and subscriptions make.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { EventRecord } from "../../events/record.js";
import type { ChannelContext } from "../../events/catalogue/channel.js";
import { AriEventFold, type Subscriptions } from "./events.js";

const T0 = 1_796_600_000_000_000;

function ctx(over: Partial<ChannelContext> = {}): ChannelContext {
  return {
    name: "PJSIP/caller-00000001", uniqueid: "1796600000.1", linkedid: "1796600000.1", tech: "PJSIP", direction: "in", endpoint: "caller",
    callerId: { num: "100", name: "Caller" }, connected: { num: "", name: "" }, dnid: "", ani: "", rdnis: "", context: "from-sipp", exten: "100",
    priority: 1, app: "", appData: "", accountcode: "", peeraccount: "", amaflags: "", userfield: "", vars: {}, createdAt: T0, ...over,
  };
}

let offset = 0;
function channelRecord(input: Record<string, unknown>, value: string, context: ChannelContext, stream = `channel:${context.uniqueid}`): EventRecord {
  return {
    offset: offset++, type: "channel.transition", v: 1, stream, kind: "channel", seq: offset, time: T0 + offset * 1000,
    input: { source: "sip", ...input } as EventRecord["input"], state: { value, context }, outputs: [],
  } as EventRecord;
}

function bridgeRecord(input: Record<string, unknown>, channels: string[]): EventRecord {
  return {
    offset: offset++, type: "bridge.transition", v: 1, stream: "bridge:b1", kind: "bridge", seq: offset, time: T0 + offset * 1000,
    input: { source: "ari", ...input } as EventRecord["input"], state: { value: "active", context: { id: "b1", technology: "simple_bridge", name: "room", channels, createdAt: T0, entered: channels.length } }, outputs: [],
  } as EventRecord;
}

const subs = (o: Partial<{ channel: Record<string, string[]>; bridge: Record<string, string[]>; all: string[] }> = {}): Subscriptions => ({
  channel: (id) => o.channel?.[id] ?? [],
  bridge: (id) => o.bridge?.[id] ?? [],
  bridgeType: (id) => (id === "b1" ? "mixing" : undefined),
  endpoint: (tech, resource) => (tech === "PJSIP" && resource === "6002" ? ["phones"] : []),
  all: () => o.all ?? [],
});

test("a dialplan channel is nobody's until Stasis(): StasisStart with its args, state changes, hang-up, StasisEnd, destroyed", () => {
  const fold = new AriEventFold(subs());
  const c = ctx();
  assert.deepEqual(fold.apply(channelRecord({ type: "create" }, "ring", c)), []);
  assert.deepEqual(fold.apply(channelRecord({ type: "newexten", context: "from-sipp", exten: "100", priority: 1, app: "NoOp", data: "" }, "ring", c)), []);
  const start = fold.apply(channelRecord({ type: "newexten", context: "from-sipp", exten: "100", priority: 2, app: "Stasis", data: "demo,inbound,x y" }, "ring", ctx({ app: "Stasis", appData: "demo,inbound,x y", priority: 2 })));
  assert.equal(start.length, 1);
  assert.equal(start[0].app, "demo");
  assert.equal(start[0].event.type, "StasisStart");
  assert.deepEqual(start[0].event.args, ["inbound", "x y"]);
  const channel = start[0].event.channel as Record<string, unknown>;
  assert.equal(channel.id, "1796600000.1");
  assert.equal(channel.state, "Ring");
  assert.deepEqual(channel.caller, { name: "Caller", number: "100" });
  assert.deepEqual(channel.dialplan, { context: "from-sipp", exten: "100", priority: 2, app_name: "Stasis", app_data: "demo,inbound,x y" });
  assert.match(String(channel.creationtime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  assert.equal(start[0].event.application, "demo");
  const up = fold.apply(channelRecord({ type: "answer" }, "up", ctx({ answeredAt: T0 + 5 })));
  assert.deepEqual(up.map((d) => [d.app, d.event.type, (d.event.channel as { state: string }).state]), [["demo", "ChannelStateChange", "Up"]]);
  assert.deepEqual(fold.apply(channelRecord({ type: "setvar", name: "FOO", value: "1" }, "up", ctx())).map((d) => [d.event.type, d.event.variable, d.event.value]), [["ChannelVarset", "FOO", "1"]]);
  assert.deepEqual(fold.apply(channelRecord({ type: "hangup", cause: 16, by: "ARI" }, "hungup", ctx({ hangupCause: 16 }))).map((d) => [d.event.type, d.event.cause]), [["ChannelHangupRequest", 16]]);
  assert.deepEqual(fold.apply(channelRecord({ type: "app.end", app: "Stasis" }, "hungup", ctx({ hangupCause: 16 }))).map((d) => d.event.type), ["StasisEnd"]);
  const destroyed = fold.apply(channelRecord({ type: "destroy" }, "destroyed", ctx({ hangupCause: 17 })));
  assert.deepEqual(destroyed.map((d) => [d.event.type, d.event.cause, d.event.cause_txt]), [["ChannelDestroyed", 17, "User busy"]]);
  assert.equal(fold.channels.size, 0, "a destroyed channel leaves the fold");
  assert.equal(fold.stasis.size, 0);
});

test("an originated channel is its application's from creation; a subscribeAll application hears every channel", () => {
  const c = ctx({ uniqueid: "out-1", name: "PJSIP/6002-00000002", direction: "out" });
  const fold = new AriEventFold(subs({ channel: { "out-1": ["demo"] }, all: ["monitor"] }));
  const created = fold.apply(channelRecord({ type: "create" }, "down", c));
  assert.deepEqual(created.map((d) => [d.app, d.event.type]).sort(), [["demo", "ChannelCreated"], ["monitor", "ChannelCreated"]]);
  const ringing = fold.apply(channelRecord({ type: "ringing" }, "ringing", c));
  assert.deepEqual(ringing.map((d) => [d.app, d.event.type, (d.event.channel as { state: string }).state]).sort(), [["demo", "ChannelStateChange", "Ringing"], ["monitor", "ChannelStateChange", "Ringing"]]);
  // The same state again is no change.
  assert.deepEqual(fold.apply(channelRecord({ type: "ringing" }, "ringing", c)), []);
});

test("bridge records become BridgeCreated, ChannelEnteredBridge/LeftBridge and BridgeDestroyed for the bridge's and the channel's applications", () => {
  const fold = new AriEventFold(subs({ bridge: { b1: ["demo"] } }));
  const c = ctx();
  fold.apply(channelRecord({ type: "create" }, "up", c));
  fold.apply(channelRecord({ type: "app.start", app: "Stasis", data: "other" }, "up", c));
  assert.deepEqual(fold.apply(bridgeRecord({ type: "create", id: "b1", technology: "simple_bridge" }, [])).map((d) => [d.app, d.event.type]), [["demo", "BridgeCreated"]]);
  const entered = fold.apply(bridgeRecord({ type: "enter", channel: "channel:1796600000.1" }, ["channel:1796600000.1"]));
  assert.deepEqual(entered.map((d) => [d.app, d.event.type]).sort(), [["demo", "ChannelEnteredBridge"], ["other", "ChannelEnteredBridge"]]);
  const bridge = entered[0].event.bridge as { id: string; channels: string[]; bridge_type: string; technology: string };
  assert.deepEqual([bridge.id, bridge.channels, bridge.bridge_type, bridge.technology], ["b1", ["1796600000.1"], "mixing", "simple_bridge"]);
  assert.deepEqual(fold.apply(bridgeRecord({ type: "leave", channel: "channel:1796600000.1" }, [])).map((d) => d.event.type), ["ChannelLeftBridge", "ChannelLeftBridge"]);
  assert.deepEqual(fold.apply(bridgeRecord({ type: "destroy" }, [])).map((d) => [d.app, d.event.type]), [["demo", "BridgeDestroyed"]]);
});

test("a video source set, cleared, or leaving the bridge is BridgeVideoSourceChanged (old_video_source_id once there was one), as Asterisk's app.c", () => {
  const fold = new AriEventFold(subs({ bridge: { b1: ["demo"] } }));
  const video = (input: Record<string, unknown>, channels: string[], source?: string) => {
    const r = bridgeRecord(input, channels);
    const context = { ...(r.state.context as object), videoMode: input.type === "video.source" && !input.uniqueid ? "talker" : "single", ...(source ? { videoSource: source } : {}) };
    return fold.apply({ ...r, state: { ...r.state, context } }).map((d) => [d.event.type, (d.event.bridge as { video_source_id?: string }).video_source_id, d.event.old_video_source_id]);
  };
  fold.apply(bridgeRecord({ type: "create", id: "b1", technology: "simple_bridge" }, []));
  fold.apply(bridgeRecord({ type: "enter", channel: "channel:x" }, ["channel:x"]));
  assert.deepEqual(video({ type: "video.source", uniqueid: "x" }, ["channel:x"], "x"), [["BridgeVideoSourceChanged", "x", undefined]]);
  assert.deepEqual(video({ type: "video.source", uniqueid: "x" }, ["channel:x"], "x"), [], "the same source again is no change");
  assert.deepEqual(video({ type: "video.source", uniqueid: "" }, ["channel:x"]), [["BridgeVideoSourceChanged", undefined, "x"]]);
  assert.deepEqual(video({ type: "video.source", uniqueid: "x" }, ["channel:x"], "x"), [["BridgeVideoSourceChanged", "x", undefined]]);
  assert.deepEqual(video({ type: "leave", channel: "channel:x" }, []), [["BridgeVideoSourceChanged", undefined, "x"]], "the source left (no channel record: no ChannelLeftBridge here)");
});

test("Dial between two channels reaches the applications of both", () => {
  const fold = new AriEventFold(subs({ channel: { "2": ["callee-app"] } }));
  const caller = ctx({ uniqueid: "1" }), callee = ctx({ uniqueid: "2", name: "PJSIP/6002-00000002" });
  fold.apply(channelRecord({ type: "create" }, "ring", caller));
  fold.apply(channelRecord({ type: "app.start", app: "Stasis", data: "caller-app" }, "ring", caller));
  fold.apply(channelRecord({ type: "create" }, "down", callee));
  const dial = fold.apply(channelRecord({ type: "dial.begin", peer: "channel:2", dialstring: "PJSIP/6002" }, "ring", caller));
  assert.deepEqual(dial.map((d) => [d.app, d.event.type, d.event.dialstatus, d.event.dialstring]).sort(), [["callee-app", "Dial", "", "PJSIP/6002"], ["caller-app", "Dial", "", "PJSIP/6002"]]);
  const end = fold.apply(channelRecord({ type: "dial.end", peer: "channel:2", status: "ANSWER" }, "ring", caller));
  assert.deepEqual(end.map((d) => d.event.dialstatus), ["ANSWER", "ANSWER"]);
});

test("registrations become ContactStatusChange, PeerStatusChange and EndpointStateChange for the endpoint's subscribers", () => {
  const fold = new AriEventFold(subs());
  const contact = (input: Record<string, unknown>, value: string, stream = "contact:6002:1") => ({
    offset: offset++, type: "contact.transition", v: 1, stream, kind: "contact", seq: offset, time: T0 + offset * 1000,
    input: { source: "sip", ...input }, outputs: [],
    state: { value, context: { aor: "6002", uri: "sip:6002@127.0.0.1:5070", expires: 60, expiresAt: T0, registeredAt: T0, updatedAt: T0, callId: "c", cseq: 1, userAgent: "", received: "udp:127.0.0.1:5070", endpoint: "6002" } },
  }) as unknown as EventRecord;
  const types = (ds: ReturnType<AriEventFold["apply"]>) => ds.map((d) => [d.app, d.event.type, (d.event.contact_info as { contact_status?: string } | undefined)?.contact_status ?? (d.event.endpoint as { state: string }).state]);
  assert.deepEqual(types(fold.apply(contact({ type: "register" }, "registered"))), [
    ["phones", "ContactStatusChange", "NonQualified"], ["phones", "PeerStatusChange", "online"], ["phones", "EndpointStateChange", "online"],
  ]);
  assert.deepEqual(types(fold.apply(contact({ type: "register" }, "registered"))).map((t) => t[2]), ["Updated", "online"]);
  assert.deepEqual(types(fold.apply(contact({ type: "qualify", status: "Unavail" }, "registered"))).map((t) => t[2]), ["Unreachable", "online"]);
  assert.deepEqual(types(fold.apply(contact({ type: "timer", name: "expiry" }, "expired"))), [
    ["phones", "ContactStatusChange", "Removed"], ["phones", "PeerStatusChange", "offline"], ["phones", "EndpointStateChange", "offline"],
  ]);
});

test("transfers: BridgeBlindTransfer and BridgeAttendedTransfer reach the applications of every party", () => {
  const fold = new AriEventFold(subs({ channel: { a: ["x"], b: ["y"], c: ["z"] } }));
  for (const id of ["a", "b", "c"]) fold.apply(channelRecord({ type: "create" }, "up", ctx({ uniqueid: id, name: `PJSIP/${id}-1` })));
  const blind = fold.apply(channelRecord({ type: "transfer.blind", exten: "200", context: "from-sipp", bridge: "b1", transferee: "channel:b" }, "up", ctx({ uniqueid: "a" })));
  assert.deepEqual(blind.map((d) => [d.app, d.event.type, d.event.exten, (d.event.transferee as { id: string }).id]).sort(), [["x", "BridgeBlindTransfer", "200", "b"], ["y", "BridgeBlindTransfer", "200", "b"]]);
  const attended = fold.apply(channelRecord({ type: "transfer.attended", bridge1: "b1", bridge2: "b2", channel2: "channel:a", transferee: "channel:b", target: "channel:c" }, "up", ctx({ uniqueid: "a" })));
  assert.deepEqual(attended.map((d) => d.app).sort(), ["x", "y", "z"]);
  assert.equal((attended[0].event.transfer_target as { id: string }).id, "c");
});
