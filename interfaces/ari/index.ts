/**
 * ARI (res_ari): the REST interface under `/ari` on the http.conf server, the event
 * WebSocket at `/ari/events`, and the Stasis() applications, over the call core.
 *
 * Events come from the event log (events.ts folds each record, once durable, into ARI
 * events), so what an application hears is what the log holds; playback, recording,
 * DTMF and user events are made live by the resources that cause them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EventLog } from "../../events/log.js";
import type { HttpServer } from "../http/server.js";
import { familyDocument, resourcesDocument } from "./api-docs.js";
import { authenticate } from "./auth.js";
import type { AriContext, AriDeps } from "./context.js";
import { eventModels } from "./event-models.js";
import { AriEventFold } from "./events.js";
import { objectModels } from "./json.js";
import { AriError, AriRouter, readBody, send, type AriReply, type ResourceFamily } from "./rest.js";
import { AriStasis } from "./stasis.js";
import { EventSockets, type EventSocket } from "./websocket.js";
import { channelsResource } from "./resources/channels.js";
import { bridgesResource } from "./resources/bridges.js";
import { recordingsResource } from "./resources/recordings.js";
import { applicationsResource, asteriskResource, deviceStatesResource, endpointsResource, eventsResource, mailboxesResource, playbacksResource, soundsResource } from "./resources/small.js";

export class Ari {
  readonly stasis: AriStasis;
  readonly router: AriRouter;
  readonly sockets: EventSockets;
  readonly fold: AriEventFold;
  private closed = false;
  readonly stats = { requests: 0, errors: 0 };
  /**
   * How long Recall took over each request, from its arrival in the HTTP server to its
   * answer written (ms; the last 10,000): what a client measures beyond that is queueing
   * (the request waiting for the event loop, the client's own process).
   */
  readonly handling: number[] = [];

  private log: EventLog | undefined;
  /** Offset after the last record folded live. */
  private through = 0;

  constructor(private readonly deps: AriDeps) {
    this.stasis = new AriStasis(deps.core, deps.logger);
    const ctx: AriContext = { ...deps, stasis: this.stasis };
    const families: ResourceFamily[] = [
      asteriskResource(ctx), endpointsResource(ctx), channelsResource(ctx), bridgesResource(ctx), recordingsResource(ctx),
      soundsResource(ctx), playbacksResource(ctx), deviceStatesResource(ctx), mailboxesResource(), eventsResource(ctx, undefined), applicationsResource(ctx),
    ].map((f) => ({ ...f, models: f.name === "events" ? [...objectModels, ...eventModels] : objectModels }));
    this.router = new AriRouter(families);
    this.fold = new AriEventFold(this.stasis);
    this.sockets = new EventSockets({
      stasis: this.stasis, logger: deps.logger, writeTimeoutMs: deps.conf.websocketWriteTimeoutMs, pretty: deps.conf.pretty,
      authorize: (request, query) => { const a = authenticate(deps.conf, request, query); return a.ok ? undefined : a.status; },
      replay: (socket, since) => this.replay(socket, since),
    });
  }

  /** Serve on the HTTP server and follow the log from its end. */
  start(http: HttpServer, log: EventLog): void {
    http.mount("/ari", "Asterisk RESTful API", (req, res) => void this.request(req, res));
    http.upgrade("/ari/events", "Asterisk RESTful API events", (req, socket, head) => this.sockets.upgrade(req, socket, head));
    this.log = log;
    // Events made live wait for the log's events of everything that happened before them.
    this.through = log.nextOffset;
    const waiting: { at: number; deliver: () => void }[] = [];
    const flush = () => { while (waiting.length && waiting[0].at <= this.through) waiting.shift()!.deliver(); };
    const runtime = this.deps.core.runtime;
    this.stasis.sequencer = (deliver) => queueMicrotask(() => {
      // Queued after the actor runtime gathered this turn's transitions: those the log took
      // (nextOffset) and those waiting behind the append in flight (unappended, with this turn's own) come first.
      const at = log.nextOffset + runtime.unappended;
      if (at <= this.through && waiting.length === 0) deliver();
      else waiting.push({ at, deliver });
    });
    // The records as they become durable, straight from the runtime that wrote them (no read back).
    this.deps.core.runtime.onDurable((batch) => {
      if (this.closed) return;
      for (const record of batch) {
        // One record that cannot be folded or sent must not cost the rest of its batch their events.
        try {
          for (const d of this.fold.apply(record)) this.stasis.deliver(d.app, d.event);
          // Subscriptions end with what they name (after its last event went out).
          const type = (record.input as { type?: string }).type;
          if (type === "destroy" && record.kind === "channel") this.stasis.forgetChannel((record.state.context as { uniqueid: string }).uniqueid);
          if (type === "destroy" && record.kind === "bridge") this.stasis.forgetBridge((record.state.context as { id: string }).id);
        } catch (e) {
          this.deps.logger.log("ERROR", "res_ari.c", `No ARI events for log record ${record.offset} (${record.stream}): ${(e as Error).stack ?? e}`);
        }
        this.through = record.offset + 1;
        flush();
      }
    });
  }

  /**
   * The events `socket`'s applications would have had from log offset `since` up to the
   * live stream's position, folded afresh (seeded with the live fold's channels), sent
   * ahead of the live events held meanwhile. Live events made outside the log
   * (playbacks, DTMF) are not replayed.
   */
  private async replay(socket: EventSocket, since: number): Promise<void> {
    const log = this.log;
    const to = this.through;
    if (!log || since >= to) return;
    const fold = new AriEventFold(this.stasis, this.fold);
    const apps = new Set(socket.apps);
    // A few hundred records per turn of the event loop: a client far behind must not stop the PBX.
    for await (const batch of log.read(since, { to, batchSize: 256 })) {
      for (const record of batch) for (const d of fold.apply(record)) if (apps.has(d.app)) socket.replayed(d.event);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const arrived = performance.now();
    res.once("finish", () => {
      if (this.handling.length >= 10_000) this.handling.splice(0, 5_000);
      this.handling.push(performance.now() - arrived);
    });
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname.replace(/^.*?\/ari(?=\/|$)/, "") || "/";
    const headers: Record<string, string> = {};
    const origin = req.headers.origin;
    if (origin && (this.deps.conf.allowedOrigins.includes(origin) || this.deps.conf.allowedOrigins.includes("*"))) {
      headers["Access-Control-Allow-Origin"] = origin;
      headers["Access-Control-Allow-Credentials"] = "true";
    }
    const reply = (r: AriReply) => send(res, r, this.deps.conf.pretty, headers);
    try {
      if (req.method === "OPTIONS") {
        const methods = ["GET", "POST", "PUT", "DELETE"].filter((m) => "op" in this.router.match(m, path));
        if (methods.length === 0) return reply({ status: 404, body: { message: "Resource not found" } });
        headers.Allow = methods.join(",");
        headers["Access-Control-Allow-Methods"] = methods.join(",");
        headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization";
        return reply({ status: 204 });
      }
      const auth = authenticate(this.deps.conf, req, url.searchParams);
      if (!auth.ok) {
        if (auth.status === 401) headers["WWW-Authenticate"] = 'Basic realm="Asterisk REST Interface"';
        return reply({ status: auth.status, body: { message: auth.message } });
      }
      const docs = /^\/api-docs\/([A-Za-z]+)\.json$/.exec(path);
      if (docs && req.method === "GET") {
        const base = `${(req.socket as { encrypted?: boolean }).encrypted ? "https" : "http"}://${req.headers.host ?? "localhost"}${url.pathname.slice(0, url.pathname.indexOf("/ari") + 4)}`;
        if (docs[1] === "resources") return reply({ status: 200, body: resourcesDocument(this.router.families, base) });
        const family = this.router.families.find((f) => f.name === docs[1]);
        if (!family) return reply({ status: 404, body: { message: "Resource not found" } });
        return reply({ status: 200, body: familyDocument(family, base) });
      }
      const found = this.router.match(req.method ?? "GET", path);
      if (!("op" in found)) {
        return reply({ status: found.status, body: { message: found.status === 404 ? "Resource not found" : "Invalid method" } });
      }
      const body = await readBody(req);
      const params = AriRouter.values(found.op, found.path, url.searchParams, body);
      const answer = await found.op.handler({ params, user: auth.user.name, request: req });
      reply(answer);
      answer.afterwards?.();
      return;
    } catch (e) {
      if (e instanceof AriError) return reply({ status: e.status, body: { message: e.message } });
      this.stats.errors++;
      this.deps.logger.log("ERROR", "res_ari.c", `${req.method} ${path} failed: ${(e as Error).stack ?? e}`);
      return reply({ status: 500, body: { message: "Internal Server Error" } });
    }
  }

  /** p50, p99 and max of `handling`, in ms. */
  handlingFigures(): { count: number; p50: number; p99: number; max: number } {
    const s = [...this.handling].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
    return { count: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? 0 };
  }

  close(): void {
    this.closed = true;
    this.sockets.close();
  }
}

export { loadAriConf } from "./ari-conf.js";
