/**
 * The transport layer (RFC 3261 §18): owns the configured transports, stamps incoming
 * requests with `received`/`rport` (§18.2.1, RFC 3581), answers malformed requests
 * with 400 (they never reach a transaction), drops malformed responses, chooses the
 * transport and address for outgoing requests and routes responses (§18.2.2).
 */
import type { Logger } from "../../core/logger.js";
import { type Random, randomHex } from "../../core/random.js";
import {
  type SipMessage, SipParseError, type SipRequest, type SipResponse, type Via, buildResponse, formatVia, quote, serializeMessage,
} from "../message/index.js";
import { familyOf, isWildcard, normalizeHost } from "./address.js";
import { TcpTransport } from "./tcp.js";
import {
  DEFAULT_TRANSPORT_LIMITS, type Destination, type HostPort, type Source, type Target, type Transport, TransportError,
  type TransportLimits, type TransportOptions, type TransportProtocol, type TransportSink, type TransportStats, defaultPort,
  emptyTransportStats,
} from "./types.js";
import { UdpTransport } from "./udp.js";
import { WebSocketTransport } from "./websocket.js";

/** Who gets what arrives: the transaction layer. */
export interface MessageHandler {
  request(request: SipRequest, source: Source): void;
  response(response: SipResponse, source: Source): void;
}

/** Where a request goes and what to advertise in its Via and Contact. */
export interface Route extends Target {
  readonly sentBy: HostPort;
}

export interface TransportLayerOptions {
  readonly transports: readonly Transport[];
  /** Draws the To tag of stateless 400 responses. */
  readonly random: Random;
  /**
   * Answer every request at its source address and port as if it carried `rport`
   * (pjsip.conf endpoint `force_rport`, `yes` by default in Asterisk). With false,
   * responses follow RFC 3261 §18.2.2 to the Via port unless the request asked for rport.
   */
  readonly forceRport?: boolean;
  readonly logger?: Logger;
}

export interface TransportLayerStats {
  /** Well-formed requests and responses handed to the handler. */
  requestsIn: number;
  responsesIn: number;
  /** Malformed requests: answered 400 (`badRequestsAnswered`) or, without enough to answer (or an ACK), dropped. */
  malformedRequests: number;
  badRequestsAnswered: number;
  /** Malformed responses, dropped (RFC 3261 §18.1.2). */
  malformedResponses: number;
  /** Input that is neither a request nor a response. */
  malformedOther: number;
  /** Responses that could not be routed (a Via of an unknown transport). */
  unroutable: number;
  /** Exceptions from the handler or the parser: bugs, logged. */
  internalErrors: number;
}

const LOG_SOURCE = "res_pjsip_transport";

/** A transport for a `type=transport` section: UDP, TCP, TLS, and WS/WSS (served by an HTTP server, see WebSocketTransport). */
export function createTransport(options: TransportOptions, limits: Partial<TransportLimits> = {}): Transport {
  const all: TransportLimits = { ...DEFAULT_TRANSPORT_LIMITS, ...limits };
  if (options.protocol === "udp") return new UdpTransport(options, all);
  if (options.protocol === "tcp" || options.protocol === "tls") return new TcpTransport(options, all);
  if (options.protocol === "ws" || options.protocol === "wss") return new WebSocketTransport(options, all);
  throw new TransportError(`transport '${options.name}': protocol ${options.protocol} is not supported yet`);
}

const VIA_PROTOCOLS: Readonly<Record<string, TransportProtocol>> = { UDP: "udp", TCP: "tcp", TLS: "tls", WS: "ws", WSS: "wss" };

