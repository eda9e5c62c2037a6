/**
 * The media applications end to end: a real `recall start`, sipp phones, and the test's
 * own UDP sockets as the phones' RTP (announced in their SDP), so the test sends real
 * audio and hears what Recall sends back. Echo(), AudioSocket() against a TCP service
 * in the test, MixMonitor() of a bridged sipp → Recall → sipp call (the WAV files are
 * read back and their tones measured), and Dial's m option; then replay --verify.
 *
 * The caller learns Recall's RTP port from the 200 OK: a sipp <log> action writes it to
 * a file the test reads.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { freePort, messages, assertLogged, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { callerCalleePjsip } from "./test-phones.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { startSipp } from "../sipp/sipp.js";
import { uacCall, uasCall, type UacOptions, type UasOptions } from "../sipp/call-scenarios.js";
import { buildRtp, parseRtp, telephoneEventPayload } from "../../media-workers/rtp.js";
import { decode, encode } from "../../media-workers/g711.js";
import { parseWav, wavHeader } from "../../media-workers/wav.js";
import { AS_AUDIO, AS_DTMF, AS_HANGUP, AS_UUID, AsParser, asFrame } from "../../media-workers/audiosocket.js";
import { rms, toneShare } from "../sipp/audio.js";
import { tempDir } from "../../core/reap.js";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const UUID = "0a1b2c3d-0000-4000-8000-00000000abcd";

let recall: RecallProcess;
let port: number, calleePort: number, closedPort: number;
let audioSocket: Server;
const service = { uuid: "", digits: "", frames: 0 };
const tmp = tempDir("recall-media-apps-");

// ---- audio helpers ----

const sine = (hz: number, amplitude = 8000) => (i: number) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));


/**
 * The 20 ms frames (160 samples) that are not silent and where each of `tones` has at
 * least `min` of the energy. Measured per frame: a late packet leaves a gap that breaks
 * the phase of a long measurement, not of a frame.
 */
function toneFrames(pcm: Int16Array, tones: number[], min = 0.8): number {
  let n = 0;
  for (let at = 0; at + 160 <= pcm.length; at += 160) {
    const f = pcm.subarray(at, at + 160);
    if (rms(f) > 500 && tones.every((hz) => toneShare(f, hz) >= min)) n++;
  }
  return n;
}

/** A phone's RTP: the port its SDP announces; sends µ-law and RFC 4733, keeps what arrives. */
class Rtp {
  readonly sock: Socket = createSocket("udp4");
  readonly got: { pt: number; payload: Buffer; at: number; from: number }[] = [];
  port = 0;
  private seq = 1;
  private ts = 0;
  onPacket: ((from: number) => void) | undefined;
  async bind(): Promise<this> {
    this.sock.on("message", (m, r) => {
      const h = parseRtp(m);
      if (h) this.got.push({ pt: h.payloadType, payload: m.subarray(h.payloadOffset, h.payloadEnd), at: performance.now(), from: r.port });
      this.onPacket?.(r.port);
    });
    await new Promise<void>((r) => this.sock.bind(0, "127.0.0.1", () => r()));
    this.port = this.sock.address().port;
    return this;
  }
  send(to: number, pt: number, payload: Uint8Array, ts = this.ts): void {
    this.seq = (this.seq + 1) & 0xffff;
    this.sock.send(buildRtp(pt, this.seq === 2, this.seq, ts, 0x5151, payload), to, "127.0.0.1");
  }
  frame(to: number, pcm: Int16Array): void { this.send(to, 0, encode("ulaw", pcm)); this.ts += 160; }
  /** `frames` 20 ms frames of `sample(i)`, paced. */
  async stream(to: number, frames: number, sample: (i: number) => number): Promise<void> {
    const start = performance.now();
    for (let f = 0; f < frames; f++) {
      this.frame(to, Int16Array.from({ length: 160 }, (_, i) => sample(f * 160 + i)));
      const due = start + (f + 1) * 20 - performance.now();
      if (due > 0) await sleep(due);
    }
  }
  /** One RFC 4733 digit (event code), 100 ms, end packet three times. */
  dtmf(to: number, event: number): void {
    const ts = this.ts;
    for (let d = 160; d <= 800; d += 160) this.send(to, 101, telephoneEventPayload(event, false, 10, d), ts);
    for (let k = 0; k < 3; k++) this.send(to, 101, telephoneEventPayload(event, true, 10, 800), ts);
    this.ts += 800;
  }
  /** The µ-law audio received, decoded, in arrival order. */
  audio(): Int16Array { return new Int16Array(this.got.filter((g) => g.pt === 0).flatMap((g) => [...decode("ulaw", g.payload)])); }
  close(): void { this.sock.close(); }
}

