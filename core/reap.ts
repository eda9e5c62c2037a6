/**
 * Child processes a test or benchmark started (a `recall start`, a sipp) and has not seen
 * exit: killed when this process ends, even when the test runner stops it (a file's time
 * limit sends SIGTERM, a failed assertion ends the file early), so nothing keeps running
 * behind a stopped test.
 */
import type { ChildProcess } from "node:child_process";

const running = new Set<ChildProcess>();
let installed = false;

export function reapOnExit(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
  if (installed) return;
  installed = true;
  const killAll = () => { for (const c of running) c.kill("SIGKILL"); };
  process.once("exit", killAll);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => { killAll(); process.exit(128 + (signal === "SIGTERM" ? 15 : 2)); });
  }
}
