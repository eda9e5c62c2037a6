/**
 * Unusual but real requests, sent byte for byte over UDP to a running `recall start`,
 * and the answer real Asterisk 22 gives to each (REFERENCE.md, "How Asterisk 22 answers
 * unusual requests"): 488 for an offer with nothing in common, 400 for SDP that does
 * not parse, 420 for an unknown Require, 416 for a tel: Request-URI, 501 for an
 * unknown method, 481/400 for bad Replaces, 415 for a body without SDP, 422 for a
 * Session-Expires below Min-SE; and the tolerant cases (SDP with blank lines first or
 * LF-only line ends, an SDP part in multipart/mixed) that must connect.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { freePort, messages, startRecall, type RecallProcess } from "../interfaces/cli/recall-process.js";
import { UdpPeer, callerPjsip, headerValue, offerSdp as SDP, type Received } from "./udp-peer.js";

let recall: RecallProcess;
let port: number;
let peer: UdpPeer;

before(async () => {
  port = await freePort();
  const pjsip = callerPjsip(port, "probe", "disallow = all\nallow = ulaw,alaw");
  const extensions = `
[probe]
exten => 900,1,Answer()
 same => n,Wait(20)
 same => n,Hangup()
`;
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": extensions });
  peer = await UdpPeer.open(port);
});
after(async () => { peer?.close(); await recall?.stop(); });

async function ask(method: string, o: Parameters<UdpPeer["request"]>[1] = {}): Promise<Received> {
  const { text, callId } = peer.request(method, o);
  const answer = await peer.ask(text, callId);
  if (answer.status >= 200 && answer.status < 300 && method === "INVITE") await hangUp(answer);
  return answer;
}

/** ACK and BYE an answered INVITE, so the probe leaves no call behind. */
async function hangUp(ok: Received): Promise<void> {
  const get = (h: string) => headerValue(ok.text, h) ?? "";
  const callId = get("Call-ID"), from = get("From"), to = get("To");
  const base = (method: string, seq: number, branch: string) => [
    `${method} sip:900@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-${branch};rport`,
    "Max-Forwards: 70", `From: ${from}`, `To: ${to}`, `Call-ID: ${callId}`, `CSeq: ${seq} ${method}`, "Content-Length: 0", "", "",
  ].join("\r\n");
  peer.send(base("ACK", 1, `ack-${callId}`));
  const bye = await peer.ask(base("BYE", 2, `bye-${callId}`), callId);
  assert.equal(bye.status, 200, "the answered probe is hung up");
}

const header = (a: Received, name: string) => headerValue(a.text, name);

test("an offer with no codec in common: 488 with a Warning", async () => {
  const a = await ask("INVITE", { body: SDP({ codec: "G722", pt: 9 }) });
  assert.equal(a.status, 488);
  assert.match(header(a, "Warning") ?? "", /^30[45] /, "Warning: 304/305 (media type / format not available)");
});

test("an offer without an audio stream: 488", async () => {
  const a = await ask("INVITE", { body: SDP({ media: "m=video 40000 RTP/AVP 31" }).replace(/a=rtpmap.*\r\n/, "") });
  assert.equal(a.status, 488);
});

test("SDP that does not parse, or a c= line with an unknown network or address type: 400", async () => {
  assert.equal((await ask("INVITE", { body: "this is not SDP\r\n" })).status, 400);
  assert.equal((await ask("INVITE", { body: SDP({ c: "c=ATM NSAP 47.0091.8100" }) })).status, 400);
  assert.equal((await ask("INVITE", { body: SDP({ c: "c=IN IPX 127.0.0.1" }) })).status, 400);
});

test("SDP with blank lines before v= and with LF-only line ends is read, as pjmedia reads it", async () => {
  assert.equal((await ask("INVITE", { body: "\r\n\r\n" + SDP() })).status, 200);
  assert.equal((await ask("INVITE", { body: SDP().replace(/\r\n/g, "\n") })).status, 200);
});

test("Require with an option-tag Recall does not support: 420 naming it in Unsupported", async () => {
  const a = await ask("INVITE", { body: SDP(), headers: ["Require: replaces, x-fancy-feature"] });
  assert.equal(a.status, 420);
  assert.equal(header(a, "Unsupported"), "x-fancy-feature");
  const o = await ask("OPTIONS", { headers: ["Require: x-fancy-feature"] });
  assert.equal(o.status, 420, "every method but ACK and CANCEL");
});

test("a tel: or other non-SIP Request-URI: 416", async () => {
  assert.equal((await ask("INVITE", { uri: "tel:+15551234567", body: SDP() })).status, 416);
  assert.equal((await ask("OPTIONS", { uri: "mailto:ops@example.com" })).status, 416);
});

test("an unknown or extension method: 501, however strange its token", async () => {
  assert.equal((await ask("FOOBAR")).status, 501);
  assert.equal((await ask("NEWMETHOD.~!%*_+`'")).status, 501);
  const a = await ask("PUBLISH", { headers: ["Event: presence"] });
  assert.ok(a.status !== 0, "PUBLISH is answered");
});

test("Replaces naming no dialog: 481; two Replaces headers: 400", async () => {
  assert.equal((await ask("INVITE", { body: SDP(), headers: ["Replaces: nosuchcall@example;to-tag=a;from-tag=b"] })).status, 481);
  assert.equal((await ask("INVITE", { body: SDP(), headers: ["Replaces: x@example;to-tag=a;from-tag=b", "Replaces: y@example;to-tag=c;from-tag=d"] })).status, 400);
});

test("multipart/mixed: the SDP part is the offer; a multipart body without one, or another body type, is 415", async () => {
  const part = (type: string, body: string) => `--b1\r\nContent-Type: ${type}\r\n\r\n${body}\r\n`;
  const withSdp = part("text/plain", "hello") + part("application/sdp", SDP()) + "--b1--\r\n";
  assert.equal((await ask("INVITE", { body: withSdp, contentType: "multipart/mixed;boundary=b1" })).status, 200);
  const without = part("text/plain", "hello") + "--b1--\r\n";
  const a = await ask("INVITE", { body: without, contentType: "multipart/mixed;boundary=b1" });
  assert.equal(a.status, 415);
  assert.match(header(a, "Accept") ?? "", /application\/sdp/);
  assert.equal((await ask("INVITE", { body: "hello", contentType: "text/plain" })).status, 415);
});

test("Session-Expires below Min-SE: 422 with Recall's Min-SE", async () => {
  const a = await ask("INVITE", { body: SDP(), headers: ["Supported: timer", "Session-Expires: 30"] });
  assert.equal(a.status, 422);
  assert.equal(header(a, "Min-SE"), "90");
  assert.equal((await ask("INVITE", { body: SDP(), headers: ["Supported: timer", "Session-Expires: 1800"] })).status, 200);
});

test("every refused request is logged with its reason", async () => {
  const log = messages(recall.dataDir);
  assert.match(log, /488 .*no common codec/i);
  assert.match(log, /420 .*x-fancy-feature/);
  assert.match(log, /422 .*Session-Expires 30/);
  assert.match(await recall.cli("core show channels"), /0 active channels/);
});
