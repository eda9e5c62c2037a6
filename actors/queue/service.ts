/**
 * The queues of a running Recall over queue and queue-member actors: queues.conf
 * loaded into them (static members spawned, updated or removed to match; dynamic
 * members kept, since the log holds them), and the operations the dialplan, the
 * console and AMI share: add, remove, pause, unpause, penalty, and the reads of
 * QUEUE_* and `queue show`. Everything that changes a queue is an actor input, so it
 * replays; the reads are synchronous folds of live actor state.
 */
import type { ConfDiagnostic } from "../../conf/tokenizer.js";
import type { QueueCaller, QueueContext, QueueMemberContext } from "../../events/catalogue/queue.js";
import type { ActorRuntime } from "../runtime.js";
import { DEFAULT_GENERAL, type EmptyCondition, type QueueConfig, type QueueGeneral, type QueuesConf, type StaticMember } from "./config.js";
import { queueId, type QueueInput } from "./machine.js";
import type { PenaltyRule } from "./penalty.js";
import { queueMemberId, type QueueMemberInput } from "../queue-member/machine.js";

/** Asterisk's device states, as `queue show` names them. */
export type DeviceState = "NOT_INUSE" | "INUSE" | "BUSY" | "INVALID" | "UNAVAILABLE" | "RINGING" | "RINGINUSE" | "ONHOLD" | "UNKNOWN";
export const DEVICE_STATE_TEXT: Readonly<Record<DeviceState, string>> = {
  NOT_INUSE: "Not in use", INUSE: "In use", BUSY: "Busy", INVALID: "Invalid", UNAVAILABLE: "Unavailable",
  RINGING: "Ringing", RINGINUSE: "Ring+Inuse", ONHOLD: "On Hold", UNKNOWN: "Unknown",
};

export type Source = "dialplan" | "cli" | "config" | "ami" | "test";

export interface MemberView extends QueueMemberContext {
  /** "available", "incall", "wrapup". */
  readonly state: string;
  readonly device: DeviceState;
  /** Being rung by a Queue() right now. */
  readonly ringing: boolean;
}

/** How a member's ring ended without an answer, as autopause tells them apart. */
export type RingFailure = "noanswer" | "busy" | "unavailable" | "other";

export type AddResult = "ADDED" | "MEMBERALREADY" | "NOSUCHQUEUE";
export type RemoveResult = "REMOVED" | "NOTINQUEUE" | "NOSUCHQUEUE" | "NOTDYNAMIC";

export class QueueService {
  private conf: QueuesConf = { general: DEFAULT_GENERAL, queues: new Map(), rules: new Map(), warnings: [] };
  /**
   * Interfaces being rung by a Queue() right now (queue → interface → the caller's uniqueid):
   * never rung twice at once. Only the caller that rings a member frees it, so a caller whose
   * ring ends late (its call was answered by another member of the group) cannot free a member
   * another caller is ringing now.
   */
  private readonly ringingNow = new Map<string, Map<string, string>>();
  private started = false;
  /** queue → interfaces of its memberships, so reads do not scan every member actor (entries of retired actors are dropped on read). */
  private readonly index = new Map<string, Set<string>>();
  /** queue → static member → its place in queues.conf (the member order strategies see). */
  private readonly orders = new Map<string, Map<string, number>>();

  constructor(
    private readonly runtime: ActorRuntime,
    /** The device state of an interface, from the channel core (registrations, live channels). */
    private readonly deviceState: (iface: string) => DeviceState = () => "UNKNOWN",
  ) {}

  get general(): QueueGeneral { return this.conf.general; }

