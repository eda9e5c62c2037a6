/**
 * pin_event_loop (recall.conf [general], default no): the event loop gets a CPU of its
 * own and every other thread of the process (media workers, the projections' thread,
 * libuv's pool, V8's GC helpers, chDB) shares the rest. For a machine that runs one
 * Recall: several instances would all put their loops on the same CPU.
 *
 * The event loop is the serial part of the PBX: every SIP message and every transition
 * passes through it. Left to the scheduler, it was runnable but waiting 16-19 % of the
 * time at B2BUA 500 calls/s on two CPUs, often behind the threads it had just woken (a
 * media worker told of a command, a pool thread given a write). Pinned, it waited 10 %,
 * and no run's INVITE→200 p99 went past 100 ms (unpinned, two of five did).
 *
 * Threads inherit their creator's CPUs, so threads started later (chDB starts some on
 * demand) would share the loop's CPU: the threads are looked at again every few seconds.
 * Node cannot set affinity; the native helper (affinity/affinity.c) does.
 */
import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";

interface AffinityHelper { allowed(): number[]; pin(tid: number, cpus: number[]): boolean }

const RESCAN_MS = 5000;

/**
 * How many media workers to start: one per CPU the process may use, less the event loop's
 * own when it is pinned. Workers beyond that would only share those CPUs: on two CPUs,
 * two workers on the one CPU left did the same work as one, and each costs its own heap
 * (B2BUA 500 calls/s: peak RSS 509 MiB with one against 529 with two, p99 the same).
 */
export function mediaWorkerCount(pinned: boolean): number {
  const cpus = availableParallelism();
  return pinned ? Math.max(1, cpus - 1) : cpus;
}

/** How the threads were placed, for the startup line. */
export interface Pinning { readonly loop: number; readonly others: readonly number[]; stop(): void }

/**
 * Puts the calling (main) thread on the first CPU it may use and every other thread on
 * the others. A reason instead when it cannot: one CPU only, no helper, not Linux.
 */
export function pinEventLoop(): Pinning | string {
  if (process.platform !== "linux") return "CPU affinity is set on Linux only";
  let helper: AffinityHelper;
  try { helper = createRequire(import.meta.url)("./affinity.node") as AffinityHelper; }
  catch (e) { return `the affinity helper is not built (${(e as Error).message.split("\n")[0]}); it needs a C compiler and Node's headers at npm install`; }
  const cpus = helper.allowed();
  if (cpus.length < 2) return `only CPU ${cpus.join("")} is available: nothing to keep the event loop apart from`;
  const [loop, ...others] = cpus;
  const main = process.pid;
  const place = () => {
    for (const name of readdirSync("/proc/self/task")) {
      const tid = Number(name);
      helper.pin(tid, tid === main ? [loop] : others); // false: the thread ended meanwhile
    }
  };
  try { place(); } catch (e) { return (e as Error).message; }
  const timer = setInterval(() => { try { place(); } catch { /* tried again next time */ } }, RESCAN_MS);
  timer.unref();
  return { loop, others, stop: () => clearInterval(timer) };
}
