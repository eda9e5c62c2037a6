/**
 * Two real softphones (baresip) call each other through Recall with the media anchored
 * in Recall (the sample config's direct_media = no), and each hears the other: every
 * phone's microphone is a different core sound (aufile), and baresip's sndfile filter
 * writes what it decoded from the RTP it received to a WAV file. Each file must be the
 * other phone's sound, frame for frame in G.711 codes.
 *
 * Why sndfile: it is baresip's own record of the audio it received (after its jitter
 * buffer and decoder, before the speaker), so the test proves audio arrived at the far
 * phone's ear, both ways, without a sound device; packet counters alone would not show
 * that the right audio went the right way.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { freePort, startRecall } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { startBaresip } from "../baresip/baresip.js";
import { fromUlaw, matchPcm, readWav, toUlaw } from "../sipp/audio.js";
import { tempDir } from "../../core/reap.js";

const SOUNDS = "/usr/share/asterisk/sounds/en";
const sample = (file: string) => readFileSync(join(packageRoot, "infra", "sample-config", file), "utf8");
const skip = !existsSync("/usr/lib/baresip/modules/sndfile.so") ? "baresip's sndfile module is not installed"
  : !existsSync(join(SOUNDS, "tt-weasels.wav")) ? "asterisk-core-sounds-en-wav is not installed" : false;

/** The one `dump-...-dec.wav` sndfile wrote in `dir`. */
function decoded(dir: string): Int16Array {
  const files = readdirSync(dir).filter((f) => f.endsWith("-dec.wav"));
  assert.equal(files.length, 1, `one decode dump in ${dir}: ${readdirSync(dir).join(", ")}`);
  return readWav(join(dir, files[0]));
}

test("baresip 6001 and 6002 talk through Recall with media anchored: each phone decodes the other's sound, frame for frame", { skip }, async (t) => {
  const port = await freePort();
  const pjsip = sample("pjsip.conf").replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${port}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0");
  assert.match(pjsip, /direct_media\s*=\s*no/, "the sample endpoints anchor media");
  const recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": sample("extensions.conf") });
  const [callerDir, calleeDir] = [tempDir("recall-baresip-6001-"), tempDir("recall-baresip-6002-")];
  // The caller says tt-weasels (3 s; baresip hangs up when its file ends), the called phone demo-thanks (5.5 s).
  const media = (sound: string, dir: string) => [
    "module aufile.so", "module aubridge.so", "module sndfile.so", `snd_path ${dir}`,
    `audio_source aufile,${join(SOUNDS, sound)}`, "audio_player aubridge,nowhere",
  ];
  const callee = startBaresip({
    account: `<sip:6002@127.0.0.1:${port};transport=udp>;auth_pass=supervisor-6002;regint=300;answermode=auto`,
    localPort: await freePort(), config: [...media("demo-thanks.wav", calleeDir), "module_app menu.so"], // menu: q quits
  });
  try {
    await callee.waitFor(/200 OK .*\[1 binding\]/);
    const caller = startBaresip({
      account: `<sip:6001@127.0.0.1:${port};transport=udp>;auth_pass=reception-6001;regint=300`,
      localPort: await freePort(), config: media("tt-weasels.wav", callerDir),
      commands: [`/dial sip:6002@127.0.0.1:${port}`], quitAfterSeconds: 10,
    });
    try {
      await caller.waitFor(/Call established/i, 15_000);
      await caller.waitFor(/terminated/, 15_000);
      await callee.waitFor(/terminated/, 10_000);
    } finally {
      await caller.stop();
    }
    // Each phone's RTP came from Recall's session of its own leg (rtp.conf's 10000-20000), not from the other phone.
    const from = (out: string) => Number(/receiving from 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const [toCaller, toCallee] = [from(caller.output()), from(callee.output())];
    assert.ok(toCaller >= 10000 && toCaller <= 20000 && toCallee >= 10000 && toCallee <= 20000 && toCaller !== toCallee,
      `RTP from Recall's ports ${toCaller} and ${toCallee}\n--- 6001:\n${caller.output()}\n--- 6002:\n${callee.output()}`);
    const reference = (sound: string) => fromUlaw(toUlaw(readWav(join(SOUNDS, sound))));
    for (const [who, dir, sound] of [["6001 hears 6002", callerDir, "demo-thanks.wav"], ["6002 hears 6001", calleeDir, "tt-weasels.wav"]] as const) {
      const m = matchPcm(reference(sound), decoded(dir));
      const detail = `${who}: ${JSON.stringify(m)}`;
      t.diagnostic(detail);
      assert.ok(m.voiced >= 50, `at least a second of sound arrived (${detail})`);
      assert.ok(m.identical >= 0.95 * m.voiced, `the frames are the other phone's ${sound} (${detail})`);
      assert.ok(m.correlation > 0.99, detail);
    }
  } finally {
    await callee.stop();
    await recall.stop();
  }
});
