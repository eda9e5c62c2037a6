/**
 * What crosses the rings: commands main → worker, events worker → main, and frames
 * worker → worker. Plain objects, msgpackr-encoded by MessageRing.
 */
import type { Codec } from "./g711.js";

/** The parts of sip/sdp RemoteMedia the worker uses. */
export interface RemoteInfo {
  address: string; port: number; rtcpPort?: number;
  codec: string; payloadType: number;
  payloadTypes?: Record<number, string>;
  telephoneEvent?: number;
  direction?: "sendrecv" | "sendonly" | "recvonly" | "inactive";
}

export type CommandBody =
  /** `port`: one of the worker's spare pairs (its `spare` event), taken instead of binding a new one. */
  | { t: "create"; id: string; codecs: Codec[]; rtpTimeout?: number; symmetric?: boolean; tos?: number; cos?: number; port?: number }
  | { t: "remote"; id: string; remote: RemoteInfo }
  | { t: "play"; id: string; playId: number; files: string[]; stopOnDtmf?: string; loop?: boolean; language?: string; dir?: string }
  | { t: "stopPlay"; id: string }
  | { t: "tones"; id: string; list: string }
  | { t: "stopTones"; id: string }
  | { t: "bridge"; id: string; peer: string; peerWorker: number }
  | { t: "mixJoin"; id: string; mix: string; host: number }
  | { t: "mixAdd"; mix: string; id: string; worker: number }
  | { t: "mixRemove"; mix: string; id: string }
  | { t: "unbridge"; id: string }
  /**
   * MixMonitor: `path` mixed, `rxPath`/`txPath` one direction each (at least one of the three).
   * `maxSilenceMs`: the recording ends itself after more silence than that (ARI's maxSilenceSeconds).
   */
  | { t: "record"; id: string; recId?: string; path?: string; rxPath?: string; txPath?: string; append?: boolean; bridgedOnly?: boolean; maxSilenceMs?: number }
  /** `trim`: cut the trailing silence down to 200 ms, as Asterisk does when a recording with silence detection ends on a digit or its time. */
  | { t: "stopRecord"; id: string; recId?: string; trim?: boolean }
  /** Pauses (nothing written) or mutes (silence written) a running recording; an omitted field is left as it is. */
  | { t: "controlRecord"; id: string; recId: string; paused?: boolean; muted?: boolean }
  /** Echo(): send back what the phone sends (audio and RFC 4733 events). */
  | { t: "echo"; id: string; on: boolean }
  | { t: "sendDtmf"; id: string; digits: string; durationMs: number }
  /** EAGI: each frame the phone sends, decoded (slin 8 kHz LE), as a `tap` event. */
  | { t: "tap"; id: string; on: boolean }
  | { t: "audiosocket"; id: string; uuid: string; host: string; port: number }
  | { t: "stopAudiosocket"; id: string }
  /**
   * A session with no phone behind it (`create` with `virtual`) takes its audio from elsewhere:
   * `announcer` what it plays is what it "hears" (a bridge's playback and music on hold);
   * `audiosocket` a TCP AudioSocket service is its far end (ARI externalMedia).
   */
  | { t: "virtualEnd"; id: string; end: { kind: "announcer" } | { kind: "audiosocket"; uuid: string; host: string; port: number } }
  /** Snoop: `snoop` hears `id`'s audio (in: from its phone, out: to it) and, with whisper, speaks into what `id` sends. */
  | { t: "snoop"; id: string; snoop: string; spy: "none" | "in" | "out" | "both"; whisper: "none" | "in" | "out" | "both" }
  /** Silence one or both directions of a session (ARI mute). */
  | { t: "mute"; id: string; rx: boolean; tx: boolean }
  | { t: "stats"; id?: string; reset?: boolean }
  | { t: "destroy"; id: string };
export type Command = CommandBody & { req: number };

export type MediaEvent =
  | { t: "ready"; worker: number }
  /** An RTP/RTCP port pair the worker has bound ahead of need: the main thread may name it in a `create`. */
  | { t: "spare"; port: number }
  | { t: "reply"; req: number; ok: true; value?: unknown }
  | { t: "reply"; req: number; ok: false; error: string }
  | { t: "dtmf"; id: string; digit: string; durationMs: number }
  | { t: "timeout"; id: string; seconds: number }
  | { t: "playDone"; id: string; playId: number; status: "SUCCESS" | "FAILED"; interruptedBy?: string; stopped?: boolean; error?: string }
  | { t: "tonesDone"; id: string }
  /** `talkingMs` (with silence detection): the audio above the silence threshold; `silence`: it ended itself on silence. */
  | { t: "recordDone"; id: string; recId: string; path: string; durationMs: number; talkingMs?: number; silence?: boolean; error?: string }
  | { t: "asDone"; id: string; status: "HANGUP" | "ERROR" | "STOPPED"; connected: boolean; error?: string }
  | { t: "asDtmf"; id: string; digit: string }
  | { t: "tap"; id: string; pcm: Uint8Array }
  /** An AudioSocket connection was made (its UUID frame sent). */
  | { t: "asConnected"; id: string }
  | { t: "log"; level: "warn" | "error"; msg: string };

export type PeerFrame =
  /** A raw RTP packet received on `from`'s leg, to be relayed out of `to` (bridge). */
  | { t: "pkt"; to: string; c: Codec | "event"; p: Uint8Array }
  /** A participant's decoded audio (slin LE) for the mix hosted on the receiving worker. */
  | { t: "mixIn"; mix: string; from: string; pcm: Uint8Array }
  /** Mixed audio for participant `to`, to be encoded and sent. */
  | { t: "mixOut"; to: string; pcm: Uint8Array };

export interface WorkerInit {
  index: number;
  cmd: SharedArrayBuffer;
  evt: SharedArrayBuffer;
  /** peerIn[i]: frames from worker i (undefined for self); peerOut likewise. */
  peerIn: (SharedArrayBuffer | null)[];
  peerOut: (SharedArrayBuffer | null)[];
  workers: number;
  rtpStart: number;
  rtpEnd: number;
  bindAddress: string;
  soundsDir: string;
  /** rtp.conf strictrtp and probation: see Session.accepts. */
  strictRtp: boolean;
  probation: number;
}
