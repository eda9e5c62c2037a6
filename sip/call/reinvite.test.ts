/**
 * reinvite.ts without a network: SDP versioning and media targets, the RFC 3261 §14.1
 * glare waits, and re-INVITE transactions against a scripted transaction layer on a
 * virtual clock (491 retried after the wait, 2xx ACKed, a failure reported, a phone's
 * INVITE crossing ours answered 491).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { MemoryLogger } from "../../core/logger.js";
import type { SipRequest } from "../message/index.js";
import type { ServerTransaction, TransactionLayer } from "../transaction/index.js";
import { Dialog } from "./dialog.js";
import type { Channel } from "../../calls/channel.js";
import type { CallMedia } from "../../calls/media.js";
import { SipLeg, type SipLegHost } from "./leg.js";
import type { PjsipModel } from "../config/model.js";
import { Reinvites, glareDelayMs, mediaTarget, shareCodec, versioned } from "./reinvite.js";

const sdp = (origin: string, port: number, extra = "") =>
  Buffer.from(`v=0\r\no=${origin} IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n${extra}`, "latin1");

test("versioned: the o= line the phone last got, its version incremented; unchanged SDP keeps the previous one", () => {
  const before = sdp("sipp 1 1", 4000);
  const next = versioned(sdp("other 77 5", 5000), before).toString("latin1");
  assert.match(next, /^o=sipp 1 2 IN IP4 10\.0\.0\.1\r$/m);
  assert.match(next, /m=audio 5000 /);
  assert.equal(versioned(sdp("other 77 5", 4000), before), before, "the same media: the same SDP, version and all");
  assert.match(versioned(sdp("x 1 1", 6000), sdp("- 9 18446744073709551615", 1)).toString("latin1"), /^o=- 9 18446744073709551616 /m);
  const fresh = sdp("a 1 1", 7000);
  assert.equal(versioned(fresh, undefined), fresh);
});

test("mediaTarget and shareCodec read the first audio stream", () => {
  assert.equal(mediaTarget(sdp("a 1 1", 4000)), "10.0.0.1:4000");
  assert.equal(mediaTarget(Buffer.from("garbage")), undefined);
  assert.equal(mediaTarget(undefined), undefined);
  const alaw = Buffer.from(sdp("a 1 1", 4000).toString("latin1").replace("RTP/AVP 0 101", "RTP/AVP 8 101"), "latin1");
  assert.ok(shareCodec(sdp("a 1 1", 1), sdp("b 1 1", 2)));
  assert.ok(!shareCodec(sdp("a 1 1", 1), alaw));
});

test("glare waits (RFC 3261 §14.1): 2.1–4 s for the Call-ID's owner, 0–2 s for the other, in 10 ms steps", () => {
  const random = new SeededRandom(7);
  const owner = Array.from({ length: 2000 }, () => glareDelayMs(random, true));
  const other = Array.from({ length: 2000 }, () => glareDelayMs(random, false));
  assert.ok(owner.every((ms) => ms >= 2100 && ms <= 4000 && ms % 10 === 0));
  assert.ok(other.every((ms) => ms >= 0 && ms <= 2000 && ms % 10 === 0));
  assert.ok(Math.min(...owner) < 2200 && Math.max(...owner) > 3900, "the whole range is used");
});

/** A transaction layer whose INVITEs are answered by `script` (one status per INVITE sent). */
function scripted(script: number[], answer = sdp("phone 5 6", 6000)) {
  const sent: SipRequest[] = [], acks: SipRequest[] = [];
  const layer = {
    sendRequest(request: SipRequest, _destination: unknown, handlers: { onFinal?(r: unknown, tx: unknown): void }) {
      sent.push(request);
      const status = script.shift() ?? 500;
      const tx = { request, ack: (ack: SipRequest) => { acks.push(ack); } };
      const response = { status, body: status < 300 ? answer : Buffer.alloc(0), get: () => undefined };
      queueMicrotask(() => handlers.onFinal?.(response, tx));
      return tx;
    },
  } as unknown as TransactionLayer;
  return { layer, sent, acks };
}

