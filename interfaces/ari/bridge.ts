/**
 * A bridge an ARI application made (POST /bridges): a bridge actor (so BridgeCreated,
 * ChannelEnteredBridge/LeftBridge, BridgeDestroyed come from the log) and its members'
 * audio joined in the media workers. A member that hangs up leaves the bridge;
 * destroying the bridge lets every member go (they stay in their application).
 *
 * Media, kept in step with the membership by one chain of changes (never two at once):
 * - two members and nothing else: a two-party relay (packets pass as they came);
 * - three members or more, or anything played or recorded on the bridge: a mix in a
 *   media worker, where each member hears the sum of all the others (N-1);
 * - what the bridge plays (play, music on hold) comes from an announcer session in
 *   the mix, heard by every member; a bridge recording is a silent session in the mix,
 *   which hears every member.
 * Limits: `holding` and `dtmf_events` are accepted as types and behave as `mixing`.
 */
import type { Channel } from "../../calls/channel.js";
import type { CallCore } from "../../calls/core.js";
import type { BridgeContext } from "../../events/catalogue/bridge.js";

type MediaMode = { kind: "none" } | { kind: "pair"; a: string; b: string } | { kind: "mix"; sessions: Set<string> };

export class AriBridge {
  readonly actor: string;
  readonly members: Channel[] = [];
  readonly createdAt: number;
  private readonly listeners = new Map<Channel, () => void>();
  /** Sessions of the bridge's own (announcers, recorders): members of its mix. */
  private readonly extras = new Set<string>();
  private mode: MediaMode = { kind: "none" };
  private changes: Promise<void> = Promise.resolve();
  /** The announcer playing music on hold to the bridge, while it does. */
  moh: string | undefined;
  destroyed = false;

  constructor(private readonly core: CallCore, readonly id: string, readonly type: string, readonly name: string, linkedid?: string) {
    this.actor = `bridge:${id}`;
    this.createdAt = core.clock.now();
    core.runtime.spawn("bridge", this.actor, { source: "ari", type: "create", id, technology: "simple_bridge", name }, linkedid ? { linkedid } : {});
  }

  has(channel: Channel): boolean { return this.members.includes(channel); }

  add(channel: Channel): void {
    if (this.destroyed || this.has(channel)) return;
    const peer = this.members[0];
    this.members.push(channel);
    this.core.runtime.send(this.actor, { source: "ari", type: "enter", channel: channel.id });
    channel.change({ type: "bridge.enter", bridge: this.id, ...(peer ? { peer: peer.id } : {}) }, "ari");
    const listener = () => this.remove(channel);
    this.listeners.set(channel, listener);
    channel.onHangup.add(listener);
    this.syncMedia();
  }

  remove(channel: Channel): boolean {
    const i = this.members.indexOf(channel);
    if (i < 0) return false;
    this.members.splice(i, 1);
    const listener = this.listeners.get(channel);
    if (listener) channel.onHangup.delete(listener);
    this.listeners.delete(channel);
    const session = channel.media;
    if (session) this.change(async () => { await this.leave(session); });
    channel.change({ type: "bridge.exit", bridge: this.id }, "ari");
    this.core.runtime.send(this.actor, { source: "ari", type: "leave", channel: channel.id });
    this.syncMedia();
    return true;
  }

  /**
   * The video mode an application chose (videoSource), kept by the bridge actor so it
   * replays: `talker` as Asterisk's Stasis bridges start, `single` with the source's unique
   * id once one is set (cleared when that channel leaves). Recall carries no video.
   */
  get video(): { mode: "talker" | "single"; source?: string } {
    const c = this.core.runtime.state(this.actor)?.context as BridgeContext | undefined;
    return { mode: c?.videoMode ?? "talker", ...(c?.videoSource ? { source: c.videoSource } : {}) };
  }

  /** Sets the single video source (a member's unique id), or "" for talker mode. */
  setVideoSource(uniqueid: string): void {
    this.core.runtime.send(this.actor, { source: "ari", type: "video.source", uniqueid });
  }

  destroy(): void {
    if (this.destroyed) return;
    for (const m of [...this.members]) this.remove(m);
    this.destroyed = true;
    this.syncMedia(); // the bridge's own sessions go
    this.core.runtime.send(this.actor, { source: "ari", type: "destroy" });
  }

