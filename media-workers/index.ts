/**
 * MediaService: the main thread's handle on the media worker pool. Sessions are
 * placed on the least-loaded worker and stay there; every command crosses a
 * SharedArrayBuffer ring and every reply or event comes back the same way. Events
 * are plain objects so that the caller can log them as actor inputs; nothing here
 * reads the wall clock or randomness to decide anything.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { MessageRing } from "./ring.js";
import { isCodec, type Codec } from "./g711.js";
import type { Command, CommandBody, MediaEvent, PeerFrame, RemoteInfo, WorkerInit } from "./protocol.js";

export type { RemoteInfo } from "./protocol.js";
export { parseToneList, ringCadenceToneList, toneList, ToneError, US_TONES } from "./tones.js";

export interface MediaServiceOptions {
  /** Worker threads; default one per core. */
  workers?: number;
  /** rtp.conf rtpstart/rtpend. */
  rtpStart?: number;
  rtpEnd?: number;
  bindAddress?: string;
  /**
   * rtp.conf `strictrtp` (default yes) and `probation` (default 4): after its remote address is
   * set a session learns for 5 s; a source other than that address is taken only after
   * `probation` packets in sequence, and once learning ends nobody else is.
   */
  strictRtp?: boolean;
  probation?: number;
  /** Root of the sound files; the language folder ("en") is looked for under it. */
  soundsDir?: string;
  /**
   * Bytes per command/event ring (default 1 MiB) and per worker-to-worker ring (default 2 MiB).
   * A ring's pages stay resident once its writes have gone round it once: 1 MiB holds some
   * 10,000 commands or events, 2 MiB some 10,000 RTP packets, far more than a thread falls
   * behind in a GC pause; a full ring refuses and counts, it never overwrites.
   */
  ringBytes?: number;
  peerRingBytes?: number;
}

export interface PlayResult { status: "SUCCESS" | "FAILED"; interruptedBy?: string; stopped?: boolean; error?: string }
export interface DtmfEvent { type: "dtmf"; session: string; digit: string; durationMs: number }
export interface TimeoutEvent { type: "rtpTimeout"; session: string; seconds: number }
/** Every event a session can produce, as the caller sees it. */
export type SessionEvent =
  | DtmfEvent
  | TimeoutEvent
  | { type: "playbackFinished"; session: string; status: "SUCCESS" | "FAILED"; interruptedBy?: string; stopped?: boolean; error?: string }
  | { type: "tonesFinished"; session: string }
  | { type: "recordingFinished"; session: string; recId: string; path: string; durationMs: number; talkingMs?: number; silence?: boolean; error?: string }
  | { type: "audioSocketFinished"; session: string; status: "HANGUP" | "ERROR" | "STOPPED"; connected: boolean; error?: string }
  | { type: "audioSocketDtmf"; session: string; digit: string };

export class MediaError extends Error { override readonly name = "MediaError"; }

/** How an AudioSocket session ended: the service hung up, something failed, or we stopped it. */
export interface AudioSocketResult {
  status: "HANGUP" | "ERROR" | "STOPPED";
  /** Whether the TCP connection was ever made (an ERROR without it is a failure to connect). */
  connected: boolean;
  error?: string;
}

export interface RecordOptions {
  /** One file per direction: what the phone sends us (rx) and what we send it (tx). */
  rxPath?: string;
  txPath?: string;
  /** Add to the files' samples instead of replacing them. */
  append?: boolean;
  /** Record only while the session is in a bridge or mix (MixMonitor b). */
  bridgedOnly?: boolean;
  /** Names the recording among several on one session (default: one per session). */
  recId?: string;
  /** Ends the recording after more than this much silence (its trailing silence cut to 200 ms). */
  maxSilenceMs?: number;
}

/** How a recording ended: its length, with silence detection the audio above the threshold, and whether silence ended it. */
export interface RecordingResult {
  readonly path: string;
  readonly durationMs: number;
  readonly talkingMs?: number;
  readonly silence?: boolean;
  readonly error?: string;
}

interface SessionEntry {
  worker: number;
  dtmf: ((e: DtmfEvent) => void)[];
  timeout: ((e: TimeoutEvent) => void)[];
  play?: { playId: number; resolve: (r: PlayResult) => void };
  audiosocket?: (r: AudioSocketResult) => void;
  /** EAGI: where the phone's decoded audio goes while tapped. */
  tap?: (pcm: Uint8Array) => void;
  asConnected?: () => void;
  bridgedWith?: string;
  mix?: string;
}

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

