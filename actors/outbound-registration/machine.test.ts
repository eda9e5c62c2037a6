import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import type { Output } from "../../events/record.js";
import { ActorRuntime } from "../runtime.js";
import { verifyLog } from "../replay.js";
import { actorKinds } from "../kinds.js";
import { outboundRegistrationId, registrationStatus, type StartInput } from "./machine.js";
import { tempDir } from "../../core/reap.js";

const ID = outboundRegistrationId("my_provider");

function settings(over: Partial<StartInput> = {}): StartInput {
  return {
    source: "test", type: "start", name: "my_provider", serverUri: "sip:registrar@example.com", clientUri: "sip:client@example.com",
    contactUser: "inbound-calls", expiration: 3600, retryInterval: 60, forbiddenRetryInterval: 0, fatalRetryInterval: 0, maxRetries: 10,
    authRejectionPermanent: true, hasAuth: false, maxRandomInitialDelay: 0, ...over,
  };
}

async function harness(over: Partial<StartInput> = {}) {
  const log = await SegmentLog.open(tempDir("recall-outreg-"), { notice: () => undefined });
  const clock = new VirtualClock(1_700_000_000_000_000);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(11), kinds: actorKinds });
  const sent: Output[] = [];
  const logs: string[] = [];
  runtime.onOutput("register.send", (_id, o) => sent.push(o));
  runtime.onOutput("log", (_id, o) => logs.push(`${o.level}: ${o.message}`));
  runtime.spawn("outbound-registration", ID, settings(over));
  await runtime.settle();
  clock.advance(0);
  await runtime.settle();
  const h = {
    log, clock, runtime, sent, logs,
    status: () => registrationStatus(runtime.state(ID)?.value),
    ctx: () => runtime.state(ID)!.context as { retries: number; cseq: number; nextAt: number; permanent: boolean },
    reply: async (status: number, extra: { expires?: number; authenticated?: boolean } = {}) => {
      runtime.send(ID, { source: "test", type: "response", cseq: sent.at(-1)!.cseq as number, status, authenticated: extra.authenticated ?? false, ...(extra.expires !== undefined ? { expires: extra.expires } : {}) });
      await runtime.settle();
    },
    timeout: async () => { runtime.send(ID, { source: "test", type: "timeout", cseq: sent.at(-1)!.cseq as number }); await runtime.settle(); },
    after: async (seconds: number) => { clock.advance(seconds * 1e6); await runtime.settle(); },
    verified: async () => { await runtime.settle(); return verifyLog(log, actorKinds); },
  };
  return h;
}

test("registers, refreshes a little before the granted expiration, and replays exactly", async () => {
  const h = await harness();
  assert.deepEqual(h.sent, [{ type: "register.send", cseq: 1, expires: 3600, authorize: false }]);
  assert.equal(h.status(), "Unregistered");
  await h.reply(200, { expires: 120 });
  assert.equal(h.status(), "Registered");
  await h.after(114);
  assert.equal(h.sent.length, 1);
  await h.after(1);
  assert.deepEqual(h.sent[1], { type: "register.send", cseq: 2, expires: 3600, authorize: false });
  await h.reply(200, { expires: 3600 });
  assert.equal(h.status(), "Registered");
  const v = await h.verified();
  assert.equal(v.divergence, undefined);
  await h.log.close();
});

test("a first 401 is answered with credentials when outbound_auth is set", async () => {
  const h = await harness({ hasAuth: true });
  await h.reply(401);
  assert.deepEqual(h.sent[1], { type: "register.send", cseq: 2, expires: 3600, authorize: true });
  assert.equal(h.status(), "Unregistered");
  await h.reply(200);
  assert.equal(h.status(), "Registered");
  await h.log.close();
});

test("401 with auth_rejection_permanent=yes: Rejected for good, no retry", async () => {
  const h = await harness({ authRejectionPermanent: true });
  await h.reply(401);
  assert.equal(h.status(), "Rejected");
  assert.equal(h.ctx().permanent, true);
  assert.match(h.logs.join("\n"), /ERROR: Fatal response '401' received from 'sip:registrar@example.com' on registration attempt to 'sip:client@example.com', stopping outbound registration/);
  await h.after(3600);
  assert.equal(h.sent.length, 1);
  await h.log.close();
});

