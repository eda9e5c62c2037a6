/**
 * AGI commands that play to the caller and listen for digits: STREAM FILE, CONTROL
 * STREAM FILE, GET DATA, GET OPTION, SAY DIGITS/NUMBER/ALPHA, WAIT FOR DIGIT, RECORD
 * FILE. Offsets (`endpos`) are in 8 kHz samples, measured on the channel's clock.
 */
import { HangupError } from "../../../calls/channel-api.js";
import { alphaFiles, digitFiles, numberFiles } from "../../say.js";
import { digitCode, ok } from "./protocol.js";
import { USAGE, type AgiCommand, type AgiSessionState } from "./command.js";

/**
 * Forgets digits the caller pressed before this command: res_agi reads and drops the
 * channel's frames between commands, so only digits pressed while a command listens count.
 */
async function forgetEarlierDigits(s: AgiSessionState): Promise<void> {
  const ch = s.env.channel;
  while ((await ch.readDigit(0)) !== undefined) { /* dropped */ }
}

/** Microseconds of the channel clock → samples at 8 kHz. */
const samples = (us: number) => Math.max(0, Math.round(us / 125));

/** Files to play, digits that stop them; the digit that did and how far it got. */
async function play(s: AgiSessionState, files: readonly string[], escape: string): Promise<{ status: "SUCCESS" | "FAILED"; digit?: string; endpos: number }> {
  const ch = s.env.channel;
  const started = ch.now();
  const stopOnDigits = escape === "" ? undefined : escape;
  const r = await s.env.guard((signal) => ch.play(files, { noAnswer: true, ...(stopOnDigits ? { stopOnDigits } : {}), ...(signal ? { signal } : {}) }));
  return { status: r.status, ...(r.digit !== undefined ? { digit: r.digit } : {}), endpos: samples(ch.now() - started) };
}

/** Waits up to `ms` (negative: for ever) for one of `accept` (any digit when undefined). */
async function waitDigit(s: AgiSessionState, ms: number, accept?: string): Promise<string | undefined> {
  const forever = ms < 0;
  const until = s.env.channel.now() + ms * 1000;
  for (;;) {
    const left = forever ? 60_000 : Math.max(0, (until - s.env.channel.now()) / 1000);
    if (!forever && left <= 0) return undefined;
    const d = await s.env.readDigit(left);
    if (d === undefined) { if (forever) continue; return undefined; }
    if (accept === undefined || accept.includes(d)) return d;
  }
}

const intArg = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
};

const streamFile: AgiCommand = {
  words: ["STREAM", "FILE"], summary: "Sends audio file on channel.", dead: false, usage: " Usage: STREAM FILE <filename> <escape digits> [sample offset]\n       Send the given file, allowing playback to be interrupted by the given\n digits, if any. Use double quotes for the digits if you wish none to be\n permitted. If sample offset is provided then the audio will seek to sample\n offset before play starts.  Returns 0 if playback completes without a digit\n being pressed, or the ASCII numerical value of the digit if one was pressed,\n or -1 on error or if the channel was disconnected.",
  async run(s, [file, escape]) {
    if (file === undefined || escape === undefined) return USAGE;
    const r = await play(s, [file], escape);
    s.env.setVar("PLAYBACKSTATUS", r.status);
    if (r.status === "FAILED") return ok(-1, " endpos=0");
    return ok(digitCode(r.digit), ` endpos=${r.endpos}`);
  },
  onHangup: () => ok(-1, " endpos=0"),
};

/**
 * CONTROL STREAM FILE <file> <escape digits> [skipms [ffchar [rewchr [pausechr [offsetms]]]]].
 * The escape digits stop it; fast-forward, rewind and pause keys are not carried out
 * (the media workers' player has no seek): they are neither stop keys nor errors.
 */
const controlStreamFile: AgiCommand = {
  words: ["CONTROL", "STREAM", "FILE"], summary: "Sends audio file on channel and allows the listener to control the stream.", dead: false, usage: " Usage: CONTROL STREAM FILE <filename> <escape digits> [skipms] [ffchar] [rewchr] [pausechr] [offsetms]\n\tSend the given file, allowing playback to be controlled by the given\n digits, if any. Use double quotes for the digits if you wish none to be\n permitted.  Returns 0 if playback completes without a digit\n being pressed, or the ASCII numerical value of the digit if one was pressed,\n or -1 on error or if the channel was disconnected.",
  async run(s, [file, escape]) {
    if (file === undefined || escape === undefined) return USAGE;
    const ch = s.env.channel;
    const started = ch.now();
    const r = await play(s, [file], escape);
    const offsetMs = Math.round((ch.now() - started) / 1000);
    if (r.status === "FAILED") s.env.setVar("CPLAYBACKSTATUS", "ERROR");
    else if (r.digit !== undefined) { s.env.setVar("CPLAYBACKSTATUS", "USERSTOPPED"); s.env.setVar("CPLAYBACKSTOPKEY", r.digit); }
    else s.env.setVar("CPLAYBACKSTATUS", "SUCCESS");
    s.env.setVar("CPLAYBACKOFFSET", String(offsetMs));
    return ok(r.status === "FAILED" ? -1 : digitCode(r.digit), ` endpos=${offsetMs}`);
  },
};