export class MediaService {
  private readonly cmd: MessageRing<Command>[];
  private readonly evt: MessageRing<MediaEvent>[];
  private readonly pending = new Map<number, Pending>();
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly load: number[];
  /** Each worker's spare port pairs, oldest first (its `spare` events): a new session takes one without a round trip. */
  private readonly spares: number[][];
  private readonly mixHosts = new Map<string, { worker: number; members: Set<string> }>();
  private readonly listeners: ((e: SessionEvent) => void)[] = [];
  private nextReq = 1;
  private nextSession = 1;
  private nextPlay = 1;
  private stopped = false;
  readonly workerCount: number;
  /** Warnings from workers (missing files, socket errors); replace to route them to a logger. */
  onWarning: (msg: string) => void = () => undefined;

  private constructor(private readonly workers: Worker[], cmd: MessageRing<Command>[], evt: MessageRing<MediaEvent>[], private readonly bindAddress: string) {
    this.cmd = cmd; this.evt = evt; this.workerCount = workers.length;
    this.load = workers.map(() => 0);
    this.spares = workers.map(() => []);
  }

  static async start(options: MediaServiceOptions = {}): Promise<MediaService> {
    const n = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
    const rtpStart = options.rtpStart ?? 10000, rtpEnd = options.rtpEnd ?? 20000;
    if (!(rtpStart > 0 && rtpEnd <= 65535 && rtpEnd - rtpStart >= 2 * n + 1)) throw new MediaError(`bad RTP port range ${rtpStart}-${rtpEnd}`);
    const ringBytes = options.ringBytes ?? 1 << 20, peerBytes = options.peerRingBytes ?? 2 << 20;
    const cmd = Array.from({ length: n }, () => new MessageRing<Command>(ringBytes));
    const evt = Array.from({ length: n }, () => new MessageRing<MediaEvent>(ringBytes));
    // peer[i][j]: frames from worker i to worker j.
    const peer = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? null : new MessageRing<PeerFrame>(peerBytes))));
    const entry = fileURLToPath(new URL("./worker.js", import.meta.url));
    const bindAddress = options.bindAddress ?? "127.0.0.1";
    const workers = cmd.map((c, i) => {
      const init: WorkerInit = {
        index: i, cmd: c.sab, evt: evt[i].sab, workers: n, rtpStart, rtpEnd,
        peerIn: peer.map((row) => row[i]?.sab ?? null),
        peerOut: peer[i].map((r) => r?.sab ?? null),
        bindAddress,
        strictRtp: options.strictRtp ?? true, probation: Math.max(1, options.probation ?? 4),
        soundsDir: options.soundsDir ?? "/usr/share/asterisk/sounds",
      };
      // The SABs travel once, in workerData; after that only the rings carry messages.
      return new Worker(entry, { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 6 } });
    });
    const svc = new MediaService(workers, cmd, evt, bindAddress);
    const ready = evt.map((ring, i) => new Promise<void>((resolve, reject) => {
      workers[i].once("error", reject);
      void ring.consume((e) => {
        if (e.t === "ready") resolve();
        else if (e.t === "spare") svc.spares[i].push(e.port);
        else svc.handleEvent(e);
      });
    }));
    for (const w of workers) w.on("error", (e) => svc.onWarning(`media worker failed: ${e.message}`));
    await Promise.all(ready);
    return svc;
  }

  private call(worker: number, c: CommandBody): Promise<unknown> {
    if (this.stopped) return Promise.reject(new MediaError("media service stopped"));
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      if (!this.cmd[worker].send({ req, ...c } as Command)) return reject(new MediaError("media command ring full"));
      this.pending.set(req, { resolve, reject });
    });
  }

  /** Port pairs the workers hold bound for the next sessions. */
  get sparePairs(): number {
    let n = 0;
    for (const ports of this.spares) n += ports.length;
    return n;
  }

  private entry(id: string): SessionEntry {
    const e = this.sessions.get(id);
    if (!e) throw new MediaError(`no media session ${id}`);
    return e;
  }

  private emitAll(e: SessionEvent): void { for (const l of this.listeners) l(e); }

  private handleEvent(e: MediaEvent): void {
    switch (e.t) {
      case "reply": {
        const p = this.pending.get(e.req);
        if (!p) return;
        this.pending.delete(e.req);
        if (e.ok) p.resolve(e.value); else p.reject(new MediaError(e.error));
        return;
      }
      case "dtmf": {
        const ev: DtmfEvent = { type: "dtmf", session: e.id, digit: e.digit, durationMs: e.durationMs };
        for (const h of this.sessions.get(e.id)?.dtmf ?? []) h(ev);
        this.emitAll(ev);
        return;
      }
      case "timeout": {
        const ev: TimeoutEvent = { type: "rtpTimeout", session: e.id, seconds: e.seconds };
        for (const h of this.sessions.get(e.id)?.timeout ?? []) h(ev);
        this.emitAll(ev);
        return;
      }
      case "playDone": {
        const s = this.sessions.get(e.id);
        const r: PlayResult = { status: e.status };
        if (e.interruptedBy) r.interruptedBy = e.interruptedBy;
        if (e.stopped) r.stopped = true;
        if (e.error) r.error = e.error;
        if (s?.play && s.play.playId === e.playId) { const p = s.play; s.play = undefined; p.resolve(r); }
        this.emitAll({ type: "playbackFinished", session: e.id, ...r });
        return;
      }
      case "tonesDone": this.emitAll({ type: "tonesFinished", session: e.id }); return;
      case "recordDone": {
        const { t: _t, id, ...result } = e;
        this.emitAll({ type: "recordingFinished", session: id, ...result });
        return;
      }
      case "asDone": {
        const s = this.sessions.get(e.id);
        const r: AudioSocketResult = { status: e.status, connected: e.connected, ...(e.error ? { error: e.error } : {}) };
        if (s?.audiosocket) { const f = s.audiosocket; s.audiosocket = undefined; f(r); }
        this.emitAll({ type: "audioSocketFinished", session: e.id, ...r });
        return;
      }
      case "asDtmf": this.emitAll({ type: "audioSocketDtmf", session: e.id, digit: e.digit }); return;
      case "tap": this.sessions.get(e.id)?.tap?.(e.pcm); return;
      case "asConnected": { const s = this.sessions.get(e.id); const f = s?.asConnected; if (s) s.asConnected = undefined; f?.(); return; }
      case "log": this.onWarning(e.msg); return;
      case "ready": return;
    }
  }

  /** Every session event, for callers that log them all as actor inputs. */
  onEvent(listener: (e: SessionEvent) => void): () => void {
    this.listeners.push(listener);
    return () => { const i = this.listeners.indexOf(listener); if (i >= 0) this.listeners.splice(i, 1); };
  }

  /**
   * A session with a local RTP port; codecs are the endpoint's allow= order (ulaw, alaw, slin).
   * `near`: a session this one will likely be bridged to (the caller of a dialled leg). The new
   * session goes on its worker, so the bridge relays packets in one thread instead of through a
   * ring between two; otherwise on the least-loaded worker. `tos`/`cos`: the endpoint's tos_audio
   * (the TOS byte) and cos_audio, marked on the session's RTP and RTCP sockets. `opening`
   * hears the new session's id at once, before the worker has made it: another session may
   * name it as its `near` meanwhile.
   */
  async createSession(opts: { codecs: string[]; rtpTimeout?: number; symmetric?: boolean; near?: string; tos?: number; cos?: number; opening?: (id: string) => void }): Promise<{ id: string; localPort: number; localAddress: string }> {
    const codecs = opts.codecs.filter((c) => c !== "telephone-event" && c !== "dtmf");
    const bad = codecs.filter((c) => !isCodec(c));
    if (!codecs.length || bad.length) throw new MediaError(`unsupported codec(s): ${bad.join(",") || "(none given)"}`);
    const partner = opts.near === undefined ? undefined : this.sessions.get(opts.near);
    let worker = partner?.worker ?? 0;
    if (!partner) for (let i = 1; i < this.load.length; i++) if (this.load[i] < this.load[worker]) worker = i;
    const id = `media-${this.nextSession++}`;
    this.load[worker]++;
    const port = this.spares[worker].shift();
    const pending = this.call(worker, { t: "create", id, codecs: codecs as Codec[], rtpTimeout: opts.rtpTimeout, symmetric: opts.symmetric, tos: opts.tos, cos: opts.cos, ...(port !== undefined ? { port } : {}) });
    this.sessions.set(id, { worker, dtmf: [], timeout: [] });
    opts.opening?.(id);
    if (port !== undefined) {
      // A spare pair is bound already: the session is there for every command queued after this one.
      pending.catch((e: Error) => this.onWarning(`media session ${id} on spare port ${port}: ${e.message}`));
      return { id, localPort: port, localAddress: this.bindAddress };
    }
    try {
      const r = (await pending) as { port: number; address: string };
      return { id, localPort: r.port, localAddress: r.address };
    } catch (e) {
      this.sessions.delete(id);
      this.load[worker]--;
      throw e;
    }
  }

  /** Where to send, in which codec: a RemoteMedia from sip/sdp fits. */
  async setRemote(id: string, remote: RemoteInfo): Promise<void> {
    const e = this.entry(id);
    await this.call(e.worker, { t: "remote", id, remote: {
      address: remote.address, port: remote.port, rtcpPort: remote.rtcpPort, codec: remote.codec, payloadType: remote.payloadType,
      payloadTypes: remote.payloadTypes, telephoneEvent: remote.telephoneEvent, direction: remote.direction,
    } });
  }

  /**
   * Play prompts in order (`&`-joined names allowed). Resolves when they end, when a digit
   * of `stopOnDtmf` interrupts (Background), or when stopped; FAILED when a file is missing
   * or unreadable (nothing is played then).
   */
  async play(id: string, files: string[], opts: { stopOnDtmf?: string; language?: string } = {}): Promise<PlayResult> {
    return this.startPlayer(id, { files, stopOnDtmf: opts.stopOnDtmf, language: opts.language });
  }

  /** Music on hold, files mode: the directory's sound files in name order, looped until stopped. */
  async startMoh(id: string, directory: string): Promise<PlayResult> {
    return this.startPlayer(id, { files: [], dir: directory, loop: true });
  }

  private async startPlayer(id: string, p: { files: string[]; stopOnDtmf?: string; language?: string; dir?: string; loop?: boolean }): Promise<PlayResult> {
    const e = this.entry(id);
    const playId = this.nextPlay++;
    const done = new Promise<PlayResult>((resolve) => {
      const prev = e.play;
      e.play = { playId, resolve };
      // A new prompt replaces the old one; the old caller learns it was stopped.
      prev?.resolve({ status: "SUCCESS", stopped: true });
    });
    try {
      await this.call(e.worker, { t: "play", id, playId, files: p.files, stopOnDtmf: p.stopOnDtmf, language: p.language, dir: p.dir, loop: p.loop });
    } catch (err) {
      if (e.play?.playId === playId) e.play = undefined;
      return { status: "FAILED", error: (err as Error).message };
    }
    return done;
  }

  async stopPlayback(id: string): Promise<void> { await this.call(this.entry(id).worker, { t: "stopPlay", id }); }
  async stopMoh(id: string): Promise<void> { return this.stopPlayback(id); }

  /** indications.conf tone list ("480+620/500,0/500"); plays until stopTones or its "!" elements end. */
  async tones(id: string, toneList: string): Promise<void> { await this.call(this.entry(id).worker, { t: "tones", id, list: toneList }); }
  async stopTones(id: string): Promise<void> { await this.call(this.entry(id).worker, { t: "stopTones", id }); }

  /** Two-party bridge: each leg's packets go out of the other (transcoded only when codecs differ). */
  async bridge(idA: string, idB: string): Promise<void> {
    const a = this.entry(idA), b = this.entry(idB);
    if (idA === idB) throw new MediaError("cannot bridge a session with itself");
    await Promise.all([this.unbridge(idA), this.unbridge(idB)]);
    a.bridgedWith = idB; b.bridgedWith = idA;
    await Promise.all([
      this.call(a.worker, { t: "bridge", id: idA, peer: idB, peerWorker: b.worker }),
      this.call(b.worker, { t: "bridge", id: idB, peer: idA, peerWorker: a.worker }),
    ]);
  }

  /** Multi-party bridge: everyone hears the sum of the others, mixed in linear PCM on one worker. */
  async joinMix(mixId: string, id: string): Promise<void> {
    const e = this.entry(id);
    await this.unbridge(id);
    let host = this.mixHosts.get(mixId);
    if (!host) { host = { worker: e.worker, members: new Set() }; this.mixHosts.set(mixId, host); }
    host.members.add(id);
    e.mix = mixId;
    await this.call(host.worker, { t: "mixAdd", mix: mixId, id, worker: e.worker });
    await this.call(e.worker, { t: "mixJoin", id, mix: mixId, host: host.worker });
  }

  /** Leave whatever bridge or mix the session is in. */
  async unbridge(id: string): Promise<void> { await this.leave(id, true); }

  /**
   * Take the session out of its bridge or mix: its partner's or host's worker lets go of it,
   * and its own worker too when `own` (a session destroyed next is let go of with it).
   */
  private async leave(id: string, own: boolean): Promise<void> {
    const e = this.entry(id);
    if (!e.bridgedWith && !e.mix) return; // in neither: nothing for its worker to undo (only bridge and joinMix join one)
    const jobs: Promise<unknown>[] = own ? [this.call(e.worker, { t: "unbridge", id })] : [];
    if (e.bridgedWith) {
      const other = this.sessions.get(e.bridgedWith);
      if (other && other.bridgedWith === id) { other.bridgedWith = undefined; jobs.push(this.call(other.worker, { t: "unbridge", id: e.bridgedWith })); }
      e.bridgedWith = undefined;
    }
    if (e.mix) {
      const host = this.mixHosts.get(e.mix);
      if (host) {
        host.members.delete(id);
        jobs.push(this.call(host.worker, { t: "mixRemove", mix: e.mix, id }));
        if (!host.members.size) this.mixHosts.delete(e.mix);
      }
      e.mix = undefined;
    }
    await Promise.all(jobs);
  }

  /**
   * MixMonitor: both directions mixed into `path` ("" for none); `rxPath`/`txPath` add one
   * file per direction. A `.wav` path is a WAV file, any other headerless 16-bit slin.
   * Several recordings may run on one session, told apart by `recId`.
   */
  async record(id: string, path: string, opts: RecordOptions = {}): Promise<void> {
    await this.call(this.entry(id).worker, {
      t: "record", id, path: path || undefined, rxPath: opts.rxPath, txPath: opts.txPath, recId: opts.recId,
      append: opts.append, bridgedOnly: opts.bridgedOnly, maxSilenceMs: opts.maxSilenceMs,
    });
  }
  /** Ends a recording (`recId`, or the session's oldest); resolves once its files are closed. `trim`: cut its trailing silence. */
  async stopRecord(id: string, recId?: string, trim = false): Promise<RecordingResult & { recId: string }> {
    return (await this.call(this.entry(id).worker, { t: "stopRecord", id, recId, ...(trim ? { trim } : {}) })) as RecordingResult & { recId: string };
  }

  /** Pauses/resumes or mutes/unmutes a running recording (what is not given stays). */
  async controlRecord(id: string, recId: string, change: { paused?: boolean; muted?: boolean }): Promise<void> {
    await this.call(this.entry(id).worker, { t: "controlRecord", id, recId, ...change });
  }

  /** Echo(): the phone's audio and DTMF go straight back to it (on), or no longer (off). */
  async echo(id: string, on: boolean): Promise<void> { await this.call(this.entry(id).worker, { t: "echo", id, on }); }

  /**
   * EAGI: every frame the phone sends, decoded to signed linear 8 kHz (16-bit LE), to
   * `onAudio` (one 20 ms frame, 320 bytes, per call) until `untap`.
   */
  async tap(id: string, onAudio: (pcm: Uint8Array) => void): Promise<void> {
    const e = this.entry(id);
    e.tap = onAudio;
    await this.call(e.worker, { t: "tap", id, on: true });
  }

  async untap(id: string): Promise<void> {
    const e = this.sessions.get(id);
    if (!e?.tap) return;
    e.tap = undefined;
    await this.call(e.worker, { t: "tap", id, on: false });
  }

  /** Send DTMF as RFC 4733 events (when negotiated). */
  async sendDtmf(id: string, digits: string, durationMs = 100): Promise<void> {
    await this.call(this.entry(id).worker, { t: "sendDtmf", id, digits, durationMs });
  }

  /** AudioSocket(uuid, host:port): stream the caller to a TCP service and play what it returns. */
  async audioSocket(id: string, uuid: string, hostPort: string): Promise<AudioSocketResult> {
    const e = this.entry(id);
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort);
    if (!m) throw new MediaError(`bad AudioSocket address "${hostPort}"`);
    const done = new Promise<AudioSocketResult>((resolve) => { e.audiosocket = resolve; });
    try {
      await this.call(e.worker, { t: "audiosocket", id, uuid, host: m[1], port: Number(m[2]) });
    } catch (err) {
      e.audiosocket = undefined;
      return { status: "ERROR", connected: false, error: (err as Error).message };
    }
    return done;
  }
  async stopAudioSocket(id: string): Promise<void> { await this.call(this.entry(id).worker, { t: "stopAudiosocket", id }); }

  /**
   * A session with no phone (created with createSession and never given a remote) whose far
   * end is a bridge announcer: what it plays is heard by whatever it is bridged or mixed with.
   */
  async announcer(id: string): Promise<void> { await this.call(this.entry(id).worker, { t: "virtualEnd", id, end: { kind: "announcer" } }); }

  /**
   * A session with no phone whose far end is an AudioSocket service (ARI externalMedia): the
   * service's audio is heard, what reaches the session is sent to it. `connected` settles
   * once the connection is made (its UUID frame sent) or has failed (then with the
   * failure); `done` when the connection ends (HANGUP from the service, ERROR, STOPPED by
   * stopAudioSocket or destroy).
   */
  externalAudioSocket(id: string, uuid: string, hostPort: string): { connected: Promise<AudioSocketResult | undefined>; done: Promise<AudioSocketResult> } {
    const e = this.entry(id);
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort);
    if (!m) throw new MediaError(`bad AudioSocket address "${hostPort}"`);
    let up: (r: AudioSocketResult | undefined) => void = () => undefined;
    const connected = new Promise<AudioSocketResult | undefined>((resolve) => { up = resolve; });
    e.asConnected = () => up(undefined);
    const done = new Promise<AudioSocketResult>((resolve) => { e.audiosocket = (r) => { up(r); resolve(r); }; });
    this.call(e.worker, { t: "virtualEnd", id, end: { kind: "audiosocket", uuid, host: m[1], port: Number(m[2]) } }).catch((err: Error) => {
      e.audiosocket?.({ status: "ERROR", connected: false, error: err.message });
      e.audiosocket = undefined;
    });
    return { connected, done };
  }

  /**
   * `snoopId` (a session made with `near: id`, so on the same worker) hears `id`'s audio: `in`
   * what its phone sends, `out` what it is sent, `both` the two mixed. With whisper, what
   * reaches `snoopId` is added to what `id`'s phone is sent (out) or sends (in).
   */
  async snoop(id: string, snoopId: string, spy: "none" | "in" | "out" | "both", whisper: "none" | "in" | "out" | "both"): Promise<void> {
    const e = this.entry(id), s = this.entry(snoopId);
    if (e.worker !== s.worker) throw new MediaError(`snoop session ${snoopId} is not on ${id}'s worker`);
    await this.call(e.worker, { t: "snoop", id, snoop: snoopId, spy, whisper });
  }

  /** Silence what the phone sends (rx: nobody hears it) and/or what it is sent (tx). */
  async mute(id: string, rx: boolean, tx: boolean): Promise<void> { await this.call(this.entry(id).worker, { t: "mute", id, rx, tx }); }

  onDtmf(id: string, handler: (e: DtmfEvent) => void): void { this.entry(id).dtmf.push(handler); }
  onTimeout(id: string, handler: (e: TimeoutEvent) => void): void { this.entry(id).timeout.push(handler); }

  /** Per-session RTP statistics, or per-worker totals (clock lateness, packets, CPU) without an id. */
  async stats(id?: string, reset = false): Promise<unknown> {
    if (id) return this.call(this.entry(id).worker, { t: "stats", id });
    return Promise.all(this.workers.map((_, i) => this.call(i, { t: "stats", reset })));
  }

  /** Which worker a session lives on (tests and benches). */
  workerOf(id: string): number { return this.entry(id).worker; }

  async destroySession(id: string): Promise<void> {
    const e = this.sessions.get(id);
    if (!e) return;
    await this.leave(id, false).catch(() => undefined);
    this.sessions.delete(id);
    this.load[e.worker]--;
    e.play?.resolve({ status: "SUCCESS", stopped: true });
    await this.call(e.worker, { t: "destroy", id });
    e.audiosocket?.({ status: "STOPPED", connected: false });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    for (const id of [...this.sessions.keys()]) await this.destroySession(id).catch(() => undefined);
    this.stopped = true;
    for (const p of this.pending.values()) p.reject(new MediaError("media service stopped"));
    this.pending.clear();
    for (const r of this.evt) r.close();
    for (const r of this.cmd) r.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
