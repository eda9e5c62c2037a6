/**
 * A file sink's own state (its checkpoints, the rebuild mark) as a small JSON file,
 * replaced atomically: written to `<path>.tmp`, synced, renamed over the old one, so a
 * crash leaves either the old state or the new one, never half of one.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import { dirname } from "node:path";

export function loadState<T>(path: string, fresh: () => T): T {
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) as T : fresh();
}

export function saveState(path: string, state: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try { writeSync(fd, JSON.stringify(state)); fsyncSync(fd); } finally { closeSync(fd); }
  renameSync(tmp, path);
}

/** As saveState, without blocking the event loop (live writes). */
export async function saveStateAsync(path: string, state: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w");
  try { await fh.writeFile(JSON.stringify(state)); await fh.sync(); } finally { await fh.close(); }
  await rename(tmp, path);
}
