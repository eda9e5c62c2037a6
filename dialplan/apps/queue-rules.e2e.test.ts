/**
 * Queue() end to end, part two: penalty rules and Queue()'s other arguments and
 * transfers, with a real `recall start`, a sipp caller (6001, digest auth) and sipp
 * agents at static contacts (queue.e2e.test.ts covers the rest):
 * - queuerules.conf: a caller with QUEUE_MAX_PENALTY=0 rings nobody while the penalty-0
 *   member is paused, until the queue's defaultrule raises the maximum after 3 s, then the
 *   penalty-1 member; Queue()'s rule argument overrides the defaultrule; penaltymemberslimit;
 *   `queue show rules`;
 * - Queue()'s URL (logged, not sent: a PJSIP channel takes no URL), announceoverride
 *   (played to the member), gosub (on the member), AGI (a local AGI program on the
 *   caller), position (a caller put in front);
 * - a member's blind REFER (BLINDTRANSFER) and attended REFER with Replaces
 *   (ATTENDEDTRANSFER) of a queue call;
 * and `recall replay --verify` over the log all this wrote.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, assertLogged, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { waitForQueueLines } from "../test-support.js";
import { runSipp, sippLogLine, startSipp, type SippResult } from "../../sip/sipp/sipp.js";
import { uacCall, uasCall } from "../../sip/sipp/call-scenarios.js";
import { uacSecondLine, uasRefer } from "../../sip/sipp/transfer-scenarios.js";
import { phoneCredentials, phonesPjsip } from "../../sip/call/test-phones.js";
import { tempDir } from "../../core/reap.js";

const run = promisify(execFile);
const recallBin = join(packageRoot, "bin", "recall.js");
let recall: RecallProcess;
let port: number;
/** 6001 the caller; 6002 Alice, 6003 Bob, 6004 Carol (agents); 6005 the attended transfer's target; b2: Bob's second line. */
const ports: Record<string, number> = {};
const tmp = tempDir("recall-queue-rules-");

before(async () => {
  port = await freePort();
  for (const p of ["6001", "6002", "6003", "6004", "6005", "b2"]) ports[p] = await freePort();
  const pjsip = phonesPjsip(port, { context: "from-internal", endpoint: "direct_media = no" },
    ["6001", "6002", "6003", "6004", "6005"].map((name) => ({ name, port: ports[name] })));
  const queues = [
    "[general]", "persistentmembers = yes", "",
    "[base](!)", "timeout = 2", "retry = 1", "",
    "[tiered](base)", "strategy = ringall", "defaultrule = stepup", "member => PJSIP/6002,0,Alice", "member => PJSIP/6003,1,Bob", "",
    "[small](base)", "strategy = linear", "penaltymemberslimit = 2", "member => PJSIP/6002,0,Alice", "member => PJSIP/6003,5,Bob", "",
    "[args](base)", "strategy = ringall", "announce = beep", "member => PJSIP/6004,0,Carol", "",
    "[pos](base)", "member => PJSIP/ghost", "",
    "[xfer](base)", "member => PJSIP/6002,0,Alice", "",
    "[axfer](base)", "member => PJSIP/6003,0,Bob", "",
  ].join("\n");
  const rules = "[stepup]\npenaltychange => 3,+1\n\n[quick]\npenaltychange => 0,+1\n\n[never]\npenaltychange => 3600,5,1,r2\npenaltychange => 60\n";
  const agi = join(tmp, "queue.agi");
  writeFileSync(agi, `#!/bin/sh
while read line; do
  [ -z "$line" ] && break
  case "$line" in agi_channel:*) CHAN="\${line#agi_channel: }";; esac
done
echo "SET VARIABLE QUEUEAGI ran"; read set
echo "VERBOSE \\"queue agi on $CHAN\\" 1"; read v
exit 0
`);
  chmodSync(agi, 0o755);
  const extensions = `
[from-internal]
exten => 7701,1,Set(QUEUE_MAX_PENALTY=0)
 same => n,Set(QUEUE_MIN_PENALTY=zero)
 same => n,Queue(tiered,c)
 same => n,NoOp(after the rule QUEUE_MAX_PENALTY=\${QUEUE_MAX_PENALTY} QUEUESTATUS=\${QUEUESTATUS})
 same => n,Hangup()
exten => 7702,1,Set(QUEUE_MAX_PENALTY=0)
 same => n,Queue(tiered,,,,,,,quick)
exten => 7703,1,Set(QUEUE_MAX_PENALTY=0)
 same => n,Queue(small,,,,,,,nosuchrule)
exten => 7710,1,Queue(args,c,http://crm.example/call?from=\${CALLERID(num)},queue-thankyou&beep,,${agi},member-sub)
 same => n,NoOp(args done QUEUEAGI=\${QUEUEAGI})
 same => n,Hangup()
exten => 7711,1,Answer()
 same => n,Queue(args,,,queue-thankyou&beep,5)
 same => n,NoOp(after the dump QUEUESTATUS=\${QUEUESTATUS})
 same => n,Hangup()
exten => 7720,1,Answer()
 same => n,Queue(pos,,,,4,,,,front)
 same => n,Hangup()
exten => 7721,1,Answer()
 same => n,Queue(pos,,,,6,,,,1)
 same => n,Hangup()
exten => 7730,1,Queue(xfer)
exten => 7731,1,Queue(axfer)
exten => 7732,1,Queue(xfer,T)
exten => 7790,1,Answer()
 same => n,NoOp(blind-transferred \${CHANNEL} BLINDTRANSFER=\${BLINDTRANSFER})
 same => n,Wait(1)
 same => n,Hangup()
exten => 7791,1,Dial(PJSIP/6005,20)

[member-sub]
exten => s,1,NoOp(Member gosub on \${CHANNEL})
 same => n,Return()
`;
  const features = "[general]\ntransferdigittimeout = 3\n[featuremap]\nblindxfer => #\n";
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": extensions, "queues.conf": queues, "queuerules.conf": rules, "features.conf": features });
});
after(async () => { await recall?.stop(); });

