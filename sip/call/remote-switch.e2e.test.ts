/**
 * `switch => PJSIP/<endpoint>` between two real Recall processes: node A has no
 * extension 300, asks node B by OPTIONS, and dials it there; an extension B lacks
 * is not found on either node.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { freePort, messages, assertLogged, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { runSipp } from "../sipp/sipp.js";
import { uacCall } from "../sipp/call-scenarios.js";
import { SipRequest, SipResponse, parseMessage, serializeMessage } from "../message/index.js";
import { createSocket } from "node:dgram";

let nodeA: RecallProcess, nodeB: RecallProcess;
let portA: number, portB: number;

before(async () => {
  portA = await freePort();
  portB = await freePort();
  nodeB = await startRecall({
    "pjsip.conf": `[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${portB}\n\n` +
      "[nodea]\ntype = endpoint\ncontext = from-nodea\nallow = ulaw\n",
    "extensions.conf": "[from-nodea]\nexten => 300,1,Answer()\n same => n,Wait(1)\n same => n,Hangup()\n" +
      "exten => _31XX,1,Answer()\n same => n,Hangup()\n",
  });
  nodeA = await startRecall({
    "pjsip.conf": `[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${portA}\n\n` +
      "[6001]\ntype = endpoint\ncontext = from-internal\nallow = ulaw\n\n" +
      `[nodeb]\ntype = aor\ncontact = sip:127.0.0.1:${portB}\n\n` +
      "[nodeb]\ntype = endpoint\naors = nodeb\nfrom_user = nodea\nallow = ulaw\n",
    "extensions.conf": "[from-internal]\nexten => 100,1,Answer()\n same => n,Hangup()\nswitch => PJSIP/nodeb\n",
  });
});
after(async () => { await nodeA?.stop(); await nodeB?.stop(); });

/** One OPTIONS from "nodea" to `user@nodeB`, and its status. */
async function options(user: string): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  const { port } = socket.address();
  const req = new SipRequest("OPTIONS", `sip:${user}@127.0.0.1:${portB}`);
  req.set("Via", `SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-switch-${user}`);
  req.set("From", `<sip:nodea@127.0.0.1:${port}>;tag=t1`);
  req.set("To", `<sip:${user}@127.0.0.1:${portB}>`);
  req.set("Call-ID", `switch-${user}`);
  req.set("CSeq", "1 OPTIONS");
  req.set("Max-Forwards", "70");
  const answer = new Promise<number>((resolve) => socket.on("message", (m) => {
    const r = parseMessage(m);
    if (r instanceof SipResponse) resolve(r.status);
  }));
  socket.send(serializeMessage(req), portB, "127.0.0.1");
  try { return await answer; } finally { socket.close(); }
}

test("OPTIONS to exten@node answers whether the endpoint's context has it: 200, 484 (more digits), 404", async () => {
  assert.equal(await options("300"), 200);
  assert.equal(await options("31"), 484);
  assert.equal(await options("3105"), 200);
  assert.equal(await options("999"), 404);
});

test("an extension node A lacks runs on node B through the switch: the call is answered and bridged", async () => {
  const caller = await runSipp({ scenario: uacCall({ exten: "300", from: "6001" }), target: `127.0.0.1:${portA}`, calls: 1, timeoutMs: 20_000 });
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(nodeA.dataDir, /Executing \[300@from-internal:1\] Dial\("PJSIP\/6001-[0-9a-f]{8}", "PJSIP\/300@nodeb"\)/);
  await assertLogged(nodeB.dataDir, /Executing \[300@from-nodea:1\] Answer\("PJSIP\/nodea-[0-9a-f]{8}", ""\)/);
});

test("an extension neither node has is not found: the caller gets 404", async () => {
  const caller = await runSipp({ scenario: uacCall({ exten: "999", from: "6001", expect: 404 }), target: `127.0.0.1:${portA}`, calls: 1, timeoutMs: 20_000 });
  assert.equal(caller.code, 0, caller.errors);
  assert.doesNotMatch(messages(nodeA.dataDir), /Dial\("PJSIP\/6001-[0-9a-f]{8}", "PJSIP\/999@nodeb"\)/);
  await assertLogged(nodeA.dataDir, /NOTICE.*Call from '6001' \(UDP:127\.0\.0\.1:\d+\) to extension '999' rejected because extension not found in context 'from-internal'/);
});

test("without a switch the answer is immediate: 404 for a missing extension, 484 for a prefix with overlap", async () => {
  const missing = await runSipp({ scenario: uacCall({ exten: "999", from: "nodea", expect: 404 }), target: `127.0.0.1:${portB}`, calls: 1, timeoutMs: 20_000 });
  assert.equal(missing.code, 0, missing.errors);
  const prefix = await runSipp({ scenario: uacCall({ exten: "31", from: "nodea", expect: 484 }), target: `127.0.0.1:${portB}`, calls: 1, timeoutMs: 20_000 });
  assert.equal(prefix.code, 0, prefix.errors);
});
