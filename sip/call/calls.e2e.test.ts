/**
 * Calls end to end: a real `recall start` with the sample pjsip.conf and extensions.conf
 * (ports made free, ring time shortened), sipp phones registered as 6001/6002, and
 * each way a call ends (and one through a Local channel); then the CDR and CEL rows those calls left, field by field
 * (REFERENCE.md's answered call, each failed call's disposition and HANGUP), and
 * `recall replay --verify` on the log they produced.
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
      "exten => 8006,1,Background(demo-congrats)\n same => n,WaitExten(5)\nexten => 1,1,NoOp(Pressed 1 by INFO)\n same => n,Hangup()\n" +
      // 8007: 6002 reached through a Local channel, which optimises itself away once both sides answer.
      "exten => 8007,1,Dial(Local/6002@from-internal)\n same => n,Hangup()\n") +
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
  for (let i = 0; i < 100 && /lag [1-9]|^(?![\s\S]*lag 0 events)/.test(await recall.cli("recall show projections")); i++) await new Promise((r) => setTimeout(r, 100));
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "query", "--data", recall.dataDir, "--format", "json", sql]);
  return stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A channel name without its instance number: PJSIP/6001-0000000c → PJSIP/6001. */
const bare = (name: unknown) => String(name).replace(/-[0-9a-f]{8}$/, "");

test("the calls above in CDR, field by field: each scenario's records, dispositions and last applications, A and B sharing the linkedid", async () => {
  const rows = await query("SELECT channel, dstchannel, src, dst, dcontext, clid, lastapp, lastdata, disposition, billsec, amaflags, accountcode, userfield, " +
    "peeraccount, uniqueid, linkedid, sequence FROM cdr ORDER BY start, sequence");
  const calls = new Map<string, Record<string, unknown>[]>();
  for (const r of rows) calls.set(String(r.linkedid), [...(calls.get(String(r.linkedid)) ?? []), r]);
  const shape = (r: Record<string, unknown>) =>
    [bare(r.channel), r.dstchannel === "" ? "" : bare(r.dstchannel), r.src, r.dst, r.dcontext, r.lastapp, r.lastdata, r.disposition, Number(r.billsec) > 0 ? "billed" : "0 s", r.sequence].join(" | ");
  // Made in this order by the tests above: answered, busy, no answer, cancel, declined, unreachable, then U() and the rest.
  const expected = [
    ["PJSIP/6001 | PJSIP/6002 | 6001 | 6002 | from-internal | Dial | PJSIP/6002,2 | ANSWERED | 0 s | 1",
      "PJSIP/6002 | PJSIP/6001 | 6001 | 6002 | from-internal | AppDial | (Outgoing Line) | ANSWERED | 0 s | 1"],
    ["PJSIP/6001 | PJSIP/6002 | 6001 | 6002 | from-internal | Dial | PJSIP/6002,2 | BUSY | 0 s | 1"],
    // Dial gives up after RING_TIME; Playback answers the caller for the prompt: a second record, as Asterisk starts one after a failed dial.
    ["PJSIP/6001 | PJSIP/6002 | 6001 | 6002 | from-internal | Dial | PJSIP/6002,2 | NO ANSWER | 0 s | 1",
      "PJSIP/6001 |  | 6001 | 6002 | from-internal | Hangup |  | ANSWERED | billed | 2"],
    ["PJSIP/6001 | PJSIP/6002 | 6001 | 6002 | from-internal | Dial | PJSIP/6002,2 | NO ANSWER | 0 s | 1"],
    ["PJSIP/6001 | PJSIP/6002 | 6001 | 6002 | from-internal | Dial | PJSIP/6002,2 | FAILED | 0 s | 1",
      "PJSIP/6001 |  | 6001 | 6002 | from-internal | Hangup |  | ANSWERED | billed | 2"],
    ["PJSIP/6001 |  | 6001 | 6003 | from-internal | Dial | PJSIP/6003,2 | FAILED | 0 s | 1",
      "PJSIP/6001 |  | 6001 | 6003 | from-internal | Hangup |  | ANSWERED | billed | 2"],
  ];
  const made = [...calls.values()];
  assert.deepEqual(made.slice(0, expected.length).map((c) => c.map(shape)), expected);
  for (const c of made) {
    assert.equal(c[0].uniqueid, c[0].linkedid, "the caller's uniqueid is the call's linkedid");
    for (const r of c) {
      assert.deepEqual([r.clid, r.amaflags, r.accountcode, r.userfield, r.peeraccount], ['"Reception" <6001>', 3, "", "", ""]);
      if (bare(r.channel) === "PJSIP/6002") assert.equal(r.dstchannel, c[0].channel, "B's record names A");
    }
  }
  // Gosub (7100, answered by the dialplan, no Dial): one record.
  assert.deepEqual(made.at(-1)!.map(shape), ["PJSIP/6001 |  | 6001 | 7100 | from-internal | Hangup |  | ANSWERED | 0 s | 1"]);
});

