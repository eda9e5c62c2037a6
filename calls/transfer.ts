/**
 * Call transfers, as Asterisk's bridge features (bridge_basic.c) do them:
 *
 * - **blind** and **attended** transfers of a bridged call, which a driver's own
 *   transfer requests use too (SIP REFER: sip/call/refer.ts);
 * - **DTMF features** of bridged calls (features.conf, enabled per side by Dial's t/T):
 *   `blindxfer` collects the target (transferdigittimeout per digit,
 *   transferdialattempts tries) and transfers blind; `atxfer` collects it, steps the
 *   transferer out of the call (the transferee hears music on hold) and dials the
 *   target through `Local/EXT@context`; the transfer completes when the transferer
 *   hangs up or presses atxfercomplete, atxferabort or a failed call brings the
 *   transferer back. `disconnect` (h/H) hangs up the one who pressed it.
 *
 * Every step is a logged input: `transfer.blind` / `transfer.attended` on the
 * transferer's channel, then bridge exits and enters, linkedid and hang-ups.
 */
import type { ActorRuntime } from "../actors/runtime.js";
import type { Clock, Timer } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { DialOutcome, DialRequest } from "./channel-api.js";
import { HangupError } from "./channel-api.js";
import { DEFAULT_FEATURES, featuresFromDialOptions, matchFeature, type FeatureName, type FeaturesConfig } from "./features.js";
import { Cause } from "./hangup-causes.js";
import { bareName } from "./variables.js";
import { holdBridge, type TwoPartyBridge } from "./bridge.js";
import type { Channel } from "./channel.js";
import type { Presence } from "./driver.js";
import type { CallMedia } from "./media.js";


/** What transfers need of the call core (core.ts builds it). */
export interface TransferHost {
  readonly runtime: ActorRuntime;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly media: CallMedia;
  features(): FeaturesConfig;
  /** Whether `exten` is in `context` (switches asked); "exists" when the call layer cannot tell. */
  presence(context: string, exten: string, callerId: string): Presence | Promise<Presence>;
  runDialplan(channel: Channel, start: { context: string; exten: string; priority: number }): Promise<void>;
  dial(caller: Channel, request: DialRequest): Promise<DialOutcome>;
}

/** Who asked for a transfer: a driver's request (SIP REFER), or DTMF features. */
export type TransferSource = "sip" | "dtmf" | "ami";
type Source = TransferSource;

/** A channel variable, stored with or without its inheritance prefix. */
export function channelVariable(channel: Channel, name: string): string | undefined {
  const vars = channel.context().vars;
  if (vars[name] !== undefined) return vars[name];
  for (const [k, v] of Object.entries(vars)) if (bareName(k) === name) return v;
  return undefined;
}

/** `1716710000.12` → [1716710000, 12], to find the older of two linkedids. */
function linkedidOrder(id: string): [number, number] {
  const [s, n] = id.split(".");
  return [Number(s) || 0, Number(n) || 0];
}

function older(a: string, b: string): string {
  const [as, an] = linkedidOrder(a), [bs, bn] = linkedidOrder(b);
  return as < bs || (as === bs && an <= bn) ? a : b;
}

/** DTMF feature detection on one bridged leg: the features its Dial enabled, and what the digits are doing now. */
class FeatureWatch {
  private buffer = "";
  private timer: Timer | undefined;
  /** While a feature runs (collecting a target, consulting): the digits go here instead. */
  route: ((digit: string) => boolean) | undefined;
  busy = false;

  constructor(private readonly transfers: Transfers, readonly channel: Channel, readonly features: readonly FeatureName[]) {}

  digit(d: string): boolean {
    if (this.route) return this.route(d);
    if (this.busy || !this.channel.bridge || this.channel.hungUp) return false;
    const config = this.transfers.config();
    const codes = new Map(this.features.map((f) => [f, config.featuremap[f]] as const));
    this.timer?.cancel();
    this.timer = undefined;
    let m = matchFeature(this.buffer + d, codes);
    if (m.kind === "none" && this.buffer !== "") {
      // The earlier digits were no feature after all: start again from this one.
      this.buffer = "";
      m = matchFeature(d, codes);
    }
    switch (m.kind) {
      case "none":
        this.buffer = "";
        return false;
      case "match":
        this.buffer = "";
        this.transfers.runFeature(this, m.feature);
        return true;
      case "ambiguous":
      case "prefix": {
        this.buffer += d;
        const feature = m.kind === "ambiguous" ? m.feature : undefined;
        this.timer = this.transfers.after(config.general.featuredigittimeout, () => {
          this.timer = undefined;
          this.buffer = "";
          if (feature) this.transfers.runFeature(this, feature);
        });
        return true;
      }
    }
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.buffer = "";
    if (this.channel.onDigit === this.handler) this.channel.onDigit = undefined;
  }

