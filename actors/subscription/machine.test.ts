import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import type { Output } from "../../events/record.js";
import { ActorRuntime } from "../runtime.js";
import { actorKinds } from "../kinds.js";
import { verifyLog } from "../replay.js";
import { subscriptionId, type SubscribeInput } from "./machine.js";
import { tempDir } from "../../core/reap.js";

const subscribe: SubscribeInput = {
  source: "test", type: "subscribe", event: "dialog", accept: "application/dialog-info+xml", endpoint: "6001",
  resource: "6002@from-internal", devices: ["PJSIP/6002"], callId: "sub@phone", localTag: "abc", local: "<sip:6002@pbx>;tag=abc",
  remote: "<sip:6001@pbx>;tag=1", remoteTarget: "sip:6001@127.0.0.1:5070", routeSet: [], destination: "udp:127.0.0.1:5070",
  contact: "<sip:127.0.0.1:5060>", expires: 600, cseq: 1, state: "Idle",
};

test("a subscription NOTIFYs at start, on each real change and refresh, and ends with a terminated NOTIFY at expiry; replay verifies", async () => {
  const dir = tempDir("recall-sub-");
  const log = await SegmentLog.open(dir, { notice: () => undefined });
  const clock = new VirtualClock(1_700_000_000_000_000);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(7), kinds: actorKinds });
  const notifies: Output[] = [];
  runtime.observe("subscription", (_id, _state, outputs) => notifies.push(...outputs.filter((o) => o.type === "notify")));
  const id = subscriptionId("sub@phone", "abc");
  runtime.spawn("subscription", id, subscribe);
  runtime.send(id, { source: "test", type: "state", state: "Ringing" });
  runtime.send(id, { source: "test", type: "state", state: "Ringing" });
  runtime.send(id, { source: "test", type: "state", state: "InUse" });
  clock.advance(100e6);
  runtime.send(id, { source: "test", type: "refresh", cseq: 2, expires: 60 });
  await runtime.settle();
  clock.advance(61e6);
  await runtime.settle();
  assert.equal(runtime.has(id), false);
  assert.deepEqual(notifies.map((n) => `${n.cseq} v${n.version} ${n.state} ${n.subscriptionState}${n.expires !== undefined ? ` ${n.expires}` : ""}${n.reason ? ` ${n.reason}` : ""}`), [
    "1 v0 Idle active 600", "2 v1 Ringing active 600", "3 v2 InUse active 600", "4 v3 InUse active 60", "5 v4 InUse terminated timeout",
  ]);
  const verified = await verifyLog(log, actorKinds);
  assert.equal(verified.divergence, undefined);
  assert.equal(verified.events, 6, "spawn, three states (one unchanged: no NOTIFY), refresh, expiry");
  await log.close();
});

test("unsubscribe sends a final NOTIFY without a reason; a refused NOTIFY ends the subscription silently", async () => {
  const log = await SegmentLog.open(tempDir("recall-sub-"), { notice: () => undefined });
  const runtime = new ActorRuntime({ log, clock: new VirtualClock(1e15), random: new SeededRandom(1), kinds: actorKinds });
  const a = subscriptionId("a", "1"), b = subscriptionId("b", "1");
  runtime.spawn("subscription", a, { ...subscribe, callId: "a", localTag: "1" });
  runtime.spawn("subscription", b, { ...subscribe, callId: "b", localTag: "1" });
  const end = runtime.send(a, { source: "test", type: "unsubscribe", cseq: 2 })!;
  assert.deepEqual(end.outputs.filter((o) => o.type === "notify"), [{ type: "notify", cseq: 2, version: 1, state: "Idle", subscriptionState: "terminated" }]);
  const failed = runtime.send(b, { source: "test", type: "failed", status: 481 })!;
  assert.deepEqual(failed.outputs, [{ type: "timer.cancel", name: "expiry" }]);
  await runtime.settle();
  assert.deepEqual(runtime.ids("subscription"), []);
  await log.close();
});
