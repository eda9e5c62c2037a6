/**
 * Puts one node's records back in offset order. Each partition holds its records in
 * offset order, and a node's offsets have no gaps, so records from all partitions
 * can be released as soon as the next offset is there: the result is the same
 * sequence the embedded log gives.
 */
import type { EventRecord } from "../record.js";

export class OffsetMerge {
  private readonly waiting = new Map<number, EventRecord>();

  /** `next`: the first offset to release. */
  constructor(private nextOffset: number) {}

  get next(): number { return this.nextOffset; }
  /** Records held back until an earlier offset arrives. */
  get held(): number { return this.waiting.size; }

  /** Take records (any partition, any order); returns those now in sequence. Copies already seen are dropped. */
  add(records: Iterable<EventRecord>): EventRecord[] {
    for (const r of records) if (r.offset >= this.nextOffset) this.waiting.set(r.offset, r);
    const out: EventRecord[] = [];
    for (let r = this.waiting.get(this.nextOffset); r !== undefined; r = this.waiting.get(this.nextOffset)) {
      this.waiting.delete(this.nextOffset++);
      out.push(r);
    }
    return out;
  }
}
