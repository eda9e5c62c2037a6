/**
 * What the dialplan executor (`dialplan/executor.ts`) and its applications see of the
 * channel they run on, and what Dial asks of the call core. It lives with the call core
 * so the dialplan depends on it and not the other way round; the call core (channel.ts)
 * implements it over a channel actor: every method that changes the channel becomes a
 * logged actor input, so a call's history is in the log whatever the dialplan did. Nothing here reads the wall clock or does
 * I/O of its own: waiting goes through `sleep` (the injected clock), media through
 * `media`, and hang-up arrives as `signal` aborting.
 */
import type { ChannelContext } from "../events/catalogue/channel.js";
import type { PickupTarget } from "./pickup.js";

/** Why an application's wait ended early. */
export class HangupError extends Error {
  constructor() {
    // Control flow (every wait of a hung-up channel ends with one), not a fault: no stack to capture.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super("channel hung up");
    Error.stackTraceLimit = limit;
    this.name = "HangupError";
  }
}

export interface DialTarget {
  /** As written in the dial string: "PJSIP/6001", "PJSIP/100@trunk", "Local/100@ctx/n". */
  readonly dialstring: string;
}

export interface DialRequest {
  readonly targets: readonly DialTarget[];
  /** Seconds; undefined waits until answered or the caller hangs up. */
  readonly timeout?: number;
  /** Parsed Dial options (letters → argument, "" when none). */
  readonly options: Readonly<Record<string, string>>;
  /** Sent to the called party as caller ID (the channel's by default). */
  readonly url?: string;
  /**
   * Aborted when the dialplan gives up on the Dial (TIMEOUT(absolute) reached):
   * cancel the outbound legs as on a caller's hang-up. Optional to honour.
   */
  readonly signal?: AbortSignal;
  /**
   * Runs a Gosub on another channel (a called leg) in this dialplan: what the `U(...)`
   * and `b(...)` options ask for. `target` is `[[context,]exten,]priority[(args)]`.
   * Resolves when the subroutine returns (or the leg hangs up), with GOSUB_RESULT,
   * which for `U` may be ABORT, CONGESTION, BUSY, CONTINUE or GOTO:[[context^]exten^]priority.
   */
  readonly runSubroutine?: (channel: DialplanChannel, target: string) => Promise<{ readonly result?: string; readonly retval?: string }>;
  /**
   * Called when a called leg answers, before the bridge (Queue()'s CONNECT needs the
   * moment and the answering channel's uniqueid; `via`: the leg whose call forward it
   * followed). Optional to honour.
   */
  readonly onAnswer?: (peer: { readonly name: string; readonly uniqueid: string; readonly via?: string }) => void;
  /**
   * Runs after a called leg answered (and after its U() subroutine), before the bridge:
   * Queue() plays its announcement to the member and runs its AGI on the caller here.
   * Either side hanging up meanwhile ends the call as at an answer. Optional to honour.
   */
  readonly beforeBridge?: (peer: DialplanChannel) => Promise<void>;
  /** A transfer moved the bridged call elsewhere (Queue()'s BLINDTRANSFER / ATTENDEDTRANSFER). Optional to honour. */
  readonly onTransfer?: (t: BridgeTransfer) => void;
  /** A called leg reports ringing (Queue()'s R: the caller hears ringing instead of music from then on). Optional to honour. */
  readonly onRinging?: () => void;
  /**
   * Every leg cancelled, whatever the reason (timeout, the caller hanging up), ends as
   * answered elsewhere (cause 26; a SIP CANCEL says "Call completed elsewhere"): Queue()'s C.
   */
  readonly cancelAsAnsweredElsewhere?: boolean;
  /** When the caller hangs up during the bridged call, the called party goes on in the dialplan here (Queue()'s F). */
  readonly calleeGoOn?: { readonly context: string; readonly exten: string; readonly priority: number };
}

/** A transfer out of a bridge Dial made, as the bridge's owner hears of it. */
export type BridgeTransfer =
  | { readonly kind: "blind"; readonly exten: string; readonly context: string }
  /** `bridge`: the id of the bridge the transferee is in afterwards. */
  | { readonly kind: "attended"; readonly bridge: string };

/** One called leg's end, for HANGUPCAUSE_KEYS / HANGUPCAUSE(channel,type). */
export interface DialLegCause {
  readonly channel: string;
  /** Q.850 cause. */
  readonly cause: number;
  /** Technology cause in the driver's words: "SIP 486 Busy Here" (driver.ts LegProgress.failed). */
  readonly tech?: string;
  /** The leg asked for a call forward that the request's `i` option ignored. */
  readonly forwardIgnored?: boolean;
}

