/**
 * AGI commands that control the channel and its data: ANSWER, HANGUP, EXEC, GET/SET
 * VARIABLE, GET FULL VARIABLE, SET CALLERID, SET CONTEXT/EXTENSION/PRIORITY, SET MUSIC,
 * SET AUTOHANGUP, CHANNEL STATUS, DATABASE GET/PUT/DEL/DELTREE, VERBOSE, NOOP. Results
 * are res_agi's, word for word: AGI libraries parse them.
 */
import { HangupError } from "../../../calls/channel-api.js";
import { AbsoluteTimeout } from "../../executor.js";
import { splitFunctionCall } from "../../functions.js";
import { Cause } from "../../../calls/hangup-causes.js";
import { findApplication } from "../index.js";
import { ok } from "./protocol.js";
import { USAGE, type AgiCommand, type AgiSessionState } from "./command.js";

/** ast_state numbers, as CHANNEL STATUS reports them. */
const STATE_NUMBER: Readonly<Record<string, number>> = {
  down: 0, reserved: 1, dialing: 3, ring: 4, progress: 4, ringing: 5, up: 6, busy: 7,
};

function isOwn(s: AgiSessionState, name: string | undefined): boolean {
  return name === undefined || name === s.env.channel.context().name;
}

/** ast_callerid_parse + ast_shrink_phone_number: `"Name" <num>`, `Name <num>`, a bare number or a bare name. */
export function parseCallerId(text: string): { num?: string; name?: string } {
  const shrink = (n: string) => n.replace(/[\s()\-.]/g, "");
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>/.exec(text);
  if (m) return { name: (m[1] ?? m[2] ?? "").trim(), num: shrink(m[3]) };
  const t = text.trim().replace(/^"|"$/g, "");
  return /^[+\d\s()\-.*#]+$/.test(t) ? { num: shrink(t) } : { name: t };
}

const answer: AgiCommand = {
  words: ["ANSWER"], summary: "Answer channel", dead: false, usage: " Usage: ANSWER\n\tAnswers channel if not already in answer state. Returns -1 on\n channel failure, or 0 if successful.",
  async run(s) {
    const ch = s.env.channel;
    if (ch.state() !== "up") await ch.answer();
    return ok(0);
  },
};

const hangup: AgiCommand = {
  words: ["HANGUP"], summary: "Hangup a channel.", dead: false, usage: " Usage: HANGUP [<channelname>]\n\tHangs up the specified channel.\n If no channel name is given, hangs up the current channel",
  run(s, [name]) {
    if (!isOwn(s, name)) return ok(-1);
    s.env.channel.hangup(Cause.NORMAL_CLEARING);
    return ok(1);
  },
};

const exec: AgiCommand = {
  words: ["EXEC"], summary: "Executes a given Application", dead: true, usage: " Usage: EXEC <Application> <Options>\n\tExecutes <application> with given <options>.\n Returns whatever the application returns, or -2 on failure to find application",
  async run(s, [name, data = ""]) {
    if (name === undefined) return USAGE;
    const env = s.env, ch = env.channel;
    const app = env.deps.applications?.get(name.toLowerCase()) ?? findApplication(name);
    ch.log("VERBOSE", "res_agi.c", `AGI Script Executing Application: (${name}) Options: (${data})`);
    if (!app) {
      ch.log("WARNING", "res_agi.c", `Could not find application (${name})`);
      return ok(-2);
    }
    ch.appStart(name, data);
    try {
      const r = await app(env, data);
      switch (r.kind) {
        case "continue": return ok(0);
        case "goto": s.next = { ...r.to }; return ok(0);
        case "end": return ok(-1);
        case "digits": return ok(r.digits.charCodeAt(0));
        default: return ok(0);
      }
    } catch (e) {
      if (e instanceof HangupError || e instanceof AbsoluteTimeout) throw e;
      ch.log("ERROR", "res_agi.c", `${name} failed on ${ch.context().name}: ${(e as Error).message}`);
      return ok(-1);
    } finally {
      ch.appEnd(name);
      // As pbx_exec restores it: the channel is in AGI again (CDR lastapp, CHANNEL(appname)).
      ch.appStart(s.app, s.data);
    }
  },
};

/** A variable or, with `(...)`, a dialplan function. */
function read(s: AgiSessionState, name: string): string | undefined {
  if (name.endsWith(")") && name.includes("(")) {
    const call = splitFunctionCall(name);
    return s.env.readFunction(call.name, call.args);
  }
  return s.env.getVar(name);
}

const getVariable: AgiCommand = {
  words: ["GET", "VARIABLE"], summary: "Gets a channel variable.", dead: true, usage: " Usage: GET VARIABLE <variablename>\n\tReturns 0 if <variablename> is not set. Returns 1 if <variablename>\n is set and returns the variable in parentheses.\n example return code: 200 result=1 (testvariable)",
  run(s, [name]) {
    if (name === undefined) return USAGE;
    const v = read(s, name);
    return v === undefined ? ok(0) : ok(1, ` (${v})`);
  },
};

const getFullVariable: AgiCommand = {
  words: ["GET", "FULL", "VARIABLE"], summary: "Evaluates a channel expression", dead: true, usage: " Usage: GET FULL VARIABLE <variablename> [<channel name>]\n\tReturns 0 if <variablename> is not set or channel does not exist. Returns 1\nif <variablename>  is set and returns the variable in parenthesis.  Understands\ncomplex variable names and builtin variables, unlike GET VARIABLE.\n example return code: 200 result=1 (testvariable)",
  run(s, [expression, channel]) {
    if (expression === undefined) return USAGE;
    if (!isOwn(s, channel)) return ok(0);
    return ok(1, ` (${s.env.substitute(expression)})`);
  },
};

const setVariable: AgiCommand = {
  words: ["SET", "VARIABLE"], summary: "Sets a channel variable.", dead: true, usage: " Usage: SET VARIABLE <variablename> <value>",
  run(s, [name, value]) {
    if (name === undefined || value === undefined) return USAGE;
    if (name.endsWith(")") && name.includes("(")) {
      const call = splitFunctionCall(name);
      if (!s.env.writeFunction(call.name, call.args, value)) s.env.warn("pbx.c", `Function ${call.name} not registered`);
    } else s.env.setVar(name, value);
    return ok(1);
  },
};

const setCallerId: AgiCommand = {
  words: ["SET", "CALLERID"], summary: "Sets callerid for the current channel.", dead: false, usage: " Usage: SET CALLERID <number>\n\tChanges the callerid of the current channel.",
  run(s, [text]) {
    if (text === undefined) return USAGE;
    s.env.channel.setCallerId(parseCallerId(text));
    return ok(1);
  },
};

const setContext: AgiCommand = {
  words: ["SET", "CONTEXT"], summary: "Sets channel context.", dead: true, usage: " Usage: SET CONTEXT <desired context>\n\tSets the context for continuation upon exiting the application.",
  run(s, [context]) {
    if (context === undefined) return USAGE;
    s.next = { ...s.next, context };
    return ok(0);
  },
};

const setExtension: AgiCommand = {
  words: ["SET", "EXTENSION"], summary: "Changes channel extension.", dead: true, usage: " Usage: SET EXTENSION <new extension>\n\tChanges the extension for continuation upon exiting the application.",
  run(s, [exten]) {
    if (exten === undefined) return USAGE;
    s.next = { ...s.next, exten };
    return ok(0);
  },
};

const setPriority: AgiCommand = {
  words: ["SET", "PRIORITY"], summary: "Set channel dialplan priority.", dead: true, usage: " Usage: SET PRIORITY <priority>\n\tChanges the priority for continuation upon exiting the application.\n The priority must be a valid priority or label.",
  run(s, [priority]) {
    if (priority === undefined) return USAGE;
    const p = s.env.position;
    // A number as it is; a label is looked up at the context and extension AGI will continue in.
    const to = s.env.resolveGoto(`${s.next.context ?? p.context},${s.next.exten ?? p.exten},${priority}`);
    if (typeof to === "string") return USAGE;
    s.next = { ...s.next, priority: to.priority };
    return ok(0);
  },
};

const setMusic: AgiCommand = {
  words: ["SET", "MUSIC"], summary: "Enable/Disable Music on hold generator", dead: false, usage: " Usage: SET MUSIC <on|off> <class>\n\tEnables/Disables the music on hold generator.  If <class>\n is not specified, then the default music on hold class will be used.",
  async run(s, [onOff, className]) {
    if (onOff === undefined) return USAGE;
    const ch = s.env.channel;
    if (onOff.toLowerCase() === "on") {
      if (ch.startMusicOnHold) await ch.startMusicOnHold(className || s.env.channelSettings.get("musicclass") || "default");
      else ch.log("WARNING", "res_agi.c", `Music on hold is not available on ${ch.context().name}`);
    } else ch.stopMusicOnHold?.();
    return ok(0);
  },
};

const setAutohangup: AgiCommand = {
  words: ["SET", "AUTOHANGUP"], summary: "Autohangup channel in some time.", dead: false, usage: " Usage: SET AUTOHANGUP <time>\n\tCauses the channel to automatically hangup at <time> seconds in the\n future.  Of course it can be hungup before then as well. Setting to 0 will cause\n the autohangup feature to be disabled on this channel.",
  run(s, [time]) {
    if (time === undefined) return USAGE;
    const secs = Number.parseFloat(time);
    if (!Number.isFinite(secs)) return USAGE;
    const t = s.env.timeouts;
    if (secs > 0) t.absoluteAt = s.env.channel.now() + Math.round(secs * 1e6);
    else delete t.absoluteAt;
    return ok(0);
  },
};

const channelStatus: AgiCommand = {
  words: ["CHANNEL", "STATUS"], summary: "Returns status of the connected channel.", dead: false, usage: " Usage: CHANNEL STATUS [<channelname>]\n\tReturns the status of the specified channel.\n If no channel name is given the returns the status of the\n current channel.",
  run(s, [name]) {
    if (!isOwn(s, name)) return ok(-1);
    return ok(STATE_NUMBER[s.env.channel.state()] ?? 0);
  },
};

const databaseGet: AgiCommand = {
  words: ["DATABASE", "GET"], summary: "Gets database value", dead: true, usage: " Usage: DATABASE GET <family> <key>\n\tRetrieves an entry in the Asterisk database for a\n given family and key.\n\tReturns 0 if <key> is not set.  Returns 1 if <key>\n is set and returns the variable in parenthesis.\n example return code: 200 result=1 (testvariable)",
  run(s, [family, key]) {
    if (family === undefined || key === undefined) return USAGE;
    const v = s.env.deps.astdb.get(family, key);
    return v === undefined ? ok(0) : ok(1, ` (${v})`);
  },
};

const databasePut: AgiCommand = {
  words: ["DATABASE", "PUT"], summary: "Adds/updates database value", dead: true, usage: " Usage: DATABASE PUT <family> <key> <value>\n\tAdds or updates an entry in the Asterisk database for a\n given family, key, and value.\n Returns 1 if successful, 0 otherwise.",
  run(s, [family, key, value]) {
    if (family === undefined || key === undefined || value === undefined) return USAGE;
    s.env.deps.astdb.put(family, key, value);
    return ok(1);
  },
};

const databaseDel: AgiCommand = {
  words: ["DATABASE", "DEL"], summary: "Removes database key/value", dead: true, usage: " Usage: DATABASE DEL <family> <key>\n\tDeletes an entry in the Asterisk database for a\n given family and key.\n Returns 1 if successful, 0 otherwise.",
  run(s, [family, key]) {
    if (family === undefined || key === undefined) return USAGE;
    return ok(s.env.deps.astdb.del(family, key) ? 1 : 0);
  },
};

const databaseDeltree: AgiCommand = {
  words: ["DATABASE", "DELTREE"], summary: "Removes database keytree/value", dead: true, usage: " Usage: DATABASE DELTREE <family> [keytree]\n\tDeletes a family or specific keytree within a family\n in the Asterisk database.\n Returns 1 if successful, 0 otherwise.",
  run(s, [family, keytree]) {
    if (family === undefined) return USAGE;
    return ok(s.env.deps.astdb.deltree(family, keytree) > 0 ? 1 : 0);
  },
};

const verbose: AgiCommand = {
  words: ["VERBOSE"], summary: "Logs a message to the asterisk verbose log.", dead: true, usage: " Usage: VERBOSE <message> <level>\n\tSends <message> to the console via verbose message system.\n <level> is the verbose level (1-4)\n\tAlways returns 1.",
  run(s, [message]) {
    if (message === undefined) return USAGE;
    // As res_agi prints it: the AGI application's data (the program and its arguments), then the message.
    s.env.channel.log("VERBOSE", "res_agi.c", `${s.data}: ${message}`);
    return ok(1);
  },
};

const noop: AgiCommand = {
  words: ["NOOP"], summary: "Does nothing.", dead: true, usage: " Usage: NOOP\n\tDoes nothing.",
  run() { return ok(0); },
};

export const channelCommands: readonly AgiCommand[] = [
  answer, hangup, exec, getVariable, getFullVariable, setVariable, setCallerId, setContext, setExtension, setPriority,
  setMusic, setAutohangup, channelStatus, databaseGet, databasePut, databaseDel, databaseDeltree, verbose, noop,
];
