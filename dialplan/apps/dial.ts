/**
 * Dial(Technology/Resource[&Technology2/Resource2...][,timeout[,options[,URL]]]): the
 * dialplan side of the B2BUA. It parses the dial string, runs the caller's pre-dial
 * subroutine (B), asks the channel to dial (the call layer forks, rings, bridges and
 * runs U/b on the called legs through `runSubroutine`), then sets DIALSTATUS,
 * DIALEDTIME, ANSWEREDTIME, DIALEDPEERNAME, DIALEDPEERNUMBER and the hang-up causes.
 * After an answered call the caller's dialplan ends, unless `g` asks to go on.
 */
import type { Application, ExecutionEnv } from "../executor.js";
import type { Position } from "../search.js";
import { splitArguments } from "../functions.js";
import { HangupError, type DialOutcome, type DialRequest, type DialTarget } from "../../calls/channel-api.js";
import { CONTINUE, END } from "./index.js";
import { parseOptions, seconds } from "./basic.js";
import { calleeGosubTarget, predialGosubTarget } from "../../calls/dial-gosub.js";

export interface ParsedDial {
  readonly targets: readonly DialTarget[];
  /** Targets that were not `tech/resource`. */
  readonly rejected: readonly string[];
  readonly timeout?: number;
  readonly options: Record<string, string>;
  readonly url?: string;
}

/** Parses Dial's data (already substituted). */
export function parseDial(data: string): ParsedDial {
  const [list = "", timeoutText = "", optionText = "", url] = splitArguments(data, ",", 4);
  const targets: DialTarget[] = [];
  const rejected: string[] = [];
  for (const raw of list.split("&")) {
    const t = raw.trim();
    if (t === "") continue;
    const slash = t.indexOf("/");
    if (slash <= 0 || slash === t.length - 1) rejected.push(t);
    else targets.push({ dialstring: t });
  }
  const timeout = seconds(timeoutText);
  const options = parseOptions(optionText);
  return {
    targets, rejected, options,
    ...(timeout !== undefined && timeout > 0 ? { timeout } : {}),
    ...(url !== undefined && url !== "" ? { url } : {}),
  };
}

export { calleeGosubAction, calleeGosubTarget, predialGosubTarget, type CalleeGosubAction } from "../../calls/dial-gosub.js";

function setTime(env: ExecutionEnv, name: string, secs: number | undefined): void {
  if (secs === undefined) return;
  env.setVar(name, String(Math.floor(secs)));
  env.setVar(`${name}_MS`, String(Math.round(secs * 1000)));
}

/** The resource part of the dial string that produced `peerName` (DIALEDPEERNUMBER). */
function peerNumber(targets: readonly DialTarget[], peerName: string | undefined): string | undefined {
  if (!peerName) return targets.length === 1 ? resource(targets[0].dialstring) : undefined;
  const channelBase = peerName.replace(/-[0-9a-f]+(;\d)?$/i, "");
  const match = targets.find((t) => t.dialstring === channelBase || channelBase.startsWith(t.dialstring.split("/").slice(0, 2).join("/")));
  return match ? resource(match.dialstring) : targets.length === 1 ? resource(targets[0].dialstring) : undefined;
}

function resource(dialstring: string): string {
  return dialstring.slice(dialstring.indexOf("/") + 1);
}

