/**
 * app_queue's AMI events as a fold of queue.transition and queue-member.transition
 * records (and of the callers' dial.begin, for AgentCalled), with Asterisk 22's names
 * and fields. Part of the AMI projection (events.ts), which hands it the channel
 * snapshots and device states it already keeps.
 *
 *   queue join → QueueCallerJoin · connect → AgentConnect + QueueCallerLeave
 *   abandon → QueueCallerAbandon + QueueCallerLeave · exit → QueueCallerLeave
 *   ringnoanswer → AgentRingNoAnswer · complete, transfer → AgentComplete · agentdump → AgentDump
 *   caller's dial.begin while queued → AgentCalled
 *   member add → QueueMemberAdded · remove → QueueMemberRemoved · pause/unpause →
 *   QueueMemberPause · penalty → QueueMemberPenalty · in call / out of call, or its
 *   device's state changed → QueueMemberStatus
 */
import type { EventRecord } from "../../events/record.js";
import type { QueueContext, QueueMemberContext } from "../../events/catalogue/queue.js";
import type { DeviceState } from "../../calls/device-state.js";
import type { AmiClass } from "./classes.js";

type H = [string, string][];
type Emit = (name: string, classes: readonly AmiClass[], headers: H) => void;

/** AST_DEVICE_* numbers, as QueueMember events' Status gives them. */
export const DEVICE_STATUS: Readonly<Record<DeviceState, number>> = {
  UNKNOWN: 0, NOT_INUSE: 1, INUSE: 2, BUSY: 3, INVALID: 4, UNAVAILABLE: 5, RINGING: 6, RINGINUSE: 7, ONHOLD: 8,
};

/** What the queue fold needs from the rest of the AMI projection. */
export interface QueueFoldHost {
  /** A live channel's snapshot fields by uniqueid (prefix: `Dest`), undefined when unknown. */
  snapshot(uniqueid: string, prefix?: string): H | undefined;
  /** A device's state as the projection folds it (PJSIP endpoints; others UNKNOWN). */
  deviceState(device: string): DeviceState;
}

interface Member { ctx: QueueMemberContext; value: string }

const secs = (us: number) => String(Math.floor(us / 1e6));

export class QueueEventFold {
  private readonly members = new Map<string, Member>();
  /** Caller uniqueid → the queue it waits in. */
  private readonly waiting = new Map<string, string>();

  constructor(private readonly host: QueueFoldHost) {}

  /** The fields every QueueMember* event carries, in Asterisk's order. */
  memberFields(m: Member): H {
    const c = m.ctx;
    return [
      ["Queue", c.queue], ["MemberName", c.name], ["Interface", c.interface], ["StateInterface", c.stateInterface],
      ["Membership", c.dynamic ? "dynamic" : "static"], ["Penalty", String(c.penalty)], ["CallsTaken", String(c.callsTaken)],
      ["LastCall", secs(c.lastCall)], ["LastPause", secs(c.lastPause)], ["LoginTime", secs(c.addedAt)],
      ["InCall", m.value === "incall" ? "1" : "0"], ["Status", String(DEVICE_STATUS[this.host.deviceState(c.stateInterface)])],
      ["Paused", c.paused ? "1" : "0"], ["PausedReason", c.reason], ["Ringinuse", c.ringinuse === false ? "0" : "1"],
      ["Wrapuptime", String(c.wrapuptime ?? 0)],
    ];
  }

