/**
 * Two real softphones (baresip) registered to Recall call each other through the
 * sample dialplan: 6001 dials 6002, 6002 answers automatically, the call is bridged
 * with its media anchored in Recall (the sample's direct_media=no), 6001 hangs up.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, messages, startRecall } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { startBaresip } from "../baresip/baresip.js";

const sample = (file: string) => readFileSync(join(packageRoot, "infra", "sample-config", file), "utf8");

test("baresip 6001 calls baresip 6002 through the sample dialplan; the call is bridged, then 6001 hangs up", async () => {
  const port = await freePort();
  const pjsip = sample("pjsip.conf").replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${port}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0");
  const recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": sample("extensions.conf") });
  // No sound devices here: a core sound as the microphone, aubridge as a speaker that goes nowhere.
  const media = ["module aufile.so", "module aubridge.so", "audio_source aufile,/usr/share/asterisk/sounds/en/hello-world.wav", "audio_player aubridge,nowhere"];
  const callee = startBaresip({
    account: `<sip:6002@127.0.0.1:${port};transport=udp>;auth_pass=supervisor-6002;regint=300;answermode=auto`, localPort: await freePort(), config: media,
  });
  try {
    await callee.waitFor(/200 OK .*\[1 binding\]/);
    const caller = startBaresip({
      account: `<sip:6001@127.0.0.1:${port};transport=udp>;auth_pass=reception-6001;regint=300`, localPort: await freePort(), config: media,
      commands: [`/dial sip:6002@127.0.0.1:${port}`], quitAfterSeconds: 6,
    });
    try {
      await caller.waitFor(/200 OK .*\[1 binding\]/);
      await recall.waitFor(/Executing \[6002@from-internal:3\] Dial\("PJSIP\/6001-[0-9a-f]{8}", "PJSIP\/6002,20"\)/, 15_000)
        .catch((e: Error) => { throw new Error(`${e.message}\n--- 6001 (baresip):\n${caller.output()}`); });
      await callee.waitFor(/call established|Call established/i, 15_000);
      const channels = await recall.cli("core show channels concise");
      assert.match(channels, /^PJSIP\/6001-[0-9a-f]{8}!from-internal!6002!3!Up!Dial!PJSIP\/6002,20!6001!.*!PJSIP\/6002-[0-9a-f]{8}!/m);
      await caller.exited;
      await recall.waitFor(/Executing \[h@from-internal:1\] NoOp\("PJSIP\/6001-[0-9a-f]{8}", "Call from 6001 ended: cause 16, dial status ANSWER"\)/, 15_000);
      assert.match(await recall.cli("core show channels count"), /0 active channels/);
    } finally {
      await caller.stop();
    }
  } finally {
    await callee.stop();
    await recall.stop();
  }
  void messages;
});