function leg(direction: "in" | "out"): Channel {
  const dialog = new Dialog({
    callId: "call-1", local: "<sip:recall@10.0.0.9>;tag=ours", remote: "<sip:phone@10.0.0.1>;tag=theirs", remoteTarget: "sip:phone@10.0.0.1:5062",
    routeSet: [], localCseq: 1, destination: { host: "10.0.0.1", port: 5062 }, contact: "<sip:10.0.0.9:5060>", userAgent: "test",
  });
  const channel = {
    name: `PJSIP/phone-${direction}`, direction, tech: "PJSIP", hungUp: false, onHangup: new Set(), state: () => "up", setHold: () => undefined,
    localSdp: sdp("sipp 1 1", 4000), remoteSdp: sdp("phone 5 5", 6000),
  } as unknown as Channel;
  const sip = new SipLeg(channel, {} as SipLegHost);
  sip.dialog = dialog;
  sip.contactHeader = "<sip:10.0.0.9:5060>";
  return channel;
}

function reinvites(layer: TransactionLayer, clock: VirtualClock, logger = new MemoryLogger()) {
  return new Reinvites({ transactions: layer, clock, random: new SeededRandom(3), logger, media: {} as CallMedia, model: () => ({ endpoints: new Map() }) as unknown as PjsipModel });
}

const settle = () => new Promise((r) => setImmediate(r));

test("a re-INVITE that meets 491 waits the owner's 2.1–4 s on the injected clock, then goes again with the next CSeq and is ACKed", async () => {
  const clock = new VirtualClock();
  const { layer, sent, acks } = scripted([491, 200]);
  const r = reinvites(layer, clock);
  const channel = leg("out");
  const outcome = r.send(channel, sdp("sipp 1 2", 7000), { retryGlare: true });
  await settle();
  assert.equal(sent.length, 1);
  clock.advance(2_099_000);
  await settle();
  assert.equal(sent.length, 1, "not before 2.1 s");
  clock.advance(1_901_000);
  await settle();
  assert.equal(sent.length, 2, "again within 4 s");
  const done = await outcome;
  assert.equal(done.status, 200);
  assert.equal(done.answer?.toString("latin1"), sdp("phone 5 6", 6000).toString("latin1"));
  assert.deepEqual(sent.map((s) => s.get("CSeq")), ["2 INVITE", "3 INVITE"]);
  assert.equal(sent[1].get("Call-ID"), "call-1");
  assert.match(sent[1].get("To") ?? "", /tag=theirs/);
  assert.equal(acks.length, 1);
  assert.equal(acks[0].get("CSeq"), "3 ACK");
});

test("the phone's own INVITE while ours is pending gets 491; a failure is reported with its status", async () => {
  const clock = new VirtualClock();
  let release!: (s: number) => void;
  const responses: SipRequest[] = [];
  const layer = {
    sendRequest(request: SipRequest, _d: unknown, handlers: { onFinal?(r: unknown, tx: unknown): void }) {
      responses.push(request);
      release = (status) => handlers.onFinal?.({ status, body: Buffer.alloc(0), get: () => undefined }, { request, ack: () => undefined });
      return {};
    },
  } as unknown as TransactionLayer;
  const r = reinvites(layer, clock);
  const channel = leg("in");
  const pending = r.send(channel, sdp("sipp 1 2", 7000), { retryGlare: true });
  await settle();
  const answered: number[] = [];
  const tx = { request: { body: sdp("phone 5 6", 6100) }, respond: (s: number) => { answered.push(s); } } as unknown as ServerTransaction;
  r.incoming(tx, channel);
  assert.deepEqual(answered, [491], "ours crossed theirs");
  release(488);
  assert.deepEqual(await pending, { status: 488 });
  r.incoming(tx, channel);
  assert.deepEqual(answered, [491, 200], "no bridge, not anchored: answered with the SDP we last sent");
  assert.equal(channel.remoteSdp?.toString("latin1"), sdp("phone 5 6", 6100).toString("latin1"));
});
