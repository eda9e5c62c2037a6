import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../core/clock.js";
import { SeededRandom } from "../core/random.js";
import { SegmentLog } from "../events/embedded/segment-log.js";
import { ActorRuntime } from "../actors/runtime.js";
import { actorKinds } from "../actors/kinds.js";
import { endRecoveredCalls } from "./recovery.js";
import { tempDir } from "../core/reap.js";

test("after a restart an ARI recording left running has failed, in the log (it would otherwise show as recording for ever)", async () => {
  const dir = tempDir("recall-recovery-");
  const clock = new VirtualClock(1_700_000_000_000_000);
  const first = await SegmentLog.open(dir, { notice: () => undefined });
  const before = new ActorRuntime({ log: first, clock, random: new SeededRandom(1), kinds: actorKinds });
  before.spawn("recording", "recording:msg@1", {
    source: "ari", type: "start", name: "msg", format: "wav", target: "channel:1.1", file: "/tmp/msg.wav", ifExists: "fail",
    maxDurationSeconds: 30, maxSilenceSeconds: 0, terminateOn: "none", beep: false,
  });
  before.send("recording:msg@1", { source: "ari", type: "record" });
  await before.settle();
  before.stop();
  await first.close();

  const log = await SegmentLog.open(dir, { notice: () => undefined });
  const after = new ActorRuntime({ log, clock, random: new SeededRandom(1), kinds: actorKinds });
  await after.recover();
  assert.equal(after.state("recording:msg@1")?.value, "recording");
  endRecoveredCalls(after, clock.now());
  assert.equal(after.has("recording:msg@1"), false);
  await after.settle();
  let last;
  for await (const batch of log.read(0)) for (const r of batch) last = r;
  assert.deepEqual([last?.state.value, (last?.state.context as { cause?: string }).cause], ["failed", "Recall restarted"]);
  after.stop();
  await log.close();
});