  readonly handler = (d: string): boolean => this.digit(d);
}

export class Transfers {
  private readonly watches = new Map<Channel, FeatureWatch>();

  constructor(private readonly host: TransferHost) {}

  config(): FeaturesConfig { return this.host.features?.() ?? DEFAULT_FEATURES; }

  after(ms: number, fn: () => void): Timer {
    return this.host.clock.schedule(this.host.clock.now() + ms * 1000, fn);
  }

  private log(level: "VERBOSE" | "NOTICE" | "WARNING" | "ERROR", source: string, message: string): void {
    this.host.logger.log(level, source, message);
  }

  // ---- hooks from the call core (core.ts, dial.ts) ----

  /** Dial bridged two legs: arm the DTMF features its options enable (t/T, h/H, ...). */
  bridged(bridge: TwoPartyBridge, options: Readonly<Record<string, string>>): void {
    const { caller, callee } = featuresFromDialOptions(options);
    if (caller.length && bridge.members[0]) this.arm(bridge.members[0], caller);
    if (callee.length && bridge.members[1]) this.arm(bridge.members[1], callee);
  }

  /** What Dial returns for a caller blind-transferred while in it: go on there. */
  continuation(channel: Channel): { next?: { goto: string } } {
    const at = channel.continueAt;
    if (!at) return {};
    channel.continueAt = undefined;
    return { next: { goto: `${at.context},${at.exten},${at.priority}` } };
  }

  private arm(channel: Channel, features: readonly FeatureName[]): void {
    this.watches.get(channel)?.stop();
    const watch = new FeatureWatch(this, channel, features);
    this.watches.set(channel, watch);
    channel.onDigit = watch.handler;
    channel.onHangup.add(() => { watch.stop(); if (this.watches.get(channel) === watch) this.watches.delete(channel); });
  }

  private disarm(channel: Channel): void {
    const watch = this.watches.get(channel);
    if (!watch) return;
    watch.stop();
    this.watches.delete(channel);
  }

  // ---- the transfers themselves ----

  /**
   * Blind transfer: `transferer`'s bridge partner goes to exten@context, the bridge is
   * dissolved. The caller says what becomes of the transferer. False when it is not in
   * a two-party bridge with a live partner.
   */
  blind(transferer: Channel, exten: string, context: string, vars: Record<string, string>, source: Source): boolean {
    const bridge = transferer.bridge;
    const transferee = bridge?.partner(transferer);
    if (!bridge || !transferee || transferee.hungUp) return false;
    this.log("VERBOSE", "bridge_basic.c", `Channel ${transferer.name}: Blind transferring ${transferee.name} to '${exten}@${context}'`);
    transferer.change({ type: "transfer.blind", exten, context, bridge: bridge.id, transferee: transferee.id }, source);
    bridge.onTransfer?.({ kind: "blind", exten, context });
    transferee.setVariable("BLINDTRANSFER", transferer.name);
    if (channelVariable(transferee, "ATTENDEDTRANSFER") !== undefined) transferee.setVariable("ATTENDEDTRANSFER", "");
    for (const [k, v] of Object.entries(vars)) transferee.setVariable(k, v);
    this.disarm(transferer);
    this.disarm(transferee);
    this.unhold(transferee, false);
    if (transferee.media) void this.host.media.unbridge(transferee.media).catch(() => undefined);
    bridge.release();
    if (transferee.bridgeWaits > 0) transferee.continueAt = { context, exten, priority: 1 }; // its Dial returns there
    else this.startDialplan(transferee, { context, exten, priority: 1 });
    return true;
  }

  /**
   * Attended transfer (a swap): the party `second` talks to takes `first`'s place beside
   * `first`'s partner, and joins that call's linkedid (the older one wins, as Asterisk's
   * bridges do). The caller says what becomes of the transferer's legs.
   */
  attended(first: Channel, second: Channel, source: Source): boolean {
    const bridge1 = first.bridge, bridge2 = second.bridge;
    const transferee = bridge1?.partner(first), target = bridge2?.partner(second);
    if (!bridge1 || !bridge2 || bridge1 === bridge2 || !transferee || !target || transferee.hungUp || target.hungUp) return false;
    this.complete(first, bridge1, transferee, second, bridge2, target, source);
    return true;
  }

