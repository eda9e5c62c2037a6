/**
 * Call files end to end: a real `recall start` (its spool in DATA/spool) and a sipp phone
 * behind endpoint 6001. Each file is written elsewhere and moved in, as Asterisk asks:
 * one answered (the phone is called, the dialplan runs, Archive: yes leaves Status:
 * Completed), one scheduled by its mtime, one to a busy phone retried MaxRetries times,
 * malformed ones moved aside with the reason; then what the spool decided, as the log
 * holds it, and `recall replay --verify` on that log.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, assertLogged, startRecall, type RecallProcess } from "../cli/recall-process.js";
import { packageRoot } from "../cli/paths.js";
import { startSipp } from "../../sip/sipp/sipp.js";
import { uasCall } from "../../sip/sipp/call-scenarios.js";
import { phonesPjsip } from "../../sip/call/test-phones.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";

const run = promisify(execFile);
let recall: RecallProcess;
let phonePort: number;
let config: Record<string, string>;

const EXTENSIONS = `
[test]
exten => 900,1,NoOp(Call file \${CALLFILE} attempt \${CALLFILE_ATTEMPT} FOO=\${FOO})
 same => n,Wait(0.3)
 same => n,Hangup()
`;

before(async () => {
  const port = await freePort();
  phonePort = await freePort();
  config = { "pjsip.conf": phonesPjsip(port, { context: "test" }, [{ name: "6001", port: phonePort }]), "extensions.conf": EXTENSIONS };
  recall = await startRecall(config);
  assert.match(recall.output(), /Call files: .*spool\/outgoing/);
});
after(async () => { await recall?.stop(); });

const spool = (...p: string[]) => join(recall.dataDir, "spool", ...p);

/** Write a call file outside the spool, set its mtime `inSeconds` from now (if given), and move it in. */
function dropCallFile(name: string, text: string, inSeconds?: number): void {
  const staging = join(recall.dataDir, "staging");
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, name), text);
  if (inSeconds !== undefined) {
    const t = Date.now() / 1000 + inSeconds;
    utimesSync(join(staging, name), t, t);
  }
  renameSync(join(staging, name), spool("outgoing", name));
}

