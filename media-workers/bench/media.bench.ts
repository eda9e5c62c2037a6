/**
 * bench:media — what the worker pool carries on loopback, against the media issue's targets:
 *
 *   playback:   N sessions each sending a looping core-sound prompt; we receive every stream
 *               and measure the inter-packet interval against 20 ms, and loss from sequence
 *               gaps. Target: 1,000 sessions, interval p99 within 20 ± 2 ms, no loss, < 80 %
 *               of the two cores.
 *   bridge:     N two-party calls relaying µ-law both ways; our generator stamps each packet
 *               with its send time, so we measure the latency the relay adds. Target: 500
 *               calls, loss < 0.01 %, added latency p99 < 5 ms.
 *   conference: R rooms of 10 parties mixed in linear PCM; the workers time every mixed
 *               frame (sum, minus each party's own audio, encode, send). Target: p99 < 1 ms.
 *
 * Each step runs `--seconds` (default 4) after a 1 s warm-up; a ladder stops at the first
 * step that misses its target. Usage:
 *   node dist/media-workers/bench/media.bench.js [--workers 2,1] [--seconds 4] [--max 2000] [--all]
 * (`--all`: run every step up to --max instead of stopping at the first miss.)
 */
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, symlinkSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { MediaService } from "../index.js";
import { buildRtp, parseRtp } from "../rtp.js";
import { wavHeader } from "../wav.js";

const args = process.argv.slice(2);
const arg = (name: string, def: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const WORKERS = arg("workers", "2,1").split(",").map(Number);
const SECONDS = Number(arg("seconds", "4"));
const MAX = Number(arg("max", "2000"));
const ALL = args.includes("--all");
const PLAY_STEPS = [250, 500, 750, 1000, 1250, 1500, 2000].filter((n) => n <= MAX);
const BRIDGE_STEPS = [100, 250, 500, 750, 1000].filter((n) => n <= MAX);
const ROOM_STEPS = [1, 10, 25, 50].filter((n) => n * 10 <= MAX);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(sorted: number[], p: number): number { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN; }

/** A receive socket that measures every stream (by SSRC) arriving on it. */
class Sink {
  readonly sock = createSocket({ type: "udp4", recvBufferSize: 8 << 20 });
  port = 0;
  measuring = false;
  readonly streams = new Map<number, { lastAt: number; lastSeq: number; lastTs: number; pkts: number; lost: number }>();
  readonly dev: number[] = [];
  readonly lat: number[] = [];
  packets = 0;
  lost = 0;
  constructor(private readonly mode: "interval" | "latency") {
    this.sock.on("message", (m) => this.onMessage(m));
  }
  async bind(): Promise<void> { await new Promise<void>((r) => this.sock.bind(0, "127.0.0.1", () => r())); this.port = this.sock.address().port; }
  private onMessage(m: Buffer): void {
    const now = performance.now();
    const h = parseRtp(m);
    if (!h) return;
    const s = this.streams.get(h.ssrc);
    if (!s) { this.streams.set(h.ssrc, { lastAt: now, lastSeq: h.sequence, lastTs: h.timestamp, pkts: 1, lost: 0 }); return; }
    if (this.measuring) {
      this.packets++;
      const gap = (h.sequence - s.lastSeq) & 0xffff;
      if (gap > 1 && gap < 1000) this.lost += gap - 1;
      if (this.mode === "interval" && gap === 1) this.dev.push(Math.abs(now - s.lastAt - ((h.timestamp - s.lastTs) >>> 0) / 8));
      if (this.mode === "latency" && h.payloadEnd - h.payloadOffset >= 8) this.lat.push(now - m.readDoubleLE(h.payloadOffset));
    }
    s.lastAt = now; s.lastSeq = h.sequence; s.lastTs = h.timestamp;
  }
  reset(): void { this.dev.length = 0; this.lat.length = 0; this.packets = 0; this.lost = 0; }
}

interface Row {
  scenario: string; workers: number; sessions: number; pps: number; meanJitterMs: number; p99JitterMs: number;
  latencyP50Ms?: number; latencyP99Ms?: number; mixP99Ms?: number; lossPct: number; cpuPct: number; clockLateMs: number; skipped: number; ok: boolean;
}

async function measure(media: MediaService, sinks: Sink[], extraMeasured?: () => void): Promise<{ cpuPct: number; seconds: number; clockLateMs: number; skipped: number; mixP99Ms: number }> {
  await sleep(1000);
  for (const s of sinks) { s.reset(); s.measuring = true; }
  extraMeasured?.();
  await media.stats(undefined, true);
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  await sleep(SECONDS * 1000);
  const cpu = process.cpuUsage(cpu0), secs = (performance.now() - t0) / 1000;
  for (const s of sinks) s.measuring = false;
  const ws = (await media.stats()) as { clock: { lateMeanMs: number; skipped: number }; mix: { p99Ms: number } }[];
  return {
    cpuPct: ((cpu.user + cpu.system) / 1e6 / secs / 2) * 100, seconds: secs,
    clockLateMs: ws.reduce((a, w) => a + w.clock.lateMeanMs, 0) / ws.length, skipped: ws.reduce((a, w) => a + w.clock.skipped, 0),
    mixP99Ms: Math.max(...ws.map((w) => w.mix.p99Ms)),
  };
}

async function playbackStep(workers: number, n: number, mohDir: string): Promise<Row> {
  const media = await MediaService.start({ workers, rtpStart: 20000, rtpEnd: 30000 });
  const sinks = await Promise.all(Array.from({ length: 4 }, async () => { const s = new Sink("interval"); await s.bind(); return s; }));
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = await media.createSession({ codecs: ["ulaw"] });
    await media.setRemote(s.id, { address: "127.0.0.1", port: sinks[i % sinks.length].port, codec: "ulaw", payloadType: 0 });
    void media.startMoh(s.id, mohDir);
    ids.push(s.id);
  }
  const m = await measure(media, sinks);
  const dev = sinks.flatMap((s) => s.dev).sort((a, b) => a - b);
  const packets = sinks.reduce((a, s) => a + s.packets, 0), lost = sinks.reduce((a, s) => a + s.lost, 0);
  await media.stop();
  for (const s of sinks) s.sock.close();
  const meanJ = dev.reduce((a, b) => a + b, 0) / Math.max(1, dev.length), lossPct = (100 * lost) / Math.max(1, packets + lost);
  const p99 = pct(dev, 99);
  return { scenario: "playback", workers, sessions: n, pps: Math.round(packets / m.seconds), meanJitterMs: meanJ, p99JitterMs: p99, lossPct, cpuPct: m.cpuPct, clockLateMs: m.clockLateMs, skipped: m.skipped, ok: p99 <= 2 && lost === 0 && m.cpuPct < 80 };
}

