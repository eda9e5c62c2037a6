import { test } from "node:test";
import { Packr } from "msgpackr";
import assert from "node:assert/strict";
import { decodeEnvelope, decodeRecord, encodeFrame, FRAME_HEADER } from "./codec.js";
import { EventLogError } from "./log.js";
import { sampleDraft } from "./testing.js";
import type { EventRecord } from "./record.js";

const record = (offset: number, over: Partial<EventRecord> = {}): EventRecord => ({ ...sampleDraft(`contact:${offset}`, 1, offset), offset, ...over });
const payload = (r: EventRecord) => encodeFrame(r).subarray(FRAME_HEADER);

test("the envelope read on its own agrees with the full decoder, for small and large numbers and a final state", () => {
  for (const r of [record(0), record(300), record(70_000), record(5_000_000_000), record(7, { state: { value: "removed", context: {}, done: true } })]) {
    const bytes = payload(r);
    const full = decodeRecord(bytes, r.offset, false);
    assert.deepEqual(decodeEnvelope(bytes, r.offset, 0, bytes.length), { offset: full.offset, stream: full.stream, time: full.time, done: full.done });
  }
});

test("the envelope reader rejects what the full decoder rejects, naming the offset", () => {
  const wrongOffset = payload(record(5));
  assert.throws(() => decodeEnvelope(wrongOffset, 6, 0, wrongOffset.length), (e: unknown) => e instanceof EventLogError && /offset 6: record claims offset 5/.test(e.message));
  const unknown = payload(record(9, { v: 99 }));
  assert.throws(() => decodeEnvelope(unknown, 9, 0, unknown.length), /offset 9: unknown version 99 of event type contact.transition \(known: 1\)/);
  const cut = payload(record(3)).subarray(0, 12);
  assert.throws(() => decodeEnvelope(cut, 3, 0, cut.length), /offset 3/);
});

// Format 3: compact states of channel and bridge transitions, format 2 still read.

const channelContext = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "PJSIP/1001-00000001", uniqueid: "1716710000.1", linkedid: "1716710000.1", tech: "PJSIP", direction: "in", endpoint: "1001",
  callerId: { num: "1001", name: "Alice" }, connected: { num: "", name: "" }, dnid: "2002", ani: "1001", rdnis: "", context: "internal",
  exten: "2002", priority: 1, app: "Dial", appData: "PJSIP/2002,30", accountcode: "", peeraccount: "", amaflags: "DOCUMENTATION", userfield: "",
  vars: { A: "1" }, createdAt: 1716710000000000, ...over,
});
const channelRecord = (offset: number, state: unknown, over: Partial<EventRecord> = {}): EventRecord => ({
  offset, type: "channel.transition", v: 1, stream: "channel:1716710000.1", kind: "channel", linkedid: "1716710000.1", seq: offset + 1,
  time: 1716710000000000 + offset, input: { source: "dialplan", type: "app.start", app: "Dial", data: "PJSIP/2002,30" },
  state: state as EventRecord["state"], outputs: [], ...over,
});

/** Own keys, with present-but-undefined keys kept apart from absent ones. */
const keys = (o: unknown): string[] => Object.keys(o as object).sort();

test("format 3 gives back channel and bridge states exactly, whatever their shape", () => {
  const states: unknown[] = [
    { value: "ring", context: channelContext() },
    { value: "up", context: channelContext({ parent: "channel:1", peer: "channel:2", answeredAt: 5, bridge: "b1", dialStatus: "ANSWER" }) },
    { value: "up", context: channelContext({ bridge: undefined }) }, // present but undefined stays present
    { value: "destroyed", context: channelContext({ hangupCause: 16, hangupSource: "x", hungupAt: 9 }), done: true },
    { value: "up", context: channelContext(), done: false },
    { value: "up", context: channelContext({ transferTarget: "channel:9", more: { deep: [1, 2] } }) }, // keys the layout does not know
    { value: "up", context: channelContext({ callerId: { num: "1", name: "A", extra: true } }) }, // not a plain pair
    { value: "up", context: channelContext({ callerId: ["1", "A"] }) }, // an array where a pair goes: written as a map
    { value: "up", context: channelContext({ connected: undefined }) },
    { value: { nested: "state" }, context: { name: "only a name" } },
    { value: "up", context: ["not", "an", "object"] },
    { value: "up", context: null },
    { value: "up", context: channelContext(), extra: "a state key no layout knows" },
    { value: "up", context: channelContext(), done: "not a boolean" },
  ];
  for (const [i, state] of states.entries()) {
    const r = channelRecord(i, state);
    const back = decodeRecord(payload(r), i, false);
    assert.deepStrictEqual(back.state, state, `state ${i}`);
    const ctx = (state as { context: unknown }).context;
    if (ctx && typeof ctx === "object" && !Array.isArray(ctx)) assert.deepEqual(keys(back.state.context), keys(ctx), `keys of state ${i}`);
    assert.deepStrictEqual(back.input, r.input);
    assert.deepStrictEqual(back.outputs, r.outputs);
  }
  const bridge: EventRecord = {
    offset: 0, type: "bridge.transition", v: 1, stream: "bridge:b1", kind: "bridge", seq: 1, time: 1, input: { source: "dialplan", type: "create", id: "b1", technology: "simple_bridge", name: "" },
    state: { value: "active", context: { id: "b1", technology: "simple_bridge", name: "", channels: ["channel:1"], createdAt: 1, entered: 1 } }, outputs: [],
  };
  assert.deepStrictEqual(decodeRecord(payload(bridge), 0).state, bridge.state);
});

