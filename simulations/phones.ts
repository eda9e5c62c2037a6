/**
 * Simulated SIP user agents that speak real SIP (the project's own transaction layer) to
 * Recall over the simulated network: a carrier trunk whose callers dial in, wait a
 * patience and hang up (CANCEL) or talk and hang up (BYE); agent phones that ring, answer
 * after a think time, refuse while busy or on a break, and sometimes hang up themselves.
 * They keep the ground truth the invariants compare Recall's log against.
 */
import type { Clock, Timer } from "../core/clock.js";
import type { Random } from "../core/random.js";
import { SipRequest, type SipResponse, header } from "../sip/message/index.js";
import type { MemoryNetwork } from "../sip/transport/index.js";
import { TransportLayer } from "../sip/transport/index.js";
import { TransactionLayer } from "../sip/transaction/layer.js";
import type { ServerTransaction } from "../sip/transaction/server.js";
import type { Dice } from "./world.js";

export const PBX = { host: "10.0.0.1", port: 5060 } as const;

const sdp = (host: string, port: number) => Buffer.from([
  "v=0", `o=sim ${port} 1 IN IP4 ${host}`, "s=sim", `c=IN IP4 ${host}`, "t=0 0",
  `m=audio ${port} RTP/AVP 0 101`, "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=sendrecv", "",
].join("\r\n"));

/** A UA's SIP stack: a transaction layer on one transport of the simulated network. */
export async function sipHost(network: MemoryNetwork, clock: Clock, random: Random, host: string): Promise<TransactionLayer> {
  const transport = network.transport({ name: "udp", protocol: "udp", host, port: 5060 });
  const transports = new TransportLayer({ transports: [transport], random });
  await transports.start();
  return new TransactionLayer({ transports, clock, random });
}

/** One dialog's state as a UA keeps it, enough to send BYE and answer in-dialog requests. */
interface Dialog {
  readonly callId: string;
  readonly local: string;
  readonly remote: string;
  readonly target: string;
  seq: number;
}

function inDialog(layer: TransactionLayer, d: Dialog, method: string, on: (r?: SipResponse) => void): void {
  const req = new SipRequest(method, d.target, [
    header("From", d.local), header("To", d.remote), header("Call-ID", d.callId), header("CSeq", `${++d.seq} ${method}`),
  ]);
  try {
    layer.sendRequest(req, PBX, { onFinal: (r) => on(r), onTimeout: () => on(), onTransportError: () => on() });
  } catch { on(); }
}

/** Answer what a dialog's peer may send us mid-call: re-INVITE/UPDATE (with our SDP), INFO, OPTIONS. */
function answerInDialog(tx: ServerTransaction, host: string): void {
  const m = tx.request.method;
  const body = m === "INVITE" || m === "UPDATE" ? sdp(host, 4000) : undefined;
  tx.respond(200, body ? { headers: [["Contact", `<sip:ua@${host}:5060>`], ["Content-Type", "application/sdp"]], body } : {});
}

export type CallerOutcome = "answered" | "abandoned" | "refused" | "timeout" | "lost";

/** One caller's intent, drawn by the workload. */
export interface CallerPlan {
  readonly id: number;
  readonly exten: string;
  readonly patienceMicros: number;
  readonly talkMicros: number;
}

export interface CallerRecord {
  readonly plan: CallerPlan;
  startedAt: number;
  outcome?: CallerOutcome;
  status?: number;
  answeredAt?: number;
  endedAt?: number;
  /** Who hung up an answered call. */
  hungUpBy?: "caller" | "pbx";
}

interface FarCall { answered: boolean; timer?: Timer; dialog?: Dialog }

/** The carrier: every caller's INVITE comes from its one address, as from a real trunk; calls out reach it too. */
export class CallerTrunk {
  readonly calls = new Map<string, { record: CallerRecord; dialog?: Dialog; timer?: Timer }>();
  readonly records: CallerRecord[] = [];

  constructor(private readonly layer: TransactionLayer, private readonly clock: Clock, readonly host: string) {
    layer.onRequest((tx) => this.request(tx));
  }

  get active(): number { return this.calls.size; }

