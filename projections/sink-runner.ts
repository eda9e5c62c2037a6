/**
 * Folds the log into one sink: the CDR and CEL projections of each record, their rows
 * stored in batches with the checkpoints (the live runner and `recall rebuild` both
 * drive one per sink).
 *
 * Resuming: a sink's checkpoints say which offset each projection has stored through
 * (C) and where its fold must start reading to rebuild the state it had there (R,
 * the low-water mark of open channels). The runner folds from min(R), keeps only the
 * rows of records after C, and so writes every row exactly once across kills and
 * restarts without keeping fold snapshots.
 *
 * Writes are batched (up to `batchEvents` records, or whatever the log delivered);
 * a failed write is retried with back-off after `open` has cleaned up behind it, so a
 * server that is down costs lag, never rows.
 */
import type { EventLog } from "../events/log.js";
import type { EventRecord } from "../events/record.js";
import { CdrProjection } from "./cdr/fold.js";
import { CelProjection } from "./cel/fold.js";
import { QueueLogProjection } from "./queue-log/fold.js";
import type { CdrSettings, CelSettings } from "./config.js";
import { UnexpectedEvent, type Projection, type ProjectionName } from "./projection.js";
import type { RowOrigin } from "./rows.js";
import { NO_CHECKPOINT, rowCount, type Checkpoint, type EncodedRows, type Sink } from "./sinks/sink.js";

/** A sink that fails is tried again after 100 ms, then twice as long each time, up to 30 s. */
export const FIRST_RETRY_MS = 100;
export const nextRetry = (wait: number) => Math.min(wait * 2, 30_000);

export interface RunnerReport {
  /** An event a fold could not use, or found odd. */
  problem?(sink: string, e: UnexpectedEvent): void;
  /** A sink failed a write; the runner retries after `retryMs`. */
  failure?(sink: string, e: Error, retryMs: number): void;
  /** After every stored batch. */
  progress?(sink: string, through: number, rows: RowCounts): void;
}

export interface SinkStatus {
  readonly sink: string;
  readonly location: string;
  /** Last offset stored (both projections), -1 for none. */
  readonly through: number;
  /** Records of the log not yet stored. */
  readonly lagEvents: number;
  /** Event time of the last stored record (µs) or null. */
  readonly throughTime: number | null;
  readonly rows: RowCounts;
  readonly failing: string | null;
}

export const PROJECTIONS: readonly ProjectionName[] = ["cdr", "cel", "queue_log"];
/** Rows per projection. */
export type RowCounts = Record<ProjectionName, number>;
const zeroCounts = (): RowCounts => ({ cdr: 0, cel: 0, queue_log: 0 });
const ignore = (): void => undefined;

/** One projection's rows since the last write: a list, handed to the encoder (when there is one) after each fold. */
class Pending {
  readonly list: RowOrigin[] = [];
  constructor(private readonly encoded?: EncodedRows) {}
  encode(): void {
    if (!this.encoded || !this.list.length) return;
    this.encoded.add(this.list);
    this.list.length = 0;
  }
  rows(): readonly RowOrigin[] | EncodedRows { return this.encoded ?? this.list; }
}

export interface RunnerOptions {
  /** Records folded per write at most (default 100,000). */
  readonly batchEvents?: number;
  /** Hand rows to the sink's encoder as they are folded (rebuild), instead of keeping row objects until the write. */
  readonly encode?: boolean;
  /**
   * Live: start writes at most this often (ms, default 0). Each write is an insert per
   * table and a checkpoint, and each insert a part for the engine to merge: a few larger
   * writes a second cost the PBX far less than one per delivered batch, for a lag still
   * well under a second.
   */
  readonly minWriteIntervalMs?: number;
}

/** One sink fed by its own folds. */
export class SinkRunner {
  /** The folds of the projections this sink stores (those its `open` gave a checkpoint for). */
  private folds: [ProjectionName, Projection][] = [];
  private checkpoints = new Map<ProjectionName, Checkpoint>();
  private next = 0;
  private lastTime: number | null = null;
  private written = zeroCounts();
  private failing: string | null = null;
  private stopped = false;
  /** Rows folded since the last write (encoded as they come when `encode`), and the last record folded. */
  private pending = new Map<ProjectionName, Pending>();
  private last: EventRecord | null = null;
  private pendingEvents = 0;
  /** The write in flight, when flush did not wait for it. */
  private writing: Promise<void> | null = null;

  private readonly batchEvents: number;
  private readonly encode: boolean;
  private readonly minWriteIntervalMs: number;

