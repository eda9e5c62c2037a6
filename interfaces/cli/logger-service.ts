/**
 * The logger of a running Recall: logger.conf loaded at start and on `logger reload`
 * (a file that fails to load keeps what was loaded before), and the console commands
 * that turn it up and down.
 */
import { formatDiagnostic } from "../../conf/tokenizer.js";
import type { AsteriskLogger } from "../../core/logger.js";
import type { CommandTable } from "../../core/commands.js";
import { loadLoggerConf } from "./logger-conf.js";

const level = (n: number) => (n === 0 ? "OFF" : String(n));

export class LoggerService {
  constructor(private readonly configDir: string, readonly logger: AsteriskLogger) {}

  /** Loads logger.conf into the logger; returns what the console says. */
  load(): string {
    try {
      const { settings, warnings } = loadLoggerConf(this.configDir);
      this.logger.configure(settings);
      for (const w of warnings) this.logger.log("WARNING", "logger.c", formatDiagnostic(w));
      return `Logger reloaded: ${settings.channels.length} channel${settings.channels.length === 1 ? "" : "s"}\n` +
        warnings.map((w) => `WARNING: ${formatDiagnostic(w)}\n`).join("");
    } catch (e) {
      this.logger.log("ERROR", "logger.c", `logger.conf not loaded: ${(e as Error).message}`);
      return `Failed to reload the logger: ${(e as Error).message}\n`;
    }
  }

  registerCommands(table: CommandTable): void {
    table.register("core set verbose", "Set level of verbose messages", (args) => this.set("verbose", args));
    table.register("core set debug", "Set level of debug chattiness", (args) => this.set("debug", args));
    table.register("logger show channels", "List configured log channels", () => this.logger.describeChannels());
    table.register("logger reload", "Reopens the log files and reloads logger.conf", () => this.load());
    table.register("logger rotate", "Rotates and reopens the log files", async () => {
      const done = await this.logger.rotate();
      return done.length ? done.map((d) => `${d}\n`).join("") : "No log files to rotate\n";
    });
  }

  /** `core set verbose|debug N`, `... atleast N`, `... off`, as Asterisk answers them. */
  private set(which: "verbose" | "debug", args: string[]): string {
    const words = args.map((a) => a.toLowerCase());
    const atLeast = words[0] === "atleast";
    const value = atLeast ? words[1] : words[0];
    const n = value === "off" ? 0 : Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 0) return `Usage: core set ${which} [atleast] <level>|off\n`;
    const was = this.logger[which];
    const now = atLeast ? Math.max(was, n) : n;
    this.logger[which] = now;
    const label = which === "verbose" ? "Console verbose" : "Core debug";
    return was === now ? `${label} is still ${level(now)}.\n` : `${label} was ${level(was)} and is now ${level(now)}.\n`;
  }
}
