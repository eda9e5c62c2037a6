import { test } from "node:test";
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
