/**
 * A real `recall start` child process for end-to-end tests: its own config and data
 * directories, free ports on 127.0.0.1, and helpers to run console commands and read
 * its log. Always `stop()` it (tests do so in `finally` / `after`).
 */
import assert from "node:assert/strict";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { reapOnExit, tempDir } from "../../core/reap.js";
import { mkdirSync, writeFileSync, readFileSync, existsSync, statSync } from "node:fs";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { packageRoot } from "./paths.js";

const run = promisify(execFile);
const recallBin = join(packageRoot, "bin", "recall.js");

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
/**
 * A port free for TCP and UDP on 127.0.0.1, for a test to bind a little later. Picked
 * at random above the kernel's ephemeral range (32768-60999), so no socket the system
 * numbers itself (sipp's, a client's) can take it meanwhile, and reserved by a file in
 * the temporary directory, so concurrent test processes never hand out the same one
 * (a reservation older than ten minutes is stale and may be taken again).
 */
export async function freePort(): Promise<number> {
  const dir = join(tmpdir(), "recall-test-ports");
  mkdirSync(dir, { recursive: true });
  for (;;) {
    const port = 61000 + Math.floor(Math.random() * 4500);
    const file = join(dir, String(port));
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
    } catch {
      try { if (Date.now() - statSync(file).mtimeMs < 600_000) continue; writeFileSync(file, String(process.pid)); } catch { continue; }
    }
    if (await bindable(port)) return port;
  }
}

async function bindable(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const u = createSocket("udp4");
    u.once("error", () => resolve(false));
    u.bind(port, "127.0.0.1", () => u.close(() => resolve(true)));
  });
}

export interface RecallProcess {
  readonly configDir: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** `recall cli -rx COMMAND` against it. */
  cli(command: string): Promise<string>;
  /** Wait until its output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<number | null>;
}

/**
 * Tests read what happened in DATA/messages.log, VERBOSE lines included (Asterisk's sample
 * logger.conf, Recall's default, keeps them out of it); a test that gives its own
 * logger.conf gets that instead.
 */
export const testLoggerConf = "[logfiles]\nconsole => notice,warning,error,security\nmessages.log => notice,warning,error,verbose,dtmf,security\n";

/** Start Recall with these config files (name → text) and an empty data directory (or `dataDir`). */
export async function startRecall(files: Record<string, string>, options: { dataDir?: string; cwd?: string } = {}): Promise<RecallProcess> {
  const configDir = tempDir("recall-conf-");
  for (const [name, text] of Object.entries({ "logger.conf": testLoggerConf, ...files })) writeFileSync(join(configDir, name), text);
  const dataDir = options.dataDir ?? tempDir("recall-data-");
  // RECALL_NODE_ARGS passes node flags to the child (e.g. --cpu-prof when profiling a benchmark).
  // As `npm start` runs it (its young and old generation sizes: bin/recall.js says why), plus RECALL_NODE_ARGS.
  const nodeArgs = ["--max-semi-space-size=16", "--initial-old-space-size=128", ...(process.env.RECALL_NODE_ARGS ?? "").split(" ").filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, recallBin, "start", "--config", configDir, "--data", dataDir], { stdio: ["ignore", "pipe", "pipe"], ...(options.cwd ? { cwd: options.cwd } : {}) });
  reapOnExit(child);
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (d: string) => { out += d; for (const l of listeners) l(); };
  child.stdout!.setEncoding("utf8").on("data", onData);
  child.stderr!.setEncoding("utf8").on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => { for (const l of listeners) l(); resolve(code); }));
  const waitFor = (pattern: RegExp, timeoutMs = 10_000) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (pattern.test(out)) { cleanup(); resolve(); }
      else if (child.exitCode !== null) { cleanup(); reject(new Error(`recall exited (${child.exitCode}) before ${pattern}:\n${out}`)); }
    };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${pattern}:\n${out}`)); }, timeoutMs);
    const cleanup = () => { clearTimeout(timer); listeners.delete(check); };
    listeners.add(check);
    check();
  });
  const proc: RecallProcess = {
    configDir, dataDir, child,
    output: () => out,
    cli: async (command) => (await run(process.execPath, [recallBin, "cli", "--data", dataDir, "-rx", command])).stdout,
    waitFor,
    stop: async () => { if (child.exitCode === null) child.kill("SIGTERM"); return exited; },
  };
  try {
    await waitFor(/Recall ready/, 120_000);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return proc;
}

/** The data directory's Asterisk-style log (messages.log). */
export function messages(dataDir: string): string {
  const path = join(dataDir, "messages.log");
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

/**
 * Waits (up to `timeoutMs`) until DATA/messages.log matches `pattern`, then asserts it:
 * verbose lines are written once per turn of Recall's event loop, so a line can land a
 * moment after the SIP message the same turn sent.
 */
export async function assertLogged(dataDir: string, pattern: RegExp, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(messages(dataDir)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.match(messages(dataDir), pattern);
}
