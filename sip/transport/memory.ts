/**
 * An in-memory network for simulations and tests: transports that deliver each sent
 * message, whole, to the transport bound at the destination address after a fixed
 * latency on the injected Clock. With a VirtualClock everything (delivery, loss,
 * retransmission timers) happens in a fixed order: the same run gives the same trace.
 */
import type { Clock } from "../../core/clock.js";
import { SipParseError, parseMessage } from "../message/index.js";
import { normalizeHost } from "./address.js";
import {
  type Connection, DEFAULT_TRANSPORT_LIMITS, type HostPort, type Source, type Transport, TransportError, type TransportSink,
  type TransportStats, emptyTransportStats,
} from "./types.js";

export interface MemoryPacket {
  readonly protocol: "udp" | "tcp";
  readonly from: HostPort;
  readonly to: HostPort;
  readonly data: Buffer;
}

export class MemoryNetwork {
  readonly #transports = new Map<string, MemoryTransport>();
  /** Return true to lose a packet (UDP loss, a cut link). */
  drop: ((packet: MemoryPacket) => boolean) | undefined;
  /** Sees every packet sent, delivered or not. */
  onPacket: ((packet: MemoryPacket) => void) | undefined;
  /**
   * When set, the delays (microseconds) after which a packet that was not dropped arrives:
   * one per copy, so none loses it, two duplicate it, and unequal delays reorder packets.
   * Unset: one copy after `latencyMicros`.
   */
  delays: ((packet: MemoryPacket) => readonly number[]) | undefined;

  constructor(readonly clock: Clock, readonly latencyMicros = 1_000) {}

  /** A transport at `host:port` (an IP address; port 0 is not assigned automatically). */
  transport(options: { name: string; protocol: "udp" | "tcp"; host: string; port: number }): MemoryTransport {
    return new MemoryTransport(this, options.name, options.protocol, { host: normalizeHost(options.host), port: options.port });
  }

  /** @internal */
  attach(t: MemoryTransport): void {
    const key = keyOf(t.protocol, t.local);
    if (this.#transports.has(key)) throw new TransportError(`${t.protocol} ${t.local.host}:${t.local.port} is already bound`);
    this.#transports.set(key, t);
  }

  /** @internal */
  detach(t: MemoryTransport): void {
    if (this.#transports.get(keyOf(t.protocol, t.local)) === t) this.#transports.delete(keyOf(t.protocol, t.local));
  }

  /** @internal */
  deliver(from: MemoryTransport, to: HostPort, data: Buffer, onError?: (error: Error) => void): void {
    const packet: MemoryPacket = { protocol: from.protocol, from: from.local, to, data };
    this.onPacket?.(packet);
    if (this.drop?.(packet)) return;
    for (const delay of this.delays?.(packet) ?? [this.latencyMicros]) {
      this.clock.schedule(this.clock.now() + delay, () => {
        const receiver = this.#transports.get(keyOf(from.protocol, to));
        if (receiver) receiver.arrive(data, from);
        else if (from.reliable) onError?.(new TransportError(`connection refused by ${to.host}:${to.port}`));
      });
    }
  }
}

function keyOf(protocol: string, at: HostPort): string {
  return protocol + " " + normalizeHost(at.host) + " " + at.port;
}

/** One message per send, even for `tcp` (which only makes it reliable: no retransmissions, no connections). */
export class MemoryTransport implements Transport {
  readonly reliable: boolean;
  readonly family: 4 | 6;
  readonly stats: TransportStats = emptyTransportStats();
  #sink: TransportSink | undefined;

  constructor(
    private readonly network: MemoryNetwork,
    readonly name: string,
    readonly protocol: "udp" | "tcp",
    readonly local: HostPort,
  ) {
    this.reliable = protocol !== "udp";
    this.family = local.host.includes(":") ? 6 : 4;
  }

  start(sink: TransportSink): Promise<void> {
    if (!this.#sink) this.network.attach(this);
    this.#sink = sink;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.network.detach(this);
    this.#sink = undefined;
    return Promise.resolve();
  }

  send(data: Buffer, host: string, port: number, _connection?: Connection, onError?: (error: Error) => void): void {
    this.stats.messagesOut++;
    this.stats.bytesOut += data.length;
    this.network.deliver(this, { host: normalizeHost(host), port }, data, onError);
  }

  advertised(): HostPort {
    return this.local;
  }

  /** @internal */
  arrive(data: Buffer, from: MemoryTransport): void {
    const sink = this.#sink;
    if (!sink) return;
    this.stats.datagramsIn++;
    this.stats.bytesIn += data.length;
    const source: Source = { transport: this, protocol: this.protocol, host: from.local.host, port: from.local.port };
    let item;
    try {
      item = parseMessage(data, DEFAULT_TRANSPORT_LIMITS.parse);
    } catch (e) {
      if (!(e instanceof SipParseError)) return sink.internalError(e, source);
      if (e.code === "empty") return;
      item = e;
    }
    sink.receive(item, source);
  }
}
