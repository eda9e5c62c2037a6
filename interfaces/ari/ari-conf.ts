/**
 * ari.conf, as Asterisk's res_ari reads it: `[general]` `enabled` (yes), `pretty` (no),
 * `allowed_origins` (comma-separated, for CORS), `websocket_write_timeout` (100 ms:
 * how long a write to an event WebSocket may stay blocked before the client is
 * dropped); and users, one section each with `type = user`, `read_only` (no),
 * `password`, `password_format = plain|crypt`. A bad value is a ConfError naming file,
 * line and object. No file: ARI stays off, as in Asterisk without ari.conf users.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfError, parseConfFile } from "../../conf/tokenizer.js";

export interface AriUser {
  readonly name: string;
  readonly readOnly: boolean;
  readonly password: string;
  readonly passwordFormat: "plain" | "crypt";
}

export interface AriConf {
  readonly enabled: boolean;
  readonly pretty: boolean;
  readonly allowedOrigins: readonly string[];
  readonly websocketWriteTimeoutMs: number;
  readonly users: ReadonlyMap<string, AriUser>;
}

export const ARI_DISABLED: AriConf = { enabled: false, pretty: false, allowedOrigins: [], websocketWriteTimeoutMs: 100, users: new Map() };

function yesNo(file: string, line: number, where: string, key: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (["yes", "true", "y", "t", "1", "on"].includes(v)) return true;
  if (["no", "false", "n", "f", "0", "off"].includes(v)) return false;
  throw new ConfError(file, line, `[${where}] ${key}: yes or no, not "${value}"`);
}

export function parseAriConf(path: string): AriConf {
  let enabled = true, pretty = false, websocketWriteTimeoutMs = 100;
  let allowedOrigins: string[] = [];
  const users = new Map<string, AriUser>();
  for (const section of parseConfFile(path).sections) {
    if (section.name === "general") {
      for (const e of section.entries) {
        const value = e.value.trim();
        switch (e.key.toLowerCase()) {
          case "enabled": enabled = yesNo(e.file, e.line, "general", e.key, value); break;
          case "pretty": pretty = yesNo(e.file, e.line, "general", e.key, value); break;
          case "allowed_origins": allowedOrigins = value.split(",").map((o) => o.trim()).filter(Boolean); break;
          case "websocket_write_timeout": {
            const n = Number(value);
            if (!Number.isInteger(n) || n < 1) throw new ConfError(e.file, e.line, `[general] websocket_write_timeout: a whole number of milliseconds from 1 up, not "${value}"`);
            websocketWriteTimeoutMs = n;
            break;
          }
          default: break; // auth_realm, channelvars: not read yet
        }
      }
      continue;
    }
    const type = section.entries.find((e) => e.key.toLowerCase() === "type");
    if (!type) throw new ConfError(section.file, section.line, `[${section.name}] has no type (type = user)`);
    if (type.value.trim().toLowerCase() !== "user") throw new ConfError(type.file, type.line, `[${section.name}] type: "user" is the only type, not "${type.value.trim()}"`);
    let readOnly = false, password = "", passwordFormat: "plain" | "crypt" = "plain";
    for (const e of section.entries) {
      const value = e.value.trim();
      switch (e.key.toLowerCase()) {
        case "type": break;
        case "read_only": readOnly = yesNo(e.file, e.line, section.name, e.key, value); break;
        case "password": password = value; break;
        case "password_format":
          if (value !== "plain" && value !== "crypt") throw new ConfError(e.file, e.line, `[${section.name}] password_format: plain or crypt, not "${value}"`);
          passwordFormat = value;
          break;
        default: throw new ConfError(e.file, e.line, `[${section.name}] unknown option ${e.key}`);
      }
    }
    if (password === "") throw new ConfError(section.file, section.line, `[${section.name}] has no password; the user is not usable`);
    users.set(section.name, { name: section.name, readOnly, password, passwordFormat });
  }
  return { enabled, pretty, allowedOrigins, websocketWriteTimeoutMs, users };
}

export function loadAriConf(configDir: string): AriConf {
  const path = join(configDir, "ari.conf");
  return existsSync(path) ? parseAriConf(path) : ARI_DISABLED;
}
