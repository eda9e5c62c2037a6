/**
 * The SUBSCRIBE/NOTIFY layer over an in-memory network and a virtual clock:
 * sub_min_expiry (423), subscribe_context (404 outside it), the first NOTIFY, a state
 * change, expiry (terminated;reason=timeout), a refresh of a gone subscription (481),
 * a NOTIFY refused 481 ending the subscription; the log replays.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { MemoryLogger } from "../../core/logger.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import { verifyLog } from "../../actors/replay.js";
import { DeviceStates } from "../../calls/device-state.js";
import { HintWatchers } from "../../calls/hint-watchers.js";
import { MailboxStates } from "../../calls/mailbox-state.js";
import { loadTexts } from "../config/fixtures.js";
import { AuthSecurity } from "../endpoint/security.js";
import { MemoryNetwork } from "../transport/index.js";
import type { SipRequest, SipResponse } from "../message/index.js";
import { makeRequest, memoryLayer } from "../transaction/test-support.js";
import { Subscriptions } from "./subscriptions.js";
import { tempDir } from "../../core/reap.js";

const conf = `
[phone]
type = endpoint
context = internal
subscribe_context = blf
sub_min_expiry = 60
`;

test("423, 404 outside subscribe_context, NOTIFYs on change and at expiry, 481 for a gone subscription, a NOTIFY refused 481 ends one", async () => {
  const { model, errors } = loadTexts({ pjsip: conf });
  assert.deepEqual(errors, []);
  const clock = new VirtualClock(1_800_000_000_000_000);
  const network = new MemoryNetwork(clock);
  const pbx = await memoryLayer(network, clock, { host: "10.0.0.1" });
  const phone = await memoryLayer(network, clock, { host: "10.0.0.2", seed: 2 });
  const log = await SegmentLog.open(tempDir("recall-subs-"), { notice: () => undefined });
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(3), kinds: actorKinds });
  const logger = new MemoryLogger();
  const devices = new DeviceStates();
  const watchers = new HintWatchers(devices);
  let hint100: string[] | undefined = ["Custom:a"];
  const subs = new Subscriptions({
    runtime, transactions: pbx, model: () => model, clock, random: new SeededRandom(4), logger, security: new AuthSecurity(logger),
    nonceSecret: "s", userAgent: "Recall", watchers, mailboxes: new MailboxStates(),
    hint: (context, exten) => (context === "blf" && exten === "100" ? hint100 : context === "internal" && exten === "200" ? ["Custom:b"] : undefined),
  });
  pbx.onRequest((tx) => { if (!subs.handle(tx)) tx.respond(501); });
  const notifies: SipRequest[] = [];
  let answer = 200;
  phone.onRequest((tx) => { notifies.push(tx.request); tx.respond(answer); });
  const settle = async () => { for (let i = 0; i < 6; i++) { await runtime.settle(); clock.advance(2_000); } };
  const subscribe = async (exten: string, expires: number, parts: { callId?: string; toTag?: string; seq?: number } = {}) => {
    let response: SipResponse | undefined;
    phone.sendRequest(makeRequest("SUBSCRIBE", `sip:${exten}@10.0.0.1`, {
      from: "<sip:phone@10.0.0.2>", fromTag: "p1", ...parts,
      headers: [["Event", "dialog"], ["Accept", "application/dialog-info+xml"], ["Expires", String(expires)], ["Contact", "<sip:phone@10.0.0.2:5060>"]],
    }), { host: "10.0.0.1" }, { onFinal: (r) => { response = r; } });
    await settle();
    return response!;
  };

  const brief = await subscribe("100", 30);
  assert.equal(brief.status, 423);
  assert.equal(brief.get("Min-Expires"), "60");
  assert.equal((await subscribe("200", 120)).status, 404, "200 has a hint only in the endpoint's context, not its subscribe_context");
  const ok = await subscribe("100", 120, { callId: "sub-1" });
  assert.equal(ok.status, 200);
  assert.equal(ok.get("Expires"), "120");
  assert.equal(watchers.watchers("100@blf"), 1);
  devices.set("Custom:a", "RINGING");
  await settle();
  assert.deepEqual(notifies.map((n) => [n.get("Subscription-State"), /<state>(\w+)/.exec(n.body.toString())?.[1], n.get("CSeq")]), [
    ["active;expires=120", "terminated", "1 NOTIFY"], ["active;expires=120", "early", "2 NOTIFY"],
  ]);
  clock.advance(121e6);
  await settle();
  assert.deepEqual([notifies[2].get("Subscription-State"), notifies[2].get("CSeq")], ["terminated;reason=timeout", "3 NOTIFY"]);
  assert.equal(watchers.watchers("100@blf"), 0);
  assert.deepEqual(runtime.ids("subscription"), []);
  assert.equal((await subscribe("100", 120, { callId: "sub-1", toTag: ok.toTag!, seq: 2 })).status, 481);

  // A dialplan reload: the hint now names another device, then is gone.
  const third = await subscribe("100", 600, { callId: "sub-3" });
  assert.equal(third.status, 200);
  const from = notifies.length;
  hint100 = ["Custom:c"];
  subs.rehint();
  devices.set("Custom:a", "NOT_INUSE");
  devices.set("Custom:c", "INUSE");
  await settle();
  hint100 = undefined;
  subs.rehint();
  await settle();
  assert.deepEqual(notifies.slice(from).map((n) => [n.get("Subscription-State"), /<state>(\w+)/.exec(n.body.toString())?.[1]]), [
    ["active;expires=600", "terminated"], ["active;expires=600", "confirmed"], ["terminated;reason=noresource", "confirmed"],
  ], "the old device's change is not told: the new device's is, then the hint's removal");
  assert.equal(watchers.watchers("100@blf"), 0);
  hint100 = ["Custom:a"];

  answer = 481;
  assert.equal((await subscribe("100", 120, { callId: "sub-2" })).status, 200);
  assert.deepEqual(runtime.ids("subscription"), [], "its first NOTIFY was refused 481: the subscription ended");
  assert.equal(watchers.watchers("100@blf"), 0);
  const verified = await verifyLog(log, actorKinds);
  assert.equal(verified.divergence, undefined);
  pbx.close();
  phone.close();
  await log.close();
});
