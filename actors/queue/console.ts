/**
 * The `queue ...` console commands, worded as Asterisk 22's app_queue prints them:
 * `queue show [name]`, `queue show rules [rule]`, `queue add member`, `queue remove member`, `queue pause|unpause
 * member`, `queue set penalty`, `queue reset stats`, `queue reload`.
 */
import type { CommandTable } from "../../core/commands.js";
import { DEVICE_STATE_TEXT, type QueueService } from "./service.js";
import { describeStep } from "./penalty.js";

const ago = (now: number, then: number) => Math.max(0, Math.floor((now - then) / 1e6));

/** One queue as `queue show` prints it. */
export function formatQueue(service: QueueService, name: string, now: number): string {
  const c = service.config(name)!;
  const st = service.state(name);
  const callers = st?.callers ?? [];
  const completed = st?.completed ?? 0, abandoned = st?.abandoned ?? 0;
  const holdtime = st && st.connected ? Math.round(st.holdtimeTotal / st.connected) : 0;
  const talktime = st && completed ? Math.round(st.talktimeTotal / completed) : 0;
  const sl = completed ? (100 * (st?.completedInSl ?? 0)) / completed : 0;
  const sl2 = completed + abandoned ? (100 * (st?.completedInSl ?? 0)) / (completed + abandoned) : 0;
  let out = `${name} has ${callers.length} calls (max ${c.maxlen ? c.maxlen : "unlimited"}) in '${c.strategy}' strategy ` +
    `(${holdtime}s holdtime, ${talktime}s talktime), W:${c.weight}, C:${completed}, A:${abandoned}, SL:${sl.toFixed(1)}%, SL2:${sl2.toFixed(1)}% within ${c.servicelevel}s\n`;
  const members = service.members(name);
  if (!members.length) out += "   No Members\n";
  else {
    out += "   Members: \n";
    for (const m of members) {
      let line = `      ${m.name}`;
      if (m.name !== m.interface) line += ` (${m.interface}${m.stateInterface !== m.interface ? ` from ${m.stateInterface}` : ""})`;
      else if (m.stateInterface !== m.interface) line += ` (from ${m.stateInterface})`;
      if (m.penalty) line += ` with penalty ${m.penalty}`;
      line += ` (ringinuse ${(m.ringinuse ?? c.ringinuse) ? "enabled" : "disabled"})`;
      if (m.dynamic) line += " (dynamic)";
      if (m.state === "incall") line += " (in call)";
      if (m.state === "wrapup") line += " (in wrap-up)";
      if (m.paused) line += m.reason ? ` (paused:${m.reason} was ${ago(now, m.lastPause)} secs ago)` : ` (paused was ${ago(now, m.lastPause)} secs ago)`;
      line += ` (${DEVICE_STATE_TEXT[m.device]})`;
      line += m.callsTaken ? ` has taken ${m.callsTaken} calls (last was ${ago(now, m.lastCall)} secs ago)` : " has taken no calls yet";
      line += ` (login was ${ago(now, m.addedAt)} secs ago)`;
      out += `${line}\n`;
    }
  }
  if (!callers.length) out += "   No Callers\n";
  else {
    out += "   Callers: \n";
    callers.forEach((k, i) => {
      const wait = ago(now, k.enteredAt);
      out += `      ${i + 1}. ${k.channel} (wait: ${Math.floor(wait / 60)}:${String(wait % 60).padStart(2, "0")}, prio: 0)\n`;
    });
  }
  return `${out}\n`;
}

/** Words after `keyword` up to the next of `stops`. */
function after(args: readonly string[], keyword: string, stops: readonly string[]): string | undefined {
  const i = args.findIndex((a) => a.toLowerCase() === keyword);
  if (i < 0) return undefined;
  const rest: string[] = [];
  for (const a of args.slice(i + 1)) { if (stops.includes(a.toLowerCase())) break; rest.push(a); }
  return rest.join(" ");
}

