/**
 * queues.conf (and queuerules.conf) as app_queue reads them. `[general]` holds the
 * module's settings; every other section is a queue, `[name](!)` a template and
 * `[name](tmpl)` inheritance through the shared tokenizer. A bad value is a warning
 * naming file, line, queue and reason, and the option keeps its default, as Asterisk
 * does: the queue still loads.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfError, parseConfFile, resolveTemplates, type ConfDiagnostic, type ConfEntry } from "../../conf/tokenizer.js";
import { yesNo } from "../../conf/yes-no.js";
import { parsePenaltyChange, type PenaltyRule } from "./penalty.js";

export const STRATEGIES = ["ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "rrordered", "linear", "wrandom"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Member states a joinempty/leavewhenempty list treats as "not there". */
export const EMPTY_CONDITIONS = ["penalty", "paused", "inuse", "ringing", "unavailable", "invalid", "unknown", "wrapup"] as const;
export type EmptyCondition = (typeof EMPTY_CONDITIONS)[number];

export interface StaticMember {
  readonly interface: string;
  readonly penalty: number;
  readonly name: string;
  readonly stateInterface: string;
  readonly ringinuse?: boolean;
  readonly wrapuptime?: number;
  readonly paused: boolean;
}

export interface QueueGeneral {
  readonly persistentmembers: boolean;
  readonly autofill: boolean;
  readonly monitorType: string;
  readonly sharedLastcall: boolean;
  readonly logMembernameAsAgent: boolean;
  readonly updatecdr: boolean;
}

export interface QueueConfig {
  readonly name: string;
  readonly strategy: Strategy;
  /** Seconds a member rings before the next try. */
  readonly timeout: number;
  /** Seconds between two rounds of ringing. */
  readonly retry: number;
  readonly wrapuptime: number;
  readonly weight: number;
  /** Callers waiting at most (0: no limit). */
  readonly maxlen: number;
  readonly servicelevel: number;
  readonly joinempty: readonly EmptyCondition[];
  readonly leavewhenempty: readonly EmptyCondition[];
  readonly ringinuse: boolean;
  readonly autofill: boolean;
  readonly announceFrequency: number;
  readonly minAnnounceFrequency: number;
  readonly announceHoldtime: "yes" | "no" | "once";
  readonly announcePosition: "yes" | "no" | "limit" | "more";
  readonly announcePositionLimit: number;
  readonly periodicAnnounce: readonly string[];
  readonly periodicAnnounceFrequency: number;
  readonly musicclass: string;
  readonly context: string;
  readonly penaltymemberslimit: number;
  readonly defaultrule: string;
  /** Files played to the member who answers, before the bridge (`&` between them); Queue()'s announceoverride replaces them. */
  readonly announce: string;
  /** Context run as a subroutine on the member's channel when no gosub argument is given. */
  readonly membergosub: string;
  readonly reportholdtime: boolean;
  /** A member's busy or congestion (or other early failure) starts the try's `timeout` again (not for ringall). */
  readonly timeoutrestart: boolean;
  /** Pause a member who does not answer: in this queue (`yes`) or in every queue (`all`); reason "Auto-Pause". */
  readonly autopause: "no" | "yes" | "all";
  /** Seconds after a member's last call during which it is not auto-paused (0: always). */
  readonly autopausedelay: number;
  /** Auto-pause also a member who was busy, or unavailable (congestion, unreachable). */
  readonly autopausebusy: boolean;
  readonly autopauseunavail: boolean;
  /** Record answered calls with MixMonitor in this format (file extension); "" records nothing. */
  readonly monitorFormat: string;
  /** Variables set on the caller and the member when it connects: MEMBER* (setinterfacevar), QE* (setqueueentryvar); QUEUE* also when the caller leaves (setqueuevar). */
  readonly setinterfacevar: boolean;
  /** Seconds of silence for a member who answered before anything else (announcements, the bridge). */
  readonly memberdelay: number;
  /** Which timeout wins when Queue()'s is shorter than a try: `app` cuts the try short, `conf` rings the whole `timeout`. */
  readonly timeoutpriority: "app" | "conf";
  readonly setqueueentryvar: boolean;
  readonly setqueuevar: boolean;
  readonly members: readonly StaticMember[];
}


