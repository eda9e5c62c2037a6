/**
 * Media that follows the call when the phones talk directly (`direct_media = yes`, the
 * default): a real `recall start`, sipp phones 6001 (A), 6002 (B, 6005 for B's second
 * line) and 6003 (C), and the test's own UDP sockets as the phones' RTP ports (named in
 * their SDP). After a blind or attended REFER the parties now together get re-INVITEs
 * naming each other's media and the test's RTP crosses between their sockets; an
 * application that needs a direct leg's audio re-INVITEs it to Recall first (Playback
 * after Dial's g, MixMonitor in Dial's U() on the called leg); a phone's own re-INVITE is
 * answered from its media session when Recall carries its media (hold) and relayed to
 * the other phone when not. Then `recall replay --verify` on the whole log.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, messages, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { phoneCredentials, phonesPjsip } from "./test-phones.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { startSipp, type SippResult } from "../sipp/sipp.js";
import { uasCall } from "../sipp/call-scenarios.js";
import { uacSecondLine, uasRefer } from "../sipp/transfer-scenarios.js";
import { holdingCaller, loggedSdps, reinvitedCallee, reinvitedCaller, transferringCaller, type LoggedSdp } from "../sipp/reinvite-scenarios.js";
import { buildRtp, parseRtp } from "../../media-workers/rtp.js";
import { parseWav, wavHeader } from "../../media-workers/wav.js";
import { tempDir } from "../../core/reap.js";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let recall: RecallProcess;
let port: number, phoneA: number, phoneB: number, phoneB2: number, phoneC: number, phoneD: number;
const credentials = phoneCredentials;
const tmp = tempDir("recall-direct-media-");

/** A phone's RTP port: sends µ-law packets, keeps who sent what. */
class Rtp {
  readonly sock: Socket = createSocket("udp4");
  readonly got: { pt: number; from: number; payload: Buffer }[] = [];
  port = 0;
  private seq = 0;
  async bind(): Promise<this> {
    this.sock.on("message", (m, r) => {
      const h = parseRtp(m);
      if (h) this.got.push({ pt: h.payloadType, from: r.port, payload: Buffer.from(m.subarray(h.payloadOffset, h.payloadEnd)) });
    });
    await new Promise<void>((r) => this.sock.bind(0, "127.0.0.1", () => r()));
    this.port = this.sock.address().port;
    return this;
  }
  /** `frames` packets of 160 bytes of `byte`, 20 ms apart. */
  async stream(to: number, frames: number, byte: number): Promise<void> {
    for (let f = 0; f < frames; f++) {
      this.seq++;
      this.sock.send(buildRtp(0, f === 0, this.seq, this.seq * 160, 0x4242, Buffer.alloc(160, byte)), to, "127.0.0.1");
      await sleep(20);
    }
  }
  from(port: number): number { return this.got.filter((g) => g.from === port && g.pt === 0).length; }
  close(): void { this.sock.close(); }
}

before(async () => {
  [port, phoneA, phoneB, phoneB2, phoneC, phoneD] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  // direct_media is left at its default (yes) but for 6004.
  const pjsip = phonesPjsip(port, { context: "phones" }, [
    { name: "6001", port: phoneA }, { name: "6002", port: phoneB }, { name: "6003", port: phoneC }, { name: "6005", port: phoneB2 },
    { name: "6004", port: phoneD, extra: "direct_media = no" }, { name: "6006", port: phoneA, extra: "dtmf_mode = info" },
  ]);
  const extensions = `
[phones]
exten => _600X,1,Dial(PJSIP/\${EXTEN},20)
 same => n,Hangup()
exten => 7001,1,Dial(PJSIP/6002,20,g)
 same => n,Playback(hello-world)
 same => n,Hangup()
exten => 7002,1,Dial(PJSIP/6002,20,U(record))
 same => n,Hangup()
exten => 7003,1,Dial(PJSIP/6002,20,T)
 same => n,Hangup()
exten => 7004,1,Dial(PJSIP/6002,20,t)
 same => n,Hangup()
[record]
exten => s,1,MixMonitor(direct-\${UNIQUEID}.wav)
 same => n,Verbose(1,Recording \${CHANNEL} to \${MIXMONITOR_FILENAME})
 same => n,Return()
`;
  // Music on hold: one second of 600 Hz.
  const moh = mkdtempSync(join(tmp, "moh-"));
  const tone = Buffer.alloc(16000);
  for (let i = 0; i < 8000; i++) tone.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 600 * i) / 8000)), 2 * i);
  writeFileSync(join(moh, "tone.wav"), Buffer.concat([wavHeader(16000), tone]));
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": extensions, "musiconhold.conf": `[default]\nmode = files\ndirectory = ${moh}\n` });
});
after(async () => { await recall?.stop(); });

