/**
 * Load shedding end to end (issue 17's bad input): a real `recall start` with recall.conf
 * `[calls] max_setup_calls = 5`, a sipp callee that rings 1 s before answering (so Recall
 * can set up 5 calls a second), and a sipp caller that first offers twice that, then a
 * normal rate. Beyond the bound, INVITEs get 503 with Retry-After and no channel; the
 * calls it admitted complete; right after, at the normal rate, every call completes; the
 * log holds one NOTICE a window, not one per refusal, and replays.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, messages, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { runSipp, startSipp } from "../sipp/sipp.js";
import { uacCall, uasCall } from "../sipp/call-scenarios.js";
import { callerCalleePjsip } from "./test-phones.js";

const run = promisify(execFile);
let recall: RecallProcess;
let port: number;
let uasPort: number;

before(async () => {
  port = await freePort();
  uasPort = await freePort();
  recall = await startRecall({
    "pjsip.conf": callerCalleePjsip(port, uasPort, { context: "shed", callee: "uas" }),
    "extensions.conf": "[shed]\nexten => 800,1,Dial(PJSIP/uas,10)\n same => n,Hangup()\n",
    // Only the count sheds here: the event-loop lag depends on what else the machine runs.
    "recall.conf": "[calls]\nmax_setup_calls = 5\noverload_delay_ms = 0\noverload_retry_after = 2\n",
  });
});
after(async () => { await recall?.stop(); });

/** `calls` at `rate`/s to 800; the callee rings 1 s, then answers; the caller hangs up 100 ms after the answer. */
async function offer(rate: number, calls: number) {
  const callee = startSipp({ scenario: uasCall({ ringMs: 1000, status: 200 }), localPort: uasPort, calls, timeoutMs: 60_000 });
  const caller = await runSipp({
    scenario: uacCall({ exten: "800", holdMs: 100 }), target: `127.0.0.1:${port}`, calls, rate, limit: calls, timeoutMs: 60_000,
    extraArgs: ["-trace_msg"],
  });
  await new Promise((r) => setTimeout(r, 500)); // the last BYE reaches the callee
  callee.stop();
  return { caller, callee: await callee.done };
}

test("offered twice what it can set up: 503 with Retry-After beyond the bound, no channel for them; at a normal rate right after, every call completes", async () => {
  const overload = await offer(10, 30);
  assert.ok(overload.caller.failed > 0, `some calls refused: ${overload.caller.stdout.slice(-1500)}`);
  assert.ok(overload.caller.successful >= 10, `the admitted calls complete (${overload.caller.successful})`);
  assert.equal(overload.caller.successful + overload.caller.failed, 30);
  assert.equal(overload.callee.successful, overload.caller.successful, "a refused call never reached the callee");
  const trace = readFileSync(join(overload.caller.dir, readdirSync(overload.caller.dir).find((f) => f.endsWith("_messages.log"))!), "utf8");
  // sipp gives up on a refused call without ACKing its 503, so Recall retransmits it: count calls, not messages.
  const refusals = trace.match(/SIP\/2\.0 503 Service Unavailable[\s\S]*?\r?\n\r?\n/g) ?? [];
  assert.equal(new Set(refusals.map((r) => /^Call-ID: *(\S+)/mi.exec(r)?.[1])).size, overload.caller.failed);
  for (const r of refusals) assert.match(r, /^Retry-After: 2\r?$/m);

  // Well inside the bound even when a loaded machine makes each set-up slow.
  const normal = await offer(1, 4);
  assert.equal(normal.caller.successful, 4, `recovered: every call completes\n${normal.caller.errors}`);
  assert.equal(normal.caller.failed, 0);

  const log = messages(recall.dataDir);
  const notices = log.split("\n").filter((l) => /Overload/.test(l));
  assert.match(notices[0], /NOTICE.*Overload: refusing new calls with 503 \(5 calls being set up of 5 allowed\)/);
  assert.ok(notices.some((l) => /Overload over: accepting new calls again/.test(l)), notices.join("\n"));
  assert.ok(notices.length < overload.caller.failed, `one line a window, not one per refusal (${notices.length} lines, ${overload.caller.failed} refused)`);
});

test("the log of admitted and refused calls passes recall replay --verify", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
