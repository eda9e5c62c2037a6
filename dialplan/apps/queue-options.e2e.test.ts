/**
 * Queue options and queues.conf settings that change how members are rung, end to end:
 * a real `recall start`, a sipp caller (6001) and sipp agents at static contacts.
 * autopause (yes, all, busy, autopausedelay) as queue_log PAUSE/PAUSEALL lines and
 * `queue show`; timeoutrestart against the same queue without it; Queue()'s R (ring
 * tone heard while a member rings, music between), m(class) (heard), C (CANCELs say
 * "Call completed elsewhere"), F (the member goes on in the dialplan when the caller
 * hangs up; Dial's F too), i (a member's 302 ignored; without it followed), B and b
 * (subroutines on the caller and on each member's channel); a queue behind a Local
 * channel that lost a ring group (its members cancelled as answered elsewhere);
 * monitor-format (MixMonitor files named as app_queue names them), updatecdr (the CDR's
 * dstchannel is the member's name), setinterfacevar/setqueueentryvar/setqueuevar,
 * memberdelay and reportholdtime, timeoutpriority. Ends with a rebuild of queue_log byte
 * for byte and `recall replay --verify`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, assertLogged, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { waitForQueueLines, waitForQueueLog } from "../test-support.js";
import { runSipp, startSipp } from "../../sip/sipp/sipp.js";
import { uacCall, uasCall, type UacOptions, type UasOptions } from "../../sip/sipp/call-scenarios.js";
import { listenUlaw, rms, toneShare, wavFile } from "../../sip/sipp/audio.js";
import { tempDir } from "../../core/reap.js";

const run = promisify(execFile);
const recallBin = join(packageRoot, "bin", "recall.js");
const sample = (file: string) => readFileSync(join(packageRoot, "infra", "sample-config", file), "utf8");

let recall: RecallProcess;
let port: number;
const AGENTS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "kate"] as const;
type Agent = (typeof AGENTS)[number];
const agentPort = {} as Record<Agent, number>;

before(async () => {
  port = await freePort();
  for (const a of AGENTS) agentPort[a] = await freePort();
  const pjsip = sample("pjsip.conf").replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${port}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0") +
    "\n[agent](!)\ntype = endpoint\ncontext = from-internal\ndisallow = all\nallow = ulaw\n" +
    AGENTS.map((a) => `\n[${a}](agent)\naors = ${a}\n[${a}]\ntype = aor\ncontact = sip:${a}@127.0.0.1:${agentPort[a]}\n`).join("");
  const queues = [
    "[general]", "persistentmembers = yes", "monitor-type = MixMonitor", "updatecdr = yes", "",
    "[base](!)", "strategy = ringall", "timeout = 2", "retry = 1", "",
    "[ap](base)", "autopause = yes", "member => PJSIP/alice,0,Alice", "",
    "[apall](base)", "autopause = all", "member => PJSIP/bob,0,Bob", "",
    "[other](base)", "member => PJSIP/bob,0,Bob", "",
    "[apbusy](base)", "autopause = yes", "autopausebusy = yes", "member => PJSIP/carol,0,Carol", "",
    "[apnobusy](base)", "autopause = yes", "member => PJSIP/dave,0,Dave", "",
    "[apdelay](base)", "autopause = yes", "autopausedelay = 60", "member => PJSIP/erin,0,Erin", "",
    "[restart](base)", "strategy = linear", "timeout = 3", "retry = 5", "timeoutrestart = yes", "member => PJSIP/grace", "member => PJSIP/heidi", "",
    "[norestart](base)", "strategy = linear", "timeout = 3", "retry = 5", "member => PJSIP/grace", "member => PJSIP/heidi", "",
    "[ringq](base)", "member => PJSIP/frank,0,Frank", "",
    "[mq](base)", "member => PJSIP/erin", "",
    "[rh](base)", "timeout = 4", "memberdelay = 1", "reportholdtime = yes", "member => PJSIP/frank,0,Frank", "",
    "[tconf](base)", "timeout = 3", "timeoutpriority = conf", "member => PJSIP/grace", "[tapp](base)", "timeout = 3", "member => PJSIP/grace", "",
    "[vars](base)", "setinterfacevar = yes", "setqueueentryvar = yes", "setqueuevar = yes", "member => PJSIP/frank,3,Frank", "",
    "[ringr](base)", "strategy = linear", "timeout = 1", "retry = 2", "member => PJSIP/frank", "member => PJSIP/heidi", "",
    "[cq](base)", "timeout = 1", "member => PJSIP/frank,0,Frank", "",
    "[fwd](base)", "strategy = linear", "timeout = 5", "member => PJSIP/ivan", "member => PJSIP/judy", "",
    "[mon](base)", "monitor-format = wav", "member => PJSIP/frank,0,Frank", "",
  ].join("\n");
  const extensions = sample("extensions.conf").replace("[from-internal]\n", "[from-internal]\n" + [
    "exten => 7901,1,Queue(ap,r)", "exten => 7902,1,Queue(apall,r)", "exten => 7903,1,Queue(apbusy,r)", "exten => 7904,1,Queue(apnobusy,r)",
    "exten => 7905,1,Queue(apdelay,r)", "exten => 7906,1,Queue(restart,r)", "exten => 7907,1,Queue(norestart,r)",
    "exten => 7916,1,Queue(ringr,R)", "exten => 7917,1,Queue(mq,m(tonal))", "exten => 7911,1,Queue(cq,rC)", "exten => 7912,1,Queue(ringq,F(fgoon^s^1))",
    "exten => 7913,1,Queue(fwd)", "exten => 7914,1,Queue(fwd,i)", "exten => 7915,1,Queue(ringq,B(qsub^caller^1)b(qsub^member^1(hello)))",
    "exten => 7920,1,Set(MONITOR_FILENAME=qrec-${CALLERID(num)})\n same => n,Queue(mon)", "exten => 7921,1,Queue(mon)",
    "exten => 7950,1,Dial(PJSIP/kate)", "exten => 7951,1,Dial(PJSIP/kate)", "exten => 7936,1,Queue(fwd,r)", "exten => 7930,1,Queue(cq,r)", "exten => 7933,1,Queue(rh)",
    "exten => 7934,1,Queue(tconf,r,,,1)\n same => n,Answer()", "exten => 7935,1,Queue(tapp,r,,,1)\n same => n,NoOp(tapp QUEUESTATUS=${QUEUESTATUS})\n same => n,Answer()", "exten => 7932,1,Queue(vars,c,,,,,varsub)\n same => n,NoOp(caller sees ${MEMBERINTERFACE} ${MEMBERNAME} calls=${MEMBERCALLS} pos=${QEORIGINALPOS} held=${QEHOLDTIME} completed=${QUEUECOMPLETED} of ${QUEUENAME})\n same => n,Set(x=${QUEUE_VARIABLES(restart)})\n same => n,NoOp(QUEUE_VARIABLES: ${QUEUESTRATEGY} completed=${QUEUECOMPLETED})", "exten => 7931,1,Dial(Local/7930@from-internal&PJSIP/judy)", "exten => 7918,1,Dial(PJSIP/frank,,F(fgoon^dial^1))",
  ].map((l) => `${l}\n same => n,Hangup()\n`).join(""));
  const contexts = "\n[fgoon]\nexten => s,1,NoOp(F: ${CHANNEL} went on after ${CALLERID(num)} hung up)\n same => n,Wait(1)\n same => n,Hangup()\n" +
    "exten => dial,1,NoOp(Dial F: ${CHANNEL} went on)\n same => n,Hangup()\n" +
    "\n[varsub]\nexten => s,1,NoOp(member sees ${MEMBERNAME} penalty=${MEMBERPENALTY} dynamic=${MEMBERDYNAMIC} pos=${QEORIGINALPOS} completed=${QUEUECOMPLETED} in ${QUEUENAME})\n same => n,Return()\n" +
    "\n[qsub]\nexten => caller,1,NoOp(B on ${CHANNEL})\n same => n,Return()\nexten => member,1,NoOp(b on ${CHANNEL} with ${ARG1})\n same => n,Return()\n";
  // Music on hold: a few of Asterisk's prompts (speech is never the ring tone's 440 + 480 Hz).
  const moh = tempDir("recall-moh-");
  for (const f of ["agent-loginok", "queue-thankyou", "queue-callswaiting"]) copyFileSync(`/usr/share/asterisk/sounds/en/${f}.wav`, join(moh, `${f}.wav`));
  // A second class for Queue()'s m(class): one second of 600 Hz.
  const tonal = tempDir("recall-moh-");
  writeFileSync(join(tonal, "tone.wav"), wavFile(Int16Array.from({ length: 8000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 600 * i) / 8000)))));
  recall = await startRecall({
    "pjsip.conf": pjsip, "extensions.conf": extensions + contexts, "queues.conf": queues,
    "musiconhold.conf": `[default]\nmode = files\ndirectory = ${moh}\n\n[tonal]\nmode = files\ndirectory = ${tonal}\n`,
  });
});
after(async () => { await recall?.stop(); });

const credentials = "SEQUENTIAL\n6001;reception-6001\n";

/**
 * 6001 calls `exten` while each named agent's phone behaves as given (`calls`: how many
 * calls it takes; `stop`: it may get fewer, stop it once the caller is done).
 */
