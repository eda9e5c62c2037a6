/**
 * npm run bench:queues (second part) — Queue() under load through real SIP peers:
 * a `recall start` with 1,000 members in 50 queues (20 each, rrmemory, ringinuse=no),
 * each member a PJSIP endpoint whose contact is one of BENCH_AGENT_PROCS (10) sipp UAS
 * processes that ring (180) and answer (200) at once; a sipp UAC places
 * BENCH_QUEUE_RATE (100) callers a second for BENCH_SECONDS (30) s, spread over the 50
 * queues, each talking 5 s once connected and then hanging up. Caller option `r`
 * (ringing while waiting: this machine has no music-on-hold files). Load shedding on the
 * event loop's lag is off (recall.conf `overload_delay_ms = 0`): on a starved machine it
 * refuses callers with 503, and this bench measures the queue under the offered load
 * (bench:calls measures the shedding).
 *
 * Figures, read from Recall's own event log after the run (the transitions' times come
 * from its clock), for every caller's first ring: Queue()'s join → the strategy's select
 * (a caller who finds every member busy waits here, polling each second as app_queue
 * does) → the member's channel created → its INVITE sent (`dialing`, after the media
 * worker made its RTP session) → ringing (the agent's 180 back): p50/p99/max (target:
 * Queue() to agent ringing p99 < 50 ms); failed calls (target: none); every ENTERQUEUE
 * connected and completed in queue_log; the run's log replays (`recall replay --verify`). While the calls run, `queue show` of a 200-member
 * queue (the members of q00–q09, who take those queues' calls) is timed four times a
 * second over the control socket `recall cli` uses (target < 50 ms).
 * The machine is shared: the load average is printed before and after.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { freePort, startRecall } from "../../interfaces/cli/recall-process.js";
import { startSipp } from "../../sip/sipp/sipp.js";
import { uacCall, uasCall } from "../../sip/sipp/call-scenarios.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { sendCommand } from "../../interfaces/console/server.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { cpuSeconds } from "../../interfaces/cli/process-stats.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const RATE = Number(process.env.BENCH_QUEUE_RATE ?? 100);
const PROCS = Number(process.env.BENCH_AGENT_PROCS ?? 10);
const QUEUES = 50, PER_QUEUE = 20, TALK_MS = 5000;
const out = (s: string) => process.stdout.write(`${s}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const load = () => loadavg().map((l) => l.toFixed(2)).join(", ");
const pct = (xs: number[], p: number) => xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] : NaN;

function config(port: number, agentPorts: readonly number[]): Record<string, string> {
  const agents: string[] = [];
  for (let i = 0; i < QUEUES * PER_QUEUE; i++) {
    agents.push(`[a${i}](agent)\naors = a${i}\n[a${i}]\ntype = aor\ncontact = sip:a${i}@127.0.0.1:${agentPorts[i % agentPorts.length]}\n`);
  }
  const pjsip = `[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${port}\n` +
    "[caller]\ntype = endpoint\ncontext = bench\nallow = ulaw\n[caller]\ntype = identify\nendpoint = caller\nmatch = 127.0.0.1\n" +
    "[agent](!)\ntype = endpoint\ncontext = bench\ndisallow = all\nallow = ulaw\n" + agents.join("");
  const queues = ["[general]", "persistentmembers = yes", "", "[base](!)", "strategy = rrmemory", "ringinuse = no", "timeout = 15", "retry = 1", ""];
  for (let q = 0; q < QUEUES; q++) {
    queues.push(`[q${String(q).padStart(2, "0")}](base)`);
    for (let m = 0; m < PER_QUEUE; m++) queues.push(`member => PJSIP/a${q * PER_QUEUE + m}`);
    queues.push("");
  }
  queues.push("[big](base)", ...Array.from({ length: 200 }, (_, m) => `member => PJSIP/a${m}`), "");
  return {
    "pjsip.conf": pjsip,
    "queues.conf": queues.join("\n"),
    // 8000..8049 → q00..q49
    "extensions.conf": "[bench]\nexten => _80XX,1,Queue(q${EXTEN:2},r)\n same => n,Hangup()\n",
    // Asterisk's sample logging: no VERBOSE lines in the file (one per priority at 100 calls/s would be the bench).
    "logger.conf": "[logfiles]\nconsole => notice,warning,error\nmessages.log => notice,warning,error\n",
    "recall.conf": "[calls]\noverload_delay_ms = 0\n",
  };
}

async function main(): Promise<void> {
  out(`load average before: ${load()} (2 cores shared with other work)`);
  const port = await freePort();
  const agentPorts: number[] = [];
  for (let i = 0; i < PROCS; i++) agentPorts.push(await freePort());
  const recall = await startRecall(config(port, agentPorts));
  const calls = RATE * SECONDS;
  try {
    const agents = agentPorts.map((p) => startSipp({ scenario: uasCall({ status: 200 }), localPort: p, calls: calls, timeoutMs: (SECONDS + 120) * 1000 }));
    const inject = `SEQUENTIAL\n${Array.from({ length: QUEUES }, (_, q) => `80${String(q).padStart(2, "0")}`).join("\n")}\n`;
    const cpuBefore = cpuSeconds(recall.child.pid!);
    const started = performance.now();
    const running = startSipp({
      scenario: uacCall({ exten: "[field0]", holdMs: TALK_MS }), target: `127.0.0.1:${port}`, calls, rate: RATE, limit: RATE * 20,
      inject, timeoutMs: (SECONDS + 90) * 1000,
    });
    let finished = false;
    void running.done.then(() => { finished = true; });
    // How late a 10 ms timer fires in this (equally nice) process: what the machine's load does to any process's turn.
    const lags: number[] = [];
    let expected = performance.now() + 10;
    const ticker = setInterval(() => { const now = performance.now(); lags.push(now - expected); expected = now + 10; }, 10);
    const shows: number[] = [];
    let shown = "", busiest = 0;
    while (!finished) {
      const t = performance.now();
      shown = await sendCommand(recall.dataDir, "queue show big");
      shows.push(performance.now() - t);
      busiest = Math.max(busiest, (shown.match(/\(In use\)/g) ?? []).length);
      await new Promise((r) => setTimeout(r, 250));
    }
    const uac = await running.done;
    clearInterval(ticker);
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(recall.child.pid!) - cpuBefore;
    for (const a of agents) a.stop();
    const agentResults = await Promise.all(agents.map((a) => a.done));
    out(`load average after the calls: ${load()}`);
    out(`${fmt(calls)} callers at ${RATE}/s into ${QUEUES} queues of ${PER_QUEUE} members (${PROCS} sipp agent processes), ${TALK_MS / 1000} s talk: ` +
      `${fmt(uac.successful)} completed, ${fmt(uac.failed)} failed in ${elapsed.toFixed(1)} s (target: none failed)`);
    out(`  retransmissions: callers ${fmt(uac.retransmissions)}, agents ${fmt(agentResults.reduce((n, r) => n + r.retransmissions, 0))}`);
    out(`  queue show big (200 members) over the control socket during the load: p50 ${pct(shows, 0.5).toFixed(1)} ms, p99 ${pct(shows, 0.99).toFixed(1)} ms, ` +
      `max ${Math.max(...shows).toFixed(1)} ms over ${shows.length} (target < 50 ms; ${(shown.match(/\n      /g) ?? []).length} member lines, up to ${busiest} of them In use)`);
    out(`  a 10 ms timer in this bench process (as nice as Recall) fired late by p50 ${pct(lags, 0.5).toFixed(1)} ms, p99 ${pct(lags, 0.99).toFixed(1)} ms, ` +
      `max ${Math.max(...lags).toFixed(1)} ms: the machine's share of a turn`);
    out(`  recall CPU ${cpu.toFixed(1)} s (${Math.round((cpu / elapsed) * 100)} % of one core), ${((cpu * 1000) / Math.max(1, uac.successful)).toFixed(2)} ms per queue call`);
  } finally {
    await recall.stop();
  }
  await figures(recall.dataDir);
  const replay = execFileSync(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"], { encoding: "utf8" });
  out(`recall replay --verify: ${replay.trim().split("\n").at(-1)}`);
}

/** Queue() → member channel created and → member ringing, per caller, from the log; queue_log's completeness. */
async function figures(dataDir: string): Promise<void> {
  const log = await SegmentLog.open(join(dataDir, "log"), { readOnly: true, notice: () => undefined });
  const joined = new Map<string, number>(), selected = new Map<string, number>();
  const created = new Map<string, number>(), dialing = new Map<string, number>(), ringing = new Map<string, number>();
  for await (const batch of log.read(0)) {
    for (const r of batch) {
      if (r.type === "queue.transition") {
        const i = r.input as { type: string; uniqueid?: string };
        if (i.type === "join" && i.uniqueid) joined.set(i.uniqueid, r.time);
        if (i.type === "select" && i.uniqueid && !selected.has(i.uniqueid)) selected.set(i.uniqueid, r.time);
      } else if (r.type === "channel.transition" && r.linkedid) {
        const t = r.input.type;
        if (t !== "create" && t !== "dialing" && t !== "ringing") continue;
        const ctx = r.state.context as { direction: string; linkedid: string };
        if (ctx.direction !== "out") continue;
        const map = t === "create" ? created : t === "dialing" ? dialing : ringing;
        if (!map.has(ctx.linkedid)) map.set(ctx.linkedid, r.time);
      }
    }
  }
  await log.close();
  const span = (from: Map<string, number>, to: Map<string, number>) => {
    const xs: number[] = [];
    for (const [id, t] of from) if (to.has(id)) xs.push((to.get(id)! - t) / 1000);
    return xs;
  };
  const row = (name: string, xs: number[], target?: number) => out(`  ${name}: p50 ${pct(xs, 0.5).toFixed(1)} ms, p99 ${pct(xs, 0.99).toFixed(1)} ms, ` +
    `max ${Math.max(...xs).toFixed(1)} ms over ${fmt(xs.length)} callers${target ? ` (target p99 < ${target} ms: ${pct(xs, 0.99) < target ? "met" : "NOT met"})` : ""}`);
  out(`Queue() joins: ${fmt(joined.size)}`);
  row("Queue() → select (waiting for a free member)", span(joined, selected));
  row("select → member channel created", span(selected, created));
  row("created → INVITE sent (RTP session made)", span(created, dialing));
  row("INVITE sent → 180 back from the agent", span(dialing, ringing));
  row("select → member ringing", span(selected, ringing));
  row("Queue() → member ringing", span(joined, ringing), 50);
  const lines = readFileSync(join(dataDir, "queue_log"), "utf8").split("\n").filter(Boolean).map((l) => l.split("|")[4]);
  const count = (e: string) => lines.filter((x) => x === e).length;
  out(`  queue_log: ENTERQUEUE ${fmt(count("ENTERQUEUE"))}, CONNECT ${fmt(count("CONNECT"))}, COMPLETECALLER ${fmt(count("COMPLETECALLER"))}, ` +
    `COMPLETEAGENT ${fmt(count("COMPLETEAGENT"))}, ABANDON ${fmt(count("ABANDON"))}, RINGNOANSWER ${fmt(count("RINGNOANSWER"))}`);
  out(`load average at the end: ${load()}`);
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });
