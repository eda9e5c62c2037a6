/**
 * The transaction state machines and their timers, on the in-memory network with a
 * VirtualClock: every packet's time is exact. Latency is 1 ms each way.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { VirtualClock } from "../../core/clock.js";
import { type SipMessage, SipParseError, SipRequest, type SipResponse } from "../message/index.js";
import { MemoryNetwork } from "../transport/index.js";
import type { ClientTransaction } from "./client.js";
import type { ServerTransaction } from "./server.js";
import { makeRequest, memoryLayer, rawRequest, timesOf } from "./test-support.js";

interface Packet { at: number; from: string; to: string; text: string }

const MS = 1_000;
const S = 1_000_000;

async function world(protocol: "udp" | "tcp" = "udp") {
  const clock = new VirtualClock(0);
  const network = new MemoryNetwork(clock, MS);
  const packets: Packet[] = [];
  network.onPacket = (p) => packets.push({ at: clock.now(), from: p.from.host, to: p.to.host, text: p.data.toString("latin1") });
  const uac = await memoryLayer(network, clock, { host: "10.0.0.1", protocol, seed: 1 });
  const uas = await memoryLayer(network, clock, { host: "10.0.0.2", protocol, seed: 2 });
  return { clock, network, packets, uac, uas };
}

/** A bare UDP endpoint with no transaction layer: it sends what it is told and records what it gets. */
async function rawPeer(network: MemoryNetwork, host = "10.0.0.9") {
  const t = network.transport({ name: "peer", protocol: "udp", host, port: 5060 });
  const got: SipMessage[] = [];
  await t.start({
    receive: (item) => { if (!(item instanceof SipParseError)) got.push(item); },
    internalError: (e) => { throw e; },
  });
  return { got, send: (text: string, to = "10.0.0.2") => t.send(Buffer.from(text, "latin1"), to, 5060) };
}

const startsWith = (prefix: string) => (p: Packet) => p.text.startsWith(prefix);
const VIA = (branch: string) => `SIP/2.0/UDP 10.0.0.9:5060;branch=${branch}`;

