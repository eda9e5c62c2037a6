import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import type { EventRecord } from "../../events/record.js";
import { ActorRuntime } from "../runtime.js";
import { contactId, contactKind, type RegisterInput } from "./machine.js";
import { tempDir } from "../../core/reap.js";

const register = (uri: string, expires: number, cseq: number): RegisterInput => ({
  source: "test", type: "register", aor: "6001", uri, expires, callId: "abc@phone", cseq, userAgent: "sipp", received: "udp:127.0.0.1:5062", endpoint: "6001",
});

async function setup() {
  const dir = tempDir("recall-contact-");
  const log = await SegmentLog.open(dir, { notice: () => undefined });
  const clock = new VirtualClock(1_700_000_000_000_000);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(7), kinds: [contactKind] });
  return { dir, log, clock, runtime };
}

async function all(log: SegmentLog): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for await (const b of log.read(0)) out.push(...b);
  return out;
}

test("a contact registers, is refreshed, and expires at the refreshed time, each step logged", async () => {
  const { log, clock, runtime } = await setup();
  const id = contactId("6001", "sip:6001@127.0.0.1:5062");
  const t0 = clock.now();
  const first = runtime.spawn("contact", id, register("sip:6001@127.0.0.1:5062", 60, 1));
  assert.equal(first.state.value, "registered");
  assert.deepEqual(first.outputs, [{ type: "timer.set", name: "expiry", at: t0 + 60e6 }]);
  await runtime.settle();

  clock.advance(30e6);
  const refreshed = runtime.send(id, register("sip:6001@127.0.0.1:5062", 60, 2))!;
  assert.equal((refreshed.state.context as { expiresAt: number }).expiresAt, t0 + 90e6);
  await runtime.settle();

  clock.advanceTo(t0 + 61e6); // the first expiry time has passed: nothing happens
  await runtime.settle();
  assert.ok(runtime.has(id));
  clock.advanceTo(t0 + 90e6);
  await runtime.settle();
  assert.equal(runtime.has(id), false);

  const events = await all(log);
  assert.deepEqual(events.map((e) => [e.seq, e.input.type, e.state.value, e.state.done ?? false]), [
    [1, "register", "registered", false],
    [2, "register", "registered", false],
    [3, "timer", "expired", true],
  ]);
  assert.equal(events[2].time, t0 + 90e6);
  assert.equal((events[2].state.context as { reason: string }).reason, "expired");
  await log.close();
});

test("unregister and remove end a contact with their reason and cancel its timer", async () => {
  const { log, clock, runtime } = await setup();
  runtime.spawn("contact", "contact:a", register("sip:a@h", 3600, 1));
  runtime.spawn("contact", "contact:b", register("sip:b@h", 3600, 1));
  const un = runtime.send("contact:a", { source: "test", type: "unregister" })!;
  const rm = runtime.send("contact:b", { source: "test", type: "remove", reason: "replaced" })!;
  assert.equal(un.state.value, "removed");
  assert.deepEqual(un.outputs, [{ type: "timer.cancel", name: "expiry" }]);
  assert.equal((rm.state.context as { reason: string }).reason, "replaced");
  await runtime.settle();
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(runtime.ids("contact"), []);
  await log.close();
});

test("after a restart, live contacts and their pending expiry timers are rebuilt from the log", async () => {
  const first = await setup();
  const t0 = first.clock.now();
  first.runtime.spawn("contact", "contact:x", register("sip:x@h", 120, 1));
  first.runtime.spawn("contact", "contact:y", register("sip:y@h", 300, 1));
  first.runtime.spawn("contact", "contact:z", register("sip:z@h", 300, 1));
  first.runtime.send("contact:z", { source: "test", type: "unregister" });
  await first.runtime.settle();
  first.runtime.stop();
  await first.log.close();

  const log = await SegmentLog.open(first.dir, { notice: () => undefined });
  const clock = new VirtualClock(t0 + 10e6);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(7), kinds: [contactKind] });
  assert.deepEqual(await runtime.recover(), { events: 4, actors: 2 });
  assert.deepEqual(runtime.ids("contact").sort(), ["contact:x", "contact:y"]);
  assert.equal((runtime.state("contact:y")!.context as { uri: string }).uri, "sip:y@h");
  clock.advanceTo(t0 + 121e6);
  await runtime.settle();
  assert.deepEqual(runtime.ids("contact"), ["contact:y"]);
  const refreshed = runtime.send("contact:y", register("sip:y@h", 300, 2))!;
  assert.equal((await refreshed.durable).seq, 2);
  await log.close();
});