export function registerQueueCommands(table: CommandTable, service: QueueService, now: () => number, reload: () => string): void {
  table.register("queue show", "Show status of a specified queue", (args) => {
    if (args.length > 1) return "Usage: queue show [queuename]\n";
    if (args.length === 1) {
      if (!service.config(args[0])) return `No such queue: ${args[0]}.\n`;
      return formatQueue(service, args[0], now());
    }
    const names = service.names();
    return names.length ? names.map((n) => formatQueue(service, n, now())).join("") : "No queues.\n";
  });
  table.register("queue show rules", "Show the rules defined in queuerules.conf", (args) => {
    if (args.length > 1) return "Usage: queue show rules [rulename]\n";
    let out = "";
    for (const [name, steps] of service.rules()) {
      if (args.length && name.toLowerCase() !== args[0].toLowerCase()) continue;
      out += `Rule: ${name}\n${steps.map((s) => `${describeStep(s)}\n`).join("")}`;
    }
    return out;
  });
  table.register("queue add member", "Add a channel to a specified queue", (args) => {
    // queue add member <dial string> to <queue> [penalty <penalty> [as <membername> [state_interface <interface>]]]
    const usage = "Usage: queue add member <dial string> to <queue> [penalty <penalty> [as <membername> [state_interface <interface>]]]\n";
    if (args.length < 3 || args[1].toLowerCase() !== "to") return usage;
    const stops = ["penalty", "as", "state_interface", "reason", "paused"];
    const iface = args[0], queue = args[2];
    const penaltyText = after(args, "penalty", stops);
    const penalty = penaltyText === undefined ? 0 : Number(penaltyText);
    if (!Number.isInteger(penalty) || penalty < 0) return `Penalty must be an integer >= 0\n${usage}`;
    const r = service.addMember(queue, iface, { penalty, name: after(args, "as", stops) ?? "", stateInterface: after(args, "state_interface", stops) ?? "", source: "cli" });
    if (r === "ADDED") return `Added interface '${iface}' to queue '${queue}'\n`;
    if (r === "MEMBERALREADY") return `Unable to add interface '${iface}' to queue '${queue}': Already there\n`;
    return `Unable to add interface to queue '${queue}': No such queue\n`;
  });
  table.register("queue remove member", "Removes a channel from a specified queue", (args) => {
    if (args.length !== 3 || args[1].toLowerCase() !== "from") return "Usage: queue remove member <channel> from <queue>\n";
    const [iface, , queue] = args;
    switch (service.removeMember(queue, iface, "cli")) {
      case "REMOVED": return `Removed interface ${iface} from queue '${queue}'\n`;
      case "NOTINQUEUE": return `Unable to remove interface '${iface}' from queue '${queue}': Not there\n`;
      case "NOTDYNAMIC": return `Unable to remove interface '${iface}' from queue '${queue}': 'Static' member, not removed\n`;
      default: return `Unable to remove interface from queue '${queue}': No such queue\n`;
    }
  });
  for (const paused of [true, false]) {
    const verb = paused ? "pause" : "unpause";
    table.register(`queue ${verb} member`, `${paused ? "Pause" : "Unpause"} a queue member`, (args) => {
      // queue pause member <interface> [queue <queue> [reason <reason>]]
      if (!args.length) return `Usage: queue ${verb} member <interface> [queue <queue> [reason <reason>]]\n`;
      const iface = args[0];
      const queue = after(args, "queue", ["reason"]);
      const reason = after(args, "reason", ["queue"]) ?? "";
      if (queue !== undefined && !service.config(queue)) return `Unable to ${verb} interface '${iface}' in queue '${queue}': No such queue\n`;
      const ok = service.setPaused(queue || undefined, iface, paused, reason, "cli");
      const where = queue ? ` in queue '${queue}'` : "";
      return ok ? `${paused ? "Paused" : "Unpaused"} interface '${iface}'${where}\n` : `Unable to ${verb} interface '${iface}'${where}: not a member\n`;
    });
  }
  table.register("queue set penalty", "Set penalty for a channel of a specified queue", (args) => {
    // queue set penalty <penalty> on <interface> [in <queue>]
    if (args.length < 3 || args[1].toLowerCase() !== "on" || (args.length > 3 && (args.length !== 5 || args[3].toLowerCase() !== "in"))) {
      return "Usage: queue set penalty <penalty> on <interface> [in <queue>]\n";
    }
    const penalty = Number(args[0]);
    if (!Number.isInteger(penalty) || penalty < 0) return "Invalid penalty\n";
    const ok = service.setPenalty(args[4], args[2], penalty, "cli");
    return ok ? `Set penalty on interface '${args[2]}' from queue '${args[4] ?? "all"}'\n` : `Failed to set penalty on interface '${args[2]}' from queue '${args[4] ?? "all"}'\n`;
  });
  table.register("queue reset stats", "Reset statistics for a queue", (args) => {
    const n = service.resetStats(args[0], "cli");
    return args[0] && !n ? `No such queue: ${args[0]}\n` : `Queue stats reset successfully\n`;
  });
  table.register("queue reload", "Reload queues, members, queue rules, or parameters", () => reload());
}
