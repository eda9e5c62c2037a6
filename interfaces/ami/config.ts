/**
 * manager.conf: the AMI listener (`[general]`) and its users (every other section),
 * read with the shared tokenizer. A bad value names file, line, user and reason; a user
 * with an error is not loaded (so a typo never grants more than was meant), the
 * others are. Options Recall does not use are accepted with a warning.
 */
import { ConfError, parseConfFile, resolveTemplates, type ConfEntry } from "../../conf/tokenizer.js";
import { yesNo } from "../../conf/yes-no.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseNetwork, networkContains, type Network } from "../../sip/config/network.js";
import { parseClasses, type AmiClass } from "./classes.js";

export interface AclRule { readonly sense: "permit" | "deny"; readonly network: Network }

export interface ManagerUser {
  readonly name: string;
  readonly secret: string;
  readonly read: ReadonlySet<AmiClass>;
  readonly write: ReadonlySet<AmiClass>;
  /** deny/permit in file order: the last rule matching the address decides, starting from permit. */
  readonly acl: readonly AclRule[];
  /** `eventfilter` lines, in order (see filter.ts). */
  readonly eventFilters: readonly string[];
  readonly displayConnects: boolean;
  /** How long a write to this user's socket may stay blocked before the session is dropped, ms. */
  readonly writeTimeoutMs: number;
}

export interface ManagerConfig {
  readonly enabled: boolean;
  readonly port: number;
  readonly bindaddr: string;
  readonly displayConnects: boolean;
  readonly timestampEvents: boolean;
  /** Seconds a connection may stay unauthenticated. */
  readonly authTimeout: number;
  /** Connections allowed to be unauthenticated at once. */
  readonly authLimit: number;
  readonly users: ReadonlyMap<string, ManagerUser>;
  /** The HTTP manager (/rawman, /manager, /mxml on http.conf's server): `webenabled`, and `enabled` too, as in Asterisk. */
  readonly webEnabled: boolean;
  /** Seconds an HTTP manager session lives after its last request (`httptimeout`). */
  readonly httpTimeout: number;
}

export interface ManagerDiagnostic { readonly file: string; readonly line: number; readonly reason: string }

export const DEFAULT_MANAGER: ManagerConfig = {
  enabled: false, port: 5038, bindaddr: "0.0.0.0", displayConnects: true, timestampEvents: false,
  authTimeout: 30, authLimit: 50, users: new Map(), webEnabled: false, httpTimeout: 60,
};

const IGNORED_GENERAL = new Set(["tlsenable", "tlsbindport", "tlsbindaddr", "tlscertfile", "tlsprivatekey",
  "tlscipher", "debug", "allowmultiplelogin", "channelvars", "mailboxcount", "hidecommands"]);
const IGNORED_USER = new Set(["acl", "setvar", "allowmultiplelogin"]);

/** Whether the user's deny/permit rules let `ip` in. */
export function userAllows(user: ManagerUser, ip: string): boolean {
  let allowed = true;
  for (const rule of user.acl) if (networkContains(rule.network, ip)) allowed = rule.sense === "permit";
  return allowed;
}

/** Read `manager.conf` from a config directory; no file means AMI is off. */
export function loadManagerConf(configDir: string): { config: ManagerConfig; errors: ManagerDiagnostic[]; warnings: ManagerDiagnostic[] } {
  const path = join(configDir, "manager.conf");
  if (!existsSync(path)) return { config: DEFAULT_MANAGER, errors: [], warnings: [] };
  try {
    const file = parseConfFile(path);
    return parseManagerConf(resolveTemplates(file), file.warnings);
  } catch (e) {
    if (e instanceof ConfError) return { config: DEFAULT_MANAGER, errors: [{ file: e.file, line: e.line, reason: e.reason }], warnings: [] };
    throw e;
  }
}

export function parseManagerConf(
  sections: ReturnType<typeof resolveTemplates>, tokenizerWarnings: readonly ManagerDiagnostic[] = [],
): { config: ManagerConfig; errors: ManagerDiagnostic[]; warnings: ManagerDiagnostic[] } {
  const errors: ManagerDiagnostic[] = [];
  const warnings: ManagerDiagnostic[] = [...tokenizerWarnings];
  let general = { ...DEFAULT_MANAGER };
  const users = new Map<string, ManagerUser>();
  for (const section of sections) {
    if (section.name.toLowerCase() === "general") {
      general = readGeneral(section.entries, general, errors, warnings);
      continue;
    }
    const problems: ManagerDiagnostic[] = [];
    const user = readUser(section.name, section.entries, problems, warnings, section);
    if (problems.length) { errors.push(...problems, { file: section.file, line: section.line, reason: `manager user '${section.name}' not loaded` }); continue; }
    if (users.has(section.name)) { warnings.push({ file: section.file, line: section.line, reason: `manager user '${section.name}' defined twice; the first definition is kept` }); continue; }
    users.set(section.name, user);
  }
  return { config: { ...general, users }, errors, warnings };
}

