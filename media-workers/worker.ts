/**
 * A media worker: owns the RTP/RTCP sockets of its sessions and runs their audio on
 * one 20 ms clock. Everything it learns that matters to a call (DTMF, timeouts, the end
 * of a prompt) goes back to the main thread as an event; the main thread turns those
 * into logged actor inputs. Media itself is not replayed, so SSRCs and sequence
 * numbers may be random here.
 */
import { workerData } from "node:worker_threads";
import { createSocket, type Socket, type RemoteInfo as UdpInfo } from "node:dgram";
import { connect, type Socket as TcpSocket } from "node:net";
import { mkdir, open, readFile, readdir, type FileHandle } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { performance } from "node:perf_hooks";
import { randomInt } from "node:crypto";
import { MessageRing } from "./ring.js";
import { MediaClock } from "./clock.js";
import { decode, encodeInto, frameBytes, isCodec, type Codec } from "./g711.js";
import {
  DTMF_EVENTS, RTP_HEADER, ReceiverStats, buildReceiverReport, buildSenderReport, digitToEvent, ntpFromUnixMs,
  parseRtcp, parseRtp, parseTelephoneEvent, telephoneEventPayload, writeRtpHeader, type RtpHeader, type ReportBlock,
} from "./rtp.js";
import { parseWav, wavDataChunk, wavHeader } from "./wav.js";
import { ToneGenerator, parseToneList } from "./tones.js";
import { applyQos, readQos } from "./qos.js";
import { AS_AUDIO, AS_DTMF, AS_ERROR, AS_HANGUP, AS_UUID, AsParser, asFrame, uuidBytes } from "./audiosocket.js";
import type { Command, MediaEvent, PeerFrame, RemoteInfo, WorkerInit } from "./protocol.js";

const init = workerData as WorkerInit;
const cmdRing = new MessageRing<Command>(init.cmd);
const evtRing = new MessageRing<MediaEvent>(init.evt);
const peerOut = init.peerOut.map((s) => (s ? new MessageRing<PeerFrame>(s) : null));
const peerIn = init.peerIn.map((s) => (s ? new MessageRing<PeerFrame>(s) : null));

const FRAME = 160;
const FRAME_MS = 20;
const RTCP_INTERVAL_MS = 5000;
/** Strict RTP learns a new source for this long after the remote address is set (as Asterisk does). */
const LEARN_MS = 5000;

let ringFullEvents = 0;
function emit(e: MediaEvent): void {
  if (!evtRing.send(e)) ringFullEvents++;
}
function warn(msg: string): void { emit({ t: "log", level: "warn", msg }); }

// ---------- sound files ----------

const fileCache = new Map<string, Promise<Int16Array>>();
const FILE_CACHE_MAX = 512;

