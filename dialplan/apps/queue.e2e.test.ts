/**
 * Queues end to end: a real `recall start` with a queues.conf, a sipp caller (6001,
 * with digest auth) and sipp agents at static contacts (one that answers, one that
 * rings until cancelled, one busy, one that never answers); REFERENCE.md's ringall
 * call and dynamic-member sequence, a linear queue through busy and no-answer agents,
 * a caller who hangs up while waiting (ABANDON), leavewhenempty when the last member
 * pauses; DATA/queue_log checked field by field, the console's `queue show`, the
 * chDB queue_log table, `recall rebuild --sink queue_log`, and `recall replay --verify`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, assertLogged, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { runSipp, startSipp } from "../../sip/sipp/sipp.js";
import { uacCall, uasCall, type UasOptions } from "../../sip/sipp/call-scenarios.js";
import { fromUlaw, readWav, toUlaw } from "../../sip/sipp/audio.js";
import { parseRtp } from "../../media-workers/rtp.js";
import { createSocket } from "node:dgram";
import { SEED_QUEUE_LOGIN_AEL, queueLogLines, waitForQueueLog } from "../test-support.js";

const run = promisify(execFile);
const recallBin = join(packageRoot, "bin", "recall.js");
const sample = (file: string) => readFileSync(join(packageRoot, "infra", "sample-config", file), "utf8");

let recall: RecallProcess;
let port: number;
const AGENTS = ["alice", "bob", "carol", "dave", "erin"] as const;
const agentPort: Record<string, number> = {};

before(async () => {
  port = await freePort();
  for (const a of AGENTS) agentPort[a] = await freePort();
  const pjsip = sample("pjsip.conf").replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${port}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0") +
    "\n[agent](!)\ntype = endpoint\ncontext = from-internal\ndisallow = all\nallow = ulaw\n" +
    AGENTS.map((a) => `\n[${a}](agent)\naors = ${a}\n[${a}]\ntype = aor\ncontact = sip:${a}@127.0.0.1:${agentPort[a]}\n`).join("");
  const queues = [
    "[general]", "persistentmembers = yes", "autofill = yes", "monitor-type = MixMonitor", "",
    "[base](!)", "timeout = 2", "retry = 1", "wrapuptime = 0", "",
    "[helpdesk](base)", "strategy = ringall", "member => PJSIP/alice,0,Alice", "member => PJSIP/bob,0,Bob", "",
    "[billing](base)", "strategy = rrmemory", "",
    "[sales](base)", "strategy = linear", "member => PJSIP/dave", "member => PJSIP/erin", "member => PJSIP/alice", "",
    "[waiting](base)", "strategy = ringall", "leavewhenempty = paused", "member => PJSIP/bob", "",
    "[announced](base)", "strategy = ringall", "announce-frequency = 30", "announce-holdtime = yes", "member => PJSIP/erin", "",
    "[rr](base)", "strategy = rrmemory", "member => PJSIP/alice", "member => PJSIP/bob", "",
    "[least](base)", "strategy = leastrecent", "member => PJSIP/alice", "member => PJSIP/bob", "",
    "[fewest](base)", "strategy = fewestcalls", "member => PJSIP/alice", "member => PJSIP/bob", "",
    "[wrapped](base)", "strategy = ringall", "wrapuptime = 3", "member => PJSIP/carol", "",
    "[dispatch](base)", "[sales-general](base)", "[customerservice](base)", "",
    "[support](base)", "strategy = ringall", "member => PJSIP/alice", "",
    "[keyq](base)", "strategy = ringall", "context = exitctx", "member => PJSIP/bob", "",
    "[closed](base)", "joinempty = strict", "member => PJSIP/ghost", "",
    "[broken](base)", "strategy = sometimes", "maxlen = lots", "",
    "[retried](base)", "strategy = linear", "timeout = 1", "retry = 3", "member => PJSIP/carol", "member => PJSIP/dave", "",
    "[tiered](base)", "strategy = ringall", "timeout = 1", "retry = 3", "member => PJSIP/alice,0", "member => PJSIP/bob,1", "",
  ].join("\n");
  const extensions = sample("extensions.conf").replace("[from-internal]\n", "[from-internal]\n" +
    "exten => 6092,1,Goto(queues-loginout,6092,1)\nexten => 6093,1,Goto(queues-loginout,6093,1)\n" +
    "exten => 101,1,Goto(seed-queues,101,1)\n" +
    "exten => 7501,1,Queue(helpdesk)\n same => n,Hangup()\n" +
    "exten => 7502,1,Queue(billing,,,,,,member-sub)\n same => n,Hangup()\n" +
    "exten => 7503,1,Queue(sales)\n same => n,Hangup()\n" +
    "exten => 7506,1,Queue(waiting,r)\n same => n,Hangup()\n" +
    "exten => 7507,1,Answer()\n same => n,Queue(announced,r)\n same => n,Hangup()\n" +
    "exten => _751X,1,Answer()\n same => n,Queue(${IF($[${EXTEN} = 7510]?rr:${IF($[${EXTEN} = 7511]?least:${IF($[${EXTEN} = 7512]?fewest:wrapped)})})})\n same => n,Hangup()\n" +
    "exten => 7508,1,Answer()\n same => n,Queue(keyq)\n same => n,Hangup()\n" +
    "exten => 7520,1,Queue(retried,r)\n same => n,Hangup()\n" +
    "exten => 7521,1,Queue(tiered,r)\n same => n,Hangup()\n" +
    "exten => 7509,1,Answer()\n same => n,Queue(waiting,,,,3)\n same => n,NoOp(timed out QUEUESTATUS=${QUEUESTATUS})\n same => n,Queue(closed)\n" +
    " same => n,NoOp(closed QUEUESTATUS=${QUEUESTATUS})\n same => n,Hangup()\n" +
    "exten => 7504,1,Queue(waiting)\n same => n,NoOp(QUEUESTATUS=${QUEUESTATUS})\n same => n,Hangup(17)\n" +
    "exten => 7505,1,Answer()\n same => n,Queue(nosuchqueue)\n same => n,NoOp(QUEUESTATUS=${QUEUESTATUS})\n same => n,Hangup()\n" +
    "exten => 7600,1,Answer()\n same => n,AddQueueMember(billing,PJSIP/carol,2)\n same => n,NoOp(AQMSTATUS=${AQMSTATUS})\n" +
    " same => n,AddQueueMember(billing,PJSIP/carol,2)\n same => n,NoOp(again AQMSTATUS=${AQMSTATUS})\n" +
    " same => n,PauseQueueMember(billing,PJSIP/carol,,break)\n same => n,NoOp(paused=${QUEUE_MEMBER(billing,paused,PJSIP/carol)} PQMSTATUS=${PQMSTATUS})\n" +
    " same => n,UnpauseQueueMember(billing,PJSIP/carol)\n same => n,NoOp(unpaused=${QUEUE_MEMBER(billing,paused,PJSIP/carol)} count=${QUEUE_MEMBER(billing,count)} list=${QUEUE_MEMBER_LIST(billing)})\n" +
    " same => n,PauseQueueMember(billing,PJSIP/nobody)\n same => n,NoOp(nobody PQMSTATUS=${PQMSTATUS})\n" +
    " same => n,RemoveQueueMember(helpdesk,PJSIP/alice)\n same => n,NoOp(static RQMSTATUS=${RQMSTATUS})\n" +
    " same => n,Hangup()\n");
  // Seed 003's dynamic-member dialplan, unchanged: [globals] naming the queues and the _1XX entry.
  const memberSub = "\n[member-sub]\nexten => s,1,NoOp(Member gosub on ${CHANNEL} for ${QUEUE_WAITING_COUNT(billing)} waiting)\n same => n,Return()\n";
  const exitCtx = "\n[exitctx]\nexten => 5,1,NoOp(Left the queue with key ${EXTEN})\n same => n,Hangup()\n";
  const seedQueues = memberSub + exitCtx + "\n[globals]\nQUEUE_100=sales\nQUEUE_101=support\n\n[seed-queues]\n" +
    "exten => _1XX,1,Set(thisQueue=${GLOBAL(QUEUE_${EXTEN})})\nexten => _1XX,n,Queue(${thisQueue})\n";
  const voicemail = "[general]\nformat = wav\n\n[default]\n6121 => 1234,Raquel Squelch\n6170 => 4321,Rock Hudson\n";
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": extensions + seedQueues, "queues.conf": queues, "extensions.ael": SEED_QUEUE_LOGIN_AEL, "voicemail.conf": voicemail });
});
after(async () => { await recall?.stop(); });

const credentials = "SEQUENTIAL\n6001;reception-6001\n";

/** 6001 calls `exten` while each named agent's phone behaves as given. */
async function call(exten: string, agents: Partial<Record<(typeof AGENTS)[number], UasOptions>>, expect: { holdMs?: number; cancelAfterMs?: number; status?: number } = {}) {
  const phones = Object.entries(agents).map(([a, o]) => ({ a, p: startSipp({ scenario: uasCall(o!), localPort: agentPort[a], calls: 1, timeoutMs: 30_000 }) }));
  const caller = await runSipp({
    scenario: uacCall({ exten, from: "6001", auth: true, ...expect }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000,
  });
  const called: Record<string, { code: number | null; errors: string }> = {};
  for (const { a, p } of phones) called[a] = await p.done;
  return { caller, called };
}

const queueLog = () => queueLogLines(recall.dataDir);
const waitForLines = (pattern: RegExp, timeoutMs?: number) => waitForQueueLog(recall.dataDir, pattern, timeoutMs);

test("queues.conf: bad values are named with file and line, and the queue loads with defaults", async () => {
  await assertLogged(recall.dataDir, /queues\.conf:\d+: \[broken\] strategy: unknown strategy 'sometimes', using ringall/);
  await assertLogged(recall.dataDir, /queues\.conf:\d+: \[broken\] maxlen: 'lots' is not a number/);
  const show = await recall.cli("queue show broken");
  assert.match(show, /^broken has 0 calls \(max unlimited\) in 'ringall' strategy \(0s holdtime, 0s talktime\), W:0, C:0, A:0, SL:0\.0%, SL2:0\.0% within 0s\n   No Members\n   No Callers\n/);
  const first = queueLog()[0];
  assert.deepEqual(first.slice(1), ["NONE", "NONE", "NONE", "QUEUESTART", ""]);
});

test("ringall: Alice answers, Bob rings and is cancelled; the caller hangs up after 2 s (REFERENCE.md's lines)", async () => {
  const { caller, called } = await call("7501", { alice: { status: 200, ringMs: 300 }, bob: {} }, { holdMs: 2200 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called.alice.code, 0, called.alice.errors);
  assert.equal(called.bob.code, 0, called.bob.errors);
  const lines = (await waitForLines(/COMPLETECALLER/)).filter((l) => l[2] === "helpdesk");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["Bob", "RINGCANCELED"], ["Alice", "CONNECT"], ["Alice", "COMPLETECALLER"]]);
  const [enter, , connect, complete] = lines;
  const callid = enter[1];
  assert.match(callid, /^\d+\.\d+$/);
  assert.deepEqual(enter.slice(5), ["", "6001", "1"]);
  assert.equal(connect[1], callid);
  assert.equal(connect[5], "0");
  assert.match(connect[6], /^\d+\.\d+$/);
  assert.notEqual(connect[6], callid);
  assert.equal(connect[7], "0");
  assert.deepEqual(complete.slice(5), ["0", "2", "1"]);
  assert.ok([2, 3].includes(Number(complete[0]) - Number(connect[0])), "the epochs of CONNECT and COMPLETECALLER are 2 s apart (whole seconds)");
  const show = await recall.cli("queue show helpdesk");
  assert.match(show, /helpdesk has 0 calls \(max unlimited\) in 'ringall' strategy \(0s holdtime, 2s talktime\), W:0, C:1, A:0/);
  assert.match(show, /      Alice \(PJSIP\/alice\) \(ringinuse enabled\) \(Not in use\) has taken 1 calls \(last was \d+ secs ago\) \(login was \d+ secs ago\)\n/);
  assert.match(show, /      Bob \(PJSIP\/bob\) \(ringinuse enabled\) \(Not in use\) has taken no calls yet/);
});

