/**
 * Which log records belong to one call's history (`recall replay --linkedid`): those
 * that carry its linkedid, and those of a bridge that has none of its own (an ARI
 * bridge belongs to no call) while one of the call's channels is in it, from the
 * bridge's `enter` of that channel to its `leave`: what was done to the bridge
 * meanwhile (its video source) is part of what the call went through.
 */
import type { EventRecord } from "../../events/record.js";

export class CallHistory {
  /** The call's channel streams, as their records appear. */
  private readonly channels = new Set<string>();
  /** Bridge streams without a linkedid → the call's channels in them. */
  private readonly bridges = new Map<string, Set<string>>();

  constructor(private readonly linkedid: string) {}

  /** Whether this record is in the call's history; records must be given in log order. */
  has(r: EventRecord): boolean {
    if (r.linkedid === this.linkedid) {
      if (r.kind === "channel") this.channels.add(r.stream);
      return true;
    }
    if (r.kind !== "bridge" || r.linkedid !== undefined) return false;
    const input = r.input as { type: string; channel?: string };
    let members = this.bridges.get(r.stream);
    if (input.type === "enter" && input.channel && this.channels.has(input.channel)) {
      if (!members) this.bridges.set(r.stream, members = new Set());
      members.add(input.channel);
      return true;
    }
    if (!members) return false;
    if (input.type === "leave" && input.channel) members.delete(input.channel);
    if (members.size === 0 || r.state.done) this.bridges.delete(r.stream);
    return true;
  }
}