async function loadRaw(path: string): Promise<Int16Array> {
  const buf = await readFile(path);
  if (path.endsWith(".wav") || path.endsWith(".WAV")) return parseWav(buf);
  if (path.endsWith(".sln") || path.endsWith(".raw")) {
    const out = new Int16Array(buf.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(2 * i);
    return out;
  }
  if (path.endsWith(".ulaw") || path.endsWith(".pcm")) return decode("ulaw", buf);
  if (path.endsWith(".alaw")) return decode("alaw", buf);
  throw new Error(`unsupported sound format: ${path}`);
}

/** Asterisk-style lookup: a name without extension is tried in each format we read. */
async function loadSound(name: string, language: string): Promise<Int16Array> {
  const bases = isAbsolute(name) ? [name] : [join(init.soundsDir, language, name), join(init.soundsDir, name)];
  const exts = /\.(wav|sln|raw|ulaw|alaw|pcm)$/i.test(name) ? [""] : [".wav", ".sln", ".ulaw", ".alaw"];
  let lastErr: unknown;
  for (const base of bases) {
    for (const ext of exts) {
      const path = base + ext;
      let p = fileCache.get(path);
      if (!p) {
        if (fileCache.size >= FILE_CACHE_MAX) fileCache.clear();
        p = loadRaw(path);
        fileCache.set(path, p);
        p.catch(() => fileCache.delete(path));
      }
      try { return await p; } catch (e) {
        lastErr = e;
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
  }
  throw new Error(`sound file not found: ${name}${lastErr ? "" : ""}`);
}

// ---------- sources: what a session sends on each tick when not relaying ----------

interface Source { kind: "play" | "tones" | "audiosocket"; next(out: Int16Array): boolean; }

class Player implements Source {
  readonly kind = "play";
  private i = 0;
  private pos = 0;
  constructor(readonly playId: number, private readonly clips: Int16Array[], readonly stopOnDtmf: string, private readonly loop: boolean) {}
  next(out: Int16Array): boolean {
    let w = 0;
    while (w < out.length) {
      if (this.i >= this.clips.length) {
        if (!this.loop || this.clips.every((c) => c.length === 0)) break;
        this.i = 0;
      }
      const clip = this.clips[this.i];
      const n = Math.min(out.length - w, clip.length - this.pos);
      out.set(clip.subarray(this.pos, this.pos + n), w);
      w += n; this.pos += n;
      if (this.pos >= clip.length) { this.i++; this.pos = 0; }
    }
    if (w === 0) return false;
    out.fill(0, w);
    return true;
  }
}

class Tones implements Source {
  readonly kind = "tones";
  constructor(private readonly gen: ToneGenerator) {}
  next(out: Int16Array): boolean { return this.gen.fill(out); }
}

// ---------- recording ----------

/**
 * Appends 16-bit frames to a recording off the clock: writes are chained, batched per
 * second. A `.wav` name gets a WAV header (fixed up at close); any other name is
 * headerless slin (Asterisk's `.sln`/`.raw`). With `append` the samples go after those
 * already in the file. Missing directories are created, as Asterisk's MixMonitor does.
 */
class WavWriter {
  private chunks: Buffer[] = [];
  /** Bytes written by this recording. */
  private bytes = 0;
  /** Bytes of samples that were in the file before (append). */
  private base = 0;
  private dataAt = 0;
  private readonly wav: boolean;
  private chain: Promise<FileHandle | undefined>;
  error: string | undefined;
  constructor(readonly path: string, append = false) {
    this.wav = /\.wav$/i.test(path);
    this.chain = this.openFile(append).catch((e: Error) => { this.error = e.message; return undefined; });
  }
  private async openFile(append: boolean): Promise<FileHandle> {
    await mkdir(dirname(this.path), { recursive: true });
    if (append) {
      let fh: FileHandle | undefined;
      try {
        fh = await open(this.path, "r+");
        const size = (await fh.stat()).size;
        if (!this.wav) { this.base = size & ~1; return fh; }
        const head = Buffer.alloc(Math.min(size, 4096));
        await fh.read(head, 0, head.length, 0);
        const d = wavDataChunk(head, size);
        this.dataAt = d.dataAt; this.base = d.dataBytes;
        return fh;
      } catch (e) {
        await fh?.close().catch(() => undefined);
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
    const fh = await open(this.path, "w");
    if (this.wav) { await fh.write(wavHeader(0), 0, 44, 0); this.dataAt = 44; }
    return fh;
  }
  add(frame: Int16Array): void {
    const b = Buffer.allocUnsafe(frame.length * 2);
    for (let i = 0; i < frame.length; i++) b.writeInt16LE(frame[i], 2 * i);
    this.chunks.push(b);
    if (this.chunks.length >= 50) this.flush();
  }
  private flush(): void {
    if (!this.chunks.length) return;
    const data = Buffer.concat(this.chunks), from = this.bytes;
    this.chunks = []; this.bytes += data.length;
    this.chain = this.chain.then(async (fh) => {
      if (fh) await fh.write(data, 0, data.length, this.dataAt + this.base + from).catch((e: Error) => { this.error ??= e.message; });
      return fh;
    });
  }
  /** Drops the last `bytes` this recording wrote (trailing silence), as Asterisk's ast_stream_rewind before closing. */
  trim(bytes: number): void {
    this.flush();
    const n = Math.min(bytes & ~1, this.bytes);
    if (n <= 0) return;
    this.bytes -= n;
    const end = this.dataAt + this.base + this.bytes;
    this.chain = this.chain.then(async (fh) => {
      if (fh) await fh.truncate(end).catch((e: Error) => { this.error ??= e.message; });
      return fh;
    });
  }
  /** Closes the file (the WAV sizes fixed up); resolves with the bytes this recording added. */
  async close(): Promise<number> {
    this.flush();
    const fh = await this.chain;
    if (fh) {
      if (this.wav) {
        const total = this.base + this.bytes, sizes = Buffer.alloc(4);
        sizes.writeUInt32LE(this.dataAt - 8 + total, 0);
        await fh.write(sizes, 0, 4, 4).catch((e: Error) => { this.error ??= e.message; });
        const data = Buffer.alloc(4);
        data.writeUInt32LE(total, 0);
        await fh.write(data, 0, 4, this.dataAt - 4).catch((e: Error) => { this.error ??= e.message; });
      }
      await fh.close().catch(() => undefined);
    }
    return this.bytes;
  }
}

/** Asterisk's silence threshold (dsp.conf `silencethreshold`): a frame whose mean absolute sample is below it is silent. */
const SILENCE_THRESHOLD = 256;
/** Silence kept at the end of a recording trimmed on silence (Asterisk's 200 ms). */
const KEPT_SILENCE_MS = 200;

function silent(pcm: Int16Array | undefined): boolean {
  if (!pcm) return true;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += Math.abs(pcm[i]);
  return sum < SILENCE_THRESHOLD * pcm.length;
}

/**
 * MixMonitor: both directions mixed (and optionally each alone), one frame per tick.
 * `bridgedOnly` (option b) keeps only the ticks when the session is in a bridge or mix.
 * With `maxSilenceMs`, each written frame is judged (the audio itself, muted or not, as
 * Asterisk's app.c judges the frame it read): the run of silent frames at the end, and
 * the audio above the threshold, are counted; a run longer than `maxSilenceMs` ends it.
 */
class Recorder {
  /** Frames as they arrived, each marked muted or not then: pause and mute apply in arrival order. */
  private rxQ: Queued[] = [];
  private txQ: Queued[] = [];
  private readonly mixed = new Int16Array(FRAME);
  private readonly heard = new Int16Array(FRAME);
  /** Paused: what arrives is dropped and nothing written (the file is shorter by the pause). */
  paused = false;
  /** Muted: silence is written in place of what arrives (the file keeps the wall time). */
  muted = false;
  /** Milliseconds of silence at the end of what is written, and of audio above the threshold. */
  silentRunMs = 0;
  talkingMs = 0;
  constructor(readonly recId: string, readonly main: WavWriter | undefined, readonly rxW: WavWriter | undefined, readonly txW: WavWriter | undefined,
    readonly bridgedOnly: boolean, readonly maxSilenceMs = 0) {}
  /** Silence detection is on and the silence at the end is longer than allowed. */
  get silenceExceeded(): boolean { return this.maxSilenceMs > 0 && this.silentRunMs > this.maxSilenceMs; }
  rx(pcm: Int16Array): void { this.queue(this.rxQ, pcm); }
  tx(pcm: Int16Array): void { this.queue(this.txQ, pcm); }
  private queue(q: Queued[], pcm: Int16Array): void {
    if (this.paused) return;
    q.push({ pcm: pcm.slice(0, FRAME), muted: this.muted });
    if (q.length > 10) q.shift();
  }
  tick(bridged: boolean): void {
    if (this.paused && !this.rxQ.length && !this.txQ.length) return;
    const a = this.rxQ.shift(), b = this.txQ.shift();
    if (this.bridgedOnly && !bridged) { this.rxQ = []; this.txQ = []; return; }
    const sum = (out: Int16Array, x: Int16Array | undefined, y: Int16Array | undefined) => {
      for (let i = 0; i < FRAME; i++) {
        const v = (x && i < x.length ? x[i] : 0) + (y && i < y.length ? y[i] : 0);
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    };
    const written = (f: Queued | undefined) => (f && !f.muted ? f.pcm : undefined);
    if (this.maxSilenceMs > 0) {
      // The audio as it was, muted or not (Asterisk's app.c judges the frame it read).
      sum(this.heard, a?.pcm, b?.pcm);
      if (silent(this.main ? this.heard : this.rxW ? a?.pcm : b?.pcm)) this.silentRunMs += FRAME_MS;
      else { this.silentRunMs = 0; this.talkingMs += FRAME_MS; }
    }
    if (this.main) { sum(this.mixed, written(a), written(b)); this.main.add(this.mixed); }
    this.rxW?.add(written(a) ?? SILENCE);
    this.txW?.add(written(b) ?? SILENCE);
  }
  /** Cuts the silence at the end down to 200 ms (Asterisk trims so when silence detection is on). */
  trimSilence(): void {
    const ms = this.silentRunMs - KEPT_SILENCE_MS;
    if (this.maxSilenceMs <= 0 || ms <= 0) return;
    for (const w of [this.main, this.rxW, this.txW]) w?.trim(ms * 16);
    this.silentRunMs = KEPT_SILENCE_MS;
  }
  get path(): string { return (this.main ?? this.rxW ?? this.txW)!.path; }
  async close(): Promise<{ bytes: number; error?: string }> {
    const [main, rx, tx] = await Promise.all([this.main?.close(), this.rxW?.close(), this.txW?.close()]);
    const error = this.main?.error ?? this.rxW?.error ?? this.txW?.error;
    return { bytes: main ?? rx ?? tx ?? 0, ...(error ? { error } : {}) };
  }
}
const SILENCE = new Int16Array(FRAME);
interface Queued { readonly pcm: Int16Array; readonly muted: boolean }

// ---------- AudioSocket client ----------

class AudioSocketLink implements Source {
  readonly kind = "audiosocket";
  private readonly parser = new AsParser();
  private playout: Int16Array[] = [];
  private partial: number[] = [];
  private finished = false;
  /** The TCP connection was made (an error before it is a failure to connect). */
  private connected = false;
  private readonly connectTimer: ReturnType<typeof setTimeout>;
  private readonly sock: TcpSocket;
  constructor(private readonly session: Session, uuid: string, host: string, port: number) {
    const id = uuidBytes(uuid);
    this.sock = connect({ host, port });
    this.sock.setNoDelay(true);
    // res_audiosocket gives a connection 2 s.
    this.connectTimer = setTimeout(() => this.finish("ERROR", `connection to ${host}:${port} timed out after 2000 ms`), 2000);
    this.sock.on("connect", () => {
      clearTimeout(this.connectTimer);
      this.connected = true;
      this.sock.write(asFrame(AS_UUID, id));
      emit({ t: "asConnected", id: session.id });
    });
    this.sock.on("data", (chunk: Buffer) => {
      let frames;
      try { frames = this.parser.push(chunk); } catch (e) { return this.finish("ERROR", (e as Error).message); }
      for (const f of frames) {
        if (f.type === AS_AUDIO) this.audio(f.payload);
        else if (f.type === AS_DTMF && f.payload.length >= 1) {
          const digit = String.fromCharCode(f.payload[0]);
          emit({ t: "asDtmf", id: session.id, digit });
          session.queueDtmf(digit, 100);
        } else if (f.type === AS_HANGUP) return this.finish("HANGUP");
        else if (f.type === AS_ERROR) return this.finish("ERROR", `peer error ${f.payload.toString("hex")}`);
      }
    });
    this.sock.on("error", (e) => this.finish("ERROR", e.message));
    this.sock.on("close", () => this.finish("HANGUP"));
  }
  private audio(p: Buffer): void {
    for (let i = 0; i + 1 < p.length; i += 2) {
      this.partial.push(p.readInt16LE(i));
      if (this.partial.length === FRAME) { this.playout.push(Int16Array.from(this.partial)); this.partial = []; }
    }
    if (this.playout.length > 50) this.playout.splice(0, this.playout.length - 50); // bound latency at 1 s
  }
  /** Caller's audio (20 ms of slin) to the service. */
  send(pcm: Int16Array): void {
    if (this.finished || this.sock.connecting) return;
    const b = Buffer.allocUnsafe(pcm.length * 2);
    for (let i = 0; i < pcm.length; i++) b.writeInt16LE(pcm[i], 2 * i);
    this.sock.write(asFrame(AS_AUDIO, b));
  }
  sendDtmf(digit: string): void { if (!this.finished && !this.sock.connecting) this.sock.write(asFrame(AS_DTMF, Buffer.from(digit, "latin1"))); }
  /** The service's next 20 ms frame, if it sent one (a virtual session's far end: externalMedia). */
  take(): Int16Array | undefined { return this.playout.shift(); }
  next(out: Int16Array): boolean {
    const f = this.playout.shift();
    if (f) out.set(f); else out.fill(0);
    return true; // silence while the service is quiet: the call stays up
  }
  finish(status: "HANGUP" | "ERROR" | "STOPPED", error?: string): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.connectTimer);
    if (status === "STOPPED" && !this.sock.destroyed) this.sock.end(asFrame(AS_HANGUP));
    else this.sock.destroy();
    if (this.session.source === this) this.session.source = undefined;
    if (this.session.audiosocket === this) this.session.audiosocket = undefined;
    if (this.session.end?.kind === "audiosocket" && this.session.end.link === this) this.session.end = undefined;
    emit({ t: "asDone", id: this.session.id, status, connected: this.connected, ...(error ? { error } : {}) });
  }
}

// ---------- sessions ----------

/**
 * What stands in for the phone of a session that has none (a virtual session):
 * - `announcer`: what the session plays is what it hears (a bridge's prompt or music
 *   on hold enters the bridge as if a member spoke it); what reaches it is dropped;
 * - `audiosocket`: a TCP AudioSocket service (ARI externalMedia): its frames are heard,
 *   what reaches the session is sent to it;
 * - `snoop`: another session's audio (in: from its phone, out: to its phone, mixed when
 *   both) is heard; what reaches the session is whispered to the snooped phone (out)
 *   and/or into what that phone sends (in).
 */
type VirtualEnd =
  | { kind: "announcer" }
  | { kind: "audiosocket"; link: AudioSocketLink }
  | { kind: "snoop"; target: string; spyIn: boolean; spyOut: boolean; whisperIn: boolean; whisperOut: boolean; inQ: Int16Array[]; outQ: Int16Array[] };

/** Frames queued from one thread turn to the next stay this short (a silent side must not build delay). */
const QUEUE_FRAMES = 5;
function enqueue(q: Int16Array[], pcm: Int16Array): void {
  q.push(pcm.length === FRAME ? pcm.slice() : Int16Array.from({ length: FRAME }, (_, i) => pcm[i] ?? 0));
  if (q.length > QUEUE_FRAMES) q.shift();
}
function addInto(pcm: Int16Array, extra: Int16Array | undefined): Int16Array {
  if (!extra) return pcm;
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) { const v = pcm[i] + (extra[i] ?? 0); out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v; }
  return out;
}

const sessions = new Map<string, Session>();
const usedPorts = new Set<number>();
let portCursor = 0;

class Session {
  /** The 2 ms slot of the frame clock that ticks it. */
  clockSlot = 0;
  readonly rx = new ReceiverStats();
  readonly ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0xffff);
  private ts = randomInt(0, 0x7fffffff);
  sendCodec: Codec;
  sendPt: number;
  ptMap = new Map<number, Codec>();
  tePt: number | undefined;
  remote: { address: string; port: number; rtcpPort: number } | undefined;
  direction: RemoteInfo["direction"] = "sendrecv";
  source: Source | undefined;
  bridge: { peer: string; worker: number } | undefined;
  mix: { mix: string; host: number } | undefined;
  recorders: Recorder[] = [];
  /** EAGI: the phone's decoded audio goes to main as `tap` events. */
  tap = false;
  /**
   * Counts what replaces or stops the session's source. A prompt loads its files first;
   * if a stop, tones or another prompt came meanwhile, it does not start.
   */
  sourceSeq = 0;
  /** Echo(): what the phone sends comes straight back. */
  echo = false;
  audiosocket: AudioSocketLink | undefined;
  /** A virtual session's far end (undefined: an RTP peer, the usual case). */
  end: VirtualEnd | undefined;
  /** ARI mute: what the phone sends (rx) and what it is sent (tx) are replaced by silence. */
  muteRx = false;
  muteTx = false;
  /** Snoop sessions listening to this one, by id. */
  readonly spies = new Set<string>();
  /** Whispered frames from a snoop: into what the phone is sent (out) and into what it sends (in). */
  readonly whisperOut: Int16Array[] = [];
  readonly whisperIn: Int16Array[] = [];
  /** Numbering of the slin packets a decoded stream is forwarded to a bridge partner in. */
  private fwdSeq = randomInt(0, 0xffff);
  private fwdTs = randomInt(0, 0x7fffffff);
  packetsSent = 0;
  octetsSent = 0;
  dropped = 0;
  lastRxAt = performance.now();
  timedOut = false;
  private lastRtcp: number;
  private rxEvent: { ts: number; reported: boolean } | undefined;
  private dtmfTx: { event: number; samples: number; sent: number; ts: number; ends: number }[] = [];
  private fwdMap: { ssrc: number; offset: number } | undefined;
  remoteReport: ReportBlock | undefined;
  private readonly pcm = new Int16Array(FRAME);
  private readonly out = Buffer.alloc(RTP_HEADER + FRAME * 2);
  private silentTicks = 0;
  /** Strict RTP: the source whose packets are taken, until when another may qualify, and the one qualifying. */
  private rtpFrom: { address: string; port: number } | undefined;
  private learnUntil = performance.now() + LEARN_MS;
  private candidate: { address: string; port: number; seq: number; count: number } | undefined;

  constructor(readonly id: string, readonly codecs: Codec[], readonly rtp: Socket, readonly rtcp: Socket, readonly port: number,
    readonly rtpTimeoutMs: number, readonly symmetric: boolean) {
    this.sendCodec = codecs[0];
    this.sendPt = staticPt(this.sendCodec);
    for (const c of codecs) this.ptMap.set(staticPt(c), c);
    this.lastRtcp = performance.now() - randomInt(0, RTCP_INTERVAL_MS); // spread RTCP across sessions
    rtp.on("message", (m, r) => this.onRtp(m, r));
    rtcp.on("message", (m) => this.onRtcp(m));
    rtp.on("error", (e) => warn(`rtp socket ${id}: ${e.message}`));
    rtcp.on("error", () => undefined);
  }

  setRemote(r: RemoteInfo): void {
    if (!isCodec(r.codec)) throw new Error(`codec "${r.codec}" not supported by media workers`);
    this.sendCodec = r.codec;
    this.sendPt = r.payloadType;
    this.ptMap = new Map();
    for (const [pt, name] of Object.entries(r.payloadTypes ?? { [r.payloadType]: r.codec })) if (isCodec(name)) this.ptMap.set(Number(pt), name);
    this.ptMap.set(r.payloadType, r.codec);
    this.tePt = r.telephoneEvent;
    this.remote = { address: r.address, port: r.port, rtcpPort: r.rtcpPort ?? r.port + 1 };
    // A new remote address (an answer, a re-INVITE, a transfer) starts learning again.
    this.rtpFrom = { address: r.address, port: r.port };
    this.learnUntil = performance.now() + LEARN_MS;
    this.candidate = undefined;
    this.direction = r.direction ?? "sendrecv";
    this.lastRxAt = performance.now();
    this.timedOut = false;
  }

  private canSend(): boolean { return !!this.remote && this.remote.port !== 0 && this.direction !== "sendonly" && this.direction !== "inactive"; }

  private sendPacket(b: Uint8Array, len: number): void {
    if (!this.remote) return;
    this.packetsSent++; this.octetsSent += len - RTP_HEADER;
    this.rtp.send(b, 0, len, this.remote.port, this.remote.address);
  }

  /** One frame of linear audio out, encoded in the negotiated codec. */
  sendPcm(pcm: Int16Array, marker = false): void {
    pcm = this.outgoing(pcm);
    if (this.toVirtualEnd(pcm)) return;
    if (!this.canSend() || this.dtmfTx.length) return;
    const n = encodeInto(this.sendCodec, pcm, this.out, RTP_HEADER);
    this.seq = (this.seq + 1) & 0xffff;
    writeRtpHeader(this.out, this.sendPt, marker, this.seq, this.ts, this.ssrc);
    this.ts = (this.ts + pcm.length) >>> 0;
    this.sendPacket(this.out, RTP_HEADER + n);
  }

  /** What goes to the phone, after mute and whisper; snoops and recorders get it. */
  private outgoing(pcm: Int16Array): Int16Array {
    if (this.muteTx) pcm = SILENCE.subarray(0, pcm.length);
    if (this.whisperOut.length) pcm = addInto(pcm, this.whisperOut.shift());
    for (const r of this.recorders) r.tx(pcm);
    for (const id of this.spies) { const e = sessions.get(id)?.end; if (e?.kind === "snoop" && e.spyOut) enqueue(e.outQ, pcm); }
    return pcm;
  }

  /** A virtual session's outgoing audio goes to its far end instead of RTP; true when it did. */
  private toVirtualEnd(pcm: Int16Array): boolean {
    const e = this.end;
    if (!e) return false;
    if (e.kind === "announcer") { /* hears only what it plays (tick) */ }
    else if (e.kind === "audiosocket") e.link.send(pcm);
    else {
      const target = sessions.get(e.target);
      if (target && e.whisperOut) enqueue(target.whisperOut, pcm);
      if (target && e.whisperIn) enqueue(target.whisperIn, pcm);
    }
    return true;
  }

  /** Whether what the phone sends must be decoded here (anything but a plain relay). */
  private needsPcm(): boolean {
    return this.recorders.length > 0 || !!this.audiosocket || !!this.mix || this.spies.size > 0 || this.muteRx || this.whisperIn.length > 0 || this.tap;
  }

  /**
   * Audio heard from the session's far end (its phone, decoded, or a virtual end), after
   * mute and whisper: to recorders, AudioSocket, the mix, snoops and, when `forward`, the
   * bridge partner (as slin packets).
   */
  private hear(pcm: Int16Array, forward = true): void {
    if (this.muteRx) pcm = SILENCE.subarray(0, pcm.length);
    if (this.whisperIn.length) pcm = addInto(pcm, this.whisperIn.shift());
    for (const r of this.recorders) r.rx(pcm);
    this.audiosocket?.send(pcm);
    for (const id of this.spies) { const e = sessions.get(id)?.end; if (e?.kind === "snoop" && e.spyIn) enqueue(e.inQ, pcm); }
    if (this.mix) {
      if (this.mix.host === init.index) mixes.get(this.mix.mix)?.input(this.id, pcm);
      else peerOut[this.mix.host]?.send({ t: "mixIn", mix: this.mix.mix, from: this.id, pcm: pcmBytes(pcm) });
    }
    if (forward && (this.bridge || this.echo)) {
      const pkt = Buffer.allocUnsafe(RTP_HEADER + pcm.length * 2);
      this.fwdSeq = (this.fwdSeq + 1) & 0xffff;
      writeRtpHeader(pkt, 118, false, this.fwdSeq, this.fwdTs, this.ssrc);
      this.fwdTs = (this.fwdTs + pcm.length) >>> 0;
      encodeInto("slin", pcm, pkt, RTP_HEADER);
      this.forward("slin", pkt, undefined);
    }
  }

  /** Relay a packet received on the other leg of a two-party bridge. */
  relay(codec: Codec | "event", pkt: Uint8Array): void {
    const h = parseRtp(pkt);
    if (!h || this.source) return;
    if (this.end) {
      if (codec !== "event") this.toVirtualEnd(this.outgoing(decode(codec, pkt.subarray(h.payloadOffset, h.payloadEnd))));
      return;
    }
    if (!this.canSend()) return;
    if (!this.fwdMap || this.fwdMap.ssrc !== h.ssrc) this.fwdMap = { ssrc: h.ssrc, offset: (this.ts - h.timestamp) | 0 };
    const ts = (h.timestamp + this.fwdMap.offset) >>> 0;
    this.seq = (this.seq + 1) & 0xffff;
    if (codec === "event") {
      if (this.tePt === undefined) { this.seq = (this.seq - 1) & 0xffff; return; }
      const b = Buffer.from(pkt.subarray(h.payloadOffset, h.payloadEnd));
      const out = Buffer.allocUnsafe(RTP_HEADER + b.length);
      writeRtpHeader(out, this.tePt, h.marker, this.seq, ts, this.ssrc);
      out.set(b, RTP_HEADER);
      this.sendPacket(out, out.length);
      return;
    }
    const payload = pkt.subarray(h.payloadOffset, h.payloadEnd);
    const samples = codec === "slin" ? payload.length >> 1 : payload.length;
    const plain = !this.recorders.length && !this.spies.size && !this.muteTx && !this.whisperOut.length;
    if (codec === this.sendCodec && plain) {
      // Same codec both sides: restamp the header and send the payload as it came.
      const out = Buffer.allocUnsafe(RTP_HEADER + payload.length);
      writeRtpHeader(out, this.sendPt, h.marker, this.seq, ts, this.ssrc);
      out.set(payload, RTP_HEADER);
      this.sendPacket(out, out.length);
    } else {
      const pcm = this.outgoing(decode(codec, payload));
      const out = Buffer.allocUnsafe(RTP_HEADER + frameBytes(this.sendCodec, pcm.length));
      writeRtpHeader(out, this.sendPt, h.marker, this.seq, ts, this.ssrc);
      encodeInto(this.sendCodec, pcm, out, RTP_HEADER);
      this.sendPacket(out, out.length);
    }
    this.ts = (ts + samples) >>> 0;
  }

  private onRtp(msg: Buffer, from: UdpInfo): void {
    const h = parseRtp(msg);
    if (!h) { this.dropped++; return; }
    if (!this.accepts(from, h.sequence)) { this.dropped++; return; }
    const now = performance.now();
    if (!this.rx.update(h.sequence, h.timestamp, h.ssrc, now)) { this.dropped++; return; }
    this.lastRxAt = now;
    this.timedOut = false;
    if (h.payloadType === this.tePt && this.tePt !== undefined) {
      this.onTelephoneEvent(h, msg);
      this.forward("event", msg, undefined);
      return;
    }
    const codec = this.ptMap.get(h.payloadType);
    if (!codec) { this.dropped++; return; } // comfort noise, unknown PTs
    if (!this.needsPcm()) { this.forward(codec, msg, h); return; }
    const pcm = decode(codec, msg.subarray(h.payloadOffset, h.payloadEnd));
    if (this.tap) emit({ t: "tap", id: this.id, pcm: pcmBytes(pcm) }); // EAGI hears the phone as it sent
    // Muted or whispered into, the partner gets the changed audio; otherwise the packet as it came.
    const changed = this.muteRx || this.whisperIn.length > 0;
    this.hear(pcm, changed);
    if (!changed) this.forward(codec, msg, h);
  }

  /**
   * Whose packets are taken (rtp.conf strictrtp, probation): the remote address's, and
   * during the learning window after it was set, a source that sends `probation` packets
   * in sequence replaces it (a phone behind NAT, whose packets come from another address
   * than its SDP says). Past the window nobody else gets in. With strictrtp = no anyone
   * does. With rtp_symmetric our packets follow the source taken.
   */
  private accepts(from: UdpInfo, seq: number): boolean {
    const known = this.rtpFrom;
    if (known && known.address === from.address && known.port === from.port) return true;
    if (init.strictRtp) {
      if (performance.now() > this.learnUntil) return false;
      const c = this.candidate;
      if (c && c.address === from.address && c.port === from.port && seq === ((c.seq + 1) & 0xffff)) { c.seq = seq; c.count++; }
      else this.candidate = { address: from.address, port: from.port, seq, count: 1 };
      if (this.candidate!.count < init.probation) return false;
      this.candidate = undefined;
    }
    this.rtpFrom = { address: from.address, port: from.port };
    if (this.symmetric) this.remote = { address: from.address, port: from.port, rtcpPort: from.port + 1 };
    return true;
  }

  private forward(codec: Codec | "event", msg: Buffer, _h: RtpHeader | undefined): void {
    if (this.echo) { this.relay(codec, msg); return; }
    const b = this.bridge;
    if (!b) return;
    if (b.worker === init.index) sessions.get(b.peer)?.relay(codec, msg);
    else peerOut[b.worker]?.send({ t: "pkt", to: b.peer, c: codec, p: msg });
  }

  private onTelephoneEvent(h: RtpHeader, msg: Buffer): void {
    const ev = parseTelephoneEvent(msg.subarray(h.payloadOffset, h.payloadEnd));
    if (!ev || ev.event >= DTMF_EVENTS.length) return;
    if (!this.rxEvent || this.rxEvent.ts !== h.timestamp) this.rxEvent = { ts: h.timestamp, reported: false };
    // End packets come three times (RFC 4733 §2.5.1.4): report the first only.
    if (ev.end && !this.rxEvent.reported) {
      this.rxEvent.reported = true;
      this.digit(DTMF_EVENTS[ev.event], Math.round(ev.duration / 8));
    }
  }

  digit(d: string, durationMs: number): void {
    emit({ t: "dtmf", id: this.id, digit: d, durationMs });
    this.audiosocket?.sendDtmf(d);
    const src = this.source;
    if (src instanceof Player && src.stopOnDtmf.includes(d)) {
      this.source = undefined;
      emit({ t: "playDone", id: this.id, playId: src.playId, status: "SUCCESS", interruptedBy: d });
    }
  }

  queueDtmf(digits: string, durationMs: number): void {
    if (this.end) return; // no phone to send RFC 4733 to
    for (const d of digits) {
      const ev = digitToEvent(d);
      if (ev === undefined) continue;
      this.dtmfTx.push({ event: ev, samples: Math.max(FRAME * 2, Math.round(durationMs * 8)), sent: 0, ts: 0, ends: 0 });
    }
  }

  /** RFC 4733 sender: one packet per tick, same timestamp, growing duration, end sent 3×. */
  private dtmfTick(): void {
    const e = this.dtmfTx[0];
    if (!e || !this.canSend() || this.tePt === undefined) { if (e && this.tePt === undefined) this.dtmfTx.shift(); return; }
    const first = e.sent === 0 && e.ends === 0;
    if (first) e.ts = this.ts;
    const end = e.sent + FRAME >= e.samples;
    if (!end) e.sent += FRAME; else { e.sent = e.samples; e.ends++; }
    const payload = telephoneEventPayload(e.event, end, 10, Math.min(0xffff, e.sent));
    this.seq = (this.seq + 1) & 0xffff;
    const out = Buffer.allocUnsafe(RTP_HEADER + 4);
    writeRtpHeader(out, this.tePt, first, this.seq, e.ts, this.ssrc);
    out.set(payload, RTP_HEADER);
    this.sendPacket(out, out.length);
    if (e.ends >= 3) { this.dtmfTx.shift(); this.ts = (e.ts + e.samples) >>> 0; }
  }

  tick(now: number): void {
    const e = this.end;
    if (e?.kind === "audiosocket") { const f = e.link.take(); if (f) this.hear(f); }
    else if (e?.kind === "snoop" && (e.inQ.length || e.outQ.length)) {
      const a = e.inQ.shift(), b = e.outQ.shift();
      this.hear(a && b ? addInto(a, b) : (a ?? b)!);
    }
    // Whisper to a phone nothing else is sending to.
    if (this.whisperOut.length && !this.source && !this.bridge && !this.mix && !this.end) this.sendPcm(SILENCE);
    if (this.dtmfTx.length) this.dtmfTick();
    const src = this.source;
    if (src) {
      if (src.next(this.pcm)) {
        if (this.end?.kind === "announcer") this.hear(this.pcm.slice()); // a bridge's prompt, heard by its members
        else this.sendPcm(this.pcm, this.silentTicks > 0 || this.packetsSent === 0);
      } else {
        this.source = undefined;
        if (src instanceof Player) emit({ t: "playDone", id: this.id, playId: src.playId, status: "SUCCESS" });
        else if (src instanceof Tones) emit({ t: "tonesDone", id: this.id });
      }
      this.silentTicks = 0;
    } else this.silentTicks++;
    if (this.recorders.length) {
      const bridged = !!(this.bridge || this.mix);
      for (const r of this.recorders) r.tick(bridged);
      for (const r of this.recorders) if (r.silenceExceeded) void stopRecording(this, r.recId, { trim: true, silence: true }).catch(() => undefined);
    }
    if (this.rtpTimeoutMs > 0 && this.remote && !this.timedOut && now - this.lastRxAt > this.rtpTimeoutMs) {
      this.timedOut = true;
      emit({ t: "timeout", id: this.id, seconds: this.rtpTimeoutMs / 1000 });
    }
    if (now - this.lastRtcp >= RTCP_INTERVAL_MS) { this.lastRtcp = now; this.sendRtcp(now); }
  }

  private sendRtcp(now: number): void {
    if (!this.remote || this.remote.port === 0) return;
    const blocks = this.rx.received ? [this.rx.reportBlock(now)] : [];
    const pkt = this.packetsSent
      ? buildSenderReport(this.ssrc, { ...ntpFromUnixMs(performance.timeOrigin + now), rtpTimestamp: this.ts, packets: this.packetsSent, octets: this.octetsSent }, blocks)
      : buildReceiverReport(this.ssrc, blocks);
    this.rtcp.send(pkt, this.remote.rtcpPort, this.remote.address);
  }

  private onRtcp(msg: Buffer): void {
    const pkts = parseRtcp(msg);
    if (!pkts) return;
    for (const p of pkts) {
      if (p.type === "sr") { this.rx.lastSr = ((p.sender.ntpSec & 0xffff) << 16 | p.sender.ntpFrac >>> 16) >>> 0; this.rx.lastSrAt = performance.now(); }
      if (p.type === "sr" || p.type === "rr") {
        const mine = p.reports.find((r) => r.ssrc === this.ssrc);
        if (mine) this.remoteReport = mine;
      }
    }
  }

  stats(): Record<string, unknown> {
    return {
      id: this.id, localPort: this.port, codec: this.sendCodec, packetsSent: this.packetsSent, octetsSent: this.octetsSent,
      packetsReceived: this.rx.total, lost: this.rx.lost, jitterMs: this.rx.jitter / 8, dropped: this.dropped,
      remoteReport: this.remoteReport ?? null, qos: readQos(this.rtp) ?? null,
    };
  }

  stopSource(): void {
    const s = this.source;
    this.source = undefined;
    if (s instanceof Player) emit({ t: "playDone", id: this.id, playId: s.playId, status: "SUCCESS", stopped: true });
    else if (s instanceof AudioSocketLink) s.finish("STOPPED");
  }

  async close(): Promise<void> {
    this.stopSource();
    this.audiosocket?.finish("STOPPED");
    if (this.end?.kind === "audiosocket") this.end.link.finish("STOPPED");
    if (this.end?.kind === "snoop") sessions.get(this.end.target)?.spies.delete(this.id);
    this.end = undefined;
    while (this.recorders.length) await stopRecording(this);
    for (const s of [this.rtp, this.rtcp]) { try { s.close(); } catch { /* already closed */ } }
    usedPorts.delete(this.port);
  }
}

function staticPt(c: Codec): number { return c === "ulaw" ? 0 : c === "alaw" ? 8 : 118; }

function pcmBytes(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
}
function bytesPcm(b: Uint8Array): Int16Array {
  const copy = new Uint8Array(b.byteLength); copy.set(b);
  return new Int16Array(copy.buffer, 0, copy.byteLength >> 1);
}

/**
 * Ends one recording of the session (`recId`, or the oldest): files closed before it resolves.
 * `trim` cuts its trailing silence (with silence detection on); `silence`: it ended itself so.
 */
async function stopRecording(s: Session, recId?: string, how: { trim?: boolean; silence?: boolean } = {}): Promise<{ recId: string; path: string; durationMs: number; error?: string }> {
  const i = recId === undefined ? 0 : s.recorders.findIndex((r) => r.recId === recId);
  const r = s.recorders[i];
  if (!r) throw new Error(recId === undefined ? "not recording" : `no recording ${recId}`);
  s.recorders.splice(i, 1);
  if (how.trim) r.trimSilence();
  const { bytes, error } = await r.close();
  const res = {
    recId: r.recId, path: r.path, durationMs: Math.round(bytes / 16),
    ...(r.maxSilenceMs > 0 ? { talkingMs: r.talkingMs } : {}), ...(how.silence ? { silence: true } : {}), ...(error ? { error } : {}),
  };
  emit({ t: "recordDone", id: s.id, ...res });
  return res;
}

// ---------- mixing (multi-party bridges) ----------

class Mix {
  readonly members = new Map<string, { worker: number; q: Int16Array[] }>();
  private readonly sum = new Int32Array(FRAME);
  constructor(readonly id: string) {}
  input(from: string, pcm: Int16Array): void {
    const m = this.members.get(from);
    if (!m) return;
    m.q.push(pcm.length === FRAME ? pcm : pcm.slice(0, FRAME));
    if (m.q.length > 5) m.q.shift(); // a fast sender must not build up delay
  }
  /** One 20 ms frame: mix every party's output, then send them; returns the mixing time (ms), sends excluded. */
  tick(): number {
    const t0 = performance.now();
    this.sum.fill(0);
    const frames = new Map<string, Int16Array | undefined>();
    for (const [id, m] of this.members) {
      const f = m.q.shift();
      frames.set(id, f);
      if (f) for (let i = 0; i < f.length; i++) this.sum[i] += f[i];
    }
    const outs: [string, Int16Array][] = [];
    for (const id of this.members.keys()) {
      const own = frames.get(id);
      const out = new Int16Array(FRAME);
      for (let i = 0; i < FRAME; i++) {
        const v = this.sum[i] - (own && i < own.length ? own[i] : 0); // everyone but yourself
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      outs.push([id, out]);
    }
    const mixing = performance.now() - t0;
    for (const [id, out] of outs) {
      const worker = this.members.get(id)!.worker;
      if (worker === init.index) sessions.get(id)?.sendPcm(out);
      else peerOut[worker]?.send({ t: "mixOut", to: id, pcm: pcmBytes(out) });
    }
    return mixing;
  }
}
const mixes = new Map<string, Mix>();
/** How long each conference frame took to mix (ms; sending excluded), for stats. */
const mixFrameMs: number[] = [];

function mixFrameStats(reset: boolean): { frames: number; p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...mixFrameMs].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
  if (reset) mixFrameMs.length = 0;
  return { frames: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? 0 };
}

// ---------- sockets ----------

function bindUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: "udp4", reuseAddr: false });
    const onErr = (e: Error) => { s.close(); reject(e); };
    s.once("error", onErr);
    s.bind(port, init.bindAddress, () => { s.off("error", onErr); resolve(s); });
  });
}

