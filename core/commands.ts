/**
 * The console's command table, shared by `recall cli -rx` and the interactive console.
 * Commands are word sequences, matched on their longest registered prefix like
 * Asterisk's CLI; the rest of the line goes to the handler as arguments.
 */
export type CommandHandler = (args: string[]) => string | Promise<string>;

interface Command { readonly words: string[]; readonly summary: string; readonly handler: CommandHandler }

export class CommandTable {
  private readonly commands: Command[] = [];

  register(words: string, summary: string, handler: CommandHandler): void {
    this.commands.push({ words: words.split(/\s+/), summary, handler });
  }

  async run(line: string): Promise<string> {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (!words.length) return "";
    let best: Command | undefined;
    for (const c of this.commands) {
      if (c.words.length > words.length) continue;
      if (c.words.every((w, i) => w.toLowerCase() === words[i].toLowerCase()) && (!best || c.words.length > best.words.length)) best = c;
    }
    if (!best) return `No such command '${words.join(" ")}' (type 'core show help ${words.join(" ")}' for other possible commands)\n`;
    return best.handler(words.slice(best.words.length));
  }

  /** `core show help [prefix]`: every command starting with the prefix. */
  help(prefix: string[]): string {
    const matching = this.commands
      .filter((c) => prefix.every((w, i) => c.words[i]?.toLowerCase().startsWith(w.toLowerCase())))
      .sort((a, b) => a.words.join(" ").localeCompare(b.words.join(" ")));
    if (!matching.length) return `No such command '${prefix.join(" ")}'.\n`;
    const width = Math.max(...matching.map((c) => c.words.join(" ").length));
    return matching.map((c) => `${c.words.join(" ").padStart(width)} -- ${c.summary}\n`).join("");
  }
}
