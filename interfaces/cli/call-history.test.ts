import { test } from "node:test";
import assert from "node:assert/strict";
import type { EventRecord } from "../../events/record.js";
import { CallHistory } from "./call-history.js";

let offset = 0;
const record = (stream: string, kind: "channel" | "bridge", input: Record<string, unknown>, linkedid?: string, done = false): EventRecord => ({
  offset: offset++, type: `${kind}.transition`, v: 1, stream, kind, seq: 1, time: 0, input: { source: "ari", ...input } as EventRecord["input"],
  state: { value: "x", context: {}, ...(done ? { done } : {}) }, outputs: [], ...(linkedid ? { linkedid } : {}),
} as EventRecord);

test("a call's history follows its channels into a bridge without a linkedid (ARI's) from their entry to their leaving, and no further", () => {
  const call = new CallHistory("L1");
  const log = [
    record("bridge:b", "bridge", { type: "create" }),
    record("channel:L1", "channel", { type: "create" }, "L1"),
    record("bridge:b", "bridge", { type: "video.source", uniqueid: "" }),
    record("bridge:b", "bridge", { type: "enter", channel: "channel:other" }),
    record("bridge:b", "bridge", { type: "enter", channel: "channel:L1" }),
    record("channel:L1", "channel", { type: "bridge.enter", bridge: "b" }, "L1"),
    record("bridge:b", "bridge", { type: "video.source", uniqueid: "L1" }),
    record("bridge:d", "bridge", { type: "enter", channel: "channel:L1" }, "L2"),
    record("bridge:b", "bridge", { type: "leave", channel: "channel:L1" }),
    record("bridge:b", "bridge", { type: "video.source", uniqueid: "" }),
    record("bridge:b", "bridge", { type: "destroy" }, undefined, true),
  ];
  assert.deepEqual(log.filter((r) => call.has(r)).map((r) => r.offset - log[0].offset), [1, 4, 5, 6, 8]);
});
