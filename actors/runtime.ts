/**
 * The actor runtime: keeps every live actor's machine snapshot, feeds inputs through
 * pure XState transitions with the injected clock and random, appends each transition
 * to the event log, and carries out the requested outputs once the event is durable.
 * Timers are outputs too: the runtime arms them and feeds a `timer` input back.
 *
 * Contract: the log holds every transition the actors in memory have made, in the order
 * they made them, and nothing a transition asks for (a SIP answer, a timer, an observer's
 * fold, and through `afterDurable` a call's signalling) happens before its event is
 * durable. One append is in flight at a time; the turns gathered meanwhile go in the next one.
 *
 * When the log refuses an append (disk full, an I/O error), the runtime neither drops
 * the transitions (memory would run ahead of the log for good: a call ended in memory
 * stays up in the log and comes back after a restart) nor rolls them back (their inputs,
 * a BYE or a timer, are already consumed). It holds them, and every later one behind
 * them, and appends them again, in order, every `retryMicros` on the clock until the log
 * takes them. Meanwhile nothing they ask for is carried out: callers hear nothing new,
 * phones retransmit, registrations wait; nothing is acknowledged that is not stored, so a
 * crash during the outage loses only what no one was told. The outage is reported
 * through `onError` once when it starts and through `notice` when the log takes the held
 * events; `held` says how many wait.
 */
import type { AnyMachineSnapshot } from "xstate";
import type { Clock, Timer } from "../core/clock.js";
import type { Random } from "../core/random.js";
import type { EventLog } from "../events/log.js";
import type { ActorKind, ActorState, EventDraft, EventRecord, Input, Output } from "../events/record.js";
import { StateFold } from "./fold.js";
import type { ActorKindDef } from "./kind.js";
import { inputStep, pendingTimers, restore, spawnStep, type StepResult, type StepSource } from "./step.js";

interface LiveActor {
  readonly id: string;
  readonly def: ActorKindDef;
  snapshot: AnyMachineSnapshot;
  seq: number;
  readonly linkedid?: string;
  /** Timers the actor has asked for and not cancelled (logged with each event). */
  pending: Record<string, number>;
  /** Armed clock timers, once their event is durable. */
  readonly timers: Map<string, Timer>;
}

export interface Transition {
  readonly state: ActorState;
  readonly outputs: readonly Output[];
  /** Settles when the event is durable (and its outputs have been handed out). */
  readonly durable: Promise<EventRecord>;
}

/**
 * The transitions of one turn of the event loop, appended to the log together: one
 * append and one promise per turn instead of several per event (a call makes dozens).
 * Order is step order, so the log reads exactly as the steps happened.
 */
class TurnBatch {
  readonly drafts: EventDraft[] = [];
  /** What waits for this batch to be durable (ActorRuntime.afterDurable), in the order it was asked. */
  readonly after: (() => void)[] = [];
  readonly steps: { readonly actor: LiveActor; readonly state: ActorState; readonly outputs: readonly Output[] }[] = [];
  /** Resolves with the stored records once durable and every output is handed out. */
  readonly stored: Promise<EventRecord[]>;
  settle!: (append: Promise<EventRecord[]>) => void;
  constructor() {
    this.stored = new Promise<EventRecord[]>((resolve, reject) => { this.settle = (append) => append.then(resolve, reject); });
    this.stored.catch(() => undefined); // a failed append is reported once, by the runtime's onError
  }
}

/** A step's Transition: its durable promise is made only for callers that ask. */
class StepTransition implements Transition {
  private made?: Promise<EventRecord>;
  constructor(readonly state: ActorState, readonly outputs: readonly Output[], private readonly batch: TurnBatch, private readonly index: number) {}
  get durable(): Promise<EventRecord> {
    if (!this.made) {
      this.made = this.batch.stored.then((records) => records[this.index]);
      this.made.catch(() => undefined); // as above: whoever awaits it still sees the failure
    }
    return this.made;
  }
}

export type OutputHandler = (actorId: string, output: Output) => void;
/** Told of each durable transition of one actor kind (its new state and outputs), before the outputs are carried out. */
export type TransitionObserver = (actorId: string, state: ActorState, outputs: readonly Output[]) => void;