  /**
   * Apply a loaded queues.conf: every queue configured (the first load after a start
   * marks QUEUESTART), static members made to match the file, dynamic members kept
   * (dropped when persistentmembers is off and this is the start). Queues gone from
   * the file lose their static members; their dynamic ones stay in the log unused.
   */
  apply(conf: QueuesConf, now: number): readonly ConfDiagnostic[] {
    const first = !this.started;
    this.started = true;
    if (first) {
      for (const id of this.runtime.ids("queue-member")) {
        const m = this.runtime.state(id)!.context as QueueMemberContext;
        this.indexed(m.queue).add(m.interface);
      }
    }
    this.conf = conf;
    this.orders.clear();
    let queueStart = first;
    for (const q of conf.queues.values()) {
      const id = queueId(q.name);
      // QUEUESTART is one line per start: it rides on the first queue's configure.
      const input: QueueInput = {
        source: "config", type: "configure", name: q.name, strategy: q.strategy, servicelevel: q.servicelevel, maxlen: q.maxlen, weight: q.weight,
        ...(queueStart ? { start: now } : {}),
      };
      queueStart = false;
      if (this.runtime.has(id)) this.runtime.send(id, input); else this.runtime.spawn("queue", id, input);
      const wanted = new Map(q.members.map((m) => [m.interface, m]));
      for (const m of this.memberContexts(q.name)) {
        if (m.dynamic) {
          if (first && !conf.general.persistentmembers) this.runtime.send(queueMemberId(q.name, m.interface), { source: "config", type: "remove" });
          continue;
        }
        const s = wanted.get(m.interface);
        if (!s) this.runtime.send(queueMemberId(q.name, m.interface), { source: "config", type: "remove" });
        else if (s.penalty !== m.penalty || s.name !== m.name || s.stateInterface !== m.stateInterface || s.ringinuse !== m.ringinuse || s.wrapuptime !== m.wrapuptime) {
          this.runtime.send(queueMemberId(q.name, m.interface), {
            source: "config", type: "update", name: s.name, stateInterface: s.stateInterface, penalty: s.penalty,
            ...(s.ringinuse !== undefined ? { ringinuse: s.ringinuse } : {}), ...(s.wrapuptime !== undefined ? { wrapuptime: s.wrapuptime } : {}),
          });
        }
      }
      for (const s of q.members) if (!this.runtime.has(queueMemberId(q.name, s.interface))) this.spawnStatic(q.name, s);
    }
    for (const id of this.runtime.ids("queue-member")) {
      const m = this.runtime.state(id)!.context as QueueMemberContext;
      if (!m.dynamic && !conf.queues.has(m.queue)) this.runtime.send(id, { source: "config", type: "remove" });
    }
    return conf.warnings;
  }

  private spawnStatic(queue: string, s: StaticMember): void {
    const input: QueueMemberInput = {
      source: "config", type: "add", queue, interface: s.interface, name: s.name, stateInterface: s.stateInterface, penalty: s.penalty,
      paused: s.paused, dynamic: false, ...(s.ringinuse !== undefined ? { ringinuse: s.ringinuse } : {}), ...(s.wrapuptime !== undefined ? { wrapuptime: s.wrapuptime } : {}),
    };
    this.runtime.spawn("queue-member", queueMemberId(queue, s.interface), input);
    this.indexed(queue).add(s.interface);
  }

  private indexed(queue: string): Set<string> {
    let set = this.index.get(queue);
    if (!set) this.index.set(queue, set = new Set());
    return set;
  }

  // ---- reads ---------------------------------------------------------------------

  config(name: string): QueueConfig | undefined { return this.conf.queues.get(name); }
  names(): string[] { return [...this.conf.queues.keys()].sort(); }
  rule(name: string) { return this.conf.rules.get(name); }
  /** queuerules.conf's rules in file order. */
  rules(): ReadonlyMap<string, readonly PenaltyRule[]> { return this.conf.rules; }

  state(name: string): QueueContext | undefined {
    return this.runtime.state(queueId(name))?.context as QueueContext | undefined;
  }

  callers(name: string): readonly QueueCaller[] { return this.state(name)?.callers ?? []; }

  private memberContexts(queue: string): QueueMemberContext[] {
    const out: QueueMemberContext[] = [];
    const set = this.index.get(queue);
    if (!set) return out;
    for (const iface of set) {
      const state = this.runtime.state(queueMemberId(queue, iface));
      if (state) out.push(state.context as QueueMemberContext); else set.delete(iface);
    }
    return out;
  }

  /** Members in the queue's order: configuration order for static ones, then dynamic ones as added. */
  members(queue: string): MemberView[] {
    const ringing = this.ringingNow.get(queue);
    let order = this.orders.get(queue);
    if (!order) this.orders.set(queue, order = new Map((this.conf.queues.get(queue)?.members ?? []).map((m, i) => [m.interface, i])));
    const views: { v: MemberView; k: number }[] = [];
    const set = this.index.get(queue);
    if (!set) return [];
    let i = 0;
    for (const iface of set) {
      const v = this.view(queue, iface, ringing);
      if (!v) { set.delete(iface); continue; }
      views.push({ v, k: order.get(iface) ?? 1e6 + i++ });
    }
    return views.sort((a, b) => a.k - b.k).map((x) => x.v);
  }

