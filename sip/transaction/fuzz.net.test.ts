/**
 * Issue 3 "Bad input" over the network: FUZZ_MESSAGES (default 1,000,000) generated
 * and mutated messages, 80 % over UDP and 20 % over TCP, against a transaction layer
 * that answers OPTIONS and REGISTER 200 and everything else 404. The load comes from a
 * child process (fuzz-sender.ts); well-formed OPTIONS probes between windows must get
 * their 200. The server must not crash, its RSS must stay bounded, and its counters
 * must agree with each other and with what the sender saw and predicted.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SystemClock } from "../../core/clock.js";
import { SystemRandom } from "../../core/random.js";
import { TransportLayer, type TransportLayerStats, type TransportStats } from "../transport/index.js";
import type { PhaseReport, SenderConfig, SenderMessage } from "./fuzz-sender.js";
import type { TransactionStats } from "./host.js";
import { TransactionLayer } from "./layer.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const TOTAL = Number(process.env.FUZZ_MESSAGES ?? 1_000_000);
/**
 * Growth of the resident set allowed at the peak. Answered transactions are kept 32 s
 * (Timer J), about 160,000 of them at the UDP rate here, and the allocator keeps
 * headroom for ~20,000 garbage messages a second; a leak of the messages themselves
 * would be gigabytes.
 */
const RSS_MARGIN = 512 * 1024 * 1024;
/** Heap growth allowed once every transaction has ended on its own timers (compiled code, caches). */
const HEAP_MARGIN = 24 * 1024 * 1024;
const MiB = 1024 * 1024;

interface Snapshot { layer: TransportLayerStats; udp: TransportStats; tcp: TransportStats; tx: TransactionStats }

function minus<T extends object>(a: T, b: T): T {
  const out = { ...a };
  for (const key of Object.keys(out) as Array<keyof T>) (out[key] as number) = (a[key] as number) - (b[key] as number);
  return out;
}

