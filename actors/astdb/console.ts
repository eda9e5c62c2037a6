/** `database show|get|put|del|deltree`, worded as Asterisk's console prints them. */
import type { CommandTable } from "../../core/commands.js";
import type { AstDb } from "./astdb.js";

export function registerDatabaseCommands(table: CommandTable, db: AstDb): void {
  table.register("database show", "Shows database contents", (args) => {
    const rows = db.entries(args.join("/"));
    return rows.map((r) => `${`/${r.family}/${r.key}`.padEnd(50)}: ${r.value.padEnd(25)}\n`).join("") +
      `${rows.length} result${rows.length === 1 ? "" : "s"} found.\n`;
  });
  table.register("database get", "Gets database value", (args) => {
    if (args.length !== 2) return "Usage: database get <family> <key>\n";
    const v = db.get(args[0], args[1]);
    return v === undefined ? "Database entry not found.\n" : `Value: ${v}\n`;
  });
  table.register("database put", "Adds/updates database value", (args) => {
    if (args.length < 3) return "Usage: database put <family> <key> <value>\n";
    db.put(args[0], args[1], args.slice(2).join(" "), "cli");
    return "Updated database successfully\n";
  });
  table.register("database del", "Removes database key/value", (args) => {
    if (args.length !== 2) return "Usage: database del <family> <key>\n";
    return db.del(args[0], args[1], "cli") ? "Database entry removed.\n" : "Database entry does not exist.\n";
  });
  table.register("database deltree", "Removes database keytree/values", (args) => {
    if (args.length < 1) return "Usage: database deltree <family> [keytree]\n";
    const n = db.deltree(args[0], args.slice(1).join("/") || undefined, "cli");
    return n ? `${n} database entries removed.\n` : "Database entries do not exist.\n";
  });
}
