/**
 * The behaviour every EventLog backend must show. Each backend's test file calls
 * `eventLogContract` with a way to open a fresh log (and to reopen the same one).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { EventLog } from "./log.js";
import type { EventRecord } from "./record.js";
import { sampleDraft } from "./testing.js";

export interface ContractTarget {
  /** A new, empty log. */
  open(): Promise<EventLog>;
  /** The same log again after `close()`, as a restarted process would see it. */
  reopen(log: EventLog): Promise<EventLog>;
}

async function readAll(log: EventLog, from = 0): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for await (const batch of log.read(from)) out.push(...batch);
  return out;
}

/** The fields a draft has, read from a record (stored records decode their body lazily). */
const body = (r: EventRecord) => ({
  type: r.type, v: r.v, stream: r.stream, kind: r.kind, seq: r.seq, time: r.time, input: r.input, state: r.state, outputs: r.outputs,
  ...(r.linkedid !== undefined ? { linkedid: r.linkedid } : {}),
  ...(r.draws !== undefined ? { draws: r.draws } : {}),
  ...(r.timers !== undefined ? { timers: r.timers } : {}),
});

export function eventLogContract(name: string, target: ContractTarget): void {
  test(`${name}: append assigns consecutive offsets and reads them back in order`, async () => {
    const log = await target.open();
    try {
      const drafts = Array.from({ length: 10 }, (_, i) => sampleDraft("contact:a", i + 1));
      const first = await log.append(drafts.slice(0, 4));
      const second = await log.append(drafts.slice(4));
      assert.deepEqual([...first, ...second].map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const back = await readAll(log);
      assert.equal(back.length, 10);
      assert.deepEqual(back.map(body), drafts);
      assert.deepEqual((await readAll(log, 7)).map((r) => r.offset), [7, 8, 9]);
    } finally { await log.close(); }
  });

  test(`${name}: appends made without awaiting keep call order, and each stream keeps its order`, async () => {
    const log = await target.open();
    try {
      const pending: Promise<EventRecord[]>[] = [];
      const seqs = new Map<string, number>();
      for (let i = 0; i < 2000; i++) {
        const stream = `contact:s${i % 7}`;
        const seq = (seqs.get(stream) ?? 0) + 1;
        seqs.set(stream, seq);
        pending.push(log.append([sampleDraft(stream, seq, i)]));
      }
      const acked = (await Promise.all(pending)).flat();
      assert.deepEqual(acked.map((r) => r.offset), acked.map((_, i) => i));
      const back = await readAll(log);
      assert.equal(back.length, 2000);
      const last = new Map<string, number>();
      for (const r of back) {
        assert.equal(r.seq, (last.get(r.stream) ?? 0) + 1, `stream ${r.stream} out of order at offset ${r.offset}`);
        last.set(r.stream, r.seq);
      }
    } finally { await log.close(); }
  });

  test(`${name}: acknowledged events survive a close and reopen`, async () => {
    let log = await target.open();
    const drafts = Array.from({ length: 50 }, (_, i) => sampleDraft(`contact:r${i % 3}`, Math.floor(i / 3) + 1, i));
    await log.append(drafts);
    log = await target.reopen(log);
    try {
      assert.equal(log.nextOffset, 50);
      assert.deepEqual((await readAll(log)).map(body), drafts);
      const more = await log.append([sampleDraft("contact:r9", 1, 99)]);
      assert.equal(more[0].offset, 50);
    } finally { await log.close(); }
  });

  test(`${name}: subscribe delivers history, then live events, in order`, async () => {
    const log = await target.open();
    try {
      await log.append([sampleDraft("contact:x", 1), sampleDraft("contact:x", 2)]);
      const seen: number[] = [];
      let done!: () => void;
      const all = new Promise<void>((r) => { done = r; });
      const sub = log.subscribe(1, (batch) => {
        for (const r of batch) seen.push(r.offset);
        if (seen.length >= 3) done();
      });
      await log.append([sampleDraft("contact:x", 3)]);
      await log.append([sampleDraft("contact:x", 4)]);
      await all;
      await sub.close();
      assert.deepEqual(seen, [1, 2, 3]);
    } finally { await log.close(); }
  });

  test(`${name}: an unknown event type is refused at append, not stored`, async () => {
    const log = await target.open();
    try {
      await assert.rejects(log.append([{ ...sampleDraft("contact:y", 1), type: "no.such.event" }]), /unknown event no\.such\.event/);
      await log.append([sampleDraft("contact:y", 1)]);
      assert.deepEqual((await readAll(log)).map((r) => r.offset), [0]);
    } finally { await log.close(); }
  });
}