test("401 to our credentials with auth_rejection_permanent=no: temporary, retried after retry_interval", async () => {
  const h = await harness({ hasAuth: true, authRejectionPermanent: false, retryInterval: 30 });
  await h.reply(401);
  await h.reply(401, { authenticated: true });
  assert.equal(h.status(), "Rejected");
  assert.equal(h.ctx().permanent, false);
  assert.match(h.logs[0], /WARNING: Temporal response '401' .* retrying in '30'/);
  await h.after(29);
  assert.equal(h.sent.length, 2);
  await h.after(1);
  assert.equal(h.sent.length, 3);
  assert.equal(h.sent[2].authorize, false);
  await h.log.close();
});

test("403 waits forbidden_retry_interval and counts towards max_retries", async () => {
  const h = await harness({ forbiddenRetryInterval: 300, maxRetries: 1 });
  await h.reply(403);
  assert.equal(h.status(), "Rejected");
  assert.match(h.logs[0], /403 Forbidden fatal response received .* retrying in '300' seconds/);
  await h.after(300);
  assert.equal(h.sent.length, 2);
  await h.reply(403);
  assert.equal(h.ctx().permanent, true);
  assert.match(h.logs[1], /Maximum retries reached/);
  await h.log.close();
});

test("403 without forbidden_retry_interval is permanent", async () => {
  const h = await harness();
  await h.reply(403);
  assert.equal(h.ctx().permanent, true);
  await h.after(600);
  assert.equal(h.sent.length, 1);
  await h.log.close();
});

test("503 is retried every retry_interval max_retries times, then Rejected for good", async () => {
  const h = await harness({ retryInterval: 10, maxRetries: 3 });
  for (let i = 0; i < 3; i++) {
    await h.reply(503);
    assert.equal(h.ctx().permanent, false);
    await h.after(10);
  }
  assert.equal(h.sent.length, 4);
  await h.reply(503);
  assert.equal(h.status(), "Rejected");
  assert.equal(h.ctx().permanent, true);
  await h.after(100);
  assert.equal(h.sent.length, 4);
  assert.equal((await h.verified()).divergence, undefined);
  await h.log.close();
});

test("no response is temporary; success resets the retry count", async () => {
  const h = await harness({ retryInterval: 5, maxRetries: 2 });
  await h.timeout();
  assert.match(h.logs[0], /No response received from .* retrying in '5'/);
  await h.after(5);
  await h.timeout();
  assert.equal(h.ctx().retries, 2);
  await h.after(5);
  await h.reply(200);
  assert.equal(h.ctx().retries, 0);
  await h.log.close();
});

test("fatal_retry_interval retries an otherwise permanent failure", async () => {
  const h = await harness({ fatalRetryInterval: 20 });
  await h.reply(404);
  assert.equal(h.ctx().permanent, false);
  await h.after(20);
  assert.equal(h.sent.length, 2);
  await h.log.close();
});

test("stopping a registered registration unregisters it (Expires: 0), then it is gone", async () => {
  const h = await harness();
  await h.reply(200);
  h.runtime.send(ID, { source: "config", type: "stop" });
  await h.runtime.settle();
  assert.equal(h.status(), "Stopping");
  assert.deepEqual(h.sent.at(-1), { type: "register.send", cseq: 2, expires: 0, authorize: false });
  await h.reply(200);
  assert.equal(h.runtime.has(ID), false);
  assert.equal((await h.verified()).divergence, undefined);
  await h.log.close();
});

test("the random initial delay is drawn from the injected random and replayed", async () => {
  const h = await harness({ maxRandomInitialDelay: 10 });
  const nextAt = h.ctx().nextAt - h.clock.now();
  assert.ok(h.sent.length === 0 && nextAt > 0 && nextAt <= 10e6, `delay ${nextAt}`);
  await h.after(10);
  assert.equal(h.sent.length, 1);
  assert.equal((await h.verified()).divergence, undefined);
  await h.log.close();
});
