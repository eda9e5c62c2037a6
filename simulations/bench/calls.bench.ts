/**
 * npm run bench:calls — Recall under sipp load on 127.0.0.1, reported as issue 17's table:
 * per step, calls offered / completed / failed, retransmissions on both sides, INVITE→200
 * (REGISTER→200) response time p50 / p99 / max from sipp's -trace_rtt, Recall's CPU (all
 * threads) and peak RSS (with its anonymous part: the rest is mapped libraries), judged by
 * the overload rule: any failed call, any retransmission, or a p99 over 100 ms is overload.
 *
 * Loads (each on its own Recall, live projections on, every transition logged):
 *   b2bua     `Dial(PJSIP/uas)` with `direct_media = no` (both legs anchored), the stock
 *             `sipp -sf uac.xml -s 800 -d 1000` (sipp -sd uac) calling the stock `sipp -sn uas`;
 *   answer    `Answer() Wait(1) Hangup()`, the caller waiting for Recall's BYE;
 *   register  REGISTER without auth from 1,000 users (expires 3600).
 * Each load starts with a warm-up step (JIT and heap warm, not judged), then runs its rates in
 * turn against the same Recall. Options (environment):
 *   BENCH_SECONDS (20) per step, BENCH_WARMUP_SECONDS (10), BENCH_ONLY=b2bua|answer|register|idle,
 *   BENCH_B2BUA_RATES (100,300,500), BENCH_ANSWER_RATES (300,1000), BENCH_REGISTER_RATES (3000,4500),
 *   BENCH_IDLE (0): that many concurrent idle bridged calls, RSS held (issue 4's figure);
 *   BENCH_SHED=off: no load shedding on the event loop's lag (recall.conf [calls] overload_delay_ms = 0),
 *   to see the latency of an overloaded Recall instead of its 503s (on a machine others share);
 *   BENCH_PIN=0: the event loop shares every CPU (recall.conf [general] pin_event_loop = no;
 *   the bench runs one Recall at a time, with it on);
 *   BENCH_WIRE=1: also INVITE→200 from a packet capture on lo (tcpdump; wire.ts), to the microsecond:
 *   sipp's response times move in the kernel's 4 ms clock ticks.
 * A quick run that fits in two minutes:
 *   BENCH_SECONDS=10 BENCH_WARMUP_SECONDS=5 BENCH_B2BUA_RATES=100,250 BENCH_ANSWER_RATES=300 BENCH_REGISTER_RATES=3000
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { freePort, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { startSipp, runSipp, type SippResult } from "../../sip/sipp/sipp.js";
import { uacCall, uasCall } from "../../sip/sipp/call-scenarios.js";
import { registerExpecting } from "../../sip/sipp/scenarios.js";
import { callerCalleePjsip } from "../../sip/call/test-phones.js";
import { cpuSeconds, residentMiB, rssMiB } from "../../interfaces/cli/process-stats.js";
import { captureInvites } from "./wire.js";

const env = process.env;
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const WARMUP = Number(env.BENCH_WARMUP_SECONDS ?? 10);
const ONLY = env.BENCH_ONLY;
const rates = (name: string, fallback: string) => (env[name] ?? fallback).split(",").filter(Boolean).map(Number);
const IDLE = Number(env.BENCH_IDLE ?? 0);
const WIRE = env.BENCH_WIRE === "1";
const PIN = env.BENCH_PIN !== "0";
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** The overload rule of issue 17. */
const P99_LIMIT_MS = 100;

const extensions = `
[bench]
exten => 800,1,Dial(PJSIP/uas,30)
 same => n,Hangup()
exten => 801,1,Answer()
 same => n,Wait(1)
 same => n,Hangup()
`;

/** CPU seconds (user + system, all threads) a process has used: fields 14 and 15 of /proc/PID/stat. */

function percentile(sorted: readonly number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN;
}

