/**
 * What the runtime needs to know about one kind of actor. Machines are pure: the
 * runtime computes each transition with XState's `transition`, never runs timers
 * inside XState, and hands every machine event an `env` carrying the injected time
 * and randomness. Outputs are the events a machine `emit`s.
 */
import type { AnyStateMachine } from "xstate";
import type { ActorKind, Input } from "../events/record.js";

/** The injected services one transition may use. Values drawn here are recorded. */
export interface TransitionEnv {
  /** Time of the input being processed, microseconds since the epoch. */
  readonly now: number;
  /** A random unsigned 32-bit integer. */
  random32(): number;
}

/** The event a machine receives: the logged input plus the environment. */
export type MachineEvent<I extends { readonly type: string } = Input> = I & { readonly env: TransitionEnv };

/** Input a machine receives when spawned. */
export type SpawnInput<I extends { readonly type: string } = Input> = { readonly spawn: I; readonly env: TransitionEnv };

export interface ActorKindDef {
  readonly kind: ActorKind;
  /** Catalogue entry written for each transition of this kind. */
  readonly eventType: string;
  readonly eventVersion: number;
  readonly machine: AnyStateMachine;
  /**
   * Inputs that every state short of the final one takes the same way: the machine's root
   * `on` (or its one state short of the final one's) assigns `apply`'s fields and does nothing else (no target, no emit, no state
   * overrides them). A step computes these without walking the machine; a test per kind
   * shows both ways give the same state.
   */
  readonly contextUpdates?: ContextUpdates;
  /**
   * Inputs that move the machine from one state to a sibling, assigning fields and emitting
   * nothing (flatStateChanges reads them off a flat machine's config). A step computes these
   * without walking the machine too; the same test shows both ways agree.
   */
  readonly stateChanges?: StateChanges;
  /**
   * The state a new actor rests in, from its initial context, for a machine whose initial
   * state is plain or an `always` that picks a plain sibling, emitting nothing. A spawn then
   * builds its snapshot without walking the machine (XState's initial microsteps cost a
   * call's set-up more than its later steps); the same test shows both ways agree.
   */
  readonly spawnState?: (context: never) => string;
}

export interface StateChanges {
  /** The state `input` moves `state` to and the fields it assigns, or undefined where XState must walk the machine. */
  next(state: string, context: never, event: MachineEvent): { readonly target: string; readonly fields?: object } | undefined;
}

export interface ContextUpdates {
  readonly types: ReadonlySet<string>;
  /** The context fields the input changes (assigned over a copy of the context). */
  apply(context: never, event: MachineEvent): object;
}
