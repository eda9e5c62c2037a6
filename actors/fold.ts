/**
 * Live state as a fold of the log. The fold reads envelopes only and remembers, for
 * each live actor, the offset of its last record; the records themselves (state,
 * pending timers) are then read back at those offsets. Keeping numbers rather than
 * records is what keeps recovery and `recall replay --until` fast on long logs.
 */
import { isFinal, type Envelope } from "../events/codec.js";
import type { EventLog } from "../events/log.js";
import type { EventRecord } from "../events/record.js";

export class StateFold {
  /** Offset of the last record of each live actor. */
  private readonly last = new Map<string, number>();
  events = 0;
  /** Where the last record folded is: its offset and time. */
  latest?: { readonly offset: number; readonly time: number };

  apply(r: Envelope): void {
    if (r.done) this.last.delete(r.stream);
    else this.last.set(r.stream, r.offset);
    this.events++;
    this.latest = r;
  }

  applyAll(batch: readonly Envelope[]): void {
    for (const r of batch) {
      if (r.done) this.last.delete(r.stream);
      else this.last.set(r.stream, r.offset);
    }
    this.events += batch.length;
    if (batch.length) this.latest = batch[batch.length - 1];
  }

  get liveCount(): number { return this.last.size; }

  /** The last record of every live actor, in log order. */
  liveRecords(log: EventLog): Promise<EventRecord[]> {
    return log.readAt([...this.last.values()].sort((a, b) => a - b));
  }

  /** Fold every record of `log` up to (not including) the first for which `stop` is true. */
  static async of(log: EventLog, stop?: (r: { readonly offset: number; readonly time: number }) => boolean): Promise<StateFold> {
    const fold = new StateFold();
    const envelopes: AsyncIterable<Envelope[]> = log.envelopes?.(0) ?? StateFold.envelopesOf(log);
    for await (const batch of envelopes) {
      if (!stop) { fold.applyAll(batch); continue; }
      for (const r of batch) {
        if (stop(r)) return fold;
        fold.apply(r);
      }
    }
    return fold;
  }

  private static async *envelopesOf(log: EventLog): AsyncIterable<Envelope[]> {
    for await (const batch of log.read(0)) yield batch.map((r) => ({ offset: r.offset, stream: r.stream, time: r.time, done: isFinal(r) }));
  }
}