export interface RuntimeOptions {
  readonly log: EventLog;
  readonly clock: Clock;
  readonly random: Random;
  readonly kinds: readonly ActorKindDef[];
  /** Where runtime failures (an append the log refused) are reported. */
  readonly onError?: (error: Error) => void;
  /** Where the end of a log outage is reported (how many events were held, for how long). */
  readonly notice?: (message: string) => void;
  /** How long to wait before appending held transitions again (µs, default 1 s). */
  readonly retryMicros?: number;
}

export class ActorRuntime {
  private readonly actors = new Map<string, LiveActor>();
  private readonly kinds = new Map<string, ActorKindDef>();
  private readonly handlers = new Map<string, OutputHandler[]>();
  private readonly observers = new Map<string, TransitionObserver[]>();
  private pending = new Set<Promise<unknown>>();
  private readonly source: StepDraws;

  constructor(private readonly options: RuntimeOptions) {
    for (const def of options.kinds) this.kinds.set(def.kind, def);
    this.source = new StepDraws(options.random);
  }

  private readonly durableListeners: ((records: readonly EventRecord[]) => void)[] = [];

  /**
   * Hear of every record this runtime appends, once it is durable, in offset order (ARI's
   * events follow these without reading them back from the log).
   */
  onDurable(listener: (records: readonly EventRecord[]) => void): void {
    this.durableListeners.push(listener);
  }

  /** Register what to do with outputs of a given type (SIP sends, notifications ...). */
  onOutput(type: string, handler: OutputHandler): void {
    const list = this.handlers.get(type) ?? [];
    list.push(handler);
    this.handlers.set(type, list);
  }

  /**
   * Watch every transition of one kind once it is durable (device state folds channel
   * states, subscriptions send their NOTIFYs). Observers run in log order, before the
   * step's outputs go to their handlers; they must not throw.
   */
  observe(kind: ActorKind, observer: TransitionObserver): void {
    const list = this.observers.get(kind) ?? [];
    list.push(observer);
    this.observers.set(kind, list);
  }

  has(id: string): boolean { return this.actors.has(id); }

  /** The current persisted state of a live actor. */
  state(id: string): ActorState | undefined {
    const a = this.actors.get(id);
    return a && { value: a.snapshot.value, context: a.snapshot.context };
  }

  /** Ids of live actors, optionally of one kind, in spawn order. */
  ids(kind?: ActorKind): string[] {
    const out: string[] = [];
    for (const a of this.actors.values()) if (!kind || a.def.kind === kind) out.push(a.id);
    return out;
  }

  spawn(kind: ActorKind, id: string, input: Input, options: { linkedid?: string } = {}): Transition {
    if (this.actors.has(id)) throw new Error(`actor ${id} already exists`);
    const def = this.kinds.get(kind);
    if (!def) throw new Error(`no actor kind ${kind}`);
    const actor: LiveActor = { id, def, snapshot: undefined as never, seq: 0, pending: {}, timers: new Map(), ...(options.linkedid ? { linkedid: options.linkedid } : {}) };
    this.actors.set(id, actor);
    return this.step(actor, input, (source) => spawnStep(def, input, source));
  }

  /** Feed an input to a live actor; undefined when there is no such actor. */
  send(id: string, input: Input): Transition | undefined {
    const actor = this.actors.get(id);
    if (!actor) return undefined;
    return this.step(actor, input, (source) => inputStep(actor.def, actor.snapshot, input, source));
  }

