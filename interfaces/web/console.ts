/**
 * The web console on Recall's HTTP server (http.conf): `/login`, `/logout`, `/cdr`,
 * `/cdr.csv` and `/calls/<linkedid>`, all below http.conf's prefix. Contract: every
 * path but `/login` answers only a request that brings a session or Basic credentials
 * of a user allowed to read records (auth.ts); without them the answer is 401 with
 * the login form. Bad input is a 4xx that names the field; a failing query is a 500
 * that says so without the engine's text (that goes to the log).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../core/logger.js";
import type { QueryParams } from "../../projections/sinks/sql.js";
import type { ManagerUser } from "../ami/config.js";
import type { HttpServer } from "../http/server.js";
import type { EventLog } from "../../events/log.js";
import { callLog, recordings, type LogStep } from "./call-log.js";
import { createReadStream, statSync } from "node:fs";
import type { Wallboard } from "./wallboard.js";
import { queuesBody, boardFragment, WALLBOARD_STYLE } from "./queues-page.js";
import { clientIp, sessionCookie, WebAuth, type Login } from "./auth.js";
import { CallCounts, pageOfCalls, windowed, type CallCount } from "./cdr-calls.js";
import { csvQuery, FilterError, parseFilter, rowsQuery, type CdrFilter } from "./cdr-query.js";
import { cdrBody, type CdrRecord, type CdrView } from "./cdr-page.js";
import { html } from "./html.js";
import { page } from "./layout.js";
import { callBody, LINKEDID, type CelRecord } from "./call-page.js";

export type Query = (sql: string, params: QueryParams, format: string) => Promise<string>;

export interface WebConsoleDeps {
  /** Reads on the projection tables (runner.ts `query`); undefined when there is no SQL sink. */
  readonly query?: Query;
  /** manager.conf's users, as loaded now. */
  readonly users: () => ReadonlyMap<string, ManagerUser>;
  readonly logger: Logger;
  /** http.conf's prefix ("" or "ari"). */
  readonly prefix: string;
  /** The event log: a call's page shows every actor transition of its linkedid. */
  readonly log?: EventLog;
  /** Where MixMonitor's relative file names land (DATA/monitor): the only place recordings are played from. */
  readonly monitorDir?: string;
  /** The queues' live state (wallboard.ts); without it /queues says there are none. */
  readonly wallboard?: Wallboard;
}

/** A wallboard client that has not read this much of its stream is dropped (a slow or stalled reader). */
const MAX_UNREAD_STREAM = 1 << 20;
const KEEPALIVE_MS = 15_000;

const MAX_FORM_BYTES = 4096;
/** How long a page waits for its count before leaving it to its script. */
const COUNT_WAIT_MS = 300;

const headers = (type: string) => ({
  "Content-Type": type, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
});

const rowsOf = <T>(text: string): T[] => text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as T);

export class WebConsole {
  readonly auth: WebAuth;
  readonly base: string;
  readonly #counts = new CallCounts();

  constructor(private readonly deps: WebConsoleDeps) {
    this.auth = new WebAuth(deps.users, deps.logger);
    this.base = deps.prefix ? `/${deps.prefix}` : "";
  }

  mount(http: HttpServer): void {
    http.route("/", "Recall web console", ["GET", "HEAD"], (q, s) => this.gate(q, s, () => this.redirect(s, "/cdr")));
    http.route("/login", "Web console login", ["GET", "HEAD", "POST"], (q, s) => this.login(q, s));
    http.route("/logout", "Web console logout", ["GET", "POST"], (q, s) => this.logout(q, s));
    http.route("/cdr", "Call records", ["GET", "HEAD"], (q, s) => this.gate(q, s, (user) => this.cdr(q, s, user)));
    http.route("/cdr/count", "How many calls match a filter (JSON)", ["GET"], (q, s) => this.gate(q, s, () => this.cdrCount(q, s)));
    http.route("/cdr.csv", "Call records as CSV", ["GET", "HEAD"], (q, s) => this.gate(q, s, () => this.csv(q, s)));
    http.route("/calls/*", "A call's timeline", ["GET", "HEAD"], (q, s) => this.gate(q, s, (user) => this.call(q, s, user)));
    http.route("/queues", "Queue wallboard", ["GET", "HEAD"], (q, s) => this.gate(q, s, (user) => this.queues(s, user)));
    http.route("/queues/events", "Queue wallboard feed (server-sent events)", ["GET"], (q, s) => this.gate(q, s, () => this.queueEvents(q, s)));
  }

