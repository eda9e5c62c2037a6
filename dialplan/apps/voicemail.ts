/**
 * VMAuthenticate([mailbox][@context][,options]) (app_voicemail): asks for a mailbox's
 * password (and first for the mailbox, when none is given), with three tries; on
 * success AUTH_MAILBOX and AUTH_CONTEXT are set and the dialplan goes on, after three
 * failures the call ends, as Asterisk does. `s` skips the initial prompts. Mailboxes
 * come from voicemail.conf (`deps.mailboxes`). The rest of app_voicemail is not here.
 */
import type { Application, ExecutionEnv } from "../executor.js";
import { splitArguments } from "../functions.js";
import { CONTINUE, END } from "./index.js";
import { parseOptions } from "./basic.js";

const ATTEMPTS = 3;

/** Digits up to `#` (or a pause of `ms`), after an optional prompt that digits interrupt. */
async function collect(env: ExecutionEnv, prompt: string | undefined, ms: number): Promise<string> {
  let value = "";
  if (prompt) {
    const r = await env.guard((signal) => env.channel.play([prompt], { stopOnDigits: "0123456789*#", noAnswer: true, ...(signal ? { signal } : {}) }));
    if (r.digit === "#") return "";
    if (r.digit) value = r.digit;
  }
  for (;;) {
    const d = await env.readDigit(ms);
    if (d === undefined || d === "#") return value;
    value += d;
  }
}

const VMAuthenticate: Application = async (env, data) => {
  const [box = "", optionText = ""] = splitArguments(data, ",");
  const skip = "s" in parseOptions(optionText);
  const [givenMailbox = "", givenContext = ""] = box.split("@");
  const mailboxes = env.deps.mailboxes?.mailboxes ?? new Map();
  if (env.channel.state() !== "up") await env.channel.answer();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const mailbox = givenMailbox || await collect(env, skip && attempt === 0 ? undefined : "vm-login", 5000);
    const password = await collect(env, skip && attempt === 0 ? undefined : "vm-password", 5000);
    const found = mailboxes.get(`${mailbox}@${givenContext || "default"}`);
    if (found && found.password === password) {
      env.setVar("AUTH_MAILBOX", found.mailbox);
      env.setVar("AUTH_CONTEXT", found.context);
      env.verbose(`VMAuthenticate: mailbox ${found.mailbox}@${found.context} authenticated`);
      return CONTINUE;
    }
    env.warn("app_voicemail.c", `Incorrect password for mailbox '${mailbox}@${givenContext || "default"}'${found ? "" : " (no such mailbox)"}`);
    await env.guard((signal) => env.channel.play(["vm-incorrect"], { noAnswer: true, ...(signal ? { signal } : {}) }));
  }
  env.warn("app_voicemail.c", "VMAuthenticate: too many wrong passwords, hanging up");
  return END;
};

export const voicemailApplications: Readonly<Record<string, Application>> = { VMAuthenticate };