interface Step {
  readonly label: string;
  readonly rate: number;
  readonly seconds: number;
  /** Runs the load; resolves with the caller's sipp result and the callee's (if any). */
  readonly run: (calls: number) => Promise<{ caller: SippResult; callee?: SippResult }>;
  /** Recall's SIP port, for BENCH_WIRE's capture of the INVITEs sent to it. */
  readonly port?: number;
}

/** One step: the load, Recall's CPU and peak RSS meanwhile, one line of figures and the verdict. */
async function step(recall: RecallProcess, s: Step, judged = true): Promise<void> {
  const pid = recall.child.pid!;
  await idleChannels(recall);
  const calls = Math.round(s.rate * s.seconds);
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const peak = residentMiB(pid);
  const sampler = setInterval(() => {
    const now = residentMiB(pid);
    peak.rss = Math.max(peak.rss, now.rss);
    peak.anon = Math.max(peak.anon, now.anon);
  }, 250);
  const wire = WIRE && s.port !== undefined ? await captureInvites(s.port) : undefined;
  const { caller, callee } = await s.run(calls).finally(() => clearInterval(sampler));
  const onWire = await wire?.stop();
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  const times = [...caller.responseTimesMs].sort((a, b) => a - b);
  const [p50, p99, max] = [percentile(times, 0.5), percentile(times, 0.99), times[times.length - 1] ?? NaN];
  const retrans = caller.retransmissions + (callee?.retransmissions ?? 0);
  const overload = [
    caller.failed > 0 || caller.successful < calls ? `${fmt(calls - caller.successful)} not completed` : "",
    retrans > 0 ? `${fmt(retrans)} retransmissions` : "",
    p99 > P99_LIMIT_MS ? `p99 ${p99} ms > ${P99_LIMIT_MS} ms` : "",
  ].filter(Boolean);
  const verdict = !judged ? "warm-up" : overload.length ? `OVERLOAD (${overload.join(", ")})` : "clean";
  console.log(`${s.label} ${fmt(s.rate)}/s × ${s.seconds} s: offered ${fmt(calls)}, completed ${fmt(caller.successful)}, failed ${fmt(caller.failed)}; ` +
    `retransmissions caller ${fmt(caller.retransmissions)}${callee ? `, callee ${fmt(callee.retransmissions)}` : ""}; ` +
    `response p50 ${p50} ms, p99 ${p99} ms, max ${max} ms (${fmt(times.length)} timed); ` +
    `Recall CPU ${Math.round((cpu / elapsed) * 100)} % of a core (${((cpu * 1000) / Math.max(1, caller.successful)).toFixed(2)} ms each), peak RSS ${fmt(peak.rss)} MiB (anonymous ${fmt(peak.anon)}) — ${verdict}`);
  if (onWire) {
    const t = onWire.sort((a, b) => a - b);
    const ms = (v: number) => v.toFixed(2);
    console.log(`  on the wire (capture on lo): INVITE→200 p50 ${ms(percentile(t, 0.5))} ms, p99 ${ms(percentile(t, 0.99))} ms, max ${ms(t[t.length - 1] ?? NaN)} ms (${fmt(t.length)} calls)`);
  }
  if (caller.failed > 0) console.log(`  why calls failed (sipp, first lines): ${[...new Set(caller.errors.split("\n").map((l) => l.replace(/^[\d\-\t :.]+/, "").slice(0, 160)).filter(Boolean))].slice(0, 3).join(" | ")}`);
}

/** Until something has bound UDP `port` on 127.0.0.1 (at most 10 s), seen in /proc/net/udp (no probe socket to race with). */
async function listening(port: number): Promise<void> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const until = performance.now() + 10_000;
  while (performance.now() < until && !readFileSync("/proc/net/udp", "utf8").includes(` ${local} `)) await new Promise((r) => setTimeout(r, 50));
}

