/**
 * npm run bench:ari — BENCH_ARI_CHANNELS (200) channels in one ARI application: sipp
 * places the calls at BENCH_ARI_RATE (50)/s into Stasis(bench); a client in this
 * process (plain HTTP keep-alive + one event WebSocket, as an ARI library would) answers
 * each on its StasisStart, plays it a prompt (sound:hello-world), holds it until
 * HOLD_MS after its start so all are in the application together, and hangs it up.
 * Reported: the peak of channels in the application together, calls completed, the REST
 * round trip (p50/p99/max, by operation) and Recall's own share of it (`ari show status`:
 * from the request's arrival in its HTTP server to the answer written), event delivery delay (receipt minus the
 * event's timestamp: p50/p99/max), events out of order per channel, Recall's CPU and RSS.
 * Targets: REST p99 ≤ 20 ms, events p99 ≤ 50 ms, in order.
 */
import { Agent, request } from "node:http";
import WebSocket from "ws";
import { freePort, startRecall } from "../../cli/recall-process.js";
import { runSipp } from "../../../sip/sipp/sipp.js";
import { uacCall } from "../../../sip/sipp/call-scenarios.js";
import { callerCalleePjsip } from "../../../sip/call/test-phones.js";
import { cpuSeconds, rssMiB } from "../../cli/process-stats.js";

const CHANNELS = Number(process.env.BENCH_ARI_CHANNELS ?? 200);
const RATE = Number(process.env.BENCH_ARI_RATE ?? 50);
const HOLD_MS = Number(process.env.BENCH_ARI_HOLD_MS ?? (CHANNELS / RATE) * 1000 + 2000);

const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const auth = `Basic ${Buffer.from("bench:bench").toString("base64")}`;
let httpPort = 0;
const rest = { all: [] as number[], byOp: new Map<string, number[]>(), failed: 0, errors: [] as string[] };

function call(method: string, path: string, op: string): Promise<number> {
  const t = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port: httpPort, method, path: `/ari${path}`, agent, headers: { Authorization: auth } }, (res) => {
      res.resume();
      res.on("end", () => {
        const ms = performance.now() - t;
        rest.all.push(ms);
        rest.byOp.set(op, [...(rest.byOp.get(op) ?? []), ms]);
        if ((res.statusCode ?? 0) >= 300) { rest.failed++; if (rest.errors.length < 5) rest.errors.push(`${op} ${res.statusCode}`); }
        resolve(res.statusCode ?? 0);
      });
    });
    req.on("error", (e) => { rest.failed++; if (rest.errors.length < 5) rest.errors.push(`${op} ${e.message}`); resolve(0); });
    req.end();
  });
}

/** The order each channel's events must come in (others may be interleaved). */
const ORDER = ["StasisStart", "ChannelStateChange", "PlaybackStarted", "PlaybackFinished", "ChannelHangupRequest", "StasisEnd", "ChannelDestroyed"];
const delays: number[] = [];
const seen = new Map<string, string[]>();
let inApp = 0, peak = 0, finished = 0, outOfOrder = 0;

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };

async function handle(event: { type: string; timestamp: string; channel?: { id: string; state: string }; playback?: { id: string; target_uri: string } }): Promise<void> {
  delays.push(Date.now() - Date.parse(event.timestamp.replace(/\+0000$/, "Z")));
  const id = event.channel?.id ?? event.playback?.target_uri.replace(/^channel:/, "");
  if (!id) return;
  const list = seen.get(id) ?? [];
  seen.set(id, list);
  if (ORDER.includes(event.type) && !(event.type === "ChannelStateChange" && event.channel?.state !== "Up")) {
    const last = list.length ? ORDER.indexOf(list[list.length - 1]) : -1;
    if (ORDER.indexOf(event.type) <= last) outOfOrder++;
    list.push(event.type);
  }
  switch (event.type) {
    case "StasisStart": {
      inApp++;
      peak = Math.max(peak, inApp);
      const started = performance.now();
      await call("POST", `/channels/${id}/answer`, "answer");
      await call("POST", `/channels/${id}/play/pb-${id}?media=sound:hello-world`, "play");
      const wait = HOLD_MS - (performance.now() - started);
      setTimeout(() => void call("DELETE", `/channels/${id}`, "hangup"), Math.max(0, wait));
      break;
    }
    case "StasisEnd": inApp--; break;
    case "ChannelDestroyed": finished++; break;
    default: break;
  }
}

