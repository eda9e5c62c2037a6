/**
 * A two-party bridge between call legs, backed by a bridge actor. It ends when a
 * member hangs up (`ended` says who), or is dissolved when its members move elsewhere:
 * a Local channel pair optimised away, or a transfer (transfer.ts).
 *
 * Who tidies up when a bridge ends: a leg whose dialplan is blocked in Dial/Bridge
 * waits in `stayBridged` (a *waiter*) and follows the leg into any bridge it is moved
 * to. At the end, each waiter deals with its own leg, and one party (the first waiter
 * among the members, else whoever holds the bridge, see `settle`) hangs up and
 * destroys the members nobody waits for: the called legs, which have no dialplan.
 */
import type { ActorRuntime } from "../actors/runtime.js";
import { randomHex, type Random } from "../core/random.js";
import type { Channel } from "./channel.js";
import type { BridgeTransfer } from "./channel-api.js";

export interface BridgeEnd {
  /** The member that hung up, or null when the bridge was dissolved (its members moved elsewhere). */
  readonly by: Channel | null;
  /** The members at the end, in slot order. */
  readonly members: readonly Channel[];
  /** Members whose dialplan waited on them at the end (stayBridged): each deals with its own leg. */
  readonly waiters: ReadonlySet<Channel>;
  /** The first of them: it settles the others (null: nobody waits, whoever holds the bridge does). */
  readonly handler: Channel | null;
  /** A transfer took the channel out for a while (detach): its waiter waits for this, then follows it. */
  readonly hold?: Promise<void>;
}

const NOBODY: ReadonlySet<Channel> = new Set();

export class TwoPartyBridge {
  readonly id: string;
  readonly actor: string;
  /** [the calling side, the called side] (one of them may be empty during an attended transfer). */
  readonly members: Channel[];
  readonly ended: Promise<BridgeEnd>;
  private finish!: (end: BridgeEnd) => void;
  private done = false;
  private readonly listeners = new Map<Channel, () => void>();
  /** Why each channel that was a member left (a waiter may ask after the fact). */
  private readonly departures = new Map<Channel, BridgeEnd>();
  private readonly waiting = new Map<Channel, (end: BridgeEnd) => void>();
  /** Told when a transfer takes the call out of (blind) or into (attended) this bridge: the Dial that made it may log it. */
  onTransfer?: (t: BridgeTransfer) => void;

  /**
   * `joined` hears of every pairing: the two first members (`initial`), and each later
   * one that enters beside a member (replace, attach), so media can follow (reinvite.ts).
   */
  constructor(private readonly runtime: ActorRuntime, random: Random, caller: Channel, callee: Channel,
    private readonly joined?: (bridge: TwoPartyBridge, initial: boolean) => void) {
    this.id = [8, 4, 4, 4, 12].map((n) => randomHex(random, n / 2)).join("-");
    this.actor = `bridge:${this.id}`;
    this.ended = new Promise((resolve) => { this.finish = resolve; });
    this.members = [caller, callee];
    runtime.spawn("bridge", this.actor, { source: "dialplan", type: "create", id: this.id, technology: "simple_bridge", name: "" }, { linkedid: caller.context().linkedid });
    // Asterisk's order: the called channel enters first, then the caller with it as peer.
    this.enter(callee, caller);
    this.enter(caller, callee);
    if (!this.done) this.joined?.(this, true);
  }

  get caller(): Channel { return this.members[0]; }
  get callee(): Channel { return this.members[1]; }
  get active(): boolean { return !this.done; }

  /** The other member of `channel`'s bridge, if any. */
  partner(channel: Channel): Channel | undefined {
    return this.members.find((m) => m !== channel);
  }

  /** Resolves when `channel` leaves the bridge: with who hung up if the bridge ended so, else `by: null`. */
  left(channel: Channel): Promise<BridgeEnd> {
    const gone = this.departures.get(channel);
    if (gone) return Promise.resolve(gone);
    return new Promise((resolve) => this.waiting.set(channel, resolve));
  }

  private enter(channel: Channel, peer: Channel | undefined): void {
    this.departures.delete(channel);
    this.runtime.send(this.actor, { source: "dialplan", type: "enter", channel: channel.id });
    channel.change({ type: "bridge.enter", bridge: this.id, ...(peer ? { peer: peer.id } : {}) });
    channel.bridge = this;
    const listener = () => this.end(channel);
    this.listeners.set(channel, listener);
    channel.onHangup.add(listener);
    if (channel.hungUp) listener();
  }

  private exit(channel: Channel, end: BridgeEnd): void {
    const listener = this.listeners.get(channel);
    if (listener) channel.onHangup.delete(listener);
    this.listeners.delete(channel);
    channel.change({ type: "bridge.exit", bridge: this.id });
    this.runtime.send(this.actor, { source: "dialplan", type: "leave", channel: channel.id });
    if (channel.bridge === this) channel.bridge = undefined;
    this.departures.set(channel, end);
    const waiter = this.waiting.get(channel);
    this.waiting.delete(channel);
    waiter?.(end);
  }

  private dissolved(): BridgeEnd {
    return { by: null, members: [...this.members], waiters: NOBODY, handler: null };
  }

  /** A member hung up: everyone leaves, the bridge is destroyed. */
  private end(by: Channel | null): BridgeEnd | undefined {
    if (this.done) return undefined;
    this.done = true;
    const members = [...this.members];
    const waiters = new Set(members.filter((m) => m.bridgeWaits > 0));
    const end: BridgeEnd = { by, members, waiters, handler: members.find((m) => waiters.has(m)) ?? null };
    for (const m of members) this.exit(m, end);
    this.runtime.send(this.actor, { source: "dialplan", type: "destroy" });
    this.finish(end);
    return end;
  }