/** GET DATA <file> [timeout ms] [maxdigits]: the prompt, then digits until maxdigits, `#` or the timeout. */
const getData: AgiCommand = {
  words: ["GET", "DATA"], summary: "Prompts for DTMF on a channel", dead: false, usage: " Usage: GET DATA <file to be streamed> [timeout] [max digits]\n\t Stream the given file and receive DTMF data. Returns the digits received\nfrom the channel at the other end.",
  async run(s, [file, timeoutText, maxText]) {
    if (file === undefined) return USAGE;
    const given = intArg(timeoutText) ?? 0;
    let max = intArg(maxText) ?? 1024;
    if (max <= 0) max = 1024;
    const firstMs = given > 0 ? given : given < 0 ? -1 : s.env.timeouts.responseMs;
    const nextMs = given > 0 ? given : given < 0 ? -1 : s.env.timeouts.digitMs;
    let digits = "";
    if (file !== "") {
      const r = await play(s, file.split("&").filter((f) => f !== ""), "0123456789*#");
      if (r.digit === "#") return ok("");
      if (r.digit !== undefined) digits = r.digit;
    }
    while (digits.length < max) {
      const d = await waitDigit(s, digits === "" ? firstMs : nextMs);
      if (d === undefined) return ok(digits, " (timeout)");
      if (d === "#") break;
      digits += d;
    }
    return ok(digits);
  },
};

/** GET OPTION <file> <escape digits> [timeout ms]: STREAM FILE, then a wait for one of the digits. */
const getOption: AgiCommand = {
  words: ["GET", "OPTION"], summary: "Stream file, prompt for DTMF, with timeout.", dead: false, usage: " Usage: GET OPTION <filename> <escape_digits> [timeout]\n\tBehaves similar to STREAM FILE but used with a timeout option.",
  async run(s, [file, escape, timeoutText]) {
    if (file === undefined || escape === undefined) return USAGE;
    const r = await play(s, [file], escape);
    if (r.status === "FAILED") return ok(-1, " endpos=0");
    if (r.digit !== undefined) return ok(digitCode(r.digit), ` endpos=${r.endpos}`);
    const t = intArg(timeoutText);
    const ms = t === undefined || t === 0 ? s.env.timeouts.digitMs : t;
    // Only an escape digit counts; with none, the wait still takes its time, as res_agi's does.
    const d = await waitDigit(s, ms, escape);
    return ok(digitCode(d), ` endpos=${r.endpos}`);
  },
  onHangup: () => ok(-1, " endpos=0"),
};

async function say(s: AgiSessionState, files: string[], escape: string): Promise<string> {
  if (files.length === 0) return ok(0);
  const r = await play(s, files, escape);
  return ok(r.status === "FAILED" ? -1 : digitCode(r.digit));
}

const sayDigits: AgiCommand = {
  words: ["SAY", "DIGITS"], summary: "Says a given digit string.", dead: false, usage: " Usage: SAY DIGITS <number> <escape digits>\n\tSay a given digit string, returning early if any of the given DTMF digits\n are received on the channel.",
  run(s, [number, escape]) {
    if (number === undefined || escape === undefined) return USAGE;
    return say(s, digitFiles(number), escape);
  },
};

const sayNumber: AgiCommand = {
  words: ["SAY", "NUMBER"], summary: "Says a given number.", dead: false, usage: " Usage: SAY NUMBER <number> <escape digits> [gender]\n\tSay a given number, returning early if any of the given DTMF digits\n are received on the channel.",
  run(s, [number, escape]) {
    if (number === undefined || escape === undefined) return USAGE;
    const n = intArg(number);
    if (n === undefined || Math.abs(n) > 2147483647) return USAGE;
    return say(s, numberFiles(n), escape);
  },
};

