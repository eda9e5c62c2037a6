/**
 * Stasis(app[,args...]): hand the channel to an ARI application (res_stasis). The
 * channel stays in the application until the application lets it go (`continue`,
 * `move`'s end, hang-up); then STASISSTATUS is set and the dialplan goes on: at the
 * next priority, or where `continue` named.
 *
 * STASISSTATUS, as Asterisk sets it: SUCCESS (the application let the channel go),
 * FAILED (no such application, no ARI here, bad data), KILLED (the channel hung up in
 * the application: the dialplan ends, `h` runs).
 *
 * The dialplan does no I/O: ARI (interfaces/ari/) provides `StasisServices` through
 * the executor's deps, and logs StasisStart/StasisEnd as the `app.start`/`app.end` of
 * this application, which the executor writes anyway.
 */
import type { DialplanChannel } from "../../calls/channel-api.js";
import { AbsoluteTimeout, type Application, type ExecutionEnv } from "../executor.js";
import { splitArguments } from "../functions.js";
import { CONTINUE, END, type AppResult } from "./index.js";

/** Where a channel goes on when its application lets it go. */
export interface StasisExit {
  readonly status: "SUCCESS" | "FAILED" | "KILLED";
  /** `continue` with a position: any part left out keeps the channel's own. */
  readonly next?: { readonly context?: string; readonly exten?: string; readonly priority?: number | string };
  /** `move`: the channel goes straight into another application (StasisEnd, then StasisStart there). */
  readonly move?: { readonly app: string; readonly args: readonly string[] };
}

export interface StasisServices {
  /**
   * Put the channel into `app` (StasisStart is sent with `args`); resolves when it leaves.
   * `FAILED` at once when no such application is registered. When `signal` aborts (the
   * channel's absolute timeout), the application loses the channel at once.
   */
  enter(channel: DialplanChannel, app: string, args: readonly string[], signal?: AbortSignal): Promise<StasisExit>;
}

const Stasis: Application = async (env, data): Promise<AppResult> => {
  const [app = "", ...args] = splitArguments(data);
  const services = env.deps.stasis;
  if (app.trim() === "" || !services) {
    env.warn("app_stasis.c", app.trim() === "" ? "Stasis app_name argument missing" : "ARI is not available here");
    env.setVar("STASISSTATUS", "FAILED");
    return CONTINUE;
  }
  let exit = await inApplication(env, services, app.trim(), args);
  for (let moves = 0; exit.move && moves < 1000 && !env.channel.signal.aborted; moves++) {
    // Logged as the end of this Stasis and the start of the next: the log shows each application the channel was in.
    env.channel.appEnd("Stasis");
    env.channel.appStart("Stasis", [exit.move.app, ...exit.move.args].join(","));
    exit = await inApplication(env, services, exit.move.app, exit.move.args);
  }
  env.setVar("STASISSTATUS", exit.status);
  if (exit.status === "KILLED" || env.channel.signal.aborted) return END;
  const n = exit.next;
  if (!n) return CONTINUE;
  const p = env.position;
  const priority = n.priority === undefined ? p.priority + 1 : Number(n.priority);
  return { kind: "goto", to: { context: n.context || p.context, exten: n.exten || p.exten, priority: Number.isFinite(priority) && priority > 0 ? priority : 1 } };
};

/**
 * The channel's time in one application, bounded by its absolute timeout
 * (TIMEOUT(absolute)): an application that never lets go (or never answers) loses the
 * channel then, and the dialplan takes the timeout (`T`), as Asterisk's soft hang-up does.
 */
async function inApplication(env: ExecutionEnv, services: StasisServices, app: string, args: readonly string[]): Promise<StasisExit> {
  if (env.timeouts.absoluteAt === undefined) return services.enter(env.channel, app, args);
  const timeout = new AbortController();
  const exit = services.enter(env.channel, app, args, timeout.signal);
  // Sleeps until the absolute deadline, where it fails with AbsoluteTimeout (or HangupError on hang-up).
  const deadline = env.sleep(24 * 3600 * 1000).then(() => undefined, (e: unknown) => e);
  const first = await Promise.race([exit.then((x) => ({ exit: x })), deadline.then((e) => ({ ended: e }))]);
  if ("exit" in first) return first.exit;
  if (first.ended instanceof AbsoluteTimeout) {
    timeout.abort();
    await exit;
    throw first.ended;
  }
  return exit;
}

export const stasisApplications: Readonly<Record<string, Application>> = { Stasis };