async function bridgeStep(workers: number, calls: number): Promise<Row> {
  const media = await MediaService.start({ workers, rtpStart: 20000, rtpEnd: 30000 });
  // Callers send from/receive on sideA sockets, callees on sideB sockets.
  const sideA = [new Sink("latency")], sideB = [new Sink("latency")];
  for (const s of [...sideA, ...sideB]) await s.bind();
  const legs: { a: number; b: number; sa: Socket; sb: Socket }[] = [];
  for (let i = 0; i < calls; i++) {
    const sa = sideA[0], sb = sideB[0];
    const a = await media.createSession({ codecs: ["ulaw"] }), b = await media.createSession({ codecs: ["ulaw"] });
    await media.setRemote(a.id, { address: "127.0.0.1", port: sa.port, codec: "ulaw", payloadType: 0 });
    await media.setRemote(b.id, { address: "127.0.0.1", port: sb.port, codec: "ulaw", payloadType: 0 });
    await media.bridge(a.id, b.id);
    legs.push({ a: a.localPort, b: b.localPort, sa: sa.sock, sb: sb.sock });
  }
  const stop = generate(legs.flatMap((L, i) => [{ from: L.sa, to: L.a, ssrc: 1000 + i }, { from: L.sb, to: L.b, ssrc: 50000 + i }]));
  const m = await measure(media, [...sideA, ...sideB]);
  await stop();
  const all = [...sideA, ...sideB];
  const lat = all.flatMap((s) => s.lat).sort((a, b) => a - b);
  const packets = all.reduce((a, s) => a + s.packets, 0), lost = all.reduce((a, s) => a + s.lost, 0);
  const mean = lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length);
  const dev = lat.map((l) => Math.abs(l - mean)).sort((a, b) => a - b);
  const meanJ = dev.reduce((a, b) => a + b, 0) / Math.max(1, dev.length);
  await media.stop();
  for (const s of all) s.sock.close();
  const lossPct = (100 * lost) / Math.max(1, packets + lost);
  const latencyP99Ms = pct(lat, 99);
  return {
    scenario: "bridge", workers, sessions: calls, pps: Math.round(packets / m.seconds), meanJitterMs: meanJ, p99JitterMs: pct(dev, 99),
    latencyP50Ms: pct(lat, 50), latencyP99Ms, lossPct, cpuPct: m.cpuPct, clockLateMs: m.clockLateMs, skipped: m.skipped, ok: lossPct < 0.01 && latencyP99Ms < 5,
  };
}

/**
 * The phones: a drift-corrected loop sending each stream one packet per 20 ms (stamped
 * with its send time), spread over ten 2 ms slots the way independent phones would be.
 * Returns the function that stops it.
 */
