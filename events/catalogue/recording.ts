/**
 * recording.transition v1: one ARI live recording (Asterisk's stasis_app_recording) of a
 * channel or a bridge, from POST .../record to its end, so that what an application did
 * to it (pause, mute, stop) and why it ended (a digit, silence, its time) are in the
 * log: it replays and shows in the call's history. The media worker writes the file.
 *
 * Inputs:
 *   start     spawn: name, format, target (`channel:<id>` | `bridge:<id>`), file, ifExists,
 *             maxDurationSeconds, maxSilenceSeconds, terminateOn, beep    (queued)
 *   record    the beep (if any) has played and the worker records  (→ recording; the
 *             maxDurationSeconds timer is set, and stopped while paused)
 *   pause | unpause | mute | unmute
 *   stop      reason (stop | cancel | dtmf | max-duration), digit?   (asked for; `finish` ends it)
 *   timer     name "max-duration"   → recording.stop output
 *   finish    durationMs, talkingMs?, silence? (it ended itself on silence), error?
 *             → done | canceled (after stop/cancel) | failed (an error)
 *   fail      cause (it never started: the target could not be recorded)   → failed
 */
import * as Schema from "effect/Schema";
import { transitionEvent } from "./common.js";

export const RecordingStateValue = Schema.Literal("queued", "recording", "paused", "done", "failed", "canceled");

export const RecordingContext = Schema.Struct({
  name: Schema.String,
  format: Schema.String,
  target: Schema.String,
  file: Schema.String,
  ifExists: Schema.String,
  maxDurationSeconds: Schema.Number,
  maxSilenceSeconds: Schema.Number,
  terminateOn: Schema.String,
  beep: Schema.Boolean,
  muted: Schema.Boolean,
  createdAt: Schema.Number,
  /** While recording with a maximum duration: when it runs out. While paused: what is left of it (µs). */
  deadline: Schema.optional(Schema.Number),
  remaining: Schema.optional(Schema.Number),
  /** Why it ended, once asked to or once it did: stop, cancel, dtmf, max-duration, silence, hangup (its channel or bridge went). */
  reason: Schema.optional(Schema.String),
  digit: Schema.optional(Schema.String),
  durationMs: Schema.optional(Schema.Number),
  talkingMs: Schema.optional(Schema.Number),
  cause: Schema.optional(Schema.String),
});
export type RecordingContext = Schema.Schema.Type<typeof RecordingContext>;

export const RecordingTransitionV1 = transitionEvent("recording.transition", 1, "recording", RecordingStateValue, RecordingContext);
