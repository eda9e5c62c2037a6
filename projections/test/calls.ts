/**
 * Call scenarios for projection tests and benches: the real channel and bridge
 * machines driven through the ActorRuntime, with the inputs in the order the call core
 * (calls/dial.ts, bridge.ts, channel.ts) and its PJSIP driver (sip/call/pjsip.ts) send them. Each scenario returns
 * the channel names and uniqueids it used so tests can compare rows field by field.
 */
import { join } from "node:path";
import { VirtualClock } from "../../core/clock.js";
import { tempDir } from "../../core/reap.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import type { EventLog } from "../../events/log.js";
import type { EventRecord, Input } from "../../events/record.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import type { CreateChannelInput } from "../../actors/channel/machine.js";

export const T0 = 1_716_710_000_000_000; // 2024-05-26 07:53:20 UTC, seed 003's uniqueid epoch

export interface Party { readonly num: string; readonly name: string; readonly endpoint: string; readonly context?: string; readonly accountcode?: string }
export const alice: Party = { num: "1001", name: "Alice", endpoint: "1001" };
export const bob: Party = { num: "2002", name: "Bob", endpoint: "2002" };
export const carol: Party = { num: "3003", name: "Carol", endpoint: "3003" };

/** A runtime on a log, a virtual clock, and helpers to create channels and bridges like the call layer. */
export class CallDriver {
  private n = 0;
  private bridges = 0;
  constructor(readonly runtime: ActorRuntime, readonly clock: VirtualClock, readonly log: EventLog) {}

  static async open(dir = tempDir("recall-proj-"), start = T0): Promise<CallDriver> {
    const log = await SegmentLog.open(join(dir, "log"), { notice: () => undefined });
    const clock = new VirtualClock(start);
    return new CallDriver(new ActorRuntime({ log, clock, random: new SeededRandom(11), kinds: actorKinds }), clock, log);
  }

  advance(seconds: number): void { this.clock.advance(Math.round(seconds * 1e6)); }

  /** A new channel: an inbound leg from `from` dialling `exten`, or an outbound leg to `to` dialled by `parent`. */
  channel(party: Party, direction: "in" | "out", o: { exten: string; context?: string; linkedid?: string; parent?: string; callerId?: { num: string; name: string }; local?: string; half?: 1 | 2 }): string {
    const n = ++this.n;
    const uniqueid = `${Math.floor(this.clock.now() / 1e6)}.${n}`;
    const id = `channel:${uniqueid}`;
    const name = o.local ? `Local/${o.local}-${n.toString(16).padStart(8, "0")};${o.half}` : `PJSIP/${party.endpoint}-${n.toString(16).padStart(8, "0")}`;
    const linkedid = o.linkedid ?? uniqueid;
    const input: CreateChannelInput = {
      source: "sip", type: "create", name, uniqueid, linkedid, tech: o.local ? "Local" : "PJSIP", direction,
      ...(o.local ? {} : { endpoint: party.endpoint }),
      callerId: o.callerId ?? { num: party.num, name: party.name }, context: o.context ?? party.context ?? "internal", exten: o.exten,
      ...(party.accountcode && !o.local ? { accountcode: party.accountcode } : {}),
      ...(o.parent ? { parent: o.parent } : {}),
      ...(direction === "in" && !o.local ? { dnid: o.exten } : {}),
    };
    this.runtime.spawn("channel", id, input as unknown as Input, { linkedid });
    return id;
  }

  send(id: string, type: string, fields: Record<string, unknown> = {}): void {
    const t = this.runtime.send(id, { source: "dialplan", type, ...fields } as Input);
    if (!t) throw new Error(`no actor ${id} for ${type}`);
  }

  ctx(id: string): { name: string; linkedid: string; uniqueid: string; exten: string; callerId: { num: string; name: string } } {
    return this.runtime.state(id)!.context as never;
  }

  /** TwoPartyBridge: the callee enters first, then the caller with it as peer. */
  bridge(caller: string, callee: string): string {
    const bid = `0000000${++this.bridges}-0000-4000-8000-000000000000`;
    const actor = `bridge:${bid}`;
    this.runtime.spawn("bridge", actor, { source: "dialplan", type: "create", id: bid, technology: "simple_bridge", name: "" }, { linkedid: this.ctx(caller).linkedid });
    this.enter(actor, bid, callee, caller);
    this.enter(actor, bid, caller, callee);
    return bid;
  }

  enter(actor: string, bid: string, channel: string, peer: string): void {
    this.runtime.send(actor, { source: "dialplan", type: "enter", channel });
    this.send(channel, "bridge.enter", { bridge: bid, peer });
  }

  exit(bid: string, channel: string): void {
    this.send(channel, "bridge.exit", { bridge: bid });
    this.runtime.send(`bridge:${bid}`, { source: "dialplan", type: "leave", channel });
  }

