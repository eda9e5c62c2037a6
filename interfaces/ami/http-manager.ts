/**
 * Asterisk's HTTP manager (AJAM) on http.conf's server: `/rawman`, `/manager` and
 * `/mxml` take one action per request, its headers as the query string or a
 * form-encoded POST body (`action=login&username=...&secret=...`), and answer in
 * plain AMI text, an HTML table or XML (http-format.ts). They exist when manager.conf
 * has both `enabled` and `webenabled`, as in Asterisk, with the same users, ACLs,
 * classes and login throttle as TCP (session.ts).
 *
 * Sessions: a `mansession_id` cookie names one. Login makes it (Set-Cookie with
 * Max-Age = `httptimeout`); every request keeps it alive for `httptimeout` seconds;
 * Logoff or a failed login ends it. Events reach a logged-in session as on TCP and
 * wait in it until `action=waitevent` takes them: at once when some wait, else when
 * the next one comes or `timeout` seconds pass (at most httptimeout - 10).
 *
 * Bounds: a POST body over MAX_BODY bytes is 413; a request with more than
 * MAX_HEADERS parameters gets an AMI error; events waiting for a session that never
 * asks for them: over the AMI bound (4 MiB) the session ends, logged; sessions that
 * only hold a Challenge: at most manager.conf `authlimit` (the oldest goes) and each
 * lives 5 s (MD5 login is challenge, then login with the key, on the same cookie).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpServer } from "../http/server.js";
import { AmiMessage, MAX_HEADERS } from "./message.js";
import { ManagerSession } from "./session.js";
import type { AmiServer } from "./server.js";
import { CONTENT_TYPE, managerBody, type ManagerFormat } from "./http-format.js";

const MAX_BODY = 64 * 1024;
const MAX_QUEUED = 4 * 1024 * 1024;
/** How long a session that is not logged in (it holds a Challenge) lives, seconds (Asterisk's 5). */
const UNAUTHENTICATED_TTL = 5;

/** Where a request's replies go while its action runs (two requests of one session may run at once: a WaitEvent and a Ping). */
const replies = new AsyncLocalStorage<string[]>();

class HttpSession extends ManagerSession {
  readonly key = randomBytes(8).toString("hex");
  private readonly queue: (string | Buffer)[] = [];
  private queued = 0;
  private ended = false;
  private expiry: NodeJS.Timeout | undefined;
  /** Requests of this session being answered: it does not expire under them. */
  inFlight = 0;
  /** When it was last used (for evicting the oldest of the sessions that only hold a Challenge). */
  usedAt = 0;
  /** The AMI session asked to end (Logoff, a failed login, too many waiting events). */
  ending = false;

  constructor(server: AmiServer, ip: string, private readonly manager: HttpManager) { super(server, ip, "HTTP "); }

  get gone(): boolean { return this.ended; }

  protected write(text: string): void { replies.getStore()?.push(text); }

  protected writeEvent(text: string | Buffer): void {
    if (this.ended) return;
    this.queue.push(text);
    this.queued += text.length;
    if (this.queued > (this.server.deps.maxPending ?? MAX_QUEUED)) {
      this.logger.log("WARNING", "manager.c", `HTTP Manager '${this.user?.name ?? ""}' at ${this.ip} does not take its events (over ${this.queued} bytes waiting); session ended`);
      this.end();
      return;
    }
    this.eventArrived();
  }

  protected override hasEvents(): boolean { return this.queue.length > 0; }

  protected override flushEvents(): void {
    const out = replies.getStore();
    for (const t of this.queue.splice(0)) out?.push(typeof t === "string" ? t : t.toString("utf8"));
    this.queued = 0;
  }

  protected override waitLimit(): number { return Math.max(1, this.server.deps.config.httpTimeout - 10); }

  protected logoff(): void { this.ending = true; }

  protected override loggedIn(): void { this.server.attach(this); }

  /** Keep the session for `seconds` after now (longer while a request of it runs). */
  touch(seconds: number, now: number): void {
    this.usedAt = now;
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => (this.inFlight > 0 ? this.touch(seconds, Date.now()) : this.end()), seconds * 1000);
    this.expiry.unref();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.expiry);
    this.queue.length = 0;
    this.server.detach(this);
    this.manager.forget(this);
    this.closedSession();
  }
}

export class HttpManager {
  private readonly sessions = new Map<string, HttpSession>();