function readGeneral(entries: readonly ConfEntry[], base: ManagerConfig, errors: ManagerDiagnostic[], warnings: ManagerDiagnostic[]): ManagerConfig {
  const g = { ...base } as { -readonly [K in keyof ManagerConfig]: ManagerConfig[K] };
  const bad = (e: ConfEntry, why: string) => errors.push({ file: e.file, line: e.line, reason: `[general] ${e.key}: ${why}` });
  for (const e of entries) {
    const key = e.key.toLowerCase();
    const flag = () => { const v = yesNo(e.value); if (v === undefined) bad(e, `'${e.value}' is not yes or no`); return v; };
    const count = (min: number, max: number) => {
      const n = Number(e.value.trim());
      if (!/^\d+$/.test(e.value.trim()) || n < min || n > max) { bad(e, `'${e.value}' is not a number from ${min} to ${max}`); return undefined; }
      return n;
    };
    switch (key) {
      case "enabled": { const v = flag(); if (v !== undefined) g.enabled = v; break; }
      case "port": { const v = count(1, 65535); if (v !== undefined) g.port = v; break; }
      case "bindaddr": {
        const v = e.value.trim();
        try { parseNetwork(v); g.bindaddr = v; } catch { bad(e, `'${v}' is not an IP address`); }
        break;
      }
      case "displayconnects": { const v = flag(); if (v !== undefined) g.displayConnects = v; break; }
      case "timestampevents": { const v = flag(); if (v !== undefined) g.timestampEvents = v; break; }
      case "authtimeout": { const v = count(1, 86400); if (v !== undefined) g.authTimeout = v; break; }
      case "authlimit": { const v = count(1, 100000); if (v !== undefined) g.authLimit = v; break; }
      case "webenabled": { const v = flag(); if (v !== undefined) g.webEnabled = v; break; }
      case "httptimeout": { const v = count(1, 86400); if (v !== undefined) g.httpTimeout = v; break; }
      default:
        warnings.push({ file: e.file, line: e.line, reason: IGNORED_GENERAL.has(key)
          ? `[general] ${e.key} is accepted and not used by Recall` : `[general] unknown option '${e.key}'` });
    }
  }
  return g;
}

function readUser(name: string, entries: readonly ConfEntry[], errors: ManagerDiagnostic[], warnings: ManagerDiagnostic[], at: { file: string; line: number }): ManagerUser {
  let secret: string | undefined;
  let read = new Set<AmiClass>(), write = new Set<AmiClass>();
  const acl: AclRule[] = [];
  const eventFilters: string[] = [];
  let displayConnects = true, writeTimeoutMs = 100;
  const bad = (e: ConfEntry, why: string) => errors.push({ file: e.file, line: e.line, reason: `manager user '${name}': ${e.key}: ${why}` });
  for (const e of entries) {
    const key = e.key.toLowerCase();
    switch (key) {
      case "secret": secret = e.value; break;
      case "read": case "write": {
        const { classes, unknown } = parseClasses(e.value);
        if (unknown.length) { bad(e, `unknown class${unknown.length > 1 ? "es" : ""} ${unknown.map((u) => `'${u}'`).join(", ")}`); break; }
        if (key === "read") read = classes; else write = classes;
        break;
      }
      case "deny": case "permit":
        try { acl.push({ sense: key, network: parseNetwork(e.value.trim()) }); } catch (err) { bad(e, (err as Error).message); }
        break;
      case "eventfilter": eventFilters.push(e.value); break;
      case "displayconnects": {
        const v = yesNo(e.value);
        if (v === undefined) bad(e, `'${e.value}' is not yes or no`); else displayConnects = v;
        break;
      }
      case "writetimeout": {
        const n = Number(e.value.trim());
        if (!/^\d+$/.test(e.value.trim()) || n < 100) bad(e, `'${e.value}' is not a number of milliseconds of at least 100`); else writeTimeoutMs = n;
        break;
      }
      default:
        warnings.push({ file: e.file, line: e.line, reason: IGNORED_USER.has(key)
          ? `manager user '${name}': ${e.key} is accepted and not used by Recall` : `manager user '${name}': unknown option '${e.key}'` });
    }
  }
  if (secret === undefined) errors.push({ file: at.file, line: at.line, reason: `manager user '${name}': no secret` });
  return { name, secret: secret ?? "", read, write, acl, eventFilters, displayConnects, writeTimeoutMs };
}

/**
 * Whether CEL and CDR records go out as AMI events: cel.conf `[manager] enabled` and
 * cdr_manager.conf `[general] enabled`, both off by default as in Asterisk.
 */
export function managerProjections(configDir: string): { cel: boolean; cdr: boolean } {
  const enabled = (file: string, section: string) => {
    const path = join(configDir, file);
    if (!existsSync(path)) return false;
    try {
      const s = parseConfFile(path).sections.find((x) => x.name.toLowerCase() === section);
      const e = s?.entries.find((x) => x.key.toLowerCase() === "enabled");
      return e ? yesNo(e.value) === true : false;
    } catch { return false; }
  };
  return { cel: enabled("cel.conf", "manager"), cdr: enabled("cdr_manager.conf", "general") };
}