// ---- sipp helpers ----

/**
 * A caller whose SDP announces `rtp`; the port Recall answers with is logged by sipp and
 * returned by `recallPort()` once the 200 OK has come.
 */
function caller(exten: string, rtp: Rtp, options: Partial<UacOptions> = {}) {
  const logFile = join(mkdtempSync(join(tmp, "sipp-")), "log.txt");
  const scenario = uacCall({ exten, mediaPort: rtp.port, ...options }).replace('  <recv response="200" rtd="true" rrs="true"/>', `  <recv response="200" rtd="true" rrs="true">
    <action>
      <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="all,rport"/>
      <log message="RTPPORT [$rport]"/>
    </action>
  </recv>
  <Reference variables="all"/>`);
  const sipp = startSipp({ scenario, target: `127.0.0.1:${port}`, calls: 1, timeoutMs: 30_000, extraArgs: ["-trace_logs", "-log_file", logFile] });
  const recallPort = async (): Promise<number> => {
    for (let i = 0; i < 200; i++) {
      const m = existsSync(logFile) ? /RTPPORT (\d+)/.exec(readFileSync(logFile, "utf8")) : null;
      if (m) return Number(m[1]);
      await sleep(25);
    }
    throw new Error(`no 200 OK with SDP from Recall (sipp log ${logFile})`);
  };
  return { done: sipp.done, recallPort };
}

/** The called phone (endpoint `callee`); its SDP announces `rtp` when given. */
function callee(options: UasOptions, rtp?: Rtp) {
  let scenario = uasCall(options);
  if (rtp) scenario = scenario.replaceAll("m=audio [media_port]", `m=audio ${rtp.port}`);
  return startSipp({ scenario, localPort: calleePort, calls: 1, timeoutMs: 30_000 });
}

// ---- Recall ----

before(async () => {
  [port, calleePort, closedPort] = [await freePort(), await freePort(), await freePort()];
  // The AudioSocket service: echoes the caller's audio, sends DTMF 7 after 10 frames, hangs up after 60 (or 5 s).
  audioSocket = createServer((c) => {
    const parser = new AsParser();
    const hangup = setTimeout(() => c.end(asFrame(AS_HANGUP)), 5000);
    c.on("close", () => clearTimeout(hangup));
    c.on("error", () => undefined);
    c.on("data", (chunk) => {
      for (const f of parser.push(chunk)) {
        if (f.type === AS_UUID) service.uuid = f.payload.toString("hex");
        if (f.type === AS_DTMF) service.digits += f.payload.toString("latin1");
        if (f.type !== AS_AUDIO || c.writableEnded) continue;
        c.write(asFrame(AS_AUDIO, f.payload));
        service.frames++;
        if (service.frames === 10) c.write(asFrame(AS_DTMF, Buffer.from("7")));
        if (service.frames === 60) c.end(asFrame(AS_HANGUP));
      }
    });
  });
  await new Promise<void>((r) => audioSocket.listen(0, "127.0.0.1", () => r()));
  const asPort = (audioSocket.address() as { port: number }).port;
  // Music on hold: one second of 600 Hz.
  const moh = mkdtempSync(join(tmp, "moh-"));
  const tone = Buffer.alloc(16000);
  for (let i = 0; i < 8000; i++) tone.writeInt16LE(sine(600)(i), 2 * i);
  writeFileSync(join(moh, "tone.wav"), Buffer.concat([wavHeader(16000), tone]));
  recall = await startRecall({
    "pjsip.conf": callerCalleePjsip(port, calleePort, { context: "media" }),
    "musiconhold.conf": `[default]\nmode = files\ndirectory = ${moh}\n`,
    "extensions.conf": `
[media]
exten => 100,1,Answer()
 same => n,Echo()
 same => n,Verbose(1,Echo ended by the caller's #)
 same => n,Hangup()
exten => 200,1,Answer()
 same => n,AudioSocket(${UUID},127.0.0.1:${asPort})
 same => n,Verbose(1,AudioSocket returned to the dialplan)
 same => n,Hangup()
exten => 201,1,Answer()
 same => n,AudioSocket(not-a-uuid,127.0.0.1:${asPort})
 same => n,Verbose(1,Not reached after a bad uuid)
exten => 202,1,Answer()
 same => n,AudioSocket(${UUID},127.0.0.1:${closedPort})
 same => n,Verbose(1,Not reached when the service is down)
exten => 300,1,MixMonitor(call-\${UNIQUEID}.wav,r(call-\${UNIQUEID}-rx.wav)t(call-\${UNIQUEID}-tx.wav))
 same => n,Verbose(1,Recording to \${MIXMONITOR_FILENAME})
 same => n,Dial(PJSIP/callee,10)
 same => n,Hangup()
exten => 400,1,Dial(PJSIP/callee,10,m)
 same => n,Hangup()
`,
  });
});

