/**
 * What a test or benchmark leaves behind, cleared when its process ends, even when the test
 * runner stops it (a file's time limit sends SIGTERM, a failed assertion ends the file
 * early): the child processes it started (a `recall start`, a sipp) and has not seen exit
 * are killed, and the temporary directories it made are removed (a benchmark's data
 * directory holds hundreds of MB of event log and chDB parts). RECALL_KEEP_TEMP=1 keeps
 * the directories, to look into afterwards.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const running = new Set<ChildProcess>();
const dirs: string[] = [];
let installed = false;

export function reapOnExit(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
  install();
}

/** A new directory under the system's temporary directory (`prefix` + 6 characters), removed when this process ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  install();
  return dir;
}

function install(): void {
  if (installed) return;
  installed = true;
  const clear = () => {
    for (const c of running) c.kill("SIGKILL");
    if (process.env.RECALL_KEEP_TEMP === "1") return;
    for (const dir of dirs) {
      try { rmSync(dir, { recursive: true, force: true, maxRetries: 2 }); } catch { /* a child killed just now may still be closing files in it */ }
    }
  };
  process.once("exit", clear);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => process.exit(128 + (signal === "SIGTERM" ? 15 : 2)));
  }
}
