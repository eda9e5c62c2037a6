/**
 * Channel-control and housekeeping applications: Answer, Hangup, Progress, Ringing,
 * Busy, Congestion, Wait, NoOp, Verbose, Log, Set, MSet, CELGenUserEvent,
 * HangupCauseClear, Echo, MusicOnHold, Bridge.
 */
import type { Application, ExecutionEnv } from "../executor.js";
import { splitArguments, splitFunctionCall } from "../functions.js";
import { Cause, parseCause } from "../../calls/hangup-causes.js";
import { CONTINUE, END, type AppResult } from "./index.js";

/** Seconds as Asterisk reads them (a decimal); undefined when absent or not a number. */
export function seconds(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const n = Number.parseFloat(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Option letters with optional `(argument)`: `tTU(sub^1)L(60000:30000)` → {t:"", T:"", U:"sub^1", L:"60000:30000"}. */
export function parseOptions(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < text.length; i++) {
    const letter = text[i];
    if (letter === " ") continue;
    if (text[i + 1] === "(") {
      let depth = 0, j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === "(") depth++;
        else if (text[j] === ")" && --depth === 0) break;
      }
      out[letter] = text.slice(i + 2, j);
      i = j;
    } else out[letter] = "";
  }
  return out;
}

/** Set(name=value): one assignment; the value keeps any commas (Asterisk 1.6+). FUNC(args)=value writes a function. */
export function assign(env: ExecutionEnv, text: string, app: string): void {
  const eq = text.indexOf("=");
  if (eq < 0) { env.warn("pbx_variables.c", `${app} requires an '=' to be a valid assignment.`); return; }
  const name = text.slice(0, eq).trim();
  const value = text.slice(eq + 1);
  if (name === "") { env.warn("pbx_variables.c", `${app} requires a variable name`); return; }
  if (name.includes("(")) {
    const call = splitFunctionCall(name);
    if (!env.writeFunction(call.name, call.args, value)) env.warn("pbx_functions.c", `Function ${call.name} not registered`);
    return;
  }
  env.setVar(name, value);
}

/** A channel operation the dialplan waits on; the absolute timeout may interrupt it. */
async function waitOn(env: ExecutionEnv, op: (signal: AbortSignal | undefined) => Promise<unknown>): Promise<void> {
  await env.guard(async (s) => { await op(s); });
}

const Answer: Application = async (env, data) => {
  const delay = Number.parseInt(data, 10);
  if (env.channel.state() !== "up") {
    await env.channel.answer();
    if (delay > 0) await env.sleep(delay);
  }
  return CONTINUE;
};

const Hangup: Application = (env, data) => {
  let cause: number = Cause.NORMAL_CLEARING;
  if (data.trim() !== "") {
    const c = parseCause(data);
    if (c === undefined || c <= 0) env.warn("pbx.c", `Invalid cause given to Hangup(): "${data}"`);
    else cause = c;
  }
  env.channel.hangup(cause);
  return { kind: "end", cause };
};

/** Busy()/Congestion(): signal it, wait for the caller to hang up (or `timeout` s), then end. */
function refusal(kind: "busy" | "congestion"): Application {
  return async (env, data) => {
    const up = env.channel.state() === "up";
    if (kind === "busy") env.channel.busy(); else env.channel.congestion();
    const cause = kind === "busy" ? Cause.USER_BUSY : Cause.SWITCH_CONGESTION;
    const secs = seconds(data);
    await env.waitForHangup(secs !== undefined && secs >= 0 ? secs : undefined);
    return up ? END : { kind: "end", cause };
  };
}

const Wait: Application = async (env, data) => {
  const s = seconds(data);
  if (s === undefined || s < 0) { env.warn("app_wait.c", `Wait requires an argument (seconds)`); return CONTINUE; }
  await env.sleep(s * 1000);
  return CONTINUE;
};

const NoOp: Application = () => CONTINUE;

const Verbose: Application = (env, data) => {
  const args = splitArguments(data, ",", 2);
  const [level, message] = args.length < 2 ? ["0", args[0] ?? ""] : args;
  if (!/^\s*\d+\s*$/.test(level)) env.warn("app_verbose.c", `'${level}' is not a verboser number`);
  env.channel.log("VERBOSE", "app_verbose.c", message);
  return CONTINUE;
};

const LEVELS = new Set(["ERROR", "WARNING", "NOTICE", "DEBUG", "VERBOSE"]);
const Log: Application = (env, data) => {
  const [level = "", message = ""] = splitArguments(data, ",", 2);
  const l = level.trim().toUpperCase();
  if (!LEVELS.has(l)) { env.warn("app_verbose.c", `Unknown log level: '${level}'`); return CONTINUE; }
  env.channel.log(l as "ERROR", "app_verbose.c", message);
  return CONTINUE;
};