const ok = (r: SippResult, who: string) => assert.equal(r.code, 0, `${who}: ${r.errors || r.stdout.slice(-2000)}`);
const logOf = (name: string) => join(mkdtempSync(join(tmp, `${name}-`)), "log.txt");
const traced = (log: string) => ["-trace_logs", "-log_file", log];
const read = (log: string) => (existsSync(log) ? readFileSync(log, "utf8") : "");

/** The SDPs a sipp log holds under `tag`, once there are `count` of them. */
async function sdps(log: string, tag: Parameters<typeof loggedSdps>[1], count = 1, timeoutMs = 15_000): Promise<LoggedSdp[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = loggedSdps(read(log), tag);
    if (found.length >= count) return found;
    if (Date.now() > until) throw new Error(`${found.length} of ${count} ${tag} lines in ${log}:\n${read(log)}`);
    await sleep(25);
  }
}

/** A calls `exten` (as 6001, digest auth) with `rtp` as its media port. */
function callA(exten: string, rtp: Rtp, o: { reinvites: number; holdMs?: number; logAnswer?: boolean }) {
  const log = logOf("a");
  const sipp = startSipp({
    scenario: reinvitedCaller({ exten, from: "6001", auth: true, mediaPort: rtp.port, ...o }), target: `127.0.0.1:${port}`, localPort: phoneA,
    calls: 1, inject: credentials("6001"), timeoutMs: 30_000, extraArgs: traced(log),
  });
  return { done: sipp.done, log };
}

test("blind REFER between direct-media phones: C is offered A's media, A is re-INVITEd to C's, and A's RTP reaches C", async () => {
  const a = await new Rtp().bind(), c = await new Rtp().bind();
  try {
    const cLog = logOf("c");
    const b = startSipp({ scenario: uasRefer({ referTo: `sip:6003@127.0.0.1:${port}`, afterMs: 300, outcome: { notify: "200 OK" } }), localPort: phoneB, calls: 1, timeoutMs: 30_000 });
    const cs = startSipp({ scenario: reinvitedCallee({ status: 200, ringMs: 100, mediaPort: c.port, reinvites: 0 }), localPort: phoneC, calls: 1, timeoutMs: 30_000, extraArgs: traced(cLog) });
    const call = callA("6002", a, { reinvites: 1, holdMs: 1500 });
    const [offerC] = await sdps(cLog, "OFFER");
    assert.equal(offerC.port, a.port, "C's INVITE names A's media port: A's offer goes on to C");
    const [reinviteA] = await sdps(call.log, "REINVITE");
    assert.deepEqual([reinviteA.address, reinviteA.port], ["127.0.0.1", c.port], "A's re-INVITE names C's media address");
    // A first got B's SDP (o=sipp 1 1): the same session, its version incremented.
    assert.deepEqual([reinviteA.user, reinviteA.session, reinviteA.version], ["sipp", "1", 2]);
    await a.stream(reinviteA.port, 25, 0x55);
    await sleep(100);
    assert.ok(c.from(a.port) >= 20, `A's RTP reached C's socket directly: ${c.from(a.port)} packets of 25`);
    ok(await call.done, "A"); ok(await b.done, "B"); ok(await cs.done, "C");
  } finally { a.close(); c.close(); }
});

