/**
 * The event WebSocket (`/ari/events?app=NAME[,NAME...][&subscribeAll=true]`): each
 * connection serves its applications until it closes; events are JSON text frames,
 * in the order they were delivered.
 *
 * Bounds: a client that stops reading piles up unsent frames; once more than
 * `MAX_BUFFERED_BYTES` are waiting, or frames have waited longer than
 * `websocket_write_timeout` x 50 (5 s by default) without draining, the connection is
 * closed (1008) and a WARNING names the applications. Incoming frames are ignored
 * (ARI clients send none but pings, which ws answers).
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Logger } from "../../core/logger.js";
import type { AriEvent } from "./events.js";
import type { AriStasis, EventSink } from "./stasis.js";

export const MAX_BUFFERED_BYTES = 4 << 20;

export class EventSocket implements EventSink {
  private stalledSince: number | undefined;
  closed = false;
  /** While the events missed since an offset are sent, live ones wait here (bounded by the same limit). */
  private held: AriEvent[] | undefined;

  constructor(private readonly socket: WebSocket, readonly apps: readonly string[], private readonly writeTimeoutMs: number,
    private readonly pretty: boolean, private readonly onStalled: (reason: string) => void) {}

  /** Live events wait until `release` (a replay goes first). */
  hold(): void { this.held = []; }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const e of held) this.send(e);
  }

  /** A replayed event: sent ahead of the held live ones. */
  replayed(event: AriEvent): void {
    const held = this.held;
    this.held = undefined;
    this.send(event);
    this.held = held;
  }

  send(event: AriEvent): void {
    if (this.closed) return;
    if (this.held) {
      if (this.held.length >= 100_000) { this.close(1008, "too many events waiting behind a replay"); return; }
      this.held.push(event);
      return;
    }
    const buffered = this.socket.bufferedAmount;
    if (buffered > 0) {
      const now = performance.now();
      this.stalledSince ??= now;
      const waited = now - this.stalledSince;
      if (buffered > MAX_BUFFERED_BYTES || waited > this.writeTimeoutMs * 50) {
        this.close(1008, buffered > MAX_BUFFERED_BYTES ? `${buffered} bytes of events unread` : `events unread for ${Math.round(waited)} ms`);
        return;
      }
    } else {
      this.stalledSince = undefined;
    }
    this.socket.send(this.pretty ? JSON.stringify(event, null, 2) : JSON.stringify(event));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onStalled(reason);
    this.socket.close(code, "client not reading");
    // A client that does not read will not complete the closing handshake either.
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }
}

export interface EventSocketOptions {
  readonly stasis: AriStasis;
  readonly logger: Logger;
  readonly writeTimeoutMs: number;
  readonly pretty: boolean;
  /** Checks credentials; undefined when they are good, else the HTTP status to refuse with. */
  readonly authorize: (request: IncomingMessage, query: URLSearchParams) => 401 | 403 | undefined;
  /** `since=OFFSET`: send the socket's applications what they missed from that log offset, then release it. */
  readonly replay: (socket: EventSocket, since: number) => Promise<void>;
}

export class EventSockets {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  readonly open = new Set<EventSocket>();

  constructor(private readonly o: EventSocketOptions) {}

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const query = new URL(request.url ?? "/", "http://x").searchParams;
    const refuse = (status: number, text: string) =>
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(JSON.stringify({ message: text }))}\r\n\r\n${JSON.stringify({ message: text })}`, () => socket.destroy());
    const denied = this.o.authorize(request, query);
    if (denied) return void refuse(denied, denied === 401 ? "Authentication required" : "Forbidden");
    const apps = query.getAll("app").flatMap((a) => a.split(",")).map((a) => a.trim()).filter(Boolean);
    if (apps.length === 0) return void refuse(400, "Missing params: app");
    const subscribeAll = /^(true|yes|1)$/i.test(query.get("subscribeAll") ?? "");
    const sinceText = query.get("since");
    const since = sinceText === null ? undefined : Number(sinceText);
    if (since !== undefined && (!Number.isSafeInteger(since) || since < 0)) return void refuse(400, "since: a log offset (a whole number from 0)");
    this.server.handleUpgrade(request, socket, head, (ws) => {
      const sink = new EventSocket(ws, apps, this.o.writeTimeoutMs, this.o.pretty, (reason) =>
        this.o.logger.log("WARNING", "ari/ari_websockets.c", `Closing the event WebSocket of ${apps.join(",")}: ${reason}`));
      this.open.add(sink);
      if (since !== undefined) sink.hold();
      for (const app of apps) this.o.stasis.attach(app, sink, subscribeAll);
      if (since !== undefined) {
        this.o.replay(sink, since).catch((e: Error) => this.o.logger.log("WARNING", "ari/ari_websockets.c", `Cannot replay events since ${since}: ${e.message}`))
          .finally(() => sink.release());
      }
      this.o.logger.log("VERBOSE", "ari/ari_websockets.c", `WebSocket connection from ${request.socket.remoteAddress}:${request.socket.remotePort} for applications ${apps.join(",")}`);
      ws.on("error", () => undefined);
      ws.on("close", () => {
        sink.closed = true;
        this.open.delete(sink);
        for (const app of apps) this.o.stasis.detach(app, sink);
      });
    });
  }

  close(): void {
    for (const s of this.open) s.close(1001, "shutting down");
    this.server.close();
  }
}