const SetApp: Application = (env, data) => {
  if (data === "") { env.warn("pbx_variables.c", "Set requires one variable name/value pair."); return CONTINUE; }
  assign(env, data, "Set");
  return CONTINUE;
};

/** MSet(a=1,b=2): several assignments, split on commas. */
const MSet: Application = (env, data) => {
  for (const pair of splitArguments(data)) if (pair !== "") assign(env, pair, "MSet");
  return CONTINUE;
};

const CELGenUserEvent: Application = (env, data) => {
  const [name = "", extra = ""] = splitArguments(data, ",", 2);
  if (name === "") { env.warn("app_celgenuserevent.c", "CELGenUserEvent requires an argument (event name)"); return CONTINUE; }
  env.channel.userEvent(name, extra);
  return CONTINUE;
};

const HangupCauseClear: Application = (env) => {
  env.hangupCauses.clear();
  return CONTINUE;
};

/** Echo(): the caller hears its own audio (and DTMF) back; `#` ends it and the dialplan goes on. */
const Echo: Application = async (env) => {
  await waitOn(env, () => env.channel.echo());
  return CONTINUE;
};

const MusicOnHold: Application = async (env, data) => {
  const [cls = "", duration] = splitArguments(data);
  const secs = seconds(duration);
  const className = cls || env.channelSettings.get("musicclass") || "default";
  await waitOn(env, () => env.channel.musicOnHold(className, secs !== undefined && secs > 0 ? secs : undefined));
  return CONTINUE;
};

/** Bridge(channel[,options]): joins this channel with another live one; BRIDGERESULT says how it went. */
const Bridge: Application = async (env, data) => {
  const [target = "", opts = ""] = splitArguments(data);
  if (target === "") { env.warn("bridge_builtin_features.c", "Bridge require at least 1 argument specifying the other end of the bridge"); return CONTINUE; }
  if (target === env.channel.context().name) {
    env.warn("bridge_builtin_features.c", `Unable to bridge channel ${target} with itself`);
    env.setVar("BRIDGERESULT", "LOOP");
    return CONTINUE;
  }
  const options = parseOptions(opts);
  let outcome;
  try {
    outcome = await env.guard(() => env.channel.bridgeWith(target, options));
  } catch (e) {
    env.setVar("BRIDGERESULT", "FAILURE");
    throw e;
  }
  if (outcome.status !== "ANSWER") {
    env.warn("bridge_builtin_features.c", `Channel ${target} not found`);
    env.setVar("BRIDGERESULT", "NONEXISTENT");
    return CONTINUE;
  }
  env.setVar("BRIDGERESULT", "SUCCESS");
  if (outcome.peerName) env.setVar("BRIDGEPEER", outcome.peerName);
  // The channel that ran Bridge() goes on in the dialplan when the other party leaves (F and x concern that party).
  return env.channel.signal.aborted ? END : CONTINUE;
};

/**
 * System(command) / TrySystem(command): a shell command, through deps.outside.shell.
 * Like the dangerous functions it reaches outside the PBX, so only under
 * live_dangerously. SYSTEMSTATUS: SUCCESS, FAILURE (it failed), APPERROR (not allowed
 * or not available). System() ends the call when the command cannot run; TrySystem() never does.
 */
function system(tolerant: boolean): Application {
  return (env, data) => {
    const fail = (status: "FAILURE" | "APPERROR", message: string): AppResult => {
      env.warn("app_system.c", message);
      env.setVar("SYSTEMSTATUS", status);
      return tolerant ? CONTINUE : END;
    };
    if (data.trim() === "") return fail("APPERROR", "System requires an argument(command)");
    if (!env.deps.liveDangerously) return fail("APPERROR", "System() refused: set live_dangerously = yes to run shell commands");
    if (!env.deps.outside?.shell) return fail("APPERROR", "System() is not available on this system");
    try {
      env.deps.outside.shell(data);
    } catch (e) {
      return fail("FAILURE", `Unable to execute '${data}': ${(e as Error).message}`);
    }
    env.setVar("SYSTEMSTATUS", "SUCCESS");
    return CONTINUE;
  };
}

const Progress: Application = (env) => { env.channel.progress(); return CONTINUE; };
const Ringing: Application = (env) => { env.channel.ringing(); return CONTINUE; };

export const basicApplications: Readonly<Record<string, Application>> = {
  Answer, Hangup, Busy: refusal("busy"), Congestion: refusal("congestion"), Wait, NoOp, Verbose, Log, Set: SetApp, MSet,
  CELGenUserEvent, HangupCauseClear, Echo, MusicOnHold, Bridge, Progress, Ringing, System: system(false), TrySystem: system(true),
};

export type { AppResult };