test("the answered call in CEL: REFERENCE.md's events, channels, peers and extras, in the log's order; each failed call's HANGUP carries its cause and DIALSTATUS", async () => {
  const [first] = await query("SELECT linkedid, channel, dstchannel FROM cdr ORDER BY start, sequence LIMIT 1");
  const a = String(first.channel), b = String(first.dstchannel);
  const cel = await query(`SELECT eventtype, channame, peer, extra, appname, appdata, exten, context, cid_num, cid_name, uniqueid, linkedid FROM cel WHERE linkedid = '${String(first.linkedid)}' ORDER BY log_offset, log_index`);
  const bridge = /"bridge_id":"([0-9a-f-]{36})"/.exec(String(cel.find((r) => r.eventtype === "BRIDGE_ENTER")?.extra))?.[1];
  assert.ok(bridge, "BRIDGE_ENTER names its bridge");
  const inBridge = `{"bridge_id":"${bridge}","bridge_technology":"simple_bridge"}`;
  const who = (n: unknown) => (n === a ? "A" : n === b ? "B" : String(n));
  const events = cel.filter((r) => !String(r.eventtype).startsWith("APP_")).map((r) => [r.eventtype, who(r.channame), who(r.peer), String(r.extra).replaceAll(a, "A")]);
  assert.deepEqual(events, [
    ["CHAN_START", "A", "", ""], ["CHAN_START", "B", "", ""], ["ANSWER", "B", "", ""], ["ANSWER", "A", "", ""],
    ["BRIDGE_ENTER", "B", "", inBridge], ["BRIDGE_ENTER", "A", "B", inBridge], ["BRIDGE_EXIT", "A", "B", inBridge], ["BRIDGE_EXIT", "B", "", inBridge],
    // Asterisk's order of the two channels' ends varies run to run; Recall's is the log's (B is torn down first, A after its h extension).
    ["HANGUP", "B", "", '{"hangupcause":16,"hangupsource":"A","dialstatus":""}'], ["CHAN_END", "B", "", ""],
    ["HANGUP", "A", "", '{"hangupcause":16,"hangupsource":"A","dialstatus":"ANSWER"}'], ["CHAN_END", "A", "", ""],
    ["LINKEDID_END", "A", "", ""],
  ]);
  // apps = all: every application of A's dialplan, h included, each APP_START closed by its APP_END.
  const apps = cel.filter((r) => String(r.eventtype).startsWith("APP_")).map((r) => `${String(r.eventtype)} ${String(r.appname)}(${String(r.appdata)}) @${String(r.exten)}`);
  assert.deepEqual(apps, [
    "APP_START NoOp(Internal call from 6001 to 6002) @6002", "APP_END NoOp(Internal call from 6001 to 6002) @6002",
    "APP_START Set(__CALL_ORIGIN=6001) @6002", "APP_END Set(__CALL_ORIGIN=6001) @6002", "APP_START Dial(PJSIP/6002,2) @6002", "APP_END Dial(PJSIP/6002,2) @6002",
    "APP_START NoOp(Call from 6001 ended: cause 16, dial status ANSWER) @h", "APP_END NoOp(Call from 6001 ended: cause 16, dial status ANSWER) @h",
  ]);
  for (const r of cel) {
    assert.deepEqual([r.cid_num, r.cid_name, r.context, r.linkedid], ["6001", "Reception", "from-internal", first.linkedid]);
    assert.equal(r.uniqueid === r.linkedid, r.channame === a, "A's uniqueid is the linkedid, B's its own");
  }

  // The caller's HANGUP of each failed call, in the order the tests made them.
  const hangups = await query("SELECT linkedid, channame, extra FROM cel WHERE eventtype = 'HANGUP' AND channame LIKE 'PJSIP/6001-%' ORDER BY log_offset");
  const byCall = await query("SELECT linkedid FROM cdr WHERE sequence = 1 AND channel LIKE 'PJSIP/6001-%' ORDER BY start");
  const extraOf = (i: number) => String(hangups.find((h) => h.linkedid === byCall[i].linkedid)?.extra);
  assert.deepEqual([1, 2, 3, 4, 5].map(extraOf), [
    '{"hangupcause":17,"hangupsource":"dialplan/builtin","dialstatus":"BUSY"}',
    '{"hangupcause":16,"hangupsource":"dialplan/builtin","dialstatus":"NOANSWER"}',
    `{"hangupcause":16,"hangupsource":"${String(hangups.find((h) => h.linkedid === byCall[3].linkedid)?.channame)}","dialstatus":"CANCEL"}`,
    '{"hangupcause":16,"hangupsource":"dialplan/builtin","dialstatus":"CHANUNAVAIL"}',
    '{"hangupcause":16,"hangupsource":"dialplan/builtin","dialstatus":"CHANUNAVAIL"}',
  ]);
  assert.equal((await query("SELECT count() AS n FROM cel WHERE eventtype = 'LINKEDID_END'"))[0].n, byCall.length, "one LINKEDID_END per call");
});

