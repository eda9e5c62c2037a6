/** Helpers for the transport and transaction tests: requests built in one line, layers on an in-memory network. */
import type { Clock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { type HeaderField, SipRequest, header, utf8ToBytes } from "../message/index.js";
import { MemoryNetwork, TransportLayer } from "../transport/index.js";
import { TransactionLayer } from "./layer.js";
import type { TimerSettings } from "./timers.js";

export interface RequestParts {
  callId?: string;
  seq?: number;
  fromTag?: string;
  toTag?: string;
  from?: string;
  to?: string;
  headers?: Array<[string, string]>;
  body?: string;
}

let counter = 0;

/** A request without Via (the transaction layer adds it). */
export function makeRequest(method: string, uri: string, parts: RequestParts = {}): SipRequest {
  const fields: HeaderField[] = [
    header("From", (parts.from ?? "<sip:alice@example.com>") + ";tag=" + (parts.fromTag ?? "ft" + ++counter)),
    header("To", (parts.to ?? "<" + uri + ">") + (parts.toTag ? ";tag=" + parts.toTag : "")),
    header("Call-ID", parts.callId ?? "call-" + ++counter),
    header("CSeq", (parts.seq ?? 1) + " " + method),
  ];
  for (const [name, value] of parts.headers ?? []) fields.push(header(name, value));
  return new SipRequest(method, uri, fields, parts.body === undefined ? undefined : Buffer.from(utf8ToBytes(parts.body), "latin1"));
}

/** A raw request as a peer would write it (Via included), for sockets. */
export function rawRequest(method: string, uri: string, via: string, parts: RequestParts & { contentLength?: string } = {}): string {
  const body = parts.body ?? "";
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: ${via}`,
    "Max-Forwards: 70",
    `From: <sip:alice@example.com>;tag=${parts.fromTag ?? "raw" + ++counter}`,
    `To: ${parts.to ?? "<" + uri + ">"}${parts.toTag ? ";tag=" + parts.toTag : ""}`,
    `Call-ID: ${parts.callId ?? "raw-" + ++counter}`,
    `CSeq: ${parts.seq ?? 1} ${method}`,
    ...(parts.headers ?? []).map(([n, v]) => `${n}: ${v}`),
    ...(parts.contentLength === "" ? [] : [`Content-Length: ${parts.contentLength ?? Buffer.byteLength(body)}`]),
  ];
  return lines.join("\r\n") + "\r\n\r\n" + body;
}

/** A transaction layer on a memory transport at `host:port`. */
export async function memoryLayer(
  network: MemoryNetwork,
  clock: Clock,
  at: { host: string; port?: number; protocol?: "udp" | "tcp"; seed?: number; timers?: Partial<TimerSettings>; forceRport?: boolean },
): Promise<TransactionLayer> {
  const protocol = at.protocol ?? "udp";
  const transport = network.transport({ name: protocol, protocol, host: at.host, port: at.port ?? 5060 });
  const random = new SeededRandom(at.seed ?? 1);
  const transports = new TransportLayer({ transports: [transport], random, forceRport: at.forceRport });
  await transports.start();
  return new TransactionLayer({ transports, clock, random, timers: at.timers });
}

/** Times (ms since `origin`) of the packets that satisfy `match`. */
export function timesOf<T extends { at: number; text: string }>(packets: T[], match: (p: T) => boolean, origin = 0): number[] {
  return packets.filter(match).map((p) => (p.at - origin) / 1000);
}
