/**
 * What every SIP transport (UDP, TCP, TLS, WebSocket) offers the layers
 * above it: bind, receive parsed messages, send bytes, and say which address to
 * advertise in Via and Contact.
 */
import type { SipMessage, SipParseError } from "../message/index.js";
import { DEFAULT_LIMITS, type ParseLimits } from "../message/index.js";

export type TransportProtocol = "udp" | "tcp" | "tls" | "ws" | "wss";

export interface HostPort {
  /** An IP address (IPv6 without brackets) or a host name. */
  readonly host: string;
  readonly port: number;
}

/** A `type=transport` section of pjsip.conf, as far as signalling goes. */
export interface TransportOptions {
  readonly name: string;
  readonly protocol: TransportProtocol;
  /** Port 0 means any free port (tests); the bound port is `Transport.local.port` after start. */
  readonly bind: { readonly host: string; readonly port: number };
  /** `external_signaling_address`: advertised to destinations outside `localNet`. */
  readonly externalSignalingAddress?: string;
  /** `external_signaling_port`: advertised with the external address (the bound port when absent or 0). */
  readonly externalSignalingPort?: number;
  /** `local_net`: networks (`192.168.0.0/16`, `10.0.0.0/255.0.0.0`, `::1/128`) reached without NAT. */
  readonly localNet?: readonly string[];
  /** `protocol=tls`: certificates and verification (required for tls). */
  readonly tls?: TlsSettings;
}

/** A transport's TLS options, as pjsip.conf names them. */
export interface TlsSettings {
  readonly certFile?: string;
  readonly privKeyFile?: string;
  /** Password of an encrypted private key. */
  readonly password?: string;
  readonly caListFile?: string;
  readonly caListPath?: string;
  /** `default`, `unspecified`, `sslv23` (any version Node allows), `tlsv1`, `tlsv1_1`, `tlsv1_2`, `tlsv1_3`. */
  readonly method?: string;
  /** OpenSSL cipher list. */
  readonly cipher?: string;
  /** A client certificate, when one is presented, must verify against the CA list. */
  readonly verifyClient?: boolean;
  /** A client must present a certificate (verified when `verifyClient` is set). */
  readonly requireClientCert?: boolean;
  /** Outgoing connections check the server's certificate and name. */
  readonly verifyServer?: boolean;
}


/** An open stream to a peer (TCP, TLS, WebSocket). */
export interface Connection {
  readonly transport: Transport;
  readonly remote: HostPort;
  /** False once closed or closing: do not send on it. */
  readonly open: boolean;
  send(data: Buffer, onError?: (error: Error) => void): void;
  /** Close once what was queued has been written. */
  close(): void;
}

/** Where a message came from. The same shape as the registrar's `{ protocol, host, port }`. */
export interface Source {
  readonly transport: Transport;
  readonly protocol: TransportProtocol;
  /** Remote IP address, normalised (IPv4-mapped IPv6 becomes IPv4, no brackets, lowercase). */
  readonly host: string;
  readonly port: number;
  /** The stream it arrived on, for stream transports. */
  readonly connection?: Connection;
}

/** Where to send a request. */
export interface Destination {
  /** IP address or host name (resolved by the operating system: no RFC 3263 SRV/NAPTR here). */
  readonly host: string;
  /** 5060 (5061 for TLS) when absent. */
  readonly port?: number;
  /** `udp` when absent (or the protocol of the named transport). */
  readonly protocol?: TransportProtocol;
  /** Name of a configured transport to use (an endpoint's `transport=`). */
  readonly transport?: string;
}

/** A resolved place to send bytes to: a transport, an address and, for streams, a preferred connection. */
export interface Target {
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
  readonly connection?: Connection;
}

/** Receives what a transport reads. The transport layer is the only sink in practice. */
export interface TransportSink {
  /** A message, or the parse error of a malformed one, from `source`. */
  receive(item: SipMessage | SipParseError, source: Source): void;
  /** Reading what `source` sent failed with something other than a SipParseError: a bug, to be logged. */
  internalError(error: unknown, source: Source): void;
}