export interface QueuesConf {
  readonly general: QueueGeneral;
  readonly queues: ReadonlyMap<string, QueueConfig>;
  readonly rules: ReadonlyMap<string, readonly PenaltyRule[]>;
  readonly warnings: readonly ConfDiagnostic[];
}

export const DEFAULT_GENERAL: QueueGeneral = {
  persistentmembers: true, autofill: true, monitorType: "MixMonitor", sharedLastcall: true, logMembernameAsAgent: false, updatecdr: false,
};

export function defaultQueue(name: string, general: QueueGeneral = DEFAULT_GENERAL): QueueConfig {
  return {
    name, strategy: "ringall", timeout: 15, retry: 5, wrapuptime: 0, weight: 0, maxlen: 0, servicelevel: 0,
    joinempty: [], leavewhenempty: [], ringinuse: true, autofill: general.autofill,
    announceFrequency: 0, minAnnounceFrequency: 15, announceHoldtime: "no", announcePosition: "yes", announcePositionLimit: 5,
    periodicAnnounce: [], periodicAnnounceFrequency: 0, musicclass: "", context: "",
    penaltymemberslimit: 0, defaultrule: "", announce: "", membergosub: "", reportholdtime: false,
    timeoutrestart: false, autopause: "no", autopausedelay: 0, autopausebusy: false, autopauseunavail: false, monitorFormat: "",
    setinterfacevar: false, setqueueentryvar: false, setqueuevar: false, memberdelay: 0, timeoutpriority: "app", members: [],
  };
}

/**
 * joinempty / leavewhenempty: a list of conditions, or the words Asterisk maps onto
 * lists (`yes` for joinempty is "join anyway", for leavewhenempty "leave when nobody
 * can answer"; `strict`, `loose`).
 */
export function parseEmptyConditions(value: string, join: boolean): { conditions: EmptyCondition[]; unknown: string[] } {
  let set = new Set<EmptyCondition>();
  const unknown: string[] = [];
  for (const raw of value.split(",")) {
    const option = raw.trim().toLowerCase();
    if (option === "") continue;
    if ((EMPTY_CONDITIONS as readonly string[]).includes(option)) set.add(option as EmptyCondition);
    else if (option === "loose") set = new Set(["penalty", "invalid"]);
    else if (option === "strict") set = new Set(["penalty", "invalid", "paused", "unavailable"]);
    else {
      const b = yesNo(option);
      if (b === undefined) unknown.push(option);
      else if (b !== join) set = new Set(["penalty", "invalid", "paused"]); // joinempty=no, leavewhenempty=yes
      else set = new Set();
    }
  }
  return { conditions: [...set], unknown };
}