type Phone = UasOptions & { calls?: number; stop?: boolean };
async function call(exten: string, agents: Partial<Record<Agent, Phone>>, expect: Partial<UacOptions> = {}, callerTrace = false) {
  const phones = Object.entries(agents).map(([a, o]) => ({
    a, p: startSipp({ scenario: uasCall(o!), localPort: agentPort[a as Agent], calls: o!.calls ?? 1, timeoutMs: 30_000, extraArgs: ["-trace_msg"] }),
  }));
  const caller = await runSipp({
    scenario: uacCall({ exten, from: "6001", auth: true, ...expect }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000,
    ...(callerTrace ? { extraArgs: ["-trace_msg"] } : {}),
  });
  const called: Record<string, { code: number | null; errors: string; dir: string }> = {};
  for (const { a, p } of phones) {
    if (agents[a as Agent]!.stop) p.stop();
    called[a] = await p.done;
  }
  return { caller, called };
}

const waitForLines = (pattern: RegExp, timeoutMs?: number) => waitForQueueLog(recall.dataDir, pattern, timeoutMs);

/** The messages a sipp received (first line, whole text, ms since the epoch), from its -trace_msg log. */
function received(dir: string): { first: string; text: string; at: number }[] {
  const file = readdirSync(dir).find((f) => f.endsWith("_messages.log"));
  if (!file) return [];
  const out: { first: string; text: string; at: number }[] = [];
  for (const chunk of readFileSync(join(dir, file), "utf8").split(/^-{20,} /m).slice(1)) {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\d*\r?\n\w+ message received \[\d+\] bytes :\r?\n\r?\n([^\r\n]+)/.exec(chunk);
    if (m) out.push({ first: m[3], text: chunk, at: Date.parse(`${m[1]}T${m[2]}Z`) });
  }
  return out;
}

const lastCall = (queue: string, lines: string[][]) => {
  const id = lines.filter((l) => l[2] === queue && l[4] === "ENTERQUEUE").at(-1)![1];
  return lines.filter((l) => l[1] === id || (l[1] === "NONE" && l[4].includes("PAUSE")));
};

test("autopause = yes: a member who does not answer is paused in the queue with reason Auto-Pause (queue_log PAUSE, queue show)", async () => {
  const { caller, called } = await call("7901", { alice: {} }, { cancelAfterMs: 2600 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called.alice.code, 0, called.alice.errors);
  const lines = (await waitForLines(/ap\|NONE\|ABANDON/)).filter((l) => l[2] === "ap");
  assert.deepEqual(lines.map((l) => [l[1] === "NONE" ? "NONE" : "call", l[3], l[4], l[5]]), [
    ["call", "NONE", "ENTERQUEUE", ""], ["call", "Alice", "RINGNOANSWER", lines[1][5]], ["NONE", "Alice", "PAUSE", "Auto-Pause"], ["call", "NONE", "ABANDON", "1"],
  ]);
  assert.ok(Number(lines[1][5]) >= 1900, `rang ${lines[1][5]} ms (timeout = 2)`);
  assert.match(await recall.cli("queue show ap"), /Alice \(PJSIP\/alice\) \(ringinuse enabled\) \(paused:Auto-Pause was \d+ secs ago\)/);
  await assertLogged(recall.dataDir, /Auto-Pausing Queue Member PJSIP\/alice in queue ap since they failed to answer\./);
});

test("autopause = all: PAUSEALL (with the reason) first, then a PAUSE in every queue the member is in", async () => {
  const { caller } = await call("7902", { bob: {} }, { cancelAfterMs: 2600 });
  assert.equal(caller.code, 0, caller.errors);
  const lines = (await waitForLines(/apall\|NONE\|ABANDON/)).filter((l) => l[3] === "Bob" && l[4].includes("PAUSE"));
  assert.deepEqual(lines[0].slice(1), ["NONE", "NONE", "Bob", "PAUSEALL", "Auto-Pause"]);
  assert.deepEqual(lines.slice(1).map((l) => `${l[1]}|${l[2]}|${l[4]}|${l[5]}`).sort(), ["NONE|apall|PAUSE|Auto-Pause", "NONE|other|PAUSE|Auto-Pause"]);
  assert.match(await recall.cli("queue show other"), /Bob \(PJSIP\/bob\) \(ringinuse enabled\) \(paused:Auto-Pause/);
  await assertLogged(recall.dataDir, /Auto-Pausing Queue Member PJSIP\/bob in all queues since they failed to answer on queue apall\./);
});

test("autopausebusy: a busy member is paused only where autopausebusy = yes", async () => {
  const busy = await call("7903", { carol: { status: 486 } }, { cancelAfterMs: 1500 });
  assert.equal(busy.caller.code, 0, busy.caller.errors);
  assert.equal(busy.called.carol.code, 0, busy.called.carol.errors);
  const lines = lastCall("apbusy", await waitForLines(/apbusy\|NONE\|ABANDON/)).filter((l) => l[2] === "apbusy");
  assert.deepEqual(lines.map((l) => [l[3], l[4], l[5]]).slice(1, 3), [["Carol", "RINGNOANSWER", lines[1][5]], ["Carol", "PAUSE", "Auto-Pause"]]);
  const notPaused = await call("7904", { dave: { status: 486, calls: 2, stop: true } }, { cancelAfterMs: 1500 });
  assert.equal(notPaused.caller.code, 0, notPaused.caller.errors);
  const dave = (await waitForLines(/apnobusy\|NONE\|ABANDON/)).filter((l) => l[2] === "apnobusy");
  assert.ok(dave.filter((l) => l[4] === "RINGNOANSWER").length >= 1);
  assert.deepEqual(dave.filter((l) => l[4] === "PAUSE"), [], "dave was busy but autopausebusy is off");
  assert.doesNotMatch(await recall.cli("queue show apnobusy"), /paused/);
});

test("autopausedelay: a member who took a call less than autopausedelay seconds ago is not paused when it does not answer", async () => {
  const first = await call("7905", { erin: { status: 200, ringMs: 200, holdMs: 300 } });
  assert.equal(first.caller.code, 0, first.caller.errors);
  await waitForLines(/apdelay\|Erin\|COMPLETEAGENT/);
  const second = await call("7905", { erin: {} }, { cancelAfterMs: 2600 });
  assert.equal(second.caller.code, 0, second.caller.errors);
  const lines = lastCall("apdelay", await waitForLines(/apdelay\|NONE\|ABANDON/)).filter((l) => l[2] === "apdelay");
  assert.deepEqual(lines.map((l) => l[4]), ["ENTERQUEUE", "RINGNOANSWER", "ABANDON"]);
  assert.doesNotMatch(await recall.cli("queue show apdelay"), /paused/);
});

test("timeoutrestart: a member busy late in the try gives the next one a whole timeout; without it the try ends", async () => {
  // timeout 3: grace rings 2.6 s, then 486; 0.4 s would be left for heidi, who answers after 1.5 s.
  const restarted = await call("7906", { grace: { status: 486, ringMs: 2600 }, heidi: { status: 200, ringMs: 1500, holdMs: 300 } });
  assert.equal(restarted.caller.code, 0, restarted.caller.errors);
  assert.equal(restarted.called.heidi.code, 0, restarted.called.heidi.errors);
  const lines = lastCall("restart", await waitForLines(/restart\|PJSIP\/heidi\|COMPLETEAGENT/)).filter((l) => l[2] === "restart");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["PJSIP/grace", "RINGNOANSWER"], ["PJSIP/heidi", "CONNECT"], ["PJSIP/heidi", "COMPLETEAGENT"]]);
  const invite = received(restarted.called.heidi.dir).find((m) => m.first.startsWith("INVITE"))!;
  const busyAt = received(restarted.called.grace.dir).find((m) => m.first.startsWith("ACK"))!.at;
  assert.ok(invite.at - busyAt < 500, `heidi rung ${invite.at - busyAt} ms after grace was busy`);
  // The same queue without timeoutrestart: after grace's 486 too little is left; heidi waits for the retry (5 s), the caller gives up first.
  const plain = await call("7907", { grace: { status: 486, ringMs: 2600 }, heidi: { status: 200, ringMs: 1500, holdMs: 300, stop: true } }, { cancelAfterMs: 4500 });
  assert.equal(plain.caller.code, 0, plain.caller.errors);
  const noRestart = lastCall("norestart", await waitForLines(/norestart\|NONE\|ABANDON/)).filter((l) => l[2] === "norestart");
  assert.deepEqual(noRestart.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["PJSIP/grace", "RINGNOANSWER"], ["NONE", "ABANDON"]]);
  assert.deepEqual(received(plain.called.heidi.dir), [], "heidi was never rung");
});

