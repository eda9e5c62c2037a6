/**
 * A call leg as the dialplan and Dial see it: a channel actor (the logged truth of the
 * leg) plus its driver's signalling (driver.ts ChannelSignalling: SIP for PJSIP legs,
 * none for the halves of a Local channel). Every change goes through the actor first,
 * so the log holds it; the driver's messages follow.
 */
import type { ActorRuntime } from "../actors/runtime.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { ChannelContext } from "../events/catalogue/channel.js";
import type { ChannelInput } from "../actors/channel/machine.js";
import {
  HangupError, type AudioSocketOutcome, type ChannelInterrupt, type DialOutcome, type DialRequest, type DialplanChannel, type MediaResult,
  type MixMonitorRequest, type MixMonitorStarted,
} from "./channel-api.js";
import type { TwoPartyBridge } from "./bridge.js";
import type { CallMedia, DescriptionOrigin, LegRtp } from "./media.js";
import type { ChannelSignalling } from "./driver.js";
import { Cause } from "./hangup-causes.js";
import { NO_GROUPS, type PickupGroups, type PickupTarget } from "./pickup.js";

/** What a channel needs from the call core (core.ts). */
export interface ChannelHost {
  readonly runtime: ActorRuntime;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly media: CallMedia;
  dial(caller: Channel, request: DialRequest): Promise<DialOutcome>;
  bridgeWith(caller: Channel, channelName: string): Promise<DialOutcome>;
  pickup(picker: Channel, target: PickupTarget): Promise<string | undefined>;
  /** The channel is gone: forget it. */
  released(channel: Channel): void;
}

type Distribute<T> = T extends unknown ? Omit<T, "source"> : never;
type Change = Distribute<ChannelInput>;

export class Channel implements DialplanChannel {
  /** "PJSIP" for SIP legs, "Local" for the halves of a Local channel, ARI's media channels (media-channels.ts). */
  readonly tech: ChannelContext["tech"];
  #hungUp = false;
  private last: ChannelContext;
  private value = "down";
  private readonly digits: string[] = [];
  private digitWaiter: ((digit: string | undefined) => void) | null = null;
  /** The driver's side of the leg (undefined: a Local channel half, nothing to signal). */
  signalling: ChannelSignalling | undefined;
  /** The caller's SDP offer (inbound) or the callee's answer (outbound). */
  remoteSdp: Buffer | undefined;
  /** Our SDP, once sent. */
  localSdp: Buffer | undefined;
  /** Where this called party goes when its partner hangs up, instead of being hung up (Dial's and Queue()'s F; bridge.ts settle). */
  afterBridge: (() => void) | undefined;
  /** Called when the far end hangs up or the leg ends otherwise (Dial listens). */
  readonly onHangup = new Set<() => void>();
  /** Early media/answer SDP forwarded to the caller by Dial instead of our own (media not anchored). */
  answerSdpOverride: Buffer | undefined;
  /** The leg's RTP session in the media workers, once its media is anchored in Recall. */
  media: string | undefined;
  /** The endpoint's codecs in allow= order. */
  codecs: readonly string[] = ["ulaw", "alaw"];
  /** The endpoint's call and pickup groups (pickup.ts). */
  groups: PickupGroups = NO_GROUPS;
  /** The endpoint's tos_audio (TOS byte), cos_audio and rtp_symmetric, for this leg's RTP session. */
  rtp: LegRtp = { tos: 0, cos: 0, symmetric: false };
  /** The endpoint's sdp_owner and sdp_session (unset: the description format's defaults). */
  origin: DescriptionOrigin | undefined;
  /** The bridge the leg is in, if any. */
  bridge: TwoPartyBridge | undefined;
  /** Local channel halves: what the other half does when this one answers or rings. */
  onAnswer: (() => void) | undefined;
  onRinging: (() => void) | undefined;
  /** Transfers (transfer.ts): whether a dialplan runs on the leg (inbound legs, `;2`, a transferred callee). */
  pbx: boolean;
  /** How many of the leg's Dial/Bridge waits are waiting for it to leave its bridges (bridge.ts stayBridged). */
  bridgeWaits = 0;
  /** Blind-transferred while in Dial: where its dialplan goes on once Dial returns. */
  continueAt: { readonly context: string; readonly exten: string; readonly priority: number } | undefined;
  /** In-call DTMF features: sees each digit first and keeps the ones it takes (returns true). */
  onDigit: ((digit: string) => boolean) | undefined;
  /** The session Dial's m option plays music on hold to, while it does. */
  private dialMoh: string | undefined;
  /** MixMonitor recordings running on the leg: id → media session. */
  private readonly recordings = new Map<string, string>();
  private recordingCount = 0;

