/**
 * Call legs' media through the media workers: an RTP session per anchored leg, the
 * offer/answer of its media description (by a `MediaDescriptions` codec the caller
 * gives: SDP from sip/sdp), and the operations the dialplan needs (play, tones, music
 * on hold, bridging two legs, recording, echo, AudioSocket). DTMF received as RFC 4733
 * is handed to the leg.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { MediaService, US_TONES, type AudioSocketResult, type PlayResult, type RecordOptions, type RecordingResult, type RemoteInfo } from "../media-workers/index.js";
import { parseConfFile, resolveTemplates } from "../conf/tokenizer.js";

/** Where one of our media sessions receives, as a media description announces it. */
/** The ringback tone (indications.conf `ring`) a channel hears in band when ringing cannot be signalled. */
export const RINGBACK_TONE = US_TONES.ring;

export interface LocalSession {
  readonly codecs: readonly string[];
  readonly address: string;
  readonly port: number;
  readonly sessionId: number;
  /** How our descriptions name their origin (SDP: the endpoint's sdp_owner and sdp_session). */
  readonly origin?: DescriptionOrigin;
}

/** The name in a media description's origin and its session name (SDP's o= user and s=). */
export interface DescriptionOrigin { readonly owner: string; readonly session: string }

/**
 * The media description format (SDP): our answer to a far end's offer, our offer, and
 * what the media workers need from a far end's description. Throws on a description it
 * cannot use (SDP: SdpError, 400 malformed or 488 no common codec).
 */
export interface MediaDescriptions {
  answer(offer: Buffer, ours: LocalSession): { readonly description: Buffer; readonly remote: RemoteInfo };
  offer(ours: LocalSession): Buffer;
  remote(answer: Buffer, codecs: readonly string[]): RemoteInfo;
}

/** A call leg as its media session needs it: the endpoint's codecs (allow= order) and RTP settings, and where its digits go. */
export interface Leg {
  readonly codecs: readonly string[];
  readonly rtp: LegRtp;
  readonly origin?: DescriptionOrigin;
  digit(d: string, durationMs?: number): void;
}

/** An endpoint's tos_audio (as the TOS byte), cos_audio and rtp_symmetric. */
export interface LegRtp { readonly tos: number; readonly cos: number; readonly symmetric: boolean }

export interface LegMedia {
  readonly id: string;
  /** Our SDP for this leg (an answer to its offer, or our offer). */
  readonly sdp: Buffer;
}

/** Music on hold classes (musiconhold.conf, files mode): class name → directory of sound files. */
export type MohClasses = ReadonlyMap<string, string>;

/** Where Asterisk's Debian packages keep sounds and music on hold; relative `directory=` is under it. */
const ASTERISK_DATA = "/usr/share/asterisk";

/**
 * musiconhold.conf: each `mode = files` class with its `directory` (relative paths under
 * /usr/share/asterisk, as Asterisk's data directory). Without the file, or without a
 * `default` class, `default` is /usr/share/asterisk/moh. Other modes (custom, mp3,
 * playlist) are not supported: `warn` hears about them and the class is left out.
 */
export function loadMusicOnHold(configDir: string, warn: (message: string) => void = () => undefined): Map<string, string> {
  const classes = new Map<string, string>();
  const path = join(configDir, "musiconhold.conf");
  if (existsSync(path)) {
    for (const section of resolveTemplates(parseConfFile(path))) {
      if (section.name === "general") continue;
      let mode = "files", directory = "";
      for (const e of section.entries) {
        if (e.key === "mode") mode = e.value.trim().toLowerCase();
        else if (e.key === "directory") directory = e.value.trim();
      }
      if (mode !== "files") { warn(`musiconhold.conf [${section.name}]: mode=${mode} is not supported, only files`); continue; }
      if (directory === "") { warn(`musiconhold.conf [${section.name}]: no directory`); continue; }
      classes.set(section.name, isAbsolute(directory) ? directory : resolve(ASTERISK_DATA, directory));
    }
  }
  if (!classes.has("default")) classes.set("default", join(ASTERISK_DATA, "moh"));
  return classes;
}

export interface CallMediaOptions {
  /** Music on hold: one directory for every class, or classes by name (see loadMusicOnHold). */
  readonly moh: string | MohClasses;
  /** Where MixMonitor puts recordings given by a relative name (Asterisk's spool/monitor). */
  readonly monitorDir?: string;
  /** The media description format of the channels' drivers (SDP: sip/sdp's sdpDescriptions). */
  readonly descriptions: MediaDescriptions;
}

export class CallMedia {
  private readonly mohClasses: MohClasses;
  /** Relative MixMonitor file names are resolved here (default: Asterisk's /var/spool/asterisk/monitor). */
  readonly monitorDir: string;

  private readonly descriptions: MediaDescriptions;

  constructor(readonly service: MediaService, o: CallMediaOptions) {
    this.mohClasses = typeof o.moh === "string" ? new Map([["default", o.moh]]) : o.moh;
    this.monitorDir = o.monitorDir ?? "/var/spool/asterisk/monitor";
    this.descriptions = o.descriptions;
  }

