/**
 * Running sipp (Debian's sip-tester) from tests and benchmarks: write a scenario to a
 * temporary directory, run sipp against 127.0.0.1, and collect its exit status and
 * statistics. Every run is bounded (`-m` calls and a wall-clock timeout).
 */
import { spawn } from "node:child_process";
import { reapOnExit, tempDir } from "../../core/reap.js";
import { existsSync, writeFileSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface SippOptions {
  /** Scenario XML text, or sipp's own built-in scenario by name (`{ builtin: "uas" }`, run as `-sn uas`, unmodified). */
  readonly scenario: string | { readonly builtin: string };
  /** host:port of the system under test; absent for a UAS scenario that waits to be called. */
  readonly target?: string;
  /** Local port for sipp (0: let sipp pick). */
  readonly localPort?: number;
  readonly transport?: "u1" | "un" | "t1" | "tn";
  /** Total calls (-m). */
  readonly calls: number;
  /** Call rate per second (-r) and concurrency limit (-l). */
  readonly rate?: number;
  readonly limit?: number;
  /** CSV injection file content (first line: SEQUENTIAL / RANDOM). */
  readonly inject?: string;
  readonly extraArgs?: readonly string[];
  /** Kill sipp after this long. */
  readonly timeoutMs?: number;
}

export interface SippResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Contents of the error log sipp wrote (-trace_err), if any. */
  readonly errors: string;
  readonly successful: number;
  readonly failed: number;
  readonly retransmissions: number;
  /** Each call's response time in ms (the scenario's `rtd` timer), when sipp ran with `-trace_rtt`. */
  readonly responseTimesMs: readonly number[];
  readonly dir: string;
}

/** Start sipp; `done` settles when it exits. `stop()` ends it early (SIGUSR1 = graceful quit). */
export function startSipp(o: SippOptions): { done: Promise<SippResult>; stop: () => void } {
  const dir = tempDir("recall-sipp-");
  const scenario = typeof o.scenario === "string" ? ["-sf", join(dir, "scenario.xml")] : ["-sn", o.scenario.builtin];
  if (typeof o.scenario === "string") writeFileSync(join(dir, "scenario.xml"), o.scenario);
  const args = [
    ...(o.target ? [o.target] : []), ...scenario, "-m", String(o.calls), "-i", "127.0.0.1",
    "-p", String(o.localPort ?? 0), "-t", o.transport ?? "u1", "-trace_err", "-trace_stat", "-fd", "1",
    "-nostdin", "-bg", "-timeout_error", "-max_recv_loops", "10000",
  ];
  if (o.rate !== undefined) args.push("-r", String(o.rate));
  if (o.limit !== undefined) args.push("-l", String(o.limit));
  if (o.inject !== undefined) {
    writeFileSync(join(dir, "inject.csv"), o.inject);
    args.push("-inf", join(dir, "inject.csv"));
  }
  args.push(...(o.extraArgs ?? []));
  // -bg forks: run in the foreground instead so we can wait for it.
  const fg = args.filter((a) => a !== "-bg");
  const child = spawn("sipp", fg, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  reapOnExit(child); // a test that fails before stopping it leaves no sipp behind
  let stdout = "", stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; if (stdout.length > 1e6) stdout = stdout.slice(-5e5); });
  child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
  const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 60_000);
  const done = new Promise<SippResult>((resolve) => {
    // No sipp on PATH (spawn ENOENT): 'exit' never comes, so settle on the error instead of hanging.
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${e.message}\n`, errors: "", successful: 0, failed: 0, retransmissions: 0, responseTimesMs: [], dir });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      const errFile = readdirSync(dir).find((f) => f.endsWith("_errors.log"));
      const statFile = readdirSync(dir).find((f) => f.endsWith("_.csv"));
      const stats = statFile ? parseStats(readFileSync(join(dir, statFile), "utf8")) : { successful: 0, failed: 0, retransmissions: 0 };
      const rttFile = readdirSync(dir).find((f) => f.endsWith("_rtt.csv"));
      const responseTimesMs = rttFile ? parseResponseTimes(readFileSync(join(dir, rttFile), "utf8")) : [];
      resolve({ code, stdout, stderr, errors: errFile ? readFileSync(join(dir, errFile), "utf8") : "", ...stats, responseTimesMs, dir });
    });
  });
  return { done, stop: () => child.kill("SIGUSR1") };
}

export function runSipp(o: SippOptions): Promise<SippResult> {
  return startSipp(o).done;
}

/** The last row of sipp's -trace_stat CSV: cumulative successful/failed calls and retransmissions. */
function parseStats(csv: string): { successful: number; failed: number; retransmissions: number } {
  const lines = csv.trim().split("\n");
  if (lines.length < 2) return { successful: 0, failed: 0, retransmissions: 0 };
  const head = lines[0].split(";");
  const last = lines[lines.length - 1].split(";");
  const col = (name: string) => Number(last[head.indexOf(name)] ?? 0);
  return { successful: col("SuccessfulCall(C)"), failed: col("FailedCall(C)"), retransmissions: col("Retransmissions(C)") };
}

/** sipp's -trace_rtt CSV (`Date_ms;response_time_ms;rtd_no`, one row per timed call): the response times. */
function parseResponseTimes(csv: string): number[] {
  return csv.trim().split("\n").slice(1).map((line) => Number(line.split(";")[1])).filter((n) => Number.isFinite(n));
}

/** The first match of `pattern` in a sipp log file (-log_file), once it shows up there. */
export async function sippLogLine(path: string, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = existsSync(path) ? pattern.exec(readFileSync(path, "utf8")) : null;
    if (m) return m;
    if (Date.now() > until) throw new Error(`no ${pattern} in ${path}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
