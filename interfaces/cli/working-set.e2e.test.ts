import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, startRecall } from "./recall-process.js";
import { residentMiB } from "./process-stats.js";
import { packageRoot } from "./paths.js";
import { runSipp } from "../../sip/sipp/sipp.js";
import { uacCall } from "../../sip/sipp/call-scenarios.js";
import { callerCalleePjsip } from "../../sip/call/test-phones.js";
import { mappingsOf, RELEASE_AGAIN_MS } from "../../core/working-set.js";

const built = existsSync(new URL("../../core/working-set.node", import.meta.url));

/** MiB of `library`'s mappings resident in process `pid`. */
const mappedMiB = (library: string, pid: number) => mappingsOf(library, pid).reduce((sum, m) => sum + m.rss, 0) / 1048576;

test("once up, Recall lets go of chDB's start-up code, and again of what ran since; chDB still takes the rows", { skip: built ? false : "working-set helper not built" }, async () => {
  const port = await freePort();
  const pbx = await startRecall({
    "pjsip.conf": callerCalleePjsip(port, await freePort(), { context: "t" }),
    "extensions.conf": "[t]\nexten => 801,1,Answer()\n same => n,Hangup()\n",
  });
  let code: number | null = null;
  try {
    const m = /chDB: (\d+) MiB of start-up code released from memory/.exec(pbx.output());
    assert.ok(m, pbx.output());
    const released = Number(m[1]), pid = pbx.child.pid!;
    assert.ok(released > 60, `${released} MiB released: loading chDB maps well over 100 MiB of its code`);
    const resident = mappedMiB("libchdb.so", pid);
    assert.ok(resident < released, `chDB resident ${resident.toFixed(0)} MiB after releasing ${released}`);
    // Node's executable likewise: what its bootstrap touched goes, what the PBX runs comes back.
    const node = /node: (\d+) MiB of start-up code released from memory/.exec(pbx.output());
    assert.ok(node, pbx.output());
    const nodeResident = mappedMiB(process.execPath, pid);
    assert.ok(nodeResident < Number(node[1]), `node resident ${nodeResident.toFixed(0)} MiB after releasing ${node[1]}`);
    // The whole process, idle: 390 MiB before, 180 of them chDB's code.
    const { rss } = residentMiB(pid);
    assert.ok(rss < 330, `idle RSS ${rss.toFixed(0)} MiB`);
    // A call after the release: its CDR goes through chDB's insert code, mapped again as it runs.
    const call = await runSipp({ scenario: uacCall({ exten: "801" }), target: `127.0.0.1:${port}`, calls: 1, timeoutMs: 20_000 });
    assert.equal(call.successful, 1);
    const rows = () => execFileSync(process.execPath, [join(packageRoot, "bin", "recall.js"), "query", "--data", pbx.dataDir, "--format", "tsv",
      "SELECT dst, disposition FROM cdr"], { encoding: "utf8" }).trim().split("\n").slice(1).join("\n"); // below the header
    for (let i = 0; i < 50 && !rows(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(rows(), "801\tANSWERED");
    // What ran since (the insert, the query) is released again within RELEASE_AGAIN_MS.
    const afterUse = mappedMiB("libchdb.so", pid);
    let later = afterUse;
    for (const until = performance.now() + RELEASE_AGAIN_MS + 3000; performance.now() < until && later > afterUse - 2;) {
      await new Promise((r) => setTimeout(r, 250));
      later = mappedMiB("libchdb.so", pid);
    }
    assert.ok(later <= afterUse - 2, `chDB resident ${afterUse.toFixed(1)} MiB after the call, ${later.toFixed(1)} MiB ${RELEASE_AGAIN_MS / 1000} s later`);
  } finally {
    code = await pbx.stop();
  }
  assert.equal(code, 0, pbx.output());
  assert.doesNotMatch(pbx.output(), /ERROR|Segmentation|SIGSEGV|SIGBUS/);
});