test("R: music while nobody rings, ringing (in band, after the music's 183) while a member rings, music again after", async () => {
  // linear, timeout 1, retry 2: frank rings 0–1 s and is cancelled, music for 2 s, heidi rings 3–3.6 s and answers.
  const audio = await listenUlaw(), frames = audio.frames;
  let result;
  try {
    result = await call("7916", { frank: {}, heidi: { status: 200, ringMs: 600, holdMs: 300 } }, { mediaPort: audio.port }, true);
  } finally {
    audio.close();
  }
  const { caller, called } = result;
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called.heidi.code, 0, called.heidi.errors);
  const got = received(caller.dir).map((m) => m.first.replace(/^SIP\/2\.0 (\d+).*/, "$1"));
  assert.ok(got.includes("183") && !got.includes("180"), `the caller got ${got.join(", ")}: ringing after the 183 is in band, as chan_pjsip does`);
  const frank = received(called.frank.dir), heidi = received(called.heidi.dir);
  const at = (msgs: typeof frank, first: string) => msgs.find((m) => m.first.startsWith(first))!.at;
  /** The share of the frames received between two moments that carry the ring tone (440 + 480 Hz). */
  const between = (from: number, to: number) => {
    const inside = frames.filter((f) => f.at >= from && f.at <= to);
    assert.ok(inside.length >= 10, `${inside.length} frames between ${from} and ${to}`);
    return inside;
  };
  const ringTone = (fs: typeof frames) => fs.filter((f) => toneShare(f.pcm, 440) > 0.3 && toneShare(f.pcm, 480) > 0.3).length / fs.length;
  const frankRings = ringTone(between(at(frank, "INVITE") + 200, at(frank, "CANCEL") - 50));
  const music = between(at(frank, "CANCEL") + 300, at(heidi, "INVITE") - 100);
  const heidiRings = ringTone(between(at(heidi, "INVITE") + 150, at(heidi, "INVITE") + 550));
  assert.ok(frankRings > 0.8 && heidiRings > 0.8, `ring tone while frank (${frankRings}) and heidi (${heidiRings}) ring`);
  const loud = music.filter((f) => rms(f.pcm) > 100).length / music.length;
  assert.ok(ringTone(music) < 0.1 && loud > 0.3, `music, not the ring tone, between the tries (ring tone ${ringTone(music)}, sound in ${loud})`);
  const lines = lastCall("ringr", await waitForLines(/ringr\|PJSIP\/heidi\|COMPLETEAGENT/)).filter((l) => l[2] === "ringr");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["PJSIP/frank", "RINGNOANSWER"], ["PJSIP/heidi", "CONNECT"], ["PJSIP/heidi", "COMPLETEAGENT"]]);
});

