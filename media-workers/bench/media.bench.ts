/**
 * bench:media — what the worker pool carries on loopback, against the media issue's targets:
 *
 *   playback:   N sessions each sending a looping core-sound prompt; phones (phones.c, a
 *               process of their own, timing each arrival in the kernel) measure the
 *               inter-packet interval against 20 ms, and loss from sequence gaps. Target: 1,000 sessions, interval p99 within 20 ± 2 ms, no loss, < 80 %
 *               of the two cores.
 *   bridge:     N two-party calls relaying µ-law both ways; the phones stamp each packet
 *               with its send time, so we measure the latency the relay adds. Target: 500
 *               calls, loss < 0.01 %, added latency p99 < 5 ms.
 *   conference: R rooms of 10 parties mixed in linear PCM; the workers time every mixed
 *               frame (sum, minus each party's own audio, encode, send). Target: p99 < 1 ms.
 *
 * Each step runs `--seconds` (default 4) after a 1 s warm-up; a ladder stops at the first
 * step that misses its target (a step that missed while the virtual machine's host stole
 * more than 2 % of the CPU runs again, twice at most). CPU is the PBX's (this process: main thread and workers);
 * the phones' own is printed beside it. Usage:
 *   node dist/media-workers/bench/media.bench.js [--workers 2,1] [--seconds 4] [--max 2000] [--all] [--only playback,bridge,conf] [--from N]
 * (`--all`: run every step up to --max instead of stopping at the first miss; `--from`: skip steps below N.)
 */
