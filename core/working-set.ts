/**
 * Lets go of the start-up code of a mapped executable (chDB's library, node itself) once
 * the process is up.
 *
 * chDB is ClickHouse in one 540 MB library. Loading it runs the static initialisers of
 * the whole of ClickHouse (every function, format and storage engine registers itself),
 * and the kernel maps each page they touch, with its neighbours, into Recall: 180 MiB of
 * chDB's code and constants stayed resident for the life of the process, most of it never
 * run again. The pages are clean copies of the file, so the process can drop them from
 * its resident set (madvise MADV_DONTNEED): they stay in the page cache and come back on
 * their next use, as a minor fault. What chDB's inserts and merges keep using comes back
 * within seconds (B2BUA 500 calls/s: about 65 MiB of the 180).
 *
 * Node's own executable is the same case on a smaller scale: 44 MiB of it are resident once
 * Recall is up (ICU's data, the bootstrap), 31 MiB under B2BUA 500 calls/s after the release.
 *
 * Code run once since (the first insert into each table, a merge, a console command) would
 * stay too, so the same mappings are released again every RELEASE_AGAIN_MS: at B2BUA 500
 * calls/s chDB's resident code peaks at 65 MiB instead of 77 and node's at 21 instead of
 * 31. What runs all the time comes back at once, with its neighbours: the kernel maps 16
 * pages around each fault (fault-around), which is why chDB's ~15 MiB of code touched in
 * any 15 s are some 50 MiB resident. Each release takes about 1.5 ms.
 *
 * Only mappings that are read-only and hold no private copy are touched: relocated data
 * (RELRO) is private and would be lost. Node has no call for madvise; the native helper
 * (working-set/working-set.c) makes it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** How often the released mappings are released again (the startup's timer). */
export const RELEASE_AGAIN_MS = 10_000;

interface WorkingSetHelper { release(address: number, length: number): void }

export interface Mapping { readonly start: number; readonly end: number; readonly writable: boolean; rss: number; privateCopy: boolean }

/** A process's mappings of files whose path contains `library`, from /proc/PID/smaps (this process's by default). */
export function mappingsOf(library: string, pid: number | "self" = "self"): Mapping[] {
  const found: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "latin1").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      current = head[4].includes(library)
        ? { start: parseInt(head[1], 16), end: parseInt(head[2], 16), writable: head[3].includes("w"), rss: 0, privateCopy: false }
        : undefined;
      if (current) found.push(current);
      continue;
    }
    if (!current) continue;
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field?.[1] === "Rss") current.rss = Number(field[2]) * 1024;
    else if (field?.[1] === "Anonymous") current.privateCopy = Number(field[2]) > 0;
  }
  return found;
}

/**
 * Drops the resident pages of `library`'s clean, read-only mappings; the bytes they held,
 * or why nothing was done (not Linux, no helper, library not loaded).
 */
export function releaseLibraryPages(library: string): Released | string {
  if (process.platform !== "linux") return "only on Linux";
  let helper: WorkingSetHelper;
  try { helper = createRequire(import.meta.url)("./working-set.node") as WorkingSetHelper; }
  catch (e) { return `the working-set helper is not built (${(e as Error).message.split("\n")[0]})`; }
  const clean = mappingsOf(library).filter((m) => !m.writable && !m.privateCopy);
  if (!clean.some((m) => m.rss > 0)) return `${library} is not loaded`;
  const release = () => { for (const m of clean) helper.release(m.start, m.end - m.start); };
  release();
  return { bytes: clean.reduce((sum, m) => sum + m.rss, 0), again: release };
}

/** What releaseLibraryPages let go of, and how to let go again of what has come back since. */
export interface Released {
  readonly bytes: number;
  /** The same mappings, released again (no /proc read: they stay clean and read-only). */
  readonly again: () => void;
}
