/**
 * Who an ARI request comes from: HTTP Basic credentials or `api_key=user:password`
 * (query string), checked against ari.conf's users. Anything else is 401; a read-only
 * user may only read (GET), other methods are 403. `password_format = crypt` passwords
 * (`$1$` MD5, `$5$` SHA-256, `$6$` SHA-512 crypt, as Asterisk's `ari mkpasswd` makes)
 * are checked with `openssl passwd` (Node has no crypt(3)); a good pair is remembered
 * (at most 1,000), so a client pays for the check once.
 */
import type { IncomingMessage } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { execFileSync } from "node:child_process";
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

const verified = new Set<string>();

/** Whether `password` hashes to `hash` (`$id$salt$digest`). */
export function cryptMatches(password: string, hash: string): boolean {
  const m = /^\$([156])\$([^$]{1,16})\$[./0-9A-Za-z]+$/.exec(hash);
  if (!m) return false;
  const key = `${hash}\0${password}`;
  if (verified.has(key)) return true;
  let made: string;
  try {
    made = execFileSync("openssl", ["passwd", `-${m[1]}`, "-salt", m[2], "-stdin"], { input: password, timeout: 2000, stdio: ["pipe", "pipe", "ignore"] }).toString().trim();
  } catch {
    return false;
  }
  const ok = same(made, hash);
  if (ok) {
    if (verified.size >= 1000) verified.clear();
    verified.add(key);
  }
  return ok;
}

export function authenticate(conf: AriConf, request: IncomingMessage, query: URLSearchParams): AuthResult {
  const given = credentials(request, query);
  const user = given ? conf.users.get(given.user) : undefined;
  const good = given && user && (user.passwordFormat === "plain" ? same(given.password, user.password) : cryptMatches(given.password, user.password));
  if (!given || !user || !good) {
    return { ok: false, status: 401, message: "Authentication required" };
  }
  if (user.readOnly && request.method !== "GET" && request.method !== "HEAD" && request.method !== "OPTIONS") {
    return { ok: false, status: 403, message: "Write not permitted for read-only user" };
  }
  return { ok: true, user };
}
