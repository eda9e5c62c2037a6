/**
 * The `core ...` and `module show` console commands an Asterisk operator types first:
 * version, uptime, settings, sysinfo, stopping and restarting, and the module list
 * (Recall's parts under Asterisk's module names, so scripts that check
 * `module show like res_pjsip` keep working).
 */
import { cpus, freemem, loadavg, totalmem, uptime as systemUptime, hostname } from "node:os";
import type { CommandTable } from "../../core/commands.js";

export type StopMode = "now" | "gracefully" | "when convenient";

export interface CoreContext {
  readonly version: string;
  readonly configDir: string;
  readonly dataDir: string;
  /** Microseconds, from the injected clock. */
  now(): number;
  readonly startedAt: number;
  lastReloadAt?: number;
  verbosity(): { verbose: number; debug: number };
  /** Live calls (channels): what `gracefully` and `when convenient` wait for. */
  activeChannels(): number;
  /** `gracefully`: from now on new calls are refused (503). */
  refuseNewCalls(): void;
  /** Ask the process to stop (and start again when `restart`). */
  requestStop(reason: string, restart: boolean): void;
}

/** Recall's parts, named as the Asterisk modules that do the same job. */
export const MODULES: readonly (readonly [string, string])[] = [
  ["app_audiosocket.so", "AudioSocket Application"],
  ["app_dial.so", "Dialing Application"],
  ["app_echo.so", "Simple Echo Application"],
  ["app_mixmonitor.so", "Mixed Audio Monitoring Application"],
  ["app_playback.so", "Sound File Playback Application"],
  ["app_stack.so", "Dialplan subroutines (Gosub, Return, etc)"],
  ["app_verbose.so", "Send verbose output"],
  ["cdr_csv.so", "Comma Separated Values CDR Backend"],
  ["cel_custom.so", "Customizable Comma Separated Values CEL Backend"],
  ["chan_pjsip.so", "PJSIP Channel Driver"],
  ["func_db.so", "Database (astdb) related dialplan functions"],
  ["pbx_ael.so", "Asterisk Extension Language Compiler"],
  ["pbx_config.so", "Text Extension Configuration"],
  ["pbx_loopback.so", "Loopback Switch"],
  ["res_audiosocket.so", "AudioSocket support"],
  ["res_musiconhold.so", "Music On Hold Resource"],
  ["res_pjsip.so", "Basic SIP resource"],
  ["res_pjsip_authenticator_digest.so", "PJSIP authentication resource"],
  ["res_pjsip_endpoint_identifier_ip.so", "PJSIP IP endpoint identifier"],
  ["res_pjsip_outbound_registration.so", "PJSIP Outbound Registration Support"],
  ["res_pjsip_refer.so", "PJSIP Blind and Attended Transfer Support"],
  ["res_pjsip_registrar.so", "PJSIP Registrar Support"],
  ["res_pjsip_session.so", "PJSIP Session resource"],
  ["res_rtp_asterisk.so", "Asterisk RTP Stack"],
];

function duration(micros: number): string {
  let s = Math.max(0, Math.floor(micros / 1e6));
  const parts: string[] = [];
  for (const [unit, size] of [["year", 31_536_000], ["week", 604_800], ["day", 86_400], ["hour", 3600], ["minute", 60]] as const) {
    const n = Math.floor(s / size);
    if (n) parts.push(`${n} ${unit}${n > 1 ? "s" : ""}`);
    s %= size;
  }
  if (s || !parts.length) parts.push(`${s} second${s === 1 ? "" : "s"}`);
  return parts.join(", ");
}

const isoSecond = (micros: number) => new Date(Math.floor(micros / 1000)).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");

