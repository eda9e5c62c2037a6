/**
 * The call core (Asterisk's main/channel.c, bridge.c, dial.c): the live channels,
 * whatever their technology, and what is done with them: Dial (dial.ts), Local channels
 * (local.ts), two-party bridges (bridge.ts), transfers and DTMF features (transfer.ts).
 * Technologies plug in as channel drivers (driver.ts): PJSIP is sip/call/pjsip.ts.
 *
 * Channel names and unique ids follow Asterisk: `<TECH>/<resource>-<8 hex digits>`,
 * `Local/<exten>@<context>-<8 hex digits>;1|2`, `<epoch seconds>.<sequence>`, all
 * counting from the start of this process.
 */
import type { ActorRuntime } from "../actors/runtime.js";
import type { CreateChannelInput } from "../actors/channel/machine.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { Random } from "../core/random.js";
import type { ChannelContext } from "../events/catalogue/channel.js";
import { HangupError, type DialOutcome, type DialRequest } from "./channel-api.js";
import { Channel, type ChannelHost } from "./channel.js";
import { TwoPartyBridge, stayBridged } from "./bridge.js";
import type { ChannelDriver, ChannelSpec, ExtensionPresence, Presence } from "./driver.js";
import { DEFAULT_FEATURES, type FeaturesConfig } from "./features.js";
import { Cause } from "./hangup-causes.js";
import type { CallMedia } from "./media.js";
import { Transfers } from "./transfer.js";
import { LocalChannels } from "./local.js";
import { dial } from "./dial.js";
import { Pickups, type PickupTarget } from "./pickup.js";
import { originate, type OriginateOutcome, type OriginateRequest } from "./originate.js";

export interface CallCoreDeps {
  readonly runtime: ActorRuntime;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly media: CallMedia;
  /** Run the dialplan on a channel from context/exten/priority; resolves when it (and `h`) finished. */
  readonly runDialplan: (channel: Channel, start: DialplanStart) => Promise<void>;
  /** Run one application on a channel (Originate's Application=); without it Originate runs only the dialplan. */
  readonly runApplication?: (channel: Channel, application: string, data: string) => Promise<void>;
  /** features.conf (DTMF transfer codes and timeouts); Asterisk's defaults without it. */
  readonly features?: () => FeaturesConfig;
  /** Whether the dialplan has an extension (transfers ask); "exists" when not given. */
  readonly extensionPresence?: ExtensionPresence;
}

export interface DialplanStart { readonly context: string; readonly exten: string; readonly priority: number }

/** The fields a new channel starts with besides its name. */
export interface NewChannel {
  readonly callerId: { readonly num: string; readonly name: string };
  readonly context: string;
  readonly exten: string;
  readonly dnid?: string;
  readonly linkedid?: string;
  readonly parent?: Channel;
  readonly vars?: Record<string, string>;
  /** The unique id to give it (ARI's channelId); the next `<epoch>.<seq>` when not given. */
  readonly uniqueid?: string;
}

/** One half of a Local channel pair, sharing the pair's number. */
export interface LocalHalf { readonly local: string; readonly half: 1 | 2; readonly n: number }

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

export class CallCore implements ChannelHost {
  private readonly channels = new Map<string, Channel>();
  private readonly drivers = new Map<string, ChannelDriver>();
  private sequence = 0;
  /** Calls (inbound channels) handled since start, for `core show channels`. */
  processed = 0;
  /** Transfers (blind, attended) and the DTMF features of bridged calls. */
  readonly transfers: Transfers;
  /** Local channel pairs. */
  readonly locals: LocalChannels;
  /** Legs ringing for a Dial that another phone may pick up. */
  readonly pickups = new Pickups();

  constructor(private readonly deps: CallCoreDeps) {
    this.transfers = new Transfers({
      runtime: deps.runtime, clock: deps.clock, logger: deps.logger, media: deps.media,
      features: deps.features ?? (() => DEFAULT_FEATURES),
      presence: (context, exten, callerId) => this.presence(context, exten, callerId),
      runDialplan: deps.runDialplan,
      dial: (caller, request) => this.dial(caller, request),
    });
    this.locals = new LocalChannels(this);
  }

  get runtime(): ActorRuntime { return this.deps.runtime; }
  get clock(): Clock { return this.deps.clock; }
  get random(): Random { return this.deps.random; }
  get logger(): Logger { return this.deps.logger; }
  get media(): CallMedia { return this.deps.media; }