  private step(actor: LiveActor, input: Input, compute: (source: StepSource) => StepResult): Transition {
    const source = this.source.begin(this.options.clock.now());
    const result = compute(source);
    const draws = source.end();
    actor.snapshot = result.snapshot;
    actor.seq++;
    actor.pending = pendingTimers(actor.pending, result.outputs, result.state.done === true);
    if (result.state.done) this.retire(actor);
    // Optional fields are set only when present (absent, not undefined), without throw-away objects.
    const draft: Mutable<EventDraft> = {
      type: actor.def.eventType, v: actor.def.eventVersion, stream: actor.id, kind: actor.def.kind, seq: actor.seq,
      time: source.now, input, state: result.state, outputs: result.outputs,
    };
    if (actor.linkedid) draft.linkedid = actor.linkedid;
    if (draws) draft.draws = draws;
    if (hasKeys(actor.pending)) draft.timers = actor.pending;
    let batch = this.batch;
    if (!batch) {
      batch = this.batch = new TurnBatch();
      queueMicrotask(() => this.appendBatch());
    }
    batch.drafts.push(draft);
    batch.steps.push({ actor, state: result.state, outputs: result.outputs });
    return new StepTransition(result.state, result.outputs, batch, batch.drafts.length - 1);
  }

  /** The turn's batch being gathered, appended at the end of the turn. */
  private batch: TurnBatch | undefined;
  /** Turns waiting for the log, oldest first: behind the append in flight, or held while the log refuses them. */
  private readonly waiting: TurnBatch[] = [];
  private inFlight = false;
  /** The turns of the append in flight. */
  private appending: readonly TurnBatch[] = [];
  /** Set while the log refuses appends: when the outage began and the retry armed on the clock. */
  private outage: { since: number; retry: Timer } | undefined;

  /**
   * Transitions made but not handed to the log yet (behind the append in flight, or held):
   * the log's next offset plus this is the offset after every transition made so far.
   * What happens outside the log because of a transition (AMI's OriginateResponse) is
   * released once a reader of the log has passed that.
   */
  get unappended(): number {
    return this.held + (this.batch?.drafts.length ?? 0);
  }

  /** Events whose transitions are made but not yet stored (held while the log refuses them). */
  get held(): number {
    let n = 0;
    for (const b of this.waiting) n += b.drafts.length;
    return n;
  }

  private appendBatch(): void {
    const batch = this.batch;
    if (batch) {
      this.batch = undefined;
      this.waiting.push(batch);
    }
    if (!this.inFlight && !this.outage && this.waiting.length) this.flush();
  }

  /** Append every waiting turn in one call; on success hand out their outputs, on failure hold them and retry. */
  private flush(): void {
    const batches = this.waiting.splice(0);
    const drafts = batches.length === 1 ? batches[0].drafts : batches.flatMap((b) => b.drafts);
    this.inFlight = true;
    this.appending = batches;
    const appended = this.options.log.append(drafts).then(
      (records) => {
        this.inFlight = false;
        this.appending = [];
        if (this.outage) this.recovered(records.length);
        // The turns that waited go to the log now: their sync overlaps handing out these outputs.
        this.appendBatch();
        for (const listener of this.durableListeners) {
          try { listener(records); } catch (e) { this.options.onError?.(e as Error); }
        }
        let at = 0;
        for (const batch of batches) {
          const own = batches.length === 1 ? records : records.slice(at, at + batch.drafts.length);
          at += batch.drafts.length;
          for (const { actor, state, outputs } of batch.steps) {
            const observers = this.observers.get(actor.def.kind);
            if (observers) for (const o of observers) o(actor.id, state, outputs);
            if (outputs.length) this.carryOut(actor, outputs);
          }
          batch.settle(Promise.resolve(own));
        }
        for (const batch of batches) for (const fn of batch.after) this.run(fn);
      },
      (e: Error) => {
        this.inFlight = false;
        this.appending = [];
        // Held, in order, ahead of anything made since: the log must read as the actors moved.
        this.waiting.unshift(...batches);
        const first = !this.outage;
        const retryMicros = this.options.retryMicros ?? 1_000_000;
        const now = this.options.clock.now();
        this.outage = {
          since: this.outage?.since ?? now,
          retry: this.options.clock.schedule(now + retryMicros, () => this.retry()),
        };
        if (first) this.options.onError?.(new Error(`${e.message}; holding ${this.held} events and everything they ask for, appending them again every ${retryMicros / 1e6} s: nothing is acknowledged until the log takes them`, { cause: e }));
      },
    );
    this.track(appended);
  }