  /** Put `next` in place of `old` (a Local half optimised out, a transfer target): old leaves, next enters. */
  replace(old: Channel, next: Channel): void {
    const i = this.members.indexOf(old);
    if (i < 0 || this.done) return;
    this.exit(old, this.dissolved());
    this.members[i] = next;
    this.enter(next, this.members[1 - i]);
    if (!this.done && this.members.length === 2) this.joined?.(this, false);
  }

  /** Let `keep` go (it moves elsewhere) and end the bridge without a hang-up. */
  dissolve(keep: Channel): void {
    if (this.done) return;
    this.exit(keep, this.dissolved());
    this.members.splice(this.members.indexOf(keep), 1);
    this.end(null);
  }

  /**
   * `channel` is taken into another bridge (AMI Bridge; Asterisk's bridge_move): it
   * leaves, its waiter waits for `moved` and follows it, and the bridge dissolves for the
   * partner left behind as if `channel` had hung up (a Dial caller goes on only with g; a
   * called leg is hung up), as Asterisk dissolves a basic bridge left with one channel.
   */
  steal(channel: Channel, moved: Promise<void>): void {
    const i = this.members.indexOf(channel);
    if (i < 0 || this.done) return;
    this.exit(channel, { ...this.dissolved(), hold: moved });
    this.members.splice(i, 1);
    const end = this.end(channel);
    if (end && !end.handler) settle(end);
  }

  /** Everyone leaves without a hang-up (a blind transfer sends them elsewhere); the bridge is destroyed. */
  release(): void {
    this.end(null);
  }

  /**
   * `channel` steps out (an attended transfer's consultation) and the bridge stays, with
   * its partner alone. A Dial waiting on the channel waits for `hold`, then follows it.
   */
  detach(channel: Channel, hold?: Promise<void>): void {
    const i = this.members.indexOf(channel);
    if (i < 0 || this.done) return;
    this.exit(channel, { ...this.dissolved(), ...(hold ? { hold } : {}) });
    this.members.splice(i, 1);
  }

  /** A channel takes the empty place of a detached one (the transferer back, or the transfer target). */
  attach(channel: Channel): void {
    if (this.done || this.members.includes(channel) || this.members.length >= 2) return;
    const peer = this.members[0];
    this.members.push(channel);
    this.enter(channel, peer);
    if (!this.done) this.joined?.(this, false);
  }
}

/**
 * Hang up and destroy the members of an ended bridge that no dialplan waits for
 * (called legs), and destroy the one that hung up if nobody waits for it; members with
 * a dialplan of their own are hung up and left to it. Done by `end.handler`, or by
 * whoever holds the bridge when it has no handler.
 */
export function settle(end: BridgeEnd): void {
  const by = end.by;
  if (!by) return;
  const source = by.context().hangupSource ?? by.name;
  for (const m of end.members) {
    if (end.waiters.has(m)) continue;
    if (m !== by && m.afterBridge && !m.hungUp) {
      // Dial's or Queue()'s F: this party goes on in the dialplan.
      const goOn = m.afterBridge;
      m.afterBridge = undefined;
      goOn();
      continue;
    }
    if (m !== by) m.hangup(16, source);
    if (!m.pbx) m.destroy();
  }
}

/**
 * A leg whose dialplan is in Dial or Bridge stays there while it is bridged: across a
 * Local optimisation or a transfer that moves it into another bridge, and while a
 * transfer holds it out of its bridge (`BridgeEnd.hold`). Resolves with its last partner once it
 * leaves for good: the bridge ended (settled here when it is the handler; the leg
 * itself is hung up when its partner hung up, unless `goOn` says the dialplan goes
 * on or `continueAt` says where), or it was sent elsewhere (a blind transfer; then `continueAt` says where).
 */
export async function stayBridged(channel: Channel, bridge: TwoPartyBridge, goOn: () => boolean): Promise<Channel | undefined> {
  channel.bridgeWaits++;
  let partner = bridge.partner(channel);
  try {
    for (;;) {
      const end = await bridge.left(channel);
      partner = end.members.find((m) => m !== channel) ?? partner;
      if (end.by === null) {
        if (end.hold && !channel.hungUp) await end.hold;
        if (channel.bridge && channel.bridge !== bridge && !channel.hungUp) {
          bridge = channel.bridge;
          partner = bridge.partner(channel) ?? partner;
          continue;
        }
        return partner;
      }
      if (end.handler === channel) settle(end);
      // A leg with a place to go on (continueAt: moved by AMI Bridge, Asterisk's after-bridge goto) is not hung up.
      if (end.by !== channel && !goOn() && !channel.continueAt) channel.hangup(16, end.by.context().hangupSource ?? end.by.name);
      return partner;
    }
  } finally {
    channel.bridgeWaits--;
  }
}

const holding = new WeakSet<TwoPartyBridge>();

/**
 * For a bridge that may end with no dialplan waiting on it (its members are called
 * legs after a transfer): settle it when it ends, unless a waiter does. Once per bridge.
 */
export function holdBridge(bridge: TwoPartyBridge): void {
  if (holding.has(bridge)) return;
  holding.add(bridge);
  void bridge.ended.then((end) => { if (!end.handler) settle(end); });
}