async function main(): Promise<void> {
  const port = await freePort(), calleePort = await freePort();
  httpPort = await freePort();
  const recall = await startRecall({
    "pjsip.conf": callerCalleePjsip(port, calleePort, { context: "bench" }),
    "http.conf": `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${httpPort}\n`,
    "ari.conf": "[bench]\ntype = user\npassword = bench\n",
    "extensions.conf": "[bench]\nexten => _X.,1,Stasis(bench)\n same => n,Hangup()\n",
  });
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ari/events?app=bench&api_key=bench:bench`);
  await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
  ws.on("message", (data) => void handle(JSON.parse(String(data))));
  try {
    const pid = recall.child.pid!;
    const cpuBefore = cpuSeconds(pid);
    const started = performance.now();
    const uac = await runSipp({
      scenario: uacCall({ exten: "100" }), target: `127.0.0.1:${port}`, calls: CHANNELS, rate: RATE, limit: CHANNELS,
      timeoutMs: (CHANNELS / RATE) * 1000 + HOLD_MS + 60_000,
    });
    const until = Date.now() + 10_000;
    while (finished < CHANNELS && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(pid) - cpuBefore;
    const rss = rssMiB(pid);
    const complete = [...seen.values()].filter((l) => l.join() === ORDER.join()).length;
    const restP99 = pct(rest.all, 99), eventP99 = pct(delays, 99);
    const ok = peak >= CHANNELS && finished === CHANNELS && complete === CHANNELS && uac.failed === 0 && rest.failed === 0 && outOfOrder === 0 && restP99 <= 20 && eventP99 <= 50;
    console.log(`bench:ari — ${CHANNELS} channels into Stasis(bench) at ${RATE}/s; each answered, played hello-world and hung up by the client after ${(HOLD_MS / 1000).toFixed(1)} s`);
    console.log(`  channels in the application together: peak ${peak} (target ${CHANNELS}); destroyed ${finished}; with every event in order ${complete}, out of order ${outOfOrder}`);
    const partial = [...seen].filter(([, l]) => l.join() !== ORDER.join()).slice(0, 3);
    if (partial.length) console.log(`  channels without every event: ${partial.map(([id, l]) => `${id}: ${l.join(" ")}`).join("; ")}`);
    console.log(`  sipp: ${uac.successful} calls completed, ${uac.failed} failed, ${elapsed.toFixed(1)} s`);
    console.log(`  REST round trip (${rest.all.length} requests, ${rest.failed} failed${rest.errors.length ? `: ${rest.errors.join("; ")}` : ""}): p50 ${pct(rest.all, 50).toFixed(2)} ms, p99 ${restP99.toFixed(2)} ms, max ${Math.max(...rest.all).toFixed(2)} ms (target p99 ≤ 20)`);
    console.log(`  by operation, p50/p99 ms: ${[...rest.byOp].map(([o, xs]) => `${o} ${pct(xs, 50).toFixed(1)}/${pct(xs, 99).toFixed(1)}`).join(", ")}`);
    // Recall's own share: from the request's arrival in its HTTP server to the answer written.
    const handling = /Request handling \(last \d+\): (.*)/.exec(await recall.cli("ari show status"))?.[1];
    console.log(`  inside Recall (arrival to answer written): ${handling ?? "not reported"}`);
    console.log(`  event delivery (${delays.length} events): p50 ${pct(delays, 50).toFixed(0)} ms, p99 ${eventP99.toFixed(0)} ms, max ${Math.max(...delays).toFixed(0)} ms (target p99 ≤ 50)`);
    console.log(`  Recall: ${cpu.toFixed(2)} CPU s (${((cpu / CHANNELS) * 1000).toFixed(1)} ms per channel), RSS ${rss.toFixed(0)} MiB`);
    console.log(ok ? "  OK" : "  NOT MET");
    if (!ok) process.exitCode = 1;
  } finally {
    ws.close();
    agent.destroy();
    await recall.stop();
  }
}

void main();