/** Until Recall has no channel left from the step before (at most 30 s): steps do not overlap. */
async function idleChannels(recall: RecallProcess): Promise<void> {
  const until = performance.now() + 30_000;
  while (performance.now() < until && !/^0 active channels?/m.test(await recall.cli("core show channels count"))) await new Promise((r) => setTimeout(r, 500));
}

async function withRecall(files: (port: number, uasPort: number) => Record<string, string>, body: (recall: RecallProcess, port: number, uasPort: number) => Promise<void>): Promise<void> {
  const port = await freePort(), uasPort = await freePort();
  const conf = `[general]\npin_event_loop = ${PIN ? "yes" : "no"}\n${env.BENCH_SHED === "off" ? "[calls]\noverload_delay_ms = 0\n" : ""}`;
  const recall = await startRecall({ ...files(port, uasPort), "recall.conf": conf });
  if (PIN) console.log(recall.output().match(/^Event loop on CPU .*$/m)?.[0] ?? "the event loop is not pinned (see recall's warning)");
  try { await body(recall, port, uasPort); } finally { await recall.stop(); }
}

const callFiles = (port: number, uasPort: number) => ({
  "pjsip.conf": callerCalleePjsip(port, uasPort, { context: "bench", callee: "uas", endpoint: "direct_media = no" }),
  "extensions.conf": extensions,
});

/** The stock sipp caller, as the issue runs it: `sipp -sf uac.xml` with the XML sipp itself ships. */
const stockUac = spawnSync("sipp", ["-sd", "uac"], { encoding: "utf8" }).stdout; // it exits 99 after dumping
/** Every call's response time into the rtt file (sipp's default flushes every 200 calls, losing the last ones). */
const TIMED = ["-trace_rtt", "-rtt_freq", "1"];
const timeoutMs = (seconds: number) => (seconds + 60) * 1000;

async function b2bua(): Promise<void> {
  await withRecall(callFiles, async (recall, port, uasPort) => {
    const run = (rate: number, seconds: number) => async (calls: number) => {
      // No call limit: a stray message (a BYE retransmitted from the step before) would count as a call and end it early.
      const uas = startSipp({ scenario: { builtin: "uas" }, localPort: uasPort, calls: 1e9, timeoutMs: timeoutMs(seconds) + 30_000 });
      await listening(uasPort); // else Dial's first INVITEs meet a closed port (sipp starts slowly on a busy machine)
      const caller = await runSipp({
        scenario: stockUac, target: `127.0.0.1:${port}`, calls, rate, limit: rate * 4, timeoutMs: timeoutMs(seconds),
        extraArgs: ["-s", "800", "-d", "1000", ...TIMED],
      });
      await idleChannels(recall); // every call it answered has ended
      uas.stop();
      return { caller, callee: await uas.done };
    };
    const label = "B2BUA Dial(PJSIP/uas), 1 s calls, direct_media=no,";
    if (WARMUP > 0) await step(recall, { label: `${label} warm-up`, rate: 100, seconds: WARMUP, run: run(100, WARMUP) }, false);
    for (const rate of rates("BENCH_B2BUA_RATES", "100,300,500")) await step(recall, { label, rate, seconds: SECONDS, run: run(rate, SECONDS), port });
  });
}

async function answer(): Promise<void> {
  await withRecall(callFiles, async (recall, port) => {
    const run = (rate: number, seconds: number) => async (calls: number) => ({
      caller: await runSipp({
        scenario: uacCall({ exten: "801" }), target: `127.0.0.1:${port}`, calls, rate, limit: rate * 4, timeoutMs: timeoutMs(seconds),
        extraArgs: TIMED,
      }),
    });
    const label = "Answer() Wait(1) Hangup()";
    if (WARMUP > 0) await step(recall, { label: `${label} warm-up`, rate: 100, seconds: WARMUP, run: run(100, WARMUP) }, false);
    for (const rate of rates("BENCH_ANSWER_RATES", "300,1000")) await step(recall, { label, rate, seconds: SECONDS, run: run(rate, SECONDS), port });
  });
}

