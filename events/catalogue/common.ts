/** Schema pieces shared by every event type of the catalogue. */
import { Schema } from "effect";

export const InputSource = Schema.Literal(
  "sip", "timer", "ami", "ari", "agi", "cli", "dtmf", "media", "config", "dialplan", "actor", "test",
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
