/**
 * A two-party bridge between call legs, backed by a bridge actor. It ends when either
 * member hangs up (`ended` says who), or is dissolved when a Local channel pair is
 * optimised away and its far member moves into another bridge.
 */
import type { ActorRuntime } from "../../actors/runtime.js";
import { randomHex, type Random } from "../../core/random.js";
import type { SipChannel } from "./channel.js";

export interface BridgeEnd {
  /** The member that hung up, or null when the bridge was dissolved by an optimisation. */
  readonly by: SipChannel | null;
}

export class TwoPartyBridge {
  readonly id: string;
  readonly actor: string;
  /** [the calling side, the called side]. */
  readonly members: SipChannel[];
  readonly ended: Promise<BridgeEnd>;
  private finish!: (end: BridgeEnd) => void;
  private done = false;
  private readonly listeners = new Map<SipChannel, () => void>();

  constructor(private readonly runtime: ActorRuntime, random: Random, caller: SipChannel, callee: SipChannel) {
    this.id = [8, 4, 4, 4, 12].map((n) => randomHex(random, n / 2)).join("-");
    this.actor = `bridge:${this.id}`;
    this.ended = new Promise((resolve) => { this.finish = resolve; });
    this.members = [caller, callee];
    runtime.spawn("bridge", this.actor, { source: "dialplan", type: "create", id: this.id, technology: "simple_bridge", name: "" }, { linkedid: caller.context().linkedid });
    // Asterisk's order: the called channel enters first, then the caller with it as peer.
    this.enter(callee, caller);
    this.enter(caller, callee);
  }

  get caller(): SipChannel { return this.members[0]; }
  get callee(): SipChannel { return this.members[1]; }

  private enter(channel: SipChannel, peer: SipChannel): void {
    this.runtime.send(this.actor, { source: "dialplan", type: "enter", channel: channel.id });
    channel.change({ type: "bridge.enter", bridge: this.id, peer: peer.id });
    channel.bridge = this;
    const listener = () => this.end({ by: channel });
    this.listeners.set(channel, listener);
    channel.onHangup.add(listener);
    if (channel.hungUp) listener();
  }

  private exit(channel: SipChannel): void {
    const listener = this.listeners.get(channel);
    if (listener) channel.onHangup.delete(listener);
    this.listeners.delete(channel);
    channel.change({ type: "bridge.exit", bridge: this.id });
    this.runtime.send(this.actor, { source: "dialplan", type: "leave", channel: channel.id });
    if (channel.bridge === this) channel.bridge = undefined;
  }

  private end(end: BridgeEnd): void {
    if (this.done) return;
    this.done = true;
    for (const m of this.members) this.exit(m);
    this.runtime.send(this.actor, { source: "dialplan", type: "destroy" });
    this.finish(end);
  }

  /** Put `next` in place of `old` (a Local half optimised out): old leaves, next enters. */
  replace(old: SipChannel, next: SipChannel): void {
    const i = this.members.indexOf(old);
    if (i < 0 || this.done) return;
    this.exit(old);
    this.members[i] = next;
    this.enter(next, this.members[1 - i]);
  }

  /** Let `keep` go (it moves elsewhere) and end the bridge without a hang-up. */
  dissolve(keep: SipChannel): void {
    if (this.done) return;
    this.exit(keep);
    this.members.splice(this.members.indexOf(keep), 1);
    this.end({ by: null });
  }
}
