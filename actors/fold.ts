/**
 * Live state as a fold of the log: for each actor, its last record (whose state,
 * sequence, linkedid and pending timers are the actor's now). Only envelopes are
 * read, so recovery and `recall replay --until` stay fast on long logs; the body of
 * a live actor's last record is decoded when its state is asked for.
 */
import { isFinal, StoredRecord } from "../events/codec.js";
import type { EventRecord } from "../events/record.js";

export class StateFold {
  /** Last record of each live actor, in order of first appearance. */
  readonly actors = new Map<string, EventRecord>();
  events = 0;

  apply(r: EventRecord): void {
    this.applyAll([r]);
  }

  /** Fold a batch; records kept past it get their own copy of their body bytes. */
  applyAll(batch: readonly EventRecord[]): void {
    const actors = this.actors;
    for (const r of batch) {
      if (isFinal(r)) actors.delete(r.stream);
      else actors.set(r.stream, r);
    }
    for (const r of batch) {
      if (r instanceof StoredRecord && actors.get(r.stream) === r) actors.set(r.stream, r.detach());
    }
    this.events += batch.length;
  }
}
