/**
 * Call pickup against a running `recall start` with raw UDP phones: A calls 901, Dial
 * rings B (call_group 1) and B never answers; C answers the call instead, by features'
 * pickupexten (*8, C's pickup_group 1), by Pickup(901@pickup) in the dialplan, or by an
 * INVITE with Replaces naming Recall's ringing INVITE to B. Each time C is answered, A
 * is answered and bridged to C, B's INVITE is cancelled, and CEL has PICKUP on B's leg
 * naming C's channel. A leg of another group, or no ringing leg, is not picked up. The
 * log replays.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, startRecall, type RecallProcess } from "../interfaces/cli/recall-process.js";
import { packageRoot } from "../interfaces/cli/paths.js";
import { UdpPeer, callerPjsip, headerValue, offerSdp, type Received } from "../sip/udp-peer.js";

const run = promisify(execFile);
let recall: RecallProcess;
let port: number;
let a: UdpPeer, b: UdpPeer, c: UdpPeer, d: UdpPeer;
/** Makes each in-dialog request's branch unique. */
let requests = 0;

const phone = (name: string, peer: UdpPeer, group: string) => `
[${name}]
type = endpoint
context = pickup
allow = ulaw
direct_media = no
call_group = ${group}
aors = ${name}
[${name}]
type = aor
contact = sip:${name}@127.0.0.1:${peer.port}
`;

before(async () => {
  port = await freePort();
  [a, b, c, d] = [await UdpPeer.open(port), await UdpPeer.open(port), await UdpPeer.open(port), await UdpPeer.open(port)];
  recall = await startRecall({
    // Every peer on 127.0.0.1 is the endpoint `caller`, whose pickup group is 1.
    "pjsip.conf": callerPjsip(port, "pickup", "allow = ulaw\ndirect_media = no\npickup_group = 1", phone("phoneb", b, "1") + phone("phoned", d, "5")),
    "extensions.conf": `
[pickup]
exten => 901,1,Dial(PJSIP/phoneb,30)
 same => n,Hangup()
exten => 905,1,Dial(PJSIP/phoned,30)
 same => n,Hangup()
exten => 8901,1,Pickup(901@pickup)
 same => n,Playback(beep)
 same => n,Hangup()
`,
  });
});
after(async () => { for (const p of [a, b, c, d]) p?.close(); await recall?.stop(); });

function inDialog(peer: UdpPeer, ok: Received, method: string, cseq: number): string {
  return [
    `${method} sip:x@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-${method}-${cseq}-${peer.port}-${++requests};rport`,
    "Max-Forwards: 70", `From: ${headerValue(ok.text, "From")}`, `To: ${headerValue(ok.text, "To")}`,
    `Call-ID: ${headerValue(ok.text, "Call-ID")}`, `CSeq: ${cseq} ${method}`, "Content-Length: 0", "", "",
  ].join("\r\n");
}

/** A calls `exten`; the callee phone rings (180) and never answers. Resolves with the INVITE it got. */
async function ringing(callee: UdpPeer, exten = "901"): Promise<{ invite: Received; callId: string; sent: string }> {
  const { text, callId } = a.request("INVITE", { uri: `sip:${exten}@127.0.0.1:${port}`, body: offerSdp() });
  a.send(text);
  const invite = await callee.next((m) => m.method === "INVITE", 5000);
  assert.ok(invite, "Recall calls the callee");
  callee.respond(invite, 180, "Ringing", [`Contact: <sip:x@127.0.0.1:${callee.port}>`], "", "callee-tag");
  assert.ok(await a.next((m) => m.status === 180 && m.text.includes(`Call-ID: ${callId}`), 3000), "A hears ringing");
  return { invite, callId, sent: text };
}

/** The CANCEL of an INVITE this peer sent: its Via, From, To, Call-ID and CSeq number. */
function cancelOf(invite: string): string {
  const head = invite.split("\r\n\r\n")[0].split("\r\n")
    .filter((l) => !/^(content-type|content-length|contact):/i.test(l))
    .map((l, i) => (i === 0 ? l.replace(/^INVITE /, "CANCEL ") : l.replace(/^CSeq: (\d+) INVITE$/i, "CSeq: $1 CANCEL")));
  return [...head, "Content-Length: 0", "", ""].join("\r\n");
}

