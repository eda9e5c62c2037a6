/**
 * SIP over TCP and over TLS (RFC 3261 §18, §26.2): messages framed by Content-Length,
 * connections reused in both directions, CRLFCRLF keep-alives answered with CRLF
 * (RFC 5626 §3.5.1). A stream whose framing is lost is answered (by the sink, 400
 * where it can) and closed.
 *
 * TLS adds the handshake in front: an accepted socket counts against `maxConnections`
 * and `maxConnectionsPerSource` from its first byte, and a handshake not finished
 * within `tlsHandshakeTimeoutMs` is dropped, so half-open handshakes hold bounded
 * resources. With `verify_client`, a client certificate that does not verify ends
 * the connection; with `require_client_cert`, so does the lack of one.
 */
import { type Server, type Socket, connect, createServer } from "node:net";
import { type ConnectionOptions, type TLSSocket, type TlsOptions, connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import { StreamFramer } from "../message/index.js";
import { Advertiser, bindFamily, familyOf, normalizeAddress, normalizeHost } from "./address.js";
import { checkServerSettings, secureOptions } from "./tls-settings.js";
import {
  type Connection, DEFAULT_TRANSPORT_LIMITS, type HostPort, type Source, type TlsSettings, type Transport, TransportError,
  type TransportLimits, type TransportOptions, type TransportSink, type TransportStats, emptyTransportStats,
} from "./types.js";

const CRLF = Buffer.from("\r\n", "latin1");

function keyOf(host: string, port: number): string {
  return normalizeHost(host) + " " + port;
}

class TcpConnection implements Connection {
  readonly remote: HostPort;
  readonly source: Source;
  /** The keys this connection is found under: the address it was asked for and the one it reached. */
  readonly keys: string[] = [];
  #open = true;
  #active = false;
  /** Outgoing TLS, until the handshake is done: the error callbacks of what was sent meanwhile. */
  #handshakeWaiters: Array<(error: Error) => void> | undefined;
  #corked = false;

  constructor(
    readonly transport: TcpTransport,
    private readonly socket: Socket,
    remote: HostPort,
    private readonly limits: TransportLimits,
    sink: TransportSink,
    inbound: boolean,
  ) {
    this.remote = remote;
    this.source = { transport, protocol: transport.protocol, host: remote.host, port: remote.port, connection: this };
    const stats = transport.stats;
    const framer = new StreamFramer({
      limits: limits.parse,
      onPing: () => {
        stats.keepAlives++;
        this.#activity();
        if (this.#open) socket.write(CRLF);
      },
    });
    socket.setTimeout(inbound ? limits.firstMessageTimeoutMs : limits.idleTimeoutMs);
    socket.on("timeout", () => {
      stats.connectionsTimedOut++;
      this.destroy();
    });
    // An outgoing TLS connection's writes wait for the handshake; if it fails their callbacks are never called, so the error goes to them here.
    if (!inbound && transport.protocol === "tls") {
      this.#handshakeWaiters = [];
      socket.once("secureConnect", () => { this.#handshakeWaiters = undefined; });
    }
    socket.on("error", (error: Error) => {
      // 'close' follows; senders hear of it through their write callbacks (or, during a TLS handshake, here).
      const waiters = this.#handshakeWaiters;
      this.#handshakeWaiters = undefined;
      for (const waiter of waiters ?? []) waiter(error);
    });
    socket.on("data", (chunk: Buffer) => {
      stats.bytesIn += chunk.length;
      let items;
      try {
        items = framer.push(chunk);
      } catch (e) {
        sink.internalError(e, this.source);
        this.destroy();
        return;
      }
      if (items.length > 0) this.#activity();
      for (const item of items) sink.receive(item, this.source);
      if (framer.failed && this.#open) {
        stats.framingErrors++;
        this.close();
      }
    });
  }

  get open(): boolean {
    return this.#open;
  }

  /** Traffic seen: from now on the idle timeout applies instead of the first-message one. */
  #activity(): void {
    if (this.#active) return;
    this.#active = true;
    this.socket.setTimeout(this.limits.idleTimeoutMs);
  }

  send(data: Buffer, onError?: (error: Error) => void): void {
    const stats = this.transport.stats;
    if (!this.#open) {
      stats.sendErrors++;
      if (onError) queueMicrotask(() => onError(new TransportError(`${this.transport.protocol.toUpperCase()} connection to ${this.remote.host}:${this.remote.port} is closed`)));
      return;
    }
    if (this.socket.writableLength + data.length > this.limits.maxWriteBuffer) {
      stats.writeOverflows++;
      stats.sendErrors++;
      this.destroy();
      if (onError) queueMicrotask(() => onError(new TransportError(`${this.transport.protocol.toUpperCase()} peer ${this.remote.host}:${this.remote.port} does not read: write buffer full`)));
      return;
    }
    stats.messagesOut++;
    stats.bytesOut += data.length;
    this.#batch();
    if (this.#handshakeWaiters !== undefined && onError !== undefined) {
      this.#handshakeWaiters.push((error) => { stats.sendErrors++; onError(error); });
      this.socket.write(data);
      return;
    }
    this.socket.write(data, onError === undefined ? undefined : (error) => {
      if (!error) return;
      stats.sendErrors++;
      onError(error);
    });
  }

  /**
   * Messages written in one turn of the event loop leave in one write (one TLS record,
   * one system call) instead of one each: the socket is corked until the turn ends.
   */
  #batch(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      this.socket.uncork();
    });
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.socket.end(() => this.socket.destroy());
  }

  destroy(): void {
    this.#open = false;
    this.socket.destroy();
  }
}

export class TcpTransport implements Transport {
  readonly name: string;
  readonly protocol: "tcp" | "tls";
  readonly reliable = true;
  readonly family: 4 | 6;
  readonly stats: TransportStats = emptyTransportStats();
  readonly #options: TransportOptions;
  readonly #limits: TransportLimits;
  readonly #advertiser: Advertiser;
  #server: Server | undefined;
  #sink: TransportSink | undefined;
  #local: HostPort;
  readonly #connections = new Set<TcpConnection>();
  readonly #byKey = new Map<string, TcpConnection>();
  readonly #perSource = new Map<string, number>();
  /** TLS: options for the server and for outgoing connections. */
  readonly #secure: { readonly settings: TlsSettings; readonly options: TlsOptions } | undefined;
  /** TLS: accepted sockets still in their handshake, by remote address, with what gives their place back. */
  readonly #handshaking = new Map<string, { readonly raw: Socket; readonly release: () => void }>();

  constructor(options: TransportOptions, limits: TransportLimits = DEFAULT_TRANSPORT_LIMITS) {
    this.name = options.name;
    this.protocol = options.protocol === "tls" ? "tls" : "tcp";
    if (this.protocol === "tls") {
      const settings = options.tls ?? {};
      checkServerSettings(options.name, settings);
      this.#secure = { settings, options: secureOptions(options.name, settings) };
    }
    this.#options = options;
    this.#limits = limits;
    this.family = bindFamily(options);
    this.#advertiser = new Advertiser(options, this.family);
    this.#local = { host: options.bind.host || "0.0.0.0", port: options.bind.port };
  }

  get local(): HostPort {
    return this.#local;
  }

  /** Open streams, accepted and outgoing. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  start(sink: TransportSink): Promise<void> {
    if (this.#server) return Promise.resolve();
    this.#sink = sink;
    const server = this.#secure ? this.#tlsServer(this.#secure) : createServer({ noDelay: true }, (socket) => this.#accept(socket));
    this.#server = server;
    return new Promise((resolve, reject) => {
      const failed = (e: Error) => {
        this.#server = undefined;
        reject(new TransportError(`transport '${this.name}': cannot listen on ${this.protocol.toUpperCase()} ${this.#local.host}:${this.#local.port}: ${e.message}`));
      };
      server.once("error", failed);
      server.listen({ host: this.#options.bind.host || undefined, port: this.#options.bind.port, exclusive: true }, () => {
        server.off("error", failed);
        server.on("error", () => { this.stats.sendErrors++; });
        const address = server.address();
        this.#local = { host: this.#local.host, port: typeof address === "object" && address ? address.port : this.#local.port };
        this.#advertiser.bound(this.#local.port);
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const c of [...this.#connections]) c.destroy();
    for (const { raw } of [...this.#handshaking.values()]) raw.destroy();
    this.#handshaking.clear();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /**
   * A TLS server: the raw socket is admitted (limits counted) as it arrives, the
   * connection is tracked once the handshake is done and the client certificate, if
   * asked for, is acceptable.
   */
  #tlsServer(secure: { readonly settings: TlsSettings; readonly options: TlsOptions }): Server {
    const { settings } = secure;
    const askCertificate = settings.verifyClient === true || settings.requireClientCert === true;
    const server = createTlsServer({
      ...secure.options,
      noDelay: true,
      handshakeTimeout: this.#limits.tlsHandshakeTimeoutMs,
      requestCert: askCertificate,
      rejectUnauthorized: false, // decided below, so that verify_client and require_client_cert stay apart
    }, (socket: TLSSocket) => {
      const key = keyOf(normalizeAddress(socket.remoteAddress ?? ""), socket.remotePort ?? 0);
      const release = this.#handshaking.get(key)?.release;
      this.#handshaking.delete(key);
      if (release === undefined) {
        socket.destroy(); // its raw socket was refused or is gone
        return;
      }
      socket.once("close", release);
      if (askCertificate) {
        const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
        if ((settings.requireClientCert && !presented) || (settings.verifyClient && presented && !socket.authorized)) {
          this.stats.tlsHandshakeFailures++;
          socket.destroy();
          return;
        }
      }
      this.#accepted(socket);
    });
    server.on("connection", (raw: Socket) => {
      const release = this.#admit(raw);
      if (release === undefined) return;
      raw.setNoDelay(true);
      const key = keyOf(normalizeAddress(raw.remoteAddress ?? ""), raw.remotePort ?? 0);
      const pending = { raw, release };
      this.#handshaking.set(key, pending);
      raw.once("close", () => {
        if (this.#handshaking.get(key) === pending) this.#handshaking.delete(key);
      });
    });
    server.on("tlsClientError", (_error: Error, socket: TLSSocket) => {
      // Sockets refused at admission end here too; only admitted ones count as failed handshakes.
      const key = keyOf(normalizeAddress(socket.remoteAddress ?? ""), socket.remotePort ?? 0);
      if (this.#handshaking.has(key)) this.stats.tlsHandshakeFailures++;
      socket.destroy();
    });
    return server;
  }

  /**
   * Per-source and total limits for an accepted socket: undefined (and the socket
   * destroyed) when over them, else the function that gives its place back (once,
   * on whichever close comes first).
   */
  #admit(socket: Socket): (() => void) | undefined {
    const host = normalizeAddress(socket.remoteAddress ?? "");
    const fromSource = this.#perSource.get(host) ?? 0;
    const open = this.#connections.size + this.#handshaking.size;
    if (!this.#sink || host === "" || open >= this.#limits.maxConnections || fromSource >= this.#limits.maxConnectionsPerSource) {
      this.stats.connectionsRejected++;
      socket.destroy();
      return undefined;
    }
    this.#perSource.set(host, fromSource + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (this.#perSource.get(host) ?? 1) - 1;
      if (left > 0) this.#perSource.set(host, left);
      else this.#perSource.delete(host);
    };
    socket.once("close", release);
    return release;
  }

  #accept(socket: Socket): void {
    if (this.#admit(socket)) this.#accepted(socket);
  }

  #accepted(socket: Socket): void {
    const host = normalizeAddress(socket.remoteAddress ?? "");
    const port = socket.remotePort ?? 0;
    if (host === "" || socket.destroyed) {
      socket.destroy();
      return;
    }
    this.stats.connectionsAccepted++;
    const connection = this.#track(socket, { host, port }, true);
    this.#index(connection, keyOf(host, port));
  }

  #track(socket: Socket, remote: HostPort, inbound: boolean): TcpConnection {
    const connection = new TcpConnection(this, socket, remote, this.#limits, this.#sink!, inbound);
    this.#connections.add(connection);
    this.stats.connectionsOpen++;
    socket.once("close", () => {
      connection.destroy();
      this.#connections.delete(connection);
      this.stats.connectionsOpen--;
      for (const key of connection.keys) if (this.#byKey.get(key) === connection) this.#byKey.delete(key);
    });
    return connection;
  }

  #index(connection: TcpConnection, key: string): void {
    connection.keys.push(key);
    this.#byKey.set(key, connection);
  }

  #connect(host: string, port: number): TcpConnection | Error {
    if (!this.#server || !this.#sink) return new TransportError(`transport '${this.name}' is not started`);
    if (this.#connections.size >= this.#limits.maxConnections) {
      return new TransportError(`transport '${this.name}': too many open connections (${this.#limits.maxConnections})`);
    }
    const bindHost = this.#options.bind.host;
    const local = bindHost === "" || bindHost === "0.0.0.0" || bindHost === "::" ? undefined : bindHost;
    const address = normalizeHost(host);
    // A host name is resolved in the transport's family; an IP address is taken as it is.
    const family = familyOf(address) === undefined ? this.family : 0;
    const socket = this.#secure
      ? tlsConnect({
        ...this.#secure.options, host: address, port, localAddress: local, family, noDelay: true,
        // verify_server: the certificate must chain to the CA list (or the system's) and name the host.
        rejectUnauthorized: this.#secure.settings.verifyServer === true,
        ...(familyOf(address) === undefined ? { servername: address } : {}),
      } as ConnectionOptions) // tls.connect passes the socket options (localAddress, family) on to net.connect
      : connect({ host: address, port, localAddress: local, family, noDelay: true });
    this.stats.connectionsOpened++;
    const connection = this.#track(socket, { host: address, port }, false);
    this.#index(connection, keyOf(host, port));
    socket.once(this.#secure ? "secureConnect" : "connect", () => {
      const reached = keyOf(normalizeAddress(socket.remoteAddress ?? host), socket.remotePort ?? port);
      if (connection.open && !connection.keys.includes(reached)) this.#index(connection, reached);
    });
    return connection;
  }

  send(data: Buffer, host: string, port: number, connection?: Connection, onError?: (error: Error) => void): void {
    if (connection !== undefined && connection.open && connection.transport === this) return connection.send(data, onError);
    let target: TcpConnection | Error | undefined = this.#byKey.get(keyOf(host, port));
    if (target === undefined || !target.open) target = this.#connect(host, port);
    if (target instanceof Error) {
      this.stats.sendErrors++;
      const error = target;
      if (onError) queueMicrotask(() => onError(error));
      return;
    }
    target.send(data, onError);
  }

  advertised(destinationHost: string): HostPort {
    return this.#advertiser.advertised(destinationHost);
  }
}