const sayAlpha: AgiCommand = {
  words: ["SAY", "ALPHA"], summary: "Says a given character string.", dead: false, usage: " Usage: SAY ALPHA <number> <escape digits>\n\tSay a given character string, returning early if any of the given DTMF digits\n are received on the channel.",
  run(s, [text, escape]) {
    if (text === undefined || escape === undefined) return USAGE;
    return say(s, alphaFiles(text), escape);
  },
};

const waitForDigit: AgiCommand = {
  words: ["WAIT", "FOR", "DIGIT"], summary: "Waits for a digit to be pressed.", dead: false, usage: " Usage: WAIT FOR DIGIT <timeout>\n\tWaits up to 'timeout' milliseconds for channel to receive a DTMF digit.\n Returns -1 on channel failure, 0 if no digit is received in the timeout, or\n the numerical value of the ascii of the digit if one is received.  Use -1\n for the timeout value if you desire the call to block indefinitely.",
  async run(s, [timeoutText]) {
    const ms = intArg(timeoutText);
    if (ms === undefined) return USAGE;
    return ok(digitCode(await waitDigit(s, ms)));
  },
};

/** The file name RECORD FILE writes for a format: MixMonitor's names (wav, sln, raw); undefined when Recall cannot write it. */
function recordingPath(name: string, format: string): string | undefined {
  const f = format.toLowerCase();
  if (f === "wav" || f === "sln" || f === "raw") return `${name}.${f}`;
  if (f === "slin") return `${name}.sln`;
  return undefined;
}

/**
 * RECORD FILE <file> <format> <escape digits> <timeout ms> [offset samples] [BEEP] [s=silence]:
 * records what the channel hears and says (a MixMonitor of the channel) until an escape
 * digit, the timeout (-1: none) or hang-up. Silence detection (`s=`) is not carried out.
 */
const recordFile: AgiCommand = {
  words: ["RECORD", "FILE"], summary: "Records to a given file.", dead: false, usage: " Usage: RECORD FILE <filename> <format> <escape digits> <timeout> [offset samples] [BEEP] [s=silence]\n\tRecord to a file until a given dtmf digit in the sequence is received\n Returns -1 on hangup or error.  The format will specify what kind of file\n will be recorded.  The timeout is the maximum record time in milliseconds, or\n -1 for no timeout.",
  async run(s, [file, format, escape, timeoutText, ...rest]) {
    if (file === undefined || format === undefined || escape === undefined || timeoutText === undefined) return USAGE;
    const timeoutMs = intArg(timeoutText);
    if (timeoutMs === undefined) return USAGE;
    const ch = s.env.channel;
    if (rest.some((r) => /^s=/i.test(r))) ch.log("NOTICE", "res_agi.c", "RECORD FILE: silence detection (s=) is not supported by Recall; recording until a digit or the timeout");
    const path = recordingPath(file, format);
    if (path === undefined || !ch.startMixMonitor) {
      ch.log("WARNING", "res_agi.c", `Could not create file ${file}.${format}${path === undefined ? ": Recall records wav, sln and raw" : ""}`);
      return ok(-1, " (writefile)");
    }
    if (rest.some((r) => r.toUpperCase() === "BEEP")) await play(s, ["beep"], "");
    const started = ch.now();
    let recording;
    try {
      recording = await ch.startMixMonitor({ file: path });
    } catch (e) {
      if (e instanceof HangupError) throw e;
      ch.log("WARNING", "res_agi.c", `Could not create file ${path}: ${(e as Error).message}`);
      return ok(-1, " (writefile)");
    }
    let digit: string | undefined;
    try {
      digit = escape === "" ? (timeoutMs < 0 ? await waitDigit(s, -1, "") : (await s.env.sleep(timeoutMs), undefined)) : await waitDigit(s, timeoutMs, escape);
    } catch (e) {
      if (e instanceof HangupError) return ok(-1, ` (hangup) endpos=${samples(ch.now() - started)}`);
      throw e;
    } finally {
      await ch.stopMixMonitor?.(recording.id);
    }
    const endpos = samples(ch.now() - started);
    return digit === undefined ? ok(0, ` (timeout) endpos=${endpos}`) : ok(digitCode(digit), ` (dtmf) endpos=${endpos}`);
  },
};

/** The command, listening only from when it starts. */
function listening(c: AgiCommand): AgiCommand {
  return { ...c, run: async (s, args) => { await forgetEarlierDigits(s); return c.run(s, args); } };
}

export const mediaCommands: readonly AgiCommand[] = [
  streamFile, controlStreamFile, getData, getOption, sayDigits, sayNumber, sayAlpha, waitForDigit, recordFile,
].map(listening);