  constructor(
    private readonly host: ChannelHost,
    readonly id: string,
    readonly name: string,
    initial: ChannelContext,
    readonly direction: "in" | "out",
    readonly language: string,
  ) {
    this.last = initial;
    this.tech = initial.tech;
    this.value = direction === "in" ? "ring" : "down";
    this.pbx = direction === "in";
  }

  /** What waits listen to: aborted at hang-up or by an async goto (redirect); replaced once the executor takes the new position. */
  private run = new AbortController();
  /** Where a pending async goto sends the dialplan. */
  private redirectTo: ChannelInterrupt | undefined;

  /** Aborted at hang-up, or when a redirect interrupts the application the leg runs. */
  get signal(): AbortSignal { return this.run.signal; }

  /**
   * Asterisk's async goto: interrupt the application the leg's dialplan runs now and go
   * on at `to` (AMI Redirect of a channel that is not bridged), or run `to.run` and then
   * go on after that application (AMI Bridge). False once hung up.
   */
  redirect(to: ChannelInterrupt): boolean {
    if (this.hungUp) return false;
    this.redirectTo = to;
    this.run.abort(INTERRUPTED);
    this.digitWaiter?.(undefined); // a Read or WaitExten waiting for a digit ends too
    return true;
  }

  takeRedirect(): ChannelInterrupt | undefined {
    const to = this.redirectTo;
    if (!to || this.hungUp) return undefined;
    this.redirectTo = undefined;
    this.run = new AbortController();
    return to;
  }
  /** The actor's context, with the variables set this turn and not yet written. */
  context = (): ChannelContext => {
    const pending = this.pendingVars, at = this.pendingPosition;
    if (!pending && !at) return this.last;
    if (!this.pendingView) {
      let view: ChannelContext = at ? { ...this.last, ...at } : this.last;
      if (pending) {
        const vars = { ...view.vars };
        for (const [name, value] of pending) if (value === "") delete vars[name]; else vars[name] = value;
        view = { ...view, vars };
      }
      this.pendingView = view;
    }
    return this.pendingView;
  };
  state = (): string => this.value;
  get hungUp(): boolean { return this.#hungUp; }
  now(): number { return this.host.clock.now(); }

  /** Apply an input to the channel actor (logged); a no-op once the actor is gone. */
  change(input: Change, source: ChannelInput["source"] = "dialplan"): void {
    this.flushVariables();
    this.flushPosition();
    const t = this.host.runtime.send(this.id, { source, ...input } as ChannelInput);
    if (!t) return;
    this.value = String(t.state.value);
    this.last = t.state.context as ChannelContext;
  }

  sleep(ms: number): Promise<void> {
    if (this.hungUp) return Promise.reject(new HangupError());
    return new Promise((resolve, reject) => {
      const timer = this.host.clock.schedule(this.now() + ms * 1000, () => { this.signal.removeEventListener("abort", onAbort); resolve(); });
      const onAbort = () => { timer.cancel(); reject(new HangupError()); };
      this.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * A new dialplan position is held back until the application that runs there starts,
   * and both become one `newexten` input (as AMI's Newexten carries both): one event per
   * priority instead of two. Any other input first writes the position alone.
   */
  newExten(context: string, exten: string, priority: number): void {
    this.flushPosition();
    this.pendingPosition = { context, exten, priority };
    this.pendingView = undefined;
  }

  appStart(app: string, data: string): void {
    const at = this.pendingPosition;
    this.pendingPosition = undefined;
    this.pendingView = undefined;
    this.change(at ? { type: "newexten", ...at, app, data } : { type: "app.start", app, data });
  }

  private pendingPosition: { context: string; exten: string; priority: number } | undefined;

  private flushPosition(): void {
    const at = this.pendingPosition;
    if (!at) return;
    this.pendingPosition = undefined;
    this.pendingView = undefined;
    this.change({ type: "newexten", ...at });
  }
  appEnd(app: string): void { this.change({ type: "app.end", app }); }
  /**
   * Variables set one after another in one turn (Dial sets seven as it returns) become
   * one `setvars` input: written before any other input of the channel and before its
   * context is read, so order and reads are as if each were its own.
   */
  setVariable(name: string, value: string): void {
    if (!this.pendingVars) {
      this.pendingVars = new Map();
      queueMicrotask(() => this.flushVariables());
    }
    this.pendingVars.delete(name); // the last write wins, in the order of the writes
    this.pendingVars.set(name, value);
    this.pendingView = undefined;
  }

  private pendingVars: Map<string, string> | undefined;
  private pendingView: ChannelContext | undefined;

  private flushVariables(): void {
    const pending = this.pendingVars;
    if (!pending) return;
    this.pendingVars = undefined;
    this.pendingView = undefined;
    const input: Change = pending.size === 1
      ? { type: "setvar", name: pending.keys().next().value!, value: pending.values().next().value! }
      : { type: "setvars", vars: Object.fromEntries(pending) };
    this.change(input);
  }
  setCdrField(field: "accountcode" | "userfield" | "amaflags" | "peeraccount" | "dstchannel", value: string): void { this.change({ type: "cdr.set", field, value }); }
  setCallerId(party: { num?: string; name?: string }): void { this.change({ type: "callerid", ...party }); }
  setConnected(party: { num?: string; name?: string }): void { this.change({ type: "connected", ...party }); }
  userEvent(name: string, extra: string): void { this.change({ type: "user.event", name, extra }); }

  /**
   * Answer an inbound leg: the driver makes our SDP (or takes the bridged party's), the
   * channel goes Up, and the driver's answer goes out once that is durable.
   */
  async answer(): Promise<void> {
    if (this.hungUp) throw new HangupError();
    if (this.value === "up") return;
    const up = () => { if (this.value !== "up") this.change({ type: "answer" }); };
    if (this.direction === "in" && this.signalling) {
      await this.signalling.answer(() => this.ourSdp(), up);
      if (this.hungUp) throw new HangupError();
    }
    up();
    this.onAnswer?.();
  }

  ringing(): void {
    if (this.value !== "ringing" && this.value !== "up") this.change({ type: "ringing" });
    if (this.direction === "in" && this.value !== "up" && !this.hungUp) this.signalling?.ringing();
    this.onRinging?.();
  }

  /** Run `fn` once this leg's transitions so far (and this run's) are durable: how drivers send signalling. */
  afterDurable(fn: () => void): void { this.host.runtime.afterDurable(fn); }

  /** 183 with SDP (early media) to an unanswered caller. */
  progress(): void {
    if (this.value !== "progress" && this.value !== "up") this.change({ type: "progress" });
    void this.earlyMedia();
  }

  private async earlyMedia(): Promise<void> {
    if (this.direction !== "in" || this.value === "up" || this.hungUp) return;
    await this.signalling?.earlyMedia(() => this.ourSdp().catch(() => undefined));
  }

  /**
   * The SDP we answer the caller with: the bridged party's (media not anchored), or our
   * own media session's answer to the caller's offer (a 488 if no codec fits).
   */
  private async ourSdp(): Promise<Buffer> {
    if (this.answerSdpOverride && !this.media) return (this.localSdp = this.answerSdpOverride);
    await this.anchorMedia();
    return this.localSdp!;
  }

  /**
   * Give the leg its own RTP session, once: answering the caller's offer before the
   * answer; after it, when the leg's SDP was passed through (direct media), by a
   * re-INVITE to the new session (and its bridge partner to one of its own).
   */
  async anchorMedia(): Promise<string> {
    if (this.media) return this.media;
    if (this.established()) return this.signalling!.anchor();
    if (!this.remoteSdp) throw new Error(`${this.name} has no SDP offer to answer`);
    // Callers at once (the driver opening it early, then the answer) share one session.
    this.anchoring ??= this.answerOffer(this.remoteSdp).finally(() => { this.anchoring = undefined; });
    return this.anchoring;
  }

  private anchoring: Promise<string> | undefined;
  /** The session being opened by `anchoring`, before the media worker has made it. */
  private opening: string | undefined;

  private async answerOffer(offer: Buffer): Promise<string> {
    const leg = await this.host.media.answer(offer, this, (id) => { this.opening = id; })
      .finally(() => { this.opening = undefined; });
    if (this.media) { void this.host.media.close(leg.id); return this.media; }
    this.media = leg.id;
    this.localSdp = leg.sdp;
    if (this.hungUp) this.releaseMedia();
    return leg.id;
  }

  /**
   * The leg's media session, or the one being opened for it: a called leg's session goes
   * near it (on the same media worker) without waiting for it to be made.
   */
  get mediaNear(): string | undefined {
    return this.media ?? this.opening;
  }

  /** A leg up with SDP sent and received: its media moves only by its driver (SIP: re-INVITE). */
  private established(): boolean {
    return this.signalling?.established() ?? false;
  }

  releaseMedia(): void {
    if (this.media) void this.host.media.close(this.media);
    this.media = undefined;
  }

  /** Busy(): 486 to an unanswered caller; the channel then waits for its hang-up. */
  busy(): void {
    if (this.value !== "up") this.reject(Cause.USER_BUSY);
    if (this.value !== "busy" && this.value !== "up") this.change({ type: "busy" });
  }

  congestion(): void {
    if (this.value !== "up") this.reject(Cause.SWITCH_CONGESTION);
  }

  /**
   * Hang up from our side (dialplan, Dial): the driver refuses or ends the call, then the
   * hangup input. `soft`: Asterisk's soft-hangup reason when asked from outside the call
   * (the console, ARI), which AMI reports as SoftHangupRequest.
   */
  hangup(cause: number, by = "dialplan/builtin", soft?: number): void {
    if (this.hungUp) return;
    if (this.value === "up") this.signalling?.bye();
    else if (this.direction === "in") this.reject(cause);
    this.ended(cause, by, soft);
  }

  /** The far end ended the leg (BYE, CANCEL, a failure response, a timeout). */
  remoteHangup(cause: number, by: string = this.name): void {
    if (this.hungUp) return;
    this.ended(cause, by);
  }

  private ended(cause: number, by: string, soft?: number): void {
    this.change({ type: "hangup", cause, by, ...(soft ? { soft } : {}) }, "sip");
    this.releaseHeld();
    this.#hungUp = true;
    this.run.abort(HUNG_UP); // a shared reason: abort() would build a DOMException with a stack each time
    this.digitWaiter?.(undefined);
    for (const listener of [...this.onHangup]) listener();
  }

  /** After the dialplan (and `h`) finished: CHAN_END and the actor ends. */
  destroy(): void {
    if (!this.hungUp) this.hangup(16);
    this.change({ type: "destroy" });
    this.releaseMedia();
    this.signalling?.released();
    this.host.released(this);
  }

  private reject(cause: number): void {
    this.signalling?.reject(cause);
  }

  dial(request: DialRequest): Promise<DialOutcome> {
    if (this.hungUp) return Promise.reject(new HangupError());
    return this.host.dial(this, request);
  }

  bridgeWith(channelName: string): Promise<DialOutcome> {
    return this.host.bridgeWith(this, channelName);
  }

  pickup(target: PickupTarget): Promise<string | undefined> {
    if (this.hungUp) return Promise.reject(new HangupError());
    return this.host.pickup(this, target);
  }

  /** Play prompts on the leg's RTP session; a DTMF digit in `stopOnDigits` interrupts (Background). */
  async play(files: readonly string[], options: { stopOnDigits?: string; noAnswer?: boolean; signal?: AbortSignal } = {}): Promise<MediaResult> {
    if (this.hungUp) throw new HangupError();
    if (!options.noAnswer && this.value !== "up") await this.answer();
    else if (this.value !== "up") this.progress();
    const id = await this.anchorMedia();
    const stop = () => { void this.host.media.stopPlayback(id).catch(() => undefined); };
    this.signal.addEventListener("abort", stop, { once: true });
    options.signal?.addEventListener("abort", stop, { once: true });
    // RFC 4733 digits stop the prompt in the media worker; SIP INFO digits reach only this
    // channel, so a digit the prompt stops on stops it from here too.
    let stoppedBy: string | undefined;
    const stopDigits = options.stopOnDigits;
    if (stopDigits) this.promptDigit = (d) => { if (stoppedBy === undefined && stopDigits.includes(d)) { stoppedBy = d; stop(); } };
    try {
      const r = await this.host.media.play(id, files, { ...(stopDigits ? { stopOnDtmf: stopDigits } : {}), language: this.language });
      if (this.hungUp) throw new HangupError();
      if (r.error) this.log("WARNING", "file.c", r.error);
      // The digit that stopped a prompt is returned as the first digit of what the caller
      // dials; its DTMF event, which came first, queued it too: take that copy out.
      const by = r.interruptedBy ?? stoppedBy;
      if (by) {
        const queued = this.digits.lastIndexOf(by);
        if (queued >= 0) this.digits.splice(queued, 1);
      }
      return { status: r.status, ...(by ? { digit: by } : {}) };
    } finally {
      this.promptDigit = undefined;
      this.signal.removeEventListener("abort", stop);
      options.signal?.removeEventListener("abort", stop);
    }
  }

  readDigit(timeoutMs: number): Promise<string | undefined> {
    if (this.hungUp) return Promise.reject(new HangupError());
    const queued = this.digits.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (timeoutMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = this.host.clock.schedule(this.now() + timeoutMs * 1000, () => { this.digitWaiter = null; resolve(undefined); });
      this.digitWaiter = (d) => {
        timer.cancel();
        this.digitWaiter = null;
        if (d === undefined) reject(new HangupError()); else resolve(d);
      };
    });
  }

  /** A DTMF digit from the caller (RFC 4733 from the media workers, or SIP INFO). */
  /** While a prompt that stops on digits plays: sees each digit (play()). */
  private promptDigit: ((d: string) => void) | undefined;

  digit(d: string, durationMs?: number, source: ChannelInput["source"] = "media"): void {
    this.host.logger.log("DTMF", "channel.c", `DTMF end '${d}' received on ${this.name}`); // logger.conf's `dtmf` level
    this.change({ type: "dtmf", digit: d, direction: "received", ...(durationMs !== undefined ? { durationMs } : {}) }, source);
    if (this.onDigit?.(d)) return;
    this.promptDigit?.(d);
    if (this.digitWaiter) this.digitWaiter(d);
    else this.digits.push(d);
  }

  /** A digit sent to the leg's phone (AMI PlayDTMF): logged, as AMI's DTMFBegin/End with Direction Sent. */
  sentDigit(d: string, durationMs: number, source: ChannelInput["source"] = "dialplan"): void {
    this.change({ type: "dtmf", digit: d, direction: "sent", durationMs }, source);
  }

  /**
   * The phone put the call on hold or took it off (its re-INVITE's direction): logged once
   * per change, so device state (ONHOLD), AMI Hold/Unhold and replays see it.
   */
  setHold(onHold: boolean): void {
    if ((this.last.onHold === true) === onHold || this.hungUp) return;
    this.change({ type: onHold ? "hold" : "unhold" }, "sip");
    // The held party is the bridge partner: its device shows ONHOLD (chan_pjsip's indicate).
    if (onHold) {
      const partner = this.bridge?.partner(this);
      if (partner && !partner.hungUp) { partner.change({ type: "held", by: this.id }, "sip"); this.holding = partner; }
    } else this.releaseHeld();
  }

  /** The partner this leg's phone holds, until it takes it off hold or leaves. */
  private holding: Channel | undefined;

  private releaseHeld(): void {
    const held = this.holding;
    this.holding = undefined;
    if (held && !held.hungUp && held.context().heldBy === this.id) held.change({ type: "unheld" }, "sip");
  }

  tones(toneList: string): void {
    void this.anchorMedia().then((id) => this.host.media.tones(id, toneList)).catch(() => undefined);
  }

  stopTones(): void {
    if (this.media) void this.host.media.stopTones(this.media).catch(() => undefined);
  }

  async musicOnHold(className: string, seconds?: number): Promise<void> {
    if (this.value !== "up") await this.answer();
    const id = await this.anchorMedia();
    void this.host.media.moh(id, className).then((r) => this.mohFailed(className, r.error), () => undefined);
    const stop = () => { void this.host.media.stopPlayback(id).catch(() => undefined); };
    this.signal.addEventListener("abort", stop, { once: true });
    if (seconds !== undefined) { await this.sleep(seconds * 1000); stop(); }
    else await new Promise<void>((_, reject) => this.signal.addEventListener("abort", () => reject(new HangupError()), { once: true }));
  }

  private mohFailed(className: string, error: string | undefined): void {
    if (error) this.log("WARNING", "res_musiconhold.c", `Unable to start music on hold class '${className}' on channel '${this.name}': ${error}`);
  }

  /** Dial m: music on hold to the caller, as early media when it is not answered yet. */
  async startMusicOnHold(className: string): Promise<void> {
    if (this.hungUp) throw new HangupError();
    const id = await this.appMedia("music on hold");
    if (this.value !== "up") this.progress(); // 183 with the SDP of the session just anchored
    this.dialMoh = id;
    void this.host.media.moh(id, className).then((r) => this.mohFailed(className, r.error), () => undefined);
  }

  stopMusicOnHold(): void {
    const id = this.dialMoh;
    this.dialMoh = undefined;
    if (id !== undefined && id === this.media) void this.host.media.stopPlayback(id).catch(() => undefined);
  }

  /**
   * The leg's media session for an application that needs one: an inbound leg not yet
   * answered anchors its media now (answering the caller's offer); an answered leg whose
   * SDP was passed through is re-INVITEd to a session of ours.
   */
  private async appMedia(what: string): Promise<string> {
    if (this.media) return this.media;
    if ((this.direction === "in" && this.remoteSdp) || this.established()) return this.anchorMedia();
    throw new Error(`${this.name} has no media through Recall for ${what} (direct media)`);
  }

  /** Echo(): the media worker sends back what the phone sends until `#` or hang-up. */
  async echo(): Promise<void> {
    if (this.hungUp) throw new HangupError();
    if (this.value !== "up") await this.answer();
    const id = await this.anchorMedia();
    this.digits.length = 0; // only what is pressed during the echo counts
    await this.host.media.echo(id, true);
    try {
      for (;;) if ((await this.readDigit(60_000)) === "#") return;
    } finally {
      if (!this.hungUp && this.media === id) await this.host.media.echo(id, false).catch(() => undefined);
    }
  }

  /** MixMonitor: a recording on the leg's media session, running until stopMixMonitor or the session ends. */
  async startMixMonitor(request: MixMonitorRequest): Promise<MixMonitorStarted> {
    if (this.hungUp) throw new HangupError();
    const session = await this.appMedia("MixMonitor");
    const media = this.host.media;
    const id = `MixMonitor-${this.context().uniqueid}-${++this.recordingCount}`;
    const file = request.file ? media.monitorPath(request.file) : undefined;
    const rxFile = request.rxFile ? media.monitorPath(request.rxFile) : undefined;
    const txFile = request.txFile ? media.monitorPath(request.txFile) : undefined;
    const { done } = await media.record(session, file ?? "", {
      recId: id, ...(rxFile ? { rxPath: rxFile } : {}), ...(txFile ? { txPath: txFile } : {}),
      ...(request.append ? { append: true } : {}), ...(request.bridgedOnly ? { bridgedOnly: true } : {}),
      ...(request.maxSilenceMs ? { maxSilenceMs: request.maxSilenceMs } : {}),
    });
    this.recordings.set(id, session);
    const finished = done.then((r) => {
      this.recordings.delete(id);
      if (r.error) this.log("ERROR", "app_mixmonitor.c", `Cannot write recording ${r.path}: ${r.error}`);
      this.log("VERBOSE", "app_mixmonitor.c", `End MixMonitor Recording ${this.name}`);
      return r;
    });
    this.log("VERBOSE", "app_mixmonitor.c", `Begin MixMonitor Recording ${this.name}`);
    if (this.hungUp) await this.stopMixMonitor(id);
    return { id, ...(file ? { file } : {}), ...(rxFile ? { rxFile } : {}), ...(txFile ? { txFile } : {}), done: finished };
  }

  /** Pauses/resumes or mutes/unmutes one of the leg's recordings; false if it is not running. */
  async controlMixMonitor(id: string, change: { paused?: boolean; muted?: boolean }): Promise<boolean> {
    const session = this.recordings.get(id);
    if (session === undefined) return false;
    await this.host.media.controlRecord(session, id, change);
    return true;
  }

  /** Ends a recording (`id`, or the oldest); `trim` cuts its trailing silence (a recording with silence detection). */
  async stopMixMonitor(id?: string, trim = false): Promise<boolean> {
    const recId = id ?? this.recordings.keys().next().value;
    const session = recId === undefined ? undefined : this.recordings.get(recId);
    if (recId === undefined || session === undefined) return false;
    this.recordings.delete(recId);
    await this.host.media.stopRecord(session, recId, trim).catch(() => undefined);
    return true;
  }

  /**
   * EAGI: what the phone sends, as signed linear 8 kHz 16-bit frames, to `onAudio` until
   * the returned stop is called or the leg hangs up. The leg's media is anchored first.
   */
  async audioTap(onAudio: (pcm: Uint8Array) => void): Promise<() => Promise<void>> {
    if (this.hungUp) throw new HangupError();
    const id = await this.appMedia("EAGI");
    await this.host.media.tap(id, onAudio);
    return () => this.host.media.untap(id);
  }

  /** AudioSocket: the leg's audio to a TCP service and back, until it hangs up (or the leg does). */
  async audioSocket(uuid: string, service: string): Promise<AudioSocketOutcome> {
    if (this.hungUp) throw new HangupError();
    const id = await this.appMedia("AudioSocket");
    const stop = () => { void this.host.media.stopAudioSocket(id).catch(() => undefined); };
    this.signal.addEventListener("abort", stop, { once: true });
    try {
      const r = await this.host.media.audioSocket(id, uuid, service);
      if (this.hungUp) throw new HangupError();
      this.digits.length = 0; // the caller's digits went to the service
      return { status: r.status === "HANGUP" ? "HANGUP" : "ERROR", connected: r.connected, ...(r.error ? { error: r.error } : {}) };
    } finally {
      this.signal.removeEventListener("abort", stop);
    }
  }

  log(level: "VERBOSE" | "NOTICE" | "WARNING" | "ERROR" | "DEBUG", source: string, message: string): void {
    this.host.logger.log(level, source, message);
  }

}

const HUNG_UP = new HangupError();
/** The reason a redirect aborts the run with (waits end as at a hang-up; the executor tells them apart). */
const INTERRUPTED = new HangupError();
