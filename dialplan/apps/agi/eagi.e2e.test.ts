/**
 * EAGI's audio end to end: a real `recall start` runs EAGI() on a call from sipp, which
 * plays recorded speech (a capture of µ-law RTP, sip/sipp/pcap.ts). The EAGI program,
 * a small Python script, reads file descriptor 3 (signed linear 8 kHz 16-bit mono, as
 * Asterisk gives it) into a file and tells the dialplan how much it read; the test
 * finds the speech in that file sample for sample. Then `recall replay --verify`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { assertLogged, freePort, messages, startRecall, type RecallProcess } from "../../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../../interfaces/cli/paths.js";
import { startSipp } from "../../../sip/sipp/sipp.js";
import { RtpStream } from "../../../sip/sipp/pcap.js";
import { canPlayPcap, pcapCaller } from "../../../sip/sipp/media-scenarios.js";
import { fromUlaw, matchPcm, readWav, toUlaw } from "../../../sip/sipp/audio.js";
import { callerCalleePjsip } from "../../../sip/call/test-phones.js";
import { tempDir } from "../../../core/reap.js";

const run = promisify(execFile);
const SOUNDS = "/usr/share/asterisk/sounds/en";
const skip = !canPlayPcap() ? "sipp needs root or CAP_NET_RAW to play a capture"
  : !existsSync(join(SOUNDS, "tt-weasels.wav")) ? "asterisk-core-sounds-en-wav is not installed" : false;
const tmp = tempDir("recall-eagi-");
let recall: RecallProcess;
let sipPort: number;

/** Reads descriptor 3 until `limit` bytes, end of file or 8 s, writes it to argv[1], then reports through AGI. */
const SCRIPT = `#!/usr/bin/env python3
import os, select, sys, time
env = {}
for line in sys.stdin:
    line = line.strip()
    if not line:
        break
    key, _, value = line.partition(": ")
    env[key] = value
limit, total, deadline = int(sys.argv[2]), 0, time.time() + 8
with open(sys.argv[1], "wb") as out:
    while total < limit and time.time() < deadline:
        ready, _, _ = select.select([3], [], [], 0.2)
        if not ready:
            continue
        chunk = os.read(3, 4096)
        if not chunk:
            break
        out.write(chunk)
        total += len(chunk)
for command in ("SET VARIABLE EAGI_BYTES %d" % total, 'VERBOSE "EAGI enhanced %s" 1' % env.get("agi_enhanced")):
    sys.stdout.write(command + "\\n")
    sys.stdout.flush()
    sys.stdin.readline()
`;

before(async () => {
  if (skip) return;
  const script = join(tmp, "listen.py");
  writeFileSync(script, SCRIPT);
  chmodSync(script, 0o755);
  const calleePort = await freePort();
  sipPort = await freePort();
  recall = await startRecall({
    "pjsip.conf": callerCalleePjsip(sipPort, calleePort, { context: "eagi" }),
    "extensions.conf": `
[eagi]
exten => 800,1,Answer()
 same => n,EAGI(${script},${join(tmp, "heard.raw")},40000)
 same => n,Verbose(1,EAGI read \${EAGI_BYTES} bytes, AGISTATUS \${AGISTATUS})
 same => n,Hangup()
`,
  });
});
after(async () => { await recall?.stop(); });

test("EAGI: the program reads the caller's speech on descriptor 3 as signed linear 8 kHz, sample for sample", { skip }, async () => {
  const speech = toUlaw(readWav(join(SOUNDS, "tt-weasels.wav"))); // about 3 s
  const stream = new RtpStream().silence(200).audio(speech).silence(400);
  const pcap = join(tmp, "speech.pcap");
  writeFileSync(pcap, stream.pcap());
  const caller = startSipp({ scenario: pcapCaller({ exten: "800", pcap }), target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 30_000, extraArgs: ["-mp", String(await freePort())] });
  const done = await caller.done;
  assert.equal(done.code, 0, `${done.errors}\n${done.stderr}`);
  await assertLogged(recall.dataDir, /EAGI read \d+ bytes, AGISTATUS SUCCESS/, 10_000);
  const [, bytes] = /EAGI read (\d+) bytes/.exec(messages(recall.dataDir))!;
  await assertLogged(recall.dataDir, /EAGI enhanced 1\.0/);
  const raw = readFileSync(join(tmp, "heard.raw"));
  assert.equal(raw.length, Number(bytes));
  assert.ok(raw.length >= 40000 * 0.9, `${raw.length} bytes of audio`);
  const heard = new Int16Array(raw.buffer, raw.byteOffset, raw.length >> 1);
  const m = matchPcm(fromUlaw(speech), heard);
  assert.ok(m.voiced > 50, `${m.voiced} voiced frames`);
  assert.ok(m.identical >= 0.95 * m.voiced, `${m.identical} of ${m.voiced} voiced frames identical (lag ${m.lag})`);
  assert.ok(m.correlation > 0.99, `correlation ${m.correlation}`);
});

test("the log replays with no divergence", { skip }, async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /^\d+ events, 0 divergences/);
});
