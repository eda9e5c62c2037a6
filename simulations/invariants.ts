/**
 * What must hold in every simulation, checked after every step (cheap checks) and at
 * the end (complete ones). A violation is thrown as InvariantViolation naming the
 * invariant, the seed, the log offset at which it was seen and the actor concerned,
 * which is everything needed to reproduce and look at it (`recall replay --until`).
 */
import type { VirtualClock } from "../core/clock.js";
import type { SimPbx } from "./pbx.js";
import type { AgentPhone, CallerTrunk } from "./phones.js";

export class InvariantViolation extends Error {
  constructor(readonly invariant: string, readonly detail: string, readonly seed: number, readonly offset: number, readonly actor: string, readonly reproduce = `recall simulate --seed ${seed} ...`) {
    super(`${invariant}: ${detail} (seed ${seed}, log offset ${offset}, actor ${actor}); reproduce with: ${reproduce}`);
  }
}

const CALLS_END = "every call ends";
const NO_LEAKS = "no channel, bridge or media session leaks";
const ONE_CALL = "a queue member is never in two calls (ringinuse=no)";
const NOT_LOST = "nothing acknowledged is lost across a crash";
const BOUNDED = "a call never holds more channels than its legs";

/** A channel or bridge may outlive its call this long (CANCEL and BYE handshakes, retransmissions under loss). */
const LEAK_GRACE_MICROS = 64_000_000;
/** Longest a caller's call may last: patience or talk time plus every SIP timeout. */
const CALL_SLACK_MICROS = 600_000_000;

export interface InvariantDeps {
  /** The PBX process alive now (a crash replaces it). */
  readonly pbx: () => SimPbx;
  readonly trunk: CallerTrunk;
  readonly agents: readonly AgentPhone[];
  readonly seed: number;
  readonly clock: VirtualClock;
  /** The one-line command that runs this simulation again. */
  readonly reproduce: string;
  /** Agents take calls only through a queue with ringinuse=no: Recall may never ring one already in a call. */
  readonly members?: boolean;
}

export class Invariants {
  readonly checked: string[] = [];
  private excessSince: number | undefined;
  private nextDeadlineCheck = 0;
  private lastPbx: SimPbx | undefined;
  private lastChanges = -1;
  /** Agent phone → the leg seen ringing or up on it, this step (kept to spare an allocation per step). */
  private readonly seen = new Map<string, string>();
  /** Agent phones' endpoints (calls out through the carrier share its endpoint, as on a real trunk). */
  private readonly agentNames: ReadonlySet<string>;

  constructor(private readonly d: InvariantDeps) {
    this.agentNames = new Set(d.agents.map((a) => a.name));
    for (const i of [CALLS_END, NO_LEAKS, BOUNDED]) this.noted(i);
    if (d.members) this.noted(ONE_CALL);
  }

  noted(invariant: string): void { if (!this.checked.includes(invariant)) this.checked.push(invariant); }

  private fail(invariant: string, detail: string, actor: string): never {
    throw new InvariantViolation(invariant, detail, this.d.seed, this.d.pbx().log.nextOffset, actor, this.d.reproduce);
  }

  /** Cheap checks, after every step. */
  afterStep(): void {
    const { trunk, clock } = this.d;
    const { runtime } = this.d.pbx();
    const now = clock.now();
    // Each caller's call is one inbound channel and at most one Dial leg: more channels than that, for longer than the grace, leak.
    const channels = runtime.ids("channel");
    const limit = 2 * trunk.active;
    if (channels.length > limit) {
      this.excessSince ??= now;
      if (now - this.excessSince > LEAK_GRACE_MICROS) this.fail(BOUNDED, `${channels.length} channels live for ${trunk.active} calls in progress for ${((now - this.excessSince) / 1e6).toFixed(0)} s`, channels[0]);
    } else this.excessSince = undefined;
    // Legs change only with a stored channel transition: no new one since the last look, nothing new to see.
    const pbx = this.d.pbx();
    if (this.d.members && (pbx !== this.lastPbx || pbx.channelChanges !== this.lastChanges)) {
      this.lastPbx = pbx;
      this.lastChanges = pbx.channelChanges;
      this.oneCallPerMember(runtime, channels);
    }
    // Deadlines are minutes long: looking once a virtual second finds every overrun, a second late at most.
    if (now < this.nextDeadlineCheck) return;
    this.nextDeadlineCheck = now + 1_000_000;
    for (const [callId, c] of trunk.calls) {
      if (now - c.record.startedAt > c.record.plan.patienceMicros + c.record.plan.talkMicros + CALL_SLACK_MICROS) {
        this.fail(CALLS_END, `caller call ${callId} to ${c.record.plan.exten} still in progress after ${((now - c.record.startedAt) / 1e6).toFixed(0)} s`, `caller ${callId}`);
      }
    }
  }

  /** Two live legs Recall placed to the same agent phone (ringing or up) are one member in two calls. */
  private oneCallPerMember(runtime: SimPbx["runtime"], channels: readonly string[]): void {
    const seen = this.seen;
    seen.clear();
    for (const id of channels) {
      const s = runtime.state(id);
      const c = s?.context as { direction?: string; endpoint?: string } | undefined;
      if (!c || c.direction !== "out" || !c.endpoint || !this.agentNames.has(c.endpoint) || s!.value === "hungup") continue;
      const other = seen.get(c.endpoint);
      if (other) this.fail(ONE_CALL, `${c.endpoint} has two calls: ${other} and ${id}`, id);
      seen.set(c.endpoint, id);
    }
  }

  /** After a crash and restart from the log: every event the dead process was told is durable is in the log it reopened. */
  afterRestart(acknowledged: number, offsetAtCrash: number): void {
    this.noted(NOT_LOST);
    const log = this.d.pbx().log;
    if (log.nextOffset < acknowledged) this.fail(NOT_LOST, `the log reopened at offset ${log.nextOffset} but ${acknowledged} events were acknowledged before the crash (next offset then ${offsetAtCrash})`, "log");
  }

  /** Complete checks once the day is over and the system is idle. */
  atEnd(): void {
    const { trunk } = this.d;
    const { runtime, core, media } = this.d.pbx();
    for (const r of trunk.records) {
      if (r.outcome === undefined || r.endedAt === undefined) this.fail(CALLS_END, `caller call ${r.plan.id} to ${r.plan.exten} never ended`, `caller ${r.plan.id}`);
    }
    for (const kind of ["channel", "bridge"] as const) {
      const live = runtime.ids(kind);
      if (live.length) this.fail(NO_LEAKS, `${live.length} ${kind} actors live after every call ended`, live[0]);
    }
    const channels = core.list();
    if (channels.length) this.fail(NO_LEAKS, `${channels.length} channels in the call core after every call ended`, channels[0].name);
    if (media.sessions.size) this.fail(NO_LEAKS, `${media.sessions.size} media sessions never closed`, [...media.sessions][0]);
    if (trunk.farCalls) this.fail(CALLS_END, `${trunk.farCalls} calls out through the carrier still up after every caller's call ended`, "trunk");
    for (const a of this.d.agents) if (a.busy) this.fail(CALLS_END, `agent phone ${a.name} still in a call (${a.describe()})`, `agent ${a.name}`);
  }
}
