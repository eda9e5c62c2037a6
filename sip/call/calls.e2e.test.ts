/**
 * Calls end to end: a real `recall start` with the sample pjsip.conf and extensions.conf
 * (ports made free, ring time shortened), sipp phones registered as 6001/6002, and
 * each way a call ends; then `recall replay --verify` on the log they produced.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, assertLogged, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { runSipp, startSipp } from "../sipp/sipp.js";
import { registerWithAuth } from "../sipp/scenarios.js";
import { uacCall, uasCall, type UasOptions } from "../sipp/call-scenarios.js";

const run = promisify(execFile);
const sample = (file: string) => readFileSync(join(packageRoot, "infra", "sample-config", file), "utf8");
let recall: RecallProcess;
let port: number;
let phone6002: number;

const PASSWORDS: Record<string, string> = { 6001: "reception-6001", 6002: "supervisor-6002" };
const credentials = (user: string) => `SEQUENTIAL\n${user};${PASSWORDS[user]}\n`;

before(async () => {
  port = await freePort();
  phone6002 = await freePort();
  // The sipp phones answer only the call scenario: no qualify OPTIONS to them.
  const pjsip = sample("pjsip.conf").replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${port}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0");
  // 8002: Dial with U(screen), a callee-side subroutine that refuses the call (GOSUB_RESULT=BUSY).
  const extensions = sample("extensions.conf").replace(/RING_TIME = \d+/, "RING_TIME = 2")
    .replace("[from-internal]\n", "[from-internal]\nexten => 8002,1,Dial(PJSIP/6002,5,U(screen))\n same => n,Hangup(17)\n" +
      // 8003/8004: U() answers CONTINUE (the caller goes on) and GOTO (the caller goes to 8005).
      "exten => 8003,1,Dial(PJSIP/6002,5,U(screen^CONTINUE))\n same => n,NoOp(After U CONTINUE: ${DIALSTATUS})\n same => n,Hangup(17)\n" +
      "exten => 8004,1,Dial(PJSIP/6002,5,U(jump))\n same => n,Hangup(21)\n" +
      "exten => 8005,1,NoOp(Sent here by U GOTO)\n same => n,Hangup(17)\n" +
      // 8006: a 30 s prompt that a SIP INFO digit interrupts.
      "exten => 8006,1,Background(demo-congrats)\n same => n,WaitExten(5)\nexten => 1,1,NoOp(Pressed 1 by INFO)\n same => n,Hangup()\n") +
    "\n[screen]\nexten => s,1,Set(GOSUB_RESULT=${IF($[\"${ARG1}\" = \"\"]?BUSY:${ARG1})})\n same => n,Return()\n" +
    "\n[jump]\nexten => s,1,Set(GOSUB_RESULT=GOTO:from-internal^8005^1)\n same => n,Return()\n";
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": extensions });
  const reg = await runSipp({ scenario: registerWithAuth({ expires: 600 }), target: `127.0.0.1:${port}`, calls: 1, localPort: phone6002, inject: credentials("6002"), timeoutMs: 20_000 });
  assert.equal(reg.code, 0, reg.errors);
});
after(async () => { await recall?.stop(); });

/** 6001 calls `exten`; 6002's phone (at its registered address) behaves as `uas` (null: no phone answers). */
async function call(exten: string, uas: UasOptions | null, expect: { status?: number; holdMs?: number; cancelAfterMs?: number } = {}) {
  const phone = uas ? startSipp({ scenario: uasCall(uas), localPort: phone6002, calls: 1, timeoutMs: 30_000 }) : null;
  const caller = await runSipp({
    scenario: uacCall({ exten, from: "6001", auth: true, ...(expect.status ? { expect: expect.status } : {}), ...(expect.holdMs !== undefined ? { holdMs: expect.holdMs } : {}), ...(expect.cancelAfterMs !== undefined ? { cancelAfterMs: expect.cancelAfterMs } : {}) }),
    target: `127.0.0.1:${port}`, calls: 1, inject: credentials("6001"), timeoutMs: 30_000,
  });
  const called = phone ? await phone.done : null;
  return { caller, called };
}

