/**
 * The shape of one entry of the event log. Every actor transition becomes one record;
 * the fields are what replay needs to re-run it and what projections need to fold it.
 */

export type ActorKind =
  | "contact" | "outbound-registration" | "channel" | "bridge" | "local"
  | "queue" | "queue-member" | "astdb" | "subscription" | "message" | "recording" | "system";

/** What caused a transition: a SIP message summary, a timer, an AMI action, DTMF, a media event... */
export interface Input {
  /** Where the input came from. */
  readonly source: "sip" | "timer" | "ami" | "ari" | "agi" | "cli" | "dtmf" | "media" | "config" | "dialplan" | "actor" | "test" | "spool";
  /** The input's name as the machine sees it, e.g. "register", "expire". */
  readonly type: string;
  readonly [field: string]: unknown;
}

/** An effect the actor asked for; the runtime carries it out after the event is durable. */
export interface Output {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** A persisted actor state: the machine's state value and its context. */
export interface ActorState {
  readonly value: unknown;
  readonly context: unknown;
  /** Set when the machine reached a final state: the actor is gone from live state. */
  readonly done?: boolean;
}

/** An event before the log has placed it. */
export interface EventDraft {
  /** Catalogue name, e.g. "contact.transition". */
  readonly type: string;
  /** Schema version of `type`. */
  readonly v: number;
  /** Stream key: the actor id. Per-stream order is guaranteed by every backend. */
  readonly stream: string;
  readonly kind: ActorKind;
  /** The call this event belongs to, where there is one. */
  readonly linkedid?: string;
  /** Logical sequence within the stream, from 1. */
  readonly seq: number;
  /** Wall time of the transition from the injected clock, microseconds. */
  readonly time: number;
  readonly input: Input;
  readonly state: ActorState;
  readonly outputs: readonly Output[];
  /** Random values the transition drew, in order, so replay can hand them back. */
  readonly draws?: readonly number[];
  /**
   * The actor's pending timers after this transition (name → time), a summary of
   * every `timer.set`/`timer.cancel` so far: recovery reads it without decoding bodies.
   */
  readonly timers?: Readonly<Record<string, number>>;
}

/** An event as stored: a draft plus its position in the log of the node that wrote it. */
export interface EventRecord extends EventDraft {
  readonly offset: number;
}
