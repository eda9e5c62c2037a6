/**
 * Session timers (RFC 4028) against a running `recall start`, at the shortest interval
 * RFC 4028 and Asterisk allow (90 s: the lapse and refresh tests run side by side, about
 * a minute; session-timer.test.ts checks the arithmetic on a virtual clock):
 * the 200 carries the agreed Session-Expires and Require: timer; a caller that refreshes
 * by re-INVITE or UPDATE keeps its call; one that stops refreshing gets a BYE and the
 * channel ends with cause 18; when Recall is the refresher it re-INVITEs at half the
 * interval and hangs up when a refresh is answered 481.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { freePort, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { UdpPeer, callerPjsip, headerValue, offerSdp, type Received } from "../udp-peer.js";

let recall: RecallProcess;
let port: number;
let peer: UdpPeer;

before(async () => {
  port = await freePort();
  recall = await startRecall({
    "pjsip.conf": callerPjsip(port, "timers"),
    "extensions.conf": `
[timers]
exten => 900,1,Answer()
 same => n,Wait(120)
 same => n,Hangup()
exten => h,1,NoOp(HANGUPCAUSE=\${HANGUPCAUSE})
`,
  });
  peer = await UdpPeer.open(port);
});
after(async () => { peer?.close(); await recall?.stop(); });

/** An answered call with these Session-Expires terms; resolves with the 200 and a way to send in-dialog requests. */
async function call(sessionExpires: string) {
  const { text, callId } = peer.request("INVITE", { body: offerSdp(), headers: ["Supported: timer", `Session-Expires: ${sessionExpires}`] });
  const ok = await peer.ask(text, callId);
  assert.equal(ok.status, 200);
  const from = headerValue(ok.text, "From")!, to = headerValue(ok.text, "To")!;
  let cseq = 1, branch = 0;
  const inDialog = (method: string, body = "") => [
    `${method} sip:900@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-${callId}-${++branch};rport`,
    "Max-Forwards: 70", `From: ${from}`, `To: ${to}`, `Call-ID: ${callId}`, `CSeq: ${method === "ACK" ? 1 : ++cseq} ${method}`,
    `Contact: <sip:caller@127.0.0.1:${peer.port}>`, "Supported: timer", `Session-Expires: ${sessionExpires}`,
    ...(body ? ["Content-Type: application/sdp"] : []), `Content-Length: ${Buffer.byteLength(body)}`, "", body,
  ].join("\r\n");
  peer.send(inDialog("ACK"));
  return { ok, callId, inDialog };
}

const byeFor = (callId: string) => (m: Received) => m.method === "BYE" && m.text.includes(`Call-ID: ${callId}`);

test("the 200 agrees to the caller's terms; a re-INVITE or UPDATE refresh is answered with them", async () => {
  const { ok, callId, inDialog } = await call("1800;refresher=uac");
  assert.equal(headerValue(ok.text, "Session-Expires"), "1800;refresher=uac");
  assert.equal(headerValue(ok.text, "Require"), "timer");
  const reinvite = await peer.ask(inDialog("INVITE", offerSdp()), callId);
  assert.equal(reinvite.status, 200);
  assert.equal(headerValue(reinvite.text, "Session-Expires"), "1800;refresher=uac");
  peer.send(inDialog("ACK"));
  const update = await peer.ask(inDialog("UPDATE"), callId);
  assert.equal(update.status, 200);
  assert.equal(headerValue(update.text, "Session-Expires"), "1800;refresher=uac");
  const bye = await peer.ask(inDialog("BYE"), callId);
  assert.equal(bye.status, 200);
});

test("a caller that stops refreshing gets BYE (cause 18); when Recall refreshes, a refresh answered 481 ends the call", async () => {
  const lapse = async () => {
    const { callId, inDialog } = await call("90;refresher=uac");
    const update = await peer.ask(inDialog("UPDATE"), callId);
    assert.equal(update.status, 200);
    const refreshedAt = Date.now();
    assert.equal(await peer.next(byeFor(callId), 55_000), undefined, "no BYE before 60 s after the last refresh");
    const bye = await peer.next(byeFor(callId), 10_000);
    assert.ok(bye, "Recall sends BYE once the session lapses");
    assert.ok(Date.now() - refreshedAt >= 59_000);
    peer.respond(bye, 200, "OK");
    await recall.waitFor(/Session timer of PJSIP\/caller-\w+ expired: no session refresh within 90 s/, 3000);
    await recall.waitFor(/HANGUPCAUSE=18/, 3000);
  };
  const failedRefresh = async () => {
    const { ok, callId } = await call("90;refresher=uas");
    assert.equal(headerValue(ok.text, "Session-Expires"), "90;refresher=uas");
    const refresh = await peer.next((m) => m.method === "INVITE" && m.text.includes(`Call-ID: ${callId}`), 50_000);
    assert.ok(refresh, "a refreshing re-INVITE 45 s after the answer");
    assert.match(refresh.text, /^m=audio /m, "it offers the SDP Recall last sent");
    peer.respond(refresh, 481, "Call/Transaction Does Not Exist");
    const bye = await peer.next(byeFor(callId), 3000);
    assert.ok(bye, "a failed refresh ends the call with BYE");
    peer.respond(bye, 200, "OK");
    await recall.waitFor(/Session timer of PJSIP\/caller-\w+ expired: session refresh failed \(481\)/, 3000);
  };
  await Promise.all([lapse(), failedRefresh()]);
});
test("without Session-Expires or Supported: timer no timer runs", async () => {
  const { text, callId } = peer.request("INVITE", { body: offerSdp() });
  const ok = await peer.ask(text, callId);
  assert.equal(ok.status, 200);
  assert.equal(headerValue(ok.text, "Session-Expires"), undefined);
  assert.equal(headerValue(ok.text, "Require"), undefined);
});
