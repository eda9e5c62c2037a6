import { test } from "node:test";
import assert from "node:assert/strict";
import type { EventRecord } from "../../events/record.js";
import { QueueEventFold } from "./queue-events.js";

let offset = 0;
const queueRec = (input: Record<string, unknown>): EventRecord => ({
  offset: offset++, type: "queue.transition", v: 1, stream: "queue:sales", kind: "queue", seq: offset, time: 1_796_600_000_000_000,
  input: { source: "dialplan", ...input } as EventRecord["input"], state: { value: "active", context: { name: "sales", callers: [] } }, outputs: [],
});

test("a transferred queue call is AgentComplete with Reason transfer; a member who hangs up before the bridge is AgentDump", () => {
  const fold = new QueueEventFold({ snapshot: () => [["Uniqueid", "1.1"]], deviceState: () => "NOT_INUSE" });
  const events: [string, Record<string, string>][] = [];
  for (const input of [
    { type: "agentdump", uniqueid: "1.1", interface: "PJSIP/a", agent: "Alice" },
    { type: "transfer", kind: "blind", exten: "7790", context: "default", uniqueid: "1.1", interface: "PJSIP/b", agent: "Bob", holdtime: 3, talktime: 12, position: 1 },
  ]) fold.queue(queueRec(input), (name, _classes, headers) => events.push([name, Object.fromEntries(headers)]));
  assert.deepEqual(events, [
    ["AgentDump", { Uniqueid: "1.1", Queue: "sales", Interface: "PJSIP/a", MemberName: "Alice" }],
    ["AgentComplete", { Uniqueid: "1.1", Queue: "sales", Interface: "PJSIP/b", MemberName: "Bob", HoldTime: "3", TalkTime: "12", Reason: "transfer" }],
  ]);
});