/** An even RTP port and the odd RTCP port above it, from this worker's share of the range. */
async function allocatePorts(): Promise<{ port: number; rtp: Socket; rtcp: Socket }> {
  const start = init.rtpStart + (init.rtpStart & 1);
  const slots = Math.floor((init.rtpEnd - start) / 2);
  const mine = Math.floor((slots - init.index - 1) / init.workers) + 1; // slots k with k % workers == index
  for (let tries = 0; tries < mine; tries++) {
    const k = init.index + init.workers * (portCursor++ % mine);
    const port = start + 2 * k;
    if (usedPorts.has(port) || port + 1 > init.rtpEnd) continue;
    let rtp: Socket | undefined;
    try {
      rtp = await bindUdp(port);
      const rtcp = await bindUdp(port + 1);
      usedPorts.add(port);
      return { port, rtp, rtcp };
    } catch { rtp?.close(); }
  }
  throw new Error(`no free RTP port in ${init.rtpStart}-${init.rtpEnd}`);
}

/**
 * Port pairs bound ahead of need, each announced to the main thread (a `spare` event): a
 * `create` naming one takes it, so a call's session is made without the main thread
 * waiting for this one (the round trip sat on every dialled leg's set-up). Kept topped up;
 * when the range runs out, creates bind on demand as before.
 */