  place(plan: CallerPlan): void {
    const now = this.clock.now();
    const record: CallerRecord = { plan, startedAt: now };
    this.records.push(record);
    const callId = `call-${plan.id}@${this.host}`;
    const fromTag = `c${plan.id}`;
    const entry: { record: CallerRecord; dialog?: Dialog; timer?: Timer } = { record };
    this.calls.set(callId, entry);
    const from = `<sip:+1555${String(plan.id).padStart(7, "0")}@${this.host}>;tag=${fromTag}`;
    const to = `<sip:${plan.exten}@${PBX.host}>`;
    const invite = new SipRequest("INVITE", `sip:${plan.exten}@${PBX.host}:5060`, [
      header("From", from), header("To", to), header("Call-ID", callId), header("CSeq", "1 INVITE"),
      header("Contact", `<sip:trunk@${this.host}:5060>`), header("Content-Type", "application/sdp"),
    ], sdp(this.host, 10_000 + 2 * (plan.id % 20_000)));
    const tx = this.layer.sendRequest(invite, PBX, {
      onFinal: (r) => {
        if (r.status >= 200 && r.status < 300) {
          const remote = `${to};tag=${r.toTag ?? ""}`;
          const target = /<([^>]+)>/.exec(r.get("Contact") ?? "")?.[1] ?? `sip:${plan.exten}@${PBX.host}:5060`;
          const dialog: Dialog = { callId, local: from, remote, target, seq: 1 };
          tx.ack(new SipRequest("ACK", target, [header("From", from), header("To", remote), header("Call-ID", callId), header("CSeq", "1 ACK")]), PBX);
          if (entry.dialog) return; // a 2xx from a second fork: already talking
          entry.dialog = dialog;
          entry.timer?.cancel();
          if (record.outcome === "abandoned") { this.bye(callId); return; } // answered as we gave up
          record.outcome = "answered";
          record.answeredAt = this.clock.now();
          entry.timer = this.clock.schedule(this.clock.now() + plan.talkMicros, () => this.bye(callId));
          return;
        }
        entry.timer?.cancel();
        if (record.outcome !== "abandoned") { record.outcome = "refused"; record.status = r.status; }
        this.end(callId);
      },
      onTimeout: () => { record.outcome ??= "timeout"; this.end(callId); },
      onTransportError: () => { record.outcome ??= "lost"; this.end(callId); },
    });
    entry.timer = this.clock.schedule(now + plan.patienceMicros, () => {
      if (entry.dialog) return;
      record.outcome = "abandoned";
      tx.cancel();
    });
  }

  /** The line went dead (the PBX died): each caller in a call hangs up after a while of silence, so does the far end of a call out. */
  hearSilence(delay: () => number): void {
    for (const [callId, call] of this.far) {
      call.timer?.cancel();
      call.timer = this.clock.schedule(this.clock.now() + delay(), () => {
        if (this.far.get(callId) !== call) return;
        this.far.delete(callId);
        if (call.dialog) inDialog(this.layer, call.dialog, "BYE", () => undefined);
      });
    }
    for (const [callId, entry] of this.calls) {
      if (!entry.dialog) continue;
      entry.timer?.cancel();
      entry.timer = this.clock.schedule(this.clock.now() + delay(), () => this.bye(callId));
    }
  }

  /** Hang up an answered call (the caller is done talking). */
  private bye(callId: string): void {
    const entry = this.calls.get(callId);
    if (!entry?.dialog) return;
    entry.record.hungUpBy ??= "caller";
    inDialog(this.layer, entry.dialog, "BYE", () => this.end(callId));
  }

  private end(callId: string): void {
    const entry = this.calls.get(callId);
    if (!entry) return;
    entry.timer?.cancel();
    entry.record.endedAt = this.clock.now();
    this.calls.delete(callId);
  }

  /** Outbound calls Recall places through the carrier (Dial(PJSIP/number@trunk)), as the carrier saw them. */
  readonly outbound = { offered: 0, refused: 0, answered: 0 };
  /** While set, the carrier answers every new INVITE 503 (overloaded, or its route down). */
  refusing = false;
  /** Calls Recall placed through the carrier, by Call-ID: the far end rings, answers, and waits for Recall's BYE. */
  private readonly far = new Map<string, FarCall>();