  private complete(first: Channel, bridge1: TwoPartyBridge, transferee: Channel, second: Channel, bridge2: TwoPartyBridge, target: Channel, source: Source): void {
    this.log("VERBOSE", "bridge_basic.c", `Channel ${first.name}: Attended transfer of ${transferee.name} to ${target.name}`);
    first.change({
      type: "transfer.attended", bridge1: bridge1.id, bridge2: bridge2.id, channel2: second.id, transferee: transferee.id, target: target.id,
    }, source);
    for (const party of [transferee, target]) {
      party.setVariable("ATTENDEDTRANSFER", first.name);
      if (channelVariable(party, "BLINDTRANSFER") !== undefined) party.setVariable("BLINDTRANSFER", "");
    }
    this.disarm(first);
    if (second !== first) this.disarm(second);
    bridge2.dissolve(target);
    const linkedid = older(transferee.context().linkedid, target.context().linkedid);
    for (const party of [transferee, target]) if (party.context().linkedid !== linkedid) party.change({ type: "linkedid", linkedid }, "actor");
    if (bridge1.members.includes(first)) bridge1.replace(first, target);
    else bridge1.attach(target);
    this.unhold(transferee, false);
    if (transferee.media && target.media) {
      void this.host.media.bridge(transferee.media, target.media).catch((e: Error) => this.log("WARNING", "bridge.c", `No media between ${transferee.name} and ${target.name}: ${e.message}`));
    }
    // Nobody's dialplan may wait on the joined call (both are called legs): hold it, so it is tidied up when it ends.
    holdBridge(bridge1);
    for (const b of [bridge1, bridge2]) b.onTransfer?.({ kind: "attended", bridge: bridge1.id });
  }

  /** The transferer's leg after a transfer: hung up (BYE), and destroyed unless a dialplan of its own does it. */
  leave(channel: Channel, by = channel.name): void {
    channel.hangup(Cause.NORMAL_CLEARING, by);
    if (!channel.pbx) channel.destroy();
  }

  /** A called leg sent to the dialplan by a transfer: it runs a dialplan of its own from now on. */
  private startDialplan(channel: Channel, start: { context: string; exten: string; priority: number }): void {
    channel.pbx = true;
    this.host.runDialplan(channel, start)
      .catch((e) => { if (!(e instanceof HangupError)) this.log("ERROR", "pbx.c", `Dialplan of ${channel.name} failed: ${(e as Error).message}`); })
      .finally(() => channel.destroy());
  }

  // ---- DTMF features ----

  runFeature(watch: FeatureWatch, feature: FeatureName): void {
    const channel = watch.channel;
    switch (feature) {
      case "blindxfer": void this.featureTransfer(watch, "blind").catch((e: Error) => this.featureFailed(watch, e)); return;
      case "atxfer": void this.featureTransfer(watch, "attended").catch((e: Error) => this.featureFailed(watch, e)); return;
      case "disconnect": channel.hangup(Cause.NORMAL_CLEARING, channel.name); return;
      default: this.log("NOTICE", "features.c", `Feature '${feature}' pressed on ${channel.name} is not available in Recall yet`);
    }
  }

  /**
   * AMI Atxfer: start an attended transfer for `transferer` as if it had pressed atxfer
   * and dialled `exten` (in `context`, else its transfer context): its partner hears
   * music on hold while it consults the target; hanging up completes the transfer,
   * atxferabort (or the target not answering) brings it back. An error text when it cannot.
   */
  attendedTo(transferer: Channel, exten: string, context?: string): string | undefined {
    const bridge = transferer.bridge;
    const transferee = bridge?.partner(transferer);
    if (!bridge || !transferee) return "Channel specified is not in a bridge";
    if (!this.watches.has(transferer)) this.arm(transferer, []);
    const watch = this.watches.get(transferer)!;
    if (watch.busy) return "A transfer is already in progress on this channel";
    watch.busy = true;
    this.hold(transferee, bridge);
    void this.consult(watch, bridge, transferee, exten, context ?? this.featureContext(transferer)).catch((e: Error) => this.featureFailed(watch, e));
    return undefined;
  }

  private featureFailed(watch: FeatureWatch, e: Error): void {
    watch.busy = false;
    watch.route = undefined;
    if (!(e instanceof HangupError)) this.log("WARNING", "bridge_basic.c", `Transfer by ${watch.channel.name} failed: ${e.message}`);
  }

  /** TRANSFER_CONTEXT, else the transferer's own context, else "default" (bridge_basic.c get_transfer_context). */
  private featureContext(channel: Channel): string {
    return channelVariable(channel, "TRANSFER_CONTEXT") || channel.context().context || "default";
  }