const SPARE_PAIRS = 8;
const spare = new Map<number, { rtp: Socket; rtcp: Socket }>();
let refilling = false;
async function refill(): Promise<void> {
  if (refilling) return;
  refilling = true;
  try {
    while (spare.size < SPARE_PAIRS) {
      const { port, rtp, rtcp } = await allocatePorts();
      spare.set(port, { rtp, rtcp });
      emit({ t: "spare", port });
    }
  } catch { /* no free port left: creates bind on demand and report it */ } finally { refilling = false; }
}

function takeSpare(port: number): { port: number; rtp: Socket; rtcp: Socket } {
  const pair = spare.get(port);
  if (!pair) throw new Error(`port ${port} is not a spare of media worker ${init.index}`);
  spare.delete(port);
  void refill();
  return { port, ...pair };
}

let qosWarned = false;
/** tos_audio/cos_audio where the OS allows it; when it does not, the call goes on unmarked and this worker says why once. */
function markQos(rtp: Socket, rtcp: Socket, tos: number, cos: number): void {
  const why = applyQos(rtp, tos, cos) ?? applyQos(rtcp, tos, cos);
  if (why && !qosWarned) { qosWarned = true; warn(`tos_audio/cos_audio not applied: ${why}`); }
}

// ---------- commands ----------

