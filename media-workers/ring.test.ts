import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { RingBuffer, MessageRing } from "./ring.js";

test("empty ring pops nothing; push then pop returns the same bytes", () => {
  const r = new RingBuffer(1024);
  assert.equal(r.pop(), undefined);
  assert.ok(r.push(Uint8Array.of(1, 2, 3)));
  assert.deepEqual([...r.pop()!], [1, 2, 3]);
  assert.equal(r.pop(), undefined);
  assert.equal(r.used, 0);
});

test("full ring refuses and counts; space frees after pops", () => {
  const r = new RingBuffer(1024);
  const msg = new Uint8Array(100);
  let n = 0;
  while (r.push(msg)) n++;
  assert.equal(n, Math.floor(1024 / 104));
  assert.equal(r.dropped, 1);
  assert.ok(!r.push(new Uint8Array(1024)), "larger than the ring");
  r.pop();
  assert.ok(r.push(msg));
});

test("wrap-around keeps message boundaries and contents", () => {
  const r = new RingBuffer(1024);
  let next = 0, expect = 0;
  for (let round = 0; round < 5000; round++) {
    const len = (round * 37) % 300;
    const m = new Uint8Array(len).map((_, i) => (next + i) & 0xff);
    if (r.push(m)) next++;
    if (round % 3 !== 0) {
      const got = r.pop();
      if (got) {
        for (let i = 0; i < got.length; i++) assert.equal(got[i], (expect + i) & 0xff);
        expect++;
      }
    }
  }
  for (let got = r.pop(); got; got = r.pop()) expect++;
  assert.equal(expect, next);
});

test("a ring whose counters wrap past 2^32 still works", () => {
  const r = new RingBuffer(1024);
  const ctl = new Int32Array(r.sab, 0, 16);
  ctl[0] = -20; ctl[1] = -20; // head = tail = 2^32 - 20
  for (let i = 0; i < 100; i++) {
    assert.ok(r.push(Uint8Array.of(i, i + 1)));
    assert.deepEqual([...r.pop()!], [i, i + 1]);
  }
});

test("msgpackr messages cross to another thread and back in order", async () => {
  const toW = new MessageRing<{ n: number; b: Uint8Array }>(1 << 16), fromW = new MessageRing<{ n: number; sum: number }>(1 << 16);
  const code = `
    const { workerData } = require("node:worker_threads");
    import(${JSON.stringify(new URL("./ring.js", import.meta.url).href)}).then(({ MessageRing }) => {
      const inR = new MessageRing(workerData.a), outR = new MessageRing(workerData.b);
      inR.consume((m) => { outR.send({ n: m.n, sum: m.b.reduce((x, y) => x + y, 0) }); });
    });`;
  const w = new Worker(code, { eval: true, workerData: { a: toW.sab, b: fromW.sab } });
  const got: { n: number; sum: number }[] = [];
  const done = new Promise<void>((resolve) => { void fromW.consume((m) => { got.push(m); if (got.length === 2000) resolve(); }); });
  for (let n = 0; n < 2000; n++) while (!toW.send({ n, b: Uint8Array.of(n & 0xff, 1) })) await new Promise((r) => setImmediate(r));
  await done;
  fromW.close(); toW.close();
  await w.terminate();
  assert.deepEqual(got.map((g) => g.n), Array.from({ length: 2000 }, (_, i) => i));
  assert.equal(got[300].sum, (300 & 0xff) + 1);
});

/** Resolves once `done()` holds (the wake-up reaches the consumer as a task of its own). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((res) => setTimeout(res, 5));
}

test("a burst pushed in one loop iteration wakes a sleeping consumer once; a busy consumer is not woken at all", async () => {
  const r = new RingBuffer(1 << 16);
  const atomics = Atomics as unknown as { notify: (ta: Int32Array, index: number, count?: number) => number };
  const notify = atomics.notify;
  let notifies = 0;
  atomics.notify = (ta, index, count) => { notifies++; return notify(ta, index, count); };
  try {
    const got: number[] = [];
    // While it works (message 50), a push finds it awake: no wake-up, it drains that one too.
    void r.consume((m) => { got.push(m[0]); if (m[0] === 50) r.push(Uint8Array.of(200)); });
    await new Promise((res) => setImmediate(res)); // the consumer drained the empty ring and sleeps
    for (let i = 0; i < 100; i++) r.push(Uint8Array.of(i));
    await until(() => got.length === 101);
    assert.equal(got.at(-1), 200);
    assert.equal(notifies, 1, "one wake-up for the whole turn");
    r.push(Uint8Array.of(7)); // a later iteration wakes it again: nothing is left behind
    await until(() => got.length === 102);
    assert.deepEqual(got.slice(101), [7]);
    assert.equal(notifies, 2);
  } finally {
    atomics.notify = notify;
    r.close();
  }
});