  /** A technology's driver: `TECH/...` dial strings go to it. */
  register(driver: ChannelDriver): void { this.drivers.set(driver.tech.toUpperCase(), driver); }
  driver(tech: string): ChannelDriver | undefined { return this.drivers.get(tech.toUpperCase()); }

  /** The next channel number (a Local pair takes one for both halves). */
  nextNumber(): number { return ++this.sequence; }

  /** Live channels, oldest first. */
  list(): Channel[] { return [...this.channels.values()]; }
  byName(name: string): Channel | undefined { return this.list().find((c) => c.name === name); }
  /** The live channel with this unique id (ARI names channels by it). */
  byUniqueid(uniqueid: string): Channel | undefined { return this.channels.get(`channel:${uniqueid}`); }

  /** Whether the dialplan has `exten` in `context` for this caller ("exists" when the core cannot tell). */
  presence(context: string, exten: string, callerId: string): Presence | Promise<Presence> {
    return this.deps.extensionPresence?.(context, exten, this.deps.clock.now(), callerId) ?? "exists";
  }

  /** A new channel actor and its channel: a driver's leg, or one half of a Local channel. */
  createChannel(of: ChannelSpec | LocalHalf, direction: "in" | "out", fields: NewChannel): Channel {
    const local = "local" in of ? of : undefined;
    const spec = "local" in of ? undefined : of;
    const n = local ? local.n : ++this.sequence;
    const seq = local ? ++this.sequence : n;
    const now = this.deps.clock.now();
    const uniqueid = fields.uniqueid ?? `${Math.floor(now / 1e6)}.${seq}`;
    const id = `channel:${uniqueid}`;
    const name = local ? `Local/${local.local}-${hex8(n)};${local.half}` : `${spec!.tech}/${spec!.resource}-${hex8(n)}`;
    const linkedid = fields.linkedid ?? uniqueid;
    const input: CreateChannelInput = {
      source: "sip", type: "create", name, uniqueid, linkedid, tech: spec ? spec.tech : "Local", direction,
      ...(spec?.endpoint ? { endpoint: spec.endpoint } : {}),
      callerId: fields.callerId, context: fields.context, exten: fields.exten,
      ...(spec?.accountcode ? { accountcode: spec.accountcode } : {}),
      ...(fields.vars && Object.keys(fields.vars).length ? { vars: fields.vars } : {}),
      ...(fields.parent ? { parent: fields.parent.id } : {}),
      ...(fields.dnid ? { dnid: fields.dnid } : {}),
    };
    const t = this.deps.runtime.spawn("channel", id, input, { linkedid });
    const channel = new Channel(this, id, name, t.state.context as ChannelContext, direction, spec?.language || "en");
    if (spec?.codecs) channel.codecs = spec.codecs;
    if (spec?.rtp) channel.rtp = spec.rtp;
    if (spec?.origin) channel.origin = spec.origin;
    if (spec?.groups) channel.groups = spec.groups;
    this.channels.set(id, channel);
    return channel;
  }

  /** Run the dialplan on a channel; it is destroyed when the dialplan (and `h`) is done. */
  run(channel: Channel, start: DialplanStart, after?: () => void): void {
    this.deps.runDialplan(channel, start)
      .catch((e) => { if (!(e instanceof HangupError)) this.deps.logger.log("ERROR", "pbx.c", `Dialplan of ${channel.name} failed: ${(e as Error).message}`); })
      .finally(() => { channel.destroy(); after?.(); });
  }

  /** Whether Originate can run an application (runApplication was given). */
  get runsApplications(): boolean { return this.deps.runApplication !== undefined; }

  runApplication(channel: Channel, application: string, data: string): Promise<void> {
    if (!this.deps.runApplication) return Promise.reject(new Error("no application runner"));
    return this.deps.runApplication(channel, application, data);
  }

  /** Call out to a channel and run the dialplan or an application on it once it answers (originate.ts). */
  originate(request: OriginateRequest): Promise<OriginateOutcome> {
    return originate(this, request);
  }

  released(channel: Channel): void {
    this.channels.delete(channel.id);
  }

  dial(caller: Channel, request: DialRequest): Promise<DialOutcome> {
    return dial(this, caller, request);
  }

