/**
 * The console habits of an Asterisk operator on a running Recall: `recall cli` finding
 * the instance without --data, core show uptime|version|settings|sysinfo, module show,
 * core stop and core restart; and `recall start --config` refusing a missing directory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, startRecall } from "./recall-process.js";
import { packageRoot } from "./paths.js";
import { commandsFromHelp, complete } from "../console/completion.js";
import { runSipp, startSipp } from "../../sip/sipp/sipp.js";
import { uacCall } from "../../sip/sipp/call-scenarios.js";
import { tempDir } from "../../core/reap.js";

const run = promisify(execFile);
const recallBin = join(packageRoot, "bin", "recall.js");
const pjsip = async () => readFileSync(join(packageRoot, "infra", "sample-config", "pjsip.conf"), "utf8")
  .replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${await freePort()}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0");
const cliFrom = async (cwd: string, command: string, env: NodeJS.ProcessEnv = {}) => {
  const clean = { ...process.env, ...env };
  if (!env.RECALL_DATA) delete clean.RECALL_DATA;
  return (await run(process.execPath, [recallBin, "cli", "-rx", command], { cwd, env: clean, timeout: 20_000 })).stdout;
};
const exitOf = (child: import("node:child_process").ChildProcess, timeoutMs: number) => new Promise<number | null>((resolve, reject) => {
  if (child.exitCode !== null) { resolve(child.exitCode); return; }
  const timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs);
  child.once("exit", (code) => { clearTimeout(timer); resolve(code); });
});

test("recall cli without --data finds the instance started from the same directory, or the one RECALL_DATA names", { timeout: 120_000 }, async () => {
  const here = tempDir("recall-cwd-");
  const recall = await startRecall({ "pjsip.conf": await pjsip() }, { cwd: here });
  try {
    assert.match(await cliFrom(here, "core show settings"), new RegExp(`Data directory: +${recall.dataDir}\\n`));
    const elsewhere = tempDir("recall-cwd-");
    assert.match(await cliFrom(elsewhere, "core show settings", { RECALL_DATA: recall.dataDir }), new RegExp(`Process ID: +${recall.child.pid}\\n`));
    await assert.rejects(cliFrom(elsewhere, "core show uptime"), /Unable to connect to a running Recall .*data\/recall\.ctl/, "elsewhere, without RECALL_DATA: ./data, where nothing runs");

    assert.match(await recall.cli("core show uptime"), /^System uptime: (\d+ minutes?, )?\d+ seconds?\n$/);
    assert.match(await recall.cli("core show uptime seconds"), /^System uptime: \d+\n$/);
    assert.match(await recall.cli("core show version"), /^Recall \d+\.\d+\.\d+ on Node\.js v\d+/);
    const settings = await recall.cli("core show settings");
    for (const row of [/Verbosity: +3\n/, /Debug level: +0\n/, new RegExp(`Configuration directory: +${recall.configDir}\\n`), /Active channels: +0\n/]) assert.match(settings, row);
    assert.match(await recall.cli("core show sysinfo"), /System Statistics\n-+\n(?:.*\n)*  Total RAM: +\d+ KiB\n/);
    const modules = await recall.cli("module show like pjsip");
    assert.match(modules, /^Module +Description +Use Count +Status +Support Level\n/);
    assert.match(modules, /^chan_pjsip\.so +PJSIP Channel Driver +0 +Running +core$/m);
    assert.match(modules, /^res_pjsip\.so +Basic SIP resource/m);
    assert.doesNotMatch(modules, /app_dial/);
    assert.match(modules, /\n\d+ modules loaded\n$/);

    const commands = commandsFromHelp(await recall.cli("core show help"));
    assert.deepEqual(complete(commands, "core show up"), [["uptime "], "up"]);
    assert.deepEqual(complete(commands, "logger r")[0], ["reload", "rotate"]);
    assert.deepEqual(complete(commands, "modu"), [["module "], "modu"]);
  } finally {
    await recall.stop();
  }
});

test("core stop gracefully with no calls stops at once; core stop now too", { timeout: 120_000 }, async () => {
  for (const mode of ["gracefully", "now"]) {
    const recall = await startRecall({ "pjsip.conf": await pjsip() });
    try {
      assert.match(await recall.cli(`core stop ${mode}`), mode === "now" ? /^Stopping now\.\n$/ : /^Stopping: no active calls\.\n$/);
      assert.equal(await exitOf(recall.child, 30_000), 0);
      assert.match(recall.output(), new RegExp(`core stop ${mode}: shutting down`));
    } finally {
      await recall.stop();
    }
  }
});

test("core stop gracefully waits for the call that is up, refusing new calls with 503, then stops", { timeout: 120_000 }, async () => {
  const port = await freePort();
  const conf = readFileSync(join(packageRoot, "infra", "sample-config", "pjsip.conf"), "utf8")
    .replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${port}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0");
  const recall = await startRecall({ "pjsip.conf": conf, "extensions.conf": "[from-internal]\nexten => 7000,1,Answer()\n same => n,Wait(60)\n same => n,Hangup()\n" });
  const call = (o: { holdMs?: number; expect?: number }) => ({
    scenario: uacCall({ exten: "7000", from: "6001", auth: true, ...o }), target: `127.0.0.1:${port}`, calls: 1, inject: "SEQUENTIAL\n6001;reception-6001\n", timeoutMs: 30_000,
  });
  try {
    const first = startSipp(call({ holdMs: 5000 }));
    const until = Date.now() + 20_000;
    while (!/Active channels: +[1-9]/.test(await recall.cli("core show settings")) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.match(await recall.cli("core stop gracefully"), /^Waiting for \d+ active channels? to end before stopping\.\n$/);
    const refused = await runSipp(call({ expect: 503 }));
    assert.equal(refused.code, 0, `a new call is refused with 503: ${refused.errors}`);
    assert.equal(recall.child.exitCode, null, "still running while the first call is up");
    const ended = await first.done;
    assert.equal(ended.code, 0, `the call that was up goes on to its end: ${ended.errors}`);
    assert.equal(await exitOf(recall.child, 30_000), 0);
    assert.match(recall.output(), /core stop gracefully: shutting down/);
  } finally {
    await recall.stop();
  }
});

test("core restart now: a successor with the same data directory takes over", { timeout: 120_000 }, async () => {
  const recall = await startRecall({ "pjsip.conf": await pjsip() });
  let successor: string | undefined;
  try {
    const first = recall.child.pid;
    assert.match(await recall.cli("core restart now"), /^Restarting now\.\n$/);
    assert.equal(await exitOf(recall.child, 30_000), 0);
    const until = Date.now() + 60_000;
    while (!successor && Date.now() < until) {
      const settings = await recall.cli("core show settings").catch(() => "");
      const pid = /Process ID: +(\d+)/.exec(settings)?.[1];
      if (pid && Number(pid) !== first) successor = pid; else await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(successor, `no successor answered:\n${recall.output()}`);
  } finally {
    if (successor) await recall.cli("core stop now").catch(() => process.kill(Number(successor), "SIGKILL"));
    await recall.stop();
  }
});

test("core restart under systemd exits with status 75, which the unit restarts", { timeout: 120_000 }, async () => {
  // systemd sets INVOCATION_ID in a service's environment; the child inherits it from here.
  process.env.INVOCATION_ID = "test";
  const recall = await startRecall({ "pjsip.conf": await pjsip() }).finally(() => { delete process.env.INVOCATION_ID; });
  try {
    assert.match(await recall.cli("core restart now"), /^Restarting now\.\n$/);
    assert.equal(await exitOf(recall.child, 30_000), 75);
    await assert.rejects(recall.cli("core show uptime"), /Unable to connect/, "no successor of its own: systemd starts it");
  } finally {
    await recall.stop();
  }
});

test("recall start --config refuses a directory that does not exist, saying which", { timeout: 30_000 }, async () => {
  const missing = join(tmpdir(), "recall-no-such-config");
  const r = await run(process.execPath, [recallBin, "start", "--config", missing, "--data", tempDir("recall-data-")], { timeout: 20_000 }).then(() => ({ code: 0, stderr: "" }), (e: { code: number; stderr: string }) => e);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `recall: --config ${missing}: no such directory; give the directory that holds pjsip.conf, extensions.conf and the other .conf files (without --config: the sample configuration)\n`);
});
