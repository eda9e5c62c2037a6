/**
 * SIP over UDP (RFC 3261 §18): one datagram, one message. A datagram holding only
 * CR/LF is a keep-alive and is ignored.
 */
import { type Socket, createSocket } from "node:dgram";
import { SipParseError, parseMessage } from "../message/index.js";
import { Advertiser, bindFamily, normalizeAddress, socketAddress } from "./address.js";
import {
  type Connection, DEFAULT_TRANSPORT_LIMITS, type HostPort, type Source, type Transport, TransportError, type TransportLimits,
  type TransportOptions, type TransportSink, type TransportStats, emptyTransportStats,
} from "./types.js";

export class UdpTransport implements Transport {
  readonly name: string;
  readonly protocol = "udp" as const;
  readonly reliable = false;
  readonly family: 4 | 6;
  readonly stats: TransportStats = emptyTransportStats();
  readonly #options: TransportOptions;
  readonly #limits: TransportLimits;
  readonly #advertiser: Advertiser;
  #socket: Socket | undefined;
  #local: HostPort;
  /** Shared send callback: counts failures without a closure per datagram. */
  readonly #sent = (error: Error | null): void => {
    if (error) this.stats.sendErrors++;
  };

  constructor(options: TransportOptions, limits: TransportLimits = DEFAULT_TRANSPORT_LIMITS) {
    this.name = options.name;
    this.#options = options;
    this.#limits = limits;
    this.family = bindFamily(options);
    this.#advertiser = new Advertiser(options, this.family);
    this.#local = { host: options.bind.host || "0.0.0.0", port: options.bind.port };
  }

  get local(): HostPort {
    return this.#local;
  }

  start(sink: TransportSink): Promise<void> {
    if (this.#socket) return Promise.resolve();
    const socket = createSocket({ type: this.family === 6 ? "udp6" : "udp4", recvBufferSize: this.#limits.udpReceiveBufferSize });
    this.#socket = socket;
    const limits = this.#limits.parse;
    socket.on("message", (data, rinfo) => {
      this.stats.datagramsIn++;
      this.stats.bytesIn += data.length;
      const source: Source = { transport: this, protocol: "udp", host: normalizeAddress(rinfo.address), port: rinfo.port };
      let item;
      try {
        item = parseMessage(data, limits);
      } catch (e) {
        if (!(e instanceof SipParseError)) return sink.internalError(e, source);
        if (e.code === "empty") {
          this.stats.keepAlives++; // CRLF keep-alive (or an empty datagram)
          return;
        }
        item = e;
      }
      sink.receive(item, source);
    });
    return new Promise((resolve, reject) => {
      const failed = (e: Error) => {
        this.#socket = undefined;
        reject(new TransportError(`transport '${this.name}': cannot bind UDP ${this.#local.host}:${this.#local.port}: ${e.message}`));
      };
      socket.once("error", failed);
      socket.bind({ address: this.#options.bind.host || undefined, port: this.#options.bind.port, exclusive: true }, () => {
        socket.off("error", failed);
        // Errors after bind (a send to an unresolvable name) are reported to the send callback too.
        socket.on("error", () => { this.stats.sendErrors++; });
        this.#local = { host: this.#local.host, port: socket.address().port };
        this.#advertiser.bound(this.#local.port);
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  send(data: Buffer, host: string, port: number, _connection?: Connection, onError?: (error: Error) => void): void {
    const socket = this.#socket;
    if (!socket) {
      this.stats.sendErrors++;
      if (onError) queueMicrotask(() => onError(new TransportError(`transport '${this.name}' is not started`)));
      return;
    }
    this.stats.messagesOut++;
    this.stats.bytesOut += data.length;
    const callback = onError === undefined ? this.#sent : (error: Error | null) => {
      if (!error) return;
      this.stats.sendErrors++;
      onError(error);
    };
    socket.send(data, port, socketAddress(host, this.family), callback);
  }

  advertised(destinationHost: string): HostPort {
    return this.#advertiser.advertised(destinationHost);
  }
}
