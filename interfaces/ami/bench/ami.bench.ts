/**
 * npm run bench:ami — AMI under load (issue #19's figures), Recall as a child process:
 *   1. BENCH_AMI_CLIENTS (100) clients logged in with every event on while sipp places
 *      BENCH_CALL_RATE (200) Dial() calls/s of 1 s for BENCH_SECONDS (20) through Recall:
 *      every client must get the same events in log order (and the same as a client that
 *      resumes from the first offset afterwards); latency from the record's time
 *      (`Timestamp:`, manager.conf timestampevents) to arrival, p50/p99/max (target p99 < 50 ms).
 *   2. Async Originates at BENCH_ORIGINATE_RATE (500)/s for BENCH_ORIGINATE_SECONDS (5) to
 *      a sipp phone that answers (the dialplan hangs up at once): each must be answered
 *      `Originate successfully queued`; time to that response and OriginateResponse outcomes.
 */
import { createConnection, type Socket } from "node:net";
import { freePort, startRecall, type RecallProcess } from "../../cli/recall-process.js";
import { startSipp, runSipp } from "../../../sip/sipp/sipp.js";
import { uacCall, uasCall } from "../../../sip/sipp/call-scenarios.js";
import { callerCalleePjsip } from "../../../sip/call/test-phones.js";
import { cpuSeconds } from "../../cli/process-stats.js";

