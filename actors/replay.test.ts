import { test } from "node:test";
import assert from "node:assert/strict";
import { assign, setup, type AnyStateMachine } from "xstate";
import { VirtualClock } from "../core/clock.js";
import { SeededRandom } from "../core/random.js";
import { SegmentLog } from "../events/embedded/segment-log.js";
import { ActorRuntime } from "./runtime.js";
import { verifyLog } from "./replay.js";
import { contactKind, contactMachine, type RegisterInput } from "./contact/machine.js";
import type { ActorKindDef } from "./kind.js";
import { tempDir } from "../core/reap.js";

const register = (uri: string, expires: number, cseq: number): RegisterInput => ({
  source: "test", type: "register", aor: "6001", uri, expires, callId: "c@p", cseq, userAgent: "ua", received: "udp:127.0.0.1:5062", endpoint: "6001",
});

async function recordScenario(kinds: readonly ActorKindDef[]) {
  const dir = tempDir("recall-replay-");
  const log = await SegmentLog.open(dir, { notice: () => undefined });
  const clock = new VirtualClock();
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(42), kinds });
  for (let i = 0; i < 20; i++) runtime.spawn("contact", `contact:${i}`, register(`sip:${i}@h`, 60 + i, 1));
  await runtime.settle();
  clock.advance(30e6);
  for (let i = 0; i < 20; i += 2) runtime.send(`contact:${i}`, register(`sip:${i}@h`, 60, 2));
  for (let i = 1; i < 20; i += 4) runtime.send(`contact:${i}`, { source: "test", type: "unregister" });
  await runtime.settle();
  clock.advance(100e6);
  await runtime.settle();
  runtime.stop();
  return log;
}

test("replay --verify of an unchanged machine finds no divergence", async () => {
  const log = await recordScenario([contactKind]);
  const result = await verifyLog(log, [contactKind]);
  assert.equal(result.events, 20 + 10 + 5 + 15);
  assert.equal(result.divergence, undefined);
  await log.close();
});

test("replay --verify catches a deliberately changed machine, naming offset, actor and field", async () => {
  const log = await recordScenario([contactKind]);
  // The change: refreshes grant 10 s less than asked.
  const altered = contactMachine.provide({
    actions: {
      refresh: assign(({ context, event }: { context: any; event: any }) => ({ ...context, expires: event.expires, expiresAt: event.env.now + (event.expires - 10) * 1e6, cseq: event.cseq, updatedAt: event.env.now })),
    },
  });
  const result = await verifyLog(log, [{ ...contactKind, machine: altered }]);
  assert.ok(result.divergence, "the change must be caught");
  assert.equal(result.divergence.offset, 20);
  assert.equal(result.divergence.stream, "contact:0");
  assert.equal(result.divergence.what, "state.context.expiresAt");
  await log.close();
});

test("random values drawn by a machine are recorded and handed back in replay; drawing more diverges", async () => {
  const drawing = (extra: boolean): ActorKindDef => ({
    ...contactKind,
    machine: setup({}).createMachine({
      id: "contact-drawing",
      context: ({ input }: { input: any }) => {
        const tag = input.env.random32().toString(16);
        if (extra) input.env.random32();
        return {
          aor: input.spawn.aor, endpoint: input.spawn.endpoint, registeredAt: input.env.now, uri: input.spawn.uri, expires: input.spawn.expires,
          expiresAt: input.env.now + input.spawn.expires * 1e6, updatedAt: input.env.now, callId: tag, cseq: input.spawn.cseq, userAgent: "ua", received: "r",
        };
      },
      initial: "registered",
      states: { registered: { on: { register: {}, unregister: "removed" } }, removed: { type: "final" } },
    }) as unknown as AnyStateMachine,
  });
  const log = await recordScenario([drawing(false)]);
  const first = (await log.read(0)[Symbol.asyncIterator]().next()).value![0];
  assert.equal(first.draws?.length, 1);
  assert.equal((first.state.context as { callId: string }).callId, first.draws![0].toString(16));
  assert.equal((await verifyLog(log, [drawing(false)])).divergence, undefined);
  const bad = await verifyLog(log, [drawing(true)]);
  assert.equal(bad.divergence?.what, "random draws");
  assert.equal(bad.divergence?.offset, 0);
  await log.close();
});
