/**
 * npm run bench:sip (subscriptions part) — issue 16's figure: 5,000 active dialog
 * subscriptions whose hinted extensions change state 200 times a second; every NOTIFY
 * should go out within 50 ms (p99) of the change.
 *
 * A real `recall start`; 1,000 hints on Custom: devices, each watched by 5 dialog
 * subscriptions from one UDP socket (which answers every NOTIFY 200). The changes are
 * `devstate change` commands on the control socket, 200 a second round-robin over the
 * hints; a NOTIFY's latency is from the command's sending to the NOTIFY's arrival
 * carrying that state (so it includes the console round trip, the AstDB and
 * subscription events being made durable, and the send).
 * BENCH_SECONDS (default 30), BENCH_RATE (200), BENCH_HINTS (1000), BENCH_WATCHERS (5) scale it;
 * BENCH_PROJECTIONS=off turns CDR and CEL off.
 */
import { createSocket } from "node:dgram";
import { freePort, startRecall } from "../../interfaces/cli/recall-process.js";
import { sendCommand } from "../../interfaces/console/server.js";
import { rssMiB } from "../../interfaces/cli/process-stats.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const HINTS = Number(process.env.BENCH_HINTS ?? 1000);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 5);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const header = (msg: string, name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, "mi").exec(msg)?.[1]?.trim() ?? "";

async function main() {
  const port = await freePort();
  const clientPort = await freePort();
  const pjsip = `[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${port}\n\n[watcher]\ntype = endpoint\ncontext = blf\nallow = ulaw\n`;
  const hints = Array.from({ length: HINTS }, (_, i) => `exten => ${10000 + i},hint,Custom:lamp${i}`).join("\n");
  // BENCH_PROJECTIONS=off: CDR and CEL off, to see what the live projections cost the NOTIFYs.
  const off: Record<string, string> = process.env.BENCH_PROJECTIONS === "off" ? { "cdr.conf": "[general]\nenable = no\n", "cel.conf": "[general]\nenable = no\n" } : {};
  const recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": `[blf]\n${hints}\n`, ...off });
  const socket = createSocket("udp4");
  await new Promise<void>((r) => socket.bind(clientPort, "127.0.0.1", r));
  // A NOTIFY this socket drops (its buffer full while the bench is starved of CPU) comes back after 500 ms, 1 s, 2 s ... (Timer E).
  try { socket.setRecvBufferSize(8 * 1024 * 1024); } catch { /* capped by net.core.rmem_max */ }
  const total = HINTS * WATCHERS;
  let ok = 0, refused = 0;
  /** Call-ID → hint index. */
  const hintOf = new Map<string, number>();
  /** hint → [state set, time sent] of its last change. */
  const pending = new Map<number, { state: string; at: number }>();
  const latencies: number[] = [];
  let notifies = 0, mismatched = 0, repeated = 0;
  const seen = new Set<string>();
  socket.on("message", (data) => {
    const msg = data.toString("latin1");
    if (msg.startsWith("SIP/2.0 ")) {
      const status = Number(msg.slice(8, 11));
      if (status === 200) ok++; else if (status >= 300) refused++;
      return;
    }
    if (!msg.startsWith("NOTIFY ")) return;
    notifies++;
    const reply = ["SIP/2.0 200 OK", ...["Via", "From", "To", "Call-ID", "CSeq"].map((h) => `${h}: ${header(msg, h)}`), "Content-Length: 0", "", ""].join("\r\n");
    socket.send(reply, port, "127.0.0.1");
    const callId = header(msg, "Call-ID"), first = !seen.has(`${callId}|${header(msg, "CSeq")}`);
    if (!first) { repeated++; return; }
    seen.add(`${callId}|${header(msg, "CSeq")}`);
    const hint = hintOf.get(callId);
    const change = hint === undefined ? undefined : pending.get(hint);
    if (!change) return;
    const state = /<state>(\w+)<\/state>/.exec(msg)?.[1];
    if (state === (change.state === "INUSE" ? "confirmed" : "terminated")) latencies.push(performance.now() - change.at);
    else mismatched++;
  });
  try {
    // Subscribe, 400 a second (under the per-source limit a real SBC in front of phones would meet).
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const hint = i % HINTS, callId = `bench-${i}@127.0.0.1`;
      hintOf.set(callId, hint);
      const sub = [
        `SUBSCRIBE sip:${10000 + hint}@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${clientPort};branch=z9hG4bK-sub-${i}`,
        `From: <sip:watcher@127.0.0.1>;tag=w${i}`, `To: <sip:${10000 + hint}@127.0.0.1>`, `Call-ID: ${callId}`, "CSeq: 1 SUBSCRIBE",
        `Contact: <sip:watcher@127.0.0.1:${clientPort}>`, "Max-Forwards: 70", "Event: dialog", "Accept: application/dialog-info+xml",
        "Expires: 3600", "Content-Length: 0", "", "",
      ].join("\r\n");
      socket.send(sub, port, "127.0.0.1");
      if (i % 40 === 39) await new Promise((r) => setTimeout(r, Math.max(0, t0 + ((i + 1) / 400) * 1000 - performance.now())));
    }
    // Wait for the answers; a raw socket does not retransmit, so stop once they stop coming.
    let seen = -1, quietSince = Date.now();
    while (ok + refused < total && Date.now() - quietSince < 3000) {
      await new Promise((r) => setTimeout(r, 100));
      if (ok + refused !== seen) { seen = ok + refused; quietSince = Date.now(); }
    }
    await new Promise((r) => setTimeout(r, 1000));
    console.log(`subscriptions: ${fmt(ok)} accepted, ${fmt(refused)} refused in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${fmt(notifies)} first NOTIFYs`);
    const before = notifies;
    // The changes: RATE a second for SECONDS, round-robin over the hints.
    const changes = RATE * SECONDS;
    const start = performance.now();
    const inFlight: Promise<string>[] = [];
    for (let n = 0; n < changes; n++) {
      const hint = n % HINTS;
      const state = (Math.floor(n / HINTS) % 2) === 0 ? "INUSE" : "NOT_INUSE";
      pending.set(hint, { state, at: performance.now() });
      inFlight.push(sendCommand(recall.dataDir, `devstate change Custom:lamp${hint} ${state}`));
      if (inFlight.length >= 50) await Promise.all(inFlight.splice(0));
      const due = start + ((n + 1) / RATE) * 1000;
      if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
    }
    await Promise.all(inFlight);
    const elapsed = (performance.now() - start) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
    const expected = changes * WATCHERS;
    console.log(`state changes: ${fmt(changes)} in ${elapsed.toFixed(1)} s (${fmt(changes / elapsed)}/s) over ${fmt(HINTS)} hints, ${WATCHERS} watchers each`);
    console.log(`  NOTIFYs: ${fmt(notifies - before)} of ${fmt(expected)} expected, ${fmt(latencies.length)} timed, ${mismatched} with another state, ${fmt(repeated)} retransmissions received (the bench's socket dropped the first)`);
    console.log(`  latency from change to NOTIFY: p50 ${pct(0.5).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms, max ${pct(1).toFixed(1)} ms; target p99 ≤ 50 ms${pct(0.99) <= 50 ? "  ok" : "  ABOVE TARGET"}`);
    console.log(`  recall RSS ${fmt(rssMiB(recall.child.pid!))} MiB; ${(await recall.cli("recall show subscriptions")).trim().split("\n").at(-1)}`);
  } finally {
    socket.close();
    await recall.stop();
  }
}

await main();
