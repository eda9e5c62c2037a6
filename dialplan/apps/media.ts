/**
 * Prompts and caller input: Playback, Background, WaitExten, Read, SayDigits,
 * SayNumber, SayAlpha; and the applications that hand the channel's audio to
 * something else: MixMonitor/StopMixMonitor (recording) and AudioSocket (a TCP
 * service). The channel plays the files; digits come from channel.readDigit.
 */
import type { Application, ExecutionEnv } from "../executor.js";
import { splitArguments } from "../functions.js";
import { alphaFiles, digitFiles, numberFiles } from "../say.js";
import type { MediaResult } from "../../calls/channel-api.js";
import { HangupError } from "../../calls/channel-api.js";
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

/**
 * A MixMonitor file name as Asterisk takes it: `name.wav` is a WAV file, `name.sln` or
 * `name.raw` headerless 16-bit slin, and a name without extension gets `.raw`. Other
 * formats (gsm, WAV/wav49, ulaw ...) are not written by Recall: undefined.
 */
function recordingName(name: string): string | undefined {
  const slash = name.lastIndexOf("/"), dot = name.lastIndexOf(".");
  if (dot <= slash || dot === name.length - 1) return `${dot === name.length - 1 ? name.slice(0, -1) : name}.raw`;
  const ext = name.slice(dot + 1);
  return ext === "wav" || ext === "sln" || ext === "raw" ? name : undefined;
}

/** MixMonitor options Recall does not carry out; they are reported once and ignored. */
const UNSUPPORTED_MIXMONITOR = ["v", "V", "W", "B", "p", "P", "m"];

/**
 * MixMonitor(file.ext[,options[,command]]): records the channel's audio, both directions
 * mixed, into `file` (relative names under the monitor directory) and returns at once;
 * the recording runs on while the channel is bridged and ends at hang-up or
 * StopMixMonitor. MIXMONITOR_FILENAME holds the full path. Options: a (append),
 * b (only while bridged), r(file) and t(file) (what the channel sends / is sent, each
 * alone), i(var) (the recording's id, for StopMixMonitor). `command` runs when the
 * recording is over (`^{X}` becomes `${X}`, evaluated now), under live_dangerously as
 * System() is.
 */
