import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readdirSync, readFileSync, writeFileSync, symlinkSync, unlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { crc32 } from "node:zlib";
import { SegmentLog } from "./segment-log.js";
import { eventLogContract } from "../log-contract.js";
import { encodeRecord } from "../codec.js";
import { sampleDraft } from "../testing.js";
import type { EventLog } from "../log.js";
import type { EventRecord } from "../record.js";
import { tempDir } from "../../core/reap.js";

const quiet = { notice: () => undefined };
const freshDir = () => tempDir("recall-log-");

eventLogContract("embedded", {
  open: () => SegmentLog.open(freshDir(), quiet),
  reopen: async (log: EventLog) => { await log.close(); return SegmentLog.open((log as SegmentLog).dir, quiet); },
});

eventLogContract("embedded, tiny segments", {
  open: () => SegmentLog.open(freshDir(), { ...quiet, maxSegmentBytes: 2048 }),
  reopen: async (log: EventLog) => { await log.close(); return SegmentLog.open((log as SegmentLog).dir, { ...quiet, maxSegmentBytes: 2048 }); },
});

// As `recall start` opens it: every read of the tail decodes the segment files.
eventLogContract("embedded, no tail cache", {
  open: () => SegmentLog.open(freshDir(), { ...quiet, cacheTail: false }),
  reopen: async (log: EventLog) => { await log.close(); return SegmentLog.open((log as SegmentLog).dir, { ...quiet, cacheTail: false }); },
});

async function readAll(log: EventLog): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for await (const b of log.read(0)) out.push(...b);
  return out;
}

const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith(".seg")).sort().map((n) => join(dir, n));

