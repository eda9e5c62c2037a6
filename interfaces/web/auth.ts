/**
 * Who may see the console: manager.conf's users (interfaces/ami/config.ts) whose
 * `read` includes `cdr` or `reporting`, from an address their deny/permit rules let in.
 * Credentials come as HTTP Basic on each request or through the login form, which
 * gives a session cookie (random, HttpOnly, SameSite=Strict, 8 hours, at most
 * MAX_SESSIONS at once: the oldest goes first). Contract: no page or feed is answered
 * without one of the two; every refused login is logged at NOTICE in the line Asterisk
 * writes for a refused manager login (`<ip> failed to authenticate as '<user>'`,
 * `<ip> tried to authenticate with nonexistent user '<user>'`), which fail2ban's
 * asterisk filter reads.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Logger } from "../../core/logger.js";
import { userAllows, type ManagerUser } from "../ami/config.js";

export const SESSION_COOKIE = "recall_session";
export const MAX_SESSIONS = 1000;
const SESSION_MS = 8 * 3600_000;

export type Login = { ok: true; user: ManagerUser } | { ok: false; status: 401 | 403; reason: string };

export const mayView = (user: ManagerUser): boolean => user.read.has("cdr") || user.read.has("reporting");

function same(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function clientIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
}

export class WebAuth {
  readonly #sessions = new Map<string, { user: string; expires: number }>();

  constructor(private readonly users: () => ReadonlyMap<string, ManagerUser>, private readonly logger: Logger, private readonly now: () => number = () => Date.now()) {}

  /** Check a name and secret from `ip`; a refusal is logged. */
  check(name: string, secret: string, ip: string): Login {
    const user = this.users().get(name);
    const refuse = (line: string, status: 401 | 403 = 401, reason = "Authentication failed"): Login => {
      this.logger.log("NOTICE", "http.c", line);
      return { ok: false, status, reason };
    };
    const shown = name.slice(0, 80).replace(/[^\x20-\x7e]/g, "?");
    if (!user) return refuse(`${ip} tried to authenticate with nonexistent user '${shown}'`);
    if (!userAllows(user, ip)) return refuse(`${ip} failed to pass IP ACL as '${shown}'`);
    if (!same(secret, user.secret)) return refuse(`${ip} failed to authenticate as '${shown}'`);
    if (!mayView(user)) return refuse(`${ip} failed to authenticate as '${shown}': read=cdr or reporting is needed for the web console`, 403, "This user may not read call records (read=cdr or reporting)");
    return { ok: true, user };
  }

  /** The request's user, from its session cookie or Basic credentials; undefined when it brings neither. */
  authenticate(req: IncomingMessage): Login | undefined {
    const token = cookie(req, SESSION_COOKIE);
    if (token) {
      const s = this.#sessions.get(token);
      const user = s && s.expires > this.now() ? this.users().get(s.user) : undefined;
      if (user && mayView(user) && userAllows(user, clientIp(req))) return { ok: true, user };
      if (s) this.#sessions.delete(token);
    }
    const header = req.headers.authorization;
    if (!header) return undefined;
    const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
    if (!m) return { ok: false, status: 401, reason: "Only HTTP Basic authentication is taken" };
    const decoded = Buffer.from(m[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return { ok: false, status: 401, reason: "Malformed Basic credentials" };
    return this.check(decoded.slice(0, colon), decoded.slice(colon + 1), clientIp(req));
  }

  /** A new session for `user`: its cookie value. */
  open(user: ManagerUser): string {
    const token = randomBytes(24).toString("base64url");
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value as string);
    this.#sessions.set(token, { user: user.name, expires: this.now() + SESSION_MS });
    return token;
  }

  close(req: IncomingMessage): void {
    const token = cookie(req, SESSION_COOKIE);
    if (token) this.#sessions.delete(token);
  }
}

export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export const sessionCookie = (token: string, path: string, secure: boolean): string =>
  `${SESSION_COOKIE}=${token}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${secure ? "; Secure" : ""}`;
