/**
 * Recall's built-in HTTP server (Asterisk's mini-HTTP server, configured by http.conf):
 * plain HTTP and HTTPS listeners sharing one table of routes. Other modules mount on
 * it: request handlers by path (the web console and ARI, later) and WebSocket upgrade
 * handlers by path (the SIP WebSocket transport at `/ws`). Every path is served under
 * http.conf's `prefix`.
 *
 * Bounds against bad clients:
 * - a request head over `maxHeaderBytes` gets 431 and the connection is closed;
 * - a client that has not sent a complete head within `session_inactivity` gets 408
 *   and is closed (slow-loris); a whole request is bounded by twice that;
 * - idle keep-alive connections close after `session_keep_alive`;
 * - at most `sessionlimit` connections are open (both listeners together); more are
 *   refused at accept;
 * - an unknown path is 404, a known one with a method it does not take is 405, an
 *   upgrade to an unknown path is 404 and closed.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { HttpConf, HttpListen } from "./http-conf.js";

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;
/** `secure`: the upgrade came over HTTPS. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer, secure: boolean) => void;

interface Route { readonly path: string; readonly description: string; readonly methods: readonly string[]; readonly handler: RequestHandler }
interface UpgradeRoute { readonly path: string; readonly description: string; readonly handler: UpgradeHandler }

export interface HttpServerOptions {
  /** Request heads larger than this are refused with 431 (node's default is 16 KiB). */
  readonly maxHeaderBytes?: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 8192;

export class HttpServerError extends Error {
  override readonly name = "HttpServerError";
}

/** A mount's methods: the handler answers 405 itself. */
const ANY_METHOD: readonly string[] = [];

export class HttpServer {
  readonly #conf: HttpConf;
  readonly #maxHeaderBytes: number;
  readonly #routes = new Map<string, Route>();
  readonly #upgrades = new Map<string, UpgradeRoute>();
  readonly #servers: Array<{ server: Server; secure: boolean; address: HttpListen }> = [];
  readonly #sockets = new Set<Socket>();
  readonly stats = { requests: 0, upgrades: 0, notFound: 0, refusedSessions: 0, headerOverflows: 0, timedOut: 0 };

