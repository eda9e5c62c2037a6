/**
 * An ARI live recording (Asterisk's stasis_app_recording): its states as ARI shows them,
 * and its maximum duration as a logged timer that stops while the recording is paused
 * (Asterisk's app.c leaves paused seconds out of maxtime).
 *
 *   queued ─record─► recording ◄─pause/unpause─► paused
 *      │                 │  (either: stop asks for the end, the timer asks with recording.stop)
 *      └─fail─► failed   └─finish─► done | canceled | failed
 *
 * The machine keeps what ARI reports (state, mute, why it ended, how long it is); the
 * media worker writes the file, and its end comes back as `finish`.
 */
import { assign, emit, setup } from "xstate";
import type { RecordingContext } from "../../events/catalogue/recording.js";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";

type Source = "ari" | "dtmf" | "media" | "timer" | "actor" | "test";

export type StartRecordingInput = {
  readonly source: Source;
  readonly type: "start";
  readonly name: string;
  readonly format: string;
  readonly target: string;
  readonly file: string;
  readonly ifExists: string;
  readonly maxDurationSeconds: number;
  readonly maxSilenceSeconds: number;
  readonly terminateOn: string;
  readonly beep: boolean;
};

export type RecordingInput =
  | { readonly source: Source; readonly type: "record" | "pause" | "unpause" | "mute" | "unmute" }
  | { readonly source: Source; readonly type: "stop"; readonly reason: "stop" | "cancel" | "dtmf" | "max-duration"; readonly digit?: string }
  | { readonly source: Source; readonly type: "timer"; readonly name: string }
  | { readonly source: Source; readonly type: "finish"; readonly durationMs: number; readonly talkingMs?: number; readonly silence?: boolean; readonly error?: string }
  | { readonly source: Source; readonly type: "fail"; readonly cause: string };

type RecordingEvent = MachineEvent<RecordingInput>;

export const MAX_DURATION = "max-duration";

/** The end a `finish` reaches: failed on an error, canceled when the application cancelled, else done. */
function outcome(c: RecordingContext, e: RecordingEvent): "failed" | "canceled" | "done" {
  if (e.type === "finish" && e.error) return "failed";
  return c.reason === "cancel" ? "canceled" : "done";
}

/** However it ends, in whatever state: failed on an error, canceled after a cancel, else done. */
const FINISH = [
  { guard: { type: "finishedAs", params: "failed" }, target: "failed", actions: "finished" },
  { guard: { type: "finishedAs", params: "canceled" }, target: "canceled", actions: "finished" },
  { target: "done", actions: "finished" },
] as const;

export const recordingMachine = setup({
  types: {} as {
    context: RecordingContext;
    events: RecordingEvent;
    input: SpawnInput<StartRecordingInput>;
    emitted: { type: "timer.set"; name: string; at: number } | { type: "timer.cancel"; name: string } | { type: "recording.stop"; reason: string };
  },
  guards: {
    timed: ({ context }) => context.maxDurationSeconds > 0,
    finishedAs: ({ context, event }, end: "failed" | "canceled" | "done") => event.type === "finish" && outcome(context, event) === end,
    runOut: ({ event }) => event.type === "timer" && event.name === MAX_DURATION,
  },
  actions: {
    /** The first ask to end says why; later ones (a digit after stop) change nothing. */
    asked: assign(({ context, event }) => (event.type === "stop" && context.reason === undefined
      ? { reason: event.reason, ...(event.digit ? { digit: event.digit } : {}) } : {})),
    finished: assign(({ context, event }) => (event.type === "finish" ? {
      durationMs: event.durationMs, ...(event.talkingMs !== undefined ? { talkingMs: event.talkingMs } : {}),
      ...(event.error ? { cause: event.error } : {}),
      // Not asked to end: silence ended it, or its channel hung up (its bridge went away).
      ...(context.reason === undefined && !event.error ? { reason: event.silence ? "silence" : "hangup" } : {}),
      deadline: undefined, remaining: undefined,
    } : {})),
    muted: assign(({ event }) => ({ muted: event.type === "mute" })),
    armTimer: emit(({ context, event }) => ({ type: "timer.set" as const, name: MAX_DURATION, at: event.env.now + (context.remaining ?? context.maxDurationSeconds * 1e6) })),
    setDeadline: assign(({ context, event }) => ({ deadline: event.env.now + (context.remaining ?? context.maxDurationSeconds * 1e6), remaining: undefined })),
    holdTimer: emit({ type: "timer.cancel" as const, name: MAX_DURATION }),
    keepRemaining: assign(({ context, event }) => ({ remaining: Math.max(0, (context.deadline ?? event.env.now) - event.env.now), deadline: undefined })),
    askToStop: emit({ type: "recording.stop" as const, reason: MAX_DURATION }),
    timedOut: assign(({ context }) => (context.reason === undefined ? { reason: MAX_DURATION } : {})),
  },
}).createMachine({
  id: "recording",
  context: ({ input }) => {
    const s = input.spawn;
    return {
      name: s.name, format: s.format, target: s.target, file: s.file, ifExists: s.ifExists, maxDurationSeconds: s.maxDurationSeconds,
      maxSilenceSeconds: s.maxSilenceSeconds, terminateOn: s.terminateOn, beep: s.beep, muted: false, createdAt: input.env.now,
    };
  },
  initial: "queued",
  on: {
    mute: { actions: "muted" },
    unmute: { actions: "muted" },
    stop: { actions: "asked" },
  },
  states: {
    queued: {
      on: {
        record: [{ guard: "timed", target: "recording", actions: ["armTimer", "setDeadline"] }, { target: "recording" }],
        fail: { target: "failed", actions: assign(({ event }) => (event.type === "fail" ? { cause: event.cause, reason: "failed" } : {})) },
        finish: FINISH,
      },
    },
    recording: {
      on: {
        pause: [{ guard: "timed", target: "paused", actions: ["holdTimer", "keepRemaining"] }, { target: "paused" }],
        timer: { guard: "runOut", actions: ["timedOut", "askToStop"] },
        finish: FINISH,
      },
    },
    paused: {
      on: {
        unpause: [{ guard: "timed", target: "recording", actions: ["armTimer", "setDeadline"] }, { target: "recording" }],
        finish: FINISH,
      },
    },
    done: { type: "final" },
    failed: { type: "final" },
    canceled: { type: "final" },
  },
});

export const recordingKind: ActorKindDef = { kind: "recording", eventType: "recording.transition", eventVersion: 1, machine: recordingMachine };
