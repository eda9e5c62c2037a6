/**
 * A bridge an ARI application made (POST /bridges): a bridge actor (so BridgeCreated,
 * ChannelEnteredBridge/LeftBridge, BridgeDestroyed come from the log) and its members'
 * audio joined in the media workers while it has two members with media in Recall.
 * A member that hangs up leaves the bridge; destroying the bridge lets every member
 * go (they stay in their application).
 *
 * Limits: audio is mixed between two members (a third member is in the bridge, with
 * its events, but hears nothing); `holding` and `dtmf_events` are accepted as types
 * and behave as `mixing`.
 */
import type { Channel } from "../../calls/channel.js";
import type { CallCore } from "../../calls/core.js";

export class AriBridge {
  readonly actor: string;
  readonly members: Channel[] = [];
  readonly createdAt: number;
  private readonly listeners = new Map<Channel, () => void>();
  private mediaPair: [string, string] | undefined;
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
    void this.joinMedia();
  }

  remove(channel: Channel): boolean {
    const i = this.members.indexOf(channel);
    if (i < 0) return false;
    this.members.splice(i, 1);
    const listener = this.listeners.get(channel);
    if (listener) channel.onHangup.delete(listener);
    this.listeners.delete(channel);
    if (this.mediaPair && channel.media && this.mediaPair.includes(channel.media)) {
      const session = channel.media;
      this.mediaPair = undefined;
      void this.core.media.unbridge(session).catch(() => undefined);
    }
    channel.change({ type: "bridge.exit", bridge: this.id }, "ari");
    this.core.runtime.send(this.actor, { source: "ari", type: "leave", channel: channel.id });
    void this.joinMedia();
    return true;
  }

  destroy(): void {
    if (this.destroyed) return;
    for (const m of [...this.members]) this.remove(m);
    this.destroyed = true;
    this.core.runtime.send(this.actor, { source: "ari", type: "destroy" });
  }

  /** The first two members with media hear each other. */
  private async joinMedia(): Promise<void> {
    if (this.mediaPair || this.destroyed) return;
    const [a, b] = this.members;
    if (!a || !b) return;
    try {
      const [x, y] = await Promise.all([a.anchorMedia(), b.anchorMedia()]);
      if (this.mediaPair || !this.has(a) || !this.has(b)) return;
      this.mediaPair = [x, y];
      await this.core.media.bridge(x, y);
    } catch (e) {
      this.core.logger.log("WARNING", "bridge.c", `No media between ${a.name} and ${b.name} in bridge ${this.id}: ${(e as Error).message}`);
    }
  }
}
