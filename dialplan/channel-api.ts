/**
 * What the dialplan executor (`executor.ts`) and its applications see of the channel
 * they run on. The call layer (sip/call/) implements it over a channel actor: every
 * method that changes the channel becomes a logged actor input, so a call's history
 * is in the log whatever the dialplan did. Nothing here reads the wall clock or does
 * I/O of its own: waiting goes through `sleep` (the injected clock), media through
 * `media`, and hang-up arrives as `signal` aborting.
 */
import type { ChannelContext } from "../events/catalogue/channel.js";

/** Why an application's wait ended early. */
export class HangupError extends Error {
  constructor() { super("channel hung up"); this.name = "HangupError"; }
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
}

/** One called leg's end, for HANGUPCAUSE_KEYS / HANGUPCAUSE(channel,type). */
export interface DialLegCause {
  readonly channel: string;
  /** Q.850 cause. */
  readonly cause: number;
  /** Technology cause, "SIP 486 Busy Here" (see hangup-causes.ts sipTechCause). */
  readonly tech?: string;
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

export interface DialplanChannel {
  /** The channel actor's id (`channel:<uniqueid>`) and its state right now. */
  readonly id: string;
  readonly context: () => ChannelContext;
  /** "ring", "up", "hungup" ... (the channel actor's state value). */
  readonly state: () => string;
  /** Aborted when the channel hangs up: every wait must end then. */
  readonly signal: AbortSignal;
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
  setCdrField(field: "accountcode" | "userfield" | "amaflags" | "peeraccount", value: string): void;
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

  /** Media (audible once the media workers are in; until then they take the time the audio would). */
  play(files: readonly string[], options?: { stopOnDigits?: string; noAnswer?: boolean; signal?: AbortSignal }): Promise<MediaResult>;
  /** Next DTMF digit within `timeoutMs`, or undefined on timeout. */
  readDigit(timeoutMs: number): Promise<string | undefined>;
  tones(toneList: string): void;
  stopTones(): void;
  musicOnHold(className: string, seconds?: number): Promise<void>;
  echo(): Promise<void>;

  /** A message for the console/log (Verbose, NoOp, warnings), with the Asterisk source file it mimics. */
  log(level: "VERBOSE" | "NOTICE" | "WARNING" | "ERROR" | "DEBUG", source: string, message: string): void;
}
