import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import type { EventRecord } from "../../events/record.js";
import { ActorRuntime } from "../runtime.js";
import { verifyLog } from "../replay.js";
import { recordingKind, type StartRecordingInput } from "./machine.js";
import { tempDir } from "../../core/reap.js";

const start = (maxDurationSeconds: number): StartRecordingInput => ({
  source: "test", type: "start", name: "msg", format: "wav", target: "channel:1.1", file: "/tmp/msg.wav", ifExists: "fail",
  maxDurationSeconds, maxSilenceSeconds: 0, terminateOn: "#", beep: false,
});

async function setup() {
  const dir = tempDir("recall-recording-");
  const log = await SegmentLog.open(dir, { notice: () => undefined });
  const clock = new VirtualClock(1_700_000_000_000_000);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(7), kinds: [recordingKind] });
  const stops: string[] = [];
  runtime.onOutput("recording.stop", (id, o) => stops.push(`${id} ${String(o.reason)}`));
  return { log, clock, runtime, stops };
}

async function all(log: SegmentLog): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for await (const b of log.read(0)) out.push(...b);
  return out;
}

test("a recording's maximum duration leaves its paused time out: 10 s with a 5 s pause asks to stop at 15 s, and the log replays", async () => {
  const { log, clock, runtime, stops } = await setup();
  const t0 = clock.now();
  runtime.spawn("recording", "recording:msg", start(10));
  runtime.send("recording:msg", { source: "test", type: "record" });
  clock.advance(4e6);
  assert.equal(runtime.send("recording:msg", { source: "test", type: "pause" })!.state.value, "paused");
  runtime.send("recording:msg", { source: "test", type: "mute" });
  await runtime.settle();
  clock.advance(5e6);
  runtime.send("recording:msg", { source: "test", type: "unpause" });
  await runtime.settle();
  clock.advanceTo(t0 + 14.9e6);
  await runtime.settle();
  assert.deepEqual(stops, []);
  clock.advanceTo(t0 + 15e6);
  await runtime.settle();
  assert.deepEqual(stops, ["recording:msg max-duration"]);
  const end = runtime.send("recording:msg", { source: "test", type: "finish", durationMs: 10_000 })!;
  assert.equal(end.state.value, "done");
  assert.equal((end.state.context as { reason: string }).reason, "max-duration");
  assert.equal((end.state.context as { muted: boolean }).muted, true);
  await runtime.settle();
  assert.deepEqual((await all(log)).map((e) => `${e.input.source}:${e.input.type} ${String(e.state.value)}`), [
    "test:start queued", "test:record recording", "test:pause paused", "test:mute paused", "test:unpause recording", "timer:timer recording", "test:finish done",
  ]);
  assert.equal((await verifyLog(log, [recordingKind])).divergence, undefined);
  await log.close();
});

test("a recording ends as it was asked: a digit keeps it (done), a cancel discards it (canceled), an error fails it; silence says so", async () => {
  const { log, runtime } = await setup();
  const end = (id: string, ...inputs: object[]) => {
    runtime.spawn("recording", id, start(0));
    runtime.send(id, { source: "test", type: "record" });
    let last;
    for (const i of inputs) last = runtime.send(id, { source: "test", ...i } as never)!;
    return { value: last!.state.value, reason: (last!.state.context as { reason?: string }).reason };
  };
  assert.deepEqual(end("recording:a", { type: "stop", reason: "dtmf", digit: "#" }, { type: "stop", reason: "stop" }, { type: "finish", durationMs: 3000 }), { value: "done", reason: "dtmf" });
  assert.deepEqual(end("recording:b", { type: "stop", reason: "cancel" }, { type: "finish", durationMs: 3000 }), { value: "canceled", reason: "cancel" });
  assert.deepEqual(end("recording:c", { type: "finish", durationMs: 0, error: "disk full" }), { value: "failed", reason: undefined });
  assert.deepEqual(end("recording:d", { type: "finish", durationMs: 2200, talkingMs: 1000, silence: true }), { value: "done", reason: "silence" });
  const queued = runtime.spawn("recording", "recording:e", start(0));
  assert.equal(queued.state.value, "queued");
  assert.equal(runtime.send("recording:e", { source: "test", type: "fail", cause: "Channel hung up" })!.state.value, "failed");
  await runtime.settle();
  assert.equal((await verifyLog(log, [recordingKind])).divergence, undefined);
  await log.close();
});
