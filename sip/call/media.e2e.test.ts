/**
 * Media with real SIP peers through a real `recall start`, checked by content: sipp
 * phones play captures this test writes (sip/sipp/pcap.ts: µ-law speech from Asterisk's
 * core sounds, RFC 4733 digits), and the test's own UDP sockets stand in for the
 * phones' RTP where it must hear what Recall sends.
 *
 * - a sipp caller's recorded speech crosses a two-party bridge with the media anchored
 *   in Recall (direct_media = no: two RTP sessions, one relaying to the other) and
 *   reaches the called phone frame for frame;
 * - Playback(hello-world) reaches the caller as the prompt's samples, µ-law encoded;
 * - the digits 1, 2 and # sent by sipp as RFC 4733 telephone-events reach Read() and
 *   Background()/WaitExten();
 * then the log passes replay --verify.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, messages, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { callerCalleePjsip } from "./test-phones.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { startSipp, type SippResult } from "../sipp/sipp.js";
import { RtpStream } from "../sipp/pcap.js";
import { uacCall } from "../sipp/call-scenarios.js";
import { canPlayPcap, loggedPort, pcapCaller, portCallee } from "../sipp/media-scenarios.js";
import { frames, matchFrames, readWav, toUlaw } from "../sipp/audio.js";
import { tempDir } from "../../core/reap.js";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SOUNDS = "/usr/share/asterisk/sounds/en";
const skip = !canPlayPcap() ? "sipp needs root or CAP_NET_RAW to play a capture"
  : !existsSync(join(SOUNDS, "hello-world.wav")) ? "asterisk-core-sounds-en-wav is not installed" : false;

let recall: RecallProcess;
let port: number, calleePort: number;
const tmp = tempDir("recall-media-e2e-");

/** A phone's RTP socket: keeps every RTP packet that arrives, with its sender's port. */
class RtpSink {
  readonly sock: Socket = createSocket("udp4");
  readonly got: { pt: number; seq: number; timestamp: number; payload: Buffer; from: number }[] = [];
  port = 0;
  async bind(): Promise<this> {
    this.sock.on("message", (m, r) => {
      if (m.length < 12 || m[0] >> 6 !== 2) return;
      this.got.push({ pt: m[1] & 0x7f, seq: m.readUInt16BE(2), timestamp: m.readUInt32BE(4), payload: m.subarray(12), from: r.port });
    });
    await new Promise<void>((r) => this.sock.bind(0, "127.0.0.1", () => r()));
    this.port = this.sock.address().port;
    return this;
  }
  /** The µ-law frames received (payload type 0), in arrival order. */
  ulaw(): RtpSink["got"] { return this.got.filter((g) => g.pt === 0); }
  close(): void { this.sock.close(); }
}

/** A sipp run with a -log_file the scenario's <log> actions write to. */
function sipp(scenario: string, options: { target?: string; localPort?: number; mediaPort?: number }) {
  const dir = mkdtempSync(join(tmp, "sipp-"));
  const logFile = join(dir, "log.txt");
  const extraArgs = ["-trace_logs", "-log_file", logFile, ...(options.mediaPort ? ["-mp", String(options.mediaPort)] : [])];
  const s = startSipp({ scenario, ...options, calls: 1, timeoutMs: 30_000, extraArgs });
  const remotePort = async (): Promise<number> => {
    for (let i = 0; i < 400; i++) {
      const p = existsSync(logFile) ? loggedPort(readFileSync(logFile, "utf8")) : undefined;
      if (p !== undefined) return p;
      await sleep(25);
    }
    throw new Error(`sipp logged no RTP port (${logFile})`);
  };
  return { ...s, remotePort };
}

const ok = (r: SippResult, who: string) => assert.equal(r.code, 0, `${who}: sipp exited ${r.code}\n${r.errors}\n${r.stderr}`);

/** Writes a capture file and returns its path. */
function capture(name: string, stream: RtpStream): string {
  const path = join(tmp, name);
  writeFileSync(path, stream.pcap());
  return path;
}

before(async () => {
  if (skip) return;
  [port, calleePort] = [await freePort(), await freePort()];
  recall = await startRecall({
    "pjsip.conf": callerCalleePjsip(port, calleePort, { context: "media", endpoint: "direct_media = no" }),
    "extensions.conf": `
[media]
exten => 100,1,Dial(PJSIP/callee,10)
 same => n,Hangup()
exten => 700,1,Answer()
 same => n,Playback(hello-world)
 same => n,Hangup()
exten => 500,1,Answer()
 same => n,Read(DIGITS,,5,,1,8)
 same => n,Verbose(1,Read got '\${DIGITS}' (\${READSTATUS}))
 same => n,Hangup()
exten => 501,1,Answer()
 same => n,Read(DIGITS,demo-congrats,5,,1,8)
 same => n,Verbose(1,Read over a prompt got '\${DIGITS}' (\${READSTATUS}))
 same => n,Hangup()
exten => 600,1,Goto(menu,s,1)

[menu]
exten => s,1,Answer()
 same => n,Background(demo-congrats)
 same => n,WaitExten(8)
exten => 12,1,Verbose(1,WaitExten went to 12)
 same => n,WaitExten(8)
exten => #,1,Verbose(1,WaitExten went to #)
 same => n,Hangup()
exten => i,1,Verbose(1,Invalid extension \${INVALID_EXTEN})
 same => n,Hangup()
exten => t,1,Verbose(1,WaitExten timed out)
 same => n,Hangup()
`,
  });
});

after(async () => {
  await recall?.stop();
});