import { symlinkSync, existsSync, writeFileSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { MediaService } from "../index.js";
import { wavHeader } from "../wav.js";
import { tempDir } from "../../core/reap.js";

const args = process.argv.slice(2);
const arg = (name: string, def: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const WORKERS = arg("workers", "2,1").split(",").map(Number);
const SECONDS = Number(arg("seconds", "4"));
const MAX = Number(arg("max", "2000"));
const FROM = Number(arg("from", "0"));
const ONLY = arg("only", "playback,bridge,conf").split(",");
const ALL = args.includes("--all");
const PLAY_STEPS = ONLY.includes("playback") ? [250, 500, 750, 1000, 1250, 1500, 2000].filter((n) => n <= MAX && n >= FROM) : [];
const BRIDGE_STEPS = ONLY.includes("bridge") ? [100, 250, 500, 750, 1000].filter((n) => n <= MAX && n >= FROM) : [];
const ROOM_STEPS = ONLY.includes("conf") ? [1, 10, 25, 50].filter((n) => n * 10 <= MAX && n * 10 >= FROM) : [];
const STEAL_RETRY_PCT = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  scenario: string; workers: number; sessions: number; pps: number; meanJitterMs: number; p99JitterMs: number;
  latencyP50Ms?: number; latencyP99Ms?: number; mixP99Ms?: number; lossPct: number; cpuPct: number; phonesCpuPct: number; clockLateMs: number; clockLateP99Ms: number; clockLateMaxMs: number; skipped: number; stealPct: number; ok: boolean;
}

/**
 * The machine's CPU time as /proc/stat counts it: all of it, and the part a virtual machine's host
 * gave to others while we wanted it (steal). Steal shows as timer lateness no code here can avoid.
 */
function cpuTicks(): { total: number; steal: number } {
  const f = readFileSync("/proc/stat", "latin1").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
}

/** After a 1 s warm-up, start the phones' measuring and the workers' stats, and run `--seconds`. */
async function measure(media: MediaService, startMeasuring: () => void): Promise<{ cpuPct: number; seconds: number; clockLateMs: number; clockLateP99Ms: number; clockLateMaxMs: number; skipped: number; mixP99Ms: number; stealPct: number }> {
  await sleep(1000);
  startMeasuring();
  await media.stats(undefined, true);
  const cpu0 = process.cpuUsage(), t0 = performance.now(), ticks0 = cpuTicks();
  await sleep(SECONDS * 1000);
  const cpu = process.cpuUsage(cpu0), secs = (performance.now() - t0) / 1000, ticks = cpuTicks();
  const ws = (await media.stats()) as { clock: { lateMeanMs: number; lateP99Ms: number; lateMaxMs: number; skipped: number }; mix: { p99Ms: number } }[];
  return {
    cpuPct: ((cpu.user + cpu.system) / 1e6 / secs / 2) * 100, seconds: secs,
    clockLateMs: ws.reduce((a, w) => a + w.clock.lateMeanMs, 0) / ws.length,
    clockLateP99Ms: Math.max(...ws.map((w) => w.clock.lateP99Ms)), clockLateMaxMs: Math.max(...ws.map((w) => w.clock.lateMaxMs)), skipped: ws.reduce((a, w) => a + w.clock.skipped, 0),
    mixP99Ms: Math.max(...ws.map((w) => w.mix.p99Ms)),
    stealPct: (100 * (ticks.steal - ticks0.steal)) / Math.max(1, ticks.total - ticks0.total),
  };
}

interface PhonesResult { samples: Float64Array; packets: number; lost: number; cpuMs: number }

const PHONES_SRC = fileURLToPath(new URL("../../../media-workers/bench/phones.c", import.meta.url));
const PHONES = fileURLToPath(new URL("./phones", import.meta.url));
const scratch = tempDir("bench-media-");
let phonesMade = 0;

/** A phones process (phones.c) with `sockets` sockets, measuring `mode`. */
async function startPhones(sockets: number, mode: "interval" | "latency"): Promise<{
  ports: number[]; send(streams: { to: number; ssrc: number }[]): void; measure(): void; result(): Promise<PhonesResult>;
}> {
  if (!existsSync(PHONES) || statSync(PHONES).mtimeMs < statSync(PHONES_SRC).mtimeMs) execFileSync("cc", ["-O2", "-Wall", "-o", PHONES, PHONES_SRC], { stdio: "inherit" });
  const p = spawn(PHONES, [mode, String(sockets)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: p.stdout! })[Symbol.asyncIterator]();
  const line = async () => { const r = await lines.next(); if (r.done) throw new Error("phones ended early"); return r.value.split(" "); };
  const ports = (await line()).slice(1).map(Number);
  const file = join(scratch, `samples-${++phonesMade}`);
  return {
    ports,
    send: (streams) => p.stdin!.write(streams.map((s) => `stream ${s.to} ${s.ssrc}\n`).join("") + "send\n"),
    measure: () => p.stdin!.write("measure\n"),
    async result() {
      p.stdin!.write(`result ${file}\n`);
      const [, packets, lost, , cpuMs] = (await line()).map(Number);
      const bytes = readFileSync(file);
      return { samples: new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), packets, lost, cpuMs };
    },
  };
}

const sortedOf = (results: readonly PhonesResult[]) => {
  const all = new Float64Array(results.reduce((a, r) => a + r.samples.length, 0));
  let at = 0;
  for (const r of results) { all.set(r.samples, at); at += r.samples.length; }
  return all.sort();
};
const phonesCpu = (results: readonly PhonesResult[], seconds: number) => (results.reduce((a, r) => a + r.cpuMs, 0) / 1000 / seconds / 2) * 100;
const pctOf = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const meanOf = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function playbackStep(workers: number, n: number, mohDir: string): Promise<Row> {
  const media = await MediaService.start({ workers, rtpStart: 20000, rtpEnd: 30000 });
  const phones = [await startPhones(4, "interval")];
  const ports = phones.flatMap((p) => p.ports);
  for (let i = 0; i < n; i++) {
    const s = await media.createSession({ codecs: ["ulaw"] });
    await media.setRemote(s.id, { address: "127.0.0.1", port: ports[i % ports.length], codec: "ulaw", payloadType: 0 });
    void media.startMoh(s.id, mohDir);
  }
  const m = await measure(media, () => { for (const p of phones) p.measure(); });
  const results = await Promise.all(phones.map((p) => p.result()));
  await media.stop();
  const dev = sortedOf(results);
  const packets = results.reduce((a, r) => a + r.packets, 0), lost = results.reduce((a, r) => a + r.lost, 0);
  const lossPct = (100 * lost) / Math.max(1, packets + lost), p99 = pctOf(dev, 99);
  return { scenario: "playback", workers, sessions: n, pps: Math.round(packets / m.seconds), meanJitterMs: meanOf(dev), p99JitterMs: p99, lossPct, cpuPct: m.cpuPct, phonesCpuPct: phonesCpu(results, m.seconds), clockLateMs: m.clockLateMs, clockLateP99Ms: m.clockLateP99Ms, clockLateMaxMs: m.clockLateMaxMs, skipped: m.skipped, stealPct: m.stealPct, ok: p99 <= 2 && lost === 0 && m.cpuPct < 80 };
}