  /** The transferer pressed blindxfer/atxfer: collect the target, then transfer. */
  private async featureTransfer(watch: FeatureWatch, kind: "blind" | "attended"): Promise<void> {
    const transferer = watch.channel;
    const bridge = transferer.bridge;
    const transferee = bridge?.partner(transferer);
    if (!bridge || !transferee) return;
    const { general } = this.config();
    const context = this.featureContext(transferer);
    watch.busy = true;
    this.hold(transferee, bridge);
    this.prompt(transferer, "pbx-transfer");
    let exten: string | undefined;
    for (let attempt = 1; attempt <= Math.max(1, general.transferdialattempts); attempt++) {
      const dialled = await this.collect(watch, context, general.transferdigittimeout * 1000, bridge);
      if (dialled === undefined || dialled === "") break; // hung up, call over, or nothing dialled
      if (await this.host.presence(context, dialled, transferer.context().callerId.num) === "exists") { exten = dialled; break; }
      this.log("VERBOSE", "bridge_basic.c", `Channel ${transferer.name}: Extension '${dialled}' does not exist in context '${context}'`);
      this.prompt(transferer, attempt < general.transferdialattempts ? general.transferretrysound : general.transferinvalidsound);
    }
    if (exten === undefined || transferer.hungUp || !bridge.active || transferer.bridge !== bridge) {
      watch.busy = false;
      if (bridge.active && !transferee.hungUp) this.unhold(transferee, true);
      return;
    }
    if (kind === "blind") {
      this.blind(transferer, exten, context, {}, "dtmf");
      // A called leg is hung up; a caller's Dial returns and its `g` option says whether it goes on (app_dial).
      if (!transferer.pbx) this.leave(transferer);
      return;
    }
    await this.consult(watch, bridge, transferee, exten, context);
  }

  /**
   * atxfer: the transferer steps out of bridge 1 and calls the target through
   * Local/exten@context (bridge 2). Hanging up (or atxfercomplete) once the target
   * answered completes the transfer; atxferabort, no answer or the target hanging up
   * brings the transferer back to the transferee.
   */
  private async consult(watch: FeatureWatch, bridge1: TwoPartyBridge, transferee: Channel, exten: string, context: string): Promise<void> {
    const transferer = watch.channel;
    const { general } = this.config();
    let release!: () => void;
    const hold = new Promise<void>((resolve) => { release = resolve; });
    bridge1.detach(transferer, hold);
    holdBridge(bridge1); // the transferee alone may hang up meanwhile
    let completed = false;
    const consultation = (): { bridge2: TwoPartyBridge; target: Channel } | undefined => {
      const bridge2 = transferer.bridge;
      const target = bridge2?.partner(transferer);
      return bridge2 && bridge2 !== bridge1 && target && !target.hungUp ? { bridge2, target } : undefined;
    };
    const completeNow = (): boolean => {
      const c = consultation();
      if (completed || !c || !bridge1.active || transferee.hungUp) return false;
      completed = true;
      this.complete(transferer, bridge1, transferee, transferer, c.bridge2, c.target, "dtmf");
      return true;
    };
    // Runs before the consultation bridge's own hang-up listener: the target moves instead of being hung up.
    const onHangup = () => { completeNow(); };
    transferer.onHangup.add(onHangup);
    const cancel = new AbortController();
    const codes = new Map([["abort", general.atxferabort], ["complete", general.atxfercomplete]] as const);
    let pressed = "";
    watch.route = (d) => {
      const m = matchFeature(pressed + d, codes);
      pressed = m.kind === "prefix" ? pressed + d : "";
      if (m.kind === "match" || m.kind === "ambiguous") {
        if (m.feature === "abort") {
          const c = consultation();
          if (c) c.target.hangup(Cause.NORMAL_CLEARING, transferer.name); else cancel.abort();
        } else if (completeNow()) {
          transferer.hangup(Cause.NORMAL_CLEARING, transferer.name);
        }
      }
      return m.kind !== "none";
    };
    try {
      await this.host.dial(transferer, {
        targets: [{ dialstring: `Local/${exten}@${context}` }], timeout: general.atxfernoanswertimeout, options: { g: "" }, signal: cancel.signal,
      });
    } finally {
      transferer.onHangup.delete(onHangup);
      watch.route = undefined;
      watch.busy = false;
    }
    if (completed) {
      if (!transferer.hungUp) transferer.hangup(Cause.NORMAL_CLEARING, transferer.name);
      if (!transferer.pbx) transferer.destroy();
    } else if (transferer.hungUp) {
      // Hung up before the target answered: no blonde transfer here, the call ends.
      if (bridge1.active && !transferee.hungUp) transferee.hangup(Cause.NORMAL_CLEARING, transferer.name);
      if (!transferer.pbx) transferer.destroy();
    } else if (bridge1.active && !transferee.hungUp) {
      this.prompt(transferer, general.xferfailsound);
      bridge1.attach(transferer);
      this.unhold(transferee, true);
    } else {
      // The transferee left meanwhile: nobody to go back to.
      transferer.hangup(Cause.NORMAL_CLEARING, transferee.name);
      if (!transferer.pbx) transferer.destroy();
    }
    release();
  }