const Dial: Application = async (env, data) => {
  if (data.trim() === "") {
    env.warn("app_dial.c", "Dial requires an argument (technology/resource)");
    return END;
  }
  const parsed = parseDial(data);
  for (const r of parsed.rejected) env.warn("app_dial.c", `Dial argument takes format (technology/resource): '${r}'`);
  if (parsed.targets.length === 0) {
    env.setVar("DIALSTATUS", "CHANUNAVAIL");
    return CONTINUE;
  }
  const options = { ...parsed.options };
  // The call layer gets U and b as ready Gosub targets.
  if ("U" in options) options.U = calleeGosubTarget(options.U);
  if ("b" in options) options.b = predialGosubTarget(options.b);
  if ("L" in options && !/^\d+(:\d*)?(:\d*)?$/.test(options.L)) {
    env.warn("app_dial.c", `Invalid duration limit L(${options.L})`);
    env.setVar("DIALSTATUS", "INVALIDARGS");
    return CONTINUE;
  }
  if ("B" in options) {
    await env.runSubroutine(env.channel, predialGosubTarget(options.B));
    if (env.channel.signal.aborted) throw new HangupError();
  }
  if ("r" in options && !("m" in options)) env.channel.ringing();
  // m[(class)]: the caller hears music on hold instead of ringing; the call layer stops it at answer.
  const moh = "m" in options && env.channel.startMusicOnHold ? options.m || env.channelSettings.get("musicclass") || "default" : undefined;
  if (moh !== undefined) {
    await env.channel.startMusicOnHold!(moh).catch((e: Error) => { if (e instanceof HangupError) throw e; env.warn("app_dial.c", e.message); });
  }

  const calleeGoOn = "F" in options ? calleeGoOnTarget(env, "Dial", options.F) : undefined;
  const started = env.channel.now();
  let outcome: DialOutcome;
  try {
    outcome = await env.guard((signal) => {
      const request: DialRequest = {
        targets: parsed.targets,
        options,
        ...(calleeGoOn ? { calleeGoOn } : {}),
        ...(parsed.timeout !== undefined ? { timeout: parsed.timeout } : {}),
        ...(parsed.url !== undefined ? { url: parsed.url } : {}),
        ...(signal ? { signal } : {}),
        runSubroutine: (channel, target) => env.runSubroutine(channel, target),
      };
      return env.channel.dial(request);
    });
  } catch (e) {
    // The caller hung up while the called legs were ringing.
    if (e instanceof HangupError && !env.getVar("DIALSTATUS")) env.setVar("DIALSTATUS", "CANCEL");
    throw e;
  } finally {
    if (moh !== undefined) env.channel.stopMusicOnHold?.();
  }
  const elapsed = (env.channel.now() - started) / 1e6;
  env.setVar("DIALSTATUS", outcome.status);
  setTime(env, "DIALEDTIME", outcome.dialedSeconds ?? elapsed);
  if (outcome.status === "ANSWER") setTime(env, "ANSWEREDTIME", outcome.answeredSeconds ?? 0);
  if (outcome.peerName) env.setVar("DIALEDPEERNAME", outcome.peerName);
  const number = peerNumber(parsed.targets, outcome.peerName);
  if (number !== undefined && outcome.status === "ANSWER") env.setVar("DIALEDPEERNUMBER", number);
  for (const leg of outcome.legs ?? []) env.hangupCauses.set(leg.channel, { cause: leg.cause, tech: leg.tech ?? "" });
  if (outcome.cause !== undefined && outcome.status !== "ANSWER") {
    env.lastDialCause = outcome.cause;
    if (!outcome.legs && outcome.peerName) env.hangupCauses.set(outcome.peerName, { cause: outcome.cause, tech: "" });
  }
  if (outcome.status !== "ANSWER") return CONTINUE;
  if (env.channel.signal.aborted) throw new HangupError();
  if (outcome.next === "continue") return CONTINUE;
  if (outcome.next) {
    const to = env.resolveGoto(outcome.next.goto);
    if (typeof to === "string") { env.warn("app_dial.c", to); return END; }
    return { kind: "goto", to };
  }
  // The called party hung up after answering: the caller goes on only with `g`.
  return "g" in options ? CONTINUE : END;
};

export const dialApplications: Readonly<Record<string, Application>> = { Dial };

/**
 * Dial's and Queue()'s F(`[[context^]exten^]priority`): where the called party goes on
 * when the caller hangs up (the caller's next priority without an argument); a bad
 * place is a warning and the option is left out.
 */
export function calleeGoOnTarget(env: ExecutionEnv, app: string, arg: string): Position | undefined {
  const to = env.resolveGoto(arg.trim() ? arg.replace(/\^/g, ",") : "+1");
  if (typeof to !== "string") return to;
  env.warn(app === "Dial" ? "app_dial.c" : "app_queue.c", `${app} option F: ${to}; ignored`);
  return undefined;
}