const ok = (r: SippResult, who: string) => assert.equal(r.code, 0, `${who}: sipp exited ${r.code}\n${r.errors}`);
const caller = (exten: string, o: { holdMs?: number } = {}) => runSipp({
  scenario: uacCall({ exten, from: "6001", auth: true, ...o }), target: `127.0.0.1:${port}`, calls: 1, inject: phoneCredentials("6001"), timeoutMs: 40_000,
});
const phone = (name: string, scenario: string, calls = 1) => startSipp({ scenario, localPort: ports[name], calls, timeoutMs: 40_000 });
/** The queue_log lines of the last call into `queue` (once `event` is among them). */
const lastCall = (all: string[][], queue: string): string[][] => {
  const lines = all.filter((l) => l[2] === queue);
  const callid = lines.filter((l) => l[4] === "ENTERQUEUE").at(-1)?.[1];
  return lines.filter((l) => l[1] === callid);
};
const callLines = async (queue: string, event: string): Promise<string[][]> =>
  lastCall(await waitForQueueLines(recall.dataDir, (all) => lastCall(all, queue).some((l) => l[4] === event)), queue);

test("queuerules.conf: `queue show rules` lists each rule's steps as Asterisk words them; a malformed step is a warning with file and line", async () => {
  assert.equal(await recall.cli("queue show rules stepup"),
    "Rule: stepup\n\tAfter 3 seconds, adjust QUEUE_MAX_PENALTY by 1, adjust QUEUE_MIN_PENALTY by 0 and adjust QUEUE_RAISE_PENALTY by 0\n");
  const all = await recall.cli("queue show rules");
  assert.match(all, /^Rule: stepup\n[^]*Rule: quick\n\tAfter 0 seconds, adjust QUEUE_MAX_PENALTY by 1[^]*Rule: never\n/);
  assert.match(all, /Rule: never\n\tAfter 3600 seconds, adjust QUEUE_MAX_PENALTY to 5, adjust QUEUE_MIN_PENALTY to 1 and adjust QUEUE_RAISE_PENALTY to 2\n$/);
  await assertLogged(recall.dataDir, /queuerules\.conf:9: \[never\] penaltychange '60': expected seconds,max\[,min\[,raise\]\]; ignored/);
});