/** N two-party calls: the callers' phones in one process, the called phones in another, each sending and timing. */
async function bridgeStep(workers: number, calls: number): Promise<Row> {
  const media = await MediaService.start({ workers, rtpStart: 20000, rtpEnd: 30000 });
  const [sideA, sideB] = await Promise.all([startPhones(1, "latency"), startPhones(1, "latency")]);
  const toA: { to: number; ssrc: number }[] = [], toB: { to: number; ssrc: number }[] = [];
  for (let i = 0; i < calls; i++) {
    // As Dial places them: the called leg on its caller's worker.
    const a = await media.createSession({ codecs: ["ulaw"] }), b = await media.createSession({ codecs: ["ulaw"], near: a.id });
    await media.setRemote(a.id, { address: "127.0.0.1", port: sideA.ports[0], codec: "ulaw", payloadType: 0 });
    await media.setRemote(b.id, { address: "127.0.0.1", port: sideB.ports[0], codec: "ulaw", payloadType: 0 });
    await media.bridge(a.id, b.id);
    toA.push({ to: a.localPort, ssrc: 1000 + i });
    toB.push({ to: b.localPort, ssrc: 50000 + i });
  }
  sideA.send(toA);
  sideB.send(toB);
  const m = await measure(media, () => { sideA.measure(); sideB.measure(); });
  const results = await Promise.all([sideA.result(), sideB.result()]);
  await media.stop();
  const lat = sortedOf(results);
  const packets = results.reduce((a, r) => a + r.packets, 0), lost = results.reduce((a, r) => a + r.lost, 0);
  const mean = meanOf(lat);
  const dev = lat.map((l) => Math.abs(l - mean)).sort();
  const lossPct = (100 * lost) / Math.max(1, packets + lost), latencyP99Ms = pctOf(lat, 99);
  return {
    scenario: "bridge", workers, sessions: calls, pps: Math.round(packets / m.seconds), meanJitterMs: meanOf(dev), p99JitterMs: pctOf(dev, 99),
    latencyP50Ms: pctOf(lat, 50), latencyP99Ms, lossPct, cpuPct: m.cpuPct, phonesCpuPct: phonesCpu(results, m.seconds), clockLateMs: m.clockLateMs, clockLateP99Ms: m.clockLateP99Ms, clockLateMaxMs: m.clockLateMaxMs, skipped: m.skipped, stealPct: m.stealPct, ok: lossPct < 0.01 && latencyP99Ms < 5,
  };
}

