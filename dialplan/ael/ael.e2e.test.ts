/**
 * AEL end to end: a real `recall start` with the sample pjsip.conf and extensions.conf
 * plus an extensions.ael that adds to the sample's from-internal context; sipp's 6001
 * calls an AEL extension (a for loop, a macro called with &, a switch) and the
 * compiled dialplan's output lands in messages.log. Then `dialplan reload` picks up an
 * edited extensions.ael, and a broken one is refused with its file and line.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, assertLogged, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { runSipp } from "../../sip/sipp/sipp.js";
import { uacCall } from "../../sip/sipp/call-scenarios.js";

const sample = (file: string) => readFileSync(join(packageRoot, "infra", "sample-config", file), "utf8");
const credentials = "SEQUENTIAL\n6001;reception-6001\n";
let recall: RecallProcess;
let port: number;

const AEL = `
// Added to the sample's [from-internal] (a context in both files is one context).
context from-internal {
  8800 => {
    Answer();
    total = 0;
    for (i = 1; \${i} <= 3; i = \${i} + 1) {
      total = \${total} + \${i};
    }
    &ael-report(\${total}, \${CALLERID(num)});
    Hangup();
  }
}

macro ael-report(n, who) {
  switch (\${n}) {
    case 6:
      Verbose(1, AEL counted \${n} for \${who});
      break;
    default:
      Verbose(1, AEL miscounted \${n});
  }
}
`;

before(async () => {
  port = await freePort();
  const pjsip = sample("pjsip.conf").replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${port}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0");
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": sample("extensions.conf"), "extensions.ael": AEL });
});
after(async () => { await recall?.stop(); });

async function call(exten: string): Promise<void> {
  const caller = await runSipp({ scenario: uacCall({ exten, from: "6001", auth: true }), target: `127.0.0.1:${port}`, calls: 1, inject: credentials, timeoutMs: 30_000 });
  assert.equal(caller.code, 0, caller.errors);
}

test("6001 calls 8800, an AEL extension: the loop, the & macro call and the switch run", async () => {
  const shown = await recall.cli("dialplan show 8800@from-internal");
  assert.match(shown, /Gosub\(ael-report,~~s~~,1\(\$\{total\},\$\{CALLERID\(num\)\}\)\)\s+\[extensions\.ael:\d+\]/);
  assert.match(shown, /\[__for1_top\]\s+\d+\. GotoIf\(\$\[\$\{i\} <= 3\]\?:__for1_end\)/);
  await call("8800");
  await assertLogged(recall.dataDir, /AEL counted 6 for 6001/);
});

test("the sample's own extensions still run beside the AEL ones (7100 from extensions.conf)", async () => {
  await call("7100");
  await assertLogged(recall.dataDir, /Sum computed by sub-add: 12/);
});

test("dialplan reload reads an edited extensions.ael; a broken one is refused with its file and line", async () => {
  writeFileSync(join(recall.configDir, "extensions.ael"), AEL.replace("case 6:", "case 7:"));
  assert.match(await recall.cli("dialplan reload"), /Dialplan reloaded/);
  await call("8800");
  await assertLogged(recall.dataDir, /AEL miscounted 6/);
  writeFileSync(join(recall.configDir, "extensions.ael"), "context broken {\n  s => NoOp(\n}\n");
  const refused = await recall.cli("dialplan reload");
  assert.match(refused, /Dialplan not reloaded: .*extensions\.ael:2: NoOp\(\.\.\.\): missing '\)'/);
  await call("8800");
  await assertLogged(recall.dataDir, /AEL miscounted 6[\s\S]*AEL miscounted 6/);
});