// Alice is paused for these two: a ringall queue rings a higher penalty tier only when no member of the lower one can
// be rung (app_queue's ring_one); a member who answers busy or not at all keeps her tier, and the caller retries her.
test("penalty rule: with QUEUE_MAX_PENALTY=0 and Alice (penalty 0) paused nobody rings; after the defaultrule's 3 s Bob (penalty 1) rings and answers", async () => {
  assert.match(await recall.cli("queue pause member PJSIP/6002 queue tiered reason test"), /Paused interface 'PJSIP\/6002' in queue 'tiered'/);
  const bob = phone("6003", uasCall({ status: 200, holdMs: 500 }));
  try {
    const c = await caller("7701");
    ok(c, "caller"); ok(await bob.done, "Bob");
  } finally {
    await recall.cli("queue unpause member PJSIP/6002 queue tiered");
  }
  const lines = await callLines("tiered", "COMPLETEAGENT");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["Bob", "CONNECT"], ["Bob", "COMPLETEAGENT"]]);
  const hold = Number(lines[1][5]);
  assert.ok(hold >= 3 && hold <= 4, `Bob answered once the rule let him ring (hold ${hold} s)`);
  await assertLogged(recall.dataDir, /\$\{QUEUE_MIN_PENALTY\}: Invalid value \(zero\), channel PJSIP\/6001-/);
  await assertLogged(recall.dataDir, /Queue 'tiered' rule 'stepup' after 3 s: penalties max 1, min any, raise none for PJSIP\/6001-/);
  await assertLogged(recall.dataDir, /after the rule QUEUE_MAX_PENALTY=1 QUEUESTATUS=CONTINUE/);
});

test("Queue()'s rule argument replaces the defaultrule: `quick` opens penalty 1 at once, so Bob answers without the 3 s wait", async () => {
  assert.match(await recall.cli("queue pause member PJSIP/6002 queue tiered"), /Paused interface/);
  const bob = phone("6003", uasCall({ status: 200, holdMs: 300 }));
  try {
    const c = await caller("7702");
    ok(c, "caller"); ok(await bob.done, "Bob");
  } finally {
    await recall.cli("queue unpause member PJSIP/6002 queue tiered");
  }
  const lines = await callLines("tiered", "COMPLETEAGENT");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["Bob", "CONNECT"], ["Bob", "COMPLETEAGENT"]]);
  assert.ok(Number(lines[1][5]) <= 1, `no 3 s wait of the defaultrule (hold ${lines[1][5]} s)`);
});

test("penaltymemberslimit: a queue of 2 members with limit 2 ignores penalties, so Bob (penalty 5) rings for a caller limited to 0 (a rule argument naming no rule is a warning)", async () => {
  const alice = phone("6002", uasCall({ status: 486 }), 10);
  const bob = phone("6003", uasCall({ status: 200, holdMs: 300 }));
  const c = await caller("7703");
  alice.stop();
  ok(c, "caller"); ok(await bob.done, "Bob");
  await assertLogged(recall.dataDir, /WARNING.*Queue 'small': no rule 'nosuchrule' in queuerules\.conf/);
  const lines = await callLines("small", "COMPLETEAGENT");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["Alice", "RINGNOANSWER"], ["Bob", "CONNECT"], ["Bob", "COMPLETEAGENT"]]);
});

test("Queue()'s URL, announceoverride, gosub and AGI: URL logged, the member hears the override and runs the gosub, the caller runs the AGI", async () => {
  const carol = phone("6004", uasCall({ status: 200, holdMs: 4000 }));
  const c = await caller("7710");
  ok(c, "caller"); ok(await carol.done, "Carol");
  const lines = await callLines("args", "COMPLETEAGENT");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["Carol", "CONNECT"], ["Carol", "COMPLETEAGENT"]]);
  assert.deepEqual(lines[0].slice(5), ["http://crm.example/call?from=6001", "6001", "1"]);
  await assertLogged(recall.dataDir, /URL 'http:\/\/crm\.example\/call\?from=6001' not sent to PJSIP\/6004-[0-9a-f]+/);
  await assertLogged(recall.dataDir, /Member gosub on PJSIP\/6004-[0-9a-f]+/);
  await assertLogged(recall.dataDir, /queue agi on PJSIP\/6001-[0-9a-f]+/);
  await assertLogged(recall.dataDir, /args done QUEUEAGI=ran/);
  // The member heard announceoverride's two files (not the queue's own `announce`), then the gosub ran, then the AGI.
  const log = readFileSync(join(recall.dataDir, "messages.log"), "utf8");
  const heard = /Queue 'args': (PJSIP\/6004-[0-9a-f]+) heard queue-thankyou&beep \((\w+)\)/.exec(log);
  assert.ok(heard, "Carol heard the announcement");
  assert.doesNotMatch(log, /file\.c.*(queue-thankyou|beep)/, "both files found and played");
  const at = (re: RegExp) => log.search(re);
  assert.ok(at(/heard queue-thankyou&beep/) < at(/Member gosub on PJSIP\/6004/) && at(/Member gosub on PJSIP\/6004/) < at(/queue agi on/), "announcement, gosub, AGI in that order");
});