it(`serves ${TOTAL.toLocaleString("en")} fuzzed messages over UDP and TCP without crashing, with bounded memory and consistent counters`, async (t) => {
  assert.ok(Number.isInteger(TOTAL) && TOTAL > 0, "FUZZ_MESSAGES must be a positive integer");
  const random = new SystemRandom();
  const transports = TransportLayer.create([
    { name: "udp", protocol: "udp", bind: { host: "127.0.0.1", port: 0 } },
    { name: "tcp", protocol: "tcp", bind: { host: "127.0.0.1", port: 0 } },
  ], { random });
  await transports.start();
  const layer = new TransactionLayer({ transports, clock: new SystemClock(), random });
  layer.onRequest((tx) => tx.respond(tx.method === "OPTIONS" || tx.method === "REGISTER" ? 200 : 404));
  const udp = transports.find("udp")!, tcp = transports.find("tcp")!;
  const snapshot = (): Snapshot => ({ layer: { ...transports.stats }, udp: { ...udp.stats }, tcp: { ...tcp.stats }, tx: { ...layer.stats } });

  gc();
  const heapStart = process.memoryUsage().heapUsed;
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 250);

  const config: SenderConfig = {
    host: "127.0.0.1", udpPort: udp.local.port, tcpPort: tcp.local.port,
    udpMessages: Math.round(TOTAL * 0.8), tcpMessages: TOTAL - Math.round(TOTAL * 0.8), seed: 20_251_125, window: 100,
  };
  const start = snapshot();
  const reports: Partial<Record<"udp" | "tcp", { report: PhaseReport; stats: Snapshot }>> = {};
  const child = fork(new URL("./fuzz-sender.js", import.meta.url), [JSON.stringify(config)], { execArgv: [], stdio: "inherit" });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let failure: string | undefined;
  child.on("message", (m: SenderMessage) => {
    if (m.type === "error") { failure = m.message; return; }
    reports[m.phase] = { report: m.report, stats: snapshot() };
    if (m.phase === "udp") child.send("continue");
  });
  const code = await exited;
  assert.equal(failure, undefined, failure);
  assert.equal(code, 0);
  const end = snapshot();
  const live = layer.serverTransactions;
  // Let every transaction end on its own timers (J, H, I: at most 64*T1), then nothing may be left.
  for (const started = Date.now(); layer.serverTransactions > 0 && Date.now() - started < 40_000;) await new Promise((r) => setTimeout(r, 500));
  clearInterval(sampler);
  gc();
  const { heapUsed: heapEnd, rss: rssEnd } = process.memoryUsage();
  const drained = { server: layer.serverTransactions, client: layer.clientTransactions, connections: transports.transportStats().connectionsOpen };
  layer.close();
  await transports.stop();

  const u = reports.udp!, c = reports.tcp!;
  const U = { layer: minus(u.stats.layer, start.layer), udp: minus(u.stats.udp, start.udp), tx: minus(u.stats.tx, start.tx) };
  const T = { layer: minus(c.stats.layer, u.stats.layer), tcp: minus(c.stats.tcp, u.stats.tcp), tx: minus(c.stats.tx, u.stats.tx) };
  const rate = (r: PhaseReport) => Math.round(r.sent / r.seconds);
  const responses = (r: PhaseReport) => Object.values(r.statuses).reduce((a, b) => a + b, 0);
  t.diagnostic(`UDP: ${u.report.sent} sent (${u.report.skipped} too big), ${rate(u.report)} msg/s, ${(u.report.bytes / MiB).toFixed(0)} MiB, ` +
    `${U.udp.datagramsIn} datagrams read, probes ${u.report.probes} (${u.report.probesRetransmitted} retransmitted), responses ${JSON.stringify(u.report.statuses)}`);
  t.diagnostic(`TCP: ${c.report.sent} sent (${c.report.skipped} stream-killers skipped), ${rate(c.report)} msg/s, ${c.report.connections} connections, ` +
    `${c.report.streamsLost} lost framing, probes ${c.report.probes}, responses ${JSON.stringify(c.report.statuses)}`);
  t.diagnostic(`server: ${JSON.stringify(end.layer)} ${JSON.stringify(end.tx)}; ${live} live transactions at the end of the load`);
  t.diagnostic(`RSS: start ${(rssStart / MiB).toFixed(0)} MiB, peak ${(rssPeak / MiB).toFixed(0)} MiB, after the transactions ended ${(rssEnd / MiB).toFixed(0)} MiB; ` +
    `heap used ${(heapStart / MiB).toFixed(1)} MiB before, ${(heapEnd / MiB).toFixed(1)} MiB after`);

  // Everything was sent, normal traffic was served throughout, nothing crashed.
  assert.equal(u.report.sent + c.report.sent, TOTAL);
  assert.equal(u.report.probesFailed + c.report.probesFailed, 0, "every probe OPTIONS got its 200");
  assert.equal(end.layer.internalErrors, 0);
  assert.equal(end.tx.handlerErrors, 0);
  assert.ok(rssPeak - rssStart < RSS_MARGIN, `RSS grew by ${((rssPeak - rssStart) / MiB).toFixed(0)} MiB`);
  assert.deepEqual(drained, { server: 0, client: 0, connections: 0 }, "every transaction and connection ended");
  assert.ok(heapEnd - heapStart < HEAP_MARGIN, `heap grew by ${((heapEnd - heapStart) / MiB).toFixed(1)} MiB`);

  for (const [name, P] of [["UDP", U], ["TCP", T]] as const) {
    const L = P.layer, X = P.tx;
    // Every request reaching the transaction layer is counted once there.
    assert.equal(L.requestsIn, X.requestsIn + X.cancelsIn + X.acksIn + X.requestRetransmissionsIn, `${name}: requests`);
    // The server sends no requests: every well-formed response it gets is stray.
    assert.equal(L.responsesIn, X.strayResponses, `${name}: responses`);
    assert.ok(L.malformedRequests > 0 && L.malformedResponses > 0 && L.badRequestsAnswered > 0, `${name}: malformed input was seen and answered`);
    assert.ok(L.badRequestsAnswered <= L.malformedRequests);
  }
  // UDP: each datagram is a keep-alive, a message or a parse error; loopback loses (almost) nothing.
  const udpItems = U.layer.requestsIn + U.layer.responsesIn + U.layer.malformedRequests + U.layer.malformedResponses + U.layer.malformedOther;
  assert.equal(U.udp.datagramsIn, U.udp.keepAlives + udpItems, "UDP: every datagram accounted for");
  assert.ok(U.udp.datagramsIn >= 0.99 * u.report.sent, `UDP: ${U.udp.datagramsIn} of ${u.report.sent} datagrams read`);
  assert.ok(responses(u.report) >= 0.99 * U.udp.messagesOut && responses(u.report) <= U.udp.messagesOut, "UDP: the sender got the responses");
  // TCP: the server's framer saw exactly what the sender's mirror predicted, lost the framing exactly where predicted, and every response arrived.
  const tcpItems = T.layer.requestsIn + T.layer.responsesIn + T.layer.malformedRequests + T.layer.malformedResponses + T.layer.malformedOther;
  assert.equal(tcpItems, c.report.predictedItems, "TCP: messages framed");
  assert.equal(T.tcp.framingErrors, c.report.streamsLost, "TCP: streams closed for lost framing");
  assert.equal(T.tcp.connectionsAccepted, c.report.connections);
  assert.equal(responses(c.report), T.tcp.messagesOut, "TCP: the sender got every response");
  // Every response sent is a transaction's (first or again) or a 400 of the transport layer.
  assert.equal(end.udp.messagesOut + end.tcp.messagesOut, end.tx.responsesOut + end.tx.responseRetransmissionsOut + end.layer.badRequestsAnswered);
});