const MixMonitor: Application = async (env, data) => {
  if (data.trim() === "") {
    env.warn("app_mixmonitor.c", "MixMonitor requires an argument (filename or ,t(filename) and/or r(filename)");
    return END;
  }
  const [rawFile = "", optionText = "", rawCommand = ""] = splitArguments(data, ",", 3);
  const opts = parseOptions(optionText);
  for (const o of UNSUPPORTED_MIXMONITOR) if (o in opts) env.channel.log("NOTICE", "app_mixmonitor.c", `MixMonitor option '${o}' is not supported by Recall; ignored`);
  const names: { file?: string; rxFile?: string; txFile?: string } = {};
  for (const [key, given, what] of [["file", rawFile.trim(), "the recording"], ["rxFile", "r" in opts ? opts.r.trim() : undefined, "r()"], ["txFile", "t" in opts ? opts.t.trim() : undefined, "t()"]] as const) {
    if (given === undefined) continue;
    if (given === "") { if (key !== "file") env.warn("app_mixmonitor.c", "No file name was provided for a file save option."); continue; }
    const name = recordingName(given);
    if (name === undefined) { env.warn("app_mixmonitor.c", `Cannot record ${what} to '${given}': Recall writes .wav, .sln and .raw files only`); continue; }
    names[key] = name;
  }
  if (!names.file && !names.rxFile && !names.txFile) {
    env.warn("app_mixmonitor.c", "MixMonitor requires an argument (filename)");
    return END;
  }
  const channel = env.channel;
  if (!channel.startMixMonitor) {
    env.warn("app_mixmonitor.c", `Unable to add 'MixMonitor' spy to channel '${channel.context().name}'`);
    return CONTINUE;
  }
  let command = rawCommand.trim() === "" ? "" : env.substitute(rawCommand.replace(/\^\{/g, "${"));
  if (command !== "" && !(env.deps.liveDangerously && env.deps.outside?.shell)) {
    env.warn("app_mixmonitor.c", `MixMonitor will not run '${command}' after the recording: set live_dangerously = yes to run shell commands`);
    command = "";
  }
  let started;
  try {
    started = await channel.startMixMonitor({
      file: names.file ?? "", ...(names.rxFile ? { rxFile: names.rxFile } : {}), ...(names.txFile ? { txFile: names.txFile } : {}),
      ...("a" in opts ? { append: true } : {}), ...("b" in opts ? { bridgedOnly: true } : {}),
    });
  } catch (e) {
    if (e instanceof HangupError) throw e;
    env.warn("app_mixmonitor.c", `Unable to add 'MixMonitor' spy to channel '${channel.context().name}': ${(e as Error).message}`);
    return CONTINUE;
  }
  env.setVar("MIXMONITOR_FILENAME", started.file ?? "");
  if ("i" in opts && opts.i.trim() !== "") env.setVar(opts.i.trim(), started.id);
  const shell = env.deps.outside?.shell;
  if (command !== "" && shell) {
    void started.done.then(() => {
      try { shell(command); } catch (e) { channel.log("WARNING", "app_mixmonitor.c", `MixMonitor command '${command}' failed: ${(e as Error).message}`); }
    });
  }
  return CONTINUE;
};

/** StopMixMonitor([MixMonitorID]): ends that recording, or the channel's oldest; its files are complete when it returns. */
const StopMixMonitor: Application = async (env, data) => {
  const [id = ""] = splitArguments(data);
  await env.channel.stopMixMonitor?.(id.trim() === "" ? undefined : id.trim());
  return CONTINUE;
};

/** uuid_parse() takes the 36-character text form only. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * AudioSocket(uuid,host:port): streams the answered channel's audio (slin, 20 ms frames)
 * to a TCP service after a UUID frame and plays what the service sends back; the
 * caller's DTMF goes to it as 0x03 frames, and 0x03 frames from it are played to the
 * caller as RFC 4733 DTMF. It returns when the service hangs up (0x00 or closing the
 * connection): the dialplan goes on. A missing or malformed uuid, an unreachable
 * service, an unanswered channel, a 0xff error frame or a broken frame end the
 * channel's dialplan, as Asterisk's -1 does.
 */
const AudioSocket: Application = async (env, data) => {
  const [uuid = "", service = ""] = splitArguments(data).map((a) => a.trim());
  const error = (source: string, message: string) => env.channel.log("ERROR", source, message);
  if (uuid === "") { error("app_audiosocket.c", "UUID is required"); return END; }
  if (!UUID.test(uuid)) { error("app_audiosocket.c", `Failed to parse UUID '${uuid}'`); return END; }
  if (service === "") { error("res_audiosocket.c", "No AudioSocket server provided"); return END; }
  if (!/^(\[[^\]]+\]|[^:\[\]]+):\d{1,5}$/.test(service)) {
    error("res_audiosocket.c", `Failed to resolve AudioSocket service using '${service}' - requires a valid hostname and port`);
    return END;
  }
  const channel = env.channel;
  if (!channel.audioSocket) { error("app_audiosocket.c", "AudioSocket is not available on this channel"); return END; }
  if (channel.state() !== "up") { error("app_audiosocket.c", "Channel is not answered"); return END; }
  let r;
  try {
    r = await env.guard(() => channel.audioSocket!(uuid, service));
  } catch (e) {
    if (e instanceof HangupError) throw e;
    error("app_audiosocket.c", `AudioSocket on '${channel.context().name}' failed: ${(e as Error).message}`);
    return END;
  }
  if (r.status === "HANGUP") return CONTINUE;
  if (!r.connected) {
    channel.log("WARNING", "res_audiosocket.c", `Connect to '${service}' failed: ${r.error ?? "unknown error"}`);
    error("res_audiosocket.c", "Failed to connect to AudioSocket service");
  } else {
    channel.log("WARNING", "app_audiosocket.c", `Failed to receive frame from AudioSocket server '${service}' connected to channel '${channel.context().name}': ${r.error ?? "unknown error"}`);
  }
  return END;
};

export const mediaApplications: Readonly<Record<string, Application>> = {
  Playback, Background, WaitExten, Read, SayDigits, SayNumber, SayAlpha, MixMonitor, StopMixMonitor, AudioSocket,
};