test("a member who hangs up during the announcement: AGENTDUMP, no CONNECT, the caller waits on until the Queue timeout", async () => {
  const carol = phone("6004", uasCall({ status: 200, holdMs: 400 }));
  const c = await caller("7711");
  ok(c, "caller"); ok(await carol.done, "Carol");
  await assertLogged(recall.dataDir, /Agent on PJSIP\/6004-[0-9a-f]+ hungup on the customer/);
  await assertLogged(recall.dataDir, /after the dump QUEUESTATUS=TIMEOUT/);
  const lines = await callLines("args", "EXITWITHTIMEOUT");
  const events = lines.map((l) => [l[3], l[4]]).filter(([, e]) => e !== "RINGNOANSWER");
  assert.deepEqual(events, [["NONE", "ENTERQUEUE"], ["Carol", "AGENTDUMP"], ["NONE", "EXITWITHTIMEOUT"]]);
  assert.deepEqual(lines.at(-1)!.slice(5, 7), ["1", "1"], "still first in the queue when it left");
});

test("Queue()'s position: a second caller asks for position 1 and goes in front of the first (queue show, ENTERQUEUE, EXITWITHTIMEOUT); a bad position is a warning", async () => {
  const first = caller("7720");
  await recall.waitFor(/joined queue 'pos' at position 1/, 10_000);
  await assertLogged(recall.dataDir, /Invalid position 'front' given for call to queue 'pos'\. Assuming no preference for position/);
  const second = caller("7721");
  let show = "";
  for (let i = 0; i < 40 && !/Callers: \n.*\n.*2\./.test(show); i++) { await new Promise((r) => setTimeout(r, 100)); show = await recall.cli("queue show pos"); }
  const waiting = [...show.matchAll(/      (\d)\. (PJSIP\/6001-[0-9a-f]+)/g)].map((m) => [m[1], m[2]]);
  assert.equal(waiting.length, 2, show);
  ok(await first, "first caller"); ok(await second, "second caller");
  const inPos = (all: string[][]) => all.filter((l) => l[2] === "pos");
  const lines = inPos(await waitForQueueLines(recall.dataDir, (all) => inPos(all).filter((l) => l[4] === "EXITWITHTIMEOUT").length >= 2));
  const enters = lines.filter((l) => l[4] === "ENTERQUEUE").slice(-2);
  assert.deepEqual(enters.map((l) => l[7]), ["1", "1"], "both ENTERQUEUE at position 1");
  const exitOf = (callid: string) => {
    const exit = lines.find((l) => l[1] === callid && l[4] === "EXITWITHTIMEOUT");
    assert.ok(exit, `EXITWITHTIMEOUT of ${callid} in:\n${lines.map((l) => l.join("|")).join("\n")}`);
    return exit;
  };
  // The first caller left at position 2 (the second was in front), having joined at 1; the second left from 1.
  assert.deepEqual(exitOf(enters[0][1]).slice(5, 7), ["2", "1"]);
  assert.deepEqual(exitOf(enters[1][1]).slice(5, 7), ["1", "1"]);
  assert.deepEqual(waiting.map(([n]) => n), ["1", "2"]);
});

test("a member's blind REFER of a queue call: BLINDTRANSFER|exten|context|holdtime|calltime|origposition, no COMPLETE line, the caller goes on at the target", async () => {
  const alice = phone("6002", uasRefer({ referTo: `sip:7790@127.0.0.1:${port}`, afterMs: 1200, outcome: { notify: "200 OK" } }));
  const c = await caller("7730");
  ok(c, "caller"); ok(await alice.done, "Alice");
  await assertLogged(recall.dataDir, /blind-transferred PJSIP\/6001-[0-9a-f]+ BLINDTRANSFER=PJSIP\/6002-/);
  const lines = await callLines("xfer", "BLINDTRANSFER");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["Alice", "CONNECT"], ["Alice", "BLINDTRANSFER"]]);
  const [exten, context, hold, talk, position] = lines[2].slice(5);
  assert.deepEqual([exten, context, hold, position], ["7790", "from-internal", "0", "1"]);
  assert.ok(Number(talk) >= 1 && Number(talk) <= 2, `talked ${talk} s before the transfer`);
  const show = await recall.cli("queue show xfer");
  assert.match(show, /C:1, A:0/);
  assert.match(show, /Alice \(PJSIP\/6002\) \(ringinuse enabled\) \(Not in use\) has taken 1 calls/);
});

