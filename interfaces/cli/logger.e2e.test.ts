/**
 * logger.conf on a running Recall: a call's VERBOSE lines reach `full` and not
 * `messages`, and the console commands turn the logger up, down, over and reload it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, startRecall, type RecallProcess } from "./recall-process.js";
import { packageRoot } from "./paths.js";
import { runSipp } from "../../sip/sipp/sipp.js";
import { uacCall } from "../../sip/sipp/call-scenarios.js";

const sample = (file: string) => readFileSync(join(packageRoot, "infra", "sample-config", file), "utf8");
const loggerConf = (messages: string) => `[general]\nrotatestrategy = rotate\ndateformat = %F %T.%3q\n[logfiles]\nconsole => notice,warning,error\nmessages => ${messages}\nfull => notice,warning,error,verbose(3),dtmf\n`;
let recall: RecallProcess;
let port: number;

before(async () => {
  port = await freePort();
  const pjsip = sample("pjsip.conf").replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${port}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0");
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": sample("extensions.conf"), "logger.conf": loggerConf("notice,warning,error") });
});
after(async () => { await recall?.stop(); });

const file = (name: string) => { const p = join(recall.dataDir, name); return existsSync(p) ? readFileSync(p, "utf8") : ""; };

async function callGreeting(dtmf?: string): Promise<void> {
  const r = await runSipp({ scenario: uacCall({ exten: "7000", from: "6001", auth: true, holdMs: 800, ...(dtmf ? { dtmf } : {}) }), target: `127.0.0.1:${port}`, calls: 1, inject: "SEQUENTIAL\n6001;reception-6001\n", timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.errors);
}

async function waitForFile(name: string, pattern: RegExp, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(file(name)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.match(file(name), pattern);
}

test("a call with messages => notice,warning,error writes no VERBOSE line there; full gets them", { timeout: 60_000 }, async () => {
  await callGreeting("5");
  await waitForFile("full", /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] VERBOSE\[\d+\] pbx\.c: Executing \[7000@from-internal:1\] Goto/m);
  await waitForFile("full", /^\[[^\]]+\] DTMF\[\d+\] channel\.c: DTMF end '5' received on PJSIP\/6001-[0-9a-f]{8}$/m);
  assert.doesNotMatch(file("messages"), /VERBOSE|DTMF/);
  assert.ok(!existsSync(join(recall.dataDir, "messages.log")), "logger.conf's channels replace the default messages.log");
  assert.match(recall.output(), /Executing \[7000@from-internal:1\]/, "the console shows VERBOSE up to the core verbosity (3 by default)");
});

test("core set verbose 0 silences the console; full still takes what its channel lists", { timeout: 60_000 }, async () => {
  assert.equal(await recall.cli("core set verbose 0"), "Console verbose was 3 and is now OFF.\n");
  const before = recall.output().length;
  await callGreeting();
  await waitForFile("full", /Executing \[7000@from-internal:1\][^\n]*\n(?:.*\n)*.*Executing \[7000@from-internal:1\]/);
  assert.doesNotMatch(recall.output().slice(before), /Executing/);
  assert.match(await recall.cli("core set verbose atleast 3"), /was OFF and is now 3/);
  assert.equal(await recall.cli("core set debug 2"), "Core debug was OFF and is now 2.\n");
  assert.equal(await recall.cli("core set debug off"), "Core debug was 2 and is now OFF.\n");
});

test("logger show channels, logger rotate and logger reload", { timeout: 60_000 }, async () => {
  const channels = await recall.cli("logger show channels");
  assert.match(channels, /rotate strategy rotate/);
  assert.match(channels, new RegExp(`${join(recall.dataDir, "messages")} +File +Enabled +NOTICE WARNING ERROR\\n`));
  assert.match(channels, new RegExp(`${join(recall.dataDir, "full")} +File +Enabled +VERBOSE\\(3\\) NOTICE WARNING ERROR DTMF\\n`));
  const linesBefore = file("full").split("\n").length;
  const rotated = await recall.cli("logger rotate");
  assert.match(rotated, /full → .*full\.0\n/);
  assert.equal(readFileSync(join(recall.dataDir, "full.0"), "utf8").split("\n").length, linesBefore, "the archive holds every line written before");
  writeFileSync(join(recall.configDir, "logger.conf"), loggerConf("notice,warning,error,verbose"));
  assert.equal(await recall.cli("logger reload"), "Logger reloaded: 3 channels\n");
  await callGreeting();
  await waitForFile("messages", /VERBOSE\[\d+\] pbx\.c: Executing \[7000@from-internal:1\]/);
  await waitForFile("full", /Executing \[7000@from-internal:1\]/);
  assert.ok(readdirSync(recall.dataDir).includes("full.0"));
});
