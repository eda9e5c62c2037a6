/**
 * ARI in a running Recall: ari.conf read (an error in it is logged and ARI stays off),
 * the REST interface and event WebSocket mounted on the http.conf server, Stasis()
 * given to the dialplan, and `ari show apps` / `ari show users` on the console.
 */
import { join } from "node:path";
import type { Logger } from "../../core/logger.js";
import type { Random } from "../../core/random.js";
import type { EventLog } from "../../events/log.js";
import type { SipServer } from "../../sip/server.js";
import type { CommandTable } from "../../core/commands.js";
import type { HttpServer } from "../http/server.js";
import { Ari, loadAriConf } from "../ari/index.js";
import type { AriConf } from "../ari/ari-conf.js";
import type { DialplanService } from "./dialplan-service.js";

export interface AriServiceOptions {
  readonly configDir: string;
  readonly dataDir: string;
  readonly sip: SipServer;
  readonly http: HttpServer;
  readonly log: EventLog;
  readonly random: Random;
  readonly logger: Logger;
  readonly dialplan: DialplanService;
  readonly table: CommandTable;
  readonly version: string;
  readonly startedAt: number;
}

export function startAri(o: AriServiceOptions): Ari | undefined {
  let conf: AriConf;
  try {
    conf = loadAriConf(o.configDir);
  } catch (e) {
    o.logger.log("ERROR", "res_ari.c", `${(e as Error).message}; ARI is not running`);
    return undefined;
  }
  const core = o.sip.calls?.core;
  if (!conf.enabled || conf.users.size === 0 || !core) return undefined;
  if (!o.http.plain && !o.http.secure) {
    o.logger.log("WARNING", "res_ari.c", "ari.conf is enabled but the HTTP server is not running (http.conf): ARI is not reachable");
  }
  for (const u of conf.users.values()) {
    if (u.passwordFormat === "crypt" && !/^\$[156]\$[^$]{1,16}\$[./0-9A-Za-z]+$/.test(u.password)) {
      o.logger.log("WARNING", "res_ari.c", `ARI user '${u.name}': password is not a $1$, $5$ or $6$ crypt hash; the user cannot log in`);
    }
  }
  const sip = o.sip;
  const ari = new Ari({
    conf, core, random: o.random, logger: o.logger, version: `Recall ${o.version}`, systemName: "recall", startedAt: o.startedAt,
    endpoints: () => [...sip.pjsip.endpoints.values()].map((e) => {
      const aors = (e as unknown as { aors?: readonly string[] }).aors ?? [];
      const online = aors.some((a) => sip.registrar.contacts(a).length > 0);
      return { technology: "PJSIP", resource: e.name, state: online ? "online" : "offline" };
    }),
    globals: o.dialplan.globalVariables(),
    recordingDir: join(o.dataDir, "recording"),
    soundsDir: "/usr/share/asterisk/sounds",
  });
  ari.start(o.http, o.log);
  o.dialplan.setStasis(ari.stasis);
  // A MESSAGE from an endpoint an application is subscribed to is ARI's too (TextMessageReceived), dialplan or not.
  sip.messages?.addHandler((endpoint) => ari.stasis.all().length > 0 || ari.stasis.endpoint("PJSIP", endpoint).length > 0);
  o.table.register("ari show apps", "List registered ARI applications", () =>
    `Application Name\n=========================\n${[...ari.stasis.apps.values()].filter((a) => a.sinks.size > 0).map((a) => `${a.name}\n`).join("")}`);
  o.table.register("ari show users", "List ARI users", () =>
    `r/o?  Username\n----  --------\n${[...conf.users.values()].map((u) => `${u.readOnly ? "Yes" : "No "}   ${u.name}\n`).join("")}`);
  o.table.register("ari show status", "Show ARI settings", () =>
    `ARI Status:\nEnabled: Yes\nOutput format: ${conf.pretty ? "pretty" : "compact"}\nAuth realm: Asterisk REST Interface\nAllowed Origins: ${conf.allowedOrigins.join(",")}\nUser count: ${conf.users.size}\n` +
    `Requests: ${ari.stats.requests}, events delivered: ${ari.stasis.stats.delivered}, open event sockets: ${ari.sockets.open.size}\n` +
    handlingLine(ari.handlingFigures()));
  o.logger.log("VERBOSE", "res_ari.c", `ARI serving ${conf.users.size} user(s) at /ari`);
  return ari;
}

function handlingLine(f: { count: number; p50: number; p99: number; max: number }): string {
  return `Request handling (last ${f.count}): p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, max ${f.max.toFixed(2)} ms\n`;
}