  /** Run `then` for an authenticated user; anything else is refused here. */
  gate(req: IncomingMessage, res: ServerResponse, then: (user: ManagerUser) => void | Promise<void>): void {
    const login = this.auth.authenticate(req);
    if (login?.ok) {
      Promise.resolve(then(login.user)).catch((e: Error) => this.fail(res, e));
      return;
    }
    this.refuse(req, res, login);
  }

  refuse(req: IncomingMessage, res: ServerResponse, login: Login | undefined): void {
    const status = login && !login.ok ? login.status : 401;
    const browser = (req.headers.accept ?? "").includes("text/html");
    res.writeHead(status, {
      ...headers("text/html; charset=utf-8"),
      // A browser gets the login form; other clients are asked for Basic credentials.
      ...(browser && !req.headers.authorization ? {} : { "WWW-Authenticate": 'Basic realm="Recall", charset="UTF-8"' }),
    });
    res.end(this.loginPage(req.url ?? "/", login && !login.ok ? login.reason : undefined));
  }

  loginPage(next: string, error?: string): string {
    return page({ title: "Log in", base: this.base }, html`<form class="login" method="post" action="${this.base}/login">
<h1>Log in to Recall</h1>${error ? html`<div class="error" role="alert">${error}</div>` : ""}
<label>User<input name="username" autocomplete="username" required maxlength="128" autofocus></label>
<label>Secret<input name="secret" type="password" autocomplete="current-password" required maxlength="256"></label>
<input type="hidden" name="next" value="${next}"><button type="submit">Log in</button>
<small>A manager.conf user with read=cdr or reporting.</small></form>`);
  }

