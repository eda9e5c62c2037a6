import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import type { EventRecord } from "../../events/record.js";
import type { QueueMemberContext } from "../../events/catalogue/queue.js";
import { QueueLogProjection, queueLogLine } from "../../projections/queue-log/fold.js";
import { ActorRuntime } from "../runtime.js";
import { actorKinds } from "../kinds.js";
import { verifyLog } from "../replay.js";
import { queueMemberId } from "../queue-member/machine.js";
import { loadQueuesConf } from "./config.js";
import { QueueService } from "./service.js";
import { tempDir } from "../../core/reap.js";

test("autopause: yes pauses in the queue, all everywhere (PAUSEALL first); busy, unavailable and autopausedelay as queues.conf says; it replays", async () => {
  const dir = tempDir("recall-autopause-");
  writeFileSync(join(dir, "queues.conf"), [
    "[yes]", "autopause = yes", "autopausedelay = 60", "member => PJSIP/a,0,Anna", "member => PJSIP/b", "member => PJSIP/c",
    "[busy]", "autopause = yes", "autopausebusy = yes", "autopauseunavail = yes", "member => PJSIP/d",
    "[all]", "autopause = all", "member => PJSIP/e,0,Eve", "[other]", "member => PJSIP/e,0,Eve", "[off]", "member => PJSIP/f",
  ].join("\n"));
  const log = await SegmentLog.open(tempDir("recall-autopause-log-"), { notice: () => undefined });
  const clock = new VirtualClock(1_800_000_000_000_000);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(3), kinds: actorKinds });
  const service = new QueueService(runtime);
  service.apply(loadQueuesConf(dir), clock.now());
  const paused = (q: string, i: string) => {
    const m = runtime.state(queueMemberId(q, i))!.context as QueueMemberContext;
    return m.paused ? m.reason : "";
  };

  assert.equal(service.autoPause("yes", "PJSIP/a", "noanswer", clock.now()), "queue");
  assert.equal(service.autoPause("yes", "PJSIP/a", "noanswer", clock.now()), undefined, "already paused");
  assert.equal(service.autoPause("yes", "PJSIP/b", "busy", clock.now()), undefined, "busy without autopausebusy");
  assert.equal(service.autoPause("yes", "PJSIP/b", "unavailable", clock.now()), undefined, "unavailable without autopauseunavail");
  assert.equal(service.autoPause("busy", "PJSIP/d", "busy", clock.now()), "queue");
  assert.equal(service.autoPause("off", "PJSIP/f", "noanswer", clock.now()), undefined);
  // c took a call: within autopausedelay (60 s) of it, a missed ring does not pause it; after, it does.
  service.sendMember("yes", "PJSIP/c", { source: "test", type: "connect", uniqueid: "1.1" });
  service.sendMember("yes", "PJSIP/c", { source: "test", type: "complete", wrapuptime: 0 });
  clock.advance(59e6);
  assert.equal(service.autoPause("yes", "PJSIP/c", "other", clock.now()), undefined);
  clock.advance(2e6);
  assert.equal(service.autoPause("yes", "PJSIP/c", "other", clock.now()), "queue");
  assert.equal(service.autoPause("all", "PJSIP/e", "noanswer", clock.now()), "all");
  assert.deepEqual([paused("yes", "PJSIP/a"), paused("yes", "PJSIP/b"), paused("busy", "PJSIP/d"), paused("yes", "PJSIP/c"), paused("all", "PJSIP/e"), paused("other", "PJSIP/e"), paused("off", "PJSIP/f")],
    ["Auto-Pause", "", "Auto-Pause", "Auto-Pause", "Auto-Pause", "Auto-Pause", ""]);

  await runtime.settle();
  const records: EventRecord[] = [];
  for await (const batch of log.read(0)) records.push(...batch);
  const fold = new QueueLogProjection();
  const lines = records.flatMap((r) => fold.apply(r)).map((r) => queueLogLine(r).replace(/^\d+\|/, "")).filter((l) => l.includes("PAUSE"));
  assert.deepEqual(lines, [
    "NONE|yes|Anna|PAUSE|Auto-Pause", "NONE|busy|PJSIP/d|PAUSE|Auto-Pause", "NONE|yes|PJSIP/c|PAUSE|Auto-Pause",
    "NONE|NONE|Eve|PAUSEALL|Auto-Pause", "NONE|all|Eve|PAUSE|Auto-Pause", "NONE|other|Eve|PAUSE|Auto-Pause",
  ]);
  assert.equal((await verifyLog(log, actorKinds)).divergence, undefined);
  await log.close();
});