test("the caller's DTMF blind transfer (Queue option T): the member goes to the target, BLINDTRANSFER names it, the caller is hung up", async () => {
  const alice = phone("6002", uasCall({ status: 200 }));
  const c = await runSipp({
    scenario: uacCall({ exten: "7732", from: "6001", auth: true, dtmf: "#7790" }), target: `127.0.0.1:${port}`, calls: 1, inject: phoneCredentials("6001"), timeoutMs: 40_000,
  });
  ok(c, "caller"); ok(await alice.done, "Alice");
  await assertLogged(recall.dataDir, /blind-transferred PJSIP\/6002-[0-9a-f]+ BLINDTRANSFER=PJSIP\/6001-/);
  const lines = await callLines("xfer", "BLINDTRANSFER");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["Alice", "CONNECT"], ["Alice", "BLINDTRANSFER"]]);
  assert.deepEqual([lines[2][5], lines[2][6], lines[2][9]], ["7790", "from-internal", "1"]);
  assert.match(await recall.cli("queue show xfer"), /C:2, A:0/);
});

test("a member's attended REFER with Replaces: ATTENDEDTRANSFER|BRIDGE|<bridge>|holdtime|calltime|origposition; the caller talks to the target", async () => {
  const line1Log = join(tmp, "line1.log"), line2Log = join(tmp, "line2.log");
  const bob = startSipp({
    scenario: uasRefer({ referTo: `sip:6005@127.0.0.1:${port}?Replaces=[$replaces]`, replacesFromMessage: true, outcome: { notify: "200 OK" } }),
    localPort: ports["6003"], calls: 1, timeoutMs: 40_000, extraArgs: ["-trace_logs", "-log_file", line1Log],
  });
  const target = phone("6005", uasCall({ status: 200, holdMs: 2500 }));
  const c = caller("7731");
  const [, call1] = await sippLogLine(line1Log, /CALLID (\S+)/);
  // Bob's second line calls 6005 through 7791; the phone would remember that dialog: the test tells line 1 about it.
  const b2 = startSipp({
    scenario: uacSecondLine({ exten: "7791", from: "6003" }), target: `127.0.0.1:${port}`, localPort: ports.b2, calls: 1,
    inject: phoneCredentials("6003"), timeoutMs: 40_000, extraArgs: ["-trace_logs", "-log_file", line2Log],
  });
  const [, callId, toTag, fromTag] = await sippLogLine(line2Log, /DIALOG (\S+) (\S+) (\S+)/);
  const harness = createSocket("udp4");
  await new Promise<void>((resolve) => harness.bind(0, "127.0.0.1", () => resolve()));
  harness.send([
    `MESSAGE sip:uas@127.0.0.1:${ports["6003"]} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${harness.address().port};branch=z9hG4bKqharness-${callId}`,
    "From: <sip:test@127.0.0.1>;tag=harness", "To: <sip:uas@127.0.0.1>", `Call-ID: ${call1}`, "CSeq: 1 MESSAGE",
    `X-Replaces: ${encodeURIComponent(`${callId};to-tag=${toTag};from-tag=${fromTag}`)}`, "Content-Length: 0", "", "",
  ].join("\r\n"), ports["6003"], "127.0.0.1");
  try {
    ok(await c, "caller"); ok(await bob.done, "Bob line 1"); ok(await b2.done, "Bob line 2"); ok(await target.done, "target");
  } finally {
    harness.close();
  }
  const lines = await callLines("axfer", "ATTENDEDTRANSFER");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["Bob", "CONNECT"], ["Bob", "ATTENDEDTRANSFER"]]);
  const [kind, bridge, hold, , position] = lines[2].slice(5);
  assert.deepEqual([kind, hold, position], ["BRIDGE", "0", "1"]);
  assert.match(bridge, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.match(await recall.cli("queue show axfer"), /Bob \(PJSIP\/6003\) \(ringinuse enabled\) \(Not in use\) has taken 1 calls/);
});

test("the log of all this replays (replay --verify) and a rebuild of DATA/queue_log gives the same bytes", async () => {
  await recall.stop();
  const before = readFileSync(join(recall.dataDir, "queue_log"), "utf8");
  await run(process.execPath, [recallBin, "rebuild", "--data", recall.dataDir, "--config", recall.configDir, "--sink", "queue_log"]);
  assert.equal(readFileSync(join(recall.dataDir, "queue_log"), "utf8"), before);
  const { stdout } = await run(process.execPath, [recallBin, "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