  queue(r: EventRecord, emit: Emit): void {
    const q = r.state.context as QueueContext;
    const input = r.input as Record<string, unknown> & { type: string };
    const uniqueid = String(input.uniqueid ?? "");
    const caller = () => this.host.snapshot(uniqueid) ?? [];
    const leave = (position: number) => emit("QueueCallerLeave", ["agent"], [...caller(), ["Queue", q.name], ["Count", String(q.callers.length)], ["Position", String(position)]]);
    switch (input.type) {
      case "join": {
        this.waiting.set(uniqueid, q.name);
        const at = q.callers.findIndex((c) => c.uniqueid === uniqueid);
        emit("QueueCallerJoin", ["agent"], [...caller(), ["Queue", q.name], ["Position", String(at + 1)], ["Count", String(q.callers.length)]]);
        break;
      }
      case "ringnoanswer":
        emit("AgentRingNoAnswer", ["agent"], [...caller(), ["Queue", q.name],
          ["Interface", String(input.interface)], ["MemberName", String(input.agent)], ["RingTime", String(input.ms)]]);
        break;
      case "connect": {
        this.waiting.delete(uniqueid);
        const peer = this.host.snapshot(String(input.peerUniqueid), "Dest") ?? [];
        leave(0);
        emit("AgentConnect", ["agent"], [...caller(), ...peer, ["Queue", q.name], ["Interface", String(input.interface)],
          ["MemberName", String(input.agent)], ["HoldTime", String(input.holdtime)], ["RingTime", String(input.ringtime)]]);
        break;
      }
      case "complete": case "transfer":
        // A transfer ends the queue call too: AgentComplete with Reason "transfer", as app_queue's send_agent_complete.
        emit("AgentComplete", ["agent"], [...caller(), ["Queue", q.name], ["Interface", String(input.interface)], ["MemberName", String(input.agent)],
          ["HoldTime", String(input.holdtime)], ["TalkTime", String(input.talktime)], ["Reason", input.type === "transfer" ? "transfer" : String(input.by)]]);
        break;
      case "agentdump":
        emit("AgentDump", ["agent"], [...caller(), ["Queue", q.name], ["Interface", String(input.interface)], ["MemberName", String(input.agent)]]);
        break;
      case "abandon":
        this.waiting.delete(uniqueid);
        emit("QueueCallerAbandon", ["agent"], [...caller(), ["Queue", q.name], ["Position", String(input.position)],
          ["OriginalPosition", String(input.origposition)], ["HoldTime", String(input.waittime)]]);
        leave(Number(input.position));
        break;
      case "exit":
        this.waiting.delete(uniqueid);
        leave(Number(input.position));
        break;
      default: break;
    }
  }

  /** A queue caller dials a member: AgentCalled (its Interface is the dial string). */
  dialBegin(callerUniqueid: string, destUniqueid: string, dialstring: string, emit: Emit): void {
    const queue = this.waiting.get(callerUniqueid);
    if (!queue) return;
    const m = this.members.get(`${queue}/${dialstring}`);
    emit("AgentCalled", ["agent"], [...(this.host.snapshot(callerUniqueid) ?? []), ...(this.host.snapshot(destUniqueid, "Dest") ?? []),
      ["Queue", queue], ["Interface", dialstring], ["MemberName", m?.ctx.name ?? dialstring]]);
  }

  member(r: EventRecord, emit: Emit): void {
    const ctx = r.state.context as QueueMemberContext;
    const value = String(r.state.value);
    const key = `${ctx.queue}/${ctx.interface}`;
    const before = this.members.get(key);
    const m: Member = { ctx, value };
    const input = r.input as { type: string };
    if (value === "removed") this.members.delete(key); else this.members.set(key, m);
    switch (input.type) {
      case "add": emit("QueueMemberAdded", ["agent"], this.memberFields(m)); return;
      case "pause": case "unpause": emit("QueueMemberPause", ["agent"], this.memberFields(m)); return;
      case "penalty": emit("QueueMemberPenalty", ["agent"], this.memberFields(m)); return;
      default: break;
    }
    if (value === "removed" && before) { emit("QueueMemberRemoved", ["agent"], this.memberFields(m)); return; }
    if (before && (before.value === "incall") !== (value === "incall")) emit("QueueMemberStatus", ["agent"], this.memberFields(m));
  }

  /** A device changed state: QueueMemberStatus for each membership that reads it. */
  deviceChanged(device: string, emit: Emit): void {
    const lower = device.toLowerCase();
    for (const m of this.members.values()) if (m.ctx.stateInterface.toLowerCase() === lower) emit("QueueMemberStatus", ["agent"], this.memberFields(m));
  }
}