describe("client transactions", () => {
  it("non-INVITE over UDP: Timer E doubles from T1 up to T2, Timer F times out at 64*T1", async () => {
    const { clock, packets, uac } = await world();
    let timedOut = -1;
    uac.sendRequest(makeRequest("OPTIONS", "sip:10.0.0.8"), { host: "10.0.0.8" }, { onTimeout: () => { timedOut = clock.now(); } });
    clock.advance(40 * S);
    assert.deepEqual(timesOf(packets, startsWith("OPTIONS")), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(timedOut, 32 * S);
    assert.equal(uac.clientTransactions, 0);
    assert.equal(uac.stats.requestRetransmissionsOut, 10);
    assert.equal(uac.stats.timeouts, 1);
  });

  it("INVITE over UDP: Timer A doubles without bound (RFC 3261 §17.1.1.2), Timer B times out at 64*T1", async () => {
    const { clock, packets, uac } = await world();
    let timedOut = -1;
    uac.sendRequest(makeRequest("INVITE", "sip:bob@10.0.0.8"), { host: "10.0.0.8" }, { onTimeout: () => { timedOut = clock.now(); } });
    clock.advance(40 * S);
    assert.deepEqual(timesOf(packets, startsWith("INVITE")), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.equal(timedOut, 32 * S);
  });

  it("over a reliable transport nothing is retransmitted and Timer B still applies", async () => {
    const { clock, network, packets, uac } = await world("tcp");
    const silent = network.transport({ name: "silent", protocol: "tcp", host: "10.0.0.8", port: 5060 });
    await silent.start({ receive: () => {}, internalError: () => {} });
    let timedOut = -1;
    uac.sendRequest(makeRequest("INVITE", "sip:bob@10.0.0.8"), { host: "10.0.0.8", protocol: "tcp" }, {
      onTimeout: () => { timedOut = clock.now(); },
    });
    clock.advance(40 * S);
    assert.deepEqual(timesOf(packets, startsWith("INVITE")), [0]);
    assert.equal(timedOut, 32 * S);
  });

  it("reports a refused connection as a transport error", async () => {
    const { clock, uac } = await world("tcp");
    let error: Error | undefined;
    uac.sendRequest(makeRequest("OPTIONS", "sip:10.0.0.8"), { host: "10.0.0.8", protocol: "tcp" }, { onTransportError: (e) => { error = e; } });
    clock.advance(10 * MS);
    assert.match(String(error), /refused/);
    assert.equal(uac.clientTransactions, 0);
    assert.equal(uac.stats.transportErrors, 1);
  });

  it("non-INVITE: after a 1xx Timer E fires every T2; the final response ends it after Timer K", async () => {
    const { clock, packets, uac, uas } = await world();
    let pending: ServerTransaction | undefined;
    let handled = 0;
    uas.onRequest((tx) => { handled++; pending = tx; tx.respond(100); });
    const finals: number[] = [];
    uac.sendRequest(makeRequest("OPTIONS", "sip:10.0.0.2"), { host: "10.0.0.2" }, {
      onProvisional: (r) => assert.equal(r.status, 100),
      onFinal: () => finals.push(clock.now()),
    });
    clock.advanceTo(10 * S);
    pending!.respond(200);
    clock.advance(4 * S);
    assert.equal(uac.clientTransactions, 1, "Timer K (T4) still absorbs retransmissions");
    clock.advance(2 * S);
    assert.equal(uac.clientTransactions, 0);
    assert.deepEqual(timesOf(packets, startsWith("OPTIONS")), [0, 500, 4500, 8500]);
    assert.deepEqual(timesOf(packets, startsWith("SIP/2.0 100")), [1, 501, 4501, 8501]);
    assert.deepEqual(finals, [10 * S + MS]);
    assert.equal(handled, 1, "retransmissions are absorbed by the server transaction");
  });

  it("INVITE with a non-2xx final: the transaction sends the ACK itself, and again for a retransmitted final", async () => {
    const { clock, network, packets, uac, uas } = await world();
    uas.onRequest((tx) => tx.respond(486));
    let acked = 0;
    uas.onAck(() => acked++);
    let dropFirstAck = true;
    network.drop = (p) => {
      if (dropFirstAck && p.data.toString("latin1").startsWith("ACK")) { dropFirstAck = false; return true; }
      return false;
    };
    const finals: SipResponse[] = [];
    const tx = uac.sendRequest(makeRequest("INVITE", "sip:bob@10.0.0.2", { seq: 7 }), { host: "10.0.0.2" }, { onFinal: (r) => finals.push(r) });
    clock.advance(40 * S);
    assert.deepEqual(finals.map((r) => r.status), [486]);
    const acks = packets.filter(startsWith("ACK"));
    assert.deepEqual(acks.map((p) => p.at / MS), [2, 502], "first ACK lost; the 486 retransmitted by Timer G gets a new one");
    const ack = acks[0].text;
    assert.match(ack, /^ACK sip:bob@10\.0\.0\.2 SIP\/2\.0\r\n/);
    assert.ok(ack.includes(`branch=${tx.branch}`), "same branch as the INVITE");
    assert.match(ack, /\r\nCSeq: 7 ACK\r\n/);
    assert.match(ack, /\r\nTo: <sip:bob@10\.0\.0\.2>;tag=[0-9a-f]{16}\r\n/, "To of the response, with its tag");
    assert.equal(acked, 0, "the ACK of a non-2xx never reaches the TU");
    assert.deepEqual(timesOf(packets, startsWith("SIP/2.0 486")), [1, 501], "Timer G stops at the ACK");
    assert.equal(uac.clientTransactions, 0, "Timer D over");
    assert.equal(uas.serverTransactions, 0, "Timer I over");
  });

  it("INVITE with a 2xx: the TU's ACK is resent for a retransmitted 2xx; a 2xx from another fork reaches the TU", async () => {
    const { clock, network, packets, uac } = await world();
    const peer = await rawPeer(network, "10.0.0.9");
    const finals: string[] = [];
    let invite: ClientTransaction | undefined;
    invite = uac.sendRequest(makeRequest("INVITE", "sip:bob@10.0.0.9", { callId: "fork-1" }), { host: "10.0.0.9" }, {
      onFinal: (r, tx) => {
        finals.push(r.toTag!);
        tx.ack(makeRequest("ACK", "sip:bob@10.0.0.9", { callId: "fork-1", fromTag: r.fromTag, toTag: r.toTag }), { host: "10.0.0.9" });
      },
    });
    clock.advance(2 * MS);
    const req = peer.got[0] as SipRequest;
    const answer = (tag: string, status = "200 OK") => peer.send(
      [`SIP/2.0 ${status}`, `Via: ${req.get("Via")}`, `From: ${req.get("From")}`, `To: ${req.get("To")};tag=${tag}`,
        `Call-ID: fork-1`, `CSeq: 1 INVITE`, `Contact: <sip:bob@10.0.0.9>`, `Content-Length: 0`, ``, ``].join("\r\n"), "10.0.0.1");
    answer("a");
    clock.advance(10 * MS);
    answer("a");
    clock.advance(10 * MS);
    answer("b");
    clock.advance(10 * MS);
    answer("c", "180 Ringing");
    answer("d", "486 Busy Here");
    clock.advance(10 * MS);
    assert.deepEqual(finals, ["a", "b"], "a late 180 or 486 is not a fork");
    const acks = packets.filter(startsWith("ACK"));
    assert.equal(acks.length, 3, "ACK a, ACK a again for the retransmission, ACK b; none for the 486");
    assert.equal(acks[0].text, acks[1].text, "the same ACK, byte for byte");
    assert.ok(!acks[0].text.includes(invite.branch), "an ACK of a 2xx is a new transaction (new branch)");
    assert.equal(invite.state, "accepted");
    clock.advance(33 * S);
    assert.equal(invite.state, "terminated", "Timer M");
  });
});

describe("server transactions", () => {
  it("absorb retransmitted requests, re-sending the last response; Timer J keeps the transaction 64*T1", async () => {
    const { clock, network, packets, uac, uas } = await world();
    let handled = 0;
    uas.onRequest((tx) => { handled++; tx.respond(200); });
    let lost = 2;
    network.drop = (p) => p.data.toString("latin1").startsWith("SIP/2.0 200") && lost-- > 0;
    let finals = 0;
    uac.sendRequest(makeRequest("REGISTER", "sip:10.0.0.2"), { host: "10.0.0.2" }, { onFinal: () => finals++ });
    clock.advance(2 * S);
    assert.equal(handled, 1);
    assert.equal(finals, 1);
    assert.deepEqual(timesOf(packets, startsWith("SIP/2.0 200")), [1, 501, 1501]);
    assert.equal(uas.stats.requestRetransmissionsIn, 2);
    assert.equal(uas.stats.responseRetransmissionsOut, 2);
    clock.advanceTo(32 * S);
    assert.equal(uas.serverTransactions, 1);
    clock.advanceTo(32 * S + 2 * MS);
    assert.equal(uas.serverTransactions, 0);
  });

  it("INVITE, non-2xx, no ACK: Timer G retransmits (T1 doubling to T2), Timer H gives up at 64*T1", async () => {
    const { clock, network, packets, uas } = await world();
    const peer = await rawPeer(network);
    let failure: string | undefined;
    uas.onRequest((tx) => {
      tx.onFailure((reason) => { failure = reason; });
      tx.respond(404);
    });
    peer.send(rawRequest("INVITE", "sip:bob@10.0.0.2", VIA("z9hG4bKg1")));
    clock.advance(40 * S);
    assert.deepEqual(timesOf(packets, startsWith("SIP/2.0 404"), MS), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(failure, "timeout");
    assert.equal(uas.serverTransactions, 0);
    assert.ok(!packets.some(startsWith("SIP/2.0 100")), "the TU answered at once: no 100 Trying");
  });

  it("INVITE, non-2xx, ACK: retransmissions stop, the ACK is absorbed, Timer I ends it after T4", async () => {
    const { clock, network, packets, uas } = await world();
    const peer = await rawPeer(network);
    let acks = 0;
    uas.onAck(() => acks++);
    uas.onRequest((tx) => tx.respond(486));
    peer.send(rawRequest("INVITE", "sip:bob@10.0.0.2", VIA("z9hG4bKi1"), { callId: "i1", fromTag: "f" }));
    clock.advanceTo(2 * S);
    const busy = peer.got[0] as SipResponse;
    peer.send(rawRequest("ACK", "sip:bob@10.0.0.2", VIA("z9hG4bKi1"), { callId: "i1", fromTag: "f", toTag: busy.toTag }));
    clock.advanceTo(6 * S);
    assert.equal(uas.serverTransactions, 1, "confirmed, absorbing ACK retransmissions");
    clock.advanceTo(7 * S + 2 * MS);
    assert.equal(uas.serverTransactions, 0);
    assert.deepEqual(timesOf(packets, startsWith("SIP/2.0 486"), MS), [0, 500, 1500]);
    assert.equal(acks, 0);
  });

  it("INVITE, 2xx: retransmitted until the ACK, which reaches onAck once; without ACK onFailure after 64*T1", async () => {
    const { clock, network, packets, uas } = await world();
    const peer = await rawPeer(network);
    const acked: Array<[string, boolean]> = [];
    uas.onAck((ack, _source, invite) => acked.push([ack.callId, invite !== undefined]));
    const failures: string[] = [];
    uas.onRequest((tx) => {
      tx.onFailure((reason) => failures.push(tx.request.callId + " " + reason));
      tx.respond(200, { headers: [["Contact", "<sip:bob@10.0.0.2>"]] });
    });
    peer.send(rawRequest("INVITE", "sip:bob@10.0.0.2", VIA("z9hG4bKok1"), { callId: "ok1", fromTag: "f1" }));
    peer.send(rawRequest("INVITE", "sip:bob@10.0.0.2", VIA("z9hG4bKok2"), { callId: "ok2", fromTag: "f2" }));
    clock.advanceTo(5 * S);
    const ok = peer.got.find((m) => m.callId === "ok1") as SipResponse;
    const ack = rawRequest("ACK", "sip:bob@10.0.0.2", VIA("z9hG4bKack1"), { callId: "ok1", fromTag: "f1", toTag: ok.toTag });
    peer.send(ack);
    clock.advance(10 * MS);
    peer.send(ack);
    clock.advanceTo(40 * S);
    const okTimes = (id: string) => timesOf(packets, (p) => p.text.startsWith("SIP/2.0 200") && p.text.includes(`Call-ID: ${id}\r\n`), MS);
    assert.deepEqual(okTimes("ok1"), [0, 500, 1500, 3500]);
    assert.deepEqual(okTimes("ok2"), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.deepEqual(acked, [["ok1", true]], "the duplicate ACK is absorbed");
    assert.deepEqual(failures, ["ok2 timeout"]);
    assert.equal(uas.serverTransactions, 0);
  });

  it("sends 100 Trying at once when the TU has not answered, and again for a retransmitted INVITE", async () => {
    const { clock, packets, uac, uas } = await world();
    let handled = 0;
    uas.onRequest(() => { handled++; });
    uac.sendRequest(makeRequest("INVITE", "sip:bob@10.0.0.2"), { host: "10.0.0.2" });
    clock.advance(2 * S);
    assert.equal(handled, 1);
    assert.deepEqual(timesOf(packets, startsWith("SIP/2.0 100")), [1]);
    assert.deepEqual(timesOf(packets, startsWith("INVITE")), [0], "the 100 stops Timer A");
  });

  it("matches RFC 2543 requests (no magic cookie) by their fields", async () => {
    const { clock, network, packets, uas } = await world();
    const peer = await rawPeer(network);
    let handled = 0;
    uas.onRequest((tx) => { handled++; tx.respond(tx.method === "INVITE" ? 603 : 200); });
    const options = rawRequest("OPTIONS", "sip:10.0.0.2", "SIP/2.0/UDP 10.0.0.9:5060", { callId: "old1", fromTag: "x" });
    peer.send(options);
    clock.advance(5 * MS);
    peer.send(options);
    peer.send(rawRequest("INVITE", "sip:bob@10.0.0.2", "SIP/2.0/UDP 10.0.0.9:5060;branch=1234", { callId: "old2", fromTag: "y" }));
    clock.advance(5 * MS);
    const declined = peer.got.find((m) => m.callId === "old2") as SipResponse;
    peer.send(rawRequest("ACK", "sip:bob@10.0.0.2", "SIP/2.0/UDP 10.0.0.9:5060;branch=1234", { callId: "old2", fromTag: "y", toTag: declined.toTag }));
    clock.advance(10 * S);
    assert.equal(handled, 2);
    assert.equal(timesOf(packets, (p) => p.text.startsWith("SIP/2.0 200") && p.text.includes("old1")).length, 2);
    assert.deepEqual(timesOf(packets, startsWith("SIP/2.0 603"), 6 * MS), [0], "the ACK matched: no Timer G");
  });

  it("answers 400 to a bad Request-URI, 416 to an unsupported scheme, 500 when the TU throws, 503 without a TU", async () => {
    const { clock, network, uas } = await world();
    const peer = await rawPeer(network);
    uas.onRequest((tx) => { if (tx.request.callId === "boom") throw new Error("TU bug"); tx.respond(200); });
    peer.send(rawRequest("OPTIONS", "sip:@@", VIA("z9hG4bKu1"), { to: "<sip:bob@example.com>" }));
    peer.send(rawRequest("OPTIONS", "mailto:bob@example.com", VIA("z9hG4bKu2"), { to: "<sip:bob@example.com>" }));
    peer.send(rawRequest("OPTIONS", "sip:10.0.0.2", VIA("z9hG4bKu3"), { callId: "boom" }));
    clock.advance(5 * MS);
    const other = await memoryLayer(network, clock, { host: "10.0.0.3", seed: 9 });
    peer.send(rawRequest("OPTIONS", "sip:10.0.0.3", VIA("z9hG4bKu4")), "10.0.0.3");
    clock.advance(5 * MS);
    assert.deepEqual(peer.got.map((m) => (m as SipResponse).status), [400, 416, 500, 503]);
    assert.equal(uas.stats.handlerErrors, 1);
    assert.equal(other.stats.requestsIn, 1);
  });
});

describe("CANCEL", () => {
  async function cancelScenario() {
    const w = await world();
    const { clock, uac, uas } = w;
    const log: string[] = [];
    uas.onRequest((tx) => {
      tx.respond(180);
      tx.onCancel((cancel) => { log.push("cancel " + cancel.cseq.method); tx.respond(487); });
    });
    uas.onAck(() => log.push("ack reached the TU"));
    const invite = uac.sendRequest(makeRequest("INVITE", "sip:bob@10.0.0.2", { seq: 3, callId: "c1", fromTag: "f1" }), { host: "10.0.0.2" }, {
      onProvisional: (r) => log.push("provisional " + r.status),
      onFinal: (r) => log.push("final " + r.status),
    });
    clock.advance(10 * MS);
    assert.equal(invite.cancel(), true);
    clock.advance(40 * S);
    return { ...w, log, invite };
  }

  it("cancels a ringing INVITE: 200 to the CANCEL, 487 to the INVITE, its ACK absorbed", async () => {
    const { packets, log, invite, uac, uas } = await cancelScenario();
    assert.deepEqual(log, ["provisional 180", "cancel CANCEL", "final 487"]);
    const cancel = packets.find(startsWith("CANCEL"))!.text;
    assert.match(cancel, /^CANCEL sip:bob@10\.0\.0\.2 SIP\/2\.0\r\n/);
    assert.ok(cancel.includes(`branch=${invite.branch}`), "CANCEL carries the INVITE's branch");
    assert.match(cancel, /\r\nCSeq: 3 CANCEL\r\n/);
    const ok = packets.find(startsWith("SIP/2.0 200"))!.text;
    assert.match(ok, /CSeq: 3 CANCEL/);
    const ringing = packets.find(startsWith("SIP/2.0 180"))!.text;
    const tag = (text: string) => /\r\nTo: [^\r]*;tag=([0-9a-f]+)/.exec(text)![1];
    assert.equal(tag(ok), tag(ringing), "the CANCEL's 200 has the To tag of the INVITE's responses");
    assert.equal(packets.filter(startsWith("ACK")).length, 1);
    assert.equal(uas.stats.cancelsIn, 1);
    assert.equal(uac.clientTransactions + uas.serverTransactions, 0);
  });

  it("is deterministic: the same run gives the same packets at the same times", async () => {
    const a = await cancelScenario();
    const b = await cancelScenario();
    assert.deepEqual(a.packets, b.packets);
  });

  it("waits for a provisional response before sending the CANCEL; without a final response, times out 64*T1 later", async () => {
    const { clock, network, packets, uac } = await world();
    const peer = await rawPeer(network);
    let timedOut = -1;
    const invite = uac.sendRequest(makeRequest("INVITE", "sip:bob@10.0.0.9"), { host: "10.0.0.9" }, { onTimeout: () => { timedOut = clock.now(); } });
    invite.cancel();
    clock.advance(S);
    assert.ok(!packets.some(startsWith("CANCEL")));
    const req = peer.got[0] as SipRequest;
    peer.send([`SIP/2.0 180 Ringing`, `Via: ${req.get("Via")}`, `From: ${req.get("From")}`, `To: ${req.get("To")};tag=r`,
      `Call-ID: ${req.callId}`, `CSeq: 1 INVITE`, `Content-Length: 0`, ``, ``].join("\r\n"), "10.0.0.1");
    clock.advance(10 * MS);
    assert.deepEqual(timesOf(packets, startsWith("CANCEL")), [1001], "when the 180 (sent at 1 s) arrives");
    assert.deepEqual(timesOf(packets, startsWith("INVITE")), [0, 500], "the 180 stopped Timer A");
    clock.advance(40 * S);
    assert.equal(timedOut, S + MS + 32 * S);
  });

  it("answers 481 to a CANCEL that matches nothing", async () => {
    const { clock, network, uas } = await world();
    const peer = await rawPeer(network);
    peer.send(rawRequest("CANCEL", "sip:bob@10.0.0.2", VIA("z9hG4bKnone")));
    clock.advance(5 * MS);
    assert.equal((peer.got[0] as SipResponse).status, 481);
    assert.equal(uas.stats.cancelsIn, 1);
  });
});

describe("a transaction lingering for its timers keeps only what they need", () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  /** Whether what `ref` points at survives a full collection (WeakRef targets are kept until the job ends). */
  const alive = async (ref: WeakRef<object>) => {
    await new Promise((r) => setImmediate(r));
    gc();
    return ref.deref() !== undefined;
  };

  it("client: a non-INVITE's handlers and request go with its final response, an INVITE's once the TU forgets it", async () => {
    const { clock, network, uac } = await world();
    const peer = await rawPeer(network, "10.0.0.9");
    const methodsSeen: string[] = [];
    const send = (method: string, callId: string) => {
      // Stands for the call the handlers close over; it reads the request as a TU does (an auth retry).
      const handlers = { onFinal: (_r: SipResponse, tx: ClientTransaction) => { methodsSeen.push(tx.request.method); } };
      const request = makeRequest(method, "sip:bob@10.0.0.9", { callId });
      const tx = uac.sendRequest(request, { host: "10.0.0.9" }, handlers);
      return { tx, handlers: new WeakRef(handlers), request: new WeakRef(request) };
    };
    const options = send("OPTIONS", "gc-1");
    const invite = send("INVITE", "gc-2");
    clock.advance(2 * MS);
    for (const req of peer.got as SipRequest[]) {
      peer.send([`SIP/2.0 200 OK`, `Via: ${req.get("Via")}`, `From: ${req.get("From")}`, `To: ${req.get("To")};tag=t`,
        `Call-ID: ${req.callId}`, `CSeq: ${req.get("CSeq")}`, `Content-Length: 0`, ``, ``].join("\r\n"), "10.0.0.1");
    }
    clock.advance(2 * MS);
    assert.deepEqual([options.tx.state, invite.tx.state], ["completed", "accepted"]);
    assert.deepEqual(methodsSeen, ["OPTIONS", "INVITE"], "onFinal still has the request");
    assert.equal(await alive(options.handlers), false, "Timer K needs no handler");
    assert.equal(await alive(options.request), false, "nor the request");
    assert.throws(() => options.tx.request, /answered/);
    assert.equal(await alive(invite.handlers), true, "a fork's 2xx may still come to the TU");
    invite.tx.forget();
    assert.equal(await alive(invite.handlers), false);
    assert.throws(() => invite.tx.request, /forgotten/);
    assert.equal(uac.clientTransactions, 2, "both still absorb retransmissions");
  });

  it("client: a forgotten accepted INVITE leaves a small entry that resends its ACK until Timer M, and the transaction goes", async () => {
    const { clock, network, uac } = await world();
    const peer = await rawPeer(network, "10.0.0.9");
    const ok = (req: SipRequest, tag: string) => [`SIP/2.0 200 OK`, `Via: ${req.get("Via")}`, `From: ${req.get("From")}`, `To: ${req.get("To")};tag=${tag}`,
      `Call-ID: ${req.callId}`, `CSeq: ${req.get("CSeq")}`, `Content-Length: 0`, ``, ``].join("\r\n");
    const txRef = ((): WeakRef<object> => {
      const tx = uac.sendRequest(makeRequest("INVITE", "sip:bob@10.0.0.9", { callId: "gc-4" }), { host: "10.0.0.9" }, { onFinal: () => undefined });
      clock.advance(2 * MS);
      peer.send(ok(peer.got[0] as SipRequest, "t1"), "10.0.0.1");
      clock.advance(2 * MS);
      assert.equal(tx.state, "accepted");
      tx.ack(makeRequest("ACK", "sip:bob@10.0.0.9", { callId: "gc-4", toTag: "t1" }), { host: "10.0.0.9" });
      tx.forget();
      return new WeakRef(tx);
    })();
    assert.equal(await alive(txRef), false, "the transaction object goes");
    assert.equal(uac.clientTransactions, 1, "its entry stays");
    const acks = () => peer.got.filter((m) => m instanceof SipRequest && m.method === "ACK").length;
    clock.advance(2 * MS);
    assert.equal(acks(), 1);
    const invite = peer.got[0] as SipRequest;
    peer.send(ok(invite, "t1"), "10.0.0.1"); // retransmitted 2xx: the ACK again
    peer.send(ok(invite, "t2"), "10.0.0.1"); // another fork's: absorbed, its TU is gone
    peer.send(ok(invite, "t2"), "10.0.0.1");
    clock.advance(2 * MS);
    assert.equal(acks(), 2);
    assert.deepEqual([uac.stats.responsesIn, uac.stats.responseRetransmissionsIn, uac.stats.acksOut], [2, 2, 2]);
    clock.advance(33 * S);
    assert.equal(uac.clientTransactions, 0, "Timer M");
    peer.send(ok(invite, "t1"), "10.0.0.1");
    clock.advance(2 * MS);
    assert.equal(acks(), 2);
    assert.equal(uac.stats.strayResponses, 1, "after Timer M a 2xx matches nothing");
  });

  it("server: an INVITE answered 2xx lets go of onCancel at the answer and of onFailure at the ACK", async () => {
    const { clock, network, uas } = await world();
    const peer = await rawPeer(network);
    let refs: { cancel: WeakRef<object>; failure: WeakRef<object>; tx: WeakRef<object> } | undefined;
    uas.onRequest((tx) => {
      const onCancel = () => undefined;
      const onFailure = () => undefined;
      tx.onCancel(onCancel);
      tx.onFailure(onFailure);
      refs = { cancel: new WeakRef(onCancel), failure: new WeakRef(onFailure), tx: new WeakRef(tx) };
      tx.respond(200, { headers: [["Contact", "<sip:bob@10.0.0.2>"]] });
    });
    peer.send(rawRequest("INVITE", "sip:bob@10.0.0.2", VIA("z9hG4bKgc1"), { callId: "gc-3", fromTag: "f1" }));
    clock.advance(2 * MS);
    assert.equal(await alive(refs!.cancel), false);
    assert.equal(await alive(refs!.failure), true, "no ACK yet: Timer L may still fail it");
    const ok = peer.got.find((m) => m.callId === "gc-3") as SipResponse;
    const ack = rawRequest("ACK", "sip:bob@10.0.0.2", VIA("z9hG4bKgcack"), { callId: "gc-3", fromTag: "f1", toTag: ok.toTag });
    peer.send(ack);
    clock.advance(2 * MS);
    assert.equal(await alive(refs!.failure), false);
    assert.equal(await alive(refs!.tx), false, "the request and the transaction object go; a small entry stays for Timer L");
    assert.equal(uas.serverTransactions, 1);
    const responses = peer.got.length;
    peer.send(rawRequest("INVITE", "sip:bob@10.0.0.2", VIA("z9hG4bKgc1"), { callId: "gc-3", fromTag: "f1" }));
    peer.send(ack);
    clock.advance(2 * MS);
    assert.equal(peer.got.length, responses, "a retransmitted INVITE and ACK are absorbed");
    assert.deepEqual([uas.stats.requestRetransmissionsIn, uas.stats.acksOf2xx, uas.stats.strayAcks], [1, 1, 0]);
    clock.advance(33 * S);
    assert.equal(uas.serverTransactions, 0, "Timer L");
  });
});
