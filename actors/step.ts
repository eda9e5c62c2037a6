/**
 * One pure step of an actor: the shared core of the live runtime and of replay, so
 * both compute transitions the same way.
 */
import { initialTransition, transition, type AnyMachineSnapshot } from "xstate";
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

export function spawnStep(def: ActorKindDef, input: Input, source: StepSource): StepResult {
  const env: TransitionEnv = source;
  const [snapshot, actions] = initialTransition(def.machine, { spawn: input, env });
  return { snapshot, state: persist(snapshot), outputs: outputsOf(actions) };
}

export function inputStep(def: ActorKindDef, from: AnyMachineSnapshot, input: Input, source: StepSource): StepResult {
  const env: TransitionEnv = source;
  const [snapshot, actions] = transition(def.machine, from, { ...input, env });
  return { snapshot, state: persist(snapshot), outputs: outputsOf(actions) };
}

/** Rebuild a machine snapshot from a persisted state. */
export function restore(def: ActorKindDef, state: ActorState): AnyMachineSnapshot {
  const snapshot = def.machine.resolveState({ value: state.value as never, context: state.context as never });
  return state.done ? { ...snapshot, status: "done" } as AnyMachineSnapshot : snapshot;
}