  /**
   * A session answering `offer` (throws SdpError: 400 malformed, 488 no common codec);
   * `opening` hears its id before it is made (a called leg's session may go near it).
   */
  async answer(offer: Buffer, leg: Leg, opening?: (id: string) => void): Promise<LegMedia> {
    const s = await this.open(leg, undefined, opening);
    try {
      const a = this.descriptions.answer(offer, { codecs: leg.codecs, address: s.localAddress, port: s.localPort, sessionId: s.localPort, ...(leg.origin ? { origin: leg.origin } : {}) });
      // Not awaited: the session's worker takes its commands in order, so whatever comes next
      // (a bridge, a prompt) finds the far end set; the answer does not wait a round trip for it.
      void this.service.setRemote(s.id, a.remote).catch(() => undefined);
      return { id: s.id, sdp: a.description };
    } catch (e) {
      await this.service.destroySession(s.id).catch(() => undefined);
      throw e;
    }
  }

  /** A session of ours to offer to a called leg (on the worker of `near`, the caller's session, if any); its answer comes to `remote`. */
  async offer(leg: Leg, near?: string): Promise<LegMedia> {
    const s = await this.open(leg, near);
    return { id: s.id, sdp: this.descriptions.offer({ codecs: leg.codecs, address: s.localAddress, port: s.localPort, sessionId: s.localPort, ...(leg.origin ? { origin: leg.origin } : {}) }) };
  }

  /** The called leg's answer (or early-media SDP) to our offer. */
  async remote(id: string, answer: Buffer, codecs: readonly string[]): Promise<void> {
    await this.service.setRemote(id, this.descriptions.remote(answer, codecs));
  }

  play(id: string, files: readonly string[], options: { stopOnDtmf?: string; language?: string }): Promise<PlayResult> {
    return this.service.play(id, [...files], options);
  }

  stopPlayback(id: string): Promise<void> { return this.service.stopPlayback(id); }
  tones(id: string, list: string): Promise<void> { return this.service.tones(id, list); }
  stopTones(id: string): Promise<void> { return this.service.stopTones(id); }

  /** The directory of a music class; an unknown class plays `default`, as Asterisk falls back to it. */
  mohDirectory(className = "default"): string {
    return this.mohClasses.get(className) ?? this.mohClasses.get("default") ?? join(ASTERISK_DATA, "moh");
  }
  moh(id: string, className?: string): Promise<PlayResult> { return this.service.startMoh(id, this.mohDirectory(className)); }
  bridge(a: string, b: string): Promise<void> { return this.service.bridge(a, b); }
  unbridge(id: string): Promise<void> { return this.service.unbridge(id); }

  /** A MixMonitor file name as Asterisk resolves it: absolute as given, else under the monitor directory. */
  monitorPath(name: string): string { return isAbsolute(name) ? name : join(this.monitorDir, name); }
  /**
   * Starts a recording on session `id`; `done` settles when it ends, however it ends
   * (StopMixMonitor, hang-up), with its files closed.
   */
  async record(id: string, path: string, options: RecordOptions & { recId: string }): Promise<{ done: Promise<RecordingResult> }> {
    let off = () => undefined as void;
    const done = new Promise<RecordingResult>((resolve) => {
      off = this.service.onEvent((e) => {
        if (e.type === "recordingFinished" && e.session === id && e.recId === options.recId) { off(); resolve(e); }
      });
    });
    try {
      await this.service.record(id, path, options);
    } catch (e) {
      off();
      throw e;
    }
    return { done };
  }
  stopRecord(id: string, recId: string, trim = false): Promise<RecordingResult> { return this.service.stopRecord(id, recId, trim); }
  controlRecord(id: string, recId: string, change: { paused?: boolean; muted?: boolean }): Promise<void> { return this.service.controlRecord(id, recId, change); }

  echo(id: string, on: boolean): Promise<void> { return this.service.echo(id, on); }
  tap(id: string, onAudio: (pcm: Uint8Array) => void): Promise<void> { return this.service.tap(id, onAudio); }
  untap(id: string): Promise<void> { return this.service.untap(id).catch(() => undefined); }
  audioSocket(id: string, uuid: string, service: string): Promise<AudioSocketResult> { return this.service.audioSocket(id, uuid, service); }
  stopAudioSocket(id: string): Promise<void> { return this.service.stopAudioSocket(id); }

  close(id: string): Promise<void> { return this.service.destroySession(id).catch(() => undefined); }

  private async open(leg: Leg, near?: string, opening?: (id: string) => void) {
    const { tos, cos, symmetric } = leg.rtp;
    const s = await this.service.createSession({ codecs: [...leg.codecs], symmetric, near, tos, cos, ...(opening ? { opening } : {}) });
    this.service.onDtmf(s.id, (e) => leg.digit(e.digit, e.durationMs));
    return s;
  }
}