  /** A bridge was made or got a new member: each driver may move media (direct media, re-INVITEs). */
  joined(bridge: TwoPartyBridge, initial: boolean): void {
    for (const d of this.drivers.values()) d.joined?.(bridge, initial);
  }

  /**
   * The callee answered: answer the caller with the callee's SDP, bridge them, and wait
   * until the caller leaves its bridges (bridge.ts stayBridged, which follows it through
   * Local optimisations and transfers). The far side of whoever hung up is hung up too,
   * named after the one who did; with Dial's g option the caller goes on in the dialplan
   * instead. Resolves with the party the caller was last bridged to.
   */
  async bridgeAnswered(caller: Channel, callee: Channel, request: DialRequest): Promise<Channel> {
    if (!callee.media) caller.answerSdpOverride = callee.remoteSdp;
    if (caller.state() !== "up") await caller.answer().catch(() => undefined);
    const bridge = await this.bridgePair(caller, callee, request.options);
    if (request.onTransfer) bridge.onTransfer = request.onTransfer;
    // F(...): if the caller hangs up, the called party runs the dialplan there instead of being hung up (bridge.ts settle).
    const goOn = request.calleeGoOn;
    if (goOn) callee.afterBridge = () => { callee.pbx = true; this.run(callee, goOn); };
    // L(x[:y][:z]): the call lasts at most x ms; then the called party is hung up and the caller goes on.
    const limitMs = Number((request.options.L ?? "").split(":")[0]);
    let limited = false;
    const limit = limitMs > 0 ? this.deps.clock.schedule(this.deps.clock.now() + limitMs * 1000, () => {
      limited = true;
      caller.bridge?.partner(caller)?.hangup(Cause.NORMAL_CLEARING, caller.name);
    }) : undefined;
    const peer = await stayBridged(caller, bridge, () => limited || "g" in request.options);
    limit?.cancel();
    callee.afterBridge = undefined;
    return peer ?? callee;
  }

  /** Whether `exten` is features.conf's pickupexten: dialling it picks up a call of the caller's pickup groups. */
  isPickupExten(exten: string): boolean {
    const code = (this.deps.features ?? (() => DEFAULT_FEATURES))().general.pickupexten;
    return code !== "" && exten === code;
  }

  /** Pick up the leg `target` names for `picker` (pickup.ts); the leg's name, or undefined. */
  async pickup(picker: Channel, target: PickupTarget): Promise<string | undefined> {
    const leg = this.pickups.find(picker, target);
    if (!leg) return undefined;
    const name = leg.name;
    if (!(await this.pickups.pickup(picker, leg))) return undefined;
    this.deps.logger.log("VERBOSE", "pickup.c", `${picker.name} picked up ${name}`);
    return name;
  }

  /**
   * Put two answered legs in a new bridge: their media joined (the drivers move direct
   * media, `joined`), Local channels optimised away, Dial's DTMF features armed.
   */
  async bridgePair(caller: Channel, callee: Channel, options: Readonly<Record<string, string>> = {}): Promise<TwoPartyBridge> {
    if (callee.media) {
      const media = callee.media;
      // Anchoring the caller may fail too (a Local half nobody dialled has no SDP): the call goes on without media.
      await caller.anchorMedia().then((id) => this.deps.media.bridge(id, media))
        .catch((e: Error) => this.deps.logger.log("WARNING", "bridge.c", `No media between ${caller.name} and ${callee.name}: ${e.message}`));
    }
    const bridge = new TwoPartyBridge(this.deps.runtime, this.deps.random, caller, callee, (b, initial) => this.joined(b, initial));
    for (const m of [...bridge.members]) this.locals.optimize(m);
    this.transfers.bridged(bridge, options);
    return bridge;
  }

  /** Bridge() application: join the caller with another live channel. */
  async bridgeWith(caller: Channel, channelName: string): Promise<DialOutcome> {
    const other = this.byName(channelName);
    if (!other || other.hungUp) return { status: "CHANUNAVAIL" };
    const peer = await this.bridgeAnswered(caller, other, { targets: [], options: {} });
    // Bridge() goes on at its next priority anyway: a place AMI Bridge set when it moved the caller is spent.
    caller.continueAt = undefined;
    return { status: "ANSWER", peerName: peer.name };
  }
}
