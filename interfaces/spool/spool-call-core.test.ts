/**
 * The spool driving the real call core on a virtual clock: a scripted channel driver
 * whose legs answer or fail when the test says, the embedded event log, real files. What
 * the spool decides reaches the log through the originated channels' actors, the
 * file's Codecs narrow the channel's, and the log replays without divergence.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VirtualClock } from "../../core/clock.js";
import { MemoryLogger } from "../../core/logger.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import { verifyLog } from "../../actors/replay.js";
import type { Channel } from "../../calls/channel.js";
import { CallCore } from "../../calls/core.js";
import type { ChannelDriver, LegProgress, OutboundCall, OutboundTarget, PlacedCall } from "../../calls/driver.js";
import type { CallMedia } from "../../calls/media.js";
import { OutgoingSpool } from "./outgoing-spool.js";
import { tempDir } from "../../core/reap.js";

const SEC = 1_000_000;

/** Legs that wait for the test: `answer()` or `fail(cause)`. */
class ScriptedDriver implements ChannelDriver {
  readonly tech = "TEST";
  readonly legs: { callee: Channel; answer(): void; fail(cause: number): void }[] = [];

  resolve(dialstring: string, resource: string): { targets: OutboundTarget[] } {
    // Channel events know PJSIP and Local: the scripted legs are named as PJSIP ones.
    return { targets: [{ dialstring, channel: { tech: "PJSIP", resource, endpoint: resource, codecs: ["ulaw", "alaw", "g722"] }, context: "test" }] };
  }

  async call(call: OutboundCall, on: LegProgress): Promise<PlacedCall> {
    const callee = call.callee;
    callee.change({ type: "dialing" }, "sip");
    this.legs.push({
      callee,
      answer: () => { callee.change({ type: "answer" }, "sip"); on.answered(); },
      fail: (cause) => { callee.remoteHangup(cause, callee.name); on.failed(cause); },
    });
    return { cancel: () => undefined };
  }
}

const flush = async () => { for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r)); };

test("a busy first attempt and an answered retry, through the call core: the decisions are inputs of the channels' actors, Codecs narrow the channel's, the log replays", async () => {
  const dir = tempDir("recall-spool-core-");
  const log = await SegmentLog.open(join(dir, "log"), { notice: () => undefined });
  const clock = new VirtualClock(Math.floor(Date.now() / 1000) * SEC);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(3), kinds: actorKinds });
  const logger = new MemoryLogger();
  const ran: string[] = [];
  const core = new CallCore({
    runtime, clock, random: new SeededRandom(4), logger, media: {} as CallMedia,
    runDialplan: async (channel, start) => { ran.push(`${channel.name} ${start.exten}@${start.context}:${start.priority} FOO=${channel.context().vars.FOO}`); channel.hangup(16); },
  });
  const driver = new ScriptedDriver();
  core.register(driver);
  const spool = new OutgoingSpool({ dir: join(dir, "spool"), clock, logger, originate: (r) => core.originate(r), pid: 77, watch: false });
  spool.start();

  const path = join(spool.outgoing, "retry.call");
  writeFileSync(path, "Channel: TEST/phone\nContext: test\nExtension: 900\nSetvar: FOO=bar\nMaxRetries: 1\nRetryTime: 30\nCodecs: alaw,g729\nArchive: yes\n");
  utimesSync(path, clock.now() / SEC - 1, clock.now() / SEC - 1);
  spool.scan();
  clock.advance(SEC / 2);
  await flush();
  assert.equal(driver.legs.length, 1);
  assert.deepEqual(driver.legs[0].callee.codecs, ["alaw"], "the endpoint's codecs narrowed by Codecs:");
  driver.legs[0].fail(17);
  await flush();
  assert.match(readFileSync(path, "utf8"), /EndRetry: 77 1 \(\d+\)\n$/);
  clock.advance(29 * SEC);
  await flush();
  assert.equal(driver.legs.length, 1, "not before RetryTime");
  clock.advance(2 * SEC);
  await flush();
  assert.equal(driver.legs.length, 2);
  driver.legs[1].answer();
  await flush();
  await spool.idle();
  assert.deepEqual(ran, [`${driver.legs[1].callee.name} 900@test:1 FOO=bar`]);
  assert.match(readFileSync(join(spool.done, "retry.call"), "utf8"), /Status: Completed\n$/);
  spool.stop();
  await runtime.settle();

  const decided: string[] = [];
  for await (const batch of log.read(0)) for (const r of batch) {
    const input = r.input as { source: string; type: string; vars?: Record<string, string> };
    const vars = (r.state.context as { vars?: Record<string, string> }).vars ?? {};
    if (input.type === "create") decided.push(`create CALLFILE=${vars.CALLFILE} attempt ${vars.CALLFILE_ATTEMPT}`);
    if (input.source === "spool") decided.push(`${input.type} ${JSON.stringify(input.vars)}`);
  }
  const retryAt = decided[1] && JSON.parse(decided[1].slice("setvars ".length)).CALLFILE_RETRY_AT;
  assert.deepEqual(decided, [
    "create CALLFILE=retry.call attempt 1",
    `setvars {"CALLFILE_STATUS":"Retry","CALLFILE_RETRY_AT":"${retryAt}"}`,
    "create CALLFILE=retry.call attempt 2",
    'setvars {"CALLFILE_STATUS":"Completed"}',
  ]);
  const verified = await verifyLog(log, actorKinds);
  await log.close();
  assert.equal(verified.divergence, undefined, JSON.stringify(verified.divergence));
});

test("Codecs with nothing in common with the endpoint's: the call fails before it is placed (reason 0) and is retried as any failure", async () => {
  const dir = tempDir("recall-spool-core-");
  const log = await SegmentLog.open(join(dir, "log"), { notice: () => undefined });
  const clock = new VirtualClock(Math.floor(Date.now() / 1000) * SEC);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(3), kinds: actorKinds });
  const logger = new MemoryLogger();
  const core = new CallCore({ runtime, clock, random: new SeededRandom(4), logger, media: {} as CallMedia, runDialplan: async () => undefined });
  const driver = new ScriptedDriver();
  core.register(driver);
  const spool = new OutgoingSpool({ dir: join(dir, "spool"), clock, logger, originate: (r) => core.originate(r), pid: 77, watch: false });
  spool.start();
  const path = join(spool.outgoing, "g729.call");
  writeFileSync(path, "Channel: TEST/phone\nContext: test\nExtension: 900\nMaxRetries: 1\nRetryTime: 10\nCodecs: g729\nArchive: yes\n");
  utimesSync(path, clock.now() / SEC - 1, clock.now() / SEC - 1);
  spool.scan();
  for (let i = 0; i < 30; i++) { clock.advance(SEC / 2); await flush(); await spool.idle(); }
  assert.equal(driver.legs.length, 0, "never placed");
  const archived = readFileSync(join(spool.done, "g729.call"), "utf8");
  assert.equal(archived.match(/StartRetry:/g)?.length, 2);
  assert.match(archived, /Status: Expired\n$/);
  assert.ok(logger.lines.some((l) => /no codec of g729 is allowed for 'TEST\/phone' \(ulaw,alaw,g722\)/.test(l)));
  assert.ok(logger.lines.some((l) => /reason \(0\) Call Failure/.test(l)));
  spool.stop();
  await runtime.settle();
  await log.close();
});
