/**
 * app_queue's dialplan functions over `deps.queues`: QUEUE_MEMBER (logged, free,
 * ready, count, penalty, paused, ringinuse, ignorebusy; penalty, paused and ringinuse
 * writable), QUEUE_MEMBER_COUNT, QUEUE_MEMBER_LIST, QUEUE_MEMBER_PENALTY,
 * QUEUE_WAITING_COUNT, QUEUE_VARIABLES, QUEUE_EXISTS, QUEUE_GET_CHANNEL.
 */
import type { ExecutionEnv } from "./executor.js";
import { splitArguments } from "./functions.js";
import type { MemberView, QueueService } from "../actors/queue/service.js";
import { yesNo } from "../conf/yes-no.js";
import type { DialplanFunction } from "./channel-functions.js";

const args = (text: string) => splitArguments(text).map((a) => a.trim());

function service(env: ExecutionEnv, fn: string, queue: string): QueueService | undefined {
  const s = env.deps.queues;
  if (!s || !s.config(queue)) { env.warn("app_queue.c", `${fn}: queue '${queue}' not found`); return undefined; }
  return s;
}

const logged = (m: MemberView) => m.device !== "UNAVAILABLE" && m.device !== "INVALID";
const free = (m: MemberView) => logged(m) && !m.paused && m.state !== "incall" && (m.device === "NOT_INUSE" || m.device === "UNKNOWN");

const QUEUE_MEMBER: DialplanFunction = {
  read(env, a) {
    const [queue = "", option = "", iface = ""] = args(a);
    if (!queue || !option) { env.warn("app_queue.c", "QUEUE_MEMBER: Missing required argument. QUEUE_MEMBER(<queuename>,<option>[,<interface>])"); return ""; }
    const s = service(env, "QUEUE_MEMBER", queue);
    if (!s) return "";
    const members = s.members(queue);
    switch (option.toLowerCase()) {
      case "logged": return String(members.filter(logged).length);
      case "free": return String(members.filter(free).length);
      case "ready": return String(members.filter((m) => free(m) && m.state === "available").length);
      case "count": return String(members.length);
    }
    const m = members.find((x) => x.interface === iface);
    if (!iface || !m) { env.warn("app_queue.c", `QUEUE_MEMBER: Invalid interface '${iface}' for queue '${queue}'`); return ""; }
    switch (option.toLowerCase()) {
      case "penalty": return String(m.penalty);
      case "paused": return m.paused ? "1" : "0";
      case "ringinuse": return (m.ringinuse ?? s.config(queue)!.ringinuse) ? "1" : "0";
      case "ignorebusy": return (m.ringinuse ?? s.config(queue)!.ringinuse) ? "1" : "0";
      default: env.warn("app_queue.c", `QUEUE_MEMBER: Invalid option '${option}'`); return "";
    }
  },
  write(env, a, value) {
    const [queue = "", option = "", iface = ""] = args(a);
    const s = env.deps.queues;
    if (!s || !option || !iface) { env.warn("app_queue.c", "QUEUE_MEMBER: Missing argument. QUEUE_MEMBER([<queuename>],<option>,<interface>)=<value>"); return; }
    const q = queue || undefined;
    let ok = false;
    switch (option.toLowerCase()) {
      case "penalty": {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) { env.warn("app_queue.c", `Invalid penalty '${value}'`); return; }
        ok = s.setPenalty(q, iface, n, "dialplan");
        break;
      }
      case "paused": ok = s.setPaused(q, iface, yesNo(value) === true, "", "dialplan"); break;
      case "ringinuse": case "ignorebusy": {
        const b = yesNo(value);
        if (b === undefined) { env.warn("app_queue.c", `Invalid ${option} value '${value}'`); return; }
        for (const name of q ? [q] : s.names()) ok = s.sendMember(name, iface, { source: "dialplan", type: "ringinuse", ringinuse: b }) || ok;
        break;
      }
      default: env.warn("app_queue.c", `QUEUE_MEMBER: Invalid option '${option}'`); return;
    }
    if (!ok) env.warn("app_queue.c", `QUEUE_MEMBER: Invalid interface '${iface}'${queue ? ` for queue '${queue}'` : ""}`);
  },
};

