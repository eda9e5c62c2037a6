/**
 * Interoperability with scenarios nobody here wrote: sipp's own built-in scenarios,
 * run unmodified (`sipp -sn NAME`), against Recall and through it.
 *
 * - `-sn uac` calls Recall, whose dialplan Dials `-sn uas`: the callee's Contact says
 *   `;transport=UDP` in upper case, as sipp (and many desk phones) write it; the call
 *   must connect and end cleanly, with `direct_media` on and off.
 * - `-sn regexp` (a UAC that checks the 200's headers with regular expressions).
 * - `-sn branchc` registers to Recall and calls an extension it answers. (Its partner
 *   `-sn branchs` takes a REGISTER and then an INVITE in one Call-ID: a stateful proxy's
 *   traffic, which no B2BUA, Asterisk included, produces.)
 * Each scenario's log passes `recall replay --verify`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { freePort, startRecall, type RecallProcess } from "../interfaces/cli/recall-process.js";
import { packageRoot } from "../interfaces/cli/paths.js";
import { join } from "node:path";
import { runSipp, startSipp } from "./sipp/sipp.js";

const run = promisify(execFile);
let recall: RecallProcess;
let port: number, uasPort: number, uasDirectPort: number;

before(async () => {
  [port, uasPort, uasDirectPort] = [await freePort(), await freePort(), await freePort()];
  const pjsip = `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}
; sipp's built-in UACs come from 127.0.0.1; branchc registers as ua1
[sipp]
type = endpoint
context = interop
allow = ulaw
direct_media = no
aors = ua1
; -sn regexp reads the o= line's user name as [[:alnum:]]*: Asterisk's default "-" is not
sdp_owner = recall
[ua1]
type = aor
max_contacts = 1
remove_existing = yes
[sipp]
type = identify
endpoint = sipp
match = 127.0.0.1
[uas]
type = endpoint
context = interop
allow = ulaw
direct_media = no
aors = uas
[uas]
type = aor
contact = sip:uas@127.0.0.1:${uasPort}
[uas-direct]
type = endpoint
context = interop
allow = ulaw
aors = uas-direct
[uas-direct]
type = aor
contact = sip:uas@127.0.0.1:${uasDirectPort}
`;
  const extensions = `
[interop]
exten => 800,1,Dial(PJSIP/uas,5)
 same => n,Hangup()
exten => 801,1,Dial(PJSIP/uas-direct,5)
 same => n,Hangup()
exten => ua2,1,Answer()
 same => n,Wait(30)
 same => n,Hangup()
`;
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": extensions });
});
after(async () => { await recall?.stop(); });

async function verifyReplay(): Promise<void> {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"], { timeout: 60_000 });
  assert.match(stdout, / 0 divergences/);
}

async function callThrough(exten: string, calleePort: number): Promise<void> {
  const callee = startSipp({ scenario: { builtin: "uas" }, localPort: calleePort, calls: 3, timeoutMs: 40_000 });
  const caller = await runSipp({ scenario: { builtin: "uac" }, target: `127.0.0.1:${port}`, calls: 3, rate: 3, extraArgs: ["-s", exten, "-d", "500"], timeoutMs: 40_000 });
  const called = await callee.done;
  assert.equal(caller.code, 0, `uac: ${caller.errors}${caller.stderr}`);
  assert.equal(caller.successful, 3);
  assert.equal(caller.retransmissions, 0, "the callee's 200 is ACKed at once, never retransmitted");
  assert.equal(called.code, 0, `uas: ${called.errors}${called.stderr}`);
  assert.equal(called.successful, 3);
  assert.equal(called.retransmissions, 0);
  assert.match(await recall.cli("core show channels"), /0 active channels/);
}

test("sipp -sn uac calls sipp -sn uas through Dial (its Contact says transport=UDP), media anchored", async () => {
  await callThrough("800", uasPort);
});

test("sipp -sn uac calls sipp -sn uas through Dial with direct media", async () => {
  await callThrough("801", uasDirectPort);
  await verifyReplay();
});

test("sipp -sn regexp: the 200's headers pass sipp's own checks", async () => {
  const callee = startSipp({ scenario: { builtin: "uas" }, localPort: uasPort, calls: 1, timeoutMs: 30_000 });
  const caller = await runSipp({ scenario: { builtin: "regexp" }, target: `127.0.0.1:${port}`, calls: 1, extraArgs: ["-s", "800", "-d", "200"], timeoutMs: 30_000 });
  await callee.done;
  assert.equal(caller.code, 0, `regexp: ${caller.errors}${caller.stderr}`);
  assert.equal(caller.successful, 1);
});

test("sipp -sn branchc registers to Recall, then calls an extension that answers, and hangs up", async () => {
  const client = await runSipp({ scenario: { builtin: "branchc" }, target: `127.0.0.1:${port}`, calls: 1, timeoutMs: 40_000 });
  assert.equal(client.code, 0, `branchc: ${client.errors}${client.stderr}`);
  assert.equal(client.successful, 1);
  assert.equal(client.retransmissions, 0);
  assert.match(await recall.cli("pjsip show contacts"), /ua1\/sip:ua1@127\.0\.0\.1:\d+/);
  await verifyReplay();
});
