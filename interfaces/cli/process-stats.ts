/** What a benchmark reads of a process it started (Linux /proc): CPU seconds used and resident memory. */
import { readFileSync } from "node:fs";

/** User + system CPU seconds of `pid`, all its threads (utime and stime, in USER_HZ 100 ticks). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of `pid` in MiB (NaN when /proc does not say). */
export function rssMiB(pid: number): number {
  return residentMiB(pid).rss;
}

/**
 * Resident memory of `pid` in MiB, and the part of it that is anonymous (heaps, buffers):
 * the rest is mapped files, mostly node's and chDB's code (about 100 MiB for Recall once up).
 */
export function residentMiB(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => { const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status); return m ? Number(m[1]) / 1024 : NaN; };
  return { rss: kb("VmRSS"), anon: kb("RssAnon") };
}