function need(id: string): Session {
  const s = sessions.get(id);
  if (!s) throw new Error(`no media session ${id}`);
  return s;
}

async function handle(c: Command): Promise<unknown> {
  switch (c.t) {
    case "create": {
      if (!c.codecs.length || !c.codecs.every(isCodec)) throw new Error(`unsupported codec in [${c.codecs.join(",")}]`);
      const { port, rtp, rtcp } = c.port !== undefined ? takeSpare(c.port) : await allocatePorts();
      if (c.tos || c.cos) markQos(rtp, rtcp, c.tos ?? 0, c.cos ?? 0);
      const s = new Session(c.id, c.codecs, rtp, rtcp, port, Math.max(0, (c.rtpTimeout ?? 0) * 1000), !!c.symmetric);
      sessions.set(c.id, s);
      s.clockSlot = nextSlot++ % SLOTS;
      slotSessions[s.clockSlot].set(s.id, s);
      wake();
      return { port, address: init.bindAddress };
    }
    case "remote": need(c.id).setRemote(c.remote); return undefined;
    case "play": {
      const s = need(c.id);
      const seq = ++s.sourceSeq;
      let names = c.files.flatMap((f) => f.split("&")).map((f) => f.trim()).filter(Boolean);
      if (c.dir !== undefined) {
        const dir = c.dir;
        names = (await readdir(dir)).filter((f) => /\.(wav|sln|ulaw|alaw)$/i.test(f)).sort().map((f) => join(dir, f));
        if (!names.length) throw new Error(`no sound files in ${dir}`);
      }
      let clips: Int16Array[];
      try {
        clips = await Promise.all(names.map((n) => loadSound(n, c.language ?? "en")));
      } catch (e) {
        const error = (e as Error).message;
        warn(`playback on ${c.id}: ${error}`);
        emit({ t: "playDone", id: c.id, playId: c.playId, status: "FAILED", error });
        return undefined;
      }
      if (!sessions.has(c.id)) return undefined;
      if (s.sourceSeq !== seq) { emit({ t: "playDone", id: c.id, playId: c.playId, status: "SUCCESS", stopped: true }); return undefined; }
      s.stopSource();
      s.source = new Player(c.playId, clips, c.stopOnDtmf ?? "", !!c.loop);
      return undefined;
    }
    case "stopPlay": { const s = need(c.id); s.sourceSeq++; if (s.source instanceof Player) s.stopSource(); return undefined; }
    case "tones": {
      const s = need(c.id);
      s.sourceSeq++;
      const gen = new ToneGenerator(parseToneList(c.list));
      s.stopSource();
      s.source = new Tones(gen);
      return undefined;
    }
    case "stopTones": { const s = need(c.id); if (s.source instanceof Tones) s.source = undefined; return undefined; }
    case "bridge": { const s = need(c.id); s.bridge = { peer: c.peer, worker: c.peerWorker }; return undefined; }
    case "mixJoin": { const s = need(c.id); s.bridge = undefined; s.mix = { mix: c.mix, host: c.host }; return undefined; }
    case "mixAdd": {
      let m = mixes.get(c.mix);
      if (!m) { m = new Mix(c.mix); mixes.set(c.mix, m); wake(); }
      m.members.set(c.id, { worker: c.worker, q: [] });
      return undefined;
    }
    case "mixRemove": {
      const m = mixes.get(c.mix);
      m?.members.delete(c.id);
      if (m && !m.members.size) { mixes.delete(c.mix); sleepIfIdle(); }
      return undefined;
    }
    case "unbridge": { const s = sessions.get(c.id); if (s) { s.bridge = undefined; s.mix = undefined; } return undefined; }
    case "record": {
      const s = need(c.id);
      if (!c.path && !c.rxPath && !c.txPath) throw new Error("no file to record to");
      const recId = c.recId ?? `${c.id}-rec`;
      if (s.recorders.some((r) => r.recId === recId)) throw new Error(`${c.id} is already recording as ${recId}`);
      const w = (path: string | undefined) => (path ? new WavWriter(path, !!c.append) : undefined);
      s.recorders.push(new Recorder(recId, w(c.path), w(c.rxPath), w(c.txPath), !!c.bridgedOnly, c.maxSilenceMs ?? 0));
      return undefined;
    }
    case "stopRecord": return stopRecording(need(c.id), c.recId, { trim: !!c.trim });
    case "controlRecord": {
      const r = need(c.id).recorders.find((x) => x.recId === c.recId);
      if (!r) throw new Error(`no recording ${c.recId}`);
      if (c.paused !== undefined) r.paused = c.paused;
      if (c.muted !== undefined) r.muted = c.muted;
      return undefined;
    }
    case "echo": {
      const s = need(c.id);
      if (c.on) { s.sourceSeq++; if (s.source) s.stopSource(); }
      s.echo = c.on;
      return undefined;
    }
    case "sendDtmf": need(c.id).queueDtmf(c.digits, c.durationMs); return undefined;
    case "tap": need(c.id).tap = c.on; return undefined;
    case "audiosocket": {
      const s = need(c.id);
      s.sourceSeq++;
      s.stopSource();
      const link = new AudioSocketLink(s, c.uuid, c.host, c.port);
      s.audiosocket = link;
      s.source = link;
      return undefined;
    }
    case "stopAudiosocket": { const s = need(c.id); s.audiosocket?.finish("STOPPED"); if (s.end?.kind === "audiosocket") s.end.link.finish("STOPPED"); return undefined; }
    case "virtualEnd": {
      const s = need(c.id);
      if (s.end) throw new Error(`${c.id} already has a far end`);
      s.end = c.end.kind === "announcer" ? { kind: "announcer" } : { kind: "audiosocket", link: new AudioSocketLink(s, c.end.uuid, c.end.host, c.end.port) };
      return undefined;
    }
    case "snoop": {
      const target = need(c.id), s = need(c.snoop);
      if (s.end) throw new Error(`${c.snoop} already has a far end`);
      const has = (d: string, v: string) => v === d || v === "both";
      s.end = { kind: "snoop", target: c.id, spyIn: has("in", c.spy), spyOut: has("out", c.spy), whisperIn: has("in", c.whisper), whisperOut: has("out", c.whisper), inQ: [], outQ: [] };
      target.spies.add(c.snoop);
      return undefined;
    }
    case "mute": { const s = need(c.id); s.muteRx = c.rx; s.muteTx = c.tx; return undefined; }
    case "stats": {
      if (c.id) return need(c.id).stats();
      const clock = mediaClock.stats(!!c.reset);
      const mix = mixFrameStats(!!c.reset);
      let sent = 0, received = 0, dropped = 0, lost = 0;
      for (const s of sessions.values()) { sent += s.packetsSent; received += s.rx.total; dropped += s.dropped; lost += Math.max(0, s.rx.lost); }
      return { worker: init.index, sessions: sessions.size, clock, mix, sent, received, dropped, lost, ringFullEvents, cpu: process.cpuUsage() };
    }
    case "destroy": {
      const s = sessions.get(c.id);
      if (!s) return undefined;
      sessions.delete(c.id);
      slotSessions[s.clockSlot].delete(c.id);
      sleepIfIdle();
      await s.close();
      return undefined;
    }
  }
}

