/**
 * The dialplan of a running Recall: extensions.conf loaded (and reloaded), the
 * executor started on each new channel with the PBX's globals, AstDB and
 * PJSIP_DIAL_CONTACTS, and the `dialplan ...` / `core show hints` console commands.
 */
import { join } from "node:path";
import type { Logger } from "../../core/logger.js";
import { formatDiagnostic } from "../../conf/tokenizer.js";
import { DEFAULT_GENERAL, showDialplan, type Dialplan } from "../../dialplan/index.js";
import { loadDialplanFiles } from "../../dialplan/ael/index.js";
import { listHints } from "../../dialplan/show.js";
import { globalsFromDialplan, runApplication, runDialplan, type DialplanDeps } from "../../dialplan/executor.js";
import { findExtension } from "../../dialplan/lookup.js";
import { searchExtension, settledSearch } from "../../dialplan/search.js";
import type { Presence } from "../../calls/driver.js";
import type { DialplanChannel } from "../../calls/channel-api.js";
import type { AstDb } from "../../dialplan/astdb.js";
import type { AgiServices } from "../../dialplan/apps/agi/services.js";
import type { CommandTable } from "../console/commands.js";

const EMPTY: Dialplan = { general: DEFAULT_GENERAL, globals: [], contexts: new Map() };

export class DialplanService {
  private dialplan: Dialplan = EMPTY;
  private readonly globals = new Map<string, string>();
  private deps: DialplanDeps;

  constructor(
    private readonly configDir: string,
    private readonly logger: Logger,
    astdb: AstDb,
    dialContacts: (endpoint: string, aor?: string, requestUser?: string) => string,
    agi?: AgiServices,
  ) {
    this.deps = { globals: this.globals, astdb, liveDangerously: false, dialContacts, origin: "dialplan", ...(agi ? { agi } : {}) };
    this.load();
  }

  /** Read extensions.conf and extensions.ael; on errors keep what loaded before and say where each problem is. */
  load(): string {
    try {
      const loaded = loadDialplanFiles(this.configDir);
      if (!loaded) {
        this.logger.log("WARNING", "pbx_config.c", `No ${join(this.configDir, "extensions.conf")}: every call finds no extension`);
        return "No extensions.conf\n";
      }
      const { dialplan, diagnostics } = loaded;
      for (const d of diagnostics) this.logger.log(d.severity === "error" ? "ERROR" : "WARNING", d.file.endsWith(".ael") ? "pbx_ael.c" : "pbx_config.c", formatDiagnostic(d));
      this.dialplan = dialplan;
      this.globals.clear();
      for (const [k, v] of globalsFromDialplan(dialplan)) this.globals.set(k, v);
      const n = [...dialplan.contexts.values()].reduce((sum, c) => sum + c.extensions.length, 0);
      return `Dialplan reloaded: ${dialplan.contexts.size} contexts, ${n} extensions\n`;
    } catch (e) {
      this.logger.log("ERROR", "pbx_config.c", (e as Error).message);
      return `Dialplan not reloaded: ${(e as Error).message}\n`;
    }
  }

  run = (channel: DialplanChannel, start: { context: string; exten: string; priority: number }): Promise<void> =>
    runDialplan(channel, this.dialplan, start, this.deps);

  /** One application on a channel (Originate's Application=). */
  runApplication = (channel: DialplanChannel, application: string, data: string): Promise<void> =>
    runApplication(channel, this.dialplan, application, data, this.deps);

  /** The dialplan's global variables (GLOBAL(), ARI's /asterisk/variable). */
  get globalVariables(): Map<string, string> { return this.globals; }

  /** ARI's applications for Stasis() (set once ARI is up). */
  setStasis(stasis: NonNullable<DialplanDeps["stasis"]>): void {
    this.deps = { ...this.deps, stasis };
  }

  /** Answers `switch => Module/data` lookups other than Loopback (set once the SIP side is up). */
  setSwitches(switches: NonNullable<DialplanDeps["switches"]>): void {
    this.deps = { ...this.deps, switches };
  }

  /**
   * Whether `exten` runs in `context` here without asking switches: how an OPTIONS from
   * a remote `switch => PJSIP/...` is answered, so two nodes that switch to each other
   * never ask in circles.
   */
  localPresence = (context: string, exten: string, now: number): Presence => {
    const found = (mode: "match" | "matchmore") =>
      findExtension(this.dialplan, context, exten, undefined, 1, { mode, now, skipSwitches: Infinity }).kind === "found";
    return found("match") ? "exists" : found("matchmore") ? "more" : "none";
  };

  /** Whether an INVITE's `exten` runs in `context`, switches asked (a remote one answers later). */
  presence = (context: string, exten: string, now: number, callerId: string): Presence | Promise<Presence> => {
    const env = { callerId, now, substitute: (t: string) => t, ...(this.deps.switches ? { switches: this.deps.switches } : {}) };
    const classify = (pending: { at?: Promise<unknown> }): Presence => {
      const at = { context, exten, priority: 1 };
      if (searchExtension(this.dialplan, at, "match", env, pending)) return "exists";
      return searchExtension(this.dialplan, at, "matchmore", env, pending) ? "more" : "none";
    };
    const first: { at?: Promise<unknown> } = {};
    const answer = classify(first);
    return first.at ? settledSearch(classify) : answer;
  };

  registerCommands(table: CommandTable): void {
    table.register("dialplan show", "Show dialplan", (args) => showDialplan(this.dialplan, args[0]).text);
    table.register("dialplan reload", "Reload extensions and *only* extensions", () => this.load());
    table.register("core show hints", "Show dialplan hints", () => {
      const rows = listHints(this.dialplan).map((h) =>
        `${`${h.exten}@${h.context}`.padEnd(20)}: ${h.devices.join("&").padEnd(20)} State:Unavailable     Presence:${(h.presence ?? "not_set").padEnd(15)} Watchers  0`);
      return `\n    -= Registered Asterisk Dial Plan Hints =-\n${rows.map((r) => `${r}\n`).join("")}----------------\n- ${rows.length} hints registered\n`;
    });
  }
}
