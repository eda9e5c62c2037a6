/**
 * A SIP dialog (RFC 3261 §12) as one call leg sees it: the identifiers, the remote
 * target and route set, our CSeq, and where in-dialog requests go. The inbound leg
 * builds it from the INVITE it answers, the outbound leg from the 2xx it receives.
 */
import { SipRequest, formatUri, parseUri, uriTransport, type SipResponse } from "../message/index.js";
import type { Destination, Source, TransportProtocol } from "../transport/index.js";

export interface DialogInit {
  readonly callId: string;
  /** Our side's name-addr with its tag (From when we called, To when we answered). */
  readonly local: string;
  /** The other side's name-addr with its tag. */
  readonly remote: string;
  /** The remote Contact URI: the Request-URI of in-dialog requests. */
  readonly remoteTarget: string;
  readonly routeSet: readonly string[];
  readonly localCseq: number;
  /** Where requests go: the address the other side's requests came from (symmetric, as behind NAT). */
  readonly destination: Destination;
  /** Our Contact header value. */
  readonly contact: string;
  readonly userAgent: string;
}

export class Dialog {
  private cseq: number;

  constructor(readonly init: DialogInit) {
    this.cseq = init.localCseq;
  }

  get callId(): string { return this.init.callId; }
  get destination(): Destination { return this.init.destination; }

  /** A new in-dialog request (BYE, INFO, re-INVITE); ACK reuses the INVITE's CSeq number. */
  request(method: string, options: { cseq?: number; body?: Buffer; contentType?: string } = {}): SipRequest {
    const r = new SipRequest(method, this.init.remoteTarget);
    r.set("From", this.init.local);
    r.set("To", this.init.remote);
    r.set("Call-ID", this.init.callId);
    r.set("CSeq", `${options.cseq ?? ++this.cseq} ${method}`);
    for (const route of this.init.routeSet) r.add("Route", route);
    r.set("Max-Forwards", "70");
    if (method !== "ACK" && method !== "BYE") r.set("Contact", this.init.contact);
    r.set("User-Agent", this.init.userAgent);
    if (options.body?.length) {
      r.set("Content-Type", options.contentType ?? "application/sdp");
      r.body = options.body;
    }
    return r;
  }
}

/** Where to send to the sender of a request: its source address, on its transport. */
export function destinationOf(source: Source): Destination {
  return { host: source.host, port: source.port, protocol: source.protocol as TransportProtocol };
}

/** The Contact URI of a request or response, or `fallback` when it has none usable. */
export function contactUri(message: SipRequest | SipResponse, fallback: string): string {
  try {
    const contacts = message.contacts();
    if (contacts !== "*" && contacts.length) return formatUri(contacts[0].uri);
  } catch { /* malformed Contact: use the fallback */ }
  return fallback;
}

/** Destination for a SIP URI: its host, port and transport parameter. */
export function destinationOfUri(uri: string): Destination {
  const u = parseUri(uri.replace(/^<|>$/g, ""));
  const protocol = uriTransport(u) as TransportProtocol | undefined;
  return { host: u.host, ...(u.port !== undefined ? { port: u.port } : {}), ...(protocol ? { protocol } : {}) };
}
