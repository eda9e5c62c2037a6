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
import { evaluateForInterface, globalsFromDialplan, runApplication, runDialplan, setForInterface, type DialplanDeps } from "../../dialplan/executor.js";
import { findExtension } from "../../dialplan/lookup.js";
import { searchExtension, settledSearch } from "../../dialplan/search.js";
import type { Presence } from "../../calls/driver.js";
import type { DialplanChannel } from "../../calls/channel-api.js";
import type { AstDb } from "../../dialplan/astdb.js";
import type { AgiServices } from "../../dialplan/apps/agi/services.js";
import type { QueueService } from "../../actors/queue/service.js";
import { loadVoicemailConf } from "../../dialplan/voicemail-conf.js";
import type { CommandTable } from "../../core/commands.js";
import { deviceFunctions, hintDevices, showHints } from "../../dialplan/device-functions.js";
import { messageApplications, messageFunctions } from "../../dialplan/message-functions.js";
import type { DeviceStates } from "../../calls/device-state.js";
import type { CustomDevices } from "../../calls/custom-devices.js";

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
    queues?: QueueService,
  ) {
    this.deps = { globals: this.globals, astdb, liveDangerously: false, dialContacts, origin: "dialplan", functions: messageFunctions, applications: messageApplications, ...(agi ? { agi } : {}), ...(queues ? { queues } : {}) };
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
      const voicemail = loadVoicemailConf(this.configDir);
      for (const w of voicemail.warnings) this.logger.log("WARNING", "app_voicemail.c", formatDiagnostic(w));
      this.deps = { ...this.deps, mailboxes: voicemail };
      for (const l of this.reloadListeners) l();
      this.globals.clear();
      for (const [k, v] of globalsFromDialplan(dialplan)) this.globals.set(k, v);
      const n = [...dialplan.contexts.values()].reduce((sum, c) => sum + c.extensions.length, 0);
      return `Dialplan reloaded: ${dialplan.contexts.size} contexts, ${n} extensions\n`;
    } catch (e) {
      this.logger.log("ERROR", "pbx_config.c", (e as Error).message);
      return `Dialplan not reloaded: ${(e as Error).message}\n`;
    }
  }

  private readonly reloadListeners: Array<() => void> = [];

  /** Be told after each successful (re)load: subscriptions look their hints up again. */
  onReload(listener: () => void): void { this.reloadListeners.push(listener); }

  private hintStates?: { readonly devices: DeviceStates; readonly watchers: (key: string) => number };

  /** Device states: DEVICE_STATE(), EXTENSION_STATE(), HINT() in the dialplan, and states and watchers in `core show hints`. */
  useDeviceStates(devices: DeviceStates, custom: CustomDevices, watchers: (key: string) => number): void {
    this.hintStates = { devices, watchers };
    this.deps = { ...this.deps, functions: new Map([...messageFunctions, ...deviceFunctions(devices, custom, () => this.dialplan)]) };
  }

  /** The devices of the hint of `exten` in `context`, if the dialplan has one. */
  hint = (context: string, exten: string): string[] | undefined => hintDevices(this.dialplan, context, exten);

  run = (channel: DialplanChannel, start: { context: string; exten: string; priority: number }): Promise<void> =>
    runDialplan(channel, this.dialplan, start, this.deps);

  /** One application on a channel (Originate's Application=). */
  runApplication = (channel: DialplanChannel, application: string, data: string): Promise<void> =>
    runApplication(channel, this.dialplan, application, data, this.deps);

  /** The dialplan's global variables (GLOBAL(), ARI's /asterisk/variable). */

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

  /** `${...}` text on a live channel for AMI's Getvar (functions too; dangerous ones only under live_dangerously). */
  evaluate = (channel: DialplanChannel, text: string): string => evaluateForInterface(channel, this.dialplan, this.deps, text, "ami");

  /** AMI's Setvar: a variable or a writable function (`CDR(userfield)`) on a live channel. */
  assign = (channel: DialplanChannel, name: string, value: string): void => setForInterface(channel, this.dialplan, this.deps, name, value, "ami");

  /** The dialplan's global variables ([globals], Set(GLOBAL(x)=...)), live: AMI's Getvar/Setvar without a channel. */
  globalVariables = (): Map<string, string> => this.globals;

  /**
   * Every `hint` of the dialplan: context, extension and its devices (AMI's ExtensionState
   * and ExtensionStatus). Listed once per loaded dialplan: AMI asks at every device change.
   */
  hints = (): ReturnType<typeof listHints> => {
    if (this.hintList?.of !== this.dialplan) this.hintList = { of: this.dialplan, list: listHints(this.dialplan) };
    return this.hintList.list;
  };
  private hintList: { readonly of: Dialplan; readonly list: ReturnType<typeof listHints> } | undefined;

  registerCommands(table: CommandTable): void {
    table.register("dialplan show", "Show dialplan", (args) => showDialplan(this.dialplan, args[0]).text);
    table.register("dialplan reload", "Reload extensions and *only* extensions", () => this.load());
    table.register("core show hints", "Show dialplan hints", () => {
      if (this.hintStates) return showHints(this.dialplan, this.hintStates.devices, this.hintStates.watchers);
      const rows = listHints(this.dialplan).map((h) =>
        `${`${h.exten}@${h.context}`.padEnd(20)}: ${h.devices.join("&").padEnd(20)} State:Unavailable     Presence:${(h.presence ?? "not_set").padEnd(15)} Watchers  0`);
      return `\n    -= Registered Asterisk Dial Plan Hints =-\n${rows.map((r) => `${r}\n`).join("")}----------------\n- ${rows.length} hints registered\n`;
    });
  }
}
