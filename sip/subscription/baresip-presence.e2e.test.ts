/**
 * A real phone's busy lamp: baresip (its contact and presence modules) registered as
 * 6003 watches 6002 with `Event: presence`; a call from 6001 rings 6002 and is
 * answered, and baresip shows the lamp go busy and back to online. The log passes
 * `recall replay --verify`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { runSipp, startSipp } from "../sipp/sipp.js";
import { registerWithAuth } from "../sipp/scenarios.js";
import { uacCall, uasCall } from "../sipp/call-scenarios.js";
import { startBaresip, type Baresip } from "../baresip/baresip.js";

const run = promisify(execFile);
const sample = (file: string) => readFileSync(join(packageRoot, "infra", "sample-config", file), "utf8");
let recall: RecallProcess;
let baresip: Baresip | undefined;
let port: number;
let phone6002: number;

before(async () => {
  port = await freePort();
  phone6002 = await freePort();
  const pjsip = sample("pjsip.conf").replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${port}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0");
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": sample("extensions.conf").replace(/RING_TIME = \d+/, "RING_TIME = 10") });
  const reg = await runSipp({ scenario: registerWithAuth({ expires: 600 }), target: `127.0.0.1:${port}`, calls: 1, localPort: phone6002, inject: "SEQUENTIAL\n6002;supervisor-6002\n", timeoutMs: 20_000 });
  assert.equal(reg.code, 0, reg.errors);
});
after(async () => {
  await baresip?.stop();
  await recall?.stop();
});

test("baresip's presence lamp for 6002 turns busy while a call rings and is answered, and back online after it", async () => {
  baresip = startBaresip({
    account: `<sip:6003@127.0.0.1:${port};transport=udp>;auth_pass=backoffice-6003;regint=600`,
    localPort: await freePort(),
    config: ["module_app contact.so", "module_app presence.so"],
    contacts: [`"Supervisor" <sip:6002@127.0.0.1:${port}>;presence=p2p`],
  });
  await baresip.waitFor(/6003@127\.0\.0\.1: .*200 OK/, 15_000);
  const watching = async () => /6002@from-internal\s*: PJSIP\/6002\s+State:Idle .*Watchers  1/.test(await recall.cli("core show hints"));
  for (let i = 0; i < 100 && !(await watching()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(await watching(), await recall.cli("core show hints"));
  const phone = startSipp({ scenario: uasCall({ status: 200, ringMs: 1500 }), localPort: phone6002, calls: 1, timeoutMs: 30_000 });
  const caller = await runSipp({
    scenario: uacCall({ exten: "6002", from: "6001", auth: true, holdMs: 1500 }), target: `127.0.0.1:${port}`, localPort: await freePort(),
    calls: 1, inject: "SEQUENTIAL\n6001;reception-6001\n", timeoutMs: 30_000,
  });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal((await phone.done).code, 0);
  await baresip.waitFor(/<sip:6002@127\.0\.0\.1:\d+> changed status from \S*Online\S* to \S*Busy/, 10_000);
  await baresip.waitFor(/changed status from \S*Busy\S* to \S*Online/, 10_000);
  assert.match(await recall.cli("recall show subscriptions"), /6003\s+presence\s+6002@from-internal\s+Idle/);
});

test("the log passes recall replay --verify", async () => {
  await baresip?.stop();
  baresip = undefined;
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