async function waitForFile(path: string, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`${path} did not appear in ${timeoutMs} ms:\n${recall.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 100)); // the Status: line is appended right after the move
  return readFileSync(path, "utf8");
}

test("a call file dropped into the spool calls the phone, which answers; the dialplan runs with its Setvar; Archive: yes leaves it in outgoing_done with Status: Completed", async () => {
  const phone = startSipp({ scenario: uasCall({ status: 200, ringMs: 100 }), localPort: phonePort, calls: 1, timeoutMs: 20_000 });
  dropCallFile("answered.call", 'Channel: PJSIP/6001\nCallerID: "Wake up" <4242>\nWaitTime: 10\nContext: test\nExtension: 900\nSetvar: FOO=bar\nArchive: yes\n');
  const result = await phone.done;
  assert.equal(result.code, 0, result.errors);
  const archived = await waitForFile(spool("outgoing_done", "answered.call"), 10_000);
  assert.match(archived, /\nStartRetry: \d+ 1 \(\d+\)\n/);
  assert.match(archived, /Status: Completed\n$/);
  assert.equal(existsSync(spool("outgoing", "answered.call")), false);
  await assertLogged(recall.dataDir, /Executing \[900@test:1\] NoOp\("PJSIP\/6001-\w+", "Call file answered\.call attempt 1 FOO=bar"\)/, 5000);
  await assertLogged(recall.dataDir, /NOTICE\[\d+\] pbx_spool\.c: Call completed to PJSIP\/6001/, 5000);
});

test("Application/Data: the answered phone hears Playback(beep), then Recall hangs up; without Archive the file is deleted", async () => {
  const phone = startSipp({ scenario: uasCall({ status: 200, ringMs: 50 }), localPort: phonePort, calls: 1, timeoutMs: 20_000 });
  dropCallFile("app.call", "Channel: PJSIP/6001\nApplication: Playback\nData: beep\nAccount: acct-42\n");
  const result = await phone.done;
  assert.equal(result.code, 0, result.errors);
  await assertLogged(recall.dataDir, /Call completed to PJSIP\/6001[^]*Call completed to PJSIP\/6001/, 5000);
  assert.equal(existsSync(spool("outgoing", "app.call")), false);
  assert.equal(existsSync(spool("outgoing_done", "app.call")), false);
});

test("a call file whose mtime is 4 s ahead waits until then", async () => {
  const phone = startSipp({ scenario: uasCall({ status: 200, ringMs: 50 }), localPort: phonePort, calls: 1, timeoutMs: 20_000 });
  const dropped = Date.now();
  dropCallFile("scheduled.call", "Channel: PJSIP/6001\nContext: test\nExtension: 900\nArchive: yes\n", 4);
  await new Promise((r) => setTimeout(r, 2500));
  assert.ok(existsSync(spool("outgoing", "scheduled.call")), "still waiting in the spool");
  assert.doesNotMatch(readFileSync(spool("outgoing", "scheduled.call"), "utf8"), /StartRetry/, "not attempted yet");
  const result = await phone.done;
  assert.equal(result.code, 0, result.errors);
  assert.ok(Date.now() - dropped >= 4000, `called ${Date.now() - dropped} ms after it was dropped`);
  assert.match(await waitForFile(spool("outgoing_done", "scheduled.call"), 10_000), /Status: Completed\n$/);
});

test("a busy phone: called 1 + MaxRetries times, RetryTime apart, the file rewritten each time; then archived with Status: Expired", async () => {
  const phone = startSipp({ scenario: uasCall({ status: 486 }), localPort: phonePort, calls: 3, timeoutMs: 30_000 });
  const started = Date.now();
  dropCallFile("busy.call", "Channel: PJSIP/6001\nContext: test\nExtension: 900\nMaxRetries: 2\nRetryTime: 1\nWaitTime: 5\nArchive: yes\n");
  const archived = await waitForFile(spool("outgoing_done", "busy.call"), 25_000);
  const result = await phone.done;
  assert.equal(result.code, 0, result.errors);
  assert.equal(result.successful, 3, "three INVITEs answered 486");
  assert.deepEqual(archived.match(/^(StartRetry|EndRetry): \d+ (\d)/gm)!.map((l) => l.replace(/: \d+ /, " ")),
    ["StartRetry 1", "EndRetry 1", "StartRetry 2", "EndRetry 2", "StartRetry 3"]);
  assert.match(archived, /Status: Expired\n$/);
  assert.ok(Date.now() - started >= 2000, "two retries, RetryTime (1 s) apart");
  await assertLogged(recall.dataDir, /Call failed to go through, reason \(5\) Remote end is Busy/, 5000);
  await assertLogged(recall.dataDir, /Queued call to PJSIP\/6001 expired without completion after 3 attempts/, 5000);
});

test("malformed call files are moved to outgoing_failed with Status: Failed and the reason, and nobody is called", async () => {
  dropCallFile("typo.call", "Chanel: PJSIP/6001\nContext: test\nExtension: 900\n");
  dropCallFile("nothing.call", "Channel: PJSIP/6001\nWaitTime: 5\n");
  const typo = await waitForFile(spool("outgoing_failed", "typo.call"), 10_000);
  assert.match(typo, /Status: Failed\nReason: no Channel: line\n$/);
  assert.match(await waitForFile(spool("outgoing_failed", "nothing.call"), 10_000), /Reason: neither Application: nor Extension: is given\n$/);
  await assertLogged(recall.dataDir, /WARNING\[\d+\] pbx_spool\.c: .*typo\.call line 1: unknown keyword 'Chanel'/, 5000);
  await assertLogged(recall.dataDir, /Invalid call file .*typo\.call: no Channel: line; moved to .*outgoing_failed/, 5000);
  assert.equal(existsSync(spool("outgoing", "typo.call")), false);
});

test("the log holds what the spool decided on each originated channel, and passes recall replay --verify", async () => {
  const log = await SegmentLog.open(join(recall.dataDir, "log"), { readOnly: true, notice: () => undefined });
  const decided: string[] = [];
  const accounts: string[] = [];
  try {
    for await (const batch of log.read(0)) for (const r of batch) {
      const input = r.input as { source: string; type: string; vars?: Record<string, string> };
      const context = r.state.context as { vars?: Record<string, string>; accountcode?: string };
      if (input.type === "create" && context.vars?.CALLFILE === "app.call") accounts.push(context.accountcode ?? "");
      if (input.source !== "spool") continue;
      const vars = (r.state.context as { vars: Record<string, string> }).vars;
      decided.push(`${vars.CALLFILE}#${vars.CALLFILE_ATTEMPT} ${input.vars!.CALLFILE_STATUS}${input.vars!.CALLFILE_RETRY_AT ? " retry" : ""}`);
    }
  } finally {
    await log.close();
  }
  assert.deepEqual(decided, [
    "answered.call#1 Completed", "app.call#1 Completed", "scheduled.call#1 Completed", "busy.call#1 Retry retry", "busy.call#2 Retry retry", "busy.call#3 Expired",
  ]);
  assert.deepEqual(accounts, ["acct-42"], "Account: is the channel's accountcode");
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});

test("a restart between two attempts: the new process reads the attempts from the file and makes the retry", async () => {
  const busy = startSipp({ scenario: uasCall({ status: 486 }), localPort: phonePort, calls: 1, timeoutMs: 20_000 });
  dropCallFile("restart.call", "Channel: PJSIP/6001\nContext: test\nExtension: 900\nMaxRetries: 1\nRetryTime: 4\nArchive: yes\n");
  assert.equal((await busy.done).code, 0);
  const path = spool("outgoing", "restart.call");
  const until = Date.now() + 5000;
  while (!/EndRetry/.test(readFileSync(path, "utf8")) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.match(readFileSync(path, "utf8"), /EndRetry: \d+ 1 /);
  await recall.stop();
  const answers = startSipp({ scenario: uasCall({ status: 200, ringMs: 50 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  recall = await startRecall(config, { dataDir: recall.dataDir });
  const result = await answers.done;
  assert.equal(result.code, 0, result.errors);
  const archived = await waitForFile(spool("outgoing_done", "restart.call"), 10_000);
  assert.deepEqual(archived.match(/^(StartRetry|EndRetry): \d+ (\d)/gm)!.map((l) => l.replace(/: \d+ /, " ")), ["StartRetry 1", "EndRetry 1", "StartRetry 2"]);
  assert.match(archived, /Status: Completed\n$/);
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