function generate(streams: readonly { from: Socket; to: number; ssrc: number }[]): () => Promise<void> {
  let running = true, seq = 0, ts = 0, tick = 0;
  const payload = Buffer.alloc(160, 0xff);
  const start = performance.now();
  const loop = (async () => {
    while (running) {
      const part = tick % 10;
      if (part === 0) { seq = (seq + 1) & 0xffff; ts = (ts + 160) >>> 0; }
      for (let i = part; i < streams.length; i += 10) {
        const st = streams[i];
        payload.writeDoubleLE(performance.now(), 0);
        st.from.send(buildRtp(0, false, seq, ts, st.ssrc, payload), st.to, "127.0.0.1");
      }
      tick++;
      await sleep(Math.max(0, start + tick * 2 - performance.now()));
    }
  })();
  return async () => { running = false; await loop; };
}

/** `rooms` conferences of ten parties each, every party sending µ-law and receiving the mix of the others. */
async function conferenceStep(workers: number, rooms: number): Promise<Row> {
  const media = await MediaService.start({ workers, rtpStart: 20000, rtpEnd: 30000 });
  const sink = new Sink("interval");
  await sink.bind();
  const streams: { from: Socket; to: number; ssrc: number }[] = [];
  for (let r = 0; r < rooms; r++) {
    for (let p = 0; p < 10; p++) {
      const s = await media.createSession({ codecs: ["ulaw"] });
      await media.setRemote(s.id, { address: "127.0.0.1", port: sink.port, codec: "ulaw", payloadType: 0 });
      await media.joinMix(`room-${r}`, s.id);
      streams.push({ from: sink.sock, to: s.localPort, ssrc: 1 + r * 10 + p });
    }
  }
  const stop = generate(streams);
  const m = await measure(media, [sink]);
  await stop();
  const lossPct = (100 * sink.lost) / Math.max(1, sink.packets + sink.lost);
  const dev = [...sink.dev].sort((a, b) => a - b);
  await media.stop();
  sink.sock.close();
  return {
    scenario: "conf", workers, sessions: rooms * 10, pps: Math.round(sink.packets / m.seconds), meanJitterMs: dev.reduce((a, b) => a + b, 0) / Math.max(1, dev.length),
    p99JitterMs: pct(dev, 99), mixP99Ms: m.mixP99Ms, lossPct, cpuPct: m.cpuPct, clockLateMs: m.clockLateMs, skipped: m.skipped, ok: m.mixP99Ms < 1,
  };
}

function print(r: Row): void {
  const f = (x: number | undefined, d = 2) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(d));
  console.log(`${r.scenario.padEnd(8)} w=${r.workers} n=${String(r.sessions).padStart(5)}  ${String(r.pps).padStart(6)} pkt/s  ` +
    `added jitter mean ${f(r.meanJitterMs, 3)} ms p99 ${f(r.p99JitterMs)} ms  ` +
    (r.latencyP50Ms !== undefined ? `latency p50 ${f(r.latencyP50Ms)} p99 ${f(r.latencyP99Ms)} ms  ` : "") +
    (r.mixP99Ms !== undefined ? `mix frame p99 ${f(r.mixP99Ms, 3)} ms  ` : "") +
    `loss ${f(r.lossPct, 3)} %  cpu ${f(r.cpuPct, 0)} % of 2 cores  clock late ${f(r.clockLateMs)} ms  skipped ${r.skipped}  ${r.ok ? "OK" : "OVER"}`);
}

async function main(): Promise<void> {
  const prompt = "/usr/share/asterisk/sounds/en/hello-world.wav";
  const dir = mkdtempSync(join(tmpdir(), "bench-moh-"));
  if (existsSync(prompt)) symlinkSync(prompt, join(dir, "hello-world.wav"));
  else writeFileSync(join(dir, "tone.wav"), Buffer.concat([wavHeader(32000), Buffer.alloc(32000, 7)]));
  const best: Record<string, number> = {};
  for (const w of WORKERS) {
    for (const n of PLAY_STEPS) {
      const r = await playbackStep(w, n, dir);
      print(r);
      if (!r.ok) { if (ALL) continue; break; }
      best[`playback w=${w}`] = n;
    }
    for (const n of BRIDGE_STEPS) {
      const r = await bridgeStep(w, n);
      print(r);
      if (!r.ok) { if (ALL) continue; break; }
      best[`bridge w=${w}`] = n;
    }
    for (const n of ROOM_STEPS) {
      const r = await conferenceStep(w, n);
      print(r);
      if (!r.ok) { if (ALL) continue; break; }
      best[`conference w=${w}`] = n;
    }
  }
  console.log("\nsustained within the targets (playback: interval p99 ≤ 20 ± 2 ms, no loss, < 80 % CPU; bridge: loss < 0.01 %, latency p99 < 5 ms; conference: mix frame p99 < 1 ms):");
  const target: Record<string, number> = { playback: 1000, bridge: 500, conference: 1 };
  for (const [k, v] of Object.entries(best)) {
    const kind = k.split(" ")[0];
    const unit = kind === "bridge" ? "calls (2 legs each)" : kind === "conference" ? "rooms of 10" : "sessions";
    console.log(`  ${k}: ${v} ${unit}  (target ${target[kind]}: ratio ${(v / target[kind]).toFixed(2)})`);
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
