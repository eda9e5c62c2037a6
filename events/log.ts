/**
 * The EventLog service: the single source of truth. Append is acknowledged only once
 * the events are durable; readers see events in offset order, and every backend keeps
 * the order of one stream.
 */
import * as Context from "effect/Context";
import type { Envelope } from "./codec.js";
import type { EventDraft, EventRecord } from "./record.js";

export interface ReadOptions {
  /** Stop before this offset (exclusive). */
  readonly to?: number;
  /** Upper bound on records per yielded batch. */
  readonly batchSize?: number;
}

export interface Subscription {
  /** Stop delivering; resolves once no handler call is running. */
  close(): Promise<void>;
}

export interface EventLog {
  /** Offset the next appended event will get (= number of events on the embedded log). */
  readonly nextOffset: number;
  /**
   * Place drafts in the log. Offsets are assigned synchronously, in call order; the
   * promise resolves with the records once they are durable and rejects if they are not.
   */
  append(drafts: readonly EventDraft[]): Promise<EventRecord[]>;
  /** Read durable records from `from` (inclusive) in offset order, in batches. */
  read(from: number, options?: ReadOptions): AsyncIterable<EventRecord[]>;
  /** The records at these offsets (ascending), skipping the rest of the log cheaply. */
  readAt(offsets: readonly number[]): Promise<EventRecord[]>;
  /** Only the records' envelopes, when the backend can read them faster than whole records (the embedded log). */
  envelopes?(from: number, options?: ReadOptions): AsyncIterable<Envelope[]>;
  /** Deliver every durable record from `from`, then new ones as they become durable. */
  subscribe(from: number, handler: (batch: EventRecord[]) => void | Promise<void>): Subscription;
  close(): Promise<void>;
}

export class EventLogService extends Context.Tag("recall/EventLog")<EventLogService, EventLog>() {}

/** A failure of the log, with the offset it concerns where there is one. */
export class EventLogError extends Error {
  constructor(message: string, readonly offset?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EventLogError";
  }
}