  member(queue: string, iface: string): MemberView | undefined {
    return this.index.get(queue)?.has(iface) ? this.view(queue, iface, this.ringingNow.get(queue)) : undefined;
  }

  private view(queue: string, iface: string, ringing: ReadonlyMap<string, string> | undefined): MemberView | undefined {
    const state = this.runtime.state(queueMemberId(queue, iface));
    if (!state) return undefined;
    const m = state.context as QueueMemberContext;
    // The new fields first: V8 (Node 20) adds fields to a spread copy of a large object slowly (µs each).
    return { state: String(state.value), device: this.deviceState(m.stateInterface), ringing: ringing?.has(iface) ?? false, ...m };
  }

  /** Whether a member can take a call now: logged in, not paused, not in a call or wrap-up, device free (unless ringinuse). */
  ready(queue: string, m: MemberView): boolean {
    if (m.paused || m.state !== "available" || m.ringing) return false;
    return this.deviceFree(queue, m);
  }

  private deviceFree(queue: string, m: MemberView): boolean {
    if (m.device === "INVALID" || m.device === "UNAVAILABLE") return false;
    const ringinuse = m.ringinuse ?? this.conf.queues.get(queue)?.ringinuse ?? true;
    return ringinuse || (m.device !== "INUSE" && m.device !== "BUSY" && m.device !== "RINGING" && m.device !== "RINGINUSE" && m.device !== "ONHOLD");
  }

  /**
   * Whether every member is excluded by `conditions` (joinempty / leavewhenempty):
   * undefined when some member counts, else the status Queue() sets — EMPTY when the
   * queue has no members at all or some were excluded for a reason other than being
   * unavailable, UNAVAIL when every member is unreachable. `outsideWindow`: the caller's
   * penalty window leaves the member out (the "penalty" condition); it is told how many
   * members the queue has (penaltymemberslimit).
   */
  emptyStatus(queue: string, conditions: readonly EmptyCondition[], outsideWindow: (m: MemberView, count: number) => boolean = () => false): "EMPTY" | "UNAVAIL" | undefined {
    if (!conditions.length) return undefined;
    const members = this.members(queue);
    if (!members.length) return "EMPTY";
    let unavailableOnly = true;
    for (const m of members) {
      const excluded =
        (conditions.includes("penalty") && outsideWindow(m, members.length)) ? "penalty"
        : (conditions.includes("paused") && m.paused) ? "paused"
        : (conditions.includes("unavailable") && m.device === "UNAVAILABLE") ? "unavailable"
        : (conditions.includes("invalid") && m.device === "INVALID") ? "invalid"
        : (conditions.includes("unknown") && m.device === "UNKNOWN") ? "unknown"
        : (conditions.includes("inuse") && (m.device === "INUSE" || m.state === "incall")) ? "inuse"
        : (conditions.includes("ringing") && (m.device === "RINGING" || m.ringing)) ? "ringing"
        : (conditions.includes("wrapup") && m.state === "wrapup") ? "wrapup"
        : undefined;
      if (!excluded) return undefined;
      if (excluded !== "unavailable" && excluded !== "invalid") unavailableOnly = false;
    }
    return unavailableOnly ? "UNAVAIL" : "EMPTY";
  }

  /** Mark interfaces as being rung by the Queue() of caller `uniqueid` (false: that caller is done ringing them). */
  setRinging(queue: string, ifaces: readonly string[], on: boolean, uniqueid: string): void {
    let owners = this.ringingNow.get(queue);
    if (!owners) this.ringingNow.set(queue, owners = new Map());
    for (const i of ifaces) {
      if (on) owners.set(i, uniqueid);
      else if (owners.get(i) === uniqueid) owners.delete(i);
    }
  }

  // ---- changes -------------------------------------------------------------------

  sendQueue(name: string, input: QueueInput): void {
    this.runtime.send(queueId(name), input);
  }