  /** A new INVITE from Recall: a call out through the carrier. */
  private farEnd(tx: ServerTransaction): void {
    const req = tx.request;
    const callId = req.get("Call-ID") ?? "";
    this.outbound.offered++;
    const toTag = this.layer.newTag();
    if (this.refusing) {
      this.outbound.refused++;
      tx.respond(503, { toTag, headers: [["Retry-After", "30"]] });
      return;
    }
    const call: FarCall = { answered: false };
    this.far.set(callId, call);
    tx.respond(180, { toTag });
    tx.onCancel(() => { call.timer?.cancel(); this.far.delete(callId); });
    call.timer = this.clock.schedule(this.clock.now() + 4e6, () => {
      if (this.far.get(callId) !== call) return;
      try {
        tx.respond(200, { toTag, headers: [["Contact", `<sip:far@${this.host}:5060>`], ["Content-Type", "application/sdp"]], body: sdp(this.host, 50_000) });
      } catch { this.far.delete(callId); return; }
      call.answered = true;
      const target = /<([^>]+)>/.exec(req.get("Contact") ?? "")?.[1] ?? `sip:${PBX.host}:5060`;
      call.dialog = { callId, local: `${req.get("To") ?? ""};tag=${toTag}`, remote: req.get("From") ?? "", target, seq: 0 };
      this.outbound.answered++;
    });
  }

  /** Calls out through the carrier still up or ringing (none may be left at the end of the day). */
  get farCalls(): number { return this.far.size; }

  private request(tx: ServerTransaction): void {
    const callId = tx.request.get("Call-ID") ?? "";
    const far = this.far.get(callId);
    if (far) {
      if (tx.request.method === "BYE") { tx.respond(200); far.timer?.cancel(); this.far.delete(callId); return; }
      answerInDialog(tx, this.host);
      return;
    }
    if (tx.request.method === "INVITE" && !tx.request.toTag) { this.farEnd(tx); return; }
    const entry = this.calls.get(callId);
    if (!entry?.dialog) { tx.respond(481); return; }
    if (tx.request.method === "BYE") {
      tx.respond(200);
      entry.record.hungUpBy ??= "pbx";
      this.end(callId);
      return;
    }
    answerInDialog(tx, this.host);
  }
}

interface AgentCall { readonly callId: string; dialog?: Dialog; timer?: Timer; ackTimer?: Timer }

export type AgentState = "idle" | "ringing" | "talking" | "break" | "gone";

export interface AgentBehaviour {
  readonly thinkMicros: () => number;
  /** Whether this agent hangs up the call (after `talkMicros`) rather than wait for the caller. */
  readonly hangsUp: () => boolean;
  readonly talkMicros: () => number;
}

/** An agent's desk phone: one call at a time, no call waiting. */
export class AgentPhone {
  state: AgentState = "idle";
  answered = 0;
  refused = 0;
  /** Calls in progress on this phone (ringing or talking): more than one is a bug in the phone, not Recall. */
  private call?: AgentCall;

  constructor(readonly name: string, readonly host: string, private readonly layer: TransactionLayer, private readonly clock: Clock, private readonly behaviour: AgentBehaviour) {
    layer.onRequest((tx) => this.request(tx));
    layer.onAck((ack) => {
      const call = this.call;
      if (call && call.callId === ack.get("Call-ID")) { call.ackTimer?.cancel(); call.ackTimer = undefined; }
    });
  }

  /** The line went dead (the PBX died): an agent in a call hangs up after a while of silence. */
  hearSilence(delay: number): void {
    const call = this.call;
    if (!call?.dialog || this.state === "gone") return;
    call.timer?.cancel();
    call.timer = this.clock.schedule(this.clock.now() + delay, () => this.bye(call));
  }

  get busy(): boolean { return this.call !== undefined; }

  /** What the phone is doing, for a violation's message. */
  describe(): string {
    const c = this.call;
    return c ? `${this.state}, call ${c.callId}${c.dialog ? ", answered" : ""}${c.ackTimer ? ", waiting for ACK" : ""}` : this.state;
  }

  setBreak(on: boolean): void {
    if (this.state === "gone") return;
    if (on && this.state === "idle") this.state = "break";
    else if (!on && this.state === "break") this.state = "idle";
  }

