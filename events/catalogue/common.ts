/** Schema pieces shared by every event type of the catalogue. */
import * as Schema from "effect/Schema";

export const InputSource = Schema.Literal(
  "sip", "timer", "ami", "ari", "agi", "cli", "dtmf", "media", "config", "dialplan", "actor", "test", "spool",
);

/** Any input: a source, a type, and free fields. Each event type narrows it. */
export const AnyInput = Schema.Struct(
  { source: InputSource, type: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown }),
);

export const AnyOutput = Schema.Struct(
  { type: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown }),
);

/** Timers are outputs: the runtime arms them and feeds a `timer` input back when they fire. */
export const TimerSet = Schema.Struct({ type: Schema.Literal("timer.set"), name: Schema.String, at: Schema.Number });
export const TimerCancel = Schema.Struct({ type: Schema.Literal("timer.cancel"), name: Schema.String });

/**
 * A `<kind>.transition` event type: any input and output, and the machine's state
 * (value and context) after the transition, `done` once the actor has ended.
 */
export const transitionEvent = <T extends string, K extends string, V extends Schema.Schema.Any, C extends Schema.Schema.Any>(
  type: T, v: number, kind: K, value: V, context: C,
) => ({
  type, v, kind, input: AnyInput, output: AnyOutput,
  state: Schema.Struct({ value, context, done: Schema.optional(Schema.Boolean) }),
}) as const;