  /**
   * A session of the bridge's own in its mix: an announcer (what it plays, every member
   * hears) or a recorder (a silent member that hears everyone). Closed by `release`.
   */
  async ownSession(kind: "announcer" | "recorder"): Promise<string> {
    const service = this.core.media.service;
    const s = await service.createSession({ codecs: ["slin"] });
    if (kind === "announcer") await service.announcer(s.id);
    this.extras.add(s.id);
    this.syncMedia();
    await this.changes;
    return s.id;
  }

  release(session: string): void {
    if (!this.extras.delete(session)) return;
    this.change(async () => { await this.leave(session); await this.core.media.close(session); });
    this.syncMedia();
  }

  private change(step: () => Promise<void>): void {
    this.changes = this.changes.then(step).catch((e: Error) => this.core.logger.log("WARNING", "bridge.c", `Media of bridge ${this.id}: ${e.message}`));
  }

  /** Takes a session out of whatever the bridge joined it to. */
  private async leave(session: string): Promise<void> {
    const m = this.mode;
    if (m.kind === "pair" && (m.a === session || m.b === session)) {
      this.mode = { kind: "none" };
      await this.core.media.unbridge(m.a).catch(() => undefined);
    } else if (m.kind === "mix" && m.sessions.delete(session)) {
      await this.core.media.unbridge(session).catch(() => undefined);
    }
  }

  /** Brings the media in line with the members and the bridge's own sessions (queued after earlier changes). */
  private syncMedia(): void {
    this.change(async () => {
      if (this.destroyed) {
        for (const s of [...this.extras]) { this.extras.delete(s); await this.leave(s); await this.core.media.close(s); }
        return;
      }
      const members = [...this.members];
      const anchored = await Promise.all(members.map((m) => m.anchorMedia().catch((e: Error) => {
        this.core.logger.log("WARNING", "bridge.c", `No media for ${m.name} in bridge ${this.id}: ${e.message}`);
        return undefined;
      })));
      // A member that hung up meanwhile is on its way out (its session is being closed).
      const live = anchored.filter((s, i): s is string => s !== undefined && !members[i].hungUp && members[i].media === s && this.members.includes(members[i]));
      const sessions = [...live, ...this.extras];
      const mix = sessions.length >= 3 || (this.extras.size > 0 && sessions.length >= 1);
      const m = this.mode;
      if (mix) {
        const current = m.kind === "mix" ? m.sessions : new Set<string>();
        if (m.kind === "pair") await this.core.media.unbridge(m.a).catch(() => undefined);
        for (const s of [...current]) if (!sessions.includes(s)) { current.delete(s); await this.core.media.unbridge(s).catch(() => undefined); }
        this.mode = { kind: "mix", sessions: current };
        for (const s of sessions) {
          if (current.has(s)) continue;
          // A member's session closed meanwhile (it hung up) is skipped; its leaving is queued.
          try { await this.core.media.service.joinMix(`bridge-${this.id}`, s); current.add(s); } catch (e) { if (this.extras.has(s) || this.members.some((mm) => mm.media === s && !mm.hungUp)) throw e; }
        }
      } else if (sessions.length === 2) {
        const [a, b] = sessions;
        if (m.kind === "pair" && ((m.a === a && m.b === b) || (m.a === b && m.b === a))) return;
        if (m.kind === "mix") for (const s of m.sessions) await this.core.media.unbridge(s).catch(() => undefined);
        this.mode = { kind: "none" };
        try {
          await this.core.media.bridge(a, b);
        } catch (e) {
          // One of the two hung up meanwhile (its session is gone): the next change settles the bridge.
          const still = (x: string) => this.members.some((mm) => mm.media === x && !mm.hungUp);
          if (still(a) && still(b)) throw e;
          return;
        }
        this.mode = { kind: "pair", a, b };
      } else {
        if (m.kind === "pair") await this.core.media.unbridge(m.a).catch(() => undefined);
        if (m.kind === "mix") for (const s of m.sessions) await this.core.media.unbridge(s).catch(() => undefined);
        this.mode = { kind: "none" };
      }
    });
  }
}