const CLIENTS = Number(process.env.BENCH_AMI_CLIENTS ?? 100);
const RATE = Number(process.env.BENCH_CALL_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const ORIGINATE_RATE = Number(process.env.BENCH_ORIGINATE_RATE ?? 500);
const ORIGINATE_SECONDS = Number(process.env.BENCH_ORIGINATE_SECONDS ?? 5);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const extensions = `
[bench]
exten => _X.,1,Dial(PJSIP/uas,30)
 same => n,Hangup()
exten => hangup,1,Hangup()
`;
const manager = (port: number) => `
[general]
enabled = yes
port = ${port}
bindaddr = 127.0.0.1
timestampevents = yes
[bench]
secret = bench
read = all
write = all
`;

/** CPU seconds (user + system) a process has used: fields 14 and 15 of /proc/PID/stat, in clock ticks. */

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** An AMI client that only keeps what the figures need: per event its offset, name hash and latency. */
class BenchClient {
  readonly socket: Socket;
  private tail = "";
  events = 0;
  outOfOrder = 0;
  lastOffset = -1;
  firstOffset = -1;
  hash = 0;
  readonly latencies: number[] = [];
  authenticated = false;
  onMessage: ((m: string) => void) | undefined;

  constructor(port: number, login: string, private readonly measure = true) {
    this.socket = createConnection(port, "127.0.0.1");
    this.socket.setEncoding("latin1");
    this.socket.on("data", (d: string) => this.data(d));
    this.socket.write(login);
  }

  /**
   * Lean on purpose (the bench process reads every event a hundred times): finds each
   * event's `Timestamp:` and `RecallOffset:` with indexOf and reads the numbers in place.
   */
  private data(chunk: string): void {
    const now = Date.now();
    const text = this.tail + chunk;
    let pos = 0;
    for (;;) {
      const end = text.indexOf("\r\n\r\n", pos);
      if (end < 0) break;
      if (text.startsWith("Event: ", pos)) {
        const at = text.lastIndexOf("\r\nRecallOffset: ", end);
        if (at > pos) {
          const offset = readInt(text, at + 16);
          if (offset < this.lastOffset) this.outOfOrder++;
          if (this.firstOffset < 0) this.firstOffset = offset;
          this.lastOffset = offset;
          this.events++;
          this.hash = (Math.imul(this.hash, 31) + offset + text.charCodeAt(pos + 7) + text.charCodeAt(pos + 9)) | 0;
          if (this.measure) {
            const ts = text.indexOf("\r\nTimestamp: ", pos);
            if (ts > 0 && ts < end) this.latencies.push(now - Number(text.slice(ts + 13, text.indexOf("\r\n", ts + 13))) * 1000);
          }
        } else if (this.onMessage) this.onMessage(text.slice(pos, end));
      } else {
        const m = text.slice(pos, end);
        if (m.includes("Authentication accepted")) this.authenticated = true;
        this.onMessage?.(m);
      }
      pos = end + 4;
    }
    this.tail = text.slice(pos);
  }
}

function readInt(s: string, at: number): number {
  let n = 0;
  for (let i = at; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return n;
}

const until = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
};

async function events(recall: RecallProcess, sipPort: number, uasPort: number, amiPort: number): Promise<void> {
  const login = "Action: Login\r\nUsername: bench\r\nSecret: bench\r\nEvents: on\r\n\r\n";
  // Latency is measured on ten clients (all hundred check order and completeness): parsing every
  // timestamp a hundred times would measure the bench process more than Recall.
  const clients = Array.from({ length: CLIENTS }, (_, i) => new BenchClient(amiPort, login, i % 10 === 0));
  await until(() => clients.every((c) => c.authenticated), 30_000);
  const calls = RATE * SECONDS;
  const uas = startSipp({ scenario: uasCall({ status: 200 }), localPort: uasPort, calls, timeoutMs: (SECONDS + 90) * 1000 });
  const cpuBefore = cpuSeconds(recall.child.pid!), started = Date.now(), benchBefore = process.cpuUsage();
  const uac = await runSipp({ scenario: uacCall({ exten: "100", holdMs: 1000 }), target: `127.0.0.1:${sipPort}`, calls, rate: RATE, limit: RATE * 4, timeoutMs: (SECONDS + 60) * 1000 });
  const cpu = cpuSeconds(recall.child.pid!) - cpuBefore, elapsed = (Date.now() - started) / 1000;
  const benchCpu = (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(benchBefore));
  uas.stop();
  await uas.done;
  const last = () => Math.max(...clients.map((c) => c.lastOffset));
  // Quiet: no client has seen a new event for two seconds, and all stand at the same offset.
  let seen = -1, quietSince = Date.now();
  const quiet = () => {
    const total = clients.reduce((n, c) => n + c.events, 0);
    if (total !== seen) { seen = total; quietSince = Date.now(); }
    return Date.now() - quietSince > 2000 && clients.every((c) => c.lastOffset === last() || c.socket.destroyed);
  };
  if (!await until(quiet, 60_000)) console.log("  (some clients still receiving after 60 s)");
  const first = clients[0].firstOffset;
  // A client that resumes from the first offset afterwards must see exactly the same events.
  const resumed = new BenchClient(amiPort, `Action: Login\r\nUsername: bench\r\nSecret: bench\r\nResumeFrom: ${first}\r\n\r\n`);
  const caughtUp = await until(() => resumed.lastOffset >= last(), 60_000);
  await new Promise((r) => setTimeout(r, 500));
  const same = clients.every((c) => c.events === clients[0].events && c.hash === clients[0].hash);
  const outOfOrder = clients.reduce((n, c) => n + c.outOfOrder, 0);
  const lat = clients.flatMap((c) => c.latencies).sort((a, b) => a - b);
  const p99 = quantile(lat, 0.99);
  console.log(`${CLIENTS} AMI clients, all events on, ${fmt(RATE)} calls/s for ${SECONDS} s: ${fmt(uac.successful)} calls completed, ${fmt(uac.failed)} failed`);
  console.log(`  events per client ${fmt(clients[0].events)} (${fmt(clients[0].events / Math.max(1, uac.successful))} per call); all clients identical: ${same}; out of order: ${outOfOrder}; a client resuming from offset ${first}: ${resumed.events === clients[0].events && resumed.hash === clients[0].hash ? "identical" : `DIFFERENT (${resumed.events} events${caughtUp ? "" : ", still catching up after 60 s"})`}`);
  console.log(`  record to client latency: p50 ${quantile(lat, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${lat.at(-1)?.toFixed(1)} ms; target p99 < 50 ms: ratio ${(50 / p99).toFixed(2)}${p99 < 50 && same && outOfOrder === 0 ? "  ok" : "  BELOW TARGET"}`);
  console.log(`  CPU over the ${elapsed.toFixed(1)} s of calls: recall ${cpu.toFixed(1)} s (${Math.round((cpu / elapsed) * 100)} % of one core, all threads), this process reading ${CLIENTS} clients ${benchCpu.toFixed(1)} s (${Math.round((benchCpu / elapsed) * 100)} %); load average ${(await import("node:os")).loadavg()[0].toFixed(1)} on ${(await import("node:os")).cpus().length} cores`);
  const dropped = (recall.output().match(/does not read its events/g) ?? []).length;
  const counts = clients.map((c) => c.events).sort((a, b) => a - b);
  if (!same || dropped) console.log(`  clients dropped for not reading (the bench process reads ${CLIENTS} sockets on a shared machine): ${dropped}; events per client from ${fmt(counts[0])} to ${fmt(counts.at(-1)!)}`);
  for (const c of [...clients, resumed]) c.socket.destroy();
}

async function originates(recall: RecallProcess, uasPort: number, amiPort: number): Promise<void> {
  const total = ORIGINATE_RATE * ORIGINATE_SECONDS;
  const uas = startSipp({ scenario: uasCall({ status: 200 }), localPort: uasPort, calls: total, timeoutMs: (ORIGINATE_SECONDS + 90) * 1000 });
  const client = new BenchClient(amiPort, "Action: Login\r\nUsername: bench\r\nSecret: bench\r\nEvents: off\r\n\r\n");
  await until(() => client.authenticated, 10_000);
  const sentAt = new Map<string, number>();
  const responseMs: number[] = [];
  let accepted = 0, refused = 0, answered = 0, failed = 0;
  client.onMessage = (m) => {
    const id = /ActionID: (o\d+)/.exec(m)?.[1];
    if (!id) return;
    if (m.startsWith("Response: ")) {
      if (m.includes("Originate successfully queued")) accepted++; else refused++;
      responseMs.push(Date.now() - (sentAt.get(id) ?? Date.now()));
    } else if (m.startsWith("Event: OriginateResponse")) {
      if (/\r\nResponse: Success/.test(m)) answered++; else failed++;
    }
  };
  // OriginateResponse events need the call class: ask for those only.
  client.socket.write("Action: Events\r\nEventMask: call\r\n\r\n");
  const started = Date.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ORIGINATE_RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const id = `o${i}`;
    sentAt.set(id, Date.now());
    client.socket.write(`Action: Originate\r\nActionID: ${id}\r\nChannel: PJSIP/uas\r\nContext: bench\r\nExten: hangup\r\nPriority: 1\r\nCallerID: Bench <999>\r\nAsync: true\r\n\r\n`);
  }
  const sending = (Date.now() - started) / 1000;
  await until(() => answered + failed >= total, 60_000);
  responseMs.sort((a, b) => a - b);
  console.log(`Async Originate at ${fmt(ORIGINATE_RATE)}/s for ${ORIGINATE_SECONDS} s (sent in ${sending.toFixed(1)} s): ${fmt(accepted)} accepted, ${fmt(refused)} refused; response p50 ${quantile(responseMs, 0.5).toFixed(1)} ms, p99 ${quantile(responseMs, 0.99).toFixed(1)} ms`);
  console.log(`  OriginateResponse: ${fmt(answered)} answered, ${fmt(failed)} failed; target: every Originate accepted at 500/s${accepted === total && ORIGINATE_RATE >= 500 ? "  ok" : "  BELOW TARGET"}`);
  client.socket.destroy();
  uas.stop();
  await uas.done;
  void recall;
}

console.log(`AMI benchmark (Node ${process.version})`);
const sipPort = await freePort(), uasPort = await freePort(), amiPort = await freePort();
// BENCH_SINKS (recall.conf [projections] sinks): the live CDR/CEL sinks running beside AMI.
const sinks = process.env.BENCH_SINKS;
const recall = await startRecall({
  ...(sinks ? { "recall.conf": `[projections]\nsinks = ${sinks}\n` } : {}),
  "pjsip.conf": callerCalleePjsip(sipPort, uasPort, { context: "bench", callee: "uas" }), "extensions.conf": extensions, "manager.conf": manager(amiPort),
});
try {
  await recall.waitFor(/AMI listening/);
  if (SECONDS > 0) await events(recall, sipPort, uasPort, amiPort);
  if (ORIGINATE_SECONDS > 0) await originates(recall, uasPort, amiPort);
} finally {
  await recall.stop();
}
