/**
 * Where shipping resumes: for each partition, the highest node offset of this node's
 * records already in Kafka. The shipper sends each partition's records in offset
 * order and one batch at a time, so a record is in Kafka iff its offset is at most
 * that partition's figure, whatever happened to the process that shipped it.
 *
 * A partition is read backwards in growing windows from its end, so the answer costs
 * one small fetch when this node wrote last, and still comes out right when other
 * nodes share the topic.
 */
import type { Admin, Batch, Kafka } from "kafkajs";
import { EventLogError } from "../log.js";
import { decodeMessage, isOwn } from "./topic.js";
import { openTap } from "./tap.js";

export interface ResumeQuery {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topic: string;
  readonly node: Buffer;
  readonly groupId: string;
  /** Give up (and let the caller retry) after this long. */
  readonly timeoutMs?: number;
}

interface Scan {
  low: bigint;
  high: bigint;
  /** Current window: [start, end). */
  start: bigint;
  end: bigint;
  found: number;
  done: boolean;
}

/** Highest node offset of this node in each partition (-1: none), indexed by partition. */
export async function lastShippedOffsets(q: ResumeQuery): Promise<number[]> {
  const offsets = await q.admin.fetchTopicOffsets(q.topic);
  const scans = new Map<number, Scan>();
  for (const o of offsets) {
    const low = BigInt(o.low), high = BigInt(o.high);
    scans.set(o.partition, { low, high, start: high, end: high, found: -1, done: high <= low });
  }
  const widen = (s: Scan) => {
    const width = s.end === s.high ? 1n : (s.end - s.start) * 16n;
    s.end = s.start;
    s.start = s.end - width < s.low ? s.low : s.end - width;
  };
  for (const s of scans.values()) if (!s.done) widen(s);
  const result = () => Array.from({ length: offsets.length }, (_, p) => scans.get(p)?.found ?? -1);
  if ([...scans.values()].every((s) => s.done)) return result();

  let failure: Error | null = null;
  let finished!: () => void;
  const allDone = new Promise<void>((r) => { finished = r; });
  const check = () => { if ([...scans.values()].every((s) => s.done)) finished(); };
  let tap: Awaited<ReturnType<typeof openTap>> | null = null;

  const onBatch = async (batch: Batch) => {
    const s = scans.get(batch.partition);
    if (!s || s.done || batch.isEmpty()) return;
    try {
      for (const m of batch.messages) {
        const k = BigInt(m.offset);
        if (k < s.start || k >= s.end || !isOwn(m, q.node)) continue;
        s.found = Math.max(s.found, decodeMessage(m, q.topic, batch.partition, false).offset);
      }
    } catch (e) {
      failure = e as Error;
      finished();
      return;
    }
    if (BigInt(batch.lastOffset()) < s.end - 1n) return;
    if (s.found >= 0 || s.start <= s.low) {
      s.done = true;
      check();
    } else {
      widen(s);
      tap?.seek(batch.partition, s.start.toString());
    }
  };

  const start = new Map([...scans].filter(([, s]) => !s.done).map(([p, s]) => [p, s.start.toString()]));
  tap = await openTap({ kafka: q.kafka, topic: q.topic, groupId: q.groupId, start, onBatch, onCrash: (e) => { failure = e; finished(); } });
  try {
    const timeoutMs = q.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      allDone.then(() => "done" as const),
      new Promise<"timeout">((r) => { timer = setTimeout(() => r("timeout"), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (failure) throw failure;
    if (outcome === "timeout") throw new EventLogError(`could not read the end of Kafka topic ${q.topic} within ${timeoutMs} ms`);
    return result();
  } finally {
    await tap.close();
  }
}