  private retry(): void {
    if (this.inFlight || !this.waiting.length) return;
    this.flush();
  }

  private recovered(events: number): void {
    const { since, retry } = this.outage!;
    retry.cancel();
    this.outage = undefined;
    this.options.notice?.(`event log: appends succeed again; ${events} held events stored after ${((this.options.clock.now() - since) / 1e6).toFixed(1)} s`);
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    p.then(() => this.pending.delete(p), (e: Error) => { this.pending.delete(p); this.options.onError?.(e); });
  }

  private retire(actor: LiveActor): void {
    this.actors.delete(actor.id);
    for (const t of actor.timers.values()) t.cancel();
    actor.timers.clear();
  }

  private carryOut(actor: LiveActor, outputs: readonly Output[]): void {
    for (const o of outputs) {
      if (o.type === "timer.set") this.arm(actor, o.name as string, o.at as number);
      else if (o.type === "timer.cancel") { actor.timers.get(o.name as string)?.cancel(); actor.timers.delete(o.name as string); }
      for (const h of this.handlers.get(o.type) ?? []) h(actor.id, o);
    }
  }

  private arm(actor: LiveActor, name: string, at: number): void {
    if (!this.actors.has(actor.id)) return;
    actor.timers.get(name)?.cancel();
    actor.timers.set(name, this.options.clock.schedule(at, () => {
      actor.timers.delete(name);
      this.send(actor.id, { source: "timer", type: "timer", name });
    }));
  }

  /**
   * Rebuild live actors from the log (or from `source`: with Kafka, the local outbox,
   * which holds every event of this node even while Kafka is away); timers still
   * pending are armed again.
   */
  async recover(source: EventLog = this.options.log): Promise<{ events: number; actors: number }> {
    const fold = await StateFold.of(source);
    for (const last of await fold.liveRecords(source)) {
      const def = this.kinds.get(last.kind);
      if (!def) throw new Error(`log holds actor ${last.stream} of unknown kind ${last.kind}`);
      const actor: LiveActor = {
        id: last.stream, def, snapshot: restore(def, last.state), seq: last.seq, pending: { ...last.timers }, timers: new Map(),
        ...(last.linkedid ? { linkedid: last.linkedid } : {}),
      };
      this.actors.set(actor.id, actor);
      for (const [name, at] of Object.entries(actor.pending)) this.arm(actor, name, at);
    }
    return { events: fold.events, actors: fold.liveCount };
  }

  /**
   * Run `fn` once every transition made so far, and those the rest of this synchronous run
   * makes, is durable (at once when none waits), after their outputs; in the order given.
   * A channel driver sends a call's signalling through this (an answer, a BYE, an INVITE),
   * so no phone hears of a transition a crash could take out of the log.
   */
  afterDurable(fn: () => void): void {
    // A microtask later: the transition the caller makes right after asking is covered too.
    queueMicrotask(() => {
      const last = this.batch ?? this.waiting.at(-1) ?? this.appending.at(-1);
      if (last) last.after.push(fn); else this.run(fn);
    });
  }

  private run(fn: () => void): void {
    try { fn(); } catch (e) { this.options.onError?.(e as Error); }
  }

  /** Wait until every transition so far is durable and its outputs handed out. */
  async settle(): Promise<void> {
    this.appendBatch();
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Stop all timers (the log is closed by its owner). */
  stop(): void {
    for (const a of this.actors.values()) for (const t of a.timers.values()) t.cancel();
    this.outage?.retry.cancel();
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The time and random source of the step being made: one per runtime, reused (steps never
 * nest), recording every value drawn so the log can replay it.
 */
class StepDraws implements StepSource {
  now = 0;
  private drawn: number[] | undefined;
  constructor(private readonly random: Random) {}
  begin(now: number): this {
    this.now = now;
    this.drawn = undefined;
    return this;
  }
  readonly random32 = (): number => {
    const v = this.random.next32();
    (this.drawn ??= []).push(v);
    return v;
  };
  /** The values the step drew, if any. */
  end(): number[] | undefined { return this.drawn; }
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}