  sendMember(queue: string, iface: string, input: QueueMemberInput): boolean {
    return this.runtime.send(queueMemberId(queue, iface), input) !== undefined;
  }

  addMember(queue: string, iface: string, options: { penalty?: number; name?: string; stateInterface?: string; paused?: boolean; reason?: string; callid?: string; source: Source }): AddResult {
    if (!this.conf.queues.has(queue)) return "NOSUCHQUEUE";
    if (this.runtime.has(queueMemberId(queue, iface))) return "MEMBERALREADY";
    this.indexed(queue).add(iface);
    this.runtime.spawn("queue-member", queueMemberId(queue, iface), {
      source: options.source, type: "add", queue, interface: iface, name: options.name || iface, stateInterface: options.stateInterface || iface,
      penalty: options.penalty ?? 0, paused: options.paused ?? false, ...(options.reason ? { reason: options.reason } : {}), dynamic: true,
      callid: options.callid ?? "NONE",
    });
    return "ADDED";
  }

  removeMember(queue: string, iface: string, source: Source, callid = "NONE"): RemoveResult {
    if (!this.conf.queues.has(queue)) return "NOSUCHQUEUE";
    const m = this.runtime.state(queueMemberId(queue, iface))?.context as QueueMemberContext | undefined;
    if (!m || m.leaving) return "NOTINQUEUE";
    if (!m.dynamic) return "NOTDYNAMIC";
    this.runtime.send(queueMemberId(queue, iface), { source, type: "remove", callid });
    return "REMOVED";
  }

  /**
   * Pause or unpause `iface` in `queue`, or in every queue it is a member of when no
   * queue is given; false when it is a member of none of them.
   */
  setPaused(queue: string | undefined, iface: string, paused: boolean, reason: string, source: Source): boolean {
    let found = false;
    for (const id of this.runtime.ids("queue-member")) {
      const m = this.runtime.state(id)!.context as QueueMemberContext;
      if (m.interface !== iface || (queue && m.queue !== queue) || m.leaving) continue;
      // Without a queue, the first change also writes PAUSEALL/UNPAUSEALL.
      const all = !queue && !found ? { all: true } : {};
      found = true;
      this.runtime.send(id, paused ? { source, type: "pause", reason, ...all } : { source, type: "unpause", ...(reason ? { reason } : {}), ...all });
    }
    return found;
  }

  /**
   * autopause (app_queue's rna): after a member's ring failed, pause it with reason
   * "Auto-Pause" in the queue (`yes`) or every queue it is in (`all`, PAUSEALL first) —
   * a busy one only with autopausebusy, an unavailable one only with autopauseunavail,
   * none within autopausedelay seconds of its last call. `now` in µs. Where it was paused.
   */
  autoPause(queue: string, iface: string, failure: RingFailure, now: number, source: Source = "dialplan"): "queue" | "all" | undefined {
    const q = this.conf.queues.get(queue);
    if (!q || q.autopause === "no") return undefined;
    if ((failure === "busy" && !q.autopausebusy) || (failure === "unavailable" && !q.autopauseunavail)) return undefined;
    const m = this.runtime.state(queueMemberId(queue, iface))?.context as QueueMemberContext | undefined;
    if (!m || m.paused || m.leaving) return undefined;
    if (q.autopausedelay > 0 && m.lastCall !== 0 && now - m.lastCall < q.autopausedelay * 1e6) return undefined;
    const all = q.autopause === "all";
    this.setPaused(all ? undefined : queue, iface, true, "Auto-Pause", source);
    return all ? "all" : "queue";
  }

  setPenalty(queue: string | undefined, iface: string, penalty: number, source: Source): boolean {
    let found = false;
    for (const id of this.runtime.ids("queue-member")) {
      const m = this.runtime.state(id)!.context as QueueMemberContext;
      if (m.interface !== iface || (queue && m.queue !== queue)) continue;
      found = true;
      this.runtime.send(id, { source, type: "penalty", penalty });
    }
    return found;
  }

  resetStats(queue: string | undefined, source: Source): number {
    const names = queue ? [queue].filter((q) => this.conf.queues.has(q)) : this.names();
    for (const q of names) {
      this.sendQueue(q, { source, type: "reset" });
      for (const m of this.memberContexts(q)) this.sendMember(q, m.interface, { source, type: "reset" });
    }
    return names.length;
  }
}
