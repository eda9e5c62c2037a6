/**
 * queue.transition v1 and queue-member.transition v1: app_queue's state as two actor
 * kinds. A queue (`queue:<name>`) holds its waiting callers in order and its
 * statistics; a membership (`queue-member:<queue>/<interface>`) holds one member's
 * penalty, pause, calls and wrap-up. queue_log is a fold of these events: every input
 * that writes a queue_log line carries the line's data.
 *
 * Queue inputs: configure (spawn; `start` on the first configure after a start:
 * QUEUESTART), join, select (strategy order, drawn here), ringnoanswer, ringcanceled,
 * connect, complete, transfer (BLINDTRANSFER, ATTENDEDTRANSFER), agentdump, abandon, exit, log (QueueLog()), reset.
 * Member inputs: add (spawn), update (static member's configuration), pause, unpause,
 * penalty, ringinuse, connect, complete, timer (wrap-up ends), remove, reset.
 */
import * as Schema from "effect/Schema";
import { transitionEvent } from "./common.js";

export const QueueCaller = Schema.Struct({
  uniqueid: Schema.String,
  channel: Schema.String,
  callerIdNum: Schema.String,
  callerIdName: Schema.String,
  /** µs. */
  enteredAt: Schema.Number,
  /** Position when the caller joined. */
  position: Schema.Number,
});

export const QueueContext = Schema.Struct({
  name: Schema.String,
  strategy: Schema.String,
  servicelevel: Schema.Number,
  maxlen: Schema.Number,
  weight: Schema.Number,
  callers: Schema.Array(QueueCaller),
  /** Round-robin position (rrmemory, rrordered). */
  rrpos: Schema.Number,
  /** The last `select`'s ring order (groups of interfaces). */
  selection: Schema.Array(Schema.Array(Schema.String)),
  completed: Schema.Number,
  abandoned: Schema.Number,
  /** Completed calls answered within `servicelevel` seconds. */
  completedInSl: Schema.Number,
  /** Seconds, summed over connected calls (holdtime average = holdtimeTotal / connected). */
  holdtimeTotal: Schema.Number,
  talktimeTotal: Schema.Number,
  connected: Schema.Number,
});
export type QueueContext = Schema.Schema.Type<typeof QueueContext>;
export type QueueCaller = Schema.Schema.Type<typeof QueueCaller>;

export const QueueTransitionV1 = transitionEvent("queue.transition", 1, "queue", Schema.Literal("active"), QueueContext);

export const QueueMemberContext = Schema.Struct({
  queue: Schema.String,
  interface: Schema.String,
  name: Schema.String,
  stateInterface: Schema.String,
  penalty: Schema.Number,
  dynamic: Schema.Boolean,
  paused: Schema.Boolean,
  reason: Schema.String,
  /** µs the membership began (login). */
  addedAt: Schema.Number,
  /** µs of the last pause change, 0 for none. */
  lastPause: Schema.Number,
  callsTaken: Schema.Number,
  /** µs the last call ended, 0 for never. */
  lastCall: Schema.Number,
  /** The caller's uniqueid while in a queue call. */
  call: Schema.String,
  /** Removed while in a call: goes once the call ends. */
  leaving: Schema.Boolean,
  ringinuse: Schema.optional(Schema.Boolean),
  wrapuptime: Schema.optional(Schema.Number),
  /** µs when the wrap-up ends (state wrapup). */
  wrapupUntil: Schema.Number,
});
export type QueueMemberContext = Schema.Schema.Type<typeof QueueMemberContext>;

export const QueueMemberTransitionV1 = transitionEvent(
  "queue-member.transition", 1, "queue-member", Schema.Literal("available", "incall", "wrapup", "removed"), QueueMemberContext,
);
