import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { ActorRuntime } from "../runtime.js";
import { actorKinds } from "../kinds.js";
import { verifyLog } from "../replay.js";
import { queueId } from "./machine.js";
import type { QueueContext } from "../../events/catalogue/queue.js";
import { STRATEGIES } from "./config.js";
import { tempDir } from "../../core/reap.js";

const candidates = Array.from({ length: 6 }, (_, i) => ({ id: `PJSIP/m${i}`, penalty: i % 2, callsTaken: 6 - i, lastCall: i * 1e6, index: i }));

test("every strategy's ring order, random ones included, replays exactly from the log; callers keep their order and positions", async () => {
  const log = await SegmentLog.open(tempDir("recall-queue-"), { notice: () => undefined });
  const clock = new VirtualClock(1_800_000_000_000_000);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(9), kinds: actorKinds });
  const orders: string[][][] = [];
  for (const strategy of STRATEGIES) {
    const id = queueId(strategy);
    runtime.spawn("queue", id, { source: "test", type: "configure", name: strategy, strategy, servicelevel: 20, maxlen: 0, weight: 0 });
    for (let i = 0; i < 3; i++) {
      runtime.send(id, { source: "test", type: "join", uniqueid: `1.${i}`, channel: `PJSIP/c-${i}`, callerIdNum: `10${i}`, callerIdName: "", url: "", ...(i === 2 ? { position: 1 } : {}) });
    }
    runtime.send(id, { source: "test", type: "select", uniqueid: "1.2", candidates });
    orders.push((runtime.state(id)!.context as QueueContext).selection.map((g) => [...g]));
    runtime.send(id, { source: "test", type: "connect", uniqueid: "1.2", interface: "PJSIP/m0", agent: "PJSIP/m0", peerUniqueid: "2.1", holdtime: 4, ringtime: 1, index: 0, count: 6 });
    runtime.send(id, { source: "test", type: "complete", uniqueid: "1.2", interface: "PJSIP/m0", agent: "PJSIP/m0", by: "agent", holdtime: 4, talktime: 30, position: 1 });
    runtime.send(id, { source: "test", type: "abandon", uniqueid: "1.0", position: 1, origposition: 2, waittime: 9 });
    clock.advance(1e6);
  }
  await runtime.settle();
  const ring = (strategy: string) => orders[STRATEGIES.indexOf(strategy as (typeof STRATEGIES)[number])];
  assert.deepEqual(ring("ringall"), [["PJSIP/m0", "PJSIP/m2", "PJSIP/m4"], ["PJSIP/m1", "PJSIP/m3", "PJSIP/m5"]]);
  assert.equal(ring("random").length, 6);
  const c = runtime.state(queueId("rrmemory"))!.context as QueueContext;
  assert.deepEqual(c.callers.map((k) => [k.uniqueid, k.position]), [["1.1", 2]], "1.2 joined at position 1 ahead of both and was connected, 1.0 abandoned: 1.1 is left, with the position it joined at");
  assert.deepEqual([c.completed, c.abandoned, c.completedInSl, c.holdtimeTotal, c.talktimeTotal, c.rrpos], [1, 1, 1, 4, 30, 1]);
  const result = await verifyLog(log, actorKinds);
  assert.equal(result.divergence, undefined);
  assert.equal(result.events, STRATEGIES.length * 8);
  await log.close();
});
