/**
 * A TLS REGISTER load generator for `npm run bench:sip` (sipp here is built without
 * TLS): `connections` TLS connections, `users` phones spread over them, and an open-
 * loop pace of `rate` registrations a second. Each registration is what a phone does
 * from cold: REGISTER, 401 with a challenge, REGISTER with digest credentials, 200.
 * A phone has one registration in flight; a registration that is not answered within
 * `timeoutMs` fails; a tick with no idle phone counts as `behind` (offered, not sent).
 */
import { readFileSync } from "node:fs";
import { type Socket, connect as netConnect } from "node:net";
import { connect } from "node:tls";
import { answerChallenge, formatCredentials, parseChallenge } from "../auth/index.js";
import { SipParseError, type SipResponse, StreamFramer } from "../message/index.js";

export interface TlsLoadOptions {
  readonly port: number;
  readonly caFile: string;
  readonly connections: number;
  /** Users `first`..`first + users - 1`, each with password `pw<user>`. */
  readonly first: number;
  readonly users: number;
  readonly rate: number;
  readonly seconds: number;
  readonly timeoutMs?: number;
  /** `tcp` runs the same load without TLS, to see what TLS itself costs. */
  readonly protocol?: "tls" | "tcp";
}

export interface TlsLoadResult {
  ok: number;
  failed: number;
  behind: number;
  elapsedSeconds: number;
  latenciesMs: number[];
  /** Why registrations failed: a final status other than 200, or `timeout`. */
  failures: Record<string, number>;
}

interface Phone {
  readonly user: number;
  readonly socket: Socket;
  readonly protocol: string;
  readonly callId: string;
  cseq: number;
  busy: boolean;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

function register(phone: Phone, port: number, authorization?: string): string {
  phone.cseq++;
  const lines = [
    "REGISTER sip:127.0.0.1 SIP/2.0",
    `Via: SIP/2.0/${phone.protocol.toUpperCase()} 127.0.0.1:${phone.socket.localPort};rport;branch=z9hG4bK${phone.user}-${phone.cseq}`,
    "Max-Forwards: 70",
    `From: <sip:${phone.user}@127.0.0.1>;tag=${phone.user}`,
    `To: <sip:${phone.user}@127.0.0.1>`,
    `Call-ID: ${phone.callId}`,
    `CSeq: ${phone.cseq} REGISTER`,
    `Contact: <sip:${phone.user}@127.0.0.1:${phone.socket.localPort};transport=${phone.protocol}>`,
    "Expires: 3600",
    ...(authorization ? [`Authorization: ${authorization}`] : []),
    "Content-Length: 0",
  ];
  void port;
  return lines.join("\r\n") + "\r\n\r\n";
}

export async function runTlsRegisterLoad(o: TlsLoadOptions): Promise<TlsLoadResult> {
  const ca = readFileSync(o.caFile);
  const timeoutMs = o.timeoutMs ?? 5000;
  const result: TlsLoadResult = { ok: 0, failed: 0, behind: 0, elapsedSeconds: 0, latenciesMs: [], failures: {} };
  const phones: Phone[] = [];
  const byCallId = new Map<string, Phone>();
  const protocol = o.protocol ?? "tls";
  const sockets = await Promise.all(Array.from({ length: o.connections }, () => new Promise<Socket>((resolve, reject) => {
    const socket: Socket = protocol === "tls" ? connect({ host: "127.0.0.1", port: o.port, ca }, () => resolve(socket)) : netConnect({ host: "127.0.0.1", port: o.port }, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once("error", reject);
  })));
  const finish = (phone: Phone, outcome: number | "timeout") => {
    clearTimeout(phone.timer);
    phone.busy = false;
    if (outcome === 200) {
      result.ok++;
      result.latenciesMs.push(performance.now() - phone.startedAt);
    } else {
      result.failed++;
      result.failures[String(outcome)] = (result.failures[String(outcome)] ?? 0) + 1;
    }
  };
  for (const socket of sockets) {
    socket.on("error", () => undefined);
    const framer = new StreamFramer();
    socket.on("data", (chunk: Buffer) => {
      for (const item of framer.push(chunk)) {
        if (item instanceof SipParseError || item.isRequest) continue;
        const response = item as SipResponse;
        const phone = byCallId.get(response.get("Call-ID") ?? "");
        if (!phone || !phone.busy) continue;
        if (response.status === 401) {
          const challenge = parseChallenge(response.get("WWW-Authenticate") ?? "");
          const credentials = answerChallenge(challenge, { username: String(phone.user), secret: { password: `pw${phone.user}` }, method: "REGISTER", uri: "sip:127.0.0.1", cnonce: `c${phone.cseq}`, nc: 1 });
          socket.write(register(phone, o.port, formatCredentials(credentials)));
        } else if (response.status >= 200) finish(phone, response.status);
      }
    });
  }
  for (let i = 0; i < o.users; i++) {
    const socket = sockets[i % sockets.length];
    const phone: Phone = { user: o.first + i, socket, protocol, callId: `tls-bench-${o.first + i}`, cseq: 0, busy: false, startedAt: 0 };
    phones.push(phone);
    byCallId.set(phone.callId, phone);
  }
  const started = performance.now();
  let offered = 0;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      if (elapsed >= o.seconds) {
        clearInterval(tick);
        resolve();
        return;
      }
      const due = Math.floor(elapsed * o.rate) - offered;
      for (let n = 0; n < due; n++) {
        offered++;
        let phone: Phone | undefined;
        for (let k = 0; k < phones.length && phone === undefined; k++) {
          const candidate = phones[(next + k) % phones.length];
          if (!candidate.busy) phone = candidate;
        }
        next = (next + 1) % phones.length;
        if (phone === undefined) {
          result.behind++;
          continue;
        }
        const p = phone;
        p.busy = true;
        p.startedAt = performance.now();
        p.timer = setTimeout(() => finish(p, "timeout"), timeoutMs);
        p.socket.write(register(p, o.port));
      }
    }, 5);
  });
  // Let what is in flight finish.
  const drainUntil = performance.now() + timeoutMs + 500;
  while (phones.some((p) => p.busy) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  result.elapsedSeconds = (performance.now() - started) / 1000;
  for (const s of sockets) s.destroy();
  return result;
}