test("attended REFER between direct-media phones: A and C are each re-INVITEd to the other's media, RTP crosses both ways", async () => {
  const a = await new Rtp().bind(), c = await new Rtp().bind();
  try {
    const line1Log = logOf("b1"), line2Log = logOf("b2"), cLog = logOf("c");
    const b = startSipp({
      scenario: uasRefer({ referTo: `sip:6003@127.0.0.1:${port}?Replaces=[$replaces]`, replacesFromMessage: true, outcome: { notify: "200 OK" } }),
      localPort: phoneB, calls: 1, timeoutMs: 30_000, extraArgs: traced(line1Log),
    });
    const cs = startSipp({ scenario: reinvitedCallee({ status: 200, holdMs: 2500, mediaPort: c.port, reinvites: 1 }), localPort: phoneC, calls: 1, timeoutMs: 30_000, extraArgs: traced(cLog) });
    const call = callA("6002", a, { reinvites: 1 });
    const callId = await logged(line1Log, /CALLID (\S+)/);
    const b2 = startSipp({
      scenario: uacSecondLine({ exten: "6003", from: "6005" }), target: `127.0.0.1:${port}`, localPort: phoneB2, calls: 1,
      inject: credentials("6005"), timeoutMs: 30_000, extraArgs: traced(line2Log),
    });
    const [, dialogId, toTag, fromTag] = await loggedMatch(line2Log, /DIALOG (\S+) (\S+) (\S+)/);
    tellReplaces(callId, encodeURIComponent(`${dialogId};to-tag=${toTag};from-tag=${fromTag}`));
    const [[reinviteA], [reinviteC]] = await Promise.all([sdps(call.log, "REINVITE"), sdps(cLog, "REINVITE")]);
    assert.equal(reinviteA.port, c.port, "A's re-INVITE names C's media port");
    assert.equal(reinviteC.port, a.port, "C's re-INVITE names A's media port");
    // Each phone keeps its view of the session: A had B's (o=sipp 1 1), C had B2's line (o=sipp 1 1).
    assert.deepEqual([reinviteA.version, reinviteC.version], [2, 2]);
    await Promise.all([a.stream(c.port, 25, 0x55), c.stream(a.port, 25, 0x66)]);
    await sleep(100);
    assert.ok(c.from(a.port) >= 20, `A → C: ${c.from(a.port)} packets`);
    assert.ok(a.from(c.port) >= 20, `C → A: ${a.from(c.port)} packets`);
    ok(await call.done, "A"); ok(await b.done, "B line 1"); ok(await b2.done, "B line 2"); ok(await cs.done, "C");
  } finally { a.close(); c.close(); }
});

test("Playback after Dial's g on a direct-media caller: A is re-INVITEd to Recall's port and hears the prompt from there", async () => {
  const a = await new Rtp().bind();
  try {
    const b = startSipp({ scenario: uasCall({ status: 200, ringMs: 100, holdMs: 400 }), localPort: phoneB, calls: 1, timeoutMs: 30_000 });
    const call = callA("7001", a, { reinvites: 1, logAnswer: true });
    const [answer] = await sdps(call.log, "ANSWER");
    assert.notEqual(answer.port, a.port);
    ok(await b.done, "B");
    const [reinvite] = await sdps(call.log, "REINVITE");
    ok(await call.done, "A"); // Recall hangs up after the prompt
    assert.deepEqual([reinvite.user, reinvite.session, reinvite.version], [answer.user, answer.session, answer.version + 1], "the session A was answered with, next version");
    const prompt = a.from(reinvite.port);
    assert.ok(prompt >= 50, `hello-world reached A from Recall's port ${reinvite.port}: ${prompt} packets`);
  } finally { a.close(); }
});

test("MixMonitor in Dial's U() on a direct-media called leg: B is re-INVITEd to Recall, A is answered by Recall, the call is bridged and recorded", async () => {
  const a = await new Rtp().bind(), bRtp = await new Rtp().bind();
  try {
    const bLog = logOf("b");
    const b = startSipp({ scenario: reinvitedCallee({ status: 200, ringMs: 100, holdMs: 2000, mediaPort: bRtp.port, reinvites: 1 }), localPort: phoneB, calls: 1, timeoutMs: 30_000, extraArgs: traced(bLog) });
    const call = callA("7002", a, { reinvites: 0, logAnswer: true });
    const [offerB] = await sdps(bLog, "OFFER");
    assert.equal(offerB.port, a.port, "B was first offered A's media (direct)");
    const [reinviteB] = await sdps(bLog, "REINVITE");
    const [answerA] = await sdps(call.log, "ANSWER");
    assert.notEqual(reinviteB.port, a.port, "B's re-INVITE names a port of Recall's");
    assert.notEqual(answerA.port, bRtp.port, "A is answered with Recall's media, not B's");
    await Promise.all([a.stream(answerA.port, 40, 0x55), bRtp.stream(reinviteB.port, 40, 0x66)]);
    await sleep(100);
    assert.ok(bRtp.from(reinviteB.port) >= 30, `A's audio reached B through Recall: ${bRtp.from(reinviteB.port)} packets`);
    assert.ok(a.from(answerA.port) >= 30, `B's audio reached A through Recall: ${a.from(answerA.port)} packets`);
    ok(await b.done, "B"); ok(await call.done, "A");
    const path = /Recording PJSIP\/6002-\S+ to (\S+\.wav)/.exec(messages(recall.dataDir))?.[1];
    assert.ok(path, "the recording started on B's channel");
    for (let i = 0; i < 50 && !/End MixMonitor Recording PJSIP\/6002/.test(messages(recall.dataDir)); i++) await sleep(100);
    const wav = parseWav(readFileSync(path));
    assert.ok(wav.length / 8000 > 1, `recorded ${(wav.length / 8000).toFixed(2)} s`);
    assert.ok(readdirSync(join(recall.dataDir, "monitor")).length >= 1);
  } finally { a.close(); bRtp.close(); }
});

