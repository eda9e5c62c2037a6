/**
 * The embedded event log: append-only segment files in the data directory.
 *
 * A segment holds consecutive records as frames `[u32 length][u32 crc32][payload]`
 * and is named after the offset of its first record. Appends are group-committed:
 * every append made while a write is in flight goes into the next write, and a batch
 * is acknowledged only after it is on the disk, so an acknowledged event survives
 * `kill -9` and power loss. The segment is open with O_DSYNC and the batch goes to it in
 * one `writev` on the thread pool: the call returns once the data (and the file's new
 * size) are stored, as a write plus `fdatasync` would, in one trip through the pool and
 * with no copy on the event loop (the copy into the page cache was 2-3 % of the main
 * thread at 500 calls/s). Each trip through the pool waits for the event loop to come
 * round, and under load that wait, not the disk, is what a record's subscribers (AMI,
 * ARI, projections) feel.
 *
 * On open, the tail of the last segment is checked: a partial frame left by a crash
 * (never acknowledged) is cut off and reported; a bad frame with valid frames after
 * it is corruption and stops the open with its offset.
 */
import {
  promises as fsp, openSync, closeSync, readFileSync, writeFileSync, mkdirSync, readdirSync, statSync, unlinkSync,
  fstatSync, readSync, writevSync as fsWritevSync, writev as fsWritev, ftruncateSync, fsyncSync, constants as fsConstants,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { lookupEventType } from "../catalogue/index.js";
import { decodeEnvelope, decodeRecord, encodeFrame, isFinal, rememberPayload, type Envelope } from "../codec.js";
import { EventLogError, type EventLog, type ReadOptions, type Subscription } from "../log.js";
import type { EventDraft, EventRecord } from "../record.js";

const HEADER = 8;
const INDEX_EVERY = 1024;
const MAX_FRAME = 64 * 1024 * 1024;
const RECENT_CAP = 4096;

export interface SegmentLogOptions {
  /** Start a new segment once the active one reaches this size. */
  readonly maxSegmentBytes?: number;
  /** Open without writing: no lock, no tail repair (a torn tail is only reported). */
  readonly readOnly?: boolean;
  /**
   * Read-only: the writer's durable offset, for a view of a log a live writer is appending
   * to. Records at or after it are not taken in (they may yet be taken back) until
   * `advance` says they are durable.
   */
  readonly until?: number;
  /**
   * Store each batch on the disk before acknowledging it (default true). A simulation turns it off: its
   * crashes are simulated, the process and the disk stay up, and the sync costs most of its time.
   */
  readonly sync?: boolean;
  /** Check every payload against the catalogue when reading. */
  readonly validate?: boolean;
  /** Receives operator-facing notices (tail recovery, lock take-over). */
  readonly notice?: (message: string) => void;
  /**
   * Keep each appended record's encoded payload with it (codec.ts, rememberPayload), for
   * the Kafka shipper reading this log as its outbox: it sends those bytes as they are.
   */
  readonly keepPayloads?: boolean;
  /**
   * Keep the last few thousand appended records in memory for readers of the tail
   * (default true). `recall start` turns it off: its projections follow the log from
   * their own thread, and records held here for half a second outlived the young
   * generation (with this off and V8's pretenuring off, bin/recall.js, a call at 500
   * calls/s promoted 34 KB to the old generation instead of 51).
   */
  readonly cacheTail?: boolean;
}

interface Segment {
  readonly base: number;
  readonly path: string;
  /** Records in the segment, once known. */
  count: number;
  /** Durable bytes. */
  bytes: number;
  /** Byte position of record `k * INDEX_EVERY`; complete once `indexed`. */
  index: number[];
  indexed: boolean;
  /** A followed segment's latest take-ins (offset, byte position): a follower's next read starts there, not at the index entry before. */
  marks?: { offset: number; pos: number }[];
}

interface Pending {
  readonly records: EventRecord[];
  readonly frames: Buffer[];
  readonly size: number;
  readonly resolve: (records: EventRecord[]) => void;
  readonly reject: (error: Error) => void;
}

/** A draft with its offset; built field by field (much cheaper than a spread on the hot path). */
function placed(d: EventDraft, offset: number): EventRecord {
  return {
    offset, type: d.type, v: d.v, stream: d.stream, kind: d.kind, linkedid: d.linkedid, seq: d.seq, time: d.time,
    input: d.input, state: d.state, outputs: d.outputs, draws: d.draws, timers: d.timers,
  };
}

const isAlive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

/**
 * The process that holds the event log in `dir` open for writing (a running Recall),
 * or undefined when none does: no LOCK, or its process is gone.
 */
export function logHolder(dir: string): number | undefined {
  let pid: number;
  try { pid = Number(readFileSync(join(dir, "LOCK"), "utf8").trim()); } catch { return undefined; }
  return pid && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

const segmentName = (base: number) => `${String(base).padStart(20, "0")}.seg`;

/** Walk the frames of `buf`; returns where valid frames end and why walking stopped. */
function walkFrames(buf: Buffer, start: number, onFrame: (pos: number, len: number) => void, maxFrames = Infinity, checksums = true): { end: number; problem?: string } {
  let pos = start;
  for (let n = 0; pos < buf.length && n < maxFrames; n++) {
    if (buf.length - pos < HEADER) return { end: pos, problem: "partial frame header" };
    const len = buf.readUInt32LE(pos);
    if (len === 0 || len > MAX_FRAME) return { end: pos, problem: `bad frame length ${len}` };
    if (pos + HEADER + len > buf.length) return { end: pos, problem: "frame runs past the end of the file" };
    if (checksums && crc32(buf.subarray(pos + HEADER, pos + HEADER + len)) !== buf.readUInt32LE(pos + 4)) return { end: pos, problem: "checksum mismatch" };
    onFrame(pos, len);
    pos += HEADER + len;
  }
  return { end: pos };
}

/** Whether any complete, checksummed frame starts after `from`: tells corruption from a torn tail. */
function validFrameAfter(buf: Buffer, from: number): boolean {
  for (let p = from + 1; p + HEADER < buf.length; p++) {
    const len = buf.readUInt32LE(p);
    if (len === 0 || len > MAX_FRAME || p + HEADER + len > buf.length) continue;
    if (crc32(buf.subarray(p + HEADER, p + HEADER + len)) === buf.readUInt32LE(p + 4)) return true;
  }
  return false;
}

export class SegmentLog implements EventLog {
  private readonly segments: Segment[] = [];
  private next = 0;
  private durable = 0;
  private fd: number | null = null;
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private readonly durableListeners = new Set<(durable: number) => void>();
  private recent: EventRecord[] = [];
  private recentBase = 0;

  private constructor(
    readonly dir: string,
    private readonly maxSegmentBytes: number,
    private readonly readOnly: boolean,
    private readonly validate: boolean,
    private readonly notice: (message: string) => void,
    private readonly sync = true,
    private readonly keepPayloads = false,
    private readonly until = Infinity,
    private readonly cacheTail = true,
  ) {}

  static async open(dir: string, options: SegmentLogOptions = {}): Promise<SegmentLog> {
    const log = new SegmentLog(
      dir,
      options.maxSegmentBytes ?? 128 * 1024 * 1024,
      options.readOnly ?? false,
      options.validate ?? true,
      options.notice ?? ((m) => process.stderr.write(`${m}\n`)),
      options.sync ?? true,
      options.keepPayloads ?? false,
      options.readOnly ? options.until ?? Infinity : Infinity,
      options.cacheTail ?? true,
    );
    log.load();
    return log;
  }

  get nextOffset(): number { return this.next; }
  /** Offset after the last acknowledged (durable) record. */
  get durableOffset(): number { return this.durable; }

  private load(): void {
    if (!this.readOnly) {
      mkdirSync(this.dir, { recursive: true });
      this.lock();
    } else if (!statSync(this.dir, { throwIfNoEntry: false })) {
      throw new EventLogError(`no event log in ${this.dir}`);
    }
    const names = readdirSync(this.dir).filter((n) => /^\d{20}\.seg$/.test(n)).sort();
    for (const name of names) {
      const base = Number(name.slice(0, 20));
      this.segments.push({ base, path: join(this.dir, name), count: 0, bytes: statSync(join(this.dir, name)).size, index: [], indexed: false });
    }
    for (let i = 0; i + 1 < this.segments.length; i++) this.segments[i].count = this.segments[i + 1].base - this.segments[i].base;
    const last = this.segments.at(-1);
    if (last) this.recoverTail(last);
    this.next = this.durable = last ? last.base + last.count : 0;
    this.recentBase = this.next;
  }

  private lock(): void {
    const path = join(this.dir, "LOCK");
    const holder = Number(readFileSync(path, { encoding: "utf8", flag: "a+" }).trim());
    if (holder && holder !== process.pid) {
      if (isAlive(holder)) throw new EventLogError(`event log ${this.dir} is in use by process ${holder}`);
      this.notice(`event log: taking over the lock of process ${holder}, which is gone`);
    }
    writeFileSync(path, String(process.pid));
  }

  /** Index the last segment, cutting off (or, read-only, ignoring) a torn tail. */
  private recoverTail(seg: Segment): void {
    const buf = readFileSync(seg.path);
    let count = 0;
    const index: number[] = [];
    const limit = Math.max(0, this.until - seg.base);
    const { end, problem } = walkFrames(buf, 0, (pos) => { if (count % INDEX_EVERY === 0) index.push(pos); count++; }, limit);
    if (problem && count < limit) {
      if (validFrameAfter(buf, end)) {
        throw new EventLogError(`event log corrupt at offset ${seg.base + count} (${seg.path}, byte ${end}): ${problem}; valid records follow it, so it is not a torn write`, seg.base + count);
      }
      const lost = buf.length - end;
      if (this.readOnly) {
        this.notice(`event log: ignoring ${lost} bytes of an unfinished write after offset ${seg.base + count - 1} (${problem}); open it read-write to repair`);
      } else {
        const fd = openSync(seg.path, "r+");
        try { fsyncTruncate(fd, end); } finally { closeSync(fd); }
        this.notice(`event log: recovered after a crash: dropped ${lost} bytes of an unacknowledged partial record (${problem}) at the end of ${seg.path}; ${seg.base + count} records kept`);
      }
    }
    seg.count = count;
    seg.bytes = end;
    seg.index = index;
    seg.indexed = true;
  }

  append(drafts: readonly EventDraft[]): Promise<EventRecord[]> {
    if (this.closed) return Promise.reject(new EventLogError("event log is closed"));
    if (this.readOnly) return Promise.reject(new EventLogError("event log is open read-only"));
    if (drafts.length === 0) return Promise.resolve([]);
    const records: EventRecord[] = [];
    const frames: Buffer[] = [];
    let size = 0;
    for (const d of drafts) {
      if (!lookupEventType(d.type, d.v)) return Promise.reject(new EventLogError(`cannot append unknown event ${d.type} v${d.v}`));
      const r = placed(d, this.next + records.length);
      const f = encodeFrame(r, crc32);
      if (this.keepPayloads) rememberPayload(r, f);
      records.push(r);
      frames.push(f);
      size += f.length;
    }
    this.next += records.length;
    return new Promise((resolve, reject) => {
      this.queue.push({ records, frames, size, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    // Let appends of the same turn join the first write (the actor runtime appends from a microtask).
    await new Promise<void>((r) => queueMicrotask(r));
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.write(batch);
      } catch (e) {
        const failed = [...batch, ...this.queue];
        this.queue = [];
        this.next = this.durable;
        const n = failed.reduce((s, p) => s + p.records.length, 0);
        const code = (e as NodeJS.ErrnoException).code;
        const error = new EventLogError(
          `event log write failed${code === "ENOSPC" ? " (disk full)" : ""}: ${(e as Error).message}; ${n} events were not stored, every acknowledged event is intact`,
          failed[0].records[0].offset, { cause: e },
        );
        for (const p of failed) p.reject(error);
        continue;
      }
      for (const p of batch) {
        this.remember(p.records);
        p.resolve(p.records);
      }
      for (const w of [...this.waiters]) w();
      for (const l of this.durableListeners) l(this.durable);
    }
    this.flushing = null;
  }

  /** Hear the durable offset each time it moves (after the subscribers are woken); returns the way to stop. */
  onDurable(listener: (durable: number) => void): () => void {
    this.durableListeners.add(listener);
    return () => { this.durableListeners.delete(listener); };
  }

  /**
   * A read-only view following a live writer (another thread or process): take in the
   * records it has made durable up to `durable` (where this view ends up), from its last
   * segment on into any new one it started, and wake the subscribers.
   */
  advance(durable: number): void {
    if (!this.readOnly) throw new EventLogError("only a read-only view of the event log follows its writer");
    const before = this.durable;
    while (this.durable < durable) {
      const last = this.segments.at(-1);
      if (last) this.takeIn(last, durable - (last.base + last.count));
      const end = last ? last.base + last.count : 0;
      this.durable = this.next = end;
      if (end >= durable) break;
      // The rest is in the segment the writer started at `end`.
      const path = join(this.dir, segmentName(end));
      if (last?.path === path || !statSync(path, { throwIfNoEntry: false })) {
        throw new EventLogError(`event log: offset ${end} is durable but not in ${this.dir}`, end);
      }
      this.segments.push({ base: end, path, count: 0, bytes: 0, index: [], indexed: true });
    }
    if (this.durable > before) for (const w of [...this.waiters]) w();
  }

  /** Walk up to `want` more frames of a followed segment from where this view ends. */
  private takeIn(seg: Segment, want: number): void {
    const fd = openSync(seg.path, "r");
    try {
      const size = fstatSync(fd).size;
      if (size <= seg.bytes || want <= 0) return;
      const buf = Buffer.allocUnsafe(size - seg.bytes);
      const got = readSync(fd, buf, 0, buf.length, seg.bytes);
      let count = seg.count;
      // Lengths only: every frame is checksummed when it is read.
      const { end } = walkFrames(buf.subarray(0, got), 0, (pos) => { if (count % INDEX_EVERY === 0) seg.index.push(seg.bytes + pos); count++; }, want, false);
      if (count > seg.count) {
        (seg.marks ??= []).push({ offset: seg.base + seg.count, pos: seg.bytes });
        if (seg.marks.length > 64) seg.marks.splice(0, 32);
      }
      seg.count = count;
      seg.bytes += end;
    } finally {
      closeSync(fd);
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    let seg = this.segments.at(-1);
    if (!seg || (seg.bytes >= this.maxSegmentBytes && seg.count > 0)) {
      if (this.fd !== null) { closeSync(this.fd); this.fd = null; }
      seg = { base: this.durable, path: join(this.dir, segmentName(this.durable)), count: 0, bytes: 0, index: [], indexed: true };
      this.segments.push(seg);
    }
    if (this.fd === null) this.fd = openSync(seg.path, this.sync ? APPEND_DSYNC : "a");
    const fd = this.fd;
    const buffers: Buffer[] = [];
    let pos = seg.bytes;
    let count = seg.count;
    const index = seg.index.slice();
    for (const p of batch) for (const f of p.frames) {
      if (count % INDEX_EVERY === 0) index.push(pos);
      buffers.push(f);
      pos += f.length;
      count++;
    }
    try {
      if (this.sync) await writeAllDurably(fd, buffers); else writeAll(fd, buffers);
    } catch (e) {
      // Take back whatever part of the batch reached the file, and reopen next time.
      try { fsyncTruncate(fd, seg.bytes); } catch { /* the next open repairs the tail */ }
      try { closeSync(fd); } catch { /* already unusable */ }
      this.fd = null;
      throw e;
    }
    seg.bytes = pos;
    seg.count = count;
    seg.index = index;
    this.durable = seg.base + count;
  }

  private remember(records: EventRecord[]): void {
    if (!this.cacheTail) { this.recentBase = this.durable; return; }
    this.recent.push(...records);
    if (this.recent.length > RECENT_CAP * 2) {
      const drop = this.recent.length - RECENT_CAP;
      this.recent = this.recent.slice(drop);
      this.recentBase += drop;
    }
  }

  private ensureIndexed(seg: Segment): void {
    if (seg.indexed) return;
    const buf = readFileSync(seg.path);
    const index: number[] = [];
    let count = 0;
    const { end, problem } = walkFrames(buf, 0, (pos) => { if (count % INDEX_EVERY === 0) index.push(pos); count++; });
    if (problem || count !== seg.count) {
      throw new EventLogError(`event log corrupt at offset ${seg.base + count} (${seg.path}, byte ${end}): ${problem ?? `holds ${count} records, expected ${seg.count}`}`, seg.base + count);
    }
    seg.index = index;
    seg.indexed = true;
  }

  read(from: number, options: ReadOptions = {}): AsyncIterable<EventRecord[]> {
    return this.scan(from, options, (batch) => batch, (buf, offset, start, end) => decodeRecord(buf, offset, this.validate, start, end));
  }

  /**
   * Only the envelopes (offset, stream, time, done) of the records from `from`, each
   * checksummed and checked as `read` checks it: what a fold of the whole log needs,
   * at a fraction of the cost of full records.
   */
  envelopes(from: number, options: ReadOptions = {}): AsyncIterable<Envelope[]> {
    return this.scan(from, options, (batch) => batch.map((r) => ({ offset: r.offset, stream: r.stream, time: r.time, done: isFinal(r) })), decodeEnvelope);
  }

  /** Durable records from `from` in batches: the live tail from memory (`recent`), the rest decoded from the segments. */
  private async *scan<T extends { offset: number }>(
    from: number, options: ReadOptions,
    recent: (batch: EventRecord[]) => T[],
    decode: (buf: Buffer, offset: number, start: number, end: number) => T,
  ): AsyncIterable<T[]> {
    const batchSize = options.batchSize ?? 4096;
    const to = Math.min(options.to ?? Infinity, this.durable);
    let offset = Math.max(0, from);
    while (offset < to) {
      if (offset >= this.recentBase && offset < this.recentBase + this.recent.length) {
        const end = Math.min(to, this.recentBase + this.recent.length, offset + batchSize);
        yield recent(this.recent.slice(offset - this.recentBase, end - this.recentBase));
        offset = end;
        continue;
      }
      const segIdx = this.segmentFor(offset);
      if (segIdx < 0) throw new EventLogError(`offset ${offset} is not in the log`, offset);
      const seg = this.segments[segIdx];
      const until = Math.min(to, seg.base + seg.count, this.recentBase > offset ? this.recentBase : Infinity);
      for await (const batch of this.readSegment(seg, offset, until, batchSize, decode)) {
        yield batch;
        offset = batch[batch.length - 1].offset + 1;
      }
    }
  }

  private segmentFor(offset: number): number {
    let lo = 0, hi = this.segments.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid].base <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  private async *readSegment<T extends { offset: number }>(
    seg: Segment, from: number, to: number, batchSize: number,
    decode: (buf: Buffer, offset: number, start: number, end: number) => T,
  ): AsyncIterable<T[]> {
    // A read from the segment's first records needs no index: it builds it as it walks
    // (a rebuild reading the whole log so reads and checksums each segment once, not twice).
    const building: number[] | null = !seg.indexed && from - seg.base < INDEX_EVERY ? [] : null;
    if (!building) this.ensureIndexed(seg);
    const slot = building ? 0 : Math.floor((from - seg.base) / INDEX_EVERY);
    let pos = building ? 0 : seg.index[slot] ?? 0;
    let offset = seg.base + slot * INDEX_EVERY;
    const mark = building ? undefined : seg.marks?.findLast((m) => m.offset <= from && m.offset > offset);
    if (mark) ({ offset, pos } = mark);
    const limit = seg.bytes;
    const fd = await fsp.open(seg.path, "r");
    // The next chunk is read while this one is decoded: the fold never waits on the disk (or the page cache's copy).
    const chunk = 4 * 1024 * 1024;
    const readAt = async (at: number): Promise<Buffer> => {
      const b = Buffer.allocUnsafe(Math.min(chunk, limit - at));
      const { bytesRead } = await fd.read(b, 0, b.length, at);
      return b.subarray(0, bytesRead);
    };
    let ahead: Promise<Buffer> | null = null;
    try {
      let buf: Buffer = Buffer.alloc(0);
      let bufStart = pos;
      let batch: T[] = [];
      while (offset < to) {
        const rel = pos - bufStart;
        const have = buf.length - rel;
        const len = have >= HEADER ? buf.readUInt32LE(rel) : 0;
        if (have >= HEADER && (len === 0 || len > MAX_FRAME)) {
          throw new EventLogError(`event log corrupt at offset ${offset} (${seg.path}, byte ${pos}): bad frame length ${len}`, offset);
        }
        const need = HEADER + len;
        if (have < need) {
          const end = bufStart + buf.length;
          if (end >= limit) throw new EventLogError(`event log corrupt at offset ${offset} (${seg.path}, byte ${pos}): segment ends inside a record`, offset);
          const next = await (ahead ?? readAt(end));
          ahead = null;
          if (next.length === 0) throw new EventLogError(`event log corrupt at offset ${offset} (${seg.path}, byte ${pos}): segment ends inside a record`, offset);
          buf = have > 0 ? Buffer.concat([buf.subarray(rel), next]) : next;
          bufStart = pos;
          if (bufStart + buf.length < limit) ahead = readAt(bufStart + buf.length);
          continue;
        }
        if (crc32(buf.subarray(rel + HEADER, rel + HEADER + len)) !== buf.readUInt32LE(rel + 4)) {
          throw new EventLogError(`event log corrupt at offset ${offset} (${seg.path}, byte ${pos}): checksum mismatch`, offset);
        }
        if (building && (offset - seg.base) % INDEX_EVERY === 0) building.push(pos);
        if (offset >= from) {
          batch.push(decode(buf, offset, rel + HEADER, rel + HEADER + len));
          if (batch.length >= batchSize) { yield batch; batch = []; }
        }
        pos += HEADER + len;
        offset++;
      }
      if (building && !seg.indexed && offset === seg.base + seg.count && pos === limit) { seg.index = building; seg.indexed = true; }
      if (batch.length) yield batch;
    } finally {
      await ahead?.catch(() => undefined);
      await fd.close();
    }
  }

  async readAt(offsets: readonly number[]): Promise<EventRecord[]> {
    const out: EventRecord[] = [];
    let i = 0;
    while (i < offsets.length) {
      const offset = offsets[i];
      if (offset >= this.durable) throw new EventLogError(`offset ${offset} is not in the log`, offset);
      if (offset >= this.recentBase) { out.push(this.recent[offset - this.recentBase]); i++; continue; }
      const seg = this.segments[this.segmentFor(offset)];
      this.ensureIndexed(seg);
      const buf = await fsp.readFile(seg.path);
      const end = seg.base + seg.count;
      // Walk frames by their lengths; only the wanted ones are checked and decoded.
      let slot = Math.floor((offset - seg.base) / INDEX_EVERY);
      let pos = seg.index[slot], at = seg.base + slot * INDEX_EVERY;
      for (; i < offsets.length && offsets[i] < end; i++) {
        const want = offsets[i];
        const wantSlot = Math.floor((want - seg.base) / INDEX_EVERY);
        if (wantSlot > slot) { slot = wantSlot; pos = seg.index[slot]; at = seg.base + slot * INDEX_EVERY; }
        while (at < want) { pos += HEADER + buf.readUInt32LE(pos); at++; }
        const len = buf.readUInt32LE(pos);
        if (crc32(buf.subarray(pos + HEADER, pos + HEADER + len)) !== buf.readUInt32LE(pos + 4)) {
          throw new EventLogError(`event log corrupt at offset ${want} (${seg.path}, byte ${pos}): checksum mismatch`, want);
        }
        out.push(decodeRecord(buf, want, this.validate, pos + HEADER, pos + HEADER + len));
      }
    }
    return out;
  }

  subscribe(from: number, handler: (batch: EventRecord[]) => void | Promise<void>): Subscription {
    let stopped = false;
    let wake: (() => void) | null = null;
    const pump = (async () => {
      let position = from;
      while (!stopped) {
        if (position < this.durable) {
          for await (const batch of this.read(position, { to: this.durable })) {
            if (stopped) return;
            await handler(batch);
            position = batch[batch.length - 1].offset + 1;
          }
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((r) => { wake = r; this.waiters.add(r); });
        if (wake) this.waiters.delete(wake);
      }
    })();
    return {
      close: async () => {
        stopped = true;
        if (wake) { this.waiters.delete(wake); wake(); }
        await pump.catch(() => undefined);
      },
    };
  }

  /** Wait until every append made so far is durable (or failed). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    for (const w of [...this.waiters]) w();
    if (this.fd !== null) { closeSync(this.fd); this.fd = null; }
    if (!this.readOnly) {
      try { unlinkSync(join(this.dir, "LOCK")); } catch { /* already gone */ }
    }
  }
}

const APPEND_DSYNC = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_APPEND | fsConstants.O_DSYNC;
const IOV_MAX = 1024;

/** Write every buffer, in order, however many calls the kernel needs. */
function writeAll(fd: number, buffers: Buffer[]): void {
  let rest = buffers;
  while (rest.length) rest = unwritten(rest, fsWritevSync(fd, rest.slice(0, IOV_MAX)));
}

/** The same on the thread pool, to a segment open with O_DSYNC: stored when it resolves. */
async function writeAllDurably(fd: number, buffers: Buffer[]): Promise<void> {
  // More than IOV_MAX frames would take several writes, each waiting for the disk.
  let rest = buffers.length > IOV_MAX ? [Buffer.concat(buffers)] : buffers;
  while (rest.length) {
    const chunk = rest;
    const wrote = await new Promise<number>((res, rej) => fsWritev(fd, chunk, (err, n) => (err ? rej(err) : res(n))));
    rest = unwritten(rest, wrote);
  }
}

/** What is left of `buffers` once the first `wrote` bytes are written. */
function unwritten(buffers: Buffer[], wrote: number): Buffer[] {
  let i = 0;
  while (i < buffers.length && wrote >= buffers[i].length) wrote -= buffers[i++].length;
  const rest = buffers.slice(i);
  if (wrote > 0) rest[0] = rest[0].subarray(wrote);
  return rest;
}

function fsyncTruncate(fd: number, size: number): void {
  if (fstatSync(fd).size > size) ftruncateSync(fd, size);
  fsyncSync(fd);
}