  constructor(private readonly ami: AmiServer) {}

  /** Mount `/rawman`, `/manager` and `/mxml` (Asterisk's descriptions, as `http show status` lists them). */
  mount(http: HttpServer): void {
    const uris: [string, ManagerFormat, string][] = [
      ["/rawman", "raw", "Raw HTTP Manager Event Interface"],
      ["/manager", "html", "HTML Manager Event Interface"],
      ["/mxml", "xml", "XML Manager Event Interface"],
    ];
    for (const [path, format, description] of uris) {
      http.route(path, description, ["GET", "POST"], (req, res) => {
        this.request(req, res, format).catch((e: Error) => {
          this.ami.deps.logger.log("ERROR", "manager.c", `HTTP manager request from ${req.socket.remoteAddress ?? ""} failed: ${e.message}`);
          if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
          res.end("500 Internal Server Error\n");
        });
      });
    }
  }

  /** Sessions alive now (logged in, or holding a Challenge). */
  get size(): number { return this.sessions.size; }

  forget(session: HttpSession): void {
    if (this.sessions.get(session.key) === session) this.sessions.delete(session.key);
  }

  stop(): void {
    for (const s of [...this.sessions.values()]) s.end();
  }

  private async request(req: IncomingMessage, res: ServerResponse, format: ManagerFormat): Promise<void> {
    const body = req.method === "POST" ? await readBody(req) : "";
    if (body === undefined) {
      res.writeHead(413, { "Content-Type": "text/plain", Connection: "close" }).end("413 Request Entity Too Large\n");
      req.socket.destroy();
      return;
    }
    const params = parameters(req.url ?? "", body);
    const config = this.ami.deps.config;
    const known = this.sessions.get(cookie(req.headers.cookie) ?? "");
    const session = known && !known.gone ? known : new HttpSession(this.ami, (req.socket.remoteAddress ?? "").replace(/^::ffff:/, ""), this);
    const out: string[] = [];
    session.inFlight++;
    try {
      await replies.run(out, () => params.length > MAX_HEADERS
        ? session.reply(undefined, [[["Response", "Error"], ["Message", `Message refused: more than ${MAX_HEADERS} headers`]]])
        : session.action(new AmiMessage(params)));
    } finally {
      session.inFlight--;
    }
    const action = (params.find(([k]) => k.toLowerCase() === "action")?.[1] ?? "").toLowerCase();
    // A failed login ends the session (Asterisk destroys it); one that only asked for a Challenge is kept, briefly.
    const keep = !session.ending && !session.gone && (session.user !== undefined || action === "challenge");
    const headers: Record<string, string> = { "Content-Type": CONTENT_TYPE[format], "Cache-Control": "no-cache" };
    if (keep) {
      if (!known) this.admit(session);
      const ttl = session.user ? config.httpTimeout : Math.min(UNAUTHENTICATED_TTL, config.httpTimeout);
      session.touch(ttl, Date.now());
      headers["Set-Cookie"] = `mansession_id="${session.key}"; Version=1; Max-Age=${ttl}`;
    } else if (known || session.user) session.end();
    res.writeHead(200, headers).end(managerBody(format, out.join(""), params));
  }

  /** A new session kept: those that only hold a Challenge are at most `authlimit`, the oldest goes. */
  private admit(session: HttpSession): void {
    if (!session.user) {
      const waiting = [...this.sessions.values()].filter((s) => !s.user);
      if (waiting.length >= this.ami.deps.config.authLimit) waiting.sort((a, b) => a.usedAt - b.usedAt)[0].end();
    }
    this.sessions.set(session.key, session);
  }
}

/** The `mansession_id` cookie's value (quoted or not). */
function cookie(header: string | undefined): string | undefined {
  const m = /(?:^|;\s*)mansession_id="?([0-9a-f]+)"?/i.exec(header ?? "");
  return m?.[1];
}

/** The request's parameters as AMI headers: the query string's, then a form-encoded body's, in order. */
function parameters(url: string, body: string): [string, string][] {
  const q = url.indexOf("?");
  const out: [string, string][] = [];
  for (const source of [q >= 0 ? url.slice(q + 1) : "", body]) {
    for (const [k, v] of new URLSearchParams(source)) if (k) out.push([k, v]);
  }
  return out;
}

/** The body, or undefined once it passes MAX_BODY. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { req.removeAllListeners("data"); resolve(undefined); return; }
      chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