/** `rooms` conferences of ten parties each, every party sending µ-law and receiving the mix of the others. */
async function conferenceStep(workers: number, rooms: number): Promise<Row> {
  const media = await MediaService.start({ workers, rtpStart: 20000, rtpEnd: 30000 });
  const phones = await startPhones(1, "interval");
  const streams: { to: number; ssrc: number }[] = [];
  for (let r = 0; r < rooms; r++) {
    for (let p = 0; p < 10; p++) {
      const s = await media.createSession({ codecs: ["ulaw"] });
      await media.setRemote(s.id, { address: "127.0.0.1", port: phones.ports[0], codec: "ulaw", payloadType: 0 });
      await media.joinMix(`room-${r}`, s.id);
      streams.push({ to: s.localPort, ssrc: 1 + r * 10 + p });
    }
  }
  phones.send(streams);
  const m = await measure(media, () => phones.measure());
  const result = await phones.result();
  await media.stop();
  const dev = sortedOf([result]);
  const lossPct = (100 * result.lost) / Math.max(1, result.packets + result.lost);
  return {
    scenario: "conf", workers, sessions: rooms * 10, pps: Math.round(result.packets / m.seconds), meanJitterMs: meanOf(dev),
    p99JitterMs: pctOf(dev, 99), mixP99Ms: m.mixP99Ms, lossPct, cpuPct: m.cpuPct, phonesCpuPct: phonesCpu([result], m.seconds), clockLateMs: m.clockLateMs, clockLateP99Ms: m.clockLateP99Ms, clockLateMaxMs: m.clockLateMaxMs, skipped: m.skipped, stealPct: m.stealPct, ok: m.mixP99Ms < 1,
  };
}

function print(r: Row): void {
  const f = (x: number | undefined, d = 2) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(d));
  console.log(`${r.scenario.padEnd(8)} w=${r.workers} n=${String(r.sessions).padStart(5)}  ${String(r.pps).padStart(6)} pkt/s  ` +
    `added jitter mean ${f(r.meanJitterMs, 3)} ms p99 ${f(r.p99JitterMs)} ms  ` +
    (r.latencyP50Ms !== undefined ? `latency p50 ${f(r.latencyP50Ms)} p99 ${f(r.latencyP99Ms)} ms  ` : "") +
    (r.mixP99Ms !== undefined ? `mix frame p99 ${f(r.mixP99Ms, 3)} ms  ` : "") +
    `loss ${f(r.lossPct, 3)} %  cpu ${f(r.cpuPct, 0)} % of 2 cores (phones ${f(r.phonesCpuPct, 0)} %)  clock late mean ${f(r.clockLateMs)} p99 ${f(r.clockLateP99Ms, 1)} max ${f(r.clockLateMaxMs, 1)} ms  skipped ${r.skipped}  steal ${f(r.stealPct, 0)} %  ${r.ok ? "OK" : "OVER"}`);
}

async function main(): Promise<void> {
  const prompt = "/usr/share/asterisk/sounds/en/hello-world.wav";
  const dir = tempDir("bench-moh-");
  if (existsSync(prompt)) symlinkSync(prompt, join(dir, "hello-world.wav"));
  else writeFileSync(join(dir, "tone.wav"), Buffer.concat([wavHeader(32000), Buffer.alloc(32000, 7)]));
  const best: Record<string, number> = {};
  const ladders: [string, readonly number[], (w: number, n: number) => Promise<Row>][] = [
    ["playback", PLAY_STEPS, (w, n) => playbackStep(w, n, dir)],
    ["bridge", BRIDGE_STEPS, bridgeStep],
    ["conference", ROOM_STEPS, conferenceStep],
  ];
  for (const w of WORKERS) {
    for (const [kind, steps, step] of ladders) {
      for (const n of steps) {
        let r = await step(w, n);
        print(r);
        // A miss while the host took CPU away (steal) says little about the code: that step runs again, twice at most.
        for (let again = 0; !r.ok && r.stealPct > STEAL_RETRY_PCT && again < 2; again++) {
          console.log(`         the host stole ${r.stealPct.toFixed(0)} % of the CPU during that step: once more`);
          r = await step(w, n);
          print(r);
        }
        if (!r.ok) { if (ALL) continue; break; }
        best[`${kind} w=${w}`] = n;
      }
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