  /** The bridge ends: every member leaves (in order), then it is destroyed. */
  endBridge(bid: string, members: readonly string[]): void {
    for (const m of members) this.exit(bid, m);
    this.runtime.send(`bridge:${bid}`, { source: "dialplan", type: "destroy" });
  }

  hangup(id: string, cause: number, by: string): void { this.send(id, "hangup", { cause, by }); }
  destroy(id: string): void { this.send(id, "destroy"); }

  /** Inbound leg runs `exten` and starts Dial(dialstring): one newexten with the application, as the call layer logs it. */
  startDial(caller: string, exten: string, app: string, data: string, priority = 1): void {
    this.send(caller, "newexten", { context: "internal", exten, priority, app, data });
  }

  /** Dial places an outbound leg to `to` (as calls/dial.ts does: create, dial.begin). */
  dialLeg(caller: string, to: Party, dialstring: string): string {
    const c = this.ctx(caller);
    const callee = this.channel(to, "out", { exten: c.exten, context: to.context ?? "internal", linkedid: c.linkedid, parent: caller, callerId: c.callerId });
    this.send(caller, "dial.begin", { peer: callee, dialstring });
    return callee;
  }

  /** The callee answers and Dial bridges (progress.answered, bridgeAnswered). */
  answerAndBridge(caller: string, callee: string): string {
    this.send(callee, "answer");
    this.send(caller, "dial.end", { status: "ANSWER" });
    this.send(caller, "answer");
    return this.bridge(caller, callee);
  }

  async settle(): Promise<void> { await this.runtime.settle(); }

  async records(): Promise<EventRecord[]> {
    await this.settle();
    const out: EventRecord[] = [];
    for await (const b of this.log.read(0)) out.push(...b);
    return out;
  }
}

export interface Scenario { readonly a: string; readonly b?: string; readonly c?: string; readonly extra?: Record<string, string> }

/** A (1001) dials B (2002): B rings 3 s, answers, they talk 57 s, A hangs up. Seed 003's two-party example. */
export function answered(d: CallDriver): Scenario {
  const a = d.channel(alice, "in", { exten: "2002" });
  d.startDial(a, "2002", "Dial", "PJSIP/2002,30");
  const b = d.dialLeg(a, bob, "PJSIP/2002");
  d.send(b, "ringing"); d.send(a, "ringing");
  d.advance(3);
  const bid = d.answerAndBridge(a, b);
  d.advance(57);
  d.hangup(a, 16, d.ctx(a).name);
  d.endBridge(bid, [a, b]);
  d.hangup(b, 16, d.ctx(a).name);
  d.destroy(b);
  d.send(a, "app.end", { app: "Dial" });
  d.destroy(a);
  return { a, b };
}

/** The callee fails with `cause` after `after` s; Dial reports `status`; the caller's dialplan ends with Hangup(). */
function failedDial(d: CallDriver, cause: number, status: string, after: number, ring: boolean): Scenario {
  const a = d.channel(alice, "in", { exten: "2002" });
  d.startDial(a, "2002", "Dial", "PJSIP/2002,20");
  const b = d.dialLeg(a, bob, "PJSIP/2002");
  if (ring) { d.send(b, "ringing"); d.send(a, "ringing"); }
  d.advance(after);
  if (status === "BUSY") d.send(b, "busy");
  d.hangup(b, cause, d.ctx(b).name);
  d.destroy(b);
  d.send(a, "dial.end", { status });
  d.send(a, "app.end", { app: "Dial" });
  d.send(a, "newexten", { context: "internal", exten: "2002", priority: 2 });
  d.send(a, "app.start", { app: "Hangup", data: "" });
  d.hangup(a, 16, "dialplan/builtin");
  d.send(a, "app.end", { app: "Hangup" });
  d.destroy(a);
  return { a, b };
}

/** B answers 486 Busy Here. */
export const busy = (d: CallDriver) => failedDial(d, 17, "BUSY", 1, false);
/** Dial's 20 s timeout: B is cancelled with NO_ANSWER. */
export const noAnswer = (d: CallDriver) => failedDial(d, 19, "NOANSWER", 20, true);
/** B answers 603 Decline (CALL_REJECTED; app_dial counts it as CHANUNAVAIL). */
export const declined = (d: CallDriver) => failedDial(d, 21, "CHANUNAVAIL", 2, true);
/** B's contact cannot be reached (transport error: DESTINATION_OUT_OF_ORDER). */
export const unreachable = (d: CallDriver) => failedDial(d, 27, "CHANUNAVAIL", 0, false);

