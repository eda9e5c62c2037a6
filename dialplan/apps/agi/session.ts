/**
 * One AGI session, as res_agi's run_agi drives it: read a command line, run it, answer
 * it, until the program closes the link. Every exchange is logged as an `agi.command`
 * input of the channel actor (command line and answer), so the session is in the log
 * and a replay re-runs the channel's transitions without the AGI program.
 *
 * Guarantees:
 * - the channel hanging up mid-session is told to the program once (FastAGI `HANGUP`,
 *   a local program SIGHUP); the session then goes on in dead mode (commands that need
 *   a live channel answer 511) until the program closes, or ends at once with
 *   AGIEXITONHANGUP=yes. Status HANGUP.
 * - a program that sends nothing for the idle limit, breaks the link, or (FastAGI)
 *   closes before sending any command ends the session with FAILURE; the call goes on.
 * - an unknown command answers 510, a bad one 520 with its usage; neither ends the session.
 */
import { HangupError } from "../../../calls/channel-api.js";
import { AbsoluteTimeout, type ExecutionEnv, type Position } from "../../executor.js";
import { DEAD_CHANNEL, INVALID_COMMAND, parseCommandLine, usageError } from "./protocol.js";
import { USAGE, type AgiCommand, type AgiSessionState } from "./command.js";
import type { AgiLink, AgiRead, AgiServices } from "./services.js";
import { channelCommands } from "./commands-channel.js";
import { mediaCommands } from "./commands-media.js";

export type AgiStatus = "SUCCESS" | "FAILURE" | "HANGUP";

const COMMANDS: readonly AgiCommand[] = [...channelCommands, ...mediaCommands];

/** Every command, for `agi show commands`. */
export function agiCommands(): readonly AgiCommand[] { return COMMANDS; }

/** `agi set debug on`: each line as res_agi prints it, `<channel>AGI Rx << ...` / `AGI Tx >> ...`. */
export function debugLines(env: ExecutionEnv, services: AgiServices, direction: "Rx <<" | "Tx >>", text: string): void {
  if (!services.debug?.()) return;
  const name = env.channel.context().name;
  for (const line of text.replace(/\n$/, "").split("\n")) env.channel.log("VERBOSE", "res_agi.c", `<${name}>AGI ${direction} ${line}`);
}

/** The command whose words begin the line's, the longest such (GET FULL VARIABLE before GET ...). */
export function findCommand(words: readonly string[]): AgiCommand | undefined {
  let best: AgiCommand | undefined;
  for (const c of COMMANDS) {
    if (c.words.length > words.length) continue;
    if (!c.words.every((w, i) => words[i].toUpperCase() === w)) continue;
    if (!best || c.words.length > best.words.length) best = c;
  }
  return best;
}

/** Runs one command line; the answer without its line end. */
export async function answerCommand(session: AgiSessionState, line: string, dead: boolean): Promise<string> {
  const words = parseCommandLine(line);
  const command = findCommand(words);
  if (!command) return INVALID_COMMAND;
  if (dead && !command.dead) return DEAD_CHANNEL;
  try {
    const r = await command.run(session, words.slice(command.words.length));
    return r === USAGE ? usageError(command.usage) : r;
  } catch (e) {
    if (e instanceof HangupError) return command.onHangup?.(session) ?? "200 result=-1";
    if (e instanceof AbsoluteTimeout) throw e;
    // A command that fails unexpectedly answers -1, as a failing res_agi command does; the session goes on.
    session.env.channel.log("ERROR", "res_agi.c", `AGI command '${line}' failed: ${(e as Error).message}`);
    return "200 result=-1";
  }
}

export interface SessionOptions {
  readonly env: ExecutionEnv;
  readonly link: AgiLink;
  readonly services: AgiServices;
  /** What the program was started as, for messages. */
  readonly request: string;
  /** The application (AGI, EAGI, DeadAGI) and its data (VERBOSE prints it). */
  readonly app: string;
  readonly data: string;
  /** FastAGI (a server closing before any command is a failure). */
  readonly network: boolean;
  /** Milliseconds the program may take to send its next command; 0: no limit. */
  readonly idleMs: number;
  /** AGIEXITONHANGUP: end the session as soon as the channel hangs up. */
  readonly exitOnHangup: boolean;
}

export interface SessionOutcome {
  readonly status: AgiStatus;
  /** Where the dialplan goes on (SET CONTEXT/EXTENSION/PRIORITY, EXEC Goto), when the program said. */
  readonly next: Partial<Position>;
}

type Read = AgiRead | { readonly kind: "hangup" };

export async function runSession(o: SessionOptions): Promise<SessionOutcome> {
  const { env, link } = o;
  const channel = env.channel;
  const session: AgiSessionState = { env, app: o.app, data: o.data, next: {} };
  // A channel already hung up (the `h` extension, DeadAGI) runs dead from the start; the program is not told.
  let dead = channel.signal.aborted;
  let status: AgiStatus = "SUCCESS";
  let commands = 0;
  let pending: Promise<AgiRead> | undefined;
  const warn = (message: string) => channel.log("WARNING", "res_agi.c", message);
  const fail = (message: string) => { warn(message); if (status !== "HANGUP") status = "FAILURE"; };
  try {
    for (;;) {
      if (!dead && channel.signal.aborted) {
        dead = true;
        status = "HANGUP";
        link.hangup();
        if (o.exitOnHangup) break;
      }
      pending ??= link.next(o.idleMs);
      const read: Read = dead ? await pending : await untilHangup(pending, channel.signal);
      if (read.kind === "hangup") continue;
      pending = undefined;
      if (read.kind === "closed") {
        if (o.network && commands === 0 && status !== "HANGUP") fail(`FastAGI server ${o.request} closed the connection without sending a command`);
        else if (read.exitCode !== undefined && read.exitCode !== 0) fail(`AGI script ${o.request} exited with status ${read.exitCode}`);
        break;
      }
      if (read.kind === "timeout") { fail(`AGI program ${o.request} sent no command for ${o.idleMs / 1000} s: giving up (AGITIMEOUT)`); break; }
      if (read.kind === "error") { fail(`AGI program ${o.request}: ${read.message}`); break; }
      const line = read.text.replace(/\r$/, "");
      if (line.trim() === "") continue;
      debugLines(env, o.services, "Rx <<", line);
      commands++;
      let answer: string;
      try {
        answer = await answerCommand(session, line, dead);
      } catch (e) {
        if (!(e instanceof AbsoluteTimeout)) throw e;
        // SET AUTOHANGUP's time came during a command: the channel is done with AGI, the dialplan takes the timeout.
        o.services.record(channel.id, line, "200 result=-1");
        link.send("200 result=-1\n");
        link.hangup();
        throw e;
      }
      o.services.record(channel.id, line, answer);
      debugLines(env, o.services, "Tx >>", answer);
      link.send(`${answer}\n`);
    }
  } finally {
    link.close();
  }
  return { status, next: session.next };
}

/** The program's next line, or `hangup` as soon as the channel hangs up (the read stays pending for later). */
function untilHangup(read: Promise<AgiRead>, signal: AbortSignal): Promise<Read> {
  if (signal.aborted) return Promise.resolve({ kind: "hangup" });
  return new Promise((resolve) => {
    const onAbort = () => resolve({ kind: "hangup" });
    signal.addEventListener("abort", onAbort, { once: true });
    void read.then((r) => { signal.removeEventListener("abort", onAbort); resolve(r); });
  });
}