test("format 3 writes a channel state at about half the size of format 2 and is checked against the catalogue like any record", () => {
  const state = { value: "ring", context: channelContext() };
  const r = channelRecord(0, state);
  const v2 = format2Payload(r);
  assert.ok(payload(r).length < v2.length * 0.7, `${payload(r).length} bytes, format 2 ${v2.length}`);
  const bad = channelRecord(1, { value: "ring", context: channelContext({ priority: "one" }) });
  assert.throws(() => decodeRecord(payload(bad), 1, true).state, /offset 1: state does not match channel.transition v1/);
});

test("records written in format 2 are still read, envelope and body", () => {
  const rs = [channelRecord(0, { value: "up", context: channelContext({ answeredAt: 5 }) }), record(1), record(2, { timers: { expiry: 7 }, draws: [1, 2] })];
  for (const r of rs) {
    const bytes = format2Payload(r);
    const back = decodeRecord(bytes, r.offset);
    assert.deepStrictEqual(back.toJSON(), r);
    assert.deepEqual(decodeEnvelope(bytes, r.offset, 0, bytes.length), { offset: r.offset, stream: r.stream, time: r.time, done: false });
  }
});

test("a record in a format this build does not know, or with a malformed compact state, is refused with the reason", () => {
  const future = format2Payload(record(4), 4);
  assert.throws(() => decodeRecord(future, 4), /offset 4: unknown record format 4 \(this build reads formats 2 to 3; the log was written by a newer Recall\)/);
  assert.throws(() => decodeEnvelope(future, 4, 0, future.length), /offset 4: unknown record format 4/);
  const r = channelRecord(5, { value: "up", context: channelContext() });
  const env = packr2.pack([3, r.offset, r.type, r.v, r.stream, r.kind, r.linkedid, r.seq, r.time, false, null, null]);
  for (const compact of [[1, "up", null, 3, "only one value", null], [99, "up", null, 0, null], [1, "up", "yes", 0, null], [1, "up", null, -1, null]]) {
    const bytes = frame(env, packr2.pack([r.input, compact, []]));
    assert.throws(() => decodeRecord(bytes, 5, false).state, /offset 5: malformed compact state/, JSON.stringify(compact));
  }
});

test("the envelope's fast path and the general one agree (timers, draws, large numbers, no linkedid)", () => {
  for (const r of [
    record(0), record(2 ** 40), record(3, { timers: { t: 1 } }), record(4, { draws: [7] }), record(5, { linkedid: "x" }),
    record(6, { seq: 70_000, time: -5 }), withoutLinkedid(channelRecord(7, { value: "ring", context: channelContext() })),
    record(8, { stream: "contact:Zoë/日本", linkedid: "Zoë" }), record(9, { stream: "contact:Zoë/日本", linkedid: "Zoë" }),
    record(10, { stream: "contact:Zo\u00c3\u00ab/日本", linkedid: "Zo\u00c3\u00ab" }), // latin1 look-alikes of the UTF-8 bytes above
  ]) {
    assert.deepStrictEqual(decodeRecord(payload(r), r.offset).toJSON(), r);
  }
});

function withoutLinkedid(r: EventRecord): EventRecord {
  const { linkedid: _, ...rest } = r;
  return rest;
}

const packr2 = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });
const frame = (envelope: Uint8Array, body: Uint8Array): Buffer => {
  const out = Buffer.alloc(4 + envelope.length + body.length);
  out.writeUInt32LE(envelope.length, 0);
  out.set(envelope, 4);
  out.set(body, 4 + envelope.length);
  return out;
};
/** A payload as format 2 wrote it (maps throughout). */
function format2Payload(r: EventRecord, format = 2): Buffer {
  const env = packr2.pack([format, r.offset, r.type, r.v, r.stream, r.kind, r.linkedid ?? null, r.seq, r.time, r.state.done === true, r.timers ?? null, r.draws ?? null]);
  return frame(env, packr2.pack([r.input, r.state, r.outputs]));
}