/** A hangs up while B rings: B is cancelled, Dial ends with CANCEL. */
export function cancel(d: CallDriver): Scenario {
  const a = d.channel(alice, "in", { exten: "2002" });
  d.startDial(a, "2002", "Dial", "PJSIP/2002,30");
  const b = d.dialLeg(a, bob, "PJSIP/2002");
  d.send(b, "ringing"); d.send(a, "ringing");
  d.advance(5);
  d.hangup(a, 16, d.ctx(a).name);
  d.hangup(b, 16, d.ctx(b).name);
  d.destroy(b);
  d.send(a, "dial.end", { status: "CANCEL" });
  d.send(a, "app.end", { app: "Dial" });
  d.destroy(a);
  return { a, b };
}

/** Hangup(17) in the dialplan, no Dial (REFERENCE.md: one row, BUSY). */
export function hangup17(d: CallDriver): Scenario {
  const a = d.channel(alice, "in", { exten: "2002" });
  d.startDial(a, "2002", "Hangup", "17");
  d.advance(1);
  d.hangup(a, 17, "dialplan/builtin");
  d.send(a, "app.end", { app: "Hangup" });
  d.destroy(a);
  return { a };
}

/**
 * Gosub(sub-tag,s,1) sets CDR(accountcode) and CDR(userfield), raises a user event,
 * returns, then Dial answered; B hangs up after 30 s; `h` runs NoOp.
 */
export function gosub(d: CallDriver): Scenario {
  const a = d.channel(alice, "in", { exten: "2002" });
  d.startDial(a, "2002", "Gosub", "sub-tag,s,1");
  d.send(a, "newexten", { context: "sub-tag", exten: "s", priority: 1 });
  d.send(a, "app.start", { app: "Set", data: "CDR(accountcode)=sales" });
  d.send(a, "cdr.set", { field: "accountcode", value: "sales" });
  d.send(a, "app.end", { app: "Set" });
  d.send(a, "newexten", { context: "sub-tag", exten: "s", priority: 2 });
  d.send(a, "app.start", { app: "Set", data: "CDR(userfield)=projectX" });
  d.send(a, "cdr.set", { field: "userfield", value: "projectX" });
  d.send(a, "app.end", { app: "Set" });
  d.send(a, "newexten", { context: "sub-tag", exten: "s", priority: 3 });
  d.send(a, "app.start", { app: "CELGenUserEvent", data: "TAGGED,vip" });
  d.send(a, "user.event", { name: "TAGGED", extra: "vip" });
  d.send(a, "app.end", { app: "CELGenUserEvent" });
  d.send(a, "newexten", { context: "sub-tag", exten: "s", priority: 4 });
  d.send(a, "app.start", { app: "Return", data: "" });
  d.send(a, "app.end", { app: "Return" });
  d.send(a, "app.end", { app: "Gosub" });
  d.startDial(a, "2002", "Dial", "PJSIP/2002", 2);
  const b = d.dialLeg(a, { ...bob, accountcode: "customer2002" }, "PJSIP/2002");
  d.advance(2);
  const bid = d.answerAndBridge(a, b);
  d.advance(30);
  const bName = d.ctx(b).name;
  d.hangup(b, 16, bName);
  d.endBridge(bid, [b, a]);
  d.destroy(b);
  d.hangup(a, 16, bName);
  d.send(a, "app.end", { app: "Dial" });
  d.send(a, "newexten", { context: "internal", exten: "h", priority: 1 });
  d.send(a, "app.start", { app: "NoOp", data: "in h" });
  d.send(a, "app.end", { app: "NoOp" });
  d.destroy(a);
  return { a, b };
}

/**
 * A dials Local/2002@internal; ;2 dials B; B answers; the pair optimises itself away
 * (B moves into A's bridge); A hangs up after 40 s.
 */
export function local(d: CallDriver): Scenario {
  const a = d.channel(alice, "in", { exten: "2002" });
  d.startDial(a, "2002", "Dial", "Local/2002@internal");
  const c = d.ctx(a);
  const half1 = d.channel(alice, "out", { exten: "2002", linkedid: c.linkedid, parent: a, callerId: c.callerId, local: "2002@internal", half: 1 });
  const half2 = d.channel(alice, "in", { exten: "2002", linkedid: c.linkedid, callerId: c.callerId, local: "2002@internal", half: 2 });
  d.send(a, "dial.begin", { peer: half1, dialstring: "Local/2002@internal" });
  d.send(half1, "dialing");
  d.startDial(half2, "2002", "Dial", "PJSIP/2002");
  const b = d.dialLeg(half2, bob, "PJSIP/2002");
  d.send(b, "ringing"); d.send(half2, "ringing"); d.send(a, "ringing");
  d.advance(4);
  d.send(b, "answer");
  d.send(half2, "dial.end", { status: "ANSWER" });
  d.send(half2, "answer");
  d.send(half1, "answer");
  d.send(a, "dial.end", { status: "ANSWER" });
  const inner = d.bridge(half2, b);
  d.send(a, "answer");
  const outer = d.bridge(a, half1);
  // optimize(): ;1 reports it, the inner bridge dissolves, B replaces ;1 in A's bridge, both halves hang up.
  d.send(half1, "local.optimize", { other: half2, peer: b });
  d.exit(inner, b);
  d.endBridge(inner, [half2]);
  d.exit(outer, half1);
  d.enter(`bridge:${outer}`, outer, b, a);
  d.hangup(half1, 16, ""); d.hangup(half2, 16, "");
  d.destroy(half1);
  d.send(half2, "app.end", { app: "Dial" });
  d.destroy(half2);
  d.advance(40);
  d.hangup(a, 16, d.ctx(a).name);
  d.endBridge(outer, [a, b]);
  d.hangup(b, 16, d.ctx(a).name);
  d.destroy(b);
  d.send(a, "app.end", { app: "Dial" });
  d.destroy(a);
  return { a, b, extra: { half1, half2 } };
}

