/**
 * app_queue's AMI actions over the queue service (actors/queue/service.ts), with
 * Asterisk 22's fields, messages and errors: QueueStatus (QueueParams, QueueMember and
 * QueueEntry events), QueueSummary, QueueAdd, QueueRemove, QueuePause, QueuePenalty,
 * QueueLog, QueueReload, QueueReset. Every change is a queue or member actor input
 * (source "ami"), so it is in the log and its events (queue-events.ts) follow from it.
 */
import type { QueueService } from "../../actors/queue/service.js";
import type { ActionDef, Fields } from "./actions.js";
import { DEVICE_STATUS } from "./queue-events.js";

const ok = (...fields: Fields): Fields => [["Response", "Success"], ...fields];
const error = (message: string): Fields[] => [[["Response", "Error"], ["Message", message]]];
const yes = (v: string | undefined) => /^(1|true|yes|on)$/i.test(v ?? "");
const secs = (us: number) => String(Math.floor(us / 1e6));

function list(message: string, items: Fields[], complete: string): Fields[] {
  return [ok(["EventList", "start"], ["Message", message]), ...items, [["Event", complete], ["EventList", "Complete"], ["ListItems", String(items.length)]]];
}

/** The queue service, or the error every queue action gives without one. */
function service(q: QueueService | undefined): QueueService | Fields[] {
  return q ?? error("Queues are not loaded");
}

