/**
 * bench:media's phones, in a thread of their own so that measuring does not queue behind
 * the benchmark's other work (one thread sending and receiving 50,000 packets a second
 * would add its own jitter to the PBX's). A phones thread binds `sockets` UDP sockets and
 *   - times every packet arriving: |interval − 20 ms| per stream ("interval"), or the
 *     latency from the send time stamped in the payload ("latency"; absolute times, so
 *     comparable across threads);
 *   - optionally sends streams from its first socket, one µ-law packet per 20 ms each,
 *     spread over ten 2 ms slots the way independent phones would be.
 *
 * Messages in: { t: "send", streams: [{ to, ssrc }] }, { t: "measure", on }.
 * Out: { t: "ready", ports }, then on "measure" off: { t: "result", samples: Float64Array, packets, lost }.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createSocket, type Socket } from "node:dgram";
import { performance } from "node:perf_hooks";
import { buildRtp, parseRtp } from "../rtp.js";

const { sockets, mode } = workerData as { sockets: number; mode: "interval" | "latency" };
const now = () => performance.timeOrigin + performance.now();
const streams = new Map<number, { lastAt: number; lastSeq: number; lastTs: number }>();
let measuring = false, packets = 0, lost = 0;
let samples = new Float64Array(1 << 16), n = 0;

function keep(v: number): void {
  if (n === samples.length) { const bigger = new Float64Array(n * 2); bigger.set(samples); samples = bigger; }
  samples[n++] = v;
}

function onMessage(m: Buffer): void {
  const at = now();
  const h = parseRtp(m);
  if (!h) return;
  const s = streams.get(h.ssrc);
  if (!s) { streams.set(h.ssrc, { lastAt: at, lastSeq: h.sequence, lastTs: h.timestamp }); return; }
  if (measuring) {
    packets++;
    const gap = (h.sequence - s.lastSeq) & 0xffff;
    if (gap > 1 && gap < 1000) lost += gap - 1;
    if (mode === "interval" && gap === 1) keep(Math.abs(at - s.lastAt - ((h.timestamp - s.lastTs) >>> 0) / 8));
    if (mode === "latency" && h.payloadEnd - h.payloadOffset >= 8) keep(at - m.readDoubleLE(h.payloadOffset));
  }
  s.lastAt = at; s.lastSeq = h.sequence; s.lastTs = h.timestamp;
}

const socks: Socket[] = [];
for (let i = 0; i < sockets; i++) {
  const sock = createSocket({ type: "udp4", recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
  sock.on("message", onMessage);
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  socks.push(sock);
}

let sending = false;
async function send(list: readonly { to: number; ssrc: number }[]): Promise<void> {
  sending = true;
  let seq = 0, ts = 0, tick = 0;
  const payload = Buffer.alloc(160, 0xff);
  const start = performance.now();
  while (sending) {
    const part = tick % 10;
    if (part === 0) { seq = (seq + 1) & 0xffff; ts = (ts + 160) >>> 0; }
    for (let i = part; i < list.length; i += 10) {
      payload.writeDoubleLE(now(), 0);
      socks[0].send(buildRtp(0, false, seq, ts, list[i].ssrc, payload), list[i].to, "127.0.0.1");
    }
    tick++;
    await new Promise((r) => setTimeout(r, Math.max(0, start + tick * 2 - performance.now())));
  }
}

parentPort!.on("message", (msg: { t: "send"; streams: { to: number; ssrc: number }[] } | { t: "measure"; on: boolean }) => {
  if (msg.t === "send") { void send(msg.streams); return; }
  if (msg.on) { measuring = true; packets = 0; lost = 0; n = 0; return; }
  measuring = false;
  sending = false;
  const out = samples.slice(0, n);
  parentPort!.postMessage({ t: "result", samples: out, packets, lost }, [out.buffer]);
  setTimeout(() => process.exit(0), 50);
});
parentPort!.postMessage({ t: "ready", ports: socks.map((s) => s.address().port) });
