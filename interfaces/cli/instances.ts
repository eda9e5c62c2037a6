/**
 * Which running instance `recall cli` talks to when no --data is given: RECALL_DATA if
 * set, else the instance started from the same directory (each `recall start` notes its
 * data directory under the temporary directory, keyed by its working directory), else ./data.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { controlSocketPath } from "../console/server.js";

const noteDir = () => join(tmpdir(), "recall-instances");
const noteOf = (cwd: string) => join(noteDir(), createHash("sha256").update(resolve(cwd)).digest("hex").slice(0, 32));

export function registerInstance(cwd: string, dataDir: string): void {
  try {
    mkdirSync(noteDir(), { recursive: true });
    writeFileSync(noteOf(cwd), resolve(dataDir));
  } catch { /* only a convenience for `recall cli`: never a reason not to run */ }
}

/** Removes the note if it is still ours (another instance may have started here since). */
export function unregisterInstance(cwd: string, dataDir: string): void {
  try {
    if (readFileSync(noteOf(cwd), "utf8") === resolve(dataDir)) rmSync(noteOf(cwd));
  } catch { /* already gone */ }
}

/** The data directory `recall cli` (and `start`) use when --data is not given. */
export function defaultDataDir(cwd = process.cwd(), env = process.env): string {
  if (env.RECALL_DATA) return env.RECALL_DATA;
  try {
    const noted = readFileSync(noteOf(cwd), "utf8");
    if (existsSync(controlSocketPath(noted))) return noted;
  } catch { /* no instance started here */ }
  return "data";
}
