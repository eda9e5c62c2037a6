/**
 * The spool's decisions, as pure functions of a call file and the time (pbx_spool's
 * scan_service and attempt_thread): whether a due file is called or has expired, what
 * each attempt appends to the file and where its mtime goes, and what follows an
 * attempt's outcome. Times are whole seconds since the epoch, as in the file (the spool
 * rounds its now up, so attempts are at least RetryTime apart).
 *
 * A file is called at most 1 + MaxRetries times: each attempt appends
 * `StartRetry: <pid> <n> (<t>)` and moves the mtime past the attempt (t = now +
 * RetryTime, mtime t + RetryTime, as Asterisk writes them), so a scan never takes a file
 * being called; a failed attempt with tries left appends `EndRetry: <pid> <n> (<now>)`
 * and sets the mtime to now + RetryTime, when it is called again. A `StartRetry` without
 * its `EndRetry` that this process is not running (Recall stopped mid-call) was an
 * attempt too: `AbortRetry` is appended and counted. Asterisk compares the pid for this;
 * Recall knows which files it is calling, so a pid reused after a restart (pid 1 in a
 * container) never holds a file back.
 */
import type { CallFile } from "./call-file.js";

export interface AppendedLine { readonly key: "StartRetry" | "EndRetry" | "AbortRetry"; readonly retries: number; readonly time: number }

export const formatAppended = (l: AppendedLine, pid: number): string => `\n${l.key}: ${pid} ${l.retries} (${l.time})\n`;

export type DueDecision =
  | { readonly kind: "attempt"; readonly attempt: number; readonly append: readonly AppendedLine[]; readonly mtime: number }
  | { readonly kind: "expired"; readonly attempts: number };

/** A due file: call it (the `attempt`th try, 1-based) or it has used all its tries. */
export function decideDue(file: CallFile, now: number): DueDecision {
  const aborted = file.callingPid !== undefined;
  const made = file.retries + (aborted ? 1 : 0);
  if (made > file.maxRetries) return { kind: "expired", attempts: made };
  const attempt = made + 1;
  const t = now + file.retryTime;
  const append: AppendedLine[] = [];
  if (aborted) append.push({ key: "AbortRetry", retries: made, time: now });
  append.push({ key: "StartRetry", retries: attempt, time: t });
  return { kind: "attempt", attempt, append, mtime: t + file.retryTime };
}

export type AfterAttempt =
  | { readonly kind: "completed" }
  | { readonly kind: "retry"; readonly append: AppendedLine; readonly at: number }
  | { readonly kind: "expired" };

/** What follows the `attempt`th try: answered is completed; otherwise another try at now + RetryTime, if any is left. */
export function decideAfter(file: CallFile, attempt: number, answered: boolean, now: number): AfterAttempt {
  if (answered) return { kind: "completed" };
  if (attempt >= file.maxRetries + 1) return { kind: "expired" };
  return { kind: "retry", append: { key: "EndRetry", retries: attempt, time: now }, at: now + file.retryTime };
}
