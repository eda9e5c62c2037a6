/**
 * One pure step of an actor: the shared core of the live runtime and of replay, so
 * both compute transitions the same way.
 */
import { createActor, type AnyActorScope, type AnyMachineSnapshot, type AnyStateMachine } from "xstate";
import type { ActorState, Input, Output } from "../events/record.js";
import type { ActorKindDef, MachineEvent, SpawnInput, StateChanges, TransitionEnv } from "./kind.js";

export interface StepResult {
  readonly snapshot: AnyMachineSnapshot;
  readonly state: ActorState;
  readonly outputs: Output[];
}

/** Where a step's time and random values come from. */
export interface StepSource {
  readonly now: number;
  random32(): number;
}

function outputsOf(actions: readonly { type: string; params?: unknown }[]): Output[] {
  const out: Output[] = [];
  for (const a of actions) {
    if (a.type === "xstate.emit") out.push((a.params as { event: Output }).event);
  }
  return out;
}

export function persist(snapshot: AnyMachineSnapshot): ActorState {
  return snapshot.status === "done"
    ? { value: snapshot.value, context: snapshot.context, done: true }
    : { value: snapshot.value, context: snapshot.context };
}

/**
 * XState's pure `transition()` builds a throw-away actor on every call, which costs
 * more than the transition itself. Machines here never spawn children or schedule
 * delays, so one inert scope per machine serves every step; it collects the actions
 * a step asks for instead of running them.
 */
interface ReusableScope { readonly scope: AnyActorScope; actions: { type: string; params?: unknown }[] }
const scopes = new WeakMap<AnyStateMachine, ReusableScope>();

function scopeFor(machine: AnyStateMachine): ReusableScope {
  let reusable = scopes.get(machine);
  if (!reusable) {
    const self = createActor(machine, { input: { spawn: { source: "test", type: "probe" }, env: { now: 0, random32: () => 0 } } });
    const r: ReusableScope = {
      actions: [],
      scope: {
        self, id: "", sessionId: "", system: self.system,
        defer: () => undefined, logger: () => undefined, stopChild: () => undefined, emit: () => undefined,
        actionExecutor: (action: { type: string; params?: unknown }) => { r.actions.push(action); },
      } as unknown as AnyActorScope,
    };
    scopes.set(machine, reusable = r);
  }
  reusable.actions = [];
  return reusable;
}

export function spawnStep(def: ActorKindDef, input: Input, source: StepSource): StepResult {
  const env: TransitionEnv = source;
  if (def.spawnState) {
    const factory = def.machine.config.context as (args: { input: SpawnInput }) => Record<string, unknown>;
    const context = factory({ input: { spawn: input, env } });
    const snapshot = { ...settled(def.machine, def.spawnState(context as never)), context } as AnyMachineSnapshot;
    return { snapshot, state: persist(snapshot), outputs: [] };
  }
  const s = scopeFor(def.machine);
  const snapshot = withFastContext(def.machine.getInitialSnapshot(s.scope, { spawn: input, env }) as AnyMachineSnapshot, undefined);
  return { snapshot, state: persist(snapshot), outputs: outputsOf(s.actions) };
}

export function inputStep(def: ActorKindDef, from: AnyMachineSnapshot, input: Input, source: StepSource): StepResult {
  const env: TransitionEnv = source;
  const updates = def.contextUpdates;
  if (updates?.types.has(input.type) && from.status === "active") {
    const snapshot = { ...from, context: { ...from.context, ...updates.apply(from.context as never, { env, ...input }) } } as AnyMachineSnapshot;
    return { snapshot, state: persist(snapshot), outputs: [] };
  }
  const change = def.stateChanges && from.status === "active" && typeof from.value === "string"
    ? def.stateChanges.next(from.value, from.context as never, { env, ...input }) : undefined;
  if (change) {
    const context = change.fields ? { ...from.context, ...change.fields } : from.context;
    const snapshot = { ...settled(def.machine, change.target), context } as AnyMachineSnapshot;
    return { snapshot, state: persist(snapshot), outputs: [] };
  }
  const s = scopeFor(def.machine);
  const snapshot = withFastContext(def.machine.transition(from, { env, ...input }, s.scope) as AnyMachineSnapshot, from.context);
  return { snapshot, state: persist(snapshot), outputs: outputsOf(s.actions) };
}

