/**
 * One AGI command: the words that name it, its usage (sent back in a 520), whether it
 * may run on a hung-up channel (DeadAGI, `h`, after HANGUP), and what it does. A
 * command answers one line (`200 result=...`) or USAGE; it changes the call only
 * through the executor's environment and the channel API.
 */
import type { ExecutionEnv, Position } from "../../executor.js";

export const USAGE = Symbol("usage");

/** What a session keeps between commands. */
export interface AgiSessionState {
  readonly env: ExecutionEnv;
  /** The AGI application (AGI, EAGI, DeadAGI) and its data (program and arguments), as VERBOSE prints it. */
  readonly app: string;
  readonly data: string;
  /** Where the dialplan goes on after AGI: SET CONTEXT / EXTENSION / PRIORITY, EXEC Goto. */
  next: Partial<Position>;
}

export interface AgiCommand {
  /** Upper-case words, e.g. ["GET", "FULL", "VARIABLE"]. */
  readonly words: readonly string[];
  /** One line for `agi show commands`. */
  readonly summary: string;
  readonly usage: string;
  /** Allowed on a hung-up channel. */
  readonly dead: boolean;
  /** `args`: the words after the command's own. */
  run(session: AgiSessionState, args: readonly string[]): Promise<string | typeof USAGE> | string | typeof USAGE;
  /** The answer when the channel hangs up during the command (default `200 result=-1`). */
  readonly onHangup?: (session: AgiSessionState) => string;
}
