/**
 * logger.conf, as Asterisk reads it: `[general]` (dateformat, rotatestrategy,
 * appendhostname, queue_log, queue_log_name) and `[logfiles]` (`name => levels`, where a
 * name is `console` or a file under the data directory). No logger.conf: Asterisk's
 * sample (console and messages.log take notice, warning and error).
 * A bad line is a warning naming file and line, and is skipped; the rest loads.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseConfFile, type ConfDiagnostic } from "../../conf/tokenizer.js";
import { DEFAULT_LOGGER_SETTINGS, type LogChannelSettings, type LogLevel, type LoggerSettings, type RotateStrategy } from "../../core/logger.js";

const LEVEL_WORDS: Record<string, LogLevel> = {
  debug: "DEBUG", notice: "NOTICE", warning: "WARNING", error: "ERROR", verbose: "VERBOSE", dtmf: "DTMF", security: "SECURITY",
};
/** Options Asterisk knows that Recall does not act on: accepted quietly rather than reported as unknown. */
const ACCEPTED = new Set(["use_callids", "queue_log_to_file", "queue_log_realtime_use_gmt", "queue_adaptive_realtime", "logger_queue_limit", "exec_after_rotate"]);
const STRATEGIES = new Set<RotateStrategy>(["none", "sequential", "rotate", "timestamp"]);

const bool = (v: string) => /^(yes|true|y|t|1|on)$/i.test(v) ? true : /^(no|false|n|f|0|off)$/i.test(v) ? false : undefined;

export function loadLoggerConf(configDir: string): { settings: LoggerSettings; warnings: ConfDiagnostic[] } {
  const path = join(configDir, "logger.conf");
  if (!existsSync(path)) return { settings: DEFAULT_LOGGER_SETTINGS, warnings: [] };
  const conf = parseConfFile(path);
  const warnings: ConfDiagnostic[] = [...conf.warnings];
  let dateformat: string | undefined;
  let rotateStrategy: RotateStrategy = DEFAULT_LOGGER_SETTINGS.rotateStrategy;
  let appendHostname = false, queueLog = true, queueLogName = "queue_log";
  const channels: LogChannelSettings[] = [];
  for (const section of conf.sections) {
    for (const e of section.entries) {
      const value = e.value.trim();
      const warn = (reason: string) => warnings.push({ file: e.file, line: e.line, reason: `[${section.name}] ${e.key}: ${reason}` });
      if (section.name === "general") {
        const key = e.key.toLowerCase();
        if (key === "dateformat") dateformat = value || undefined;
        else if (key === "rotatestrategy") {
          if (STRATEGIES.has(value.toLowerCase() as RotateStrategy)) rotateStrategy = value.toLowerCase() as RotateStrategy;
          else warn(`none, sequential, rotate or timestamp, not "${value}"`);
        } else if (key === "appendhostname" || key === "queue_log") {
          const b = bool(value);
          if (b === undefined) warn(`yes or no, not "${value}"`);
          else if (key === "appendhostname") appendHostname = b; else queueLog = b;
        } else if (key === "queue_log_name") {
          if (value && !value.includes("/")) queueLogName = value; else warn(`a file name, not "${value}"`);
        } else if (!ACCEPTED.has(key)) warn("unknown option, ignored");
      } else if (section.name === "logfiles") {
        const channel = parseChannel(e.key.trim(), value, warn);
        if (channel) channels.push(channel);
      } else {
        warn(`unknown section [${section.name}], ignored`);
        break;
      }
    }
  }
  return { settings: { ...(dateformat !== undefined ? { dateformat } : {}), rotateStrategy, appendHostname, queueLog, queueLogName, channels }, warnings };
}

function parseChannel(name: string, list: string, warn: (reason: string) => void): LogChannelSettings | undefined {
  if (/^syslog/i.test(name)) { warn("syslog channels are not supported by Recall; use a file channel and your log shipper"); return undefined; }
  if (name.includes("..")) { warn("a file name inside the data directory, or an absolute path"); return undefined; }
  // An Asterisk formatter prefix (`[plain]notice,...`) is not supported: the default format is used.
  const words = list.replace(/^\[[^\]]*\]/, "").split(",").map((w) => w.trim().toLowerCase()).filter(Boolean);
  const levels = new Set<LogLevel>();
  let verbosity: number | undefined;
  for (const w of words) {
    const verboseN = /^verbose\((\d+)\)$/.exec(w);
    if (verboseN) { levels.add("VERBOSE"); verbosity = Number(verboseN[1]); }
    else if (w === "*") for (const l of Object.values(LEVEL_WORDS)) levels.add(l);
    else if (LEVEL_WORDS[w]) levels.add(LEVEL_WORDS[w]);
    else if (w !== "fax") warn(`unknown level "${w}" (debug, notice, warning, error, verbose, verbose(N), dtmf, security, *)`);
  }
  return { name: name.toLowerCase() === "console" ? "console" : name, levels, ...(verbosity !== undefined ? { verbosity } : {}) };
}
