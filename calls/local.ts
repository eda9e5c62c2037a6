/**
 * Local channels (Asterisk's core_local.c): `Local/exten@context[/n]` is a pair of
 * channels sharing one number. `;1` is what the caller dials and gets bridged to; `;2`
 * runs the dialplan at exten@context with the caller's SDP offer. Whichever half ends
 * first takes the other with it. Once both halves are bridged (caller ↔ ;1, ;2 ↔ far
 * party) the pair leaves the path (optimize), unless it was dialled with /n.
 */
import type { Channel } from "./channel.js";
import type { CallCore, NewChannel } from "./core.js";
import type { LegProgress } from "./driver.js";
import { Cause } from "./hangup-causes.js";

/** The two halves of a Local channel: ;1 faces the caller, ;2 runs the dialplan. */
export interface LocalPair { readonly half1: Channel; readonly half2: Channel; readonly noOptimize: boolean }

export interface LocalTarget { readonly exten: string; readonly context: string; readonly noOptimize: boolean }

/** `Local/exten[@context][/n...]` (context `default` when not given), or undefined for another technology. */
export function parseLocal(dialstring: string): LocalTarget | undefined {
  const local = /^Local\/([^@/]+)(?:@([^/]+))?((?:\/[a-z]+)*)$/i.exec(dialstring.trim());
  if (!local) return undefined;
  const flags = local[3].toLowerCase().split("/").filter(Boolean);
  return { exten: local[1], context: local[2] ?? "default", noOptimize: flags.includes("n") };
}

export class LocalChannels {
  /** Local channel pairs by either half. */
  private readonly pairs = new Map<Channel, LocalPair>();
  /** The channel that dialled each `;2`'s pair: whose media a `;2`'s Dial offers or anchors. */
  private readonly callers = new WeakMap<Channel, Channel>();

  constructor(private readonly core: CallCore) {}

  /** The two halves of `Local/exten@context`, sharing one number: `;1` is dialled, `;2` runs the dialplan. */
  pair(local: LocalTarget, fields: NewChannel & { readonly parent?: Channel }): LocalPair {
    const n = this.core.nextNumber();
    const resource = `${local.exten}@${local.context}`;
    const half1 = this.core.createChannel({ local: resource, half: 1, n }, "out", { ...fields, context: local.context, exten: local.exten });
    const half2 = this.core.createChannel({ local: resource, half: 2, n }, "in", {
      callerId: fields.callerId, context: local.context, exten: local.exten,
      ...(fields.linkedid ? { linkedid: fields.linkedid } : {}), ...(fields.vars ? { vars: fields.vars } : {}),
    });
    const pair: LocalPair = { half1, half2, noOptimize: local.noOptimize };
    this.pairs.set(half1, pair);
    this.pairs.set(half2, pair);
    // Whichever half ends first takes the other with it. As core_unreal, ;1 cancelled as answered elsewhere passes
    // that on to ;2, so whatever ;2 dials is cancelled the same way (no missed call on those phones).
    half1.onHangup.add(() => {
      if (half2.hungUp) return;
      const elsewhere = half1.context().hangupCause === Cause.ANSWERED_ELSEWHERE;
      half2.hangup(elsewhere ? Cause.ANSWERED_ELSEWHERE : Cause.NORMAL_CLEARING, half1.context().hangupSource ?? half1.name);
    });
    return pair;
  }

  /**
   * Call the pair as a driver calls a leg: `;2` runs the dialplan, and what it does is
   * what `;1` does for whoever called it: ringing, answered (with `;2`'s media, or its
   * callee's under direct media), or failed with `;2`'s cause (`;1` is hung up with it).
   * Once `;1` is up, `;2` hanging up hangs `;1` up too.
   */
  call(pair: LocalPair, local: LocalTarget, caller: Channel | undefined, on: LegProgress): void {
    const { half1, half2 } = pair;
    half2.onRinging = () => on.ringing();
    half2.onAnswer = () => {
      half1.remoteSdp = half2.media ? half2.localSdp : half2.answerSdpOverride ?? half2.localSdp;
      half1.change({ type: "answer" }, "actor");
      on.answered();
    };
    half2.onHangup.add(() => {
      if (half1.hungUp) return;
      if (half1.state() === "up") { half1.remoteHangup(Cause.NORMAL_CLEARING, half2.context().hangupSource ?? ""); return; }
      const cause = half2.context().hangupCause ?? Cause.NORMAL_CLEARING;
      half1.remoteHangup(cause, half1.name);
      on.failed(cause);
    });
    this.start(pair, local, caller);
  }

  /** Run the dialplan on `;2` with the caller's SDP offer (if any); `;2` is destroyed when it is done. */
  private start(pair: LocalPair, local: LocalTarget, caller: Channel | undefined): void {
    pair.half2.remoteSdp = caller?.remoteSdp;
    if (caller) this.callers.set(pair.half2, caller);
    pair.half1.change({ type: "local.bridge", other: pair.half2.id, optimize: !pair.noOptimize }, "actor");
    pair.half1.change({ type: "dialing" }, "actor");
    this.core.run(pair.half2, { context: local.context, exten: local.exten, priority: 1 }, () => this.pairs.delete(pair.half2));
  }

  /** The channel whose media a call from `channel` would join: through Local pairs, the one that dialled the first. */
  origin(channel: Channel): Channel {
    let origin = channel;
    for (let i = 0; origin.tech === "Local" && i < 8; i++) origin = this.callers.get(origin) ?? origin;
    return origin;
  }

  /** How many Local pairs lie between `channel` and the call that started it, counted up to `limit`. */
  depth(channel: Channel, limit: number): number {
    let n = 0;
    for (let c: Channel | undefined = channel; c && c.tech === "Local" && n < limit; n++) c = this.callers.get(c);
    return n;
  }

  /**
   * A Local pair whose both halves are bridged (caller ↔ ;1, ;2 ↔ far party) leaves the
   * path: the far party moves into the caller's bridge and both halves hang up
   * (LOCAL_OPTIMIZE), unless the pair was dialled with /n.
   */
  optimize(channel: Channel): void {
    const pair = this.pairs.get(channel);
    if (!pair || pair.noOptimize) return;
    const outer = pair.half1.bridge, inner = pair.half2.bridge;
    if (!outer || !inner || pair.half1.hungUp || pair.half2.hungUp) return;
    const far = inner.members.find((m) => m !== pair.half2);
    if (!far) return;
    pair.half1.change({ type: "local.optimize", other: pair.half2.id, peer: far.id }, "actor");
    inner.dissolve(far);
    outer.replace(pair.half1, far);
    this.pairs.delete(pair.half1);
    for (const half of [pair.half1, pair.half2]) half.hangup(Cause.NORMAL_CLEARING, "");
    pair.half1.destroy();
  }
}
