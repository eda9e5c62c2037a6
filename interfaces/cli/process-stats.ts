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
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}