test("6001 calls 6002 through the sample dialplan: Dial answers, the call is bridged, the caller hangs up", async () => {
  const { caller, called } = await call("6002", { status: 200, ringMs: 200 }, { holdMs: 500 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called!.code, 0, called!.errors);
  const channels = await recall.cli("core show channels");
  assert.match(channels, /0 active channels/);
});

test("6002 busy: DIALSTATUS BUSY sends the caller to Busy(), which answers 486", async () => {
  const { caller, called } = await call("6002", { status: 486 }, { status: 486 });
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(caller.code, 0, caller.errors);
});

test("6002 does not answer within RING_TIME: the phone is cancelled and the caller hears the unavailable prompt, then BYE", async () => {
  const { caller, called } = await call("6002", {}, { status: 200 });
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(caller.code, 0, caller.errors);
});

test("the caller cancels while 6002 rings: 487 to the caller, CANCEL to the phone", async () => {
  const { caller, called } = await call("6002", {}, { cancelAfterMs: 300 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called!.code, 0, called!.errors);
});

test("6002 declines (603) and 6003 is not registered: both go to the unavailable branch", async () => {
  const declined = await call("6002", { status: 603 }, { status: 200 });
  assert.equal(declined.called!.code, 0, declined.called!.errors);
  assert.equal(declined.caller.code, 0, declined.caller.errors);
  const unreachable = await call("6003", null, { status: 200 });
  assert.equal(unreachable.caller.code, 0, unreachable.caller.errors);
});

test("Dial's U(screen) runs on the answered callee; GOSUB_RESULT=BUSY hangs it up and the caller gets busy", async () => {
  const { caller, called } = await call("8002", { status: 200 }, { status: 486 });
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(recall.dataDir, /Executing \[s@screen:1\] Set\("PJSIP\/6002-[0-9a-f]{8}", "GOSUB_RESULT=BUSY"\)/);
});

test("U() with GOSUB_RESULT=CONTINUE hangs up the answered callee and the caller goes on at the next priority", async () => {
  const { caller, called } = await call("8003", { status: 200 }, { status: 486 });
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(recall.dataDir, /After U CONTINUE: ANSWER/);
});

test("U() with GOSUB_RESULT=GOTO:context^exten^priority sends the caller there", async () => {
  const { caller, called } = await call("8004", { status: 200 }, { status: 486 });
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(recall.dataDir, /Sent here by U GOTO/);
});

test("a SIP INFO digit interrupts Background() at once and the caller goes to that extension", async () => {
  const started = Date.now();
  const caller = await runSipp({
    scenario: uacCall({ exten: "8006", from: "6001", auth: true, dtmf: "1" }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials("6001"), timeoutMs: 40_000,
  });
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(recall.dataDir, /Pressed 1 by INFO/);
  assert.ok(Date.now() - started < 10_000, `the 30 s prompt was cut short (${Date.now() - started} ms)`);
});

test("Gosub with arguments returns a value (7100: sub-add 5 + 7)", async () => {
  const { caller } = await call("7100", null, { status: 200 });
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(recall.dataDir, /Sum computed by sub-add: 12/);
});

/** Rows of a query over the running Recall's chDB tables, once the projections have caught up. */
async function query(sql: string): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 100 && !/lag 0 events/.test(await recall.cli("recall show projections")); i++) await new Promise((r) => setTimeout(r, 100));
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "query", "--data", recall.dataDir, "--format", "json", sql]);
  return stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

test("the calls above are in CDR and CEL: the answered call has A and B records and the documented CEL order", async () => {
  const cdr = await query("SELECT channel, dstchannel, disposition, lastapp, dcontext, linkedid, uniqueid FROM cdr ORDER BY start, sequence");
  const first = cdr.filter((r) => r.linkedid === cdr[0].linkedid);
  assert.deepEqual(first.map((r) => [String(r.channel).replace(/-[0-9a-f]{8}$/, ""), r.disposition]), [["PJSIP/6001", "ANSWERED"], ["PJSIP/6002", "ANSWERED"]]);
  assert.match(String(first[0].dstchannel), /^PJSIP\/6002-[0-9a-f]{8}$/);
  assert.equal(first[0].lastapp, "Dial");
  assert.ok(cdr.some((r) => r.disposition === "BUSY"), "the busy call has a BUSY record");
  const cel = await query(`SELECT eventtype, channame FROM cel WHERE linkedid = '${String(first[0].linkedid)}' ORDER BY log_offset, log_index`);
  const types = cel.map((r) => r.eventtype);
  for (const t of ["CHAN_START", "ANSWER", "BRIDGE_ENTER", "BRIDGE_EXIT", "HANGUP", "CHAN_END"]) assert.ok(types.includes(t), `${t} in ${types.join(",")}`);
  assert.equal(types.at(-1), "LINKEDID_END");
  assert.equal(types.filter((t) => t === "LINKEDID_END").length, 1);
});

test("every call's log passes recall replay --verify", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