/** C's INVITE was answered: A is answered, B's INVITE is cancelled; C's hang-up ends A's leg. */
async function pickedUp(okC: Received, callIdA: string, invite: Received): Promise<void> {
  assert.equal(okC.status, 200, okC.text);
  c.send(inDialog(c, okC, "ACK", 1));
  const okA = await a.next((m) => m.status === 200 && m.text.includes(`Call-ID: ${callIdA}`), 5000);
  assert.ok(okA, "A is answered by the pickup");
  a.send(inDialog(a, okA, "ACK", 1));
  const cancel = await b.next((m) => m.method === "CANCEL", 5000);
  assert.ok(cancel, "B's INVITE is cancelled");
  assert.match(cancel.text, /Reason: SIP;cause=200;text="Call completed elsewhere"/i);
  b.respond(cancel, 200, "OK");
  b.respond(invite, 487, "Request Terminated", [], "", "callee-tag");
  const channels = await recall.cli("core show channels concise");
  assert.equal(channels.trim().split("\n").filter((l) => l.startsWith("PJSIP/")).length, 2, `A and C: ${channels}`);
  assert.equal((await c.ask(inDialog(c, okC, "BYE", 2), headerValue(okC.text, "Call-ID")!, 3000)).status, 200);
  const byeA = await a.next((m) => m.method === "BYE", 5000);
  assert.ok(byeA, "C's hang-up ends A's leg");
  a.respond(byeA, 200, "OK");
  for (let i = 0; i < 40 && !/0 active channels/.test(await recall.cli("core show channels")); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(await recall.cli("core show channels"), /0 active channels/);
}

test("C dials features' pickupexten *8 and takes the call ringing B, a phone of its pickup group", async () => {
  const { invite, callId } = await ringing(b);
  const pick = c.request("INVITE", { uri: `sip:*8@127.0.0.1:${port}`, body: offerSdp() });
  await pickedUp(await c.ask(pick.text, pick.callId, 5000), callId, invite);
});

test("Pickup(901@pickup) in the dialplan takes the call a Dial at 901 rings", async () => {
  const { invite, callId } = await ringing(b);
  const pick = c.request("INVITE", { uri: `sip:8901@127.0.0.1:${port}`, body: offerSdp() });
  await pickedUp(await c.ask(pick.text, pick.callId, 5000), callId, invite);
});

test("an INVITE with Replaces naming Recall's ringing INVITE to B picks the call up (RFC 3891: an early dialog Recall started)", async () => {
  const { invite, callId } = await ringing(b);
  const recallTag = /;tag=([^;>\s]+)/.exec(headerValue(invite.text, "From")!)![1];
  const replaces = `Replaces: ${headerValue(invite.text, "Call-ID")};to-tag=${recallTag};from-tag=callee-tag;early-only`;
  const pick = c.request("INVITE", { uri: `sip:901@127.0.0.1:${port}`, body: offerSdp(), headers: [replaces] });
  await pickedUp(await c.ask(pick.text, pick.callId, 5000), callId, invite);
});

test("a leg of another call group is not picked up, and nothing is when nothing rings: the pickup is refused, the call rings on", async () => {
  const { invite, callId, sent } = await ringing(d, "905");
  const pick = c.request("INVITE", { uri: `sip:*8@127.0.0.1:${port}`, body: offerSdp() });
  const refused = await c.ask(pick.text, pick.callId, 5000);
  assert.ok(refused.status >= 400, `refused: ${refused.text.split("\r\n")[0]}`);
  assert.equal(await d.next((m) => m.method === "CANCEL", 500), undefined, "D still rings");
  // A gives up: D's INVITE is cancelled, nothing is left.
  a.send(cancelOf(sent));
  assert.ok(await a.next((m) => m.status === 487 && m.text.includes(`Call-ID: ${callId}`), 3000), "A's INVITE ends 487");
  const cancel = await d.next((m) => m.method === "CANCEL", 3000);
  assert.ok(cancel);
  d.respond(cancel, 200, "OK");
  d.respond(invite, 487, "Request Terminated", [], "", "callee-tag");
  for (let i = 0; i < 40 && !/0 active channels/.test(await recall.cli("core show channels")); i++) await new Promise((r) => setTimeout(r, 100));
  const none = c.request("INVITE", { uri: `sip:*8@127.0.0.1:${port}`, body: offerSdp() });
  assert.ok((await c.ask(none.text, none.callId, 5000)).status >= 400, "nothing rings");
});

test("CEL has PICKUP on B's leg for each pickup, naming the channel that took the call; the log replays", async () => {
  let rows = "";
  for (let i = 0; i < 40; i++) {
    rows = (await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "query", "--data", recall.dataDir,
      "SELECT channame, extra FROM cel WHERE eventtype = 'PICKUP' ORDER BY eventtime FORMAT TSV"], { timeout: 60_000 })).stdout;
    if (rows.trim().split("\n").length >= 3) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const lines = rows.trim().split("\n");
  assert.equal(lines.length, 3, rows);
  for (const l of lines) assert.match(l, /^PJSIP\/phoneb-[0-9a-f]{8}\t\{"pickup_channel":"PJSIP\/caller-[0-9a-f]{8}"\}$/, l);
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"], { timeout: 60_000 });
  assert.match(stdout, / 0 divergences/);
});
