/**
 * http.conf `[general]`, as Asterisk's built-in HTTP server reads it: `enabled` (no),
 * `bindaddr` (no default: without it the server stays off, as in Asterisk), `bindport`
 * (8088), `prefix`, `servername` (`Recall/<version>`), `sessionlimit` (100),
 * `session_inactivity` (30000 ms), `session_keep_alive` (15000 ms), and HTTPS:
 * `tlsenable`, `tlsbindaddr` (`host[:port]`, port 8089), `tlscertfile`,
 * `tlsprivatekey` (the certificate file when absent). A bad value is a ConfError
 * naming file, line and option.
 */
import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { ConfError, parseConfFile } from "../../conf/tokenizer.js";
import { parseBool } from "../../sip/config/values.js";

export interface HttpListen { readonly host: string; readonly port: number }

export interface HttpConf {
  /** Plain HTTP, when enabled and bound. */
  readonly http?: HttpListen;
  /** HTTPS, when tlsenable and its files are set. */
  readonly https?: HttpListen & { readonly certFile: string; readonly keyFile: string };
  /** Every URI is served under this prefix (`/ari/...` with `prefix = ari`); "" for none. */
  readonly prefix: string;
  readonly serverName?: string;
  /** Open HTTP sessions (connections), both servers together. */
  readonly sessionLimit: number;
  /** A connection that has sent no complete request head within this time gets 408 and is closed. */
  readonly sessionInactivityMs: number;
  /** An idle keep-alive connection is closed after this time. */
  readonly sessionKeepAliveMs: number;
}

export const HTTP_DEFAULT_PORT = 8088;
export const HTTPS_DEFAULT_PORT = 8089;

function positive(file: string, line: number, key: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfError(file, line, `[general] ${key}: a whole number from 1 up, not "${value}"`);
  return n;
}

function port(file: string, line: number, key: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfError(file, line, `[general] ${key}: a port from 1 to 65535, not "${value}"`);
  return n;
}

function address(file: string, line: number, key: string, value: string): string {
  const host = value.startsWith("[") && value.endsWith("]") ? value.slice(1, -1) : value;
  if (isIP(host) === 0) throw new ConfError(file, line, `[general] ${key}: an IP address, not "${value}"`);
  return host;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
function hostPort(file: string, line: number, key: string, value: string, defaultPort: number): HttpListen {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (v6) return { host: address(file, line, key, v6[1]), port: v6[2] ? port(file, line, key, v6[2]) : defaultPort };
  const colon = value.lastIndexOf(":");
  if (colon > 0 && value.indexOf(":") === colon) {
    return { host: address(file, line, key, value.slice(0, colon)), port: port(file, line, key, value.slice(colon + 1)) };
  }
  return { host: address(file, line, key, value), port: defaultPort };
}

/** http.conf from the config directory; no file means no HTTP server. Throws ConfError. */
export function loadHttpConf(configDir: string): HttpConf {
  const path = join(configDir, "http.conf");
  const found = {
    enabled: false, bindaddr: undefined as string | undefined, bindport: HTTP_DEFAULT_PORT, prefix: "", serverName: undefined as string | undefined,
    sessionLimit: 100, sessionInactivityMs: 30_000, sessionKeepAliveMs: 15_000,
    tlsEnable: false, tlsBind: undefined as HttpListen | undefined, tlsCert: "", tlsKey: "",
  };
  if (!existsSync(path)) return { prefix: "", sessionLimit: 100, sessionInactivityMs: 30_000, sessionKeepAliveMs: 15_000 };
  for (const section of parseConfFile(path).sections) {
    if (section.name !== "general") continue;
    for (const e of section.entries) {
      const value = e.value.trim();
      const bool = () => {
        try { return parseBool(value.toLowerCase()); } catch { throw new ConfError(e.file, e.line, `[general] ${e.key}: yes or no, not "${value}"`); }
      };
      switch (e.key.toLowerCase()) {
        case "enabled": found.enabled = bool(); break;
        case "bindaddr": found.bindaddr = address(e.file, e.line, "bindaddr", value); break;
        case "bindport": found.bindport = port(e.file, e.line, "bindport", value); break;
        case "prefix": found.prefix = value.replace(/^\/+|\/+$/g, ""); break;
        case "servername": found.serverName = value; break;
        case "sessionlimit": found.sessionLimit = positive(e.file, e.line, "sessionlimit", value); break;
        case "session_inactivity": found.sessionInactivityMs = positive(e.file, e.line, "session_inactivity", value); break;
        case "session_keep_alive": found.sessionKeepAliveMs = positive(e.file, e.line, "session_keep_alive", value); break;
        case "tlsenable": found.tlsEnable = bool(); break;
        case "tlsbindaddr": found.tlsBind = hostPort(e.file, e.line, "tlsbindaddr", value, HTTPS_DEFAULT_PORT); break;
        case "tlscertfile": found.tlsCert = value; break;
        case "tlsprivatekey": found.tlsKey = value; break;
        default: break; // redirect, tlscipher... are not read yet
      }
    }
  }
  const http = found.enabled && found.bindaddr !== undefined ? { host: found.bindaddr, port: found.bindport } : undefined;
  let https: HttpConf["https"];
  if (found.enabled && found.tlsEnable) {
    if (found.tlsCert === "") throw new ConfError(path, 0, "[general] tlsenable = yes needs tlscertfile");
    const bind = found.tlsBind ?? { host: "0.0.0.0", port: HTTPS_DEFAULT_PORT };
    https = { ...bind, certFile: found.tlsCert, keyFile: found.tlsKey || found.tlsCert };
  }
  return {
    ...(http ? { http } : {}), ...(https ? { https } : {}), prefix: found.prefix,
    ...(found.serverName !== undefined ? { serverName: found.serverName } : {}),
    sessionLimit: found.sessionLimit, sessionInactivityMs: found.sessionInactivityMs, sessionKeepAliveMs: found.sessionKeepAliveMs,
  };
}
