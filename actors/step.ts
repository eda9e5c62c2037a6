/**
 * One pure step of an actor: the shared core of the live runtime and of replay, so
 * both compute transitions the same way.
 */
import { createActor, type AnyActorScope, type AnyMachineSnapshot, type AnyStateMachine } from "xstate";
import type { ActorState, Input, Output } from "../events/record.js";
import type { ActorKindDef, TransitionEnv } from "./kind.js";

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
  const s = scopeFor(def.machine);
  const snapshot = withFastContext(def.machine.transition(from, { env, ...input }, s.scope) as AnyMachineSnapshot, from.context);
  return { snapshot, state: persist(snapshot), outputs: outputsOf(s.actions) };
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