export function registerCoreCommands(table: CommandTable, ctx: CoreContext): void {
  table.register("core show version", "Display version info", () => `Recall ${ctx.version} on Node.js ${process.version} (${process.platform}/${process.arch})\n`);
  table.register("core show uptime", "Show uptime information", (args) => {
    const now = ctx.now();
    if (args[0]?.toLowerCase() === "seconds") {
      return `System uptime: ${Math.floor((now - ctx.startedAt) / 1e6)}\n` + (ctx.lastReloadAt !== undefined ? `Last reload: ${Math.floor((now - ctx.lastReloadAt) / 1e6)}\n` : "");
    }
    return `System uptime: ${duration(now - ctx.startedAt)}\n` + (ctx.lastReloadAt !== undefined ? `Last reload: ${duration(now - ctx.lastReloadAt)}\n` : "");
  });
  table.register("core show settings", "Show some core settings", () => {
    const { verbose, debug } = ctx.verbosity();
    const rows: [string, string][] = [
      ["Version", `Recall ${ctx.version}`],
      ["Node.js", process.version],
      ["System name", hostname()],
      ["Verbosity", String(verbose)],
      ["Debug level", String(debug)],
      ["Startup time", isoSecond(ctx.startedAt)],
      ["Current time", isoSecond(ctx.now())],
      ["Active channels", String(ctx.activeChannels())],
      ["Process ID", String(process.pid)],
    ];
    const dirs: [string, string][] = [
      ["Configuration directory", ctx.configDir],
      ["Data directory", ctx.dataDir],
      ["Log directory", ctx.dataDir],
      ["Event log", `${ctx.dataDir}/log`],
      ["Control socket", `${ctx.dataDir}/recall.ctl`],
    ];
    const width = Math.max(...[...rows, ...dirs].map(([k]) => k.length)) + 2;
    const block = (r: [string, string][]) => r.map(([k, v]) => `  ${`${k}:`.padEnd(width)}${v}\n`).join("");
    return `\nPBX Core settings\n-----------------\n${block(rows)}\n* Directories\n -------------\n${block(dirs)}`;
  });
  table.register("core show sysinfo", "Show System Information", () => {
    const kib = (bytes: number) => `${Math.floor(bytes / 1024)} KiB`;
    const mem = process.memoryUsage();
    const rows: [string, string][] = [
      ["System Uptime", `${Math.floor(systemUptime() / 3600)} hours`],
      ["Total RAM", kib(totalmem())],
      ["Free RAM", kib(freemem())],
      ["CPUs", String(cpus().length)],
      ["Load average", loadavg().map((l) => l.toFixed(2)).join(" ")],
      ["Process RSS", kib(mem.rss)],
      ["Process heap used", kib(mem.heapUsed)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length)) + 2;
    return `\nSystem Statistics\n-----------------\n${rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)}${v}\n`).join("")}`;
  });

  const stop = (restart: boolean) => (args: string[]): string => {
    const mode = args.join(" ").toLowerCase() as StopMode;
    const verb = restart ? "restart" : "stop";
    if (!["now", "gracefully", "when convenient"].includes(mode)) return `Usage: core ${verb} now|gracefully|when convenient\n`;
    if (mode === "now") { ctx.requestStop(`core ${verb} now`, restart); return `${restart ? "Restarting" : "Stopping"} now.\n`; }
    // gracefully / when convenient: wait until no call is up, then stop; gracefully takes no new calls meanwhile.
    if (mode === "gracefully") ctx.refuseNewCalls();
    const check = () => {
      if (ctx.activeChannels() === 0) ctx.requestStop(`core ${verb} ${mode}`, restart);
      else setTimeout(check, 1000).unref();
    };
    const active = ctx.activeChannels();
    setImmediate(check);
    return active === 0
      ? `${restart ? "Restarting" : "Stopping"}: no active calls.\n`
      : `Waiting for ${active} active channel${active === 1 ? "" : "s"} to end before ${restart ? "restarting" : "stopping"}.\n`;
  };
  table.register("core stop", "Shut down Recall (now, gracefully or when convenient)", stop(false));
  table.register("core restart", "Restart Recall (now, gracefully or when convenient)", stop(true));

  table.register("module show", "List modules and info", (args) => {
    const like = args[0]?.toLowerCase() === "like" ? (args[1] ?? "").toLowerCase() : "";
    const rows = MODULES.filter(([name]) => name.includes(like));
    const lines = rows.map(([name, description]) => `${name.padEnd(40)} ${description.padEnd(48)} ${"0".padEnd(10)} ${"Running".padEnd(11)} ${"core".padStart(13)}\n`);
    return `${"Module".padEnd(40)} ${"Description".padEnd(48)} ${"Use Count".padEnd(10)} ${"Status".padEnd(11)} ${"Support Level".padStart(13)}\n` +
      lines.join("") + `${rows.length} modules loaded\n`;
  });
}
