/**
 * INVITE with Replaces (RFC 3891) naming a leg of an answered, bridged call, against a
 * running `recall start`: A calls B through Dial(), then C's INVITE replaces A's leg; C
 * is answered and talks to B, A gets BYE, and when C hangs up B is hung up too. An
 * early-only Replaces of the answered leg is 486. The log replays.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { UdpPeer, callerPjsip, headerValue, offerSdp, type Received } from "../udp-peer.js";

const run = promisify(execFile);
let recall: RecallProcess;
let port: number;
let a: UdpPeer, b: UdpPeer, c: UdpPeer;

before(async () => {
  port = await freePort();
  [a, c] = [await UdpPeer.open(port), await UdpPeer.open(port)];
  b = await UdpPeer.open(port);
  recall = await startRecall({
    "pjsip.conf": callerPjsip(port, "replaces", "allow = ulaw\ndirect_media = no", `
[phoneb]
type = endpoint
context = replaces
allow = ulaw
direct_media = no
aors = phoneb
[phoneb]
type = aor
contact = sip:b@127.0.0.1:${b.port}
`),
    "extensions.conf": `
[replaces]
exten => 901,1,Dial(PJSIP/phoneb,10)
 same => n,Hangup()
`,
  });
});
after(async () => { for (const p of [a, b, c]) p?.close(); await recall?.stop(); });

/** In-dialog request from a peer on the dialog of `ok` (Recall's 200 to that peer's INVITE). */
function inDialog(peer: UdpPeer, ok: Received, method: string, cseq: number): string {
  return [
    `${method} sip:901@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-${method}-${cseq}-${peer.port};rport`,
    "Max-Forwards: 70", `From: ${headerValue(ok.text, "From")}`, `To: ${headerValue(ok.text, "To")}`,
    `Call-ID: ${headerValue(ok.text, "Call-ID")}`, `CSeq: ${cseq} ${method}`, "Content-Length: 0", "", "",
  ].join("\r\n");
}

/** A calls 901; B answers Recall's INVITE. Resolves with Recall's 200 to A. */
async function callAtoB(): Promise<Received> {
  const { text, callId } = a.request("INVITE", { uri: `sip:901@127.0.0.1:${port}`, body: offerSdp() });
  a.send(text);
  const invite = await b.next((m) => m.method === "INVITE", 5000);
  assert.ok(invite, "Recall calls B");
  b.respond(invite, 200, "OK", [`Contact: <sip:b@127.0.0.1:${b.port}>`, "Content-Type: application/sdp"], offerSdp(), "b-tag");
  assert.ok(await b.next((m) => m.method === "ACK", 3000), "B's 200 is ACKed");
  const ok = await a.next((m) => m.status === 200 && m.text.includes(`Call-ID: ${callId}`), 5000);
  assert.ok(ok, "A is answered once B answers");
  a.send(inDialog(a, ok, "ACK", 1));
  await untilBridged();
  return ok;
}

/** Dial bridges the legs just after answering them; a Replaces before that names an unbridged leg (481). */
async function untilBridged(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const rows = (await recall.cli("core show channels concise")).trim().split("\n").filter((l) => l.startsWith("PJSIP/"));
    if (rows.length === 2 && rows.every((r) => !r.includes("!(None)!"))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail("A and B are bridged within 5 s");
}

function replacesOf(ok: Received, extra = ""): string {
  const callId = headerValue(ok.text, "Call-ID")!;
  const recallTag = /;tag=([^;>\s]+)/.exec(headerValue(ok.text, "To")!)![1];
  const aTag = /;tag=([^;>\s]+)/.exec(headerValue(ok.text, "From")!)![1];
  return `Replaces: ${callId};to-tag=${recallTag};from-tag=${aTag}${extra}`;
}

test("C's INVITE with Replaces takes A's place beside B; A gets BYE; C's hang-up ends B's leg", async () => {
  const okA = await callAtoB();
  const early = c.request("INVITE", { uri: `sip:901@127.0.0.1:${port}`, body: offerSdp(), headers: [replacesOf(okA, ";early-only")] });
  assert.equal((await c.ask(early.text, early.callId)).status, 486, "early-only names an answered leg");

  const { text, callId } = c.request("INVITE", { uri: `sip:901@127.0.0.1:${port}`, body: offerSdp(), headers: [replacesOf(okA)] });
  const okC = await c.ask(text, callId, 5000);
  assert.equal(okC.status, 200);
  c.send(inDialog(c, okC, "ACK", 1));
  const byeA = await a.next((m) => m.method === "BYE", 5000);
  assert.ok(byeA, "the replaced leg gets BYE");
  a.respond(byeA, 200, "OK");
  assert.equal(await b.next((m) => m.method === "BYE", 1000), undefined, "B stays in the call, now with C");
  const channels = await recall.cli("core show channels concise");
  assert.equal(channels.trim().split("\n").filter((l) => l.startsWith("PJSIP/")).length, 2, channels);

  const bye = await c.ask(inDialog(c, okC, "BYE", 2), callId, 3000);
  assert.equal(bye.status, 200);
  const byeB = await b.next((m) => m.method === "BYE", 5000);
  assert.ok(byeB, "C's hang-up ends B's leg");
  b.respond(byeB, 200, "OK");
  await new Promise((r) => setTimeout(r, 500));
  assert.match(await recall.cli("core show channels"), /0 active channels/);
});

test("the call's log replays", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"], { timeout: 60_000 });
  assert.match(stdout, / 0 divergences/);
});
