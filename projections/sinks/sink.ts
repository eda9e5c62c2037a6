/**
 * A sink stores the rows of the projections (chDB, a ClickHouse server, CSV files)
 * and, per projection, a checkpoint: the last log offset whose rows are all stored.
 *
 * The contract that makes re-delivery and rebuilds exact:
 * - `write` stores the rows first and moves the checkpoints last;
 * - `open` undoes whatever a crash (or a failed write) left past a checkpoint
 *   before it reports the checkpoints,
 * so the runner resumes by writing exactly the rows of the events after each
 * checkpoint: none twice, none missing.
 */
import type { ProjectionName } from "../projection.js";
import type { RowOrigin } from "../rows.js";

/** Nothing stored yet. */
export const NO_CHECKPOINT = -1;

export interface Checkpoint {
  /** Last log offset whose rows are all stored, or NO_CHECKPOINT. */
  readonly offset: number;
  /** Event time of that record (µs), or null when unknown or none. */
  readonly time: number | null;
  /** Where a fold must start reading to resume after `offset` (Projection.lowWater); 0 for none. */
  readonly resume: number;
}

export const noCheckpoint: Checkpoint = { offset: NO_CHECKPOINT, time: null, resume: 0 };

export interface SinkWrite {
  /** The write covers every event up to and including this offset. */
  readonly through: number;
  /** Event time of the record at `through` (µs). */
  readonly throughTime: number;
  /**
   * The projections whose checkpoint moves to `through`, each with its rows of the
   * events after its current checkpoint, in log order (often none).
   */
  readonly rows: ReadonlyMap<ProjectionName, readonly RowOrigin[] | EncodedRows>;
  /** Per projection in `rows`: its resume offset at `through` (Projection.lowWater(through + 1)). */
  readonly resume: ReadonlyMap<ProjectionName, number>;
}

/**
 * Rows of one projection already in a sink's own insert format, built by the sink's
 * `encoder` while a rebuild folds (see SinkRunner): only the bytes wait for the write.
 */
export interface EncodedRows {
  /** Rows added so far. */
  readonly count: number;
  /** Append rows, in log order. */
  add(rows: readonly RowOrigin[]): void;
}

/** How many rows a write carries for a projection. */
export const rowCount = (rows: readonly RowOrigin[] | EncodedRows): number => ("count" in rows ? rows.count : rows.length);

export interface Sink {
  /** "chdb", "clickhouse", "csv". */
  readonly name: string;
  /** Where the rows go, for messages: a directory or a URL. */
  readonly location: string;
  /**
   * A server that may be down for a while: the live runner keeps trying to open it
   * (its rows wait in the log) instead of failing the start, as it does for a sink in
   * the data directory that another process holds.
   */
  readonly remote?: boolean;
  /**
   * Create what is missing, remove every row past its projection's checkpoint (a
   * write that a crash or an error cut short), and return the checkpoints.
   * Safe to call again at any time, e.g. before retrying a failed write.
   */
  open(projections: readonly ProjectionName[]): Promise<Map<ProjectionName, Checkpoint>>;
  /**
   * An empty EncodedRows for a projection, which `write` then takes in place of a row
   * list. Optional: without it, writes carry the row objects.
   */
  encoder?(projection: ProjectionName): EncodedRows;
  /** Store the rows, then move the checkpoints. A failed write may leave rows past a checkpoint: `open` removes them. */
  write(write: SinkWrite): Promise<void>;
  /** Delete every row and checkpoint of these projections (a rebuild from offset 0). */
  reset(projections: readonly ProjectionName[]): Promise<void>;
  /**
   * A rebuild in progress survives a kill: `recall rebuild` sets the mark after its
   * reset and clears it at the end, so a rebuild that finds it set resumes instead of
   * starting over.
   */
  rebuilding(): Promise<boolean>;
  setRebuilding(on: boolean): Promise<void>;
  /** Rows stored for a projection. */
  count(projection: ProjectionName): Promise<number>;
  close(): Promise<void>;
}

/** A sink that cannot do what it was asked, with the reason in words. */
export class SinkError extends Error {
  constructor(readonly sink: string, message: string, options?: { cause?: unknown }) {
    super(`${sink}: ${message}`, options);
    this.name = "SinkError";
  }
}