export const QUEUE_ACTIONS: Readonly<Record<string, ActionDef>> = {
  queuestatus: {
    write: [], synopsis: "Show queue status.",
    handler: ({ message, pbx, now }) => {
      const q = service(pbx.queues);
      if (Array.isArray(q)) return q;
      const only = message.get("Queue"), member = message.get("Member");
      const items: Fields[] = [];
      for (const name of q.names()) {
        if (only && name !== only) continue;
        const c = q.config(name)!, st = q.state(name);
        const completed = st?.completed ?? 0, abandoned = st?.abandoned ?? 0, inSl = st?.completedInSl ?? 0;
        items.push([["Event", "QueueParams"], ["Queue", name], ["Max", String(c.maxlen)], ["Strategy", c.strategy], ["Calls", String(st?.callers.length ?? 0)],
          ["Holdtime", String(st && st.connected ? Math.round(st.holdtimeTotal / st.connected) : 0)],
          ["TalkTime", String(st && completed ? Math.round(st.talktimeTotal / completed) : 0)], ["Completed", String(completed)], ["Abandoned", String(abandoned)],
          ["ServiceLevel", String(c.servicelevel)], ["ServicelevelPerf", (completed ? (100 * inSl) / completed : 0).toFixed(1)],
          ["ServicelevelPerf2", (completed + abandoned ? (100 * inSl) / (completed + abandoned) : 0).toFixed(1)], ["Weight", String(c.weight)]]);
        for (const m of q.members(name)) {
          if (member && m.interface !== member && m.name !== member) continue;
          items.push([["Event", "QueueMember"], ["Queue", name], ["Name", m.name], ["Location", m.interface], ["StateInterface", m.stateInterface],
            ["Membership", m.dynamic ? "dynamic" : "static"], ["Penalty", String(m.penalty)], ["CallsTaken", String(m.callsTaken)],
            ["LastCall", secs(m.lastCall)], ["LastPause", secs(m.lastPause)], ["LoginTime", secs(m.addedAt)], ["InCall", m.state === "incall" ? "1" : "0"],
            ["Status", String(DEVICE_STATUS[m.device])], ["Paused", m.paused ? "1" : "0"], ["PausedReason", m.reason], ["Wrapuptime", String(m.wrapuptime ?? 0)]]);
        }
        (st?.callers ?? []).forEach((k, i) => items.push([["Event", "QueueEntry"], ["Queue", name], ["Position", String(i + 1)], ["Channel", k.channel],
          ["Uniqueid", k.uniqueid], ["CallerIDNum", k.callerIdNum || "unknown"], ["CallerIDName", k.callerIdName || "unknown"],
          ["ConnectedLineNum", "unknown"], ["ConnectedLineName", "unknown"], ["Wait", secs(now() - k.enteredAt)], ["Priority", "0"]]));
      }
      return list("Queue status will follow", items, "QueueStatusComplete");
    },
  },
  queuesummary: {
    write: [], synopsis: "Show queue summary.",
    handler: ({ message, pbx, now }) => {
      const q = service(pbx.queues);
      if (Array.isArray(q)) return q;
      const only = message.get("Queue");
      const items = q.names().filter((n) => !only || n === only).map((name): Fields => {
        const st = q.state(name), members = q.members(name);
        const callers = st?.callers ?? [];
        const available = members.filter((m) => q.ready(name, m)).length;
        const longest = callers.reduce((max, k) => Math.max(max, now() - k.enteredAt), 0);
        return [["Event", "QueueSummary"], ["Queue", name], ["LoggedIn", String(members.filter((m) => m.device !== "UNAVAILABLE" && m.device !== "INVALID").length)],
          ["Available", String(available)], ["Callers", String(callers.length)],
          ["HoldTime", String(st && st.connected ? Math.round(st.holdtimeTotal / st.connected) : 0)],
          ["TalkTime", String(st && st.completed ? Math.round(st.talktimeTotal / st.completed) : 0)], ["LongestHoldTime", secs(longest)]];
      });
      return list("Queue summary will follow", items, "QueueSummaryComplete");
    },
  },
  queueadd: {
    write: ["agent"], synopsis: "Add interface to queue.",
    handler: ({ message, pbx }) => {
      const q = service(pbx.queues);
      if (Array.isArray(q)) return q;
      const queue = message.get("Queue"), iface = message.get("Interface");
      if (!queue) return error("'Queue' not specified.");
      if (!iface) return error("'Interface' not specified.");
      const penalty = Number.parseInt(message.get("Penalty") ?? "0", 10);
      const paused = yes(message.get("Paused"));
      switch (q.addMember(queue, iface, {
        penalty: Number.isFinite(penalty) && penalty >= 0 ? penalty : 0, name: message.get("MemberName") ?? "", stateInterface: message.get("StateInterface") ?? "",
        paused, ...(paused && message.get("Reason") ? { reason: message.get("Reason")! } : {}), source: "ami",
      })) {
        case "ADDED": return [ok(["Message", "Added interface to queue"])];
        case "MEMBERALREADY": return error("Unable to add interface: Already there");
        default: return error("Unable to add interface to queue: No such queue");
      }
    },
  },
  queueremove: {
    write: ["agent"], synopsis: "Remove interface from queue.",
    handler: ({ message, pbx }) => {
      const q = service(pbx.queues);
      if (Array.isArray(q)) return q;
      const queue = message.get("Queue"), iface = message.get("Interface");
      if (!queue || !iface) return error("Need 'Queue' and 'Interface' parameters.");
      switch (q.removeMember(queue, iface, "ami")) {
        case "REMOVED": return [ok(["Message", "Removed interface from queue"])];
        case "NOTINQUEUE": return error("Unable to remove interface: Not there");
        case "NOTDYNAMIC": return error("Member not dynamic");
        default: return error("Unable to remove interface from queue: No such queue");
      }
    },
  },
  queuepause: {
    write: ["agent"], synopsis: "Makes a queue member temporarily unavailable.",
    handler: ({ message, pbx }) => {
      const q = service(pbx.queues);
      if (Array.isArray(q)) return q;
      const iface = message.get("Interface"), pausedText = message.get("Paused");
      if (!iface || pausedText === undefined || pausedText === "") return error("Need 'Interface' and 'Paused' parameters.");
      const paused = yes(pausedText);
      const queue = message.get("Queue") || undefined;
      if (queue && !q.config(queue)) return error("Interface not found");
      if (!q.setPaused(queue, iface, paused, message.get("Reason") ?? "", "ami")) return error("Interface not found");
      return [ok(["Message", paused ? "Interface paused successfully" : "Interface unpaused successfully"])];
    },
  },
  queuepenalty: {
    write: ["agent"], synopsis: "Set the penalty for a queue member.",
    handler: ({ message, pbx }) => {
      const q = service(pbx.queues);
      if (Array.isArray(q)) return q;
      const iface = message.get("Interface"), penaltyText = message.get("Penalty");
      if (!iface || !penaltyText) return error("Need 'Interface' and 'Penalty' parameters.");
      const penalty = Number(penaltyText);
      if (!Number.isInteger(penalty) || penalty < 0) return error("Invalid penalty");
      const queue = message.get("Queue") || undefined;
      if ((queue && !q.config(queue)) || !q.setPenalty(queue, iface, penalty, "ami")) return error("Invalid interface, queuename or penalty");
      return [ok(["Message", "Interface penalty set successfully"])];
    },
  },
  queuelog: {
    write: ["agent"], synopsis: "Adds custom entry in queue_log.",
    handler: ({ message, pbx }) => {
      const q = service(pbx.queues);
      if (Array.isArray(q)) return q;
      const queue = message.get("Queue"), event = message.get("Event");
      if (!queue || !event) return error("Need 'Queue' and 'Event' parameters.");
      if (!q.config(queue)) return error(`No such queue: ${queue}`);
      const text = message.get("Message") ?? "";
      q.sendQueue(queue, { source: "ami", type: "log", uniqueid: message.get("Uniqueid") || "NONE", agent: message.get("Interface") || "NONE", event,
        data: text === "" ? [] : text.split("|") });
      return [ok(["Message", "Added queue log event"])];
    },
  },
  queuereload: {
    write: [], synopsis: "Reload a queue, queues, or any sub-section of a queue or queues.",
    handler: ({ message, pbx }) => {
      if (!pbx.queues || !pbx.reloadQueues) return error("Queues are not loaded");
      const queue = message.get("Queue");
      if (queue && !pbx.queues.config(queue)) return error("Error encountered while reloading queue");
      const problem = pbx.reloadQueues();
      return problem ? error("Error encountered while reloading queue") : [ok(["Message", "Queue reloaded successfully"])];
    },
  },
  queuereset: {
    write: [], synopsis: "Reset queue statistics.",
    handler: ({ message, pbx }) => {
      const q = service(pbx.queues);
      if (Array.isArray(q)) return q;
      const queue = message.get("Queue") || undefined;
      if (queue && !q.config(queue)) return error("Error encountered while resetting queue stats");
      q.resetStats(queue, "ami");
      return [ok(["Message", "Queue stats reset successfully"])];
    },
  },
};

/** Asterisk's spelling of each (ListCommands). */
export const QUEUE_DISPLAY: Readonly<Record<string, string>> = {
  queuestatus: "QueueStatus", queuesummary: "QueueSummary", queueadd: "QueueAdd", queueremove: "QueueRemove", queuepause: "QueuePause",
  queuepenalty: "QueuePenalty", queuelog: "QueueLog", queuereload: "QueueReload", queuereset: "QueueReset",
};
