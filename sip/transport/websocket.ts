/**
 * SIP over WebSocket (RFC 7118), served on the HTTP server of http.conf: a `protocol=ws`
 * transport takes the upgrades that arrive over plain HTTP, `protocol=wss` those over
 * HTTPS (one of them takes both when only one is configured). This transport never
 * listens itself: whoever owns the HTTP server hands it upgrade requests through
 * `upgrade()` (Recall's `recall start` mounts it at `/ws`, as res_http_websocket does).
 *
 * Its guarantees:
 * - One WebSocket message is one SIP message (§5.1); a message of only CR/LF is a
 *   keep-alive and is ignored. Messages over `parse.maxMessageSize` close the
 *   connection (the `ws` library's maxPayload), so a frame flood never buffers more
 *   than one message per connection.
 * - The handshake must offer the `sip` subprotocol (§4); others get 400.
 * - Connections are bounded in number (`maxConnections`, `maxConnectionsPerSource`);
 *   a peer that does not read what we write (`maxWriteBuffer`, pongs included), sends
 *   no SIP message (or keep-alive) within `firstMessageTimeoutMs`, or then stays silent
 *   past `idleTimeoutMs` is dropped.
 * - A WebSocket client cannot be connected to, so requests to it must reuse its
 *   connection. As Asterisk's res_pjsip_transport_websocket does, a Contact with
 *   `transport=ws`/`wss` arriving on a connection is rewritten to the connection's
 *   source address and port (the client's `.invalid` host is unreachable): a
 *   registered contact, or a dialog's remote target, then leads back to this
 *   connection while it is open. Once it closes, sending there fails.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { type SipMessage, SipParseError, formatNameAddr, parseMessage, parseNameAddr } from "../message/index.js";
import { Advertiser, familyOf, normalizeAddress, normalizeHost } from "./address.js";
import {
  type Connection, DEFAULT_TRANSPORT_LIMITS, type HostPort, type Source, type Transport, TransportError, type TransportLimits,
  type TransportOptions, type TransportSink, type TransportStats, emptyTransportStats,
} from "./types.js";

function keyOf(host: string, port: number): string {
  return normalizeHost(host) + " " + port;
}

/** The first `Sec-WebSocket-Protocol` RFC 7118 asks for. */
const SIP_SUBPROTOCOL = "sip";

class WebSocketConnection implements Connection {
  readonly remote: HostPort;
  readonly source: Source;
  readonly key: string;

  constructor(readonly transport: WebSocketTransport, private readonly socket: WebSocket, remote: HostPort, private readonly limits: TransportLimits) {
    this.remote = remote;
    this.key = keyOf(remote.host, remote.port);
    this.source = { transport, protocol: transport.protocol, host: remote.host, port: remote.port, connection: this };
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** The peer reads too slowly: what we queued for it is past the bound. */
  get overflowing(): boolean {
    return this.socket.bufferedAmount > this.limits.maxWriteBuffer;
  }

  send(data: Buffer, onError?: (error: Error) => void): void {
    const stats = this.transport.stats;
    if (!this.open) {
      stats.sendErrors++;
      if (onError) queueMicrotask(() => onError(new TransportError(`WebSocket connection to ${this.remote.host}:${this.remote.port} is closed`)));
      return;
    }
    if (this.socket.bufferedAmount + data.length > this.limits.maxWriteBuffer) {
      stats.writeOverflows++;
      stats.sendErrors++;
      this.destroy();
      if (onError) queueMicrotask(() => onError(new TransportError(`WebSocket peer ${this.remote.host}:${this.remote.port} does not read: write buffer full`)));
      return;
    }
    stats.messagesOut++;
    stats.bytesOut += data.length;
    // SIP is text: a text frame, as browsers' SIP stacks expect (§5.1 allows either).
    this.socket.send(data, { binary: false }, (error) => {
      if (!error) return;
      stats.sendErrors++;
      onError?.(error);
    });
  }

  close(): void {
    if (this.open) this.socket.close(1000);
  }

  destroy(): void {
    this.socket.terminate();
  }
}

export class WebSocketTransport implements Transport {
  readonly name: string;
  readonly protocol: "ws" | "wss";
  readonly reliable = true;
  readonly family: 4 | 6;
  readonly stats: TransportStats = emptyTransportStats();
  readonly #limits: TransportLimits;
  readonly #advertiser: Advertiser;
  readonly #server: WebSocketServer;
  #sink: TransportSink | undefined;
  #local: HostPort;
  readonly #connections = new Set<WebSocketConnection>();
  readonly #byKey = new Map<string, WebSocketConnection>();
  readonly #perSource = new Map<string, number>();

