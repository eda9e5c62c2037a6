/**
 * Channel console commands, in Asterisk's layouts: `core show channels [concise|verbose]`,
 * `core show channel NAME`, `channel request hangup NAME|all`.
 */
import type { CommandTable } from "../core/commands.js";
import type { CallCore } from "./core.js";
import type { Channel } from "./channel.js";
import { SOFTHANGUP_EXPLICIT } from "./hangup-causes.js";

const STATE_NAMES: Readonly<Record<string, string>> = {
  down: "Down", reserved: "Rsrvd", ring: "Ring", ringing: "Ringing", progress: "Ringing", busy: "Busy", dialing: "Dialing", up: "Up", hungup: "Down",
};

const stateName = (c: Channel) => STATE_NAMES[c.state()] ?? c.state();
const pad = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s.padEnd(n));

function hms(seconds: number): string {
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return [h, m, s].map((x) => String(x).padStart(2, "0")).join(":");
}

/** Calls = distinct linkedids among live channels. */
function summary(channels: readonly Channel[], processed: number): string {
  const calls = new Set(channels.map((c) => c.context().linkedid)).size;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(channels.length, "active channel")}\n${plural(calls, "active call")}\n${plural(processed, "call")} processed\n`;
}

export function registerCallCommands(table: CommandTable, calls: CallCore, now: () => number): void {
  const seconds = (c: Channel) => Math.floor((now() - c.context().createdAt) / 1e6);
  const bridged = (c: Channel) => {
    const peer = c.context().bridge ? c.context().peer : undefined;
    return peer ? calls.list().find((x) => x.id === peer)?.name ?? "" : "";
  };

  table.register("core show channels", "Display information on channels", (args) => {
    const channels = calls.list();
    const mode = args[0]?.toLowerCase();
    if (mode === "count") return summary(channels, calls.processed);
    if (mode === "concise") {
      return channels.map((c) => {
        const x = c.context();
        return [c.name, x.context, x.exten, x.priority, stateName(c), x.app, x.appData, x.callerId.num, x.accountcode, x.peeraccount,
          3, seconds(c), bridged(c) || "(None)", x.uniqueid].join("!");
      }).join("\n") + (channels.length ? "\n" : "");
    }
    if (mode === "verbose") {
      const head = `${pad("Channel", 25)} ${pad("Context", 20)} ${pad("Extension", 20)} ${pad("Prio", 4)} ${pad("State", 7)} ${pad("Application", 12)} ${pad("Data", 25)} ${pad("CallerID", 15)} ${pad("Duration", 8)} ${pad("Accountcode", 11)} ${pad("PeerAccount", 11)} BridgeID`;
      const rows = channels.map((c) => {
        const x = c.context();
        return `${pad(c.name, 25)} ${pad(x.context, 20)} ${pad(x.exten, 20)} ${pad(String(x.priority), 4)} ${pad(stateName(c), 7)} ${pad(x.app, 12)} ${pad(x.appData, 25)} ${pad(x.callerId.num, 15)} ${pad(hms(seconds(c)), 8)} ${pad(x.accountcode, 11)} ${pad(x.peeraccount, 11)} ${x.bridge ?? ""}`;
      });
      return [head, ...rows].join("\n") + "\n" + summary(channels, calls.processed);
    }
    const head = `${pad("Channel", 64)} ${pad("Location", 32)} ${pad("State", 7)} Application(Data)`;
    const rows = channels.map((c) => {
      const x = c.context();
      return `${pad(c.name, 64)} ${pad(`${x.exten}@${x.context}:${x.priority}`, 32)} ${pad(stateName(c), 7)} ${x.app ? `${x.app}(${x.appData})` : "(None)"}`;
    });
    return [head, ...rows].join("\n") + "\n" + summary(channels, calls.processed);
  });

  table.register("core show channel", "Display information on a specific channel", (args) => {
    const c = calls.byName(args[0] ?? "");
    if (!c) return `${args[0] ?? ""} is not a known channel\n`;
    const x = c.context();
    const lines: [string, string][] = [
      ["Name", c.name], ["Type", "PJSIP"], ["UniqueID", x.uniqueid], ["LinkedID", x.linkedid],
      ["Caller ID", x.callerId.num], ["Caller ID Name", x.callerId.name || "(N/A)"],
      ["Connected Line ID", x.connected.num || "(N/A)"], ["Connected Line ID Name", x.connected.name || "(N/A)"],
      ["DNID Digits", x.dnid || "(N/A)"], ["Language", c.language], ["State", `${stateName(c)} (${c.state()})`],
      ["Elapsed Time", hms(seconds(c))], ["Bridge ID", x.bridge ?? "(Not bridged)"],
      ["Context", x.context], ["Extension", x.exten], ["Priority", String(x.priority)],
      ["Application", x.app || "(N/A)"], ["Data", x.appData || "(None)"],
      ["Accountcode", x.accountcode], ["Peeraccount", x.peeraccount],
    ];
    const vars = Object.entries(x.vars).map(([k, v]) => `${k}=${v}`);
    return ` -- General --\n${lines.map(([k, v]) => `${k.padStart(24)}: ${v}`).join("\n")}\n      Variables:\n${vars.join("\n")}${vars.length ? "\n" : ""}`;
  });

  table.register("channel request hangup", "Request a hangup on a given channel", (args) => {
    const name = args[0] ?? "";
    const targets = name === "all" ? calls.list() : calls.list().filter((c) => c.name === name);
    if (!targets.length) return `${name} is not a known channel\n`;
    for (const c of targets) c.hangup(16, "", SOFTHANGUP_EXPLICIT);
    return targets.map((c) => `Requested Hangup on channel '${c.name}'\n`).join("");
  });
}