test("Dial with a DTMF feature on phones whose digits come in the RTP (dtmf_mode=rfc4733, the default) keeps the media in Recall", async () => {
  const a = await new Rtp().bind(), bRtp = await new Rtp().bind();
  try {
    const bLog = logOf("b-features");
    const b = startSipp({ scenario: reinvitedCallee({ status: 200, ringMs: 100, holdMs: 300, mediaPort: bRtp.port, reinvites: 0 }), localPort: phoneB, calls: 1, timeoutMs: 30_000, extraArgs: traced(bLog) });
    const call = callA("7004", a, { reinvites: 0, logAnswer: true });
    const [[offerB], [answerA]] = await Promise.all([sdps(bLog, "OFFER"), sdps(call.log, "ANSWER")]);
    assert.notEqual(offerB.port, a.port, "B is offered Recall's media, not A's: Recall must hear the digits");
    assert.notEqual(answerA.port, bRtp.port, "A is answered with Recall's media");
    ok(await b.done, "B"); ok(await call.done, "A");
  } finally { a.close(); bRtp.close(); }
});

test("DTMF blind transfer on a direct-media call (dtmf_mode=info, Dial T): B is re-INVITEd to Recall for music on hold, A for the prompt, then B talks to C", async () => {
  const a = await new Rtp().bind(), bRtp = await new Rtp().bind();
  try {
    const aLog = logOf("a-xfer"), bLog = logOf("b-xfer");
    const b = startSipp({ scenario: reinvitedCallee({ status: 200, ringMs: 100, mediaPort: bRtp.port, reinvites: 1 }), localPort: phoneB, calls: 1, timeoutMs: 30_000, extraArgs: traced(bLog) });
    const c = startSipp({ scenario: uasCall({ status: 200, ringMs: 100, holdMs: 1000 }), localPort: phoneC, calls: 1, timeoutMs: 30_000 });
    const callA2 = startSipp({
      scenario: transferringCaller({ exten: "7003", from: "6006", auth: true, mediaPort: a.port, reinvites: 1, before: "#", after: "6003" }),
      target: `127.0.0.1:${port}`, localPort: phoneA, calls: 1, inject: credentials("6006"), timeoutMs: 30_000, extraArgs: traced(aLog),
    });
    const [[offerB], [reinviteB], [reinviteA]] = await Promise.all([sdps(bLog, "OFFER"), sdps(bLog, "REINVITE"), sdps(aLog, "REINVITE")]);
    assert.equal(offerB.port, a.port, "the call was direct: B was offered A's media");
    assert.notEqual(reinviteB.port, a.port);
    assert.notEqual(reinviteA.port, bRtp.port);
    ok(await callA2.done, "A"); ok(await b.done, "B"); ok(await c.done, "C");
    assert.ok(bRtp.from(reinviteB.port) >= 25, `B heard music on hold from Recall's port: ${bRtp.from(reinviteB.port)} packets`);
    // The first digit of the target stops the prompt, 200 ms after the re-INVITE.
    assert.ok(a.from(reinviteA.port) >= 5, `A heard the pbx-transfer prompt from Recall's port: ${a.from(reinviteA.port)} packets`);
    assert.match(messages(recall.dataDir), /Blind transferring PJSIP\/6002-[0-9a-f]{8} to '6003@phones'/);
  } finally { a.close(); bRtp.close(); }
});