  constructor(
    readonly sink: Sink,
    private readonly settings: { cdr: CdrSettings; cel: CelSettings },
    private readonly report: RunnerReport = {},
    options: RunnerOptions = {},
  ) {
    this.batchEvents = options.batchEvents ?? 100_000;
    this.encode = options.encode ?? false;
    this.minWriteIntervalMs = options.minWriteIntervalMs ?? 0;
  }

  /** Open the sink (cleaning up behind a cut-short write) and return where folding must start. */
  async open(): Promise<number> {
    try {
      this.checkpoints = await this.sink.open(PROJECTIONS);
    } catch (e) {
      this.failing = (e as Error).message;
      throw e;
    }
    this.failing = null;
    this.folds = [...this.checkpoints.keys()].map((name) => [name, this.newFold(name)]);
    await this.settle();
    this.pending = this.newPending();
    this.last = null;
    this.pendingEvents = 0;
    let from = Infinity, through = Infinity;
    for (const cp of this.checkpoints.values()) {
      from = Math.min(from, cp.offset === NO_CHECKPOINT ? 0 : cp.resume);
      through = Math.min(through, cp.offset);
    }
    this.next = through + 1;
    this.lastTime = [...this.checkpoints.values()].find((c) => c.offset === through)?.time ?? null;
    return from === Infinity ? 0 : from;
  }

  get through(): number { return this.next - 1; }

  /**
   * Follow the log (the live runner): fold the batch and start a write unless one is in
   * flight. Rows folded while a write runs go into the next one, started as soon as it
   * is done, so a write's size follows the sink's latency: a runner that fell behind
   * (a restart, a slow or absent server) catches up in a few large writes instead of one
   * per delivered batch. Folding waits only when a whole batch (`batchEvents`) is
   * waiting. `drain` stores whatever is folded.
   */
  async follow(batch: readonly EventRecord[]): Promise<void> {
    for (let i = 0; i < batch.length; i += this.batchEvents) {
      this.fold(batch, i, Math.min(batch.length, i + this.batchEvents));
      if (this.writing) {
        if (this.pendingEvents < this.batchEvents) continue;
        await this.settle();
      }
      this.beginSoon();
    }
  }

  private lastBegin = -Infinity;
  private beginTimer: ReturnType<typeof setTimeout> | undefined;

  /** Start the next write now, or once `minWriteIntervalMs` has passed since the last one began. */
  private beginSoon(): void {
    if (this.beginTimer || this.writing) return;
    const wait = this.lastBegin + this.minWriteIntervalMs - performance.now();
    if (wait <= 0 || this.pendingEvents >= this.batchEvents) { this.begin(true); return; }
    this.beginTimer = setTimeout(() => {
      this.beginTimer = undefined;
      if (!this.writing && !this.stopped) this.begin(true);
    }, wait);
  }

  /** Store everything folded, and wait for it. */
  async drain(): Promise<void> {
    await this.flush();
  }

  /** Whether a write is in flight. */
  get storing(): boolean { return this.writing !== null; }

  /** Records folded but not yet stored (rebuild folds many small read batches per write). */
  get unflushed(): number { return this.pendingEvents; }

  /**
   * Fold `batch[start, end)`, keeping the rows of records past each checkpoint for the
   * next `flush`. Nothing is stored yet.
   */
  fold(batch: readonly EventRecord[], start = 0, end = batch.length): void {
    if (end <= start) return;
    for (const [name, fold] of this.folds) {
      const after = this.checkpoints.get(name)!.offset;
      const pending = this.pending.get(name)!;
      const rows = pending.list;
      for (let i = start; i < end; i++) {
        const r = batch[i];
        this.apply(fold, r, r.offset > after, rows);
      }
      pending.encode();
    }
    this.last = batch[end - 1];
    this.pendingEvents += end - start;
  }

  private newPending(): Map<ProjectionName, Pending> {
    const enc = (p: ProjectionName) => (this.encode && this.sink.encoder ? this.sink.encoder(p) : undefined);
    return new Map(this.folds.map(([name]) => [name, new Pending(enc(name))]));
  }

  private newFold(name: ProjectionName): Projection {
    switch (name) {
      case "cdr": return new CdrProjection(this.settings.cdr);
      case "cel": return new CelProjection(this.settings.cel);
      case "queue_log": return new QueueLogProjection();
    }
  }

  private apply(p: Projection, r: EventRecord, after: boolean, rows: RowOrigin[]): void {
    let out: readonly RowOrigin[];
    try { out = p.apply(r, after ? this.problem : ignore); } catch (e) {
      if (!(e instanceof UnexpectedEvent)) throw e;
      if (after) this.problem(e);
      return;
    }
    if (after) for (let i = 0; i < out.length; i++) rows.push(out[i]);
  }

  private readonly problem = (e: UnexpectedEvent): void => { this.report.problem?.(this.sink.name, e); };

