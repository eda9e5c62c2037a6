/**
 * The channel driver interface: what the call core (channels, Dial, bridges, Local
 * channels, transfers, Originate) needs from a technology, as Asterisk's core asks
 * `struct ast_channel_tech` (chan_pjsip) for requester, call, answer, indicate, hangup.
 *
 * A driver does two things for the core:
 * - **outbound**: `resolve` turns the resource of a dial string (`6001` of `PJSIP/6001`)
 *   into the legs to call, and `call` places one of them on a channel the core made,
 *   reporting ringing, early media, answer or failure (with a Q.850 cause);
 * - **per channel** (`ChannelSignalling`, set on each channel it carries, inbound or
 *   outbound): answer, ring, early media, refuse, hang up, and moving an established
 *   leg's media to a session of ours (SIP: a re-INVITE).
 *
 * Media descriptions travel through the core as opaque buffers (SDP today): the core
 * never parses them, the media layer (media.ts) is given a codec for them.
 * Inbound calls are the driver's own business: it authenticates, then asks the core for
 * a channel (`CallCore.createChannel`) and runs the dialplan on it (`CallCore.run`).
 */
import type { TwoPartyBridge } from "./bridge.js";
import type { Channel } from "./channel.js";
import type { DescriptionOrigin, LegRtp } from "./media.js";
import type { PickupGroups } from "./pickup.js";

/** Whether the dialplan has an extension: yes, not yet (more digits could match), no. */
export type Presence = "exists" | "more" | "none";
/** Whether the dialplan has `exten` in `context` for this caller, switches asked (maybe over the network). */
export type ExtensionPresence = (context: string, exten: string, now: number, callerId: string) => Presence | Promise<Presence>;

/** What a new channel of a driver is named after and starts with. */
export interface ChannelSpec {
  /**
   * The technology, first part of the name: `PJSIP/<resource>-<8 hex>`. One the channel
   * events know (events/catalogue/channel.ts `tech`): a new driver adds its name there.
   */
  readonly tech: "PJSIP" | "Snoop" | "UnicastRTP" | "AudioSocket";
  /** The resource the name carries (the endpoint). */
  readonly resource: string;
  readonly endpoint?: string;
  readonly accountcode?: string;
  readonly language?: string;
  /** Codecs in preference order, for the channel's media session. */
  readonly codecs?: readonly string[];
  readonly rtp?: LegRtp;
  /** How the channel's media descriptions name themselves (SDP o= user and s=). */
  readonly origin?: DescriptionOrigin;
  /** Call and pickup groups (pickup.ts). */
  readonly groups?: PickupGroups;
}

/** One leg a dial string stands for; a driver may put more in it (its own subtype) and gets it back in `call`. */
export interface OutboundTarget {
  readonly dialstring: string;
  /** The channel to make for it. */
  readonly channel: ChannelSpec;
  /** The context of the new channel (where a transfer of it looks). */
  readonly context: string;
}

/** What a called leg does until it answers or fails. */
export interface LegProgress {
  ringing(): void;
  /** Early media (its description, if any). */
  progress(sdp: Buffer | undefined): void;
  answered(): void;
  /** The leg failed: a Q.850 cause, and the technology's own words for it (`SIP 486 Busy Here`). */
  failed(cause: number, techCause?: string): void;
  /**
   * The called party asked for the call to go elsewhere (a SIP 3xx), just before the leg
   * fails: an extension (dialled as a Local channel in the leg's context) or a dial
   * string `TECH/...`. The dialling application follows it or, asked to, ignores it.
   */
  forwarded?(to: string): void;
}

/** A call placed by a driver, until it is answered. */
export interface PlacedCall {
  /** Stop calling the leg; `cause` (Q.850) says why, e.g. ANSWERED_ELSEWHERE when another leg answered. */
  cancel(cause?: number): void;
}

export interface OutboundCall {
  /** The channel that dials (undefined: Originate, nobody dials). */
  readonly caller: Channel | undefined;
  /** The channel whose media the call's media would join: the caller, or the channel that dialled a Local pair. */
  readonly origin: Channel | undefined;
  readonly callee: Channel;
  readonly target: OutboundTarget;
  /** Dial's options (a driver may offer direct media only without DTMF features). */
  readonly options: Readonly<Record<string, string>>;
}

export interface ChannelDriver {
  /** The technology in dial strings: `PJSIP`. */
  readonly tech: string;
  /** The legs `TECH/<resource>` stands for (a PJSIP endpoint: one per reachable contact), or why there are none. */
  resolve(dialstring: string, resource: string): { targets: OutboundTarget[]; problem?: string };
  /** Place the call of a leg on `callee` (made by the core from `target.channel`). Rejects when it cannot be placed. */
  call(call: OutboundCall, on: LegProgress): Promise<PlacedCall>;
  /** A bridge was made or got a new member: media may have to follow (SIP: re-INVITEs between direct media and Recall). */
  joined?(bridge: TwoPartyBridge, initial: boolean): void;
}

/** A driver's part of one channel: how the core's orders reach the far end. */
export interface ChannelSignalling {
  /**
   * Answer the unanswered inbound call, with our media description (made by `sdp` only when
   * it is needed): once it will answer, it calls `up` (the channel's answer transition) and
   * sends the answer when that is durable (Channel.afterDurable), as it sends all signalling.
   */
  answer(sdp: () => Promise<Buffer>, up: () => void): Promise<void>;
  /** Tell the unanswered caller it rings. */
  ringing(): void;
  /** Early media to the unanswered caller (its description made by `sdp`). */
  earlyMedia(sdp: () => Promise<Buffer | undefined>): Promise<void>;
  /** Refuse the unanswered inbound call with this cause. */
  reject(cause: number): void;
  /** End the answered call from our side. */
  bye(): void;
  /** Answered with media descriptions exchanged: its media moves only by `anchor`. */
  established(): boolean;
  /** Move an established leg's media to a session of ours (and its bridge partner's to one of its own); the session. */
  anchor(): Promise<string>;
  /** The channel is gone: forget it. */
  released(): void;
  /**
   * Send the far end elsewhere (ARI redirect): `resource` is the technology's target (PJSIP:
   * an endpoint, whose contact is used, or a SIP URI). An unanswered inbound call is
   * refused with a redirection (SIP: 302 with the target as Contact); the channel then ends.
   * Throws RedirectError when the target is unknown or the leg cannot be redirected.
   */
  redirect?(resource: string): void;
}

/** Why a redirect could not be done: no such target, or not in a state the technology redirects from. */
export class RedirectError extends Error {
  constructor(readonly reason: "unknown-target" | "invalid-state", message: string) { super(message); }
}