const USERS = 1000;
/**
 * sipp's socket buffers at 1 MiB instead of its 64 KB default for the REGISTER load: 64 KB hold
 * ~30 ms of 4,500 answers/s, and sipp, sharing two CPUs with Recall, is sometimes away longer. Its
 * retransmissions at 4,500/s (0 to 37 per 20 s run) were all answers dropped on sipp's own socket
 * (`ss -uam`: drops on sipp's, none on Recall's); with 1 MiB, none in three runs.
 */
const SIPP_BUFFER = ["-buff_size", String(1 << 20)];
function registrarPjsip(port: number): string {
  const out = [`[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${port}\n`, "[ep](!)\ntype = endpoint\ncontext = bench\nallow = ulaw\n",
    "[ao](!)\ntype = aor\nmax_contacts = 1\nremove_existing = yes\n"];
  for (let i = 0; i < USERS; i++) out.push(`[${100000 + i}](ep)\naors = ${100000 + i}\n[${100000 + i}](ao)\n`);
  return out.join("\n");
}

async function register(): Promise<void> {
  await withRecall((port) => ({ "pjsip.conf": registrarPjsip(port) }), async (recall, port) => {
    const inject = "SEQUENTIAL\n" + Array.from({ length: USERS }, (_, i) => `${100000 + i}`).join("\n") + "\n";
    const run = (rate: number, seconds: number) => async (calls: number) => ({
      caller: await runSipp({
        scenario: registerExpecting(200), target: `127.0.0.1:${port}`, calls, rate, limit: rate * 2, inject, timeoutMs: timeoutMs(seconds),
        extraArgs: [...TIMED, ...SIPP_BUFFER],
      }),
    });
    const label = `REGISTER, ${fmt(USERS)} users, no auth`;
    if (WARMUP > 0) await step(recall, { label: `${label} warm-up`, rate: 1000, seconds: WARMUP, run: run(1000, WARMUP) }, false);
    for (const rate of rates("BENCH_REGISTER_RATES", "3000,4500")) await step(recall, { label, rate, seconds: SECONDS, run: run(rate, SECONDS) });
  });
}

/** Issue 4's figure: BENCH_IDLE concurrent bridged calls held idle, Recall's RSS. */
async function idle(): Promise<void> {
  await withRecall(callFiles, async (recall, port, uasPort) => {
    const rate = Math.min(500, IDLE);
    const holdMs = Math.ceil(IDLE / rate) * 1000 + 15_000;
    const uas = startSipp({ scenario: uasCall({ status: 200 }), localPort: uasPort, calls: IDLE, timeoutMs: holdMs + 120_000 });
    const uac = startSipp({ scenario: uacCall({ exten: "800", holdMs }), target: `127.0.0.1:${port}`, calls: IDLE, rate, limit: IDLE + 10, timeoutMs: holdMs + 120_000 });
    const deadline = performance.now() + holdMs;
    let peak = 0, up = 0;
    while (performance.now() < deadline - 5000 && up < IDLE) {
      await new Promise((r) => setTimeout(r, 2000));
      peak = Math.max(peak, rssMiB(recall.child.pid!));
      up = Number(/(\d+) active calls?/.exec(await recall.cli("core show channels count"))?.[1] ?? up);
    }
    await new Promise((r) => setTimeout(r, 3000));
    peak = Math.max(peak, rssMiB(recall.child.pid!));
    console.log(`${fmt(up)} concurrent bridged calls held idle: peak RSS ${fmt(peak)} MiB (target < 4,096 MiB)`);
    uac.stop(); uas.stop();
    await Promise.all([uac.done, uas.done]);
  });
}

console.log(`Calls benchmark (Node ${process.version}); load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
if (!ONLY || ONLY === "b2bua") await b2bua();
if (!ONLY || ONLY === "answer") await answer();
if (!ONLY || ONLY === "register") await register();
if (ONLY === "idle" || (!ONLY && IDLE > 0)) await idle();
console.log(`load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
