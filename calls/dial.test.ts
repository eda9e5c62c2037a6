/**
 * Dial in the call core, with no SIP at all: a scripted channel driver whose legs ring,
 * answer or fail when the test says, on a virtual clock. What Dial does with the legs
 * (forking, the winner, cancelling the others, DIALSTATUS, the timeout) is the core's;
 * sip/call/calls.test.ts and the e2e tests do the same through PJSIP and sipp.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../core/clock.js";
import { MemoryLogger } from "../core/logger.js";
import { SeededRandom } from "../core/random.js";
import { SegmentLog } from "../events/embedded/segment-log.js";
import { ActorRuntime } from "../actors/runtime.js";
import { actorKinds } from "../actors/kinds.js";
import { verifyLog } from "../actors/replay.js";
import type { Channel } from "./channel.js";
import { CallCore } from "./core.js";
import type { ChannelDriver, LegProgress, OutboundCall, OutboundTarget, PlacedCall } from "./driver.js";
import type { CallMedia } from "./media.js";
import { tempDir } from "../core/reap.js";

/** A driver whose calls wait for the test: `legs[i].answer()`, `.fail(cause)`, `.ring()`. */
class ScriptedDriver implements ChannelDriver {
  readonly tech = "TEST";
  readonly legs: { callee: Channel; cancelled: boolean; ring(): void; answer(): void; fail(cause: number, tech?: string): void }[] = [];

  resolve(dialstring: string, resource: string): { targets: OutboundTarget[]; problem?: string } {
    if (resource === "missing") return { targets: [], problem: "no test phone 'missing'" };
    // The events' channel technologies are PJSIP and Local: the scripted legs are named as PJSIP ones.
    return { targets: [{ dialstring, channel: { tech: "PJSIP", resource, endpoint: resource }, context: "test" }] };
  }

  async call(call: OutboundCall, on: LegProgress): Promise<PlacedCall> {
    const callee = call.callee;
    callee.change({ type: "dialing" }, "sip");
    const leg = {
      callee, cancelled: false,
      ring: () => on.ringing(),
      answer: () => { callee.change({ type: "answer" }, "sip"); on.answered(); },
      fail: (cause: number, tech?: string) => { callee.remoteHangup(cause, callee.name); on.failed(cause, tech); },
    };
    this.legs.push(leg);
    return { cancel: () => { leg.cancelled = true; } };
  }
}

const flush = () => new Promise<void>((r) => setImmediate(r));

async function setup() {
  const log = await SegmentLog.open(tempDir("recall-dial-"), { notice: () => undefined });
  const clock = new VirtualClock(1_700_000_000_000_000);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(5), kinds: actorKinds });
  const logger = new MemoryLogger();
  const core = new CallCore({ runtime, clock, random: new SeededRandom(6), logger, media: {} as CallMedia, runDialplan: async () => undefined });
  const driver = new ScriptedDriver();
  core.register(driver);
  const caller = core.createChannel({ tech: "PJSIP", resource: "caller", endpoint: "caller" }, "in", {
    callerId: { num: "100", name: "Caller" }, context: "test", exten: "200", vars: { _FAMILY: "one level", __TRIBE: "all", OWN: "mine" },
  });
  const replays = async () => {
    await runtime.settle();
    const r = await verifyLog(log, actorKinds);
    await log.close();
    assert.equal(r.divergence, undefined, JSON.stringify(r.divergence));
  };
  return { core, driver, caller, clock, logger, replays };
}

const dialstrings = (...d: string[]) => d.map((dialstring) => ({ dialstring }));