test("a call through a Local channel (8007: Dial(Local/6002@from-internal)): the pair optimises itself away and leaves no CDR record; CEL shows its four channels and LOCAL_OPTIMIZE", async () => {
  const { caller, called } = await call("8007", { status: 200, ringMs: 200 }, { holdMs: 1500 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called!.code, 0, called!.errors);
  const [{ linkedid }] = await query("SELECT linkedid FROM cel WHERE eventtype = 'CHAN_START' ORDER BY log_offset DESC LIMIT 1");
  // The caller's h extension runs after its BYE: wait for the call's end.
  const ended = `SELECT count() AS n FROM cel WHERE linkedid = '${String(linkedid)}' AND eventtype = 'LINKEDID_END'`;
  for (let i = 0; i < 50 && Number((await query(ended))[0].n) === 0; i++) await new Promise((r) => setTimeout(r, 100));
  const cdr = await query(`SELECT * FROM cdr WHERE linkedid = '${String(linkedid)}' ORDER BY log_offset, log_index`);
  const cel = await query(`SELECT * FROM cel WHERE linkedid = '${String(linkedid)}' ORDER BY log_offset, log_index`);
  const names = cel.filter((r) => r.eventtype === "CHAN_START").map((r) => String(r.channame));
  const [a, one, two, b] = names;
  assert.deepEqual(names.map((n) => n.replace(/-[0-9a-f]{8}(;[12])?$/, "$1")), ["PJSIP/6001", "Local/6002@from-internal;1", "Local/6002@from-internal;2", "PJSIP/6002"]);
  assert.equal(one.slice(0, -2), two.slice(0, -2), "the two halves share a name");

  // CDR: A's record and B's, each naming the other; neither half of the Local pair has one.
  assert.deepEqual(cdr.map((r) => [r.channel, r.dstchannel, r.src, r.dst, r.dcontext, r.lastapp, r.lastdata, r.disposition, r.sequence]), [
    [a, b, "6001", "8007", "from-internal", "Dial", "Local/6002@from-internal", "ANSWERED", 1],
    [b, a, "6001", "6002", "from-internal", "AppDial", "(Outgoing Line)", "ANSWERED", 1],
  ]);
  assert.equal(cdr[0].uniqueid, linkedid, "A's uniqueid is the call's linkedid");
  for (const r of cdr) assert.ok(Number(r.billsec) >= 1 && Number(r.billsec) <= Number(r.duration), `billsec ${String(r.billsec)} of the 1.5 s talk, within duration ${String(r.duration)}`);

  // CEL: LOCAL_OPTIMIZE on ;1 naming ;2; B leaves ;2's bridge and takes ;1's place in A's, A as its peer.
  const uid = (n: string) => String(cel.find((r) => r.eventtype === "CHAN_START" && r.channame === n)!.uniqueid);
  assert.deepEqual(cel.filter((r) => r.eventtype === "LOCAL_OPTIMIZE").map((r) => [r.channame, r.peer, r.extra]), [
    [one, two, JSON.stringify({ local_two: two, local_two_uniqueid: uid(two) })],
  ]);
  const bridgeOf = (r: Record<string, unknown>) => (JSON.parse(String(r.extra)) as { bridge_id: string }).bridge_id;
  const enters = cel.filter((r) => r.eventtype === "BRIDGE_ENTER");
  const outer = bridgeOf(enters.find((r) => r.channame === a)!);
  assert.deepEqual(enters.filter((r) => r.channame === b).map((r) => [r.peer, bridgeOf(r) === outer ? "A's bridge" : "the inner bridge"]), [["", "the inner bridge"], [a, "A's bridge"]]);
  const i = cel.findIndex((r) => r.eventtype === "LOCAL_OPTIMIZE");
  assert.deepEqual(cel.slice(i + 1, i + 5).map((r) => [r.eventtype, r.channame]), [["BRIDGE_EXIT", b], ["BRIDGE_EXIT", two], ["BRIDGE_EXIT", one], ["BRIDGE_ENTER", b]]);
  for (const n of names) assert.deepEqual(cel.filter((r) => r.channame === n && (r.eventtype === "HANGUP" || r.eventtype === "CHAN_END")).map((r) => r.eventtype), ["HANGUP", "CHAN_END"], n);
  assert.deepEqual(cel.filter((r) => r.eventtype === "LINKEDID_END").map((r) => r.channame), [a]);
  assert.equal(cel.at(-1)!.eventtype, "LINKEDID_END", "after the last channel of the call ends");
});

test("every call's log passes recall replay --verify", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