const QUEUE_MEMBER_COUNT: DialplanFunction = {
  read(env, a) {
    const [queue = ""] = args(a);
    const s = service(env, "QUEUE_MEMBER_COUNT", queue);
    return s ? String(s.members(queue).filter(logged).length) : "0";
  },
};

const QUEUE_MEMBER_LIST: DialplanFunction = {
  read(env, a) {
    const [queue = ""] = args(a);
    const s = service(env, "QUEUE_MEMBER_LIST", queue);
    return s ? s.members(queue).map((m) => m.interface).join(",") : "";
  },
};

const QUEUE_MEMBER_PENALTY: DialplanFunction = {
  read(env, a) { const [q = "", i = ""] = args(a); return QUEUE_MEMBER.read!(env, `${q},penalty,${i}`); },
  write(env, a, value) { const [q = "", i = ""] = args(a); QUEUE_MEMBER.write!(env, `${q},penalty,${i}`, value); },
};

const QUEUE_WAITING_COUNT: DialplanFunction = {
  read(env, a) {
    const [queue = ""] = args(a);
    const s = service(env, "QUEUE_WAITING_COUNT", queue);
    return s ? String(s.callers(queue).length) : "0";
  },
};

const QUEUE_EXISTS: DialplanFunction = {
  read(env, a) { const [queue = ""] = args(a); return env.deps.queues?.config(queue) ? "1" : "0"; },
};

const QUEUE_GET_CHANNEL: DialplanFunction = {
  read(env, a) {
    const [queue = "", pos = "1"] = args(a);
    const s = service(env, "QUEUE_GET_CHANNEL", queue);
    const n = Number(pos || "1");
    if (!s || !Number.isInteger(n) || n < 1) return "";
    return s.callers(queue)[n - 1]?.channel ?? "";
  },
};

/**
 * A queue's statistics as app_queue's set_queue_variables names them (QUEUEMAX,
 * QUEUESTRATEGY, QUEUECALLS, QUEUEHOLDTIME, QUEUETALKTIME, QUEUECOMPLETED, QUEUEABANDONED,
 * QUEUESRVLEVEL, QUEUESRVLEVELPERF); undefined for an unknown queue.
 */
export function queueVariables(s: QueueService, queue: string): Record<string, string> | undefined {
  const st = s.state(queue), c = s.config(queue);
  if (!st || !c) return undefined;
  const perf = st.completed > 0 ? (100 * st.completedInSl) / st.completed : 0;
  return {
    QUEUEMAX: String(c.maxlen), QUEUESTRATEGY: c.strategy, QUEUECALLS: String(st.callers.length),
    QUEUEHOLDTIME: String(st.connected ? Math.round(st.holdtimeTotal / st.connected) : 0),
    QUEUETALKTIME: String(st.completed ? Math.round(st.talktimeTotal / st.completed) : 0),
    QUEUECOMPLETED: String(st.completed), QUEUEABANDONED: String(st.abandoned),
    QUEUESRVLEVEL: String(c.servicelevel), QUEUESRVLEVELPERF: perf.toFixed(1),
  };
}

/** QUEUE_VARIABLES(q): sets queueVariables' variables on the channel; reads as "". */
const QUEUE_VARIABLES: DialplanFunction = {
  read(env, a) {
    const [queue = ""] = args(a);
    const s = service(env, "QUEUE_VARIABLES", queue);
    const vars = s && queueVariables(s, queue);
    for (const [name, value] of Object.entries(vars ?? {})) env.setVar(name, value);
    return "";
  },
};

export const queueFunctions: Readonly<Record<string, DialplanFunction>> = {
  QUEUE_MEMBER, QUEUE_MEMBER_COUNT, QUEUE_MEMBER_LIST, QUEUE_MEMBER_PENALTY, QUEUE_WAITING_COUNT, QUEUE_EXISTS, QUEUE_GET_CHANNEL, QUEUE_VARIABLES,
};