export interface DialOutcome {
  /** DIALSTATUS. */
  readonly status: "ANSWER" | "BUSY" | "NOANSWER" | "CANCEL" | "CONGESTION" | "CHANUNAVAIL" | "DONTCALL" | "TORTURE" | "INVALIDARGS";
  /** The answering channel's name (DIALEDPEERNAME), when answered. */
  readonly peerName?: string;
  /** Seconds the bridged call lasted (ANSWEREDTIME), when answered. */
  readonly answeredSeconds?: number;
  /** Seconds from Dial to its end (DIALEDTIME). */
  readonly dialedSeconds?: number;
  /** Hang-up cause reported by the called side, for HANGUPCAUSE. */
  readonly cause?: number;
  /** Every called leg that ended, with its causes (optional; HANGUPCAUSE_KEYS reads it). */
  readonly legs?: readonly DialLegCause[];
  /**
   * Answered, but a U() subroutine asked the caller to go on without a bridge: at the
   * next priority (GOSUB_RESULT=CONTINUE) or at `[[context,]exten,]priority` (GOTO:).
   */
  readonly next?: "continue" | { readonly goto: string };
}

/** REDIRECTING() data: who diverted the call, to whom, how often and why. */
export interface RedirectingParty {
  readonly fromNum?: string;
  readonly fromName?: string;
  readonly toNum?: string;
  readonly toName?: string;
  readonly origNum?: string;
  readonly origName?: string;
  readonly count?: string;
  readonly reason?: string;
  readonly origReason?: string;
}

export interface MediaResult {
  /** PLAYBACKSTATUS: SUCCESS or FAILED. */
  readonly status: "SUCCESS" | "FAILED";
  /** The DTMF digit that interrupted it, when one did. */
  readonly digit?: string;
}

/** What MixMonitor asks to record; relative names are under the monitor directory. */
export interface MixMonitorRequest {
  /** The mixed recording ("" when only r()/t() files are wanted). `.wav` is WAV, anything else raw slin. */
  readonly file: string;
  /** r(file): what the channel sends (its party speaking). */
  readonly rxFile?: string;
  /** t(file): what the channel is sent (what its party hears). */
  readonly txFile?: string;
  /** a: add to the files instead of replacing them. */
  readonly append?: boolean;
  /** b: only while the channel is bridged. */
  readonly bridgedOnly?: boolean;
  /** Ends the recording after more silence than this (ARI's maxSilenceSeconds), its trailing silence cut to 200 ms. */
  readonly maxSilenceMs?: number;
}

/** How a recording ended: its length, with silence detection the audio above the threshold, and whether silence ended it. */
export interface MixMonitorResult {
  readonly durationMs: number;
  readonly talkingMs?: number;
  readonly silence?: boolean;
  readonly error?: string;
}

export interface MixMonitorStarted {
  /** The recording's id (MixMonitor i(var), StopMixMonitor(id)). */
  readonly id: string;
  /** Absolute paths, as resolved. */
  readonly file?: string;
  readonly rxFile?: string;
  readonly txFile?: string;
  /** Settles when the recording has ended and its files are closed (StopMixMonitor, hang-up, silence). */
  readonly done: Promise<MixMonitorResult>;
}

export interface AudioSocketOutcome {
  /** HANGUP: the service hung up (0x00 or closed the connection); ERROR: it could not connect, sent 0xff, or broke the protocol. */
  readonly status: "HANGUP" | "ERROR";
  /** False when the connection was never made. */
  readonly connected: boolean;
  readonly error?: string;
}

/**
 * What interrupts a channel's dialplan (Asterisk's async goto): go on at a position
 * (AMI Redirect), or run something first and then go on after the interrupted
 * application (AMI Bridge: the channel waits in its bridge).
 */
export type ChannelInterrupt =
  | { readonly context: string; readonly exten: string; readonly priority: number }
  | { readonly run: () => Promise<void> };

export interface DialplanChannel {
  /** The channel actor's id (`channel:<uniqueid>`) and its state right now. */
  readonly id: string;
  readonly context: () => ChannelContext;
  /** "ring", "up", "hungup" ... (the channel actor's state value). */
  readonly state: () => string;
  /**
   * Aborted when the channel hangs up, or when an async goto (AMI Redirect) interrupts
   * what it runs: every wait must end then. `takeRedirect` tells the two apart.
   */
  readonly signal: AbortSignal;
  /**
   * After `signal` aborted: the position an async goto sends the dialplan to (and a
   * fresh signal from now on), or undefined when the channel really hung up. Optional.
   */
  takeRedirect?(): ChannelInterrupt | undefined;
  /** The channel's language (sound file lookup, CHANNEL(language)); "en" when absent. */
  readonly language?: string;
  /** The SIP Call-ID of a PJSIP leg (CHANNEL(callid), CHANNEL(pjsip,call-id)); optional. */
  sipCallId?(): string | undefined;
  /** Microseconds since the epoch, from the injected clock. */
  now(): number;
  sleep(ms: number): Promise<void>;