test("m(class): the caller waits to Queue()'s music class instead of the queue's", async () => {
  const audio = await listenUlaw(), frames = audio.frames;
  let result;
  try {
    result = await call("7917", { erin: { status: 200, ringMs: 1500, holdMs: 300 } }, { mediaPort: audio.port });
  } finally {
    audio.close();
  }
  assert.equal(result.caller.code, 0, result.caller.errors);
  const invite = received(result.called.erin.dir).find((m) => m.first.startsWith("INVITE"))!.at;
  const waiting = frames.filter((f) => f.at >= invite + 100 && f.at <= invite + 1300);
  assert.ok(waiting.length >= 20, `${waiting.length} frames while erin rang`);
  const tonal = waiting.filter((f) => toneShare(f.pcm, 600) > 0.8).length / waiting.length;
  assert.ok(tonal > 0.8, `${tonal} of the frames are class tonal's 600 Hz`);
});

test("C: every CANCEL to a member (the ring timeout and the caller hanging up) says the call was completed elsewhere", async () => {
  // timeout 1, retry 1: frank rings 0–1 s (timeout), again from 2 s; the caller hangs up at 2.5 s.
  const { caller, called } = await call("7911", { frank: { calls: 2, stop: true } }, { cancelAfterMs: 2500 });
  assert.equal(caller.code, 0, caller.errors);
  const cancels = received(called.frank.dir).filter((m) => m.first.startsWith("CANCEL"));
  assert.equal(cancels.length, 2);
  for (const c of cancels) assert.match(c.text, /^Reason: SIP;cause=200;text="Call completed elsewhere"/m);
});

