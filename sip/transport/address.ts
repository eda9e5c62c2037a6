/**
 * Addresses as the transports see them: normalising what sockets report, and choosing
 * the address to advertise in Via and Contact (`external_signaling_address` for
 * destinations outside `local_net`, a real interface address for a wildcard bind).
 */
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { type Network, networkContains, parseNetwork } from "../config/network.js";
import { type HostPort, TransportError, type TransportOptions } from "./types.js";

/** A socket's remote address as Source.host: IPv4-mapped IPv6 becomes IPv4, IPv6 is lowercase. */
export function normalizeAddress(address: string): string {
  if (address.length > 7 && address.charCodeAt(0) === 0x3a && address.startsWith("::ffff:") && isIP(address.slice(7)) === 4) {
    return address.slice(7);
  }
  return address.indexOf(":") === -1 ? address : address.toLowerCase();
}

/** A host as written in a URI or Via (maybe `[v6]`), comparable with normalizeAddress output. */
export function normalizeHost(host: string): string {
  const bare = host.length > 1 && host.charCodeAt(0) === 0x5b && host.endsWith("]") ? host.slice(1, -1) : host;
  return normalizeAddress(bare).toLowerCase();
}

export function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "";
}

export function isLoopback(host: string): boolean {
  return host.startsWith("127.") || host === "::1" || host === "localhost";
}

/** Address family of an IP (4 or 6) or undefined for a host name. */
export function familyOf(host: string): 4 | 6 | undefined {
  const f = isIP(host);
  return f === 4 ? 4 : f === 6 ? 6 : undefined;
}

/** The first non-internal address of a family on this machine, if any. */
function interfaceAddress(family: 4 | 6): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal || (info.family !== "IPv4" && info.family !== "IPv6")) continue;
      if ((info.family === "IPv4" ? 4 : 6) !== family) continue;
      if (family === 6 && info.address.toLowerCase().startsWith("fe80:")) continue; // link-local needs a scope
      return info.address;
    }
  }
  return undefined;
}

/**
 * Chooses the sent-by / Contact address of one transport. As in res_pjsip_nat, a
 * transport without `local_net` treats every destination as external.
 */
export class Advertiser {
  readonly #localNet: readonly Network[];
  readonly #external: string | undefined;
  readonly #externalPort: number | undefined;
  readonly #family: 4 | 6;
  #bindHost: string;
  #port = 0;
  /** The address of a real interface, for a wildcard bind and a non-loopback destination. */
  #primary: string | undefined;

  constructor(options: TransportOptions, family: 4 | 6) {
    this.#family = family;
    this.#bindHost = options.bind.host;
    this.#external = options.externalSignalingAddress || undefined;
    this.#externalPort = options.externalSignalingPort || undefined;
    this.#localNet = (options.localNet ?? []).map((text) => {
      try {
        return parseNetwork(text);
      } catch (e) {
        throw new TransportError(`transport '${options.name}': bad local_net '${text}': ${(e as Error).message}`);
      }
    });
  }

  /** Called once the socket is bound: the real port, and the interface address for a wildcard bind. */
  bound(port: number): void {
    this.#port = port;
    if (isWildcard(this.#bindHost)) this.#primary = interfaceAddress(this.#family) ?? (this.#family === 4 ? "127.0.0.1" : "::1");
  }

  /** Whether `host` is inside local_net (a host name never is). */
  isLocal(host: string): boolean {
    if (this.#localNet.length === 0 || familyOf(host) === undefined) return false;
    for (const net of this.#localNet) if (networkContains(net, host)) return true;
    return false;
  }

  advertised(destinationHost: string): HostPort {
    const dest = normalizeHost(destinationHost);
    if (this.#external !== undefined && !this.isLocal(dest)) {
      return { host: this.#external, port: this.#externalPort ?? this.#port };
    }
    if (!isWildcard(this.#bindHost)) return { host: this.#bindHost, port: this.#port };
    if (isLoopback(dest)) return { host: this.#family === 4 ? "127.0.0.1" : "::1", port: this.#port };
    return { host: this.#primary ?? this.#bindHost, port: this.#port };
  }
}

/** Family of a bind address; throws TransportError for something that is not an IP address. */
export function bindFamily(options: TransportOptions): 4 | 6 {
  const host = options.bind.host;
  if (host === "") return 4;
  const family = familyOf(host);
  if (family === undefined) throw new TransportError(`transport '${options.name}': bind address '${host}' is not an IP address`);
  if (!Number.isInteger(options.bind.port) || options.bind.port < 0 || options.bind.port > 65535) {
    throw new TransportError(`transport '${options.name}': bad bind port ${options.bind.port}`);
  }
  return family;
}

/** `host` in the form a socket of `family` can send to (IPv4 through a dual-stack IPv6 socket is mapped). */
export function socketAddress(host: string, family: 4 | 6): string {
  return family === 6 && familyOf(host) === 4 ? "::ffff:" + host : host;
}
