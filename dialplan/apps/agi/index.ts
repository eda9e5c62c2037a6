/**
 * AGI(command[,arg1[,arg2...]]), EAGI(...), DeadAGI(...): hand the channel to an AGI
 * program, a FastAGI server (`agi://host[:port][/script]`, port 4573 by default) or a
 * local executable (relative paths under the AGI directory), and run the commands it
 * sends until it is done. AGISTATUS: SUCCESS, FAILURE (no connection, a broken or
 * silent program), NOTFOUND (no such script) or HANGUP (the channel hung up: the
 * dialplan ends, as Asterisk's -1). On a hung-up channel (`h`, hang-up handlers) AGI
 * runs in dead mode; DeadAGI is AGI with Asterisk's deprecation warning.
 *
 * Channel variables read: AGISIGHUP=no (no SIGHUP to a local program on hang-up),
 * AGIEXITONHANGUP=yes (end at once on hang-up), and Recall's AGITIMEOUT (seconds the
 * program may take to send its next command, default 60; 0 waits as long as it takes,
 * as Asterisk always does).
 */
import { AbsoluteTimeout, type Application, type ExecutionEnv } from "../../executor.js";
import { splitArguments } from "../../functions.js";
import { CONTINUE, END, type AppResult } from "../index.js";
import { environment, parseFastAgiUrl } from "./protocol.js";
import { debugLines, runSession } from "./session.js";
import type { AgiOpen } from "./services.js";

/** res_agi's MAX_AGI_CONNECT. */
const CONNECT_MS = 2000;
const DEFAULT_IDLE_S = 60;

function idleMs(env: ExecutionEnv): number {
  const text = env.getVar("AGITIMEOUT");
  const s = text === undefined || text.trim() === "" ? DEFAULT_IDLE_S : Number.parseFloat(text);
  return Number.isFinite(s) && s > 0 ? Math.round(s * 1000) : 0;
}

async function runAgi(env: ExecutionEnv, data: string, app: "AGI" | "EAGI" | "DeadAGI"): Promise<AppResult> {
  const enhanced = app === "EAGI";
  const [request = "", ...args] = splitArguments(data).map((a, i) => (i === 0 ? a.trim() : a));
  const channel = env.channel;
  if (request === "") { env.warn("res_agi.c", "AGI requires an argument (script)"); return END; }
  const status = (s: string) => env.setVar("AGISTATUS", s);
  const services = env.deps.agi;
  if (!services) {
    env.warn("res_agi.c", `AGI is not available here: cannot run ${request}`);
    status("FAILURE");
    return CONTINUE;
  }
  const address = /^agi:\/\//i.test(request) ? parseFastAgiUrl(request) : undefined;
  let opened: AgiOpen;
  if (/^agi:\/\//i.test(request)) {
    if (!address) opened = { kind: "failed", message: `'${request}' is not agi://host[:port][/script]` };
    else if (enhanced) opened = { kind: "failed", message: "EAGI cannot run over FastAGI (no audio channel)" };
    else opened = await services.connect(address.host, address.port, CONNECT_MS);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(request)) {
    opened = { kind: "failed", message: `AGI address scheme not supported: ${request}` };
  } else {
    opened = await services.spawn(request, args, { enhanced, sighup: (env.getVar("AGISIGHUP") ?? "").toLowerCase() !== "no" });
  }
  if (opened.kind !== "open") {
    env.warn("res_agi.c", opened.kind === "notfound" ? `Failed to execute '${request}': ${opened.message}` : `AGI ${request} failed: ${opened.message}`);
    status(opened.kind === "notfound" ? "NOTFOUND" : "FAILURE");
    return CONTINUE;
  }
  const link = opened.link;
  // EAGI: the caller's audio to the program's descriptor 3 while it runs.
  let untap: (() => Promise<void>) | undefined;
  const sink = opened.audio;
  if (enhanced && sink) {
    try {
      untap = channel.audioTap ? await channel.audioTap((pcm) => sink.write(pcm)) : undefined;
      if (!untap) env.warn("res_agi.c", `EAGI ${request}: this channel gives no audio`);
    } catch (e) {
      env.warn("res_agi.c", `EAGI ${request}: no audio: ${(e as Error).message}`);
    }
  }
  const opening = environment({
    request, ...(address ? { network: { script: address.script } } : {}),
    channel: channel.context(), language: channel.language ?? "en", version: services.version,
    position: env.position, enhanced, args,
  });
  debugLines(env, services, "Tx >>", opening);
  link.send(opening);
  let outcome;
  try {
    outcome = await runSession({
      env, link, services, request, app, data, network: address !== undefined, idleMs: idleMs(env),
      exitOnHangup: (env.getVar("AGIEXITONHANGUP") ?? "").toLowerCase() === "yes",
    });
  } catch (e) {
    // SET AUTOHANGUP's time: Asterisk's soft hang-up; the dialplan takes the timeout (`T`).
    if (e instanceof AbsoluteTimeout) status("HANGUP");
    throw e;
  } finally {
    await untap?.();
    sink?.end();
  }
  channel.log("VERBOSE", "res_agi.c", `<${channel.context().name}>AGI Script ${request} completed, returning ${outcome.status === "HANGUP" ? -1 : 0}`);
  status(outcome.status);
  if (outcome.status === "HANGUP") return END;
  const n = outcome.next;
  if (n.context === undefined && n.exten === undefined && n.priority === undefined) return CONTINUE;
  const p = env.position;
  return { kind: "goto", to: { context: n.context ?? p.context, exten: n.exten ?? p.exten, priority: n.priority ?? p.priority + 1 } };
}

const AGI: Application = (env, data) => runAgi(env, data, "AGI");

/** EAGI: a local program also gets the caller's audio on file descriptor 3 (see services.spawn). */
const EAGI: Application = (env, data) => runAgi(env, data, "EAGI");

const DeadAGI: Application = (env, data) => {
  env.warn("res_agi.c", "DeadAGI has been deprecated, please use AGI in all cases!");
  return runAgi(env, data, "DeadAGI");
};

export const agiApplications: Readonly<Record<string, Application>> = { AGI, EAGI, DeadAGI };