  constructor(options: TransportOptions, limits: TransportLimits = DEFAULT_TRANSPORT_LIMITS) {
    if (options.protocol !== "ws" && options.protocol !== "wss") throw new TransportError(`transport '${options.name}': not a WebSocket protocol`);
    this.name = options.name;
    this.protocol = options.protocol;
    this.#limits = limits;
    // The bind address of a WebSocket transport is not bound (the HTTP server's is); it still says the family and what to advertise.
    this.family = familyOf(options.bind.host) === 6 ? 6 : 4;
    this.#advertiser = new Advertiser(options, this.family);
    this.#local = { host: options.bind.host || "0.0.0.0", port: 0 };
    this.#server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: limits.parse.maxMessageSize,
      handleProtocols: (protocols) => (protocols.has(SIP_SUBPROTOCOL) ? SIP_SUBPROTOCOL : false),
    });
  }

  get local(): HostPort {
    return this.#local;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** The HTTP server that serves this transport listens on `address`: advertised in Via and Contact. */
  served(address: HostPort): void {
    this.#local = address;
    this.#advertiser.bound(address.port);
  }

  start(sink: TransportSink): Promise<void> {
    this.#sink = sink;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#sink = undefined;
    for (const c of [...this.#connections]) c.destroy();
    return Promise.resolve();
  }

  /**
   * Take an HTTP upgrade request (GET with `Upgrade: websocket`). Refused with an HTTP
   * error and the socket closed: before start, over the connection limits, without the
   * `sip` subprotocol.
   */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const host = normalizeAddress(request.socket.remoteAddress ?? "");
    const port = request.socket.remotePort ?? 0;
    const refuse = (status: number, reason: string) => {
      this.stats.connectionsRejected++;
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
    };
    if (!this.#sink || host === "") return refuse(503, "Service Unavailable");
    const offered = String(request.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim().toLowerCase());
    if (!offered.includes(SIP_SUBPROTOCOL)) return refuse(400, "Bad Request (Sec-WebSocket-Protocol must offer sip)");
    const fromSource = this.#perSource.get(host) ?? 0;
    if (this.#connections.size >= this.#limits.maxConnections || fromSource >= this.#limits.maxConnectionsPerSource) {
      return refuse(503, "Service Unavailable");
    }
    this.#perSource.set(host, fromSource + 1);
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      const left = (this.#perSource.get(host) ?? 1) - 1;
      if (left > 0) this.#perSource.set(host, left);
      else this.#perSource.delete(host);
    };
    socket.once("close", release);
    socket.on("error", () => undefined);
    this.#server.handleUpgrade(request, socket, head, (ws) => this.#accepted(ws, { host, port }, socket, release));
  }

  #accepted(ws: WebSocket, remote: HostPort, socket: Duplex, release: () => void): void {
    const sink = this.#sink;
    if (!sink) {
      release();
      ws.terminate();
      return;
    }
    const connection = new WebSocketConnection(this, ws, remote, this.#limits);
    this.#connections.add(connection);
    this.#byKey.set(connection.key, connection);
    this.stats.connectionsAccepted++;
    this.stats.connectionsOpen++;
    const idle = () => {
      this.stats.connectionsTimedOut++;
      connection.destroy();
    };
    // Until its first message a connection gets firstMessageTimeoutMs (an idle one holds an HTTP session), then idleTimeoutMs.
    const timed = socket as Duplex & { setTimeout?(ms: number, cb?: () => void): void };
    timed.setTimeout?.(this.#limits.firstMessageTimeoutMs);
    socket.on("timeout", idle);
    let active = false;
    const activity = () => {
      if (active) return;
      active = true;
      timed.setTimeout?.(this.#limits.idleTimeoutMs);
    };
    ws.on("error", () => {
      // An oversized or malformed frame: ws closes the connection (1009 / 1002); 'close' follows.
      this.stats.framingErrors++;
    });
    ws.on("ping", () => {
      // ws answers pings itself; a peer that pings without reading our pongs is dropped.
      if (connection.overflowing) {
        this.stats.writeOverflows++;
        connection.destroy();
      }
    });
    ws.once("close", () => {
      release();
      this.#connections.delete(connection);
      this.stats.connectionsOpen--;
      if (this.#byKey.get(connection.key) === connection) this.#byKey.delete(connection.key);
    });
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.stats.datagramsIn++;
      this.stats.bytesIn += bytes.length;
      let item: SipMessage | SipParseError;
      try {
        item = parseMessage(bytes, this.#limits.parse);
      } catch (e) {
        if (!(e instanceof SipParseError)) return sink.internalError(e, connection.source);
        if (e.code === "empty") {
          this.stats.keepAlives++;
          activity();
          return;
        }
        item = e;
      }
      if (!(item instanceof SipParseError)) {
        activity();
        this.#rewriteContacts(item, connection.remote);
      }
      sink.receive(item, connection.source);
    });
  }

  /** Contacts naming a WebSocket transport point back at the connection they came on (see the contract). */
  #rewriteContacts(message: SipMessage, remote: HostPort): void {
    const values = message.getAll("Contact");
    if (values.length === 0 || values[0] === "*") return;
    let changed = false;
    const rewritten = values.map((value) => {
      try {
        const addr = parseNameAddr(value, "Contact");
        const transport = addr.uri.params.get("transport")?.toLowerCase();
        if (transport !== "ws" && transport !== "wss") return value;
        changed = true;
        return formatNameAddr({ ...addr, uri: { ...addr.uri, host: remote.host, port: remote.port } });
      } catch {
        return value; // left for the layers above to reject
      }
    });
    if (changed) message.set("Contact", rewritten);
  }

  send(data: Buffer, host: string, port: number, connection?: Connection, onError?: (error: Error) => void): void {
    if (connection !== undefined && connection.open && connection.transport === this) return connection.send(data, onError);
    const target = this.#byKey.get(keyOf(host, port));
    if (target !== undefined && target.open) return target.send(data, onError);
    this.stats.sendErrors++;
    const error = new TransportError(`transport '${this.name}': no WebSocket connection from ${host}:${port} (a WebSocket peer must connect first)`);
    if (onError) queueMicrotask(() => onError(error));
  }

  advertised(destinationHost: string): HostPort {
    return this.#advertiser.advertised(destinationHost);
  }
}
