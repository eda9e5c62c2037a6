/**
 * What every projection (CDR, CEL, queue_log) implements: a pure fold of the event
 * log into rows. The runner feeds it every record from offset 0, in offset order,
 * exactly once per run, and writes the rows it returns to the sinks.
 */
import type { EventRecord } from "../events/record.js";
import type { RowOrigin } from "./rows.js";

/** The table a projection fills, in every sink. */
export type ProjectionName = "cdr" | "cel" | "queue_log";

export interface Projection<Row extends RowOrigin = RowOrigin> {
  readonly name: ProjectionName;
  /**
   * Fold one record into the projection's state and return the rows it completes
   * (most records complete none). Each row carries `log_offset = record.offset` and
   * `log_index` 0, 1, 2... in the order returned. Pure: the same records in the same
   * order give the same rows, whatever the clock says.
   *
   * A record the fold cannot use at all (unknown version, a channel never created)
   * is skipped with a thrown {@link UnexpectedEvent}; one it can use but finds odd
   * (a gap in a stream's seq) is folded and passed to `report`. The runner reports
   * both with the offset and goes on, so one bad call never stops the others.
   */
  apply(record: EventRecord, report?: (problem: UnexpectedEvent) => void): readonly Row[];
  /**
   * The lowest log offset the fold needs to read again to rebuild its present state:
   * the first record of the oldest channel or bridge still open (`next` when nothing
   * is open). A runner that stopped after record N resumes by folding from
   * lowWater(N + 1) and dropping the rows of records up to N, which it already wrote.
   */
  lowWater(next: number): number;
}

/** A record a fold could not use; the runner reports it and carries on. */
export class UnexpectedEvent extends Error {
  constructor(readonly offset: number, reason: string) {
    super(`offset ${offset}: ${reason}`);
    this.name = "UnexpectedEvent";
  }
}
