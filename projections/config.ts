/**
 * The settings projections read: cdr.conf and cel.conf ([general], as Asterisk reads
 * them) and the [clickhouse] section of recall.conf.
 *
 * A missing cdr.conf gives Asterisk's defaults. A missing cel.conf turns CEL on for
 * every event and application: Asterisk ships CEL off, but in Recall the rows are a
 * fold of a log that is kept anyway, so there is nothing to save by leaving them out.
 * A cel.conf that exists is read as Asterisk reads it (enable defaults to no).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfError, parseConfFile, type ConfEntry } from "../conf/tokenizer.js";
import { yesNo } from "../conf/yes-no.js";
import type { CelEventType } from "./rows.js";

export interface CdrSettings {
  readonly enable: boolean;
  /** Log records of unanswered attempts (dialled legs nobody answered, NO ANSWER calls with no party B). */
  readonly unanswered: boolean;
  /** CONGESTION as its own disposition instead of FAILED. */
  readonly congestion: boolean;
  /** End the record at hang-up, before the `h` extension runs (Asterisk 12+ default). */
  readonly endbeforehexten: boolean;
  /** billsec rounds half a second up instead of truncating. */
  readonly initiatedseconds: boolean;
  /**
   * "channel" (seed 003: one record per channel, A and B each get one) or "pair"
   * (Asterisk 12+: one record per Party A/Party B pair, the B leg's own record folded
   * into A's). Recall's own option, [general] recall_layout.
   */
  readonly layout: "channel" | "pair";
}

export interface CelSettings {
  readonly enable: boolean;
  /** Event types to record; "ALL" for all. */
  readonly events: ReadonlySet<CelEventType> | "ALL";
  /** Applications whose APP_START/APP_END are recorded (lower case); "all" for all. */
  readonly apps: ReadonlySet<string> | "all";
  /** strftime format for eventtime in the CEL CSV; "" for Asterisk's default (seconds.microseconds). */
  readonly dateformat: string;
}

export interface ClickHouseSettings {
  /** Server URL (http://host:8123); "" when no server sink is configured. */
  readonly url: string;
  readonly database: string;
  readonly username: string;
  readonly password: string;
}

export interface ProjectionSettings {
  readonly cdr: CdrSettings;
  readonly cel: CelSettings;
  readonly clickhouse: ClickHouseSettings;
  /** Sinks the live runner writes to, from recall.conf [projections] sinks (default chdb). */
  readonly sinks: readonly ("chdb" | "clickhouse" | "csv")[];
}

export const defaultCdr: CdrSettings = { enable: true, unanswered: false, congestion: false, endbeforehexten: true, initiatedseconds: false, layout: "channel" };
export const allCel: CelSettings = { enable: true, events: "ALL", apps: "all", dateformat: "" };
const asteriskCel: CelSettings = { enable: false, events: new Set(), apps: new Set(), dateformat: "" };
export const defaultClickHouse: ClickHouseSettings = { url: "", database: "default", username: "default", password: "" };

const celEventTypes: readonly CelEventType[] = [
  "CHAN_START", "CHAN_END", "ANSWER", "HANGUP", "APP_START", "APP_END", "USER_DEFINED", "LINKEDID_END",
  "BRIDGE_ENTER", "BRIDGE_EXIT", "FORWARD", "PARK_START", "PARK_END", "PICKUP", "BLINDTRANSFER", "ATTENDEDTRANSFER", "LOCAL_OPTIMIZE",
];

/** A yes/no setting; anything else (an empty value too) is an error. */
function bool(e: ConfEntry, section: string): boolean {
  const b = yesNo(e.value);
  if (b === undefined) throw new ConfError(e.file, e.line, `[${section}] ${e.key}: '${e.value}' is not yes or no`);
  return b;
}

const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);