function rawFrame(record: EventRecord): Buffer {
  const payload = encodeRecord(record);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

test("a partial record left by a crash is dropped on open, with a message, and every whole record kept", async () => {
  const dir = freshDir();
  let log = await SegmentLog.open(dir, quiet);
  await log.append(Array.from({ length: 20 }, (_, i) => sampleDraft("contact:t", i + 1)));
  await log.close();
  const frame = rawFrame({ ...sampleDraft("contact:t", 21), offset: 20 });
  appendFileSync(segments(dir)[0], frame.subarray(0, frame.length - 7));
  const notices: string[] = [];
  log = await SegmentLog.open(dir, { notice: (m) => notices.push(m) });
  assert.equal(log.nextOffset, 20);
  assert.match(notices.join("\n"), /recovered after a crash: dropped \d+ bytes of an unacknowledged partial record/);
  assert.equal((await readAll(log)).length, 20);
  const [r] = await log.append([sampleDraft("contact:t", 21)]);
  assert.equal(r.offset, 20);
  await log.close();
  assert.equal((await readAll(await SegmentLog.open(dir, quiet))).length, 21);
});

test("a damaged record followed by valid ones is corruption: open fails naming the offset", async () => {
  const dir = freshDir();
  const log = await SegmentLog.open(dir, quiet);
  await log.append(Array.from({ length: 10 }, (_, i) => sampleDraft("contact:c", i + 1)));
  await log.close();
  const path = segments(dir)[0];
  const bytes = readFileSync(path);
  const frameLen = bytes.readUInt32LE(0) + 8;
  bytes[frameLen * 3 + 20] ^= 0xff; // inside the payload of offset 3
  writeFileSync(path, bytes);
  await assert.rejects(SegmentLog.open(dir, quiet), /corrupt at offset 3 .*checksum mismatch/);
});

test("corruption in an older segment is reported with its offset when read", async () => {
  const dir = freshDir();
  const log = await SegmentLog.open(dir, { ...quiet, maxSegmentBytes: 4096 });
  await log.append(Array.from({ length: 40 }, (_, i) => sampleDraft("contact:o", i + 1)));
  for (let i = 0; i < 40; i++) await log.append([sampleDraft("contact:o", 41 + i)]);
  await log.close();
  const first = segments(dir)[0];
  const bytes = readFileSync(first);
  bytes[30] ^= 0x55;
  writeFileSync(first, bytes);
  const reopened = await SegmentLog.open(dir, { ...quiet, maxSegmentBytes: 4096 });
  await assert.rejects(readAll(reopened), /corrupt at offset 0 .*checksum mismatch/);
  await reopened.close();
});

test("a record of an unknown event version is rejected on read with its offset and reason", async () => {
  const dir = freshDir();
  const log = await SegmentLog.open(dir, quiet);
  await log.append([sampleDraft("contact:v", 1)]);
  await log.close();
  appendFileSync(segments(dir)[0], rawFrame({ ...sampleDraft("contact:v", 2), v: 99, offset: 1 }));
  const reopened = await SegmentLog.open(dir, quiet);
  assert.equal(reopened.nextOffset, 2);
  await assert.rejects(readAll(reopened), /offset 1: unknown version 99 of event type contact\.transition \(known: 1\)/);
  await reopened.close();
});

test("a body that does not match its type's schema is rejected when read, with its offset; a log opened with validate: false reads it as it is", async () => {
  const dir = freshDir();
  const log = await SegmentLog.open(dir, quiet);
  await log.append([sampleDraft("contact:s", 1)]);
  await log.close();
  const draft = sampleDraft("contact:s", 2);
  appendFileSync(segments(dir)[0], rawFrame({ ...draft, offset: 1, state: { ...draft.state, value: 42 } } as unknown as EventRecord));
  const checked = await SegmentLog.open(dir, { ...quiet, readOnly: true });
  const records = await readAll(checked); // bodies are decoded, and checked, when first used
  assert.throws(() => records[1].state, /offset 1: state does not match contact\.transition v1/);
  await checked.close();
  const unchecked = await SegmentLog.open(dir, { ...quiet, readOnly: true, validate: false });
  assert.equal((await readAll(unchecked))[1].state.value, 42);
  await unchecked.close();
});

test("disk full: the failing batch is refused with a clear error, acknowledged events stay, writing resumes when space returns", async () => {
  const dir = freshDir();
  let log = await SegmentLog.open(dir, { ...quiet, maxSegmentBytes: 1024 });
  const acked = await log.append(Array.from({ length: 5 }, (_, i) => sampleDraft("contact:f", i + 1)));
  // The next segment will be named after offset 5: make it a device that is always full.
  const next = join(dir, `${"5".padStart(20, "0")}.seg`);
  symlinkSync("/dev/full", next);
  await assert.rejects(log.append([sampleDraft("contact:f", 6)]), /write failed \(disk full\).*1 events were not stored, every acknowledged event is intact/);
  assert.equal(log.nextOffset, 5);
  unlinkSync(next);
  const [r] = await log.append([sampleDraft("contact:f", 6)]);
  assert.equal(r.offset, 5);
  await log.close();
  log = await SegmentLog.open(dir, quiet);
  const back = await readAll(log);
  assert.deepEqual(back.map((x) => x.offset), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(back.slice(0, 5).map((x) => JSON.parse(JSON.stringify(x))), acked.map((x) => JSON.parse(JSON.stringify(x))));
  assert.ok(statSync(next).isFile());
  await log.close();
});

test("a second writer on the same directory is refused", async () => {
  const dir = freshDir();
  const log = await SegmentLog.open(dir, quiet);
  writeFileSync(join(dir, "LOCK"), String(process.ppid));
  await assert.rejects(SegmentLog.open(dir, quiet), /in use by process/);
  await log.close();
});

test("kill -9 while appending loses no acknowledged event", async () => {
  const dir = freshDir();
  const child = spawn(process.execPath, [new URL("./crash-writer.fixture.js", import.meta.url).pathname, dir], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  await new Promise<void>((resolve) => {
    child.stdout.on("data", (d: string) => {
      out += d;
      if (out.split("\n").length > 300) { child.kill("SIGKILL"); resolve(); }
    });
  });
  await new Promise((r) => child.on("exit", r));
  const ackedUpTo = Math.max(...out.trim().split("\n").slice(0, -1).map(Number));
  assert.ok(ackedUpTo > 100);
  const log = await SegmentLog.open(dir, quiet);
  const back = await readAll(log);
  assert.ok(back.length >= ackedUpTo + 1, `acknowledged up to ${ackedUpTo}, found ${back.length}`);
  back.forEach((r, i) => assert.equal(r.offset, i));
  await log.close();
});

test("a read-only view follows a live writer: it takes in only what the writer says is durable, across new segments, and its subscribers see every record once, in order", async () => {
  const dir = freshDir();
  const writer = await SegmentLog.open(dir, { ...quiet, maxSegmentBytes: 2048 });
  await writer.append(Array.from({ length: 10 }, (_, i) => sampleDraft("contact:t", i + 1)));
  const heard: number[] = [];
  const stop = writer.onDurable((d) => heard.push(d));
  // Written but, for the view, not yet durable: it must not take them in.
  await writer.append(Array.from({ length: 5 }, (_, i) => sampleDraft("contact:t", i + 11)));
  assert.deepEqual(heard, [15]);
  const view = await SegmentLog.open(dir, { ...quiet, readOnly: true, until: 10 });
  assert.equal(view.durableOffset, 10);
  const seen: number[] = [];
  const sub = view.subscribe(0, (batch) => { seen.push(...batch.map((r) => r.offset)); });
  for (let i = 0; i < 8; i++) {
    await writer.append(Array.from({ length: 7 }, (_, j) => sampleDraft("contact:t", 16 + i * 7 + j)));
    view.advance(writer.durableOffset);
  }
  assert.ok(segments(dir).length > 3, "the writer started new segments while the view followed");
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(seen, Array.from({ length: 71 }, (_, i) => i));
  assert.deepEqual((await readAll(view)).map((r) => r.seq), Array.from({ length: 71 }, (_, i) => i + 1));
  assert.throws(() => view.advance(1000), /offset 71 is durable but not in/);
  await assert.rejects(view.append([sampleDraft("contact:t", 72)]), /read-only/);
  stop();
  await writer.append([sampleDraft("contact:t", 72)]);
  assert.equal(heard.length, 9, "a stopped listener hears nothing more");
  await sub.close();
  await view.close();
  await writer.close();
});
