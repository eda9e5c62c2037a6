/**
 * Endpoint identification: which configured endpoint an incoming request comes from,
 * tried in the global `endpoint_identifier_order` (default ip, username, anonymous):
 *   ip            an `identify` whose `match` holds the source address (or whose
 *                 `match_header` the request carries)
 *   username      an endpoint named after the From user (or user@domain), if its
 *                 `identify_by` allows it
 *   auth_username an endpoint whose auth has the Authorization username
 *   anonymous     the endpoint named "anonymous"
 */
import type { Endpoint, PjsipModel } from "../config/model.js";
import { networkContains } from "../config/network.js";
import type { SipRequest } from "../message/index.js";
import { parseCredentials } from "../auth/index.js";

export type IdentifiedBy = "ip" | "header" | "username" | "auth_username" | "anonymous";
export interface Identified { readonly endpoint: Endpoint; readonly by: IdentifiedBy }

/** Host names of identify `match` lines, resolved by the caller (no I/O in here). */
export type ResolvedHosts = ReadonlyMap<string, readonly string[]>;

function byIp(model: PjsipModel, req: SipRequest, ip: string, port: number, resolved: ResolvedHosts): Identified | undefined {
  for (const identify of model.identifies.values()) {
    const endpoint = model.endpoints.get(identify.endpoint);
    if (!endpoint) continue;
    for (const m of identify.match) {
      if (m.port !== undefined && m.port !== port) continue;
      if (m.kind === "network" ? networkContains(m.network, ip) : (resolved.get(m.host) ?? []).includes(ip)) return { endpoint, by: "ip" };
    }
    if (identify.match_header) {
      const colon = identify.match_header.indexOf(":");
      const name = identify.match_header.slice(0, colon).trim();
      const value = identify.match_header.slice(colon + 1).trim();
      if (colon > 0 && req.getAll(name).some((v) => v.trim() === value)) return { endpoint, by: "header" };
    }
  }
  return undefined;
}

function byUsername(model: PjsipModel, req: SipRequest): Identified | undefined {
  let uri;
  try { uri = req.from.uri; } catch { return undefined; }
  const user = uri.user;
  if (!user) return undefined;
  const endpoint = model.endpoints.get(`${user}@${uri.host}`) ?? model.endpoints.get(user);
  return endpoint && endpoint.identify_by.includes("username") ? { endpoint, by: "username" } : undefined;
}

function byAuthUsername(model: PjsipModel, req: SipRequest): Identified | undefined {
  const header = req.get("Authorization") ?? req.get("Proxy-Authorization");
  if (!header) return undefined;
  let username: string;
  try { username = parseCredentials(header).username; } catch { return undefined; }
  for (const endpoint of model.endpoints.values()) {
    if (!endpoint.identify_by.includes("auth_username")) continue;
    if (endpoint.auth.some((a) => model.auths.get(a)?.username === username)) return { endpoint, by: "auth_username" };
  }
  return undefined;
}

const ALL_METHODS = ["ip", "username", "auth_username", "anonymous"];

export function identifyEndpoint(model: PjsipModel, req: SipRequest, source: { host: string; port: number }, resolved: ResolvedHosts = new Map()): Identified | undefined {
  // Identifiers the order leaves out still run, after the listed ones (as in Asterisk).
  const order = model.global.endpoint_identifier_order;
  for (const method of [...order, ...ALL_METHODS.filter((m) => !order.includes(m))]) {
    let found: Identified | undefined;
    switch (method) {
      case "ip": found = byIp(model, req, source.host, source.port, resolved); break;
      case "username": found = byUsername(model, req); break;
      case "auth_username": found = byAuthUsername(model, req); break;
      case "anonymous": {
        const endpoint = model.endpoints.get("anonymous");
        found = endpoint && { endpoint, by: "anonymous" };
        break;
      }
    }
    if (found) return found;
  }
  return undefined;
}