test("a sipp caller's recorded speech crosses a bridge anchored in Recall and reaches the called phone frame for frame", { skip }, async () => {
  const speech = frames(toUlaw(readWav(join(SOUNDS, "tt-weasels.wav")))); // about 3 s
  const stream = new RtpStream().audio(Buffer.concat(speech));
  const pcap = capture("weasels.pcap", stream);
  const sink = await new RtpSink().bind();
  try {
    const callerMedia = await freePort();
    const phone = sipp(portCallee({ status: 200, ringMs: 200, mediaPort: sink.port, logRemotePort: true }), { localPort: calleePort });
    const caller = sipp(pcapCaller({ exten: "100", pcap, holdMs: stream.durationMs + 700, logRemotePort: true }), { target: `127.0.0.1:${port}`, mediaPort: callerMedia });
    const [c, p] = [await caller.done, await phone.done];
    ok(c, "caller");
    ok(p, "called phone");
    // Anchored: what the called phone got came from the port Recall's INVITE to it announced, not from sipp's.
    const recallToCallee = await phone.remotePort(), recallToCaller = await caller.remotePort();
    const audio = sink.ulaw();
    assert.ok(audio.length > 0, "the called phone received no audio");
    assert.deepEqual([...new Set(audio.map((g) => g.from))], [recallToCallee], "every packet came from Recall's RTP session of the called leg");
    assert.notEqual(recallToCallee, recallToCaller, "two RTP sessions, one per leg");
    assert.notEqual(recallToCallee, callerMedia);
    // The content: the frames sent, byte for byte, in order (only where the stream starts and lost packets may differ).
    const m = matchFrames(speech, audio);
    assert.ok(audio.length >= 0.9 * speech.length, `${audio.length} of ${speech.length} frames arrived`);
    assert.ok(m.identical >= 0.95 * audio.length, `${m.identical} of ${audio.length} frames identical (aligned at frame ${m.offset})`);
    assert.ok(m.correlation > 0.99, `correlation ${m.correlation}`);
    const seqs = audio.map((g) => g.seq);
    assert.ok(seqs.slice(1).every((s, i) => s === ((seqs[i] + 1) & 0xffff)), "the relay numbers its packets without gaps");
  } finally { sink.close(); }
});

test("Playback(hello-world): the caller receives the prompt's samples, µ-law encoded, frame for frame", { skip }, async () => {
  const prompt = frames(toUlaw(readWav(join(SOUNDS, "hello-world.wav"))));
  const sink = await new RtpSink().bind();
  try {
    const caller = sipp(uacCall({ exten: "700", mediaPort: sink.port }), { target: `127.0.0.1:${port}` });
    ok(await caller.done, "caller");
    const audio = sink.ulaw();
    const m = matchFrames(prompt, audio);
    // Every frame of the prompt and nothing else (a packet lost on the way may be missing).
    assert.ok(audio.length <= prompt.length && audio.length >= prompt.length - 2, `${audio.length} packets for the prompt's ${prompt.length} frames`);
    assert.equal(m.identical, audio.length, `${m.identical} of ${audio.length} frames identical (aligned at frame ${m.offset})`);
    assert.ok(m.offset <= 1, "from the prompt's first frame");
    assert.ok(m.correlation > 0.999, `correlation ${m.correlation}`);
  } finally { sink.close(); }
});

/** 1 and 2 as RFC 4733 events 200 ms apart after 600 ms of talk, then # a second later. */
const digits12hash = () => new RtpStream().silence(600).digits("12", 100, 200).silence(800).digit("#").silence(500);

test("RFC 4733 digits 1, 2, # from sipp reach Read(): DIGITS is 12, ended by #, with and without a prompt to interrupt", { skip }, async () => {
  for (const [exten, line] of [["500", /Read got '12' \(OK\)/], ["501", /Read over a prompt got '12' \(OK\)/]] as const) {
    const caller = sipp(pcapCaller({ exten, pcap: capture(`digits-${exten}.pcap`, digits12hash()) }), { target: `127.0.0.1:${port}`, mediaPort: await freePort() });
    ok(await caller.done, "caller"); // Recall hangs up after Read
    await recall.waitFor(line, 5000).catch(() => assert.fail(`no ${line} in:\n${messages(recall.dataDir).slice(-3000)}`));
  }
});

test("RFC 4733 digits 1, 2, # from sipp interrupt Background(), WaitExten() goes to 12, then to #", { skip }, async () => {
  const before = messages(recall.dataDir).length;
  const caller = sipp(pcapCaller({ exten: "600", pcap: capture("digits-menu.pcap", digits12hash()) }), { target: `127.0.0.1:${port}`, mediaPort: await freePort() });
  ok(await caller.done, "caller");
  await recall.waitFor(/WaitExten went to #/, 5000).catch(() => undefined);
  const log = messages(recall.dataDir).slice(before);
  const lines = log.split("\n").filter((l) => /Executing \[|WaitExten|Invalid/.test(l)).map((l) => l.replace(/^.*?(Executing|-- |WaitExten|Invalid)/, "$1"));
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const steps = [/Executing \[s@menu:2\] Background\(/, /Executing \[12@menu:1\]/, /^WaitExten went to 12$/, /Executing \[12@menu:2\] WaitExten\(/, /^WaitExten went to #$/];
  const found = steps.map(at);
  assert.ok(found.every((i, k) => i >= 0 && (k === 0 || i > found[k - 1])), `in order ${steps.join(", ")}:\n${lines.join("\n")}`);
  assert.equal(at(/Executing \[s@menu:3\]/), -1, "Background was interrupted by 1: WaitExten at s,3 never ran");
  assert.doesNotMatch(log, /Invalid extension|timed out/);
});

test("every call's log passes recall replay --verify", { skip }, async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
