/**
 * npm run bench:agi — BENCH_AGI_SESSIONS (200) concurrent FastAGI sessions on 127.0.0.1:
 * sipp places the calls at BENCH_AGI_RATE (50)/s, each runs AGI(agi://...) against a
 * FastAGI server in this process that sends every session the same commands (ANSWER,
 * variables, DATABASE, CHANNEL STATUS, VERBOSE), holds it with WAIT FOR DIGIT 10000 so
 * all sessions are open at once, then a last GET VARIABLE and HANGUP. Reported: the
 * peak of sessions open together (target: all of them), sessions completed with every
 * answer as expected, the command round trip (p50/p99/max, WAIT FOR DIGIT excluded),
 * and Recall's CPU and memory.
 */
import { createServer, type Socket } from "node:net";
import { freePort, startRecall } from "../../interfaces/cli/recall-process.js";
import { runSipp } from "../../sip/sipp/sipp.js";
import { uacCall } from "../../sip/sipp/call-scenarios.js";
import { callerCalleePjsip } from "../../sip/call/test-phones.js";
import { cpuSeconds, rssMiB } from "../../interfaces/cli/process-stats.js";

const SESSIONS = Number(process.env.BENCH_AGI_SESSIONS ?? 200);
const RATE = Number(process.env.BENCH_AGI_RATE ?? 50);
const HOLD_MS = 10_000;

/** Each command and what its answer must start with. */
const script = (n: number): [string, string][] => [
  ["ANSWER", "200 result=0"],
  [`SET VARIABLE BENCH "session ${n}"`, "200 result=1"],
  ["GET VARIABLE BENCH", `200 result=1 (session ${n})`],
  [`DATABASE PUT bench s${n} ${n}`, "200 result=1"],
  [`DATABASE GET bench s${n}`, `200 result=1 (${n})`],
  ["GET FULL VARIABLE ${CHANNEL}", "200 result=1 (PJSIP/caller-"],
  ["CHANNEL STATUS", "200 result=6"],
  ['VERBOSE "bench session" 3', "200 result=1"],
  [`WAIT FOR DIGIT ${HOLD_MS}`, "200 result=0"],
  ["GET VARIABLE BENCH", `200 result=1 (session ${n})`],
  ["HANGUP", "200 result=1"],
];

/** Reads lines from a socket, one at a time, with a bound on the wait. */
function lineReader(socket: Socket) {
  let buffer = "";
  const waiters: ((line: string | undefined) => void)[] = [];
  const lines: string[] = [];
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => {
    buffer += d;
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line); else lines.push(line);
    }
  });
  const end = () => { for (const w of waiters.splice(0)) w(undefined); };
  socket.on("close", end);
  socket.on("error", end);
  return (timeoutMs: number) => new Promise<string | undefined>((resolve) => {
    const l = lines.shift();
    if (l !== undefined) return resolve(l);
    const timer = setTimeout(() => { waiters.splice(waiters.indexOf(done), 1); resolve(undefined); }, timeoutMs);
    const done = (line: string | undefined) => { clearTimeout(timer); resolve(line); };
    waiters.push(done);
  });
}

const stats = { open: 0, peak: 0, completed: 0, failed: 0, latencies: [] as number[], errors: [] as string[], byCommand: new Map<string, number[]>() };
let sessionCount = 0;

async function session(socket: Socket): Promise<void> {
  const n = ++sessionCount;
  stats.open++;
  stats.peak = Math.max(stats.peak, stats.open);
  const next = lineReader(socket);
  try {
    for (;;) { const l = await next(5000); if (l === undefined) throw new Error("no environment"); if (l === "") break; }
    for (const [command, expect] of script(n)) {
      const t = performance.now();
      socket.write(`${command}\n`);
      const answer = await next(HOLD_MS + 5000);
      if (!command.startsWith("WAIT")) {
        const ms = performance.now() - t;
        stats.latencies.push(ms);
        const name = command.split(" ").slice(0, 2).join(" ");
        stats.byCommand.set(name, [...(stats.byCommand.get(name) ?? []), ms]);
      }
      if (answer === undefined || !answer.startsWith(expect)) throw new Error(`${command}: ${answer ?? "no answer"}`);
    }
    stats.completed++;
  } catch (e) {
    stats.failed++;
    if (stats.errors.length < 5) stats.errors.push((e as Error).message);
  } finally {
    stats.open--;
    socket.end();
  }
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };

async function main(): Promise<void> {
  const agiPort = await freePort(), port = await freePort(), calleePort = await freePort();
  const server = createServer((s) => void session(s));
  await new Promise<void>((r) => server.listen(agiPort, "127.0.0.1", () => r()));
  const recall = await startRecall({
    "pjsip.conf": callerCalleePjsip(port, calleePort, { context: "bench" }),
    "extensions.conf": `[bench]\nexten => _X.,1,AGI(agi://127.0.0.1:${agiPort}/bench)\n same => n,Hangup()\n`,
  });
  try {
    const pid = recall.child.pid!;
    const cpuBefore = cpuSeconds(pid);
    const started = performance.now();
    const uac = await runSipp({
      scenario: uacCall({ exten: "100" }), target: `127.0.0.1:${port}`, calls: SESSIONS, rate: RATE, limit: SESSIONS,
      timeoutMs: (SESSIONS / RATE) * 1000 + HOLD_MS + 60_000,
    });
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(pid) - cpuBefore;
    const rss = rssMiB(pid);
    const ok = stats.peak >= SESSIONS && stats.completed === SESSIONS && stats.failed === 0 && uac.failed === 0;
    console.log(`bench:agi — ${SESSIONS} FastAGI sessions, calls at ${RATE}/s, each held ${HOLD_MS / 1000} s in WAIT FOR DIGIT`);
    console.log(`  concurrent sessions: peak ${stats.peak} (target ${SESSIONS}) ${ok ? "OK" : "NOT MET"}`);
    console.log(`  sessions completed with every answer as expected: ${stats.completed}, failed ${stats.failed}${stats.errors.length ? ` (${stats.errors.join("; ")})` : ""}`);
    console.log(`  sipp: ${uac.successful} calls completed, ${uac.failed} failed, ${uac.retransmissions} retransmissions, ${elapsed.toFixed(1)} s`);
    console.log(`  command round trip (${stats.latencies.length} commands): p50 ${pct(stats.latencies, 50).toFixed(2)} ms, p99 ${pct(stats.latencies, 99).toFixed(2)} ms, max ${Math.max(...stats.latencies).toFixed(2)} ms`);
    console.log(`  by command, p50/p99 ms: ${[...stats.byCommand].map(([c, xs]) => `${c} ${pct(xs, 50).toFixed(1)}/${pct(xs, 99).toFixed(1)}`).join(", ")}`);
    console.log(`  Recall: ${cpu.toFixed(2)} CPU s (${((cpu / SESSIONS) * 1000).toFixed(1)} ms per session), RSS ${rss.toFixed(0)} MiB`);
    if (!ok) process.exitCode = 1;
  } finally {
    await recall.stop();
    server.close();
  }
}

void main();