  private request(tx: ServerTransaction): void {
    if (this.state === "gone") return; // unreachable: the network drops what reaches it anyway
    const req = tx.request;
    const callId = req.get("Call-ID") ?? "";
    if (this.call?.callId === callId) {
      if (req.method === "BYE") { tx.respond(200); this.hangup(); return; }
      answerInDialog(tx, this.host);
      return;
    }
    if (req.method !== "INVITE") { tx.respond(req.method === "OPTIONS" ? 200 : 481); return; }
    if (this.call || this.state !== "idle") {
      this.refused++;
      tx.respond(this.state === "break" ? 480 : 486, { toTag: this.layer.newTag() });
      return;
    }
    const toTag = this.layer.newTag();
    const call: AgentCall = { callId };
    this.call = call;
    this.state = "ringing";
    tx.respond(180, { toTag });
    tx.onCancel(() => { call.timer?.cancel(); this.hangup(); });
    call.timer = this.clock.schedule(this.clock.now() + this.behaviour.thinkMicros(), () => {
      if (this.call !== call) return;
      const local = `${req.get("To") ?? ""};tag=${toTag}`;
      const target = /<([^>]+)>/.exec(req.get("Contact") ?? "")?.[1] ?? `sip:${PBX.host}:5060`;
      call.dialog = { callId, local, remote: req.get("From") ?? "", target, seq: 0 };
      try {
        tx.respond(200, { toTag, headers: [["Contact", `<sip:${this.name}@${this.host}:5060>`], ["Content-Type", "application/sdp"]], body: sdp(this.host, 4000) });
      } catch { this.hangup(); return; }
      this.state = "talking";
      this.answered++;
      // RFC 3261 13.3.1.4: no ACK within 64*T1 ends the call with a BYE.
      call.ackTimer = this.clock.schedule(this.clock.now() + 32e6, () => this.bye(call));
      if (this.behaviour.hangsUp()) call.timer = this.clock.schedule(this.clock.now() + this.behaviour.talkMicros(), () => this.bye(call));
    });
  }

  private bye(call: AgentCall): void {
    if (this.call !== call) return;
    if (call.dialog) inDialog(this.layer, call.dialog, "BYE", () => undefined);
    this.hangup();
  }

  /**
   * The agent dials a feature code (queue login *45, logout *46, pause *47, unpause *48):
   * a short call that the dialplan answers or refuses; `done` hears its final status.
   */
  dialCode(exten: string, done: (status: number) => void = () => undefined): void {
    if (this.state === "gone") return;
    const n = ++this.codes;
    const callId = `code-${n}-${this.name}@${this.host}`;
    const from = `<sip:${this.name}@${this.host}>;tag=${this.layer.newTag()}`;
    const to = `<sip:${exten}@${PBX.host}>`;
    const invite = new SipRequest("INVITE", `sip:${exten}@${PBX.host}:5060`, [
      header("From", from), header("To", to), header("Call-ID", callId), header("CSeq", "1 INVITE"),
      header("Contact", `<sip:${this.name}@${this.host}:5060>`), header("Content-Type", "application/sdp"),
    ], sdp(this.host, 6000));
    try {
      const tx = this.layer.sendRequest(invite, PBX, {
        onFinal: (r) => {
          if (r.status >= 200 && r.status < 300) {
            const remote = `${to};tag=${r.toTag ?? ""}`;
            const target = /<([^>]+)>/.exec(r.get("Contact") ?? "")?.[1] ?? `sip:${exten}@${PBX.host}:5060`;
            tx.ack(new SipRequest("ACK", target, [header("From", from), header("To", remote), header("Call-ID", callId), header("CSeq", "1 ACK")]), PBX);
            inDialog(this.layer, { callId, local: from, remote, target, seq: 1 }, "BYE", () => undefined);
          }
          done(r.status);
        },
        onTimeout: () => done(408),
        onTransportError: () => done(503),
      });
    } catch { done(503); }
  }

  private codes = 0;

  /** The phone vanishes (unplugged, mid-call or not): it answers nothing; the network drops its packets. */
  vanish(): void {
    this.state = "gone";
    this.call?.timer?.cancel();
    this.call?.ackTimer?.cancel();
    this.call = undefined;
  }

  /** Plugged in again: it rebooted, so it remembers no call. */
  reappear(): void {
    if (this.state !== "gone") return;
    this.call = undefined;
    this.state = "idle";
  }

  private hangup(): void {
    this.call?.timer?.cancel();
    this.call?.ackTimer?.cancel();
    this.call = undefined;
    if (this.state === "ringing" || this.state === "talking") this.state = "idle";
  }
}

export function makeBehaviour(dice: Dice): AgentBehaviour {
  return {
    thinkMicros: () => Math.round(dice.around(3e6, 0.4)),
    hangsUp: () => dice.chance(0.15),
    talkMicros: () => Math.round(dice.around(150e6, 0.6)),
  };
}

export { type Random };
