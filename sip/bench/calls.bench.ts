/**
 * npm run bench:calls — calls through Dial() as a B2BUA on 127.0.0.1 (issue #4's figures):
 *   1. sipp UAC → Recall → sipp UAS, 2-second calls at BENCH_CALL_RATE (500)/s for
 *      BENCH_SECONDS (60): failed calls (target < 0.1 %), retransmissions, events logged;
 *   2. BENCH_IDLE (10,000) concurrent bridged calls held idle: Recall's resident memory
 *      (target < 4 GiB).
 * No media (sipp sends none); every transition goes to the embedded log.
 */
import { readFileSync } from "node:fs";
import { freePort, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { startSipp, runSipp } from "../sipp/sipp.js";
import { uacCall, uasCall } from "../sipp/call-scenarios.js";
import { callerCalleePjsip } from "../call/test-phones.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const RATE = Number(process.env.BENCH_CALL_RATE ?? 500);
const IDLE = Number(process.env.BENCH_IDLE ?? 10_000);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const pjsip = (port: number, uasPort: number) => callerCalleePjsip(port, uasPort, { context: "bench", callee: "uas" });

const extensions = `
[bench]
exten => _X.,1,Dial(PJSIP/uas,30)
 same => n,Hangup()
`;

/** CPU seconds (user + system) a process has used: fields 14 and 15 of /proc/PID/stat, in clock ticks. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function withRecall<T>(run: (recall: RecallProcess, port: number, uasPort: number) => Promise<T>): Promise<T> {
  const port = await freePort(), uasPort = await freePort();
  const recall = await startRecall({ "pjsip.conf": pjsip(port, uasPort), "extensions.conf": extensions });
  try { return await run(recall, port, uasPort); } finally { await recall.stop(); }
}

async function throughput(): Promise<void> {
  await withRecall(async (recall, port, uasPort) => {
    const calls = RATE * SECONDS;
    const uas = startSipp({ scenario: uasCall({ status: 200 }), localPort: uasPort, calls, timeoutMs: (SECONDS + 90) * 1000 });
    const started = performance.now();
    const cpuBefore = cpuSeconds(recall.child.pid!);
    const uac = await runSipp({
      scenario: uacCall({ exten: "100", holdMs: 2000 }), target: `127.0.0.1:${port}`, calls, rate: RATE, limit: RATE * 4,
      timeoutMs: (SECONDS + 60) * 1000,
    });
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(recall.child.pid!) - cpuBefore;
    uas.stop();
    const u = await uas.done;
    const failed = (uac.failed / Math.max(1, calls)) * 100;
    console.log(`Dial() B2BUA, 2 s calls at ${fmt(RATE)}/s for ${SECONDS} s: ${fmt(uac.successful)} completed, ${fmt(uac.failed)} failed (${failed.toFixed(3)} %) in ${elapsed.toFixed(1)} s`);
    console.log(`  retransmissions: caller side ${fmt(uac.retransmissions)}, callee side ${fmt(u.retransmissions)}`);
    const rate = uac.successful / SECONDS; // calls completed per second of the offered period
    console.log(`  completed calls/s ${fmt(rate)}, target ≥ 500/s with < 0.1 % failed: ratio ${(rate / 500).toFixed(2)}${rate >= 500 && failed < 0.1 ? "  ok" : "  BELOW TARGET"}`);
    console.log(`  recall CPU ${cpu.toFixed(1)} s over ${elapsed.toFixed(1)} s (${Math.round((cpu / elapsed) * 100)} % of one core, all threads), ${((cpu * 1000) / Math.max(1, uac.successful)).toFixed(2)} ms per call`);
    console.log(`  recall RSS ${fmt(rssMiB(recall.child.pid!))} MiB; ${(await recall.cli("recall show log")).trim().split("\n").join("; ")}`);
  });
}

async function idle(): Promise<void> {
  await withRecall(async (recall, port, uasPort) => {
    const rate = Math.min(500, IDLE);
    const holdMs = Math.ceil(IDLE / rate) * 1000 + 15_000;
    const uas = startSipp({ scenario: uasCall({ status: 200 }), localPort: uasPort, calls: IDLE, timeoutMs: holdMs + 120_000 });
    const uac = startSipp({
      scenario: uacCall({ exten: "100", holdMs }), target: `127.0.0.1:${port}`, calls: IDLE, rate, limit: IDLE + 10, timeoutMs: holdMs + 120_000,
    });
    const deadline = performance.now() + holdMs;
    let peak = 0, up = 0;
    while (performance.now() < deadline - 5000) {
      await new Promise((r) => setTimeout(r, 2000));
      peak = Math.max(peak, rssMiB(recall.child.pid!));
      const listing = await recall.cli("core show channels count");
      up = Number(/(\d+) active calls?/.exec(listing)?.[1] ?? up);
      if (up >= IDLE) break;
    }
    await new Promise((r) => setTimeout(r, 3000));
    peak = Math.max(peak, rssMiB(recall.child.pid!));
    console.log(`${fmt(up)} concurrent bridged calls held: recall RSS ${fmt(peak)} MiB, target < 4,096 MiB: ratio ${(4096 / peak).toFixed(2)}${peak < 4096 && up >= IDLE ? "  ok" : "  BELOW TARGET"}`);
    uac.stop(); uas.stop();
    await Promise.all([uac.done, uas.done]);
  });
}

console.log(`Calls benchmark (Node ${process.version})`);
await throughput();
if (IDLE > 0) await idle();