test("dynamic members from the dialplan: AddQueueMember, twice, Pause with a reason, QUEUE_MEMBER, Unpause; errors for the rest", async () => {
  const { caller } = await call("7600", {});
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(recall.dataDir, /AQMSTATUS=ADDED/);
  await assertLogged(recall.dataDir, /Unable to add interface 'PJSIP\/carol' to queue 'billing': Already there/);
  await assertLogged(recall.dataDir, /again AQMSTATUS=MEMBERALREADY/);
  await assertLogged(recall.dataDir, /paused=1 PQMSTATUS=PAUSED/);
  await assertLogged(recall.dataDir, /unpaused=0 count=1 list=PJSIP\/carol/);
  await assertLogged(recall.dataDir, /nobody PQMSTATUS=NOTFOUND/);
  await assertLogged(recall.dataDir, /static RQMSTATUS=NOTDYNAMIC/);
  const lines = (await waitForLines(/UNPAUSE/)).filter((l) => l[2] === "billing");
  assert.deepEqual(lines.map((l) => l.slice(1)), [
    [lines[0][1], "billing", "PJSIP/carol", "ADDMEMBER", ""],
    ["NONE", "billing", "PJSIP/carol", "PAUSE", "break"],
    ["NONE", "billing", "PJSIP/carol", "UNPAUSE", ""],
  ]);
  assert.match(lines[0][1], /^\d+\.\d+$/);
  const show = await recall.cli("queue show billing");
  assert.match(show, /      PJSIP\/carol with penalty 2 \(ringinuse enabled\) \(dynamic\) \(Not in use\) has taken no calls yet/);
});

