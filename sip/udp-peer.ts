/**
 * A SIP peer for tests that must send exactly the bytes they mean: a UDP socket on
 * 127.0.0.1 that writes requests by hand, waits for what Recall sends back (responses,
 * and requests Recall starts, such as a BYE or a refreshing re-INVITE) and answers them.
 * Every wait has a time limit.
 */
import { createSocket, type Socket } from "node:dgram";

export interface Received { readonly text: string; readonly status: number; readonly method: string }

export class UdpPeer {
  private n = 0;
  private readonly inbox: Received[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly sock: Socket, readonly port: number, private readonly target: number) {
    sock.on("message", (msg) => {
      const text = msg.toString("latin1");
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
      const method = status ? "" : /^([^ ]+) /.exec(text)?.[1] ?? "";
      this.inbox.push({ text, status, method });
      for (const w of [...this.waiters]) w();
    });
  }

  /** A peer sending to Recall at 127.0.0.1:`target`. */
  static async open(target: number): Promise<UdpPeer> {
    const sock = createSocket("udp4");
    await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
    return new UdpPeer(sock, sock.address().port, target);
  }

  close(): void { this.sock.close(); }

  send(text: string): void { this.sock.send(text, this.target, "127.0.0.1"); }

  /** A request from this peer (fresh Call-ID, branch and tag unless given), with extra headers and a body. */
  request(method: string, o: { uri?: string; headers?: readonly string[]; body?: string; contentType?: string; callId?: string } = {}): { text: string; callId: string } {
    const id = o.callId ?? `peer-${++this.n}-${process.pid}-${this.port}`;
    const body = o.body ?? "";
    const lines = [
      `${method} ${o.uri ?? `sip:900@127.0.0.1:${this.target}`} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK-${id}-${this.n}-${method};rport`,
      "Max-Forwards: 70",
      `From: <sip:caller@127.0.0.1:${this.port}>;tag=t-${id}`,
      `To: <sip:900@127.0.0.1:${this.target}>`,
      `Call-ID: ${id}`,
      `CSeq: 1 ${method}`,
      `Contact: <sip:caller@127.0.0.1:${this.port}>`,
      ...(o.headers ?? []),
      ...(body ? [`Content-Type: ${o.contentType ?? "application/sdp"}`] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      "", body,
    ];
    return { text: lines.join("\r\n"), callId: id };
  }

  /** The next message (already received or to come) that `match` accepts; undefined after `ms`. */
  next(match: (m: Received) => boolean, ms = 3000): Promise<Received | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const i = this.inbox.findIndex(match);
        if (i === -1) return false;
        const [m] = this.inbox.splice(i, 1);
        cleanup();
        resolve(m);
        return true;
      };
      const timer = setTimeout(() => { cleanup(); resolve(undefined); }, ms);
      const cleanup = () => { clearTimeout(timer); this.waiters.delete(check); };
      this.waiters.add(check);
      check();
    });
  }

  /** Send a request and wait for its first final response (status 0 when none comes within `ms`). */
  async ask(text: string, callId: string, ms = 3000): Promise<Received> {
    this.send(text);
    return (await this.next((m) => m.status >= 200 && m.text.includes(`Call-ID: ${callId}`), ms)) ?? { text: "", status: 0, method: "" };
  }

  /** Answer a request Recall sent: the same Via, From, To (with `toTag` added when it has none), Call-ID and CSeq, with `status`. */
  respond(req: Received, status: number, reason: string, extra: readonly string[] = [], body = "", toTag?: string): void {
    const copy = ["Via", "From", "To", "Call-ID", "CSeq"].flatMap((h) => headerLines(req.text, h))
      .map((l) => (toTag !== undefined && /^to:/i.test(l) && !/;\s*tag=/i.test(l) ? `${l};tag=${toTag}` : l));
    this.send([`SIP/2.0 ${status} ${reason}`, ...copy, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, "", body].join("\r\n"));
  }
}

/** Every line of header `name` in a message, as written. */
export function headerLines(text: string, name: string): string[] {
  return text.split("\r\n").filter((l) => l.toLowerCase().startsWith(name.toLowerCase() + ":"));
}

/** The first value of header `name`, if any. */
export function headerValue(text: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(.*)$`, "mi").exec(text)?.[1];
}

/** An SDP offer of one audio stream (PCMU unless told), with the lines given replaced. */
export function offerSdp(o: { codec?: string; pt?: number; c?: string; media?: string } = {}): string {
  return [
    "v=0", "o=peer 1 1 IN IP4 127.0.0.1", "s=-", o.c ?? "c=IN IP4 127.0.0.1", "t=0 0",
    o.media ?? `m=audio 40000 RTP/AVP ${o.pt ?? 0}`, `a=rtpmap:${o.pt ?? 0} ${o.codec ?? "PCMU"}/8000`, "",
  ].join("\r\n");
}

/**
 * pjsip.conf of a UDP transport on 127.0.0.1:`port` and a `caller` endpoint identified by
 * 127.0.0.1 (so every UdpPeer is it) in `context`, with its own endpoint lines, then `more`.
 */
export function callerPjsip(port: number, context: string, endpoint = "allow = ulaw", more = ""): string {
  return `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}
[caller]
type = endpoint
context = ${context}
${endpoint}
[caller]
type = identify
endpoint = caller
match = 127.0.0.1
${more}`;
}