/** `interface,penalty,name,state_interface,ringinuse,wrapuptime,paused`, as reload_single_member reads it. */
export function parseMemberLine(value: string): { member?: StaticMember; problem?: string } {
  const parts = value.split(",").map((p) => p.trim());
  const iface = parts[0] ?? "";
  if (!iface.includes("/")) return { problem: `member '${value}': interface must be Technology/Resource` };
  const penaltyText = parts[1] ?? "";
  const penalty = penaltyText === "" ? 0 : Number(penaltyText);
  if (!Number.isInteger(penalty) || penalty < 0) return { problem: `member '${value}': penalty '${penaltyText}' is not a whole number` };
  const wrapText = parts[5] ?? "";
  const wrapuptime = wrapText === "" ? undefined : Number(wrapText);
  if (wrapuptime !== undefined && !(wrapuptime >= 0)) return { problem: `member '${value}': wrapuptime '${wrapText}' is not a number` };
  const ringinuse = parts[4] ? yesNo(parts[4]) : undefined;
  return {
    member: {
      interface: iface, penalty, name: parts[2] || iface, stateInterface: parts[3] || iface, paused: yesNo(parts[6] ?? "") === true,
      ...(ringinuse !== undefined ? { ringinuse } : {}), ...(wrapuptime !== undefined ? { wrapuptime } : {}),
    },
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Apply one queue option; a string is the reason it was refused (the default stays). */
function applyOption(q: Mutable<QueueConfig>, e: ConfEntry, members: StaticMember[]): string | undefined {
  const key = e.key.toLowerCase(), value = e.value.trim();
  const int = (min = 0): number | string => {
    const n = Number(value);
    return value !== "" && Number.isFinite(n) && n >= min ? Math.floor(n) : `'${value}' is not a number of at least ${min}`;
  };
  const setInt = (field: "timeout" | "retry" | "wrapuptime" | "weight" | "maxlen" | "servicelevel" | "announceFrequency" | "minAnnounceFrequency"
    | "announcePositionLimit" | "periodicAnnounceFrequency" | "penaltymemberslimit" | "autopausedelay" | "memberdelay", min = 0) => {
    const n = int(min);
    if (typeof n === "string") return `${e.key}: ${n}`;
    q[field] = n;
    return undefined;
  };
  const bool = (field: "ringinuse" | "autofill" | "reportholdtime" | "timeoutrestart" | "autopausebusy" | "autopauseunavail"
    | "setinterfacevar" | "setqueueentryvar" | "setqueuevar") => {
    const b = yesNo(value);
    if (b === undefined) return `${e.key}: '${value}' is not yes or no`;
    q[field] = b;
    return undefined;
  };
  switch (key) {
    case "member": {
      const r = parseMemberLine(value);
      if (r.problem) return r.problem;
      const i = members.findIndex((m) => m.interface === r.member!.interface);
      if (i >= 0) members[i] = r.member!; else members.push(r.member!);
      return undefined;
    }
    case "strategy": {
      const s = value.toLowerCase() === "roundrobin" ? "rrmemory" : value.toLowerCase();
      if (!(STRATEGIES as readonly string[]).includes(s)) return `strategy: unknown strategy '${value}', using ringall`;
      q.strategy = s as Strategy;
      return undefined;
    }
    case "timeout": return setInt("timeout");
    case "retry": return setInt("retry");
    case "wrapuptime": return setInt("wrapuptime");
    case "weight": return setInt("weight");
    case "maxlen": return setInt("maxlen");
    case "servicelevel": return setInt("servicelevel");
    case "announce-frequency": return setInt("announceFrequency");
    case "min-announce-frequency": return setInt("minAnnounceFrequency");
    case "announce-position-limit": return setInt("announcePositionLimit");
    case "periodic-announce-frequency": return setInt("periodicAnnounceFrequency");
    case "penaltymemberslimit": return setInt("penaltymemberslimit");
    case "ringinuse": return bool("ringinuse");
    case "autofill": return bool("autofill");
    case "reportholdtime": return bool("reportholdtime");
    case "timeoutrestart": return bool("timeoutrestart");
    case "setinterfacevar": return bool("setinterfacevar");
    case "setqueueentryvar": return bool("setqueueentryvar");
    case "setqueuevar": return bool("setqueuevar");
    case "autopausebusy": return bool("autopausebusy");
    case "autopauseunavail": return bool("autopauseunavail");
    case "autopausedelay": return setInt("autopausedelay");
    case "memberdelay": return setInt("memberdelay");
    case "timeoutpriority": {
      const v = value.toLowerCase();
      if (v !== "app" && v !== "conf") return `timeoutpriority: '${value}' is not app or conf`;
      q.timeoutpriority = v;
      return undefined;
    }
    case "autopause": {
      const v = value.toLowerCase();
      if (v === "all") { q.autopause = "all"; return undefined; }
      const b = yesNo(v);
      if (b === undefined) return `autopause: '${value}' is not yes, no or all`;
      q.autopause = b ? "yes" : "no";
      return undefined;
    }
    case "monitor-format": q.monitorFormat = value; return undefined;
    case "joinempty": case "leavewhenempty": {
      const r = parseEmptyConditions(value, key === "joinempty");
      if (key === "joinempty") q.joinempty = r.conditions; else q.leavewhenempty = r.conditions;
      return r.unknown.length ? `${e.key}: unknown option ${r.unknown.map((u) => `'${u}'`).join(", ")}` : undefined;
    }
    case "announce-holdtime": {
      const v = value.toLowerCase();
      if (v === "once") { q.announceHoldtime = "once"; return undefined; }
      const b = yesNo(v);
      if (b === undefined) return `announce-holdtime: '${value}' is not yes, no or once`;
      q.announceHoldtime = b ? "yes" : "no";
      return undefined;
    }
    case "announce-position": {
      const v = value.toLowerCase();
      if (v === "limit" || v === "more") { q.announcePosition = v; return undefined; }
      const b = yesNo(v);
      if (b === undefined) return `announce-position: '${value}' is not yes, no, limit or more`;
      q.announcePosition = b ? "yes" : "no";
      return undefined;
    }
    case "periodic-announce": q.periodicAnnounce = value.split(value.includes("|") ? "|" : ",").map((s) => s.trim()).filter(Boolean); return undefined;
    case "musicclass": case "musiconhold": q.musicclass = value; return undefined;
    case "context": q.context = value; return undefined;
    case "defaultrule": q.defaultrule = value; return undefined;
    case "announce": q.announce = value; return undefined;
    case "membergosub": q.membergosub = value; return undefined;
    default: return undefined; // options Recall reads but does not act on yet (announce files, setinterfacevar, ...)
  }
}

/** queues.conf text already tokenized: the queues, their members, the warnings. */
export function loadQueuesConf(configDir: string): QueuesConf {
  const path = join(configDir, "queues.conf");
  const warnings: ConfDiagnostic[] = [];
  const rules = loadQueueRules(configDir, warnings);
  if (!existsSync(path)) return { general: DEFAULT_GENERAL, queues: new Map(), rules, warnings };
  const file = parseConfFile(path);
  warnings.push(...file.warnings);
  let general: QueueGeneral = DEFAULT_GENERAL;
  const queues = new Map<string, QueueConfig>();
  for (const section of resolveTemplates(file)) {
    if (section.name === "general") {
      const g: Mutable<QueueGeneral> = { ...general };
      for (const e of section.entries) {
        const key = e.key.toLowerCase();
        const fields: Record<string, "persistentmembers" | "autofill" | "sharedLastcall" | "logMembernameAsAgent" | "updatecdr"> = {
          persistentmembers: "persistentmembers", autofill: "autofill", shared_lastcall: "sharedLastcall",
          log_membername_as_agent: "logMembernameAsAgent", updatecdr: "updatecdr",
        };
        if (key === "monitor-type") {
          // Asterisk 22 records queue calls with MixMonitor only (app_monitor is gone).
          if (e.value.trim().toLowerCase() !== "mixmonitor") warnings.push({ file: e.file, line: e.line, reason: `[general] monitor-type: '${e.value.trim()}' is not supported, using MixMonitor` });
          continue;
        }
        const field = fields[key];
        if (!field) continue;
        const b = yesNo(e.value);
        if (b === undefined) warnings.push({ file: e.file, line: e.line, reason: `[general] ${e.key}: '${e.value}' is not yes or no` });
        else g[field] = b;
      }
      general = g;
      continue;
    }
    if (section.name === "globals") continue;
    const q: Mutable<QueueConfig> = { ...defaultQueue(section.name, general) };
    const members: StaticMember[] = [];
    for (const e of section.entries) {
      const problem = applyOption(q, e, members);
      if (problem) warnings.push({ file: e.file, line: e.line, reason: `[${section.name}] ${problem}` });
    }
    q.members = members;
    if (q.defaultrule && !rules.has(q.defaultrule)) {
      warnings.push({ file: section.file, line: section.line, reason: `[${section.name}] defaultrule: no rule '${q.defaultrule}' in queuerules.conf` });
    }
    queues.set(section.name, q);
  }
  return { general, queues, rules, warnings };
}

/**
 * queuerules.conf: `[rule]` sections of `penaltychange => seconds,[+|-]max[,[+|-]min[,[r][+|-]raise]]`
 * (penalty.ts), steps sorted by time. A malformed step is a warning and is left out.
 */
function loadQueueRules(configDir: string, warnings: ConfDiagnostic[]): Map<string, PenaltyRule[]> {
  const path = join(configDir, "queuerules.conf");
  const rules = new Map<string, PenaltyRule[]>();
  if (!existsSync(path)) return rules;
  const file = parseConfFile(path);
  warnings.push(...file.warnings);
  for (const section of resolveTemplates(file)) {
    if (section.name === "general") continue;
    const steps: PenaltyRule[] = [];
    for (const e of section.entries) {
      if (e.key.toLowerCase() !== "penaltychange") {
        warnings.push({ file: e.file, line: e.line, reason: `[${section.name}] ${e.key}: unknown option (only penaltychange)` });
        continue;
      }
      const step = parsePenaltyChange(e.value);
      if (typeof step === "string") warnings.push({ file: e.file, line: e.line, reason: `[${section.name}] ${step}; ignored` });
      else steps.push(step);
    }
    rules.set(section.name, steps.sort((a, b) => a.time - b.time));
  }
  return rules;
}

export { ConfError };
export type { PenaltyRule };