test("a phone's hold re-INVITE when Recall carries its media: answered recvonly from the same session, and the bridge still carries its audio", async () => {
  const a = await new Rtp().bind(), d = await new Rtp().bind();
  try {
    const aLog = logOf("a-hold");
    const phone = startSipp({ scenario: reinvitedCallee({ status: 200, ringMs: 100, holdMs: 2500, mediaPort: d.port, reinvites: 0 }), localPort: phoneD, calls: 1, timeoutMs: 30_000 });
    const callA2 = startSipp({
      scenario: holdingCaller({ exten: "6004", from: "6001", auth: true, mediaPort: a.port, reinviteAfterMs: 300, direction: "sendonly", logAnswer: true }),
      target: `127.0.0.1:${port}`, localPort: phoneA, calls: 1, inject: credentials("6001"), timeoutMs: 30_000, extraArgs: traced(aLog),
    });
    const [[answer], [reanswer]] = await Promise.all([sdps(aLog, "ANSWER"), sdps(aLog, "REANSWER")]);
    assert.equal(reanswer.direction, "recvonly", "a=sendonly is answered a=recvonly");
    assert.deepEqual([reanswer.port, reanswer.session, reanswer.version], [answer.port, answer.session, answer.version + 1], "the same session, its next version");
    // On hold, A still sends (its music): the bridge relays it to the other phone.
    await a.stream(reanswer.port, 25, 0x55);
    await sleep(100);
    assert.ok(d.got.length >= 20, `A's audio still crosses the bridge: ${d.got.length} packets`);
    ok(await phone.done, "6004"); ok(await callA2.done, "A");
  } finally { a.close(); d.close(); }
});

test("a phone's re-INVITE on a direct-media call (a new port) is relayed to the other phone, whose answer comes back", async () => {
  const a = await new Rtp().bind(), moved = await new Rtp().bind(), bRtp = await new Rtp().bind();
  try {
    const aLog = logOf("a-move"), bLog = logOf("b-move");
    const b = startSipp({ scenario: reinvitedCallee({ status: 200, ringMs: 100, holdMs: 2000, mediaPort: bRtp.port, reinvites: 1 }), localPort: phoneB, calls: 1, timeoutMs: 30_000, extraArgs: traced(bLog) });
    const callA2 = startSipp({
      scenario: holdingCaller({ exten: "6002", from: "6001", auth: true, mediaPort: a.port, reinviteAfterMs: 300, newPort: moved.port }),
      target: `127.0.0.1:${port}`, localPort: phoneA, calls: 1, inject: credentials("6001"), timeoutMs: 30_000, extraArgs: traced(aLog),
    });
    const [relayed] = await sdps(bLog, "REINVITE");
    assert.equal(relayed.port, moved.port, "B's re-INVITE names A's new port");
    assert.equal(relayed.version, 2, "B's view of the session (A's offer, o=sipp 1 1) moves on to version 2");
    const [reanswer] = await sdps(aLog, "REANSWER");
    assert.equal(reanswer.port, bRtp.port, "A gets B's answer: B's media");
    await bRtp.stream(moved.port, 25, 0x66);
    await sleep(100);
    assert.ok(moved.from(bRtp.port) >= 20, `B's RTP reaches A's new port: ${moved.from(bRtp.port)} packets`);
    ok(await b.done, "B"); ok(await callA2.done, "A");
  } finally { a.close(); moved.close(); bRtp.close(); }
});

test("every call's log passes recall replay --verify", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
  assert.doesNotMatch(messages(recall.dataDir), /WARNING[^\n]*res_pjsip_session\.c: Re-INVITE/, "no re-INVITE failed");
});

// ---- helpers for the attended transfer (as transfer.e2e.test.ts) ----

async function loggedMatch(path: string, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(read(path));
    if (m) return m;
    if (Date.now() > until) throw new Error(`no ${pattern} in ${path}`);
    await sleep(50);
  }
}
async function logged(path: string, pattern: RegExp): Promise<string> { return (await loggedMatch(path, pattern))[1]; }

/** B's first line learns the Replaces of its second (the phone's own memory of its calls, played by the test). */
function tellReplaces(callId: string, replaces: string): void {
  const harness = createSocket("udp4");
  harness.bind(0, "127.0.0.1", () => {
    const message = [
      `MESSAGE sip:uas@127.0.0.1:${phoneB} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${harness.address().port};branch=z9hG4bKharness${Date.now()}`,
      "From: <sip:test@127.0.0.1>;tag=harness", "To: <sip:uas@127.0.0.1>", `Call-ID: ${callId}`, "CSeq: 1 MESSAGE", `X-Replaces: ${replaces}`, "Content-Length: 0", "", "",
    ].join("\r\n");
    harness.send(message, phoneB, "127.0.0.1", () => setTimeout(() => harness.close(), 2000));
  });
}