after(async () => {
  await recall?.stop();
  audioSocket?.close();
});

test("Echo(): the caller hears its own audio back until it presses #, then the dialplan goes on", async () => {
  const rtp = await new Rtp().bind();
  try {
    const call = caller("100", rtp);
    const to = await call.recallPort();
    await rtp.stream(to, 50, sine(500));
    rtp.dtmf(to, 11); // #
    const r = await call.done;
    assert.equal(r.code, 0, r.errors);
    const echoed = toneFrames(rtp.audio(), [500]);
    assert.ok(echoed >= 40, `the 500 Hz tone came back: ${echoed} frames of 50`);
    assert.ok(rtp.got.some((g) => g.pt === 101), "the # came back too (RFC 4733)");
    await assertLogged(recall.dataDir, /Echo ended by the caller's #/);
  } finally { rtp.close(); }
});

test("AudioSocket(): the caller's audio reaches the service after its UUID, its echo and DTMF reach the caller, its hang-up returns to the dialplan", async () => {
  const rtp = await new Rtp().bind();
  try {
    const call = caller("200", rtp);
    const to = await call.recallPort();
    await sleep(100);
    rtp.dtmf(to, 3);
    await rtp.stream(to, 80, sine(700));
    const r = await call.done;
    assert.equal(r.code, 0, r.errors);
    assert.equal(service.uuid, UUID.replace(/-/g, ""));
    assert.equal(service.digits, "3", "the caller's DTMF went to the service as 0x03");
    assert.ok(service.frames >= 50, `${service.frames} frames reached the service`);
    const echoed = toneFrames(rtp.audio(), [700]);
    assert.ok(echoed >= 40, `the service's echo of the 700 Hz tone came back: ${echoed} frames`);
    assert.ok(rtp.got.some((g) => g.pt === 101), "the service's DTMF reached the caller as RFC 4733");
    const log = messages(recall.dataDir);
    assert.match(log, /AudioSocket returned to the dialplan/);
  } finally { rtp.close(); }
});

test("AudioSocket() with a bad uuid or a service that is down fails as Asterisk's does: an error and the call ends", async () => {
  for (const exten of ["201", "202"]) {
    const rtp = await new Rtp().bind();
    try {
      const r = await caller(exten, rtp).done;
      assert.equal(r.code, 0, r.errors); // answered, then Recall's BYE
    } finally { rtp.close(); }
  }
  const log = messages(recall.dataDir);
  assert.match(log, /ERROR\[\d+\]\[?[^\n]*app_audiosocket\.c: Failed to parse UUID 'not-a-uuid'/);
  assert.match(log, /res_audiosocket\.c: Connect to '127\.0\.0\.1:\d+' failed: connect ECONNREFUSED/);
  assert.match(log, /res_audiosocket\.c: Failed to connect to AudioSocket service/);
  assert.doesNotMatch(log, /Not reached/);
});

test("MixMonitor() records a bridged sipp → Recall → sipp call: the mixed WAV and each direction, of the call's length and with each party's tone", async () => {
  const a = await new Rtp().bind(), b = await new Rtp().bind();
  try {
    // The called phone answers with 1000 Hz to every packet Recall relays to it.
    let frame = 0;
    b.onPacket = (from) => { b.frame(from, Int16Array.from({ length: 160 }, (_, i) => sine(1000)(frame * 160 + i))); frame++; };
    const phone = callee({ status: 200, ringMs: 300 }, b);
    const started = performance.now();
    const call = caller("300", a, { holdMs: 2500 });
    const to = await call.recallPort();
    await a.stream(to, 100, sine(440)); // 2 s of 440 Hz from the caller
    const [r, c] = [await call.done, await phone.done];
    const seconds = (performance.now() - started) / 1000;
    assert.equal(r.code, 0, r.errors);
    assert.equal(c.code, 0, c.errors);
    assert.ok(toneFrames(b.audio(), [440]) >= 80, "the called phone heard the caller: the call was bridged through Recall");
    assert.ok(toneFrames(a.audio(), [1000]) >= 80, "and the caller heard the called phone");
    const path = /Recording to (\S+\.wav)/.exec(messages(recall.dataDir))?.[1];
    assert.ok(path, "MIXMONITOR_FILENAME logged");
    const dir = join(recall.dataDir, "monitor");
    assert.equal(join(dir, path.slice(dir.length)), path, `${path} is under DATA/monitor`);
    // The files are complete once the channel is gone.
    for (let i = 0; i < 50 && readdirSync(dir).length < 3; i++) await sleep(100);
    await sleep(300);
    const mixed = parseWav(readFileSync(path)), rx = parseWav(readFileSync(path.replace(/\.wav$/, "-rx.wav"))), tx = parseWav(readFileSync(path.replace(/\.wav$/, "-tx.wav")));
    const secs = mixed.length / 8000;
    assert.ok(secs > 2.3 && secs <= seconds + 0.5, `recorded ${secs.toFixed(2)} s of a ${seconds.toFixed(2)} s call`);
    assert.equal(rx.length, mixed.length);
    assert.equal(tx.length, mixed.length);
    assert.ok(rms(mixed) > 2000, `not silent (rms ${rms(mixed).toFixed(0)})`);
    // 2 s of talk is 100 frames; a frame where a packet came late is partly silent.
    const [inRx, inTx, both] = [toneFrames(rx, [440]), toneFrames(tx, [1000]), toneFrames(mixed, [440, 1000], 0.3)];
    assert.ok(inRx >= 80, `r(): the caller's 440 Hz in ${inRx} frames`);
    assert.ok(inTx >= 80, `t(): the called phone's 1000 Hz in ${inTx} frames`);
    assert.ok(both >= 70, `both tones mixed in ${both} frames`);
    assert.equal(toneFrames(rx, [1000]), 0, "r() holds the caller alone");
    await assertLogged(recall.dataDir, /End MixMonitor Recording PJSIP\/caller-/);
  } finally { a.close(); b.close(); }
});

test("Dial(...,m): the caller hears music on hold while the called phone rings, and the music stops at answer", async () => {
  const rtp = await new Rtp().bind();
  try {
    const phone = callee({ status: 200, ringMs: 2000 });
    const r = await caller("400", rtp, { holdMs: 1500 }).done;
    const ended = performance.now();
    assert.equal(r.code, 0, r.errors);
    assert.equal((await phone.done).code, 0);
    const moh = rtp.got.filter((g) => g.pt === 0);
    assert.ok(moh.length >= 60, `${moh.length} packets of music during 2 s of ringing`);
    const music = toneFrames(rtp.audio(), [600]);
    assert.ok(music >= 0.9 * moh.length, `the music class's 600 Hz in ${music} of ${moh.length} frames`);
    assert.ok(ended - moh.at(-1)!.at > 1000, `the music stopped at answer, ${(ended - moh.at(-1)!.at).toFixed(0)} ms before the call ended`);
  } finally { rtp.close(); }
});

test("every call's log passes recall replay --verify", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
