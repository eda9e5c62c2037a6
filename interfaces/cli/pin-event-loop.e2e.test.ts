import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { startRecall } from "./recall-process.js";

const built = existsSync(new URL("../../core/affinity.node", import.meta.url));
const skip = availableParallelism() < 2 ? "one CPU" : !built ? "affinity helper not built" : false;

/** Each thread of `pid`: the CPUs it may run on, as /proc lists them ("0", "1-3", "0,2"). */
function cpusOf(pid: number): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let status: string;
    try { status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8"); } catch { continue; } // ended meanwhile
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)![1];
    const cpus = new Set<number>();
    for (const part of list.split(",")) {
      const [a, b = a] = part.split("-").map(Number);
      for (let c = a; c <= b; c++) cpus.add(c);
    }
    out.set(Number(tid), cpus);
  }
  return out;
}

test("pin_event_loop = yes: the event loop runs on a CPU of its own, every other thread of the process on the others, one media worker per CPU left", { skip }, async () => {
  const pbx = await startRecall({ "recall.conf": "[general]\npin_event_loop = yes\n" });
  try {
    const m = /Event loop on CPU (\d+), the other threads on CPU ([\d,]+)/.exec(pbx.output());
    assert.ok(m, pbx.output());
    const loop = Number(m[1]), pid = pbx.child.pid!;
    // A thread started after the pinning shares the loop's CPU until the next look (every 5 s).
    const strays = () => [...cpusOf(pid)].filter(([tid, cpus]) => tid !== pid && (cpus.has(loop) || cpus.size === 0));
    if (strays().length) await new Promise((r) => setTimeout(r, 5500));
    assert.deepEqual(strays().map(([tid, cpus]) => `thread ${tid} on CPUs ${[...cpus]}`), []);
    const threads = cpusOf(pid);
    assert.deepEqual([...threads.get(pid)!], [loop]);
    assert.ok(threads.size > 10, "media workers, the projections' thread, libuv's pool, V8's helpers, chDB's pools");
    // The media workers share the CPUs the loop leaves: one per CPU left, not one per CPU.
    const workers = availableParallelism() - 1;
    assert.match(pbx.output(), new RegExp(`Media: ${workers} workers?, RTP ports 10000-20000`));
  } finally {
    await pbx.stop();
  }
});

test("without pin_event_loop the event loop may run on every CPU", { skip }, async () => {
  const pbx = await startRecall({});
  try {
    assert.doesNotMatch(pbx.output(), /Event loop on CPU/);
    assert.match(pbx.output(), new RegExp(`Media: ${availableParallelism()} workers?, `));
    assert.equal(cpusOf(pbx.child.pid!).get(pbx.child.pid!)!.size, availableParallelism());
  } finally {
    await pbx.stop();
  }
});

test("a pin_event_loop that is not yes or no stops the start, naming file and line", async () => {
  await assert.rejects(startRecall({ "recall.conf": "[general]\n\npin_event_loop = always\n" }), /recall\.conf:3.*pin_event_loop: 'always' is not yes or no/s);
});
