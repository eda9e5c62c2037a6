/**
 * IP addresses, networks and `host[:port]` values as pjsip.conf and acl.conf write them:
 * `192.0.2.1`, `192.0.2.0/24`, `192.0.2.0/255.255.255.0`, `::1/128`, `[2001:db8::1]:5060`,
 * `sip.example.com:5060`. Parsing throws ValueError with the reason; matching is exact
 * bit arithmetic on BigInt.
 */
import { isIP } from "node:net";
import { ValueError } from "./values.js";

export type IpFamily = 4 | 6;

/** A network: an address and how many leading bits of it count. A bare address is a /32 (/128). */
export interface Network {
  readonly family: IpFamily;
  /** The network address, canonical text (host bits cleared). */
  readonly address: string;
  readonly prefix: number;
}

export interface HostPort {
  readonly host: string;
  readonly port?: number;
}

/** The bare IP address inside `[...]` or as is, with its family; undefined if not an IP. */
export function ipFamily(text: string): IpFamily | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const family = isIP(bare);
  return family === 4 || family === 6 ? family : undefined;
}

export function parseNetwork(text: string): Network {
  const slash = text.lastIndexOf("/");
  const addrText = unbracket((slash < 0 ? text : text.slice(0, slash)).trim());
  const family = ipFamily(addrText);
  if (!family) throw new ValueError(`'${text}' is not an IP address or network`);
  const width = family === 4 ? 32 : 128;
  let prefix = width;
  if (slash >= 0) {
    const maskText = text.slice(slash + 1).trim();
    if (/^\d+$/.test(maskText)) prefix = Number(maskText);
    else if (ipFamily(maskText) === family) prefix = maskPrefix(toBigInt(maskText, family), width, text);
    else throw new ValueError(`'${text}' has a bad netmask '${maskText}'`);
    if (prefix > width) throw new ValueError(`'${text}' has a prefix longer than ${width} bits`);
  }
  const bits = toBigInt(addrText, family) & prefixMask(prefix, width);
  return { family, address: fromBigInt(bits, family), prefix };
}

/** Whether `ip` (an address, any family) is inside `net`. */
export function networkContains(net: Network, ip: string): boolean {
  let family = ipFamily(ip);
  let addr = unbracket(ip);
  if (family === 6 && net.family === 4) {
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it carries.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
    if (mapped) [family, addr] = [4, mapped[1]];
  }
  if (family !== net.family) return false;
  const width = family === 4 ? 32 : 128;
  const mask = prefixMask(net.prefix, width);
  return (toBigInt(addr, family) & mask) === toBigInt(net.address, family);
}

export function formatNetwork(net: Network): string {
  return `${net.address}/${net.prefix}`;
}

/**
 * `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address (no port then).
 * The host may be a name; callers that need an IP check with ipFamily.
 */
export function parseHostPort(text: string): HostPort {
  const s = text.trim();
  if (s === "") throw new ValueError("empty host");
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    const host = s.slice(1, close);
    if (close < 0 || isIP(host) !== 6) throw new ValueError(`'${text}' is not a valid [IPv6] address`);
    const rest = s.slice(close + 1);
    if (rest === "") return { host };
    if (!rest.startsWith(":")) throw new ValueError(`'${text}' has text after ']'`);
    return { host, port: parsePort(rest.slice(1), text) };
  }
  if (isIP(s) === 6) return { host: s };
  const colon = s.lastIndexOf(":");
  const host = colon < 0 ? s : s.slice(0, colon);
  if (!/^[A-Za-z0-9._-]+$/.test(host)) throw new ValueError(`'${text}' is not a valid host`);
  return colon < 0 ? { host } : { host, port: parsePort(s.slice(colon + 1), text) };
}

export function formatHostPort(hp: HostPort): string {
  const host = isIP(hp.host) === 6 ? `[${hp.host}]` : hp.host;
  return hp.port === undefined ? host : `${host}:${hp.port}`;
}

function parsePort(text: string, whole: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new ValueError(`'${whole}' has a bad port '${text}'`);
  return port;
}

function unbracket(text: string): string {
  return text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
}

function prefixMask(prefix: number, width: number): bigint {
  const all = (1n << BigInt(width)) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(width - prefix)) << BigInt(width - prefix);
}

function maskPrefix(mask: bigint, width: number, text: string): number {
  let bits = 0;
  while (bits < width && ((mask >> BigInt(width - 1 - bits)) & 1n) === 1n) bits++;
  if (prefixMask(bits, width) !== mask) throw new ValueError(`'${text}' has a non-contiguous netmask`);
  return bits;
}

function toBigInt(addr: string, family: IpFamily): bigint {
  if (family === 4) return addr.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  let text = addr.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = toBigInt(v4[1], 4);
    text = text.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined
    ? headGroups
    : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function fromBigInt(bits: bigint, family: IpFamily): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 0xffn)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((bits >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}