/** Text safe inside a quoted string of a header: printable ASCII only, at most 100 characters. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 100);
}

export class TransportLayer implements TransportSink {
  readonly transports: readonly Transport[];
  readonly stats: TransportLayerStats = {
    requestsIn: 0, responsesIn: 0, malformedRequests: 0, badRequestsAnswered: 0, malformedResponses: 0, malformedOther: 0,
    unroutable: 0, internalErrors: 0,
  };
  readonly forceRport: boolean;
  readonly #random: Random;
  readonly #logger: Logger | undefined;
  #handler: MessageHandler | undefined;
  #started = false;

  constructor(options: TransportLayerOptions) {
    const names = new Set<string>();
    for (const t of options.transports) {
      if (names.has(t.name)) throw new TransportError(`two transports are named '${t.name}'`);
      names.add(t.name);
    }
    this.transports = [...options.transports];
    this.#random = options.random;
    this.forceRport = options.forceRport ?? true;
    this.#logger = options.logger;
  }

  /** A layer over transports built from `type=transport` options. */
  static create(
    transports: readonly TransportOptions[],
    options: Omit<TransportLayerOptions, "transports"> & { limits?: Partial<TransportLimits> },
  ): TransportLayer {
    return new TransportLayer({ ...options, transports: transports.map((t) => createTransport(t, options.limits)) });
  }

  setHandler(handler: MessageHandler): void {
    this.#handler = handler;
  }

  /** Bind every transport; if one fails the others are stopped again and the TransportError is thrown. */
  async start(): Promise<void> {
    if (this.#started) return;
    const started: Transport[] = [];
    try {
      for (const t of this.transports) {
        await t.start(this);
        started.push(t);
      }
    } catch (e) {
      await Promise.all(started.map((t) => t.stop()));
      throw e;
    }
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#started = false;
    await Promise.all(this.transports.map((t) => t.stop()));
  }

  find(name: string): Transport | undefined {
    return this.transports.find((t) => t.name === name);
  }

  /**
   * The WebSocket transport for upgrades over HTTPS (`secure`) or plain HTTP: the
   * `wss` or `ws` one, else the other kind when only one is configured, else none.
   */
  webSocket(secure: boolean): WebSocketTransport | undefined {
    const all = this.transports.filter((t): t is WebSocketTransport => t instanceof WebSocketTransport);
    return all.find((t) => t.protocol === (secure ? "wss" : "ws")) ?? all[0];
  }

  /** The transports' counters summed. */
  transportStats(): TransportStats {
    const sum = emptyTransportStats();
    for (const t of this.transports) for (const key of Object.keys(sum) as Array<keyof TransportStats>) sum[key] += t.stats[key];
    return sum;
  }

  /**
   * The transport for a destination: the named one, else the first of the protocol and
   * the destination's address family (a host name is taken as IPv4 first), else an
   * IPv6 wildcard (dual-stack) one for an IPv4 destination. Throws TransportError.
   */
  select(destination: Destination): Transport {
    if (destination.transport !== undefined) {
      const named = this.find(destination.transport);
      if (!named) throw new TransportError(`no transport named '${destination.transport}'`);
      return named;
    }
    const protocol = destination.protocol ?? "udp";
    const family = familyOf(normalizeHost(destination.host));
    let fallback: Transport | undefined;
    for (const t of this.transports) {
      if (t.protocol !== protocol) continue;
      if (t.family === (family ?? 4)) return t;
      if (fallback === undefined && (family === undefined || (family === 4 && isWildcard(t.local.host)))) fallback = t;
    }
    if (fallback) return fallback;
    // A lone ws (or wss) transport serves both kinds of upgrade, so it also reaches the clients that came the other way.
    const webSocket = protocol === "ws" || protocol === "wss" ? this.webSocket(protocol === "wss") : undefined;
    if (webSocket) return webSocket;
    throw new TransportError(`no ${protocol.toUpperCase()} transport for ${destination.host}`);
  }

  /** Transport, address and advertised sent-by for a request to `destination`. Throws TransportError. */
  route(destination: Destination): Route {
    const transport = this.select(destination);
    const host = normalizeHost(destination.host);
    return { transport, host, port: destination.port ?? defaultPort(transport.protocol), sentBy: transport.advertised(host) };
  }

  send(data: Buffer, target: Target, onError?: (error: Error) => void): void {
    target.transport.send(data, target.host, target.port, target.connection, onError);
  }

  /**
   * Where a response with top Via `via` goes (RFC 3261 §18.2.2, RFC 3581): over the
   * connection the request came on while it is open, else to `received`:`rport`,
   * `maddr`, `received`:sent-by port, or the sent-by; on the transport the request
   * arrived on.
   */
  responseTarget(via: Via, source?: Source): Target | undefined {
    let transport = source?.transport;
    if (transport === undefined) {
      const protocol = VIA_PROTOCOLS[via.transport];
      if (protocol === undefined) return undefined;
      try {
        transport = this.select({ host: via.params.get("received") ?? via.host, protocol });
      } catch {
        return undefined;
      }
    }
    const received = via.params.get("received") ?? undefined;
    const port = via.port ?? defaultPort(transport.protocol);
    if (transport.reliable) {
      // The connection while it is open; once closed, a new one to `received` and the sent-by port (never the old ephemeral port).
      return { transport, host: received ?? via.host, port, connection: source?.connection };
    }
    // rport first: it is the source we stamped, which a forged maddr must not override.
    const rport = via.params.get("rport");
    if (rport) {
      const n = Number(rport);
      if (Number.isInteger(n) && n > 0 && n < 65536) return { transport, host: received ?? source?.host ?? via.host, port: n };
    }
    const maddr = via.params.get("maddr");
    if (maddr) return { transport, host: maddr, port };
    return { transport, host: received ?? via.host, port };
  }

  /** Send a response outside any transaction; false when it cannot be routed. */
  sendResponse(response: SipResponse, source?: Source): boolean {
    let target: Target | undefined;
    try {
      target = this.responseTarget(response.via, source);
    } catch {
      target = undefined;
    }
    if (!target) {
      this.stats.unroutable++;
      return false;
    }
    this.send(serializeMessage(response), target);
    return true;
  }

  /** RFC 3261 §18.2.1 and RFC 3581: note the source address (and port) in the top Via of a request. */
  stampVia(request: SipRequest, source: Source): void {
    const via = request.via;
    const rport = via.params.get("rport");
    const wantsRport = rport !== undefined || this.forceRport;
    if (!wantsRport && normalizeHost(via.host) === source.host) return;
    const params = new Map(via.params);
    params.set("received", source.host);
    if (wantsRport) params.set("rport", String(source.port));
    request.removeFirst("Via");
    request.prepend("Via", formatVia({ protocol: via.protocol, transport: via.transport, host: via.host, port: via.port, params }));
  }

  receive(item: SipMessage | SipParseError, source: Source): void {
    try {
      if (item instanceof SipParseError) this.#malformed(item, source);
      else if (item.isRequest) {
        this.stats.requestsIn++;
        this.stampVia(item, source);
        this.#handler?.request(item, source);
      } else {
        this.stats.responsesIn++;
        this.#handler?.response(item, source);
      }
    } catch (e) {
      this.internalError(e, source);
    }
  }

  internalError(error: unknown, source: Source): void {
    this.stats.internalErrors++;
    this.#logger?.log("ERROR", LOG_SOURCE, `Error handling a message from ${source.protocol.toUpperCase()} ${source.host}:${source.port}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  }

  /** RFC 3261 §8.2.2, §16.3, §18.1.2: 400 to a malformed request that can be answered, nothing to the rest. */
  #malformed(error: SipParseError, source: Source): void {
    if (error.kind === "response") {
      this.stats.malformedResponses++;
      return;
    }
    const request = error.request;
    if (error.kind !== "request" || request === undefined) {
      this.stats.malformedOther++;
      return;
    }
    this.stats.malformedRequests++;
    // A response needs the five headers it copies; an ACK is never answered.
    if (request.method === "ACK" || !request.has("Via") || !request.has("From") || !request.has("To") || !request.has("Call-ID") || !request.has("CSeq")) {
      return;
    }
    this.stampVia(request, source);
    const status = error.code === "too-large" ? 513 : error.code === "unsupported-version" ? 505 : 400;
    const response = buildResponse(request, status, {
      toTag: randomHex(this.#random, 8),
      headers: [["Warning", `399 recall ${quote(printable(error.message))}`]],
    });
    if (this.sendResponse(response, source)) this.stats.badRequestsAnswered++;
  }
}