  constructor(conf: HttpConf, options: HttpServerOptions = {}) {
    this.#conf = conf;
    this.#maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  /** Whether http.conf asks for any listener. */
  get enabled(): boolean {
    return this.#conf.http !== undefined || this.#conf.https !== undefined;
  }

  /** The bound addresses (real ports once started). */
  get plain(): HttpListen | undefined { return this.#servers.find((s) => !s.secure)?.address; }
  get secure(): HttpListen | undefined { return this.#servers.find((s) => s.secure)?.address; }

  /**
   * `path` (below the prefix, e.g. `/httpstatus`) answers `methods` with `handler`; a
   * path ending in `/*` answers every path below it (`/calls/*`: `/calls/1733.4`) that
   * has no route of its own.
   */
  route(path: string, description: string, methods: readonly string[], handler: RequestHandler): void {
    this.#routes.set(path, { path, description, methods, handler });
  }

  /**
   * `prefix` and every path under it (`/ari` takes `/ari/channels/...`) with any method
   * go to `handler`, which answers 404/405 itself: a `/*` route that checks no method.
   * Exact routes and longer `/*` routes win.
   */
  mount(prefix: string, description: string, handler: RequestHandler): void {
    this.route(prefix, description, ANY_METHOD, handler);
    this.route(`${prefix}/*`, description, ANY_METHOD, handler);
  }

  /** WebSocket (or other) upgrades to `path` go to `handler`. */
  upgrade(path: string, description: string, handler: UpgradeHandler): void {
    this.#upgrades.set(path, { path, description, handler });
  }

  async start(): Promise<void> {
    const { http, https } = this.#conf;
    if (http) await this.#listen(createHttpServer(this.#serverOptions()), http, false);
    if (https) {
      let tls: { cert: Buffer; key: Buffer };
      try {
        tls = { cert: readFileSync(https.certFile), key: readFileSync(https.keyFile) };
      } catch (e) {
        await this.stop();
        throw new HttpServerError(`http.conf: cannot read tlscertfile/tlsprivatekey: ${(e as Error).message}`);
      }
      try {
        await this.#listen(createHttpsServer({ ...this.#serverOptions(), ...tls, handshakeTimeout: this.#conf.sessionInactivityMs }), https, true);
      } catch (e) {
        await this.stop();
        throw e;
      }
    }
  }

  #serverOptions() {
    return {
      maxHeaderSize: this.#maxHeaderBytes,
      headersTimeout: this.#conf.sessionInactivityMs,
      requestTimeout: this.#conf.sessionInactivityMs * 2,
      keepAliveTimeout: this.#conf.sessionKeepAliveMs,
      // headersTimeout is enforced by a sweep this often (30 s by default): often enough to honour it.
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(this.#conf.sessionInactivityMs / 4))),
      noDelay: true,
    };
  }

  #listen(server: Server, address: HttpListen, secure: boolean): Promise<void> {
    server.on("request", (req: IncomingMessage, res: ServerResponse) => this.#request(req, res));
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head, secure));
    server.on("connection", (socket: Socket) => {
      if (this.#sockets.size >= this.#conf.sessionLimit) {
        this.stats.refusedSessions++;
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    server.on("clientError", (error: Error & { code?: string }, socket: Duplex) => {
      const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
      if (status === 431) this.stats.headerOverflows++;
      if (status === 408) this.stats.timedOut++;
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    });
    return new Promise((resolve, reject) => {
      const failed = (e: Error) => reject(new HttpServerError(`http.conf: cannot listen on ${secure ? "HTTPS" : "HTTP"} ${address.host}:${address.port}: ${e.message}`));
      server.once("error", failed);
      server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
        server.off("error", failed);
        server.on("error", () => undefined);
        const bound = server.address();
        this.#servers.push({ server, secure, address: { host: address.host, port: typeof bound === "object" && bound ? bound.port : address.port } });
        resolve();
      });
    });
  }

  /** The path below the prefix, or undefined when the URL is outside it. */
  #path(url: string | undefined): string | undefined {
    const path = (url ?? "/").split("?")[0];
    const prefix = this.#conf.prefix === "" ? "" : "/" + this.#conf.prefix;
    if (prefix === "") return path;
    if (path === prefix) return "/";
    return path.startsWith(prefix + "/") ? path.slice(prefix.length) : undefined;
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    this.stats.requests++;
    res.setHeader("Server", this.serverName);
    const path = this.#path(req.url);
    const route = path === undefined ? undefined : this.#routes.get(path) ?? this.#below(path);
    if (!route) {
      this.stats.notFound++;
      res.writeHead(404, { "Content-Type": "text/plain" }).end("404 Not Found\n");
      return;
    }
    if (route.methods !== ANY_METHOD && !route.methods.includes(req.method ?? "")) {
      res.writeHead(405, { Allow: route.methods.join(", "), "Content-Type": "text/plain" }).end("405 Method Not Allowed\n");
      return;
    }
    try {
      route.handler(req, res);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(`500 Internal Server Error: ${(e as Error).message}\n`);
    }
  }

  /** The `/*` route with the longest prefix of `path`. */
  #below(path: string): Route | undefined {
    for (let cut = path.lastIndexOf("/"); cut > 0; cut = path.lastIndexOf("/", cut - 1)) {
      const route = this.#routes.get(`${path.slice(0, cut)}/*`);
      if (route) return route;
    }
    return undefined;
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, secure: boolean): void {
    const path = this.#path(req.url);
    const route = path === undefined ? undefined : this.#upgrades.get(path);
    socket.on("error", () => undefined);
    if (!route) {
      this.stats.notFound++;
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", () => socket.destroy());
      return;
    }
    this.stats.upgrades++;
    route.handler(req, socket, head, secure);
  }

  get serverName(): string {
    return this.#conf.serverName ?? "Recall";
  }

  /** `http show status`, in Asterisk's layout. */
  status(): string {
    const lines = ["HTTP Server Status:", `Prefix: ${this.#conf.prefix === "" ? "" : "/" + this.#conf.prefix}`, `Server: ${this.serverName}`];
    const show = (a: HttpListen) => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);
    if (!this.enabled) lines.push("Server Disabled");
    else if (!this.plain && !this.secure) lines.push("Server Enabled but not running (see the log)");
    if (this.plain) lines.push(`Server Enabled and Bound to ${show(this.plain)}`);
    if (this.secure) lines.push(`HTTPS Server Enabled and Bound to ${show(this.secure)}`);
    lines.push("", "Enabled URI's:");
    // A mount is listed once, as `/ari/...`.
    const routes = [...this.#routes.values()].filter((r) => r.methods !== ANY_METHOD || r.path.endsWith("/*"))
      .map((r) => (r.methods === ANY_METHOD ? { ...r, path: `${r.path.slice(0, -2)}/...` } : r));
    const uris = [...routes, ...this.#upgrades.values()].sort((a, b) => a.path.localeCompare(b.path));
    if (uris.length === 0) lines.push("None.");
    const prefix = this.#conf.prefix === "" ? "" : "/" + this.#conf.prefix;
    for (const r of uris) lines.push(`${prefix}${r.path} => ${r.description}`);
    lines.push("", "Enabled Redirects:", "  None.");
    return lines.join("\n") + "\n";
  }

  async stop(): Promise<void> {
    const servers = this.#servers.splice(0);
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
