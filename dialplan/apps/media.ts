/**
 * Prompts and caller input: Playback, Background, WaitExten, Read, SayDigits,
 * SayNumber, SayAlpha. The channel plays (or, until media lands, takes the time of)
 * the files; digits come from channel.readDigit.
 */
import type { Application, ExecutionEnv } from "../executor.js";
import { splitArguments } from "../functions.js";
import { alphaFiles, digitFiles, numberFiles } from "../say.js";
import type { MediaResult } from "../channel-api.js";
import { HangupError } from "../channel-api.js";
import { CONTINUE, END } from "./index.js";
import { parseOptions, seconds } from "./basic.js";

const ALL_DIGITS = "0123456789*#ABCD";

function files(text: string): string[] {
  return text.split("&").map((f) => f.trim()).filter((f) => f !== "");
}

function play(env: ExecutionEnv, list: readonly string[], options: { stopOnDigits?: string; noAnswer?: boolean }): Promise<MediaResult> {
  return env.guard((signal) => env.channel.play(list, { ...options, ...(signal ? { signal } : {}) }));
}

/** Playback(file[&file2...][,options]): options `skip` (not answered: do nothing), `noanswer`. */
const Playback: Application = async (env, data) => {
  const [names = "", options = ""] = splitArguments(data);
  if (names.trim() === "") { env.warn("app_playback.c", "Playback requires an argument (filename)"); return END; }
  const opts = options.toLowerCase();
  const up = env.channel.state() === "up";
  if (!up && opts.includes("skip")) { env.setVar("PLAYBACKSTATUS", "SUCCESS"); return CONTINUE; }
  const noAnswer = opts.includes("noanswer");
  if (!up && !noAnswer) await env.channel.answer();
  const r = await play(env, files(names), { noAnswer: true });
  env.setVar("PLAYBACKSTATUS", r.status);
  return CONTINUE;
};

/**
 * Background(file[&file2...][,options[,langoverride[,context]]]): plays while listening;
 * a digit stops it and becomes the start of an extension to dial (in `context` if given).
 * Options: s (skip when not answered), n (do not answer), m (only digits that are one-digit extensions).
 */
const Background: Application = async (env, data) => {
  const [names = "", options = "", , context = ""] = splitArguments(data);
  const opts = parseOptions(options);
  const up = env.channel.state() === "up";
  if (!up && "s" in opts) { env.setVar("BACKGROUNDSTATUS", "SUCCESS"); return CONTINUE; }
  if (!up && !("n" in opts)) await env.channel.answer();
  const target = context || env.position.context;
  if (context && !env.dialplan.contexts.has(context)) {
    env.warn("pbx.c", `Background: context '${context}' does not exist`);
    env.setVar("BACKGROUNDSTATUS", "FAILED");
    return CONTINUE;
  }
  let stop = ALL_DIGITS;
  if ("m" in opts) stop = [...ALL_DIGITS].filter((d) => env.exists(target, d, 1)).join("");
  const r = await play(env, files(names), stop === "" ? { noAnswer: true } : { stopOnDigits: stop, noAnswer: true });
  env.setVar("BACKGROUNDSTATUS", r.status);
  if (r.digit === undefined) return CONTINUE;
  if (context && context !== env.position.context) return { kind: "digits", digits: r.digit, context };
  return { kind: "digits", digits: r.digit };
};

/** WaitExten([seconds][,options]): waits for the caller to dial an extension; `t` on timeout. */
const WaitExten: Application = async (env, data) => {
  const [secs] = splitArguments(data);
  const s = seconds(secs);
  const ms = s !== undefined && s > 0 ? s * 1000 : env.timeouts.responseMs;
  const digit = await env.readDigit(ms);
  if (digit === undefined) return { kind: "response-timeout" };
  return { kind: "digits", digits: digit };
};

/**
 * Read(variable[,prompt[&prompt2...]][,maxdigits][,options][,attempts][,timeout][,terminator]):
 * plays the prompts, collects digits until maxdigits, the terminator (`#`) or the
 * timeout, and stores them. READSTATUS: OK, TIMEOUT, HANGUP, SKIPPED, ERROR.
 */
const Read: Application = async (env, data) => {
  const [variable = "", prompts = "", maxText = "", options = "", attemptsText = "", timeoutText = "", terminatorText] = splitArguments(data);
  if (variable.trim() === "") {
    env.warn("app_read.c", "Read requires an variable name");
    env.setVar("READSTATUS", "ERROR");
    return CONTINUE;
  }
  const opts = parseOptions(options);
  let max = Number.parseInt(maxText, 10);
  if (!(max > 0) || max > 255) max = 255;
  let attempts = Number.parseInt(attemptsText, 10);
  if (!(attempts > 0)) attempts = 1;
  const t = seconds(timeoutText);
  const firstMs = t !== undefined && t > 0 ? t * 1000 : env.timeouts.responseMs;
  const nextMs = t !== undefined && t > 0 ? t * 1000 : env.timeouts.digitMs;
  const terminator = terminatorText ?? "#";
  if (env.channel.state() !== "up") {
    if ("s" in opts) { env.setVar("READSTATUS", "SKIPPED"); return CONTINUE; }
    if (!("n" in opts)) await env.channel.answer();
  }
  let value = "", status = "TIMEOUT";
  try {
    for (let attempt = 0; attempt < attempts; attempt++) {
      value = "";
      let terminated = false;
      if (prompts !== "") {
        if ("i" in opts) env.channel.tones(prompts);
        else {
          const r = await play(env, files(prompts), { stopOnDigits: ALL_DIGITS, noAnswer: true });
          if (r.digit !== undefined) {
            if (terminator.includes(r.digit)) terminated = true;
            else value = r.digit;
          }
        }
      }
      while (!terminated && value.length < max) {
        const d = await env.readDigit(value === "" ? firstMs : nextMs);
        if ("i" in opts && value === "") env.channel.stopTones();
        if (d === undefined) break;
        if (terminator !== "" && terminator.includes(d)) { terminated = true; break; }
        value += d;
      }
      if (value !== "" || terminated) { status = "OK"; break; }
    }
  } catch (e) {
    if (e instanceof HangupError) {
      env.setVar(variable, value);
      env.setVar("READSTATUS", "HANGUP");
    }
    throw e;
  }
  env.setVar(variable, value);
  env.setVar("READSTATUS", status);
  return CONTINUE;
};

async function say(env: ExecutionEnv, list: string[]): Promise<void> {
  if (list.length > 0) await play(env, list, { noAnswer: true });
}

const SayDigits: Application = async (env, data) => {
  const [digits = ""] = splitArguments(data);
  await say(env, digitFiles(digits));
  return CONTINUE;
};

const SayNumber: Application = async (env, data) => {
  const [text = ""] = splitArguments(data);
  if (text.trim() === "") { env.warn("app_saycounted.c", "SayNumber requires an argument (number)"); return CONTINUE; }
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (!m || Math.abs(Number(m[1])) > 2147483647) {
    env.warn("pbx_builtins.c", `We were unable to say the number ${text}, is it too large?`);
    return CONTINUE;
  }
  await say(env, numberFiles(Number(m[1])));
  return CONTINUE;
};

const SayAlpha: Application = async (env, data) => {
  await say(env, alphaFiles(data));
  return CONTINUE;
};

export const mediaApplications: Readonly<Record<string, Application>> = {
  Playback, Background, WaitExten, Read, SayDigits, SayNumber, SayAlpha,
};