/**
 * Blind transfer (seed 003's four-record example), as a REFER from B makes it: A talks
 * to B 20 s; B transfers A to 3003; A and B leave the bridge, B is hung up; A's Dial
 * returns there and A dials C, who answers after 2 s; they talk 30 s.
 */
export function blindTransfer(d: CallDriver): Scenario & { bridge: string } {
  const a = d.channel(alice, "in", { exten: "2002" });
  d.startDial(a, "2002", "Dial", "PJSIP/2002");
  const b = d.dialLeg(a, bob, "PJSIP/2002");
  d.advance(1);
  const bid = d.answerAndBridge(a, b);
  d.advance(20);
  d.send(b, "transfer.blind", { exten: "3003", context: "internal", bridge: bid, transferee: a });
  d.send(a, "setvars", { vars: { BLINDTRANSFER: d.ctx(b).name, SIPTRANSFER: "yes" } });
  d.endBridge(bid, [a, b]);
  d.hangup(b, 16, d.ctx(b).name);
  d.destroy(b);
  d.send(a, "app.end", { app: "Dial" });
  d.startDial(a, "3003", "Dial", "PJSIP/3003");
  const c = d.dialLeg(a, carol, "PJSIP/3003");
  d.advance(2);
  const bid2 = d.answerAndBridge(a, c);
  d.advance(30);
  d.hangup(a, 16, d.ctx(a).name);
  d.endBridge(bid2, [a, c]);
  d.hangup(c, 16, d.ctx(a).name);
  d.destroy(c);
  d.send(a, "app.end", { app: "Dial" });
  d.destroy(a);
  return { a, b, c, bridge: bid };
}

/**
 * Attended transfer, as a REFER with Replaces makes it (a swap): A talks to B; B calls
 * C on a second line (B2, its own linkedid); C answers; B completes the transfer: C
 * leaves B2's bridge (which ends), joins A's linkedid and takes B's place beside A; B
 * and B2 are hung up; A and C talk 60 s.
 */
export function attendedTransfer(d: CallDriver): Scenario & { b2: string; bridge1: string; bridge2: string } {
  const a = d.channel(alice, "in", { exten: "2002" });
  d.startDial(a, "2002", "Dial", "PJSIP/2002");
  const b = d.dialLeg(a, bob, "PJSIP/2002");
  d.advance(1);
  const bid = d.answerAndBridge(a, b);
  d.advance(10);
  const b2 = d.channel(bob, "in", { exten: "3003" });
  d.startDial(b2, "3003", "Dial", "PJSIP/3003");
  const c = d.dialLeg(b2, carol, "PJSIP/3003");
  d.advance(5);
  const bid2 = d.answerAndBridge(b2, c);
  d.advance(5);
  const bName = d.ctx(b).name;
  d.send(b, "transfer.attended", { bridge1: bid, bridge2: bid2, channel2: b2, transferee: a, target: c });
  d.send(c, "setvar", { name: "ATTENDEDTRANSFER", value: bName });
  d.exit(bid2, c);
  d.endBridge(bid2, [b2]);
  d.send(c, "linkedid", { linkedid: d.ctx(a).linkedid });
  d.exit(bid, b);
  d.enter(`bridge:${bid}`, bid, c, a);
  d.hangup(b, 16, bName); d.destroy(b);
  d.hangup(b2, 16, bName);
  d.send(a, "setvar", { name: "ATTENDEDTRANSFER", value: bName });
  d.send(b2, "app.end", { app: "Dial" });
  d.destroy(b2);
  d.advance(60);
  d.hangup(a, 16, d.ctx(a).name);
  d.endBridge(bid, [a, c]);
  d.hangup(c, 16, d.ctx(a).name); d.destroy(c);
  d.send(a, "app.end", { app: "Dial" });
  d.destroy(a);
  return { a, b, c, b2, bridge1: bid, bridge2: bid2 };
}