  /**
   * Digits of a transfer target, as ast_app_dtget collects them: each within
   * `timeoutMs`, until the dialplan has the number and nothing longer could match.
   * Resolves with what was dialled ("" if nothing), or undefined when the transferer
   * hung up or the call ended meanwhile.
   */
  private collect(watch: FeatureWatch, context: string, timeoutMs: number, bridge: TwoPartyBridge): Promise<string | undefined> {
    const channel = watch.channel;
    return new Promise((resolve) => {
      let digits = "";
      let timer: Timer | undefined;
      let settled = false;
      const done = (value: string | undefined) => {
        if (settled) return;
        settled = true;
        timer?.cancel();
        watch.route = undefined;
        channel.onHangup.delete(gone);
        resolve(value);
      };
      const gone = () => done(undefined);
      channel.onHangup.add(gone);
      void bridge.ended.then(() => done(undefined));
      const wait = () => { timer?.cancel(); timer = this.after(timeoutMs, () => done(digits)); };
      watch.route = (d) => {
        if (channel.media) void this.host.media.stopPlayback(channel.media).catch(() => undefined);
        digits += d;
        const asked = digits;
        wait();
        void Promise.resolve(this.host.presence(context, asked, channel.context().callerId.num)).then((p) => {
          if (p !== "more" && digits === asked) done(asked);
        });
        return true;
      };
      wait();
    });
  }

  /** Media operations on a leg run one after another (hold, then unhold, never the other way round). */
  private readonly mediaQueue = new WeakMap<Channel, Promise<unknown>>();

  private queueMedia(channel: Channel, op: (media: string) => Promise<unknown> | undefined, anchor = false): void {
    const before = this.mediaQueue.get(channel) ?? Promise.resolve();
    const next = before.then(async () => {
      const media = channel.media ?? (anchor ? await this.anchored(channel) : undefined);
      return media ? op(media) : undefined;
    }).catch(() => undefined);
    this.mediaQueue.set(channel, next);
  }

  /**
   * The media session of an answered leg of a driver, made now if its media went directly
   * to its partner's phone: both are re-INVITEd (SIP) to Recall, as Asterisk re-INVITEs a party
   * it puts on hold out of a direct-media bridge (undefined if that failed).
   */
  private anchored(channel: Channel): Promise<string | undefined> {
    if (channel.media) return Promise.resolve(channel.media);
    if (!channel.signalling || channel.state() !== "up" || channel.hungUp) return Promise.resolve(undefined);
    return channel.anchorMedia().catch(() => undefined);
  }

  /** The transferee waits: its media leaves the transferer's and hears music on hold (through Recall, re-INVITEd there if need be). */
  private hold(transferee: Channel, bridge: TwoPartyBridge): void {
    this.queueMedia(transferee, async (media) => {
      await this.host.media.unbridge(media);
      // Resolves only when the music stops: started, not awaited (the worker keeps the order of commands).
      if (bridge.active && !transferee.hungUp) void this.host.media.moh(media).catch(() => undefined);
    }, true);
  }

  /** Music on hold off; with `rebridge`, the transferee's media is joined again to its bridge partner's. */
  private unhold(transferee: Channel, rebridge: boolean): void {
    if (!transferee.media) return;
    this.queueMedia(transferee, async (media) => {
      await this.host.media.stopPlayback(media);
      const partner = transferee.bridge?.partner(transferee);
      if (rebridge && partner?.media) await this.host.media.bridge(media, partner.media);
    });
  }

  /** A prompt to a leg (its media re-INVITEd to Recall first if it went directly to its partner's phone). */
  private prompt(channel: Channel, sound: string): void {
    if (!sound) return;
    void this.anchored(channel).then((media) => (media ? this.host.media.play(media, [sound], { language: channel.language }) : undefined)).catch(() => undefined);
  }
}