export function loadCdrConf(configDir: string): CdrSettings {
  const path = join(configDir, "cdr.conf");
  if (!existsSync(path)) return defaultCdr;
  const s = { ...defaultCdr } as { -readonly [K in keyof CdrSettings]: CdrSettings[K] };
  for (const section of parseConfFile(path).sections) {
    if (section.name !== "general") continue; // backends' sections ([csv], [radius]...) are theirs
    for (const e of section.entries) {
      switch (e.key.toLowerCase()) {
        case "enable": s.enable = bool(e, "general"); break;
        case "unanswered": s.unanswered = bool(e, "general"); break;
        case "congestion": s.congestion = bool(e, "general"); break;
        case "endbeforehexten": s.endbeforehexten = bool(e, "general"); break;
        case "initiatedseconds": s.initiatedseconds = bool(e, "general"); break;
        case "recall_layout":
          if (e.value !== "channel" && e.value !== "pair") throw new ConfError(e.file, e.line, "[general] recall_layout: channel or pair");
          s.layout = e.value;
          break;
        default: break; // batch, size, time, safeshutdown...: about Asterisk's dispatch, nothing to fold
      }
    }
  }
  return s;
}

export function loadCelConf(configDir: string): CelSettings {
  const path = join(configDir, "cel.conf");
  if (!existsSync(path)) return allCel;
  let { enable, events, apps, dateformat } = asteriskCel;
  for (const section of parseConfFile(path).sections) {
    if (section.name !== "general") continue;
    for (const e of section.entries) {
      switch (e.key.toLowerCase()) {
        case "enable": enable = bool(e, "general"); break;
        case "events": {
          const names = list(e.value).map((n) => n.toUpperCase());
          if (names.includes("ALL")) { events = "ALL"; break; }
          for (const n of names) {
            if (!celEventTypes.includes(n as CelEventType)) throw new ConfError(e.file, e.line, `[general] events: unknown event type '${n}'`);
          }
          events = new Set(names as CelEventType[]);
          break;
        }
        case "apps": {
          // Asterisk 22 takes `all` as an application's name; its documentation says every application. Recall does what the documentation says.
          const names = list(e.value).map((n) => n.toLowerCase());
          apps = names.includes("all") ? "all" : new Set(names);
          break;
        }
        case "dateformat": dateformat = e.value; break;
        default: break;
      }
    }
  }
  return { enable, events, apps, dateformat };
}

/**
 * recall.conf [clickhouse] (url, database, username, password) and [projections]
 * (sinks). Other sections belong to interfaces/cli/recall-conf.ts.
 */
export function loadProjectionConf(configDir: string): { clickhouse: ClickHouseSettings; sinks: ProjectionSettings["sinks"] } {
  const path = join(configDir, "recall.conf");
  let clickhouse = defaultClickHouse;
  let sinks: ProjectionSettings["sinks"] = ["chdb"];
  if (!existsSync(path)) return { clickhouse, sinks };
  for (const section of parseConfFile(path).sections) {
    if (section.name !== "clickhouse" && section.name !== "projections") continue;
    for (const e of section.entries) {
      const bad = (reason: string) => new ConfError(e.file, e.line, `[${section.name}] ${e.key}: ${reason}`);
      switch (`${section.name}.${e.key}`) {
        case "clickhouse.url":
          if (!/^https?:\/\/[^/\s]+\/?$/.test(e.value)) throw bad("expected http://host:port");
          clickhouse = { ...clickhouse, url: e.value.replace(/\/$/, "") };
          break;
        case "clickhouse.database":
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.value)) throw bad("letters, digits and '_' only");
          clickhouse = { ...clickhouse, database: e.value };
          break;
        case "clickhouse.username": clickhouse = { ...clickhouse, username: e.value }; break;
        case "clickhouse.password": clickhouse = { ...clickhouse, password: e.value }; break;
        case "projections.sinks": {
          const names = list(e.value);
          for (const n of names) if (n !== "chdb" && n !== "clickhouse" && n !== "csv") throw bad(`'${n}' is not a sink (chdb, clickhouse, csv)`);
          sinks = names as ProjectionSettings["sinks"];
          break;
        }
        default: throw bad("unknown option");
      }
    }
  }
  if (sinks.includes("clickhouse") && !clickhouse.url) throw new ConfError(path, 0, "[projections] sinks includes clickhouse but [clickhouse] has no url");
  return { clickhouse, sinks };
}

export function loadProjectionSettings(configDir: string): ProjectionSettings {
  return { cdr: loadCdrConf(configDir), cel: loadCelConf(configDir), ...loadProjectionConf(configDir) };
}