test("a queue reached through a Local channel that lost a ring group: its members are cancelled as answered elsewhere too (no C needed)", async () => {
  const { caller, called } = await call("7931", { frank: { stop: true }, judy: { status: 200, ringMs: 400, holdMs: 300 } });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called.judy.code, 0, called.judy.errors);
  const cancels = received(called.frank.dir).filter((m) => m.first.startsWith("CANCEL"));
  assert.equal(cancels.length, 1);
  assert.match(cancels[0].text, /^Reason: SIP;cause=200;text="Call completed elsewhere"/m);
});

test("F: when the caller hangs up, the member goes on in the dialplan there instead of being hung up", async () => {
  const { caller, called } = await call("7912", { frank: { status: 200 } }, { holdMs: 800 }, true);
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called.frank.code, 0, called.frank.errors);
  await assertLogged(recall.dataDir, /F: PJSIP\/frank-[0-9a-f]+ went on after 6001 hung up/);
  const bye = received(called.frank.dir).find((m) => m.first.startsWith("BYE"))!.at;
  const callerBye = received(caller.dir).filter((m) => m.first.startsWith("SIP/2.0 200")).at(-1)!.at;
  assert.ok(bye - callerBye >= 900, `frank got BYE ${bye - callerBye} ms after the caller left (Wait(1) in fgoon)`);
  const lines = lastCall("ringq", await waitForLines(/ringq\|Frank\|COMPLETECALLER/)).filter((l) => l[2] === "ringq");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["Frank", "CONNECT"], ["Frank", "COMPLETECALLER"]]);
});