test("Dial forks to every leg; the first to answer wins and is bridged, the others are cancelled with ANSWERED_ELSEWHERE", async () => {
  const { core, driver, caller, replays } = await setup();
  const outcome = core.dial(caller, { targets: dialstrings("TEST/a", "TEST/b", "TEST/c"), timeout: 20, options: {} });
  await flush();
  assert.equal(driver.legs.length, 3);
  const [a, b, c] = driver.legs;
  assert.deepEqual(a.callee.context().vars, { FAMILY: "one level", __TRIBE: "all" }, "_VAR arrives bare, __VAR keeps its prefix, the rest stays behind");
  assert.equal(a.callee.context().linkedid, caller.context().linkedid);
  a.ring();
  assert.equal(caller.state(), "ringing", "the caller hears the ringing of a leg");
  b.answer();
  await flush();
  assert.deepEqual([a.cancelled, b.cancelled, c.cancelled], [true, false, true]);
  assert.deepEqual([a.callee.context().hangupCause, c.callee.context().hangupCause], [26, 26]);
  assert.equal(caller.state(), "up");
  assert.ok(caller.bridge && caller.bridge === b.callee.bridge, "caller and winner share a bridge");
  b.callee.remoteHangup(16);
  const r = await outcome;
  assert.equal(r.status, "ANSWER");
  assert.equal(r.peerName, b.callee.name);
  assert.deepEqual(core.list().map((ch) => ch.name), [caller.name], "every called leg is gone; the caller's dialplan goes on");
  caller.destroy();
  await replays();
});

test("every leg fails: a busy leg makes DIALSTATUS BUSY; each leg's cause and the driver's words for it are reported", async () => {
  const { core, driver, caller, replays } = await setup();
  const outcome = core.dial(caller, { targets: dialstrings("TEST/a", "TEST/b", "TEST/c"), timeout: 20, options: {} });
  await flush();
  const [a, b, c] = driver.legs;
  a.fail(42, "TEST congested");
  c.fail(3);
  assert.equal(core.list().length, 2, "failed legs are destroyed at once");
  b.fail(17, "TEST busy");
  const r = await outcome;
  assert.equal(r.status, "BUSY");
  assert.deepEqual(r.legs, [
    { channel: a.callee.name, cause: 42, tech: "TEST congested" }, { channel: b.callee.name, cause: 17, tech: "TEST busy" }, { channel: c.callee.name, cause: 3 },
  ]);
  caller.destroy();
  await replays();
});

test("nobody answers within the timeout: NOANSWER and the legs are cancelled with NO_ANSWER; a caller hanging up is CANCEL", async () => {
  const { core, driver, caller, clock, replays } = await setup();
  const outcome = core.dial(caller, { targets: dialstrings("TEST/a", "TEST/b"), timeout: 5, options: {} });
  await flush();
  clock.advance(4_999_999);
  assert.equal(driver.legs.filter((l) => l.cancelled).length, 0);
  clock.advance(1);
  assert.equal((await outcome).status, "NOANSWER");
  assert.deepEqual(driver.legs.map((l) => [l.cancelled, l.callee.context().hangupCause]), [[true, 19], [true, 19]]);
  const again = core.dial(caller, { targets: dialstrings("TEST/c"), timeout: 5, options: {} });
  await flush();
  caller.remoteHangup(16);
  assert.equal((await again).status, "CANCEL");
  assert.equal(driver.legs[2].cancelled, true);
  caller.destroy();
  assert.equal(core.list().length, 0);
  await replays();
});

test("a technology nobody drives or a resource its driver cannot find: CHANUNAVAIL at once, with the reason logged", async () => {
  const { core, driver, caller, logger, replays } = await setup();
  assert.equal((await core.dial(caller, { targets: dialstrings("DAHDI/1"), options: {} })).status, "CHANUNAVAIL");
  assert.equal((await core.dial(caller, { targets: dialstrings("TEST/missing"), options: {} })).status, "CHANUNAVAIL");
  assert.equal(driver.legs.length, 0);
  const warnings = logger.lines.filter((l) => l.startsWith("WARNING"));
  assert.deepEqual(warnings, ["WARNING app_dial.c: Unsupported channel technology in 'DAHDI/1'", "WARNING app_dial.c: no test phone 'missing'"]);
  caller.destroy();
  await replays();
});
