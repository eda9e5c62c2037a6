/**
 * Who an ARI request comes from: HTTP Basic credentials or `api_key=user:password`
 * (query string), checked against ari.conf's users. Anything else is 401; a read-only
 * user may only read (GET), other methods are 403. `crypt` passwords are not verified
 * here (no crypt(3) in Node): such users are refused, and the README says so.
 */
import type { IncomingMessage } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { AriConf, AriUser } from "./ari-conf.js";

export type AuthResult =
  | { readonly ok: true; readonly user: AriUser }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function credentials(request: IncomingMessage, query: URLSearchParams): { user: string; password: string } | undefined {
  const header = request.headers.authorization;
  if (header && /^basic /i.test(header)) {
    const text = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
    const colon = text.indexOf(":");
    if (colon > 0) return { user: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  const key = query.get("api_key");
  if (key) {
    const colon = key.indexOf(":");
    if (colon > 0) return { user: key.slice(0, colon), password: key.slice(colon + 1) };
  }
  return undefined;
}

export function authenticate(conf: AriConf, request: IncomingMessage, query: URLSearchParams): AuthResult {
  const given = credentials(request, query);
  const user = given ? conf.users.get(given.user) : undefined;
  if (!given || !user || user.passwordFormat !== "plain" || !same(given.password, user.password)) {
    return { ok: false, status: 401, message: "Authentication required" };
  }
  if (user.readOnly && request.method !== "GET" && request.method !== "HEAD" && request.method !== "OPTIONS") {
    return { ok: false, status: 403, message: "Write not permitted for read-only user" };
  }
  return { ok: true, user };
}