  /**
   * Store what `fold` kept (one write: rows, then the checkpoints), retrying until
   * stored or stopped. Writes never overlap: a flush first waits for the write before
   * it. With `wait` false it returns once its write has started, so folding goes on
   * while the sink stores (chDB inserts on a libuv thread, a server in its own process).
   */
  async flush(wait = true): Promise<void> {
    await this.settle();
    this.begin(false);
    if (wait) await this.settle();
  }

  /** Start the write of what is folded (no write may be in flight); `chain`: when it is done, start the next. */
  private begin(chain: boolean): void {
    const last = this.last;
    if (!last) return;
    const projections = this.folds;
    const moving = new Map<ProjectionName, readonly RowOrigin[] | EncodedRows>();
    const resume = new Map<ProjectionName, number>();
    for (const [name, p] of projections) {
      if (last.offset <= this.checkpoints.get(name)!.offset) continue; // still refolding what this sink holds
      moving.set(name, this.pending.get(name)!.rows());
      resume.set(name, p.lowWater(last.offset + 1));
    }
    this.pending = this.newPending();
    this.last = null;
    this.pendingEvents = 0;
    if (!moving.size) return;
    this.lastBegin = performance.now();
    const writing: Promise<void> = this.store(last, moving, resume).then(() => {
      if (this.writing === writing) this.writing = null;
      if (chain && !this.stopped) this.beginSoon(); // what was folded meanwhile
    });
    this.writing = writing;
    writing.catch(() => undefined); // whoever settles next gets the error
  }

  /** Wait until no write is in flight (a failure is thrown here). */
  private async settle(): Promise<void> {
    for (let w = this.writing; w; w = this.writing) {
      try { await w; } finally { if (this.writing === w) this.writing = null; }
    }
  }

  private async store(last: EventRecord, moving: Map<ProjectionName, readonly RowOrigin[] | EncodedRows>, resume: Map<ProjectionName, number>): Promise<void> {
    let wait = FIRST_RETRY_MS;
    for (;;) {
      try {
        await this.sink.write({ through: last.offset, throughTime: last.time, rows: moving, resume });
        break;
      } catch (e) {
        if (this.stopped) throw e;
        this.failing = (e as Error).message;
        this.report.failure?.(this.sink.name, e as Error, wait);
        await new Promise((r) => setTimeout(r, wait));
        wait = nextRetry(wait);
        // A failed write may have left rows past the checkpoint: open removes them before the retry.
        try { await this.sink.open(PROJECTIONS); } catch { /* still down: the next write fails and we wait again */ }
      }
    }
    this.failing = null;
    for (const [name] of moving) this.checkpoints.set(name, { offset: last.offset, time: last.time, resume: resume.get(name)! });
    this.next = last.offset + 1;
    this.lastTime = last.time;
    const count = (p: ProjectionName) => { const r = moving.get(p); return r ? rowCount(r) : 0; };
    const counts = zeroCounts();
    for (const p of PROJECTIONS) { counts[p] = count(p); this.written[p] += counts[p]; }
    this.report.progress?.(this.sink.name, last.offset, counts);
  }

  status(head: number): SinkStatus {
    return {
      sink: this.sink.name, location: this.sink.location, through: this.through, lagEvents: Math.max(0, head - this.next),
      throughTime: this.lastTime, rows: { ...this.written }, failing: this.failing,
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.beginTimer) clearTimeout(this.beginTimer);
    this.beginTimer = undefined;
  }
}


/**
 * Fold `log[from, to)` into a rebuild's runner (one that encodes as it folds), in small
 * read batches (a decoded record is large: dropped young, it costs the GC next to
 * nothing) and large writes (each write is an insert per table and a checkpoint row:
 * fewer, bigger inserts are much cheaper), each stored while the fold goes on. Near the
 * end the writes shrink (half of what is left, down to a tenth of a batch): the last
 * write is the one nothing overlaps, so a small one ends the rebuild sooner.
 */
export async function foldRange(log: EventLog, runner: SinkRunner, from: number, to: number, readBatch: number, writeBatch: number): Promise<void> {
  for await (const batch of log.read(from, { to, batchSize: readBatch })) {
    runner.fold(batch);
    const left = to - batch[batch.length - 1].offset - 1;
    if (runner.unflushed >= Math.min(writeBatch, Math.max(writeBatch / 10, left / 2))) await runner.flush(false);
    // Reads mostly resolve from chunks read ahead, without a turn of the event loop: a write's own steps (its
    // block's file, chDB's or the server's answer) would wait for the next real read, and the fold for the write.
    else if (runner.storing) await new Promise(setImmediate);
  }
  await runner.flush();
}
