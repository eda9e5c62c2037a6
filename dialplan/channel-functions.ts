/**
 * Dialplan functions that need the channel or the PBX: `${NAME(args)}` reads them,
 * `Set(NAME(args)=value)` writes those that can be written. LEN and ISNULL stay in the
 * core (functions.ts); everything else is here. Functions that reach outside the PBX
 * (SHELL, FILE) are refused unless live_dangerously is on, from the dialplan and from
 * AMI/ARI alike (seed 003, "Privilege Escalations with Dialplan Functions").
 */
import type { ExecutionEnv } from "./executor.js";
import { isTrueCondition } from "./expression.js";
import { splitArguments } from "./functions.js";
import { splitDbPath } from "./astdb.js";
import { parseTiming, timingHoldsAt } from "./timing.js";
import type { RedirectingParty } from "../calls/channel-api.js";
import { queueFunctions } from "./queue-functions.js";

export interface DialplanFunction {
  read?(env: ExecutionEnv, args: string): string;
  write?(env: ExecutionEnv, args: string, value: string): void;
  /** Reaches outside the PBX: live_dangerously only. */
  readonly dangerous?: boolean;
}

function args(text: string): string[] {
  return splitArguments(text).map((a) => a.trim());
}

/** Splits `"Name" <num>` (or a bare number or name) as CALLERID(all)= does. */
export function parseCallerId(text: string): { name: string; num: string } {
  const m = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(text);
  if (m) return { name: (m[1] ?? m[2] ?? "").replace(/\\(.)/g, "$1").trim(), num: m[3].trim() };
  const t = text.trim().replace(/^"(.*)"$/, "$1");
  return /^[0-9*#+]+$/.test(t) ? { name: "", num: t } : { name: t, num: "" };
}

function formatParty(name: string, num: string): string {
  if (name && num) return `"${name}" <${num}>`;
  if (name) return `"${name}"`;
  return num ? `<${num}>` : "";
}

const CALLERID: DialplanFunction = {
  read(env, a) {
    const [what = ""] = args(a);
    const c = env.channel.context();
    switch (what.toLowerCase()) {
      case "all": return formatParty(c.callerId.name, c.callerId.num);
      case "num": case "number": return c.callerId.num;
      case "name": return c.callerId.name;
      case "ani": case "ani-num": return c.ani;
      case "dnid": case "dnid-num": return c.dnid;
      case "rdnis": return env.redirecting.get("from-num") ?? c.rdnis;
      case "pres": case "num-pres": case "name-pres": return "allowed_not_screened";
      case "ton": case "num-plan": return "0";
      case "tag": return env.getVar("__CALLERID_TAG") ?? "";
      default: env.warn("func_callerid.c", `Unknown callerid data type '${what}'.`); return "";
    }
  },
  write(env, a, value) {
    const [what = ""] = args(a);
    switch (what.toLowerCase()) {
      case "all": env.channel.setCallerId(parseCallerId(value)); return;
      case "num": case "number": env.channel.setCallerId({ num: value }); return;
      case "name": env.channel.setCallerId({ name: value }); return;
      case "rdnis": env.redirecting.set("from-num", value); env.channel.setRedirecting?.({ fromNum: value }); return;
      case "ani": case "dnid":
        env.warn("func_callerid.c", `CALLERID(${what}) cannot be changed on this channel`); return;
      default: env.warn("func_callerid.c", `Unknown callerid data type '${what}'.`);
    }
  },
};

const CONNECTEDLINE: DialplanFunction = {
  read(env, a) {
    const [what = ""] = args(a);
    const c = env.channel.context().connected;
    switch (what.toLowerCase()) {
      case "all": return formatParty(c.name, c.num);
      case "num": case "number": return c.num;
      case "name": return c.name;
      case "pres": return "allowed_not_screened";
      default: env.warn("func_callerid.c", `Unknown connectedline data type '${what}'.`); return "";
    }
  },
  write(env, a, value) {
    const [what = "", opt = ""] = args(a);
    const inhibit = opt.includes("i");
    switch (what.toLowerCase()) {
      case "all": env.channel.setConnected(parseCallerId(value), { inhibit }); return;
      case "num": case "number": env.channel.setConnected({ num: value }, { inhibit }); return;
      case "name": env.channel.setConnected({ name: value }, { inhibit }); return;
      default: env.warn("func_callerid.c", `Unknown connectedline data type '${what}'.`);
    }
  },
};

const REDIRECTING_FIELDS: Readonly<Record<string, keyof RedirectingParty>> = {
  "from-num": "fromNum", "from-name": "fromName", "to-num": "toNum", "to-name": "toName",
  "orig-num": "origNum", "orig-name": "origName", count: "count", reason: "reason", "orig-reason": "origReason",
};

const REDIRECTING: DialplanFunction = {
  read(env, a) {
    const [what = ""] = args(a);
    const key = what.toLowerCase();
    if (!(key in REDIRECTING_FIELDS)) { env.warn("func_callerid.c", `Unknown redirecting data type '${what}'.`); return ""; }
    const v = env.redirecting.get(key);
    if (v !== undefined) return v;
    if (key === "from-num") return env.channel.context().rdnis;
    if (key === "count") return "0";
    return "";
  },
  write(env, a, value) {
    const [what = "", opt = ""] = args(a);
    const key = what.toLowerCase();
    const field = REDIRECTING_FIELDS[key];
    if (!field) { env.warn("func_callerid.c", `Unknown redirecting data type '${what}'.`); return; }
    env.redirecting.set(key, value);
    env.channel.setRedirecting?.({ [field]: value }, { inhibit: opt.includes("i") });
  },
};

const AMA = new Map([["1", "OMIT"], ["2", "BILLING"], ["3", "DOCUMENTATION"], ["omit", "OMIT"], ["billing", "BILLING"], ["documentation", "DOCUMENTATION"], ["default", "DOCUMENTATION"]]);

function pad(n: number): string { return String(n).padStart(2, "0"); }
function cdrTime(micros: number | undefined): string {
  if (micros === undefined) return "";
  const d = new Date(Math.floor(micros / 1000));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const CDR: DialplanFunction = {
  read(env, a) {
    const [field = "", opts = ""] = args(a);
    const c = env.channel.context();
    const now = env.channel.now();
    const end = c.hungupAt ?? now;
    const raw = opts.includes("u");
    const float = opts.includes("f");
    const secs = (from: number | undefined) => {
      if (from === undefined) return "0";
      const s = (end - from) / 1e6;
      return float ? s.toFixed(6) : String(Math.floor(s));
    };
    switch (field.toLowerCase()) {
      case "accountcode": return c.accountcode;
      case "peeraccount": return c.peeraccount;
      case "userfield": return c.userfield;
      case "amaflags": return c.amaflags || "DOCUMENTATION";
      case "src": return c.callerId.num;
      case "clid": return formatParty(c.callerId.name, c.callerId.num);
      case "dst": return env.position.exten;
      case "dcontext": return env.position.context;
      case "channel": return c.name;
      case "lastapp": return c.app;
      case "lastdata": return c.appData;
      case "uniqueid": return c.uniqueid;
      case "linkedid": return c.linkedid;
      case "start": return raw ? (c.createdAt / 1e6).toFixed(6) : cdrTime(c.createdAt);
      case "answer": return raw ? (c.answeredAt === undefined ? "0" : (c.answeredAt / 1e6).toFixed(6)) : cdrTime(c.answeredAt);
      case "end": return raw ? (c.hungupAt === undefined ? "0" : (c.hungupAt / 1e6).toFixed(6)) : cdrTime(c.hungupAt);
      case "duration": return secs(c.createdAt);
      case "billsec": return secs(c.answeredAt);
      case "disposition": return c.answeredAt !== undefined ? "ANSWERED" : c.dialStatus === "BUSY" ? "BUSY" : "NO ANSWER";
      default: return env.getVar(`CDR(${field})`) ?? "";
    }
  },
  write(env, a, value) {
    const [field = ""] = args(a);
    const f = field.toLowerCase();
    if (f === "accountcode" || f === "userfield" || f === "peeraccount") { env.channel.setCdrField(f, value); return; }
    if (f === "amaflags") {
      const flag = AMA.get(value.trim().toLowerCase());
      if (!flag) { env.warn("func_cdr.c", `Invalid AMA flag '${value}'`); return; }
      env.channel.setCdrField("amaflags", flag);
      return;
    }
    const readOnly = ["src", "clid", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "uniqueid", "linkedid", "sequence"];
    if (readOnly.includes(f)) { env.warn("func_cdr.c", `Unable to set CDR variable '${field}': it is read-only`); return; }
    env.warn("func_cdr.c", `CDR(${field}): custom CDR variables are not recorded by Recall`);
  },
};

const GLOBAL: DialplanFunction = {
  read(env, a) { return env.deps.globals.get(a.trim()) ?? ""; },
  write(env, a, value) {
    const name = a.trim();
    if (name === "") return;
    if (value === "") env.deps.globals.delete(name); else env.deps.globals.set(name, value);
  },
};

function dbPath(env: ExecutionEnv, a: string, fn: string) {
  const p = splitDbPath(a.trim());
  if (!p) env.warn("func_db.c", `${fn} requires an argument, ${fn}(<family>/<key>)`);
  return p;
}

const DB: DialplanFunction = {
  read(env, a) {
    const p = dbPath(env, a, "DB");
    if (!p) return "";
    const v = env.deps.astdb.get(p.family, p.key);
    if (v === undefined) { env.setVar("DB_RESULT", ""); return ""; }
    env.setVar("DB_RESULT", v);
    return v;
  },
  write(env, a, value) {
    const p = dbPath(env, a, "DB");
    if (p) env.deps.astdb.put(p.family, p.key, value);
  },
};

const DB_EXISTS: DialplanFunction = {
  read(env, a) {
    const p = dbPath(env, a, "DB_EXISTS");
    if (!p) return "0";
    const v = env.deps.astdb.get(p.family, p.key);
    env.setVar("DB_RESULT", v ?? "");
    return v === undefined ? "0" : "1";
  },
};

const DB_DELETE: DialplanFunction = {
  read(env, a) {
    const p = dbPath(env, a, "DB_DELETE");
    if (!p) return "";
    const v = env.deps.astdb.get(p.family, p.key);
    if (v === undefined) { env.channel.log("DEBUG", "func_db.c", `DB_DELETE: ${p.family}/${p.key} not found in database.`); return ""; }
    env.deps.astdb.del(p.family, p.key);
    return v;
  },
};

/** DB_KEYS(prefix): the next level of keys under a family, comma separated. */
const DB_KEYS: DialplanFunction = {
  read(env, a) {
    const prefix = `/${a.trim().replace(/^\/+|\/+$/g, "")}`;
    const keys = new Set<string>();
    for (const [k] of env.deps.astdb.show(prefix)) {
      const rest = k.slice(prefix.length + 1);
      if (rest !== "") keys.add(rest.split("/")[0]);
    }
    return [...keys].join(",");
  },
};

/** CUT(varname,delimiter,fields): fields like `2`, `1-3`, `2-`, `-2`, joined with `&`. */
const CUT: DialplanFunction = {
  read(env, a) {
    const [name = "", delimText = "", spec = ""] = splitArguments(a);
    if (name === "") { env.warn("func_cut.c", "Syntax: CUT(<varname>,<char-delim>,<range-spec>) - missing argument!"); return ""; }
    const delim = delimText === "" ? "-" : delimText.startsWith("\\") ? unescape(delimText) : delimText[0];
    const value = env.getVar(name.trim()) ?? "";
    const fields = value.split(delim);
    const out: string[] = [];
    for (const part of spec.split("&")) {
      const m = /^\s*(\d*)\s*(-?)\s*(\d*)\s*$/.exec(part);
      if (!m || (m[1] === "" && m[3] === "" && m[2] === "")) { env.warn("func_cut.c", `Invalid field specification '${part}'`); continue; }
      const from = m[1] === "" ? 1 : Number(m[1]);
      const to = m[2] === "" ? from : m[3] === "" ? fields.length : Number(m[3]);
      for (let i = Math.max(1, from); i <= Math.min(to, fields.length); i++) out.push(fields[i - 1]);
    }
    return out.join(delim);
  },
};

function unescape(s: string): string {
  const c = s[1];
  return c === "n" ? "\n" : c === "t" ? "\t" : c === "r" ? "\r" : c ?? "\\";
}

/** `cond?true:false` split at the first `?` and the first `:` after it. */
function branches(text: string): [string, string, string] | undefined {
  const q = text.indexOf("?");
  if (q < 0) return undefined;
  const rest = text.slice(q + 1);
  const c = rest.indexOf(":");
  return [text.slice(0, q), c < 0 ? rest : rest.slice(0, c), c < 0 ? "" : rest.slice(c + 1)];
}

const IF: DialplanFunction = {
  read(env, a) {
    const b = branches(a);
    if (!b) { env.warn("func_logic.c", "Syntax IF(<expr>?[<true>][:<false>])  (expr must be non-null, and either <true> or <false> must be non-null)"); return ""; }
    return (isTrueCondition(b[0].trim()) ? b[1] : b[2]).trim();
  },
};

const IFTIME: DialplanFunction = {
  read(env, a) {
    const b = branches(a);
    if (!b) { env.warn("func_logic.c", "Syntax IFTIME(<timespec>?[<true>][:<false>])"); return ""; }
    const timing = parseTiming(b[0].trim(), (m) => env.warn("func_logic.c", m));
    return (timingHoldsAt(timing, env.channel.now(), env.deps.timezone) ? b[1] : b[2]).trim();
  },
};

const SET: DialplanFunction = {
  read(env, a) {
    const eq = a.indexOf("=");
    if (eq < 0) { env.warn("func_logic.c", "Syntax SET(<varname>=[<value>])"); return ""; }
    const name = a.slice(0, eq).trim(), value = a.slice(eq + 1);
    if (name.includes("(")) {
      const open = name.indexOf("(");
      env.writeFunction(name.slice(0, open), name.slice(open + 1, name.lastIndexOf(")")), value);
    } else env.setVar(name, value);
    return value;
  },
};

const EXISTS: DialplanFunction = {
  read(env, a) { return env.getVar(a.trim()) !== undefined ? "1" : "0"; },
};

const EXCEPTION: DialplanFunction = {
  read(env, a) {
    const e = env.exception;
    if (!e) return "";
    switch (a.trim().toLowerCase()) {
      case "reason": return e.reason;
      case "context": return e.context;
      case "exten": return e.exten;
      case "priority": return String(e.priority);
      default: env.warn("pbx.c", `Unknown EXCEPTION field '${a}'`); return "";
    }
  },
};

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(3);
}

const TIMEOUT: DialplanFunction = {
  read(env, a) {
    const t = env.timeouts;
    switch (a.trim().toLowerCase()[0]) {
      case "a": return t.absoluteAt === undefined ? "0" : formatSeconds(Math.max(0, (t.absoluteAt - env.channel.now()) / 1000));
      case "d": return formatSeconds(t.digitMs);
      case "r": return formatSeconds(t.responseMs);
      default: env.warn("func_timeout.c", `Unknown timeout type specified '${a}'.`); return "";
    }
  },
  write(env, a, value) {
    const secs = Number.parseFloat(value);
    const ms = Number.isFinite(secs) && secs > 0 ? secs * 1000 : 0;
    const t = env.timeouts;
    switch (a.trim().toLowerCase()[0]) {
      case "a":
        if (ms > 0) {
          t.absoluteAt = env.channel.now() + ms * 1000;
          env.verbose(`Channel will hangup at ${secs} seconds from now.`);
        } else {
          delete t.absoluteAt;
          env.verbose("Channel hangup cancelled.");
        }
        return;
      case "d": t.digitMs = ms; env.verbose(`Digit timeout set to ${formatSeconds(ms)}`); return;
      case "r": t.responseMs = ms; env.verbose(`Response timeout set to ${formatSeconds(ms)}`); return;
      default: env.warn("func_timeout.c", `Unknown timeout type specified '${a}'.`);
    }
  },
};

const HANGUPCAUSE: DialplanFunction = {
  read(env, a) {
    const [channel = "", type = ""] = args(a);
    const entry = env.hangupCauses.get(channel);
    if (!entry) { env.warn("func_hangupcause.c", `Unable to find information for channel ${channel}`); return ""; }
    if (type.toLowerCase() === "ast") return String(entry.cause);
    if (type.toLowerCase() === "tech") return entry.tech;
    env.warn("func_hangupcause.c", `Information type '${type}' is not supported`);
    return "";
  },
};

const HANGUPCAUSE_KEYS: DialplanFunction = {
  read(env) { return [...env.hangupCauses.keys()].join(","); },
};

const STATE_NAMES: Readonly<Record<string, string>> = {
  down: "Down", reserved: "Rsrvd", ring: "Ring", ringing: "Ringing", progress: "Ring", busy: "Busy", dialing: "Dialing", up: "Up", hungup: "Down", destroyed: "Down",
};

const CHANNEL: DialplanFunction = {
  read(env, a) {
    const [item = "", ...rest] = args(a);
    const c = env.channel.context();
    switch (item.toLowerCase()) {
      case "name": return c.name;
      case "uniqueid": return c.uniqueid;
      case "linkedid": return c.linkedid;
      case "state": return STATE_NAMES[env.channel.state()] ?? env.channel.state();
      case "channeltype": case "tech": return c.tech;
      case "language": return env.channelSettings.get("language") ?? env.channel.language ?? "en";
      case "musicclass": return env.channelSettings.get("musicclass") ?? "";
      case "accountcode": return c.accountcode;
      case "peeraccount": return c.peeraccount;
      case "amaflags": return c.amaflags || "DOCUMENTATION";
      case "userfield": return c.userfield;
      case "context": return env.position.context;
      case "exten": return env.position.exten;
      case "callid": return env.channel.sipCallId?.() ?? "";
      case "endpoint": return c.endpoint;
      case "peer": return env.getVar("BRIDGEPEER") ?? env.getVar("DIALEDPEERNAME") ?? "";
      case "hangupsource": return c.hangupSource ?? "";
      case "hangup_handler_stack": return [...env.hangupHandlers].reverse().join(",");
      case "pjsip": return rest[0]?.toLowerCase() === "call-id" ? env.channel.sipCallId?.() ?? "" : "";
      default: env.warn("func_channel.c", `Unknown or unavailable item requested: '${item}'`); return "";
    }
  },
  write(env, a, value) {
    const [item = ""] = args(a);
    switch (item.toLowerCase()) {
      case "language": case "musicclass": env.channelSettings.set(item.toLowerCase(), value); return;
      case "accountcode": case "peeraccount": case "userfield":
        env.channel.setCdrField(item.toLowerCase() as "accountcode", value); return;
      case "amaflags": CDR.write!(env, "amaflags", value); return;
      case "hangup_handler_push": env.hangupHandlers.push(value); return;
      case "hangup_handler_pop": env.hangupHandlers.pop(); if (value !== "") env.hangupHandlers.push(value); return;
      case "hangup_handler_wipe": env.hangupHandlers.length = 0; if (value !== "") env.hangupHandlers.push(value); return;
      default: env.warn("func_channel.c", `Unknown or unavailable item requested: '${item}'`);
    }
  },
};

/** CHANNELS([regex]): names of the live channels, space separated (deps.channels lists them). */
const CHANNELS: DialplanFunction = {
  read(env, a) {
    const names = env.deps.channels?.() ?? [env.channel.context().name];
    const pattern = a.trim();
    if (pattern === "") return names.join(" ");
    let re: RegExp;
    try { re = new RegExp(pattern); } catch { env.warn("func_channel.c", `Failed to compile regex '${pattern}'`); return ""; }
    return names.filter((n) => re.test(n)).join(" ");
  },
};

const PJSIP_DIAL_CONTACTS: DialplanFunction = {
  read(env, a) {
    const [endpoint = "", aor, user] = args(a);
    if (endpoint === "") { env.warn("res_pjsip.c", "An endpoint name must be specified when using the 'PJSIP_DIAL_CONTACTS' dialplan function"); return ""; }
    if (!env.deps.dialContacts) { env.warn("res_pjsip.c", "PJSIP_DIAL_CONTACTS is not available: no contact resolver"); return ""; }
    return env.deps.dialContacts(endpoint, aor || undefined, user || undefined);
  },
};

/** LOCAL(var): a variable that lives until the current Gosub returns. */
const LOCAL: DialplanFunction = {
  read(env, a) { return env.getVar(a.trim()) ?? ""; },
  write(env, a, value) { env.setLocal(a.trim(), value); },
};

const LOCAL_PEEK: DialplanFunction = {
  read(env, a) {
    const [n = "0", name = ""] = args(a);
    return env.peekLocal(Number.parseInt(n, 10) || 0, name);
  },
};

const DIALPLAN_EXISTS: DialplanFunction = {
  read(env, a) {
    const [context = "", exten, priority] = args(a);
    if (context === "") { env.warn("pbx.c", "DIALPLAN_EXISTS() requires an argument"); return "0"; }
    if (exten === undefined) return env.dialplan.contexts.has(context) ? "1" : "0";
    if (priority === undefined) return env.exists(context, exten, 1) ? "1" : "0";
    const p = Number(priority);
    if (Number.isInteger(p) && p > 0) return env.exists(context, exten, p) ? "1" : "0";
    const saved = env.resolveGoto(`${context},${exten},${priority}`);
    return typeof saved === "string" ? "0" : "1";
  },
};

const VALID_EXTEN: DialplanFunction = {
  read(env, a) {
    const [context = "", exten = "", priority = "1"] = args(a);
    if (exten === "") { env.warn("pbx.c", "Syntax: VALID_EXTEN([<context>],<extension>[,<priority>]) - missing argument <extension>!"); return "0"; }
    return env.exists(context || env.position.context, exten, Number(priority) || 1) ? "1" : "0";
  },
};

const SHELL: DialplanFunction = {
  dangerous: true,
  read(env, a) {
    if (!env.deps.outside?.shell) { env.warn("func_shell.c", "SHELL is not available on this system"); return ""; }
    return env.deps.outside.shell(a);
  },
};

const FILE: DialplanFunction = {
  dangerous: true,
  read(env, a) {
    const [path = "", offset, length] = splitArguments(a);
    if (!env.deps.outside?.readFile) { env.warn("func_env.c", "FILE is not available on this system"); return ""; }
    let text = env.deps.outside.readFile(path);
    const o = Number.parseInt(offset ?? "", 10), l = Number.parseInt(length ?? "", 10);
    if (Number.isFinite(o)) text = o < 0 ? text.slice(Math.max(0, text.length + o)) : text.slice(o);
    if (Number.isFinite(l)) text = l < 0 ? text.slice(0, Math.max(0, text.length + l)) : text.slice(0, l);
    return text;
  },
  write(env, a, value) {
    const [path = "", , , options = ""] = splitArguments(a);
    if (!env.deps.outside?.writeFile) { env.warn("func_env.c", "FILE is not available on this system"); return; }
    env.deps.outside.writeFile(path, value, options.includes("a"));
  },
};

const STAT: DialplanFunction = { dangerous: true, read(env) { env.warn("func_env.c", "STAT is not available on this system"); return ""; } };

const FUNCTIONS: ReadonlyMap<string, DialplanFunction> = new Map(Object.entries({
  CALLERID, CONNECTEDLINE, REDIRECTING, CDR, GLOBAL, DB, DB_EXISTS, DB_DELETE, DB_KEYS, CUT, IF, IFTIME, SET, EXISTS,
  EXCEPTION, TIMEOUT, HANGUPCAUSE, HANGUPCAUSE_KEYS, CHANNEL, CHANNELS, PJSIP_DIAL_CONTACTS, LOCAL, LOCAL_PEEK, DIALPLAN_EXISTS,
  VALID_EXTEN, SHELL, FILE, STAT, ...queueFunctions,
}));

/** Names of the functions the runtime provides (plus LEN and ISNULL from the core), for `core show functions`. */
export function functionNames(): string[] {
  return [...FUNCTIONS.keys(), "LEN", "ISNULL"].sort();
}

function allowed(env: ExecutionEnv, name: string, fn: DialplanFunction, what: "read" | "write"): boolean {
  if (!fn.dangerous || env.deps.liveDangerously) return true;
  const from = env.deps.origin && env.deps.origin !== "dialplan" ? ` from ${env.deps.origin.toUpperCase()}` : "";
  env.channel.log("ERROR", "pbx_functions.c", `Dangerous function ${name} ${what} blocked${from}: set live_dangerously = yes in asterisk.conf [options] to allow it`);
  return false;
}

/** Reads a function; undefined when no such function exists (the caller warns and uses ""). */
export function readChannelFunction(env: ExecutionEnv, name: string, a: string): string | undefined {
  const fn = env.deps.functions?.get(name.toUpperCase()) ?? FUNCTIONS.get(name.toUpperCase()) ?? FUNCTIONS.get(name);
  if (!fn) return undefined;
  if (!fn.read) { env.warn("pbx_functions.c", `Function ${name} cannot be read`); return ""; }
  if (!allowed(env, name, fn, "read")) return "";
  return fn.read(env, a);
}

/** Writes a function; false when no such function exists. */
export function writeChannelFunction(env: ExecutionEnv, name: string, a: string, value: string): boolean {
  const fn = env.deps.functions?.get(name.toUpperCase()) ?? FUNCTIONS.get(name.toUpperCase()) ?? FUNCTIONS.get(name);
  if (!fn) return false;
  if (!fn.write) { env.warn("pbx_functions.c", `Function ${name} cannot be written to`); return true; }
  if (allowed(env, name, fn, "write")) fn.write(env, a, value);
  return true;
}
