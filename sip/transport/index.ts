/** SIP transports (RFC 3261 §18): UDP, TCP and TLS sockets, WebSocket connections (RFC 7118), an in-memory network for simulations, and the layer over them. */
export {
  type Connection, DEFAULT_TRANSPORT_LIMITS, type TlsSettings, type Destination, type HostPort, type Source, type Target, type Transport,
  TransportError, type TransportLimits, type TransportOptions, type TransportProtocol, type TransportSink, type TransportStats,
  defaultPort, viaTransport,
} from "./types.js";
export { Advertiser, isLoopback, normalizeAddress, normalizeHost } from "./address.js";
export { UdpTransport } from "./udp.js";
export { TcpTransport } from "./tcp.js";
export { WebSocketTransport } from "./websocket.js";
export { MemoryNetwork, type MemoryPacket, MemoryTransport } from "./memory.js";
export {
  type MessageHandler, type Route, TransportLayer, type TransportLayerOptions, type TransportLayerStats, createTransport,
} from "./layer.js";