function onCommand(c: Command): void {
  handle(c).then(
    (value) => emit({ t: "reply", req: c.req, ok: true, ...(value === undefined ? {} : { value }) }),
    (e: unknown) => emit({ t: "reply", req: c.req, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
}

function onPeer(f: PeerFrame): void {
  if (f.t === "pkt") sessions.get(f.to)?.relay(f.c, Buffer.from(f.p));
  else if (f.t === "mixIn") mixes.get(f.mix)?.input(f.from, bytesPcm(f.pcm));
  else if (f.t === "mixOut") sessions.get(f.to)?.sendPcm(bytesPcm(f.pcm));
}

// Every session still gets a 20 ms frame clock, but sessions are spread over ten 2 ms
// slots so a worker never sends all its packets in one burst (bursts are jitter).
// Each slot holds its own sessions: a tick walks a tenth of them, not all.
const SLOTS = 10;
let slot = 0;
const slotSessions = Array.from({ length: SLOTS }, () => new Map<string, Session>());
let nextSlot = 0;
const mediaClock = new MediaClock(20 / SLOTS, (now) => {
  for (const s of slotSessions[slot].values()) s.tick(now);
  if (slot === 0) {
    for (const m of mixes.values()) {
      mixFrameMs.push(m.tick());
      if (mixFrameMs.length > 100_000) mixFrameMs.splice(0, 50_000);
    }
  }
  slot = (slot + 1) % SLOTS;
});
// The clock runs only while the worker has sessions or conferences: an idle PBX costs nothing.
// Rings are waited on with Atomics.waitAsync, which keeps no thread alive: this does.
setInterval(() => undefined, 2 ** 30);
let ticking = false;
function wake(): void {
  if (ticking) return;
  ticking = true;
  mediaClock.begin((20 * init.index) / init.workers / SLOTS);
}
function sleepIfIdle(): void {
  if (!ticking || sessions.size || mixes.size) return;
  ticking = false;
  mediaClock.stop();
}

void cmdRing.consume(onCommand);
for (const r of peerIn) if (r) void r.consume(onPeer);
emit({ t: "ready", worker: init.index });
void refill();