  /** Report the dialplan position and the application starting and ending (CEL APP_START / APP_END). */
  newExten(context: string, exten: string, priority: number): void;
  appStart(app: string, data: string): void;
  appEnd(app: string): void;

  /** Channel variables (inherited `_`/`__` prefixes kept in the stored name). */
  setVariable(name: string, value: string): void;
  setCdrField(field: "accountcode" | "userfield" | "amaflags" | "peeraccount" | "dstchannel", value: string): void;
  setCallerId(party: { num?: string; name?: string }): void;
  /** `inhibit`: CONNECTEDLINE(...,i): store it without sending an update to the other party now. */
  setConnected(party: { num?: string; name?: string }, options?: { inhibit?: boolean }): void;
  /**
   * REDIRECTING(...) writes (optional): the fields given change. `inhibit` as for
   * setConnected. Without it the dialplan keeps the values for its own reads only.
   */
  setRedirecting?(party: RedirectingParty, options?: { inhibit?: boolean }): void;
  userEvent(name: string, extra: string): void;

  /** Call control. */
  answer(): Promise<void>;
  ringing(): void;
  progress(): void;
  busy(): void;
  congestion(): void;
  hangup(cause: number): void;
  dial(request: DialRequest): Promise<DialOutcome>;
  /** Bridge this channel with another live channel (Bridge() application). */
  bridgeWith(channelName: string, options: Readonly<Record<string, string>>): Promise<DialOutcome>;
  /**
   * Pick up a leg that rings for a Dial (Pickup(), PickupChan(), pickupexten): this channel
   * is answered and takes that call until it ends. The picked leg's name, or undefined
   * when there is none to pick up.
   */
  pickup(target: PickupTarget): Promise<string | undefined>;

  /** Media (audible once the media workers are in; until then they take the time the audio would). */
  play(files: readonly string[], options?: { stopOnDigits?: string; noAnswer?: boolean; signal?: AbortSignal }): Promise<MediaResult>;
  /** Next DTMF digit within `timeoutMs`, or undefined on timeout. */
  readDigit(timeoutMs: number): Promise<string | undefined>;
  tones(toneList: string): void;
  stopTones(): void;
  musicOnHold(className: string, seconds?: number): Promise<void>;
  /** Echo(): the caller hears itself (audio and DTMF) until it presses `#` (resolves) or hangs up (HangupError). */
  echo(): Promise<void>;
  /**
   * Dial's m option: music on hold to the unanswered caller (as early media) instead of
   * ringing, until stopMusicOnHold (the called party answered, or the Dial ended).
   * Resolves once the caller's media is anchored and the music started. Optional.
   */
  startMusicOnHold?(className: string): Promise<void>;
  stopMusicOnHold?(): void;
  /**
   * MixMonitor: record the channel's audio, both directions mixed, until
   * stopMixMonitor or hang-up. Returns at once with the resolved paths; throws an Error
   * whose message is the warning when the channel has no media to record. Optional.
   */
  startMixMonitor?(request: MixMonitorRequest): Promise<MixMonitorStarted>;
  /** StopMixMonitor([id]): ends that recording (or the oldest); false when there was none. Files are closed when it resolves. */
  stopMixMonitor?(id?: string): Promise<boolean>;
  /**
   * AudioSocket(uuid,host:port) on an answered channel: resolves when the service hangs
   * up or on an error; HangupError when the channel hangs up first. Optional.
   */
  audioSocket?(uuid: string, service: string): Promise<AudioSocketOutcome>;
  /**
   * EAGI: the phone's audio (signed linear 8 kHz, 16-bit LE, 20 ms frames) to `onAudio`
   * until the returned stop; throws when the leg has no media through Recall. Optional.
   */
  audioTap?(onAudio: (pcm: Uint8Array) => void): Promise<() => Promise<void>>;

  /** A message for the console/log (Verbose, NoOp, warnings), with the Asterisk source file it mimics. */
  log(level: "VERBOSE" | "NOTICE" | "WARNING" | "ERROR" | "DEBUG", source: string, message: string): void;
}