/**
 * The transitions of a flat machine (atomic states under the root) that a step can take
 * without XState: an unguarded `on` entry to a sibling state whose actions, if any, are
 * one of `patches` (the assign it stands for, as a function of context and event). A
 * state with entry or exit actions, or an `always`, is left to XState, as is anything else.
 */
export function flatStateChanges(machine: AnyStateMachine, patches: Readonly<Record<string, (context: never, event: MachineEvent) => object>>): StateChanges {
  type Node = { on?: Record<string, unknown>; entry?: unknown; exit?: unknown; always?: unknown; states?: unknown };
  const states = (machine.config.states ?? {}) as Record<string, Node>;
  const simple = (name: string) => states[name] !== undefined && !states[name].states && !states[name].entry && !states[name].exit && !states[name].always;
  const table = new Map<string, Map<string, { target: string; patch?: (context: never, event: MachineEvent) => object }>>();
  for (const [name, node] of Object.entries(states)) {
    if (!simple(name)) continue;
    const row = new Map<string, { target: string; patch?: (context: never, event: MachineEvent) => object }>();
    for (const [type, t] of Object.entries(node.on ?? {})) {
      const d = (typeof t === "string" ? { target: t } : t) as { target?: unknown; guard?: unknown; actions?: unknown; reenter?: unknown };
      if (Array.isArray(t) || d.guard !== undefined || d.reenter || typeof d.target !== "string" || !simple(d.target)) continue;
      const actions = d.actions === undefined ? [] : [d.actions].flat();
      if (actions.length > 1 || actions.some((a) => typeof a !== "string" || !Object.hasOwn(patches, a))) continue;
      row.set(type, { target: d.target, patch: actions.length ? patches[actions[0] as string] : undefined });
    }
    table.set(name, row);
  }
  return {
    next(state, context, event) {
      const t = table.get(state)?.get(event.type);
      return t && (t.patch ? { target: t.target, fields: t.patch(context, event) } : { target: t.target });
    },
  };
}

/** A snapshot of `machine` at rest in `state` (a final one is done), its context to be filled in; one per state. */
const settledStates = new WeakMap<AnyStateMachine, Map<string, AnyMachineSnapshot>>();
function settled(machine: AnyStateMachine, state: string): AnyMachineSnapshot {
  let byState = settledStates.get(machine);
  if (!byState) settledStates.set(machine, byState = new Map());
  let snapshot = byState.get(state);
  if (!snapshot) {
    const node = (machine.config.states as Record<string, { states?: unknown; entry?: unknown; always?: unknown } | undefined>)[state];
    if (!node || node.states || node.entry || node.always) throw new Error(`${machine.id}: "${state}" is not a plain state to rest in`);
    snapshot = machine.resolveState({ value: state as never, context: {} as never }) as AnyMachineSnapshot;
    if ((machine.config.states as Record<string, { type?: string }>)[state].type === "final") snapshot = { ...snapshot, status: "done" } as AnyMachineSnapshot;
    byState.set(state, snapshot);
  }
  return snapshot;
}

/**
 * XState's `assign` builds the new context with `Object.assign({}, ...)`; past a dozen
 * fields V8 turns such an object into a slow dictionary, and every later copy, encode and
 * field read of it pays (a channel's step took twice as long). A spread copy keeps the
 * context a fast object. (Likewise events are built `{ env, ...input }`: V8 adds a field
 * to a spread copy slowly.)
 */
function withFastContext(snapshot: AnyMachineSnapshot, before: unknown): AnyMachineSnapshot {
  return snapshot.context === before ? snapshot : { ...snapshot, context: { ...snapshot.context } } as AnyMachineSnapshot;
}

/** Rebuild a machine snapshot from a persisted state. */
export function restore(def: ActorKindDef, state: ActorState): AnyMachineSnapshot {
  const snapshot = def.machine.resolveState({ value: state.value as never, context: state.context as never });
  return state.done ? { ...snapshot, status: "done" } as AnyMachineSnapshot : snapshot;
}

/** An actor's pending timers after a transition's outputs; none once it is done. */
export function pendingTimers(before: Readonly<Record<string, number>>, outputs: readonly Output[], done: boolean): Record<string, number> {
  if (done) return {};
  let after: Record<string, number> | undefined;
  for (const o of outputs) {
    if (o.type === "timer.set") (after ??= { ...before })[o.name as string] = o.at as number;
    else if (o.type === "timer.cancel") delete (after ??= { ...before })[o.name as string];
  }
  return after ?? (before as Record<string, number>);
}