test("a call to billing is answered by the dynamic member carol, who runs Queue()'s gosub argument first", async () => {
  const { caller, called } = await call("7502", { carol: { status: 200 } }, { holdMs: 1000 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called.carol.code, 0, called.carol.errors);
  await assertLogged(recall.dataDir, /Member gosub on PJSIP\/carol-[0-9a-f]+ for 0 waiting/);
  const lines = (await waitForLines(/billing\|PJSIP\/carol\|COMPLETECALLER/)).filter((l) => l[2] === "billing");
  assert.deepEqual(lines.slice(-3).map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["PJSIP/carol", "CONNECT"], ["PJSIP/carol", "COMPLETECALLER"]]);
});

test("linear: dave is busy, erin never answers (RINGNOANSWER after the 2 s timeout), alice answers and hangs up first (COMPLETEAGENT)", async () => {
  const { caller, called } = await call("7503", { dave: { status: 486 }, erin: {}, alice: { status: 200, holdMs: 1000 } });
  assert.equal(caller.code, 0, caller.errors);
  for (const a of ["dave", "erin", "alice"]) assert.equal(called[a].code, 0, `${a}: ${called[a].errors}`);
  const lines = (await waitForLines(/sales\|Alice\|COMPLETEAGENT|sales\|PJSIP\/alice\|COMPLETEAGENT/)).filter((l) => l[2] === "sales");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [
    ["NONE", "ENTERQUEUE"], ["PJSIP/dave", "RINGNOANSWER"], ["PJSIP/erin", "RINGNOANSWER"], ["PJSIP/alice", "CONNECT"], ["PJSIP/alice", "COMPLETEAGENT"],
  ]);
  const erin = lines[2];
  assert.ok(Number(erin[5]) >= 1900 && Number(erin[5]) < 3000, `erin rang ${erin[5]} ms`);
  const connect = lines[3];
  assert.ok(Number(connect[5]) >= 2, `hold time ${connect[5]}`);
});