test("Dial's F: the called party goes on there when the caller hangs up", async () => {
  const { caller, called } = await call("7918", { frank: { status: 200 } }, { holdMs: 500 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called.frank.code, 0, called.frank.errors);
  await assertLogged(recall.dataDir, /Dial F: PJSIP\/frank-[0-9a-f]+ went on/);
});

test("call forwarding: a member's 302 is followed (Local/exten@context, the member's CONNECT) and ignored with i (the next member rings at the next try)", async () => {
  const forward = { status: 302, contact: "sip:7950@127.0.0.1" };
  const followed = await call("7913", { ivan: forward, kate: { status: 200, ringMs: 200, holdMs: 300 } });
  assert.equal(followed.caller.code, 0, followed.caller.errors);
  assert.equal(followed.called.kate.code, 0, followed.called.kate.errors);
  await assertLogged(recall.dataDir, /Now forwarding PJSIP\/6001-[0-9a-f]+ to 'Local\/7950@from-internal' \(thanks to PJSIP\/ivan-[0-9a-f]+\)/);
  const lines = lastCall("fwd", await waitForLines(/fwd\|PJSIP\/ivan\|COMPLETEAGENT/)).filter((l) => l[2] === "fwd");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["PJSIP/ivan", "CONNECT"], ["PJSIP/ivan", "COMPLETEAGENT"]]);
  const ignored = await call("7914", { ivan: forward, judy: { status: 200, ringMs: 200, holdMs: 300 }, kate: { status: 200, stop: true } });
  assert.equal(ignored.caller.code, 0, ignored.caller.errors);
  await assertLogged(recall.dataDir, /Forwarding PJSIP\/6001-[0-9a-f]+ to '7950' prevented\./);
  const second = lastCall("fwd", await waitForLines(/fwd\|PJSIP\/judy\|COMPLETEAGENT/)).filter((l) => l[2] === "fwd");
  // As app_queue: the member who asked is hung up with no RINGNOANSWER, the try ends, the next member rings after `retry`.
  assert.deepEqual(second.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["PJSIP/judy", "CONNECT"], ["PJSIP/judy", "COMPLETEAGENT"]]);
  const judyRang = received(ignored.called.judy.dir).find((m) => m.first.startsWith("INVITE"))!.at;
  const ivanDone = received(ignored.called.ivan.dir).find((m) => m.first.startsWith("ACK"))!.at;
  assert.ok(judyRang - ivanDone >= 900, `judy rang ${judyRang - ivanDone} ms after ivan's 302 (retry = 1 s)`);
  assert.deepEqual(received(ignored.called.kate.dir), [], "the forward target got no call");
});

