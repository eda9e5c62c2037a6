/**
 * The runtime when the log refuses appends (disk full): the transitions are held, in
 * order, with everything they ask for, and stored once the log takes appends again;
 * the log then reads exactly as the actors moved, and replays.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ActorRuntime } from "./runtime.js";
import { actorKinds } from "./kinds.js";
import { verifyLog } from "./replay.js";
import { VirtualClock } from "../core/clock.js";
import { SeededRandom } from "../core/random.js";
import { SegmentLog } from "../events/embedded/segment-log.js";
import type { EventLog } from "../events/log.js";
import { queueMemberId } from "./queue-member/machine.js";
import { tempDir } from "../core/reap.js";

test("a refused append holds the transitions and their outputs, retries on the clock, and stores them in order once the log takes them", async () => {
  const clock = new VirtualClock(1_000_000_000_000_000);
  const segments = await SegmentLog.open(tempDir("recall-runtime-"), { notice: () => undefined, sync: false });
  let full = false;
  const log = new Proxy(segments, {
    get(target, prop) {
      if (prop === "append") return (d: Parameters<EventLog["append"]>[0]) => full ? Promise.reject(new Error("ENOSPC: no space left on device, write")) : target.append(d);
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as unknown as EventLog;
  const errors: string[] = [], notices: string[] = [];
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(1), kinds: actorKinds, onError: (e) => errors.push(e.message), notice: (m) => notices.push(m), retryMicros: 2_000_000 });
  const id = queueMemberId("q", "PJSIP/a");
  runtime.spawn("queue-member", id, { source: "test", type: "add", queue: "q", interface: "PJSIP/a", name: "A", stateInterface: "PJSIP/a", penalty: 0, paused: false, dynamic: true });
  await runtime.settle();
  assert.equal(segments.nextOffset, 1);

  full = true;
  runtime.send(id, { source: "test", type: "connect", uniqueid: "1.1" });
  const wrapup = runtime.send(id, { source: "test", type: "complete", wrapuptime: 5 })!;
  let durable = false;
  void wrapup.durable.then(() => { durable = true; });
  await runtime.settle();
  assert.equal(runtime.held, 2, "both transitions held");
  assert.equal(errors.length, 1, "the outage is reported once");
  assert.match(errors[0], /ENOSPC.*holding 2 events/);
  // Retries fail while the disk is full; what comes meanwhile waits behind the held events.
  clock.advance(2_000_000);
  await runtime.settle();
  runtime.send(id, { source: "test", type: "pause", reason: "lunch" });
  clock.advance(2_000_000);
  await runtime.settle();
  assert.equal(runtime.held, 3);
  assert.equal(errors.length, 1);
  assert.equal(durable, false, "nothing acknowledged while it is not stored");
  assert.equal(clock.nextAt(), clock.now() + 2_000_000, "only the retry is armed: the wrap-up timer waits for its event to be durable");

  full = false;
  clock.advance(2_000_000);
  await runtime.settle();
  assert.equal(runtime.held, 0);
  assert.equal(durable, true);
  assert.match(notices[0] ?? "", /3 held events stored after 6\.0 s/);
  assert.equal(segments.nextOffset, 4);
  const types: string[] = [];
  for await (const batch of segments.read(0)) for (const r of batch) types.push(String(r.input.type));
  assert.deepEqual(types, ["add", "connect", "complete", "pause"], "the log reads as the actor moved");
  // The wrap-up timer, armed once its event was stored, ends the wrap-up.
  clock.advance(5_000_000);
  await runtime.settle();
  assert.equal(runtime.state(id)!.value, "available");
  assert.equal((await verifyLog(segments, actorKinds)).divergence, undefined);
  runtime.stop();
  await segments.close();
});