test("a caller who hangs up while the member rings (Queue option r: ringing, no music): RINGCANCELED, then ABANDON with position and wait", async () => {
  const { caller, called } = await call("7506", { bob: {} }, { cancelAfterMs: 1200 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called.bob.code, 0, called.bob.errors);
  const lines = (await waitForLines(/waiting\|NONE\|ABANDON/)).filter((l) => l[2] === "waiting");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["PJSIP/bob", "RINGCANCELED"], ["NONE", "ABANDON"]]);
  assert.deepEqual(lines[2].slice(5, 7), ["1", "1"]);
  assert.match(await recall.cli("queue show waiting"), /C:0, A:1/);
});

test("leavewhenempty=paused: the last member pauses from the console while the caller waits: EXITEMPTY and QUEUESTATUS=LEAVEEMPTY", async () => {
  const phone = startSipp({ scenario: uasCall({}), localPort: agentPort.bob, calls: 1, timeoutMs: 30_000 });
  const caller = runSipp({ scenario: uacCall({ exten: "7504", from: "6001", auth: true, expect: 486 }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 700));
  assert.match(await recall.cli("queue pause member PJSIP/bob queue waiting reason lunch"), /Paused interface 'PJSIP\/bob' in queue 'waiting'/);
  const c = await caller;
  assert.equal(c.code, 0, c.errors);
  assert.equal((await phone.done).code, 0);
  await assertLogged(recall.dataDir, /QUEUESTATUS=LEAVEEMPTY/);
  const lines = (await waitForLines(/EXITEMPTY/)).filter((l) => l[2] === "waiting").slice(3);
  assert.deepEqual(lines.map((l) => [l[3], l[4], l[5]]), [["NONE", "ENTERQUEUE", ""], ["PJSIP/bob", "PAUSE", "lunch"], ["PJSIP/bob", "RINGNOANSWER", lines[2][5]], ["NONE", "EXITEMPTY", "1"]]);
  assert.match(await recall.cli("queue show waiting"), /PJSIP\/bob \(ringinuse enabled\) \(paused:lunch was \d+ secs ago\)/);
  assert.match(await recall.cli("queue unpause member PJSIP/bob"), /Unpaused interface 'PJSIP\/bob'/);
});

/**
 * The share of `reference`'s voiced 20 ms frames found sample for sample somewhere in `received` (files played one
 * after another need not start on a packet boundary, so frames are looked up at any sample offset).
 */
function heard(reference: Int16Array, received: Int16Array): number {
  const at = new Map<string, number[]>();
  for (let i = 0; i + 4 <= received.length; i++) {
    const k = `${received[i]},${received[i + 1]},${received[i + 2]},${received[i + 3]}`;
    const list = at.get(k);
    if (list) { if (list.length < 64) list.push(i); } else at.set(k, [i]);
  }
  let voiced = 0, found = 0;
  for (let f = 0; (f + 1) * 160 <= reference.length; f++) {
    const frame = reference.subarray(f * 160, (f + 1) * 160);
    if (frame.every((v) => Math.abs(v) < 64)) continue;
    voiced++;
    const candidates = at.get(`${frame[0]},${frame[1]},${frame[2]},${frame[3]}`) ?? [];
    if (candidates.some((p) => p + 160 <= received.length && frame.every((v, i) => received[p + i] === v))) found++;
  }
  return voiced ? found / voiced : 0;
}

test("announcements: a waiting caller hears its position and the queue's hold time as RTP", async () => {
  // A first call answered after 1.5 s gives the queue a hold time to announce; the second waits through one
  // unanswered round (2 s), then hears "you are next", "the estimated hold time is 1 seconds", "thank you".
  const first = await call("7507", { erin: { status: 200, ringMs: 1500, holdMs: 300 } });
  assert.equal(first.caller.code, 0, first.caller.errors);
  const sock = createSocket("udp4");
  const payloads: Buffer[] = [];
  sock.on("message", (m) => { const h = parseRtp(m); if (h && h.payloadType === 0) payloads.push(Buffer.from(m.subarray(h.payloadOffset, h.payloadEnd))); });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  try {
    const phone = startSipp({ scenario: uasCall({}), localPort: agentPort.erin, calls: 1, timeoutMs: 30_000 });
    const caller = await runSipp({
      scenario: uacCall({ exten: "7507", from: "6001", auth: true, holdMs: 16_000, mediaPort: sock.address().port }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000,
    });
    assert.equal(caller.code, 0, caller.errors);
    await phone.done;
  } finally {
    sock.close();
  }
  const received = fromUlaw(new Uint8Array(Buffer.concat(payloads)));
  const sound = (f: string) => fromUlaw(toUlaw(readWav(`/usr/share/asterisk/sounds/en/${f}.wav`)));
  for (const f of ["queue-youarenext", "queue-holdtime", "queue-seconds", "queue-thankyou"]) {
    assert.ok(heard(sound(f), received) >= 0.9, `${f} heard (${heard(sound(f), received)}) in ${payloads.length} packets`);
  }
  assert.ok(heard(sound("queue-thereare"), received) < 0.5, "alone in the queue: no 'there are N calls waiting'");
});

/** 6001 calls `exten` with alice and bob both ready to answer; whoever is called answers; returns who it was. */
async function callEither(exten: string): Promise<string> {
  const phones = (["alice", "bob"] as const).map((a) => ({ a, p: startSipp({ scenario: uasCall({ status: 200, holdMs: 200 }), localPort: agentPort[a], calls: 1, timeoutMs: 30_000 }) }));
  const completed = () => { try { return queueLog().filter((l) => l[4] === "COMPLETEAGENT").length; } catch { return 0; } };
  const before = completed();
  const caller = await runSipp({ scenario: uacCall({ exten, from: "6001", auth: true }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000 });
  assert.equal(caller.code, 0, caller.errors);
  // This call's COMPLETEAGENT (queue_log is a projection: it may lag the call on a busy machine).
  for (let i = 0; i < 100 && completed() <= before; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(completed() > before, "the call's COMPLETEAGENT reached queue_log");
  await new Promise((r) => setTimeout(r, 300));
  for (const { p } of phones) p.stop();
  const last = queueLog().filter((l) => l[4] === "CONNECT").at(-1)!;
  return last[3];
}

test("strategies through real agents: rrmemory alternates, leastrecent and fewestcalls pick who rested / took fewer calls", async () => {
  assert.deepEqual([await callEither("7510"), await callEither("7510"), await callEither("7510")], ["PJSIP/alice", "PJSIP/bob", "PJSIP/alice"]);
  // alice has just taken calls in rr, but stats are per queue membership: in `least`, both are fresh, alice (first) goes first.
  assert.deepEqual([await callEither("7511"), await callEither("7511")], ["PJSIP/alice", "PJSIP/bob"]);
  assert.deepEqual([await callEither("7512"), await callEither("7512"), await callEither("7512")], ["PJSIP/alice", "PJSIP/bob", "PJSIP/alice"]);
});

test("wrap-up time: carol takes no queue call for 3 s after her last one", async () => {
  const first = await call("7513", { carol: { status: 200, holdMs: 200 } });
  assert.equal(first.caller.code, 0, first.caller.errors);
  const second = await call("7513", { carol: { status: 200, holdMs: 200 } });
  assert.equal(second.caller.code, 0, second.caller.errors);
  let lines: string[][] = [];
  for (let i = 0; i < 50 && lines.filter((l) => l[4] === "COMPLETEAGENT").length < 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    lines = queueLog().filter((l) => l[2] === "wrapped");
  }
  const events = lines.map((l) => l[4]);
  assert.deepEqual(events, ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT", "ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]);
  assert.ok(Number(lines[4][0]) - Number(lines[2][0]) >= 3, `second CONNECT ${lines[4][0]} at least 3 s after the first call ended ${lines[2][0]}`);
  assert.ok(Number(lines[4][5]) >= 2, `the second caller waited (hold ${lines[4][5]} s)`);
});

test("seed 003's AEL login/logout runs unchanged: Read the agent number, VMAuthenticate, AddQueueMember to three queues, then log out", async () => {
  const login = await runSipp({ scenario: uacCall({ exten: "6092", from: "6001", auth: true, dtmf: "6170#4321#" }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000 });
  assert.equal(login.code, 0, login.errors);
  await assertLogged(recall.dataDir, /VMAuthenticate: mailbox 6170@default authenticated/);
  await assertLogged(recall.dataDir, /Playback\("PJSIP\/6001-[0-9a-f]+", "agent-loginok"\)/);
  for (const [queue, penalty] of [["sales-general", 10], ["customerservice", 20], ["dispatch", 30]] as const) {
    assert.match(await recall.cli(`queue show ${queue}`), new RegExp(`      Local/6170@agents with penalty ${penalty} \\(ringinuse enabled\\) \\(dynamic\\)`), queue);
  }
  const wrong = await runSipp({ scenario: uacCall({ exten: "6092", from: "6001", auth: true, dtmf: "6121#9999#" }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 40_000 });
  assert.equal(wrong.code, 0, wrong.errors);
  await assertLogged(recall.dataDir, /Incorrect password for mailbox '6121@default'/);
  assert.doesNotMatch(await recall.cli("queue show dispatch"), /Local\/6121@agents/);
  const logout = await runSipp({ scenario: uacCall({ exten: "6093", from: "6001", auth: true, dtmf: "6170#" }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000 });
  assert.equal(logout.code, 0, logout.errors);
  await assertLogged(recall.dataDir, /"agent-loggedoff"/);
  assert.doesNotMatch(await recall.cli("queue show dispatch"), /Local\/6170@agents/);
  const lines = (await waitForLines(/dispatch\|Local\/6170@agents\|REMOVEMEMBER/)).filter((l) => l[3] === "Local/6170@agents");
  assert.deepEqual(lines.map((l) => [l[2], l[4]]), [
    ["sales-general", "ADDMEMBER"], ["customerservice", "ADDMEMBER"], ["dispatch", "ADDMEMBER"],
    ["sales-general", "REMOVEMEMBER"], ["customerservice", "REMOVEMEMBER"], ["dispatch", "REMOVEMEMBER"],
  ]);
});

test("seed 003's dynamic-member dialplan: _1XX finds the queue in [globals] and Queue() runs it; the seed's console commands", async () => {
  const { caller, called } = await call("101", { alice: { status: 200, holdMs: 300 } });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called.alice.code, 0, called.alice.errors);
  const lines = (await waitForLines(/support\|PJSIP\/alice\|COMPLETEAGENT/)).filter((l) => l[2] === "support");
  assert.deepEqual(lines.map((l) => l[4]), ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]);
  // The seed's console lines, word for word (SIP/ is an interface like any other: Recall does not dial it).
  assert.match(await recall.cli("queue add member SIP/0004f2040001 to sales"), /Added interface 'SIP\/0004f2040001' to queue 'sales'/);
  assert.match(await recall.cli("queue pause member SIP/0004f2040001 queue sales reason lunch"), /Paused interface 'SIP\/0004f2040001' in queue 'sales'/);
  assert.match(await recall.cli("queue show sales"), /SIP\/0004f2040001 \(ringinuse enabled\) \(dynamic\) \(paused:lunch was \d+ secs ago\) \(Invalid\)/);
  assert.match(await recall.cli("queue unpause member SIP/0004f2040001 queue sales"), /Unpaused interface 'SIP\/0004f2040001' in queue 'sales'/);
  assert.match(await recall.cli("queue remove member SIP/0004f2040001 from sales"), /Removed interface SIP\/0004f2040001 from queue 'sales'/);
  const seedLines = (await waitForLines(/sales\|SIP\/0004f2040001\|REMOVEMEMBER/)).filter((l) => l[3] === "SIP/0004f2040001");
  assert.deepEqual(seedLines.map((l) => [l[1], l[4], l[5]]), [["NONE", "ADDMEMBER", ""], ["NONE", "PAUSE", "lunch"], ["NONE", "UNPAUSE", ""], ["NONE", "REMOVEMEMBER", ""]]);
});

test("queue context: a digit that is an extension there takes the caller out (EXITWITHKEY) to it", async () => {
  const phone = startSipp({ scenario: uasCall({}), localPort: agentPort.bob, calls: 1, timeoutMs: 30_000 });
  const caller = await runSipp({ scenario: uacCall({ exten: "7508", from: "6001", auth: true, dtmf: "5" }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000 });
  assert.equal(caller.code, 0, caller.errors);
  await phone.done;
  await assertLogged(recall.dataDir, /Left the queue with key 5/);
  // (bob's UNPAUSE in keyq, from the console's queue-less unpause earlier, is left out)
  const lines = (await waitForLines(/keyq\|NONE\|EXITWITHKEY/)).filter((l) => l[2] === "keyq" && l[4] !== "UNPAUSE");
  assert.deepEqual(lines.map((l) => l[4]), ["ENTERQUEUE", "RINGNOANSWER", "EXITWITHKEY"]);
  assert.deepEqual(lines[2].slice(5, 8), ["5", "1", "1"]);
});

test("Queue()'s timeout argument gives EXITWITHTIMEOUT and TIMEOUT; joinempty=strict with an unreachable member refuses the caller (JOINUNAVAIL)", async () => {
  const phone = startSipp({ scenario: uasCall({}), localPort: agentPort.bob, calls: 2, timeoutMs: 30_000 });
  const caller = await runSipp({ scenario: uacCall({ exten: "7509", from: "6001", auth: true }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000 });
  assert.equal(caller.code, 0, caller.errors);
  phone.stop();
  await assertLogged(recall.dataDir, /timed out QUEUESTATUS=TIMEOUT/);
  await assertLogged(recall.dataDir, /closed QUEUESTATUS=JOINUNAVAIL/);
  const lines = (await waitForLines(/closed\|NONE\|JOINUNAVAIL/)).filter((l) => l[1] === queueLog().filter((x) => x[2] === "closed").at(-1)![1]);
  assert.deepEqual(lines.map((l) => [l[2], l[4]]).filter(([, e]) => e !== "RINGNOANSWER" && e !== "RINGCANCELED"), [
    ["waiting", "ENTERQUEUE"], ["waiting", "EXITWITHTIMEOUT"], ["closed", "JOINUNAVAIL"],
  ]);
  const exit = lines.find((l) => l[4] === "EXITWITHTIMEOUT")!;
  assert.deepEqual(exit.slice(5, 7), ["1", "1"]);
  assert.ok(Number(exit[7]) >= 3 && Number(exit[7]) <= 4, `waited ${exit[7]} s`);
});

/** The INVITEs and CANCELs an agent's sipp received (method, ms since the epoch), from its -trace_msg log. */
function requestsReceived(dir: string): { method: string; at: number }[] {
  const file = readdirSync(dir).find((f) => f.endsWith("_messages.log"));
  if (!file) return [];
  const out: { method: string; at: number }[] = [];
  for (const chunk of readFileSync(join(dir, file), "utf8").split(/^-{20,} /m).slice(1)) {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\d*\r?\n\w+ message received \[\d+\] bytes :\r?\n\r?\n([A-Z]+) sip:/.exec(chunk);
    if (m && (m[3] === "INVITE" || m[3] === "CANCEL")) out.push({ method: m[3], at: Date.parse(`${m[1]}T${m[2]}Z`) });
  }
  return out;
}

test("retry: a member whose ring times out is rung again only after `retry` seconds, and so is the next one (linear, as app_queue's wait_a_bit)", async () => {
  // timeout 1, retry 3: carol rings 0–1 s, nobody for 3 s, dave 4–5 s, nobody for 3 s, carol again from 8 s; the caller gives up at 8.5 s.
  const carol = startSipp({ scenario: uasCall({}), localPort: agentPort.carol, calls: 2, timeoutMs: 30_000, extraArgs: ["-trace_msg"] });
  const dave = startSipp({ scenario: uasCall({}), localPort: agentPort.dave, calls: 1, timeoutMs: 30_000, extraArgs: ["-trace_msg"] });
  const caller = await runSipp({ scenario: uacCall({ exten: "7520", from: "6001", auth: true, cancelAfterMs: 8500 }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000 });
  assert.equal(caller.code, 0, caller.errors);
  const [c, d] = [await carol.done, await dave.done];
  assert.equal(c.code, 0, c.errors);
  assert.equal(d.code, 0, d.errors);
  const lines = (await waitForLines(/retried\|NONE\|ABANDON/)).filter((l) => l[2] === "retried");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [
    ["NONE", "ENTERQUEUE"], ["PJSIP/carol", "RINGNOANSWER"], ["PJSIP/dave", "RINGNOANSWER"], ["PJSIP/carol", "RINGCANCELED"], ["NONE", "ABANDON"],
  ]);
  for (const l of lines.slice(1, 3)) assert.ok(Number(l[5]) >= 950 && Number(l[5]) < 1500, `${l[3]} rang ${l[5]} ms (timeout = 1)`);
  const carolGot = requestsReceived(c.dir), daveGot = requestsReceived(d.dir);
  assert.deepEqual(carolGot.map((r) => r.method), ["INVITE", "CANCEL", "INVITE", "CANCEL"]);
  assert.deepEqual(daveGot.map((r) => r.method), ["INVITE", "CANCEL"]);
  const gaps = [daveGot[0].at - carolGot[1].at, carolGot[2].at - daveGot[1].at];
  for (const gap of gaps) assert.ok(gap >= 2800 && gap < 4000, `the next ring came ${gap} ms after the last one ended (retry = 3 s): ${gaps}`);
});

test("ringall with penalties: the penalty-1 member is never rung while the penalty-0 member is free, even when it does not answer", async () => {
  // timeout 1, retry 3: alice (penalty 0) rings 0–1 s and 4–5 s; bob (penalty 1) would answer but is never called; the caller gives up at 6.5 s.
  const alice = startSipp({ scenario: uasCall({}), localPort: agentPort.alice, calls: 2, timeoutMs: 30_000, extraArgs: ["-trace_msg"] });
  const bob = startSipp({ scenario: uasCall({ status: 200, holdMs: 200 }), localPort: agentPort.bob, calls: 1, timeoutMs: 30_000, extraArgs: ["-trace_msg"] });
  const caller = await runSipp({ scenario: uacCall({ exten: "7521", from: "6001", auth: true, cancelAfterMs: 6500 }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000 });
  assert.equal(caller.code, 0, caller.errors);
  const a = await alice.done;
  assert.equal(a.code, 0, a.errors);
  bob.stop();
  const b = await bob.done;
  const lines = (await waitForLines(/tiered\|NONE\|ABANDON/)).filter((l) => l[2] === "tiered" && l[4] !== "UNPAUSE");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["PJSIP/alice", "RINGNOANSWER"], ["PJSIP/alice", "RINGNOANSWER"], ["NONE", "ABANDON"]]);
  assert.deepEqual(requestsReceived(b.dir), [], "bob (penalty 1) got no INVITE");
  const got = requestsReceived(a.dir);
  assert.deepEqual(got.map((r) => r.method), ["INVITE", "CANCEL", "INVITE", "CANCEL"]);
  const gap = got[2].at - got[1].at;
  assert.ok(gap >= 2800 && gap < 4000, `alice was rung again ${gap} ms after her ring ended (retry = 3 s)`);
});

test("Queue() of an unknown queue: a warning, QUEUESTATUS=UNKNOWN, the dialplan goes on", async () => {
  const { caller } = await call("7505", {});
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(recall.dataDir, /Unable to join queue 'nosuchqueue'/);
  await assertLogged(recall.dataDir, /QUEUESTATUS=UNKNOWN/);
});

test("console: add a member twice, remove it, remove one that is not there, set a penalty, reset stats", async () => {
  assert.match(await recall.cli("queue add member PJSIP/erin to helpdesk penalty 3 as Erin"), /Added interface 'PJSIP\/erin' to queue 'helpdesk'/);
  assert.match(await recall.cli("queue add member PJSIP/erin to helpdesk"), /Already there/);
  assert.match(await recall.cli("queue show helpdesk"), /      Erin \(PJSIP\/erin\) with penalty 3 \(ringinuse enabled\) \(dynamic\)/);
  assert.match(await recall.cli("queue set penalty 1 on PJSIP/erin in helpdesk"), /Set penalty/);
  assert.match(await recall.cli("queue show helpdesk"), /Erin \(PJSIP\/erin\) with penalty 1/);
  assert.match(await recall.cli("queue remove member PJSIP/erin from helpdesk"), /Removed interface PJSIP\/erin from queue 'helpdesk'/);
  assert.match(await recall.cli("queue remove member PJSIP/erin from helpdesk"), /Not there/);
  assert.match(await recall.cli("queue add member PJSIP/erin to nowhere"), /No such queue/);
  assert.match(await recall.cli("queue reset stats helpdesk"), /Queue stats reset successfully/);
  assert.match(await recall.cli("queue show helpdesk"), /C:0, A:0/);
});

test("the queue_log table in chDB holds the file's lines; rebuild of the file gives the same bytes; replay --verify passes", async () => {
  await waitForLines(/REMOVEMEMBER/);
  // A restart: the dynamic member comes back from the log (persistentmembers without a database), a second QUEUESTART.
  await recall.stop();
  const files = Object.fromEntries(["pjsip.conf", "extensions.conf", "queues.conf", "extensions.ael", "voicemail.conf"].map((f) => [f, readFileSync(join(recall.configDir, f), "utf8")]));
  recall = await startRecall(files, { dataDir: recall.dataDir });
  assert.match(await recall.cli("queue show billing"), /      PJSIP\/carol with penalty 2 \(ringinuse enabled\) \(dynamic\) \(Not in use\) has taken 1 calls/);
  assert.equal((await waitForLines(/QUEUESTART[^\n]*\n[^]*QUEUESTART/)).filter((l) => l[4] === "QUEUESTART").length, 2);
  const before = readFileSync(join(recall.dataDir, "queue_log"), "utf8");
  await recall.stop();
  const { stdout: rows } = await run(process.execPath, [recallBin, "query", "--data", recall.dataDir,
    "SELECT toUnixTimestamp(time), callid, queuename, agent, event, data FROM queue_log ORDER BY log_offset, log_index FORMAT TSV"]);
  assert.equal(rows.replace(/\n$/, "").split("\n").map((l) => l.split("\t").join("|")).join("\n"), before.replace(/\n$/, ""));
  await run(process.execPath, [recallBin, "rebuild", "--data", recall.dataDir, "--config", recall.configDir, "--sink", "queue_log"]);
  assert.equal(readFileSync(join(recall.dataDir, "queue_log"), "utf8"), before);
  const { stdout } = await run(process.execPath, [recallBin, "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