test("setinterfacevar, setqueueentryvar, setqueuevar: MEMBER*, QE* and QUEUE* on the member when it connects and on the caller, QUEUE* again as it leaves", async () => {
  const { caller } = await call("7932", { frank: { status: 200, ringMs: 1100, holdMs: 300 } });
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(recall.dataDir, /member sees Frank penalty=3 dynamic=0 pos=1 completed=\d+ in vars/);
  await assertLogged(recall.dataDir, /caller sees PJSIP\/frank Frank calls=0 pos=1 held=1 completed=1 of vars/);
  await assertLogged(recall.dataDir, /QUEUE_VARIABLES: linear completed=\d+/);
});

test("memberdelay and reportholdtime: the member waits a second, then hears how long the caller held (1 s delay + 2 s ringing: 3 seconds), before the bridge", async () => {
  const { caller, called } = await call("7933", { frank: { status: 200, ringMs: 2100, holdMs: 4500 } }, {}, true);
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called.frank.code, 0, called.frank.errors);
  await assertLogged(recall.dataDir, /Delaying member connect for 1 seconds/);
  await assertLogged(recall.dataDir, /Queue 'rh': PJSIP\/frank-[0-9a-f]+ heard queue-reporthold&digits\/3&queue-seconds \(SUCCESS\)/);
  const frankAnswered = received(called.frank.dir).find((m) => m.first.startsWith("ACK"))!.at;
  const callerAnswered = received(caller.dir).find((m) => m.first.startsWith("SIP/2.0 200"))!.at;
  assert.ok(callerAnswered - frankAnswered >= 1500, `the caller was connected ${callerAnswered - frankAnswered} ms after frank answered (1 s delay, then the report)`);
  const lines = lastCall("rh", await waitForLines(/rh\|Frank\|COMPLETEAGENT/)).filter((l) => l[2] === "rh");
  assert.deepEqual(lines.map((l) => [l[3], l[4]]), [["NONE", "ENTERQUEUE"], ["Frank", "CONNECT"], ["Frank", "COMPLETEAGENT"]]);
});

test("timeoutpriority: with conf a member rings its whole timeout past Queue()'s; with app (the default) Queue()'s timeout cuts the ring", async () => {
  const conf = await call("7934", { grace: { status: 200, ringMs: 2000, holdMs: 300 } });
  assert.equal(conf.caller.code, 0, conf.caller.errors);
  assert.equal(conf.called.grace.code, 0, conf.called.grace.errors);
  assert.deepEqual(lastCall("tconf", await waitForLines(/tconf\|PJSIP\/grace\|COMPLETEAGENT/)).filter((l) => l[2] === "tconf").map((l) => l[4]),
    ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]);
  const app = await call("7935", { grace: {} });
  assert.equal(app.caller.code, 0, app.caller.errors);
  await assertLogged(recall.dataDir, /tapp QUEUESTATUS=TIMEOUT/);
  const lines = lastCall("tapp", await waitForLines(/tapp\|NONE\|EXITWITHTIMEOUT/)).filter((l) => l[2] === "tapp");
  assert.deepEqual(lines.map((l) => l[4]), ["ENTERQUEUE", "RINGNOANSWER", "EXITWITHTIMEOUT"]);
  assert.ok(Number(lines[1][5]) < 1500, `grace rang ${lines[1][5]} ms (Queue()'s timeout 1 s)`);
});