  /** Only a path on this server: never `//elsewhere` or a scheme. */
  #safeNext(next: string | null): string {
    return next && /^\/(?![/\\])[^\s]*$/.test(next) && next.length < 2048 && !next.startsWith(`${this.base}/login`) ? next : `${this.base}/cdr`;
  }

  login(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "POST") {
      const next = new URL(req.url ?? "/", "http://x").searchParams.get("next");
      res.writeHead(200, headers("text/html; charset=utf-8")).end(this.loginPage(this.#safeNext(next)));
      return;
    }
    let body = "", size = 0;
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      size += Buffer.byteLength(chunk);
      if (size > MAX_FORM_BYTES) {
        res.writeHead(413, { ...headers("text/plain"), Connection: "close" }).end("413 Login form too large\n");
        req.destroy();
        return;
      }
      body += chunk;
    });
    req.on("end", () => {
      if (res.headersSent) return;
      const form = new URLSearchParams(body);
      const login = this.auth.check(form.get("username") ?? "", form.get("secret") ?? "", clientIp(req));
      if (!login.ok) {
        res.writeHead(login.status, headers("text/html; charset=utf-8")).end(this.loginPage(this.#safeNext(form.get("next")), login.reason));
        return;
      }
      const token = this.auth.open(login.user);
      res.writeHead(303, { ...headers("text/plain"), "Set-Cookie": sessionCookie(token, this.base || "/", "encrypted" in req.socket), Location: this.#safeNext(form.get("next")) }).end();
    });
    req.on("error", () => undefined);
  }

  logout(req: IncomingMessage, res: ServerResponse): void {
    this.auth.close(req);
    res.writeHead(303, { ...headers("text/plain"), "Set-Cookie": `${sessionCookie("", this.base || "/", false)}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`, Location: `${this.base}/login` }).end();
  }

  redirect(res: ServerResponse, path: string): void {
    res.writeHead(303, { ...headers("text/plain"), Location: `${this.base}${path}` }).end();
  }

  fail(res: ServerResponse, e: Error): void {
    this.deps.logger.log("WARNING", "web", `web console: ${e.message}`);
    if (!res.headersSent) res.writeHead(500, headers("text/plain; charset=utf-8"));
    res.end("500 The query failed; the reason is in Recall's log.\n");
  }

  #query(): Query {
    if (!this.deps.query) throw new Error("no SQL sink (recall.conf [projections] sinks = chdb or clickhouse) holds call records");
    return this.deps.query;
  }

  #filter(req: IncomingMessage, res: ServerResponse): CdrFilter | undefined {
    try {
      return parseFilter(new URL(req.url ?? "/", "http://x").searchParams);
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      res.writeHead(400, headers("text/plain; charset=utf-8")).end(`400 Bad filter: ${e.message}\n`);
      return undefined;
    }
  }

  /**
   * A page of calls: the page first, then the count, waited for until COUNT_WAIT_MS after
   * the start; a count still running then is left to the page's script (/cdr/count).
   */
  async cdrView(filter: CdrFilter, countWaitMs = COUNT_WAIT_MS): Promise<CdrView> {
    const query = this.#query();
    const started = process.hrtime.bigint();
    const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
    // A page that groups the whole range anyway counts beside it; a windowed page comes first, its count after.
    const early = windowed(filter) ? undefined : this.callCount(filter);
    const { ids, rows: totalRows } = await pageOfCalls(query, filter);
    const rows = ids.length ? rowsOf<CdrRecord>(await query(rowsQuery(filter, ids).sql, rowsQuery(filter, ids).params, "JSONEachRow")) : [];
    const counting = early ?? this.callCount(filter);
    let timer: NodeJS.Timeout | undefined;
    const count = await Promise.race([counting, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), Math.max(0, countWaitMs - elapsed())); })]);
    clearTimeout(timer);
    counting.catch((e: Error) => this.deps.logger.log("WARNING", "web", `web console: counting calls: ${e.message}`));
    const byCall = new Map<string, CdrRecord[]>(ids.map((id) => [id, []]));
    for (const r of rows) byCall.get(r.linkedid)?.push(r);
    return { filter, calls: [...byCall].map(([linkedid, legs]) => ({ linkedid, rows: legs })), totalCalls: count?.calls, totalRows, ms: elapsed() };
  }

  /** How many calls and rows match (shared with a count of the same filter still running). */
  callCount(filter: CdrFilter): Promise<CallCount> {
    return this.#counts.count(this.#query(), filter);
  }

  /** How many calls match, as JSON: the /cdr page asks when its count was not ready. */
  async cdrCount(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const filter = this.#filter(req, res);
    if (!filter) return;
    const { calls, rows } = await this.callCount(filter);
    res.writeHead(200, headers("application/json")).end(JSON.stringify({ calls, rows, pages: Math.max(1, Math.ceil(calls / filter.size)) }));
  }

  async cdr(req: IncomingMessage, res: ServerResponse, user: ManagerUser): Promise<void> {
    // A bare /cdr opens the last 24 hours, in the URL: the view most wanted (`/cdr?` is the whole table).
    if (!(req.url ?? "").includes("?")) {
      const from = new Date(Date.now() - 24 * 3600_000).toISOString().slice(0, 16);
      this.redirect(res, `/cdr?from=${encodeURIComponent(from)}`);
      return;
    }
    const filter = this.#filter(req, res);
    if (!filter) return;
    const view = await this.cdrView(filter);
    res.writeHead(200, headers("text/html; charset=utf-8")).end(page({ title: "Call records", base: this.base, user: user.name, section: "cdr" }, cdrBody(this.base, view)));
  }

  async csv(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const filter = this.#filter(req, res);
    if (!filter) return;
    const { sql, params } = csvQuery(filter);
    const text = await this.#query()(sql, params, "CSVWithNames");
    res.writeHead(200, { ...headers("text/csv; charset=utf-8"), "Content-Disposition": 'attachment; filename="cdr.csv"' }).end(text);
  }

  async call(req: IncomingMessage, res: ServerResponse, user: ManagerUser): Promise<void> {
    const path = (req.url ?? "").split("?")[0];
    const rest = path.slice(path.lastIndexOf("/calls/") + "/calls/".length).split("/");
    let linkedid: string;
    try { linkedid = decodeURIComponent(rest[0]); } catch { linkedid = ""; }
    const recording = rest.length === 3 && rest[1] === "recording" && /^\d{1,3}$/.test(rest[2]) ? Number(rest[2]) : undefined;
    if (!LINKEDID.test(linkedid) || (rest.length > 1 && recording === undefined)) {
      res.writeHead(400, headers("text/plain; charset=utf-8")).end("400 Not a linkedid\n");
      return;
    }
    const query = this.#query();
    const [cel, cdr] = await Promise.all([
      query(`SELECT eventtype, eventtime, cid_name, cid_num, exten, context, channame, appname, appdata, uniqueid, linkedid, peer, extra, userdeftype, log_offset, log_index
FROM cel WHERE linkedid = {linkedid:String} ORDER BY log_offset, log_index LIMIT 10000`, { linkedid }, "JSONEachRow").then((t) => rowsOf<CelRecord>(t)),
      recording !== undefined ? Promise.resolve([]) : query(`SELECT start, src, dst, clid, duration, billsec, disposition, lastapp, lastdata, channel, dstchannel, uniqueid, userfield, accountcode, linkedid, peeraccount
FROM cdr WHERE linkedid = {linkedid:String} ORDER BY start, sequence LIMIT 1000`, { linkedid }, "JSONEachRow").then((t) => rowsOf<CdrRecord>(t)),
    ]);
    if (cel.length === 0 && cdr.length === 0) {
      res.writeHead(404, headers("text/html; charset=utf-8")).end(page({ title: "No such call", base: this.base, user: user.name, section: "calls" },
        html`<h1>No call ${linkedid}</h1><p>No record or event carries this linkedid.</p><p><a href="${this.base}/cdr">Back to the call records</a></p>`));
      return;
    }
    const files = this.deps.monitorDir ? recordings(cel, this.deps.monitorDir) : [];
    if (recording !== undefined) return this.#play(res, files[recording]);
    let steps: LogStep[] = [];
    if (this.deps.log && cel.length) steps = await callLog(this.deps.log, linkedid, cel);
    res.writeHead(200, headers("text/html; charset=utf-8")).end(page({ title: `Call ${linkedid}`, base: this.base, user: user.name, section: "calls" },
      callBody(this.base, linkedid, cel, cdr, steps, files.map((f) => f.name))));
  }

  /** A recording the call's MixMonitor wrote, from the monitor directory only. */
  #play(res: ServerResponse, file: { path: string; name: string } | undefined): void {
    let size = -1;
    try { if (file) size = statSync(file.path).size; } catch { size = -1; }
    if (!file || size < 0) {
      res.writeHead(404, headers("text/plain; charset=utf-8")).end("404 No such recording\n");
      return;
    }
    res.writeHead(200, { ...headers(file.name.endsWith(".wav") ? "audio/wav" : "application/octet-stream"), "Content-Length": size });
    createReadStream(file.path).on("error", () => res.destroy()).pipe(res);
  }

  queues(res: ServerResponse, user: ManagerUser): void {
    const board = this.deps.wallboard;
    const body = board ? queuesBody(this.base, board, Date.now()) : html`<h1>Queues</h1><p class="empty">Queues are not running in this build.</p>`;
    res.writeHead(200, headers("text/html; charset=utf-8")).end(page({ title: "Queues", base: this.base, user: user.name, section: "queues", head: WALLBOARD_STYLE }, body));
  }

  /** The wallboard as server-sent events: the whole board again after every change (it is small), a comment line to keep proxies open. */
  queueEvents(req: IncomingMessage, res: ServerResponse): void {
    const board = this.deps.wallboard;
    if (!board) { res.writeHead(404, headers("text/plain")).end("404 No queues\n"); return; }
    const send = () => {
      if (res.writableLength > MAX_UNREAD_STREAM) { res.destroy(); return; }
      res.write(`data: ${JSON.stringify({ version: board.version, now: Date.now(), html: boardFragment(board).text })}\n\n`);
    };
    const stop = board.onChange(send);
    if (!stop) { res.writeHead(503, { ...headers("text/plain"), "Retry-After": "10" }).end("503 Too many wallboards open\n"); return; }
    res.writeHead(200, { ...headers("text/event-stream; charset=utf-8"), Connection: "keep-alive" });
    res.write("retry: 2000\n\n");
    send();
    const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
    const end = () => { clearInterval(keepalive); stop(); };
    req.socket.setTimeout(0);
    res.on("close", end);
  }
}