/** Counters a transport keeps (monotonic, except `connectionsOpen`). */
export interface TransportStats {
  datagramsIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  sendErrors: number;
  keepAlives: number;
  connectionsAccepted: number;
  connectionsOpened: number;
  connectionsRejected: number;
  connectionsOpen: number;
  /** Streams closed because their framing was lost (bad Content-Length, oversized message). */
  framingErrors: number;
  /** Streams closed for idleness or a peer not reading what we write. */
  connectionsTimedOut: number;
  writeOverflows: number;
  /** TLS handshakes that failed or timed out (half-open handshakes end here). */
  tlsHandshakeFailures: number;
}

export function emptyTransportStats(): TransportStats {
  return {
    datagramsIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0, sendErrors: 0, keepAlives: 0,
    connectionsAccepted: 0, connectionsOpened: 0, connectionsRejected: 0, connectionsOpen: 0,
    framingErrors: 0, connectionsTimedOut: 0, writeOverflows: 0, tlsHandshakeFailures: 0,
  };
}

export interface Transport {
  readonly name: string;
  readonly protocol: TransportProtocol;
  /** Stream transports deliver reliably: the transaction layer does not retransmit over them (RFC 3261 §17). */
  readonly reliable: boolean;
  /** Address family of the bound address. */
  readonly family: 4 | 6;
  /** The bound address; its port is the real one once started (bind port 0). */
  readonly local: HostPort;
  readonly stats: TransportStats;
  start(sink: TransportSink): Promise<void>;
  stop(): Promise<void>;
  /**
   * Send bytes to `host:port`. Streams use `connection` if it is still open, else an
   * open connection to that address, else connect. Failures go to `onError`
   * (asynchronously), never thrown.
   */
  send(data: Buffer, host: string, port: number, connection?: Connection, onError?: (error: Error) => void): void;
  /** The host and port to put in Via sent-by and Contact for a message to `destinationHost`. */
  advertised(destinationHost: string): HostPort;
}

/** Bounds against abuse and runaway peers. */
export interface TransportLimits {
  /** Open streams per transport (accepted plus outgoing). */
  readonly maxConnections: number;
  /** Accepted streams from one remote IP address. */
  readonly maxConnectionsPerSource: number;
  /** A stream with no traffic for this long is closed. */
  readonly idleTimeoutMs: number;
  /** An accepted stream that has not sent one complete message (or keep-alive) by then is closed. */
  readonly firstMessageTimeoutMs: number;
  /** A TLS handshake not finished by then is abandoned (half-open handshakes hold a socket only this long). */
  readonly tlsHandshakeTimeoutMs: number;
  /** Bytes queued for writing to a peer that does not read; beyond this the stream is closed. */
  readonly maxWriteBuffer: number;
  /** Message size, header count... per message; also bounds what a stream buffers. */
  readonly parse: ParseLimits;
  /** SO_RCVBUF of UDP sockets, to ride out bursts (the kernel caps it at net.core.rmem_max). */
  readonly udpReceiveBufferSize: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = Object.freeze({
  maxConnections: 16_384,
  maxConnectionsPerSource: 1_024,
  idleTimeoutMs: 600_000,
  firstMessageTimeoutMs: 30_000,
  tlsHandshakeTimeoutMs: 10_000,
  maxWriteBuffer: 4 * 1024 * 1024,
  parse: DEFAULT_LIMITS,
  udpReceiveBufferSize: 4 * 1024 * 1024,
});

/** The default port of a protocol (RFC 3261 §18.2.2, RFC 7118). */
export function defaultPort(protocol: TransportProtocol): number {
  return protocol === "tls" || protocol === "wss" ? 5061 : protocol === "ws" ? 80 : 5060;
}

/** `UDP`, `TCP`, `TLS`, `WS`, `WSS` as written in Via. */
export function viaTransport(protocol: TransportProtocol): string {
  return protocol.toUpperCase();
}

/** A configuration or start-up problem with a transport (bad bind address, port in use, no transport for a destination). */
export class TransportError extends Error {
  override readonly name = "TransportError";
}