test("a forwarding loop (a phone forwarding to itself) stops after 20 Local channels with a warning; the caller stays in the queue", async () => {
  const loop = { status: 302, contact: "sip:7951@127.0.0.1", calls: 40, stop: true };
  const { caller, called } = await call("7936", { ivan: { status: 302, contact: "sip:7951@127.0.0.1" }, kate: loop, judy: { stop: true } }, { cancelAfterMs: 4000 });
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(recall.dataDir, /Forwarding Local\/7951@from-internal-[0-9a-f]+;2 to '7951' refused: the call has gone through 20 Local channels/);
  const invites = received(called.kate.dir).filter((m) => m.first.startsWith("INVITE")).length;
  assert.ok(invites >= 19 && invites <= 21, `kate was called ${invites} times`);
  const lines = lastCall("fwd", await waitForLines(/fwd\|NONE\|ABANDON/)).filter((l) => l[2] === "fwd");
  assert.deepEqual([lines[0][4], lines.at(-1)![4]], ["ENTERQUEUE", "ABANDON"]);
});

test("B and b: a subroutine on the caller before it joins, and on each member's channel before it is called", async () => {
  const { caller } = await call("7915", { frank: { status: 200, ringMs: 100, holdMs: 300 } });
  assert.equal(caller.code, 0, caller.errors);
  await assertLogged(recall.dataDir, /B on PJSIP\/6001-[0-9a-f]+/);
  await assertLogged(recall.dataDir, /b on PJSIP\/frank-[0-9a-f]+ with hello/);
});

test("monitor-format: the bridged call is recorded as MONITOR_FILENAME.wav, else as the caller's uniqueid", async () => {
  for (const exten of ["7920", "7921"]) {
    const { caller } = await call(exten, { frank: { status: 200, ringMs: 100, holdMs: 1000 } });
    assert.equal(caller.code, 0, caller.errors);
  }
  const lines = await waitForQueueLines(recall.dataDir, (all) => all.filter((l) => l[2] === "mon" && l[4] === "COMPLETEAGENT").length >= 2);
  const second = lines.filter((l) => l[2] === "mon" && l[4] === "ENTERQUEUE").at(-1)![1];
  for (const name of ["qrec-6001.wav", `${second}.wav`]) {
    const file = join(recall.dataDir, "monitor", name);
    for (let polls = 30; polls > 0 && !existsSync(file); polls--) await new Promise((r) => setTimeout(r, 100));
    const wav = readFileSync(file);
    assert.equal(wav.subarray(0, 4).toString(), "RIFF");
    assert.ok(wav.length > 44 + 8000, `${name}: ${wav.length} bytes for about a second of talk`);
  }
});

test("rebuild gives queue_log byte for byte; updatecdr names the member in the caller's CDR; replay --verify passes", async () => {
  const before = readFileSync(join(recall.dataDir, "queue_log"), "utf8");
  await recall.stop();
  await run(process.execPath, [recallBin, "rebuild", "--data", recall.dataDir, "--config", recall.configDir, "--sink", "queue_log"]);
  assert.equal(readFileSync(join(recall.dataDir, "queue_log"), "utf8"), before);
  const { stdout: rows } = await run(process.execPath, [recallBin, "query", "--data", recall.dataDir,
    "SELECT dst, dstchannel FROM cdr WHERE channel LIKE 'PJSIP/6001-%' AND disposition = 'ANSWERED' AND dst IN ('7920', '7913') ORDER BY start FORMAT TSV"]);
  assert.deepEqual(rows.trim().split("\n").map((l) => l.split("\t")), [["7913", "PJSIP/ivan"], ["7920", "Frank"]]);
  const { stdout } = await run(process.execPath, [recallBin, "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
