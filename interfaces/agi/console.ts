/** The AGI console commands: `agi show commands [topic ...]` and `agi set debug on|off`, as res_agi has them. */
import type { CommandTable } from "../../core/commands.js";
import { agiCommands } from "../../dialplan/apps/agi/session.js";

export function registerAgiCommands(table: CommandTable, debug: { debugging: boolean }): void {
  table.register("agi show commands", "List AGI commands or specific help", (args) => {
    const all = agiCommands();
    if (args.length > 0) {
      const topic = args.join(" ").toUpperCase();
      const c = all.find((x) => x.words.join(" ") === topic);
      return c ? `${c.usage}\n` : `No such command '${args.join(" ")}'.\n`;
    }
    const row = (dead: string, command: string, description: string) => `${dead.padStart(5)} ${command.padStart(30)}   ${description}\n`;
    const sorted = [...all].sort((a, b) => a.words.join(" ").localeCompare(b.words.join(" ")));
    return row("Dead", "Command", "Description") + sorted.map((c) => row(c.dead ? "Yes" : "No", c.words.join(" ").toLowerCase(), c.summary)).join("");
  });
  table.register("agi set debug", "Enable/Disable AGI debugging", (args) => {
    const v = (args[0] ?? "").toLowerCase();
    if (v !== "on" && v !== "off") return "Usage: agi set debug [on|off]\n";
    debug.debugging = v === "on";
    return `AGI Debugging ${debug.debugging ? "Enabled" : "Disabled"}\n`;
  });
}
