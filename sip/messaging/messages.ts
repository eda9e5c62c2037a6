/**
 * SIP MESSAGE (RFC 3428), as res_pjsip_messaging takes it: a MESSAGE from an
 * identified, authenticated endpoint, in a dialog or not, goes into the dialplan at
 * the endpoint's `message_context` (else its `context`) at the Request-URI's user;
 * it is answered 202 Accepted once the extension is found (404 when not, 415 for a
 * body that is not text). Each message is a message actor; MessageSend() in its
 * dialplan sends a MESSAGE out of dialog to an endpoint's contact or a SIP URI.
 *
 * As Asterisk's message core, other handlers may want a message too (ARI's, for an
 * application subscribed to the *sending* endpoint): each that wants it gets it, the
 * dialplan included, and the message is 404 only when none does. What they get comes
 * from the message actor's spawn record (with the variables Asterisk sets: PJSIP_RECVADDR,
 * PJSIP_TRANSPORT and one per header), so it replays.
 */
import type { ActorRuntime } from "../../actors/runtime.js";
import type { MessageSendOutput } from "../../actors/message/machine.js";
import { randomHex } from "../../core/random.js";
import type { DialplanChannel } from "../../calls/channel-api.js";
import type { SendTarget } from "../../dialplan/message-functions.js";
import { admitRequest } from "../endpoint/admit.js";
import { SipRequest, formatHost } from "../message/index.js";
import type { Registrar } from "../registrar/registrar.js";
import type { ServerTransaction } from "../transaction/index.js";
import type { Destination, TransportProtocol } from "../transport/index.js";
import { destinationOfUri } from "../call/dialog.js";
import { MessageChannel } from "./message-channel.js";
import type { SipServices } from "../services.js";

export interface MessagesDeps extends SipServices {
  readonly runtime: ActorRuntime;
  readonly registrar: Registrar;
  /** Whether `exten` exists in `context`, and running the dialplan there on a message's channel. */
  readonly exists: (context: string, exten: string) => boolean;
  readonly run: (channel: DialplanChannel, start: { context: string; exten: string; priority: number }) => Promise<void>;
}

/** Messages in the dialplan at once: beyond it a MESSAGE gets 503 (a flood costs bounded memory). */
const MAX_ROUTING = 1_000;

export class Messages {
  private routing = 0;
  /** Other handlers (ARI's): whether one wants a message from this endpoint. */
  private readonly others: ((endpoint: string) => boolean)[] = [];
  /** Messages received and sent since start. */
  received = 0;
  sent = 0;

  constructor(private readonly deps: MessagesDeps) {
    deps.runtime.onOutput("message.send", (_id, o) => this.send(o as unknown as MessageSendOutput));
  }

  /** Adds a handler that may want messages besides the dialplan (it reads them from the log). */
  addHandler(wants: (endpoint: string) => boolean): void { this.others.push(wants); }

  handle(tx: ServerTransaction): boolean {
    if (tx.request.method !== "MESSAGE") return false;
    this.receive(tx);
    return true;
  }

  private receive(tx: ServerTransaction): void {
    const { clock, logger, runtime } = this.deps;
    const req = tx.request, now = clock.now();
    const endpoint = admitRequest(tx, this.deps, now);
    if (!endpoint) return;
    const type = (req.contentType ?? "text/plain").split(";")[0].trim().toLowerCase();
    if (req.body.length && !type.startsWith("text/")) { tx.respond(415, { headers: [["Accept", "text/plain"]] }); return; }
    let exten = "s";
    try { exten = req.requestUri.user ? decodeURIComponent(req.requestUri.user) : "s"; } catch { exten = req.requestUri.user ?? "s"; }
    const context = endpoint.message_context || endpoint.context;
    const inDialplan = this.deps.exists(context, exten);
    const elsewhere = this.others.some((wants) => wants(endpoint.name));
    if (!inDialplan && !elsewhere) {
      logger.log("WARNING", "res_pjsip_messaging.c", `MESSAGE from ${endpoint.name} to extension '${exten}' rejected: not found in context '${context}'`);
      tx.respond(404);
      return;
    }
    if (this.routing >= MAX_ROUTING) { tx.respond(503, { headers: [["Retry-After", "5"]] }); return; }
    tx.respond(202);
    this.received++;
    const uniqueid = `${Math.floor(now / 1e6)}.msg${randomHex(this.deps.random, 4)}${this.received}`;
    const untagged = (v: string | undefined) => (v ?? "").replace(/;\s*tag=[^;]*/i, "").trim();
    runtime.spawn("message", `message:${uniqueid}`, {
      source: "sip", type: "receive", uniqueid, endpoint: endpoint.name, from: untagged(req.get("From")), to: untagged(req.get("To")),
      body: req.body.toString("utf8"), contentType: req.contentType ?? "text/plain", context, exten,
      ...(elsewhere ? { variables: messageVariables(tx) } : {}),
    });
    const channel = new MessageChannel(uniqueid, { runtime, clock, logger, resolve: (to) => this.resolve(to) });
    if (!inDialplan) { channel.end(); return; }
    this.routing++;
    this.deps.run(channel, { context, exten, priority: 1 })
      .catch((e) => logger.log("ERROR", "message.c", `Dialplan of message ${uniqueid} failed: ${(e as Error).message}`))
      .finally(() => { this.routing--; channel.end(); });
  }

  /**
   * MessageSend's `to`: `pjsip:<endpoint>` (its first reachable contact),
   * `pjsip:<endpoint>/<sip uri>`, or `pjsip:<sip uri>`. Asterisk's other technologies
   * (xmpp:, sip: of chan_sip) are INVALID_PROTOCOL here.
   */
  private resolve(to: string): SendTarget | { status: string } {
    const m = /^([a-z0-9]+):(.*)$/i.exec(to.trim());
    if (!m || m[1].toLowerCase() !== "pjsip") return { status: "INVALID_PROTOCOL" };
    let rest = m[2];
    let uri: string | undefined, destination: Destination | undefined;
    const slash = rest.indexOf("/");
    if (slash > 0) { uri = rest.slice(slash + 1); rest = rest.slice(0, slash); }
    else if (/^sips?:/i.test(rest)) { uri = rest; rest = ""; }
    if (rest) {
      const name = rest.split("@")[0];
      const endpoint = this.deps.model().endpoints.get(name);
      if (!endpoint) return { status: "INVALID_URI" };
      if (!uri) {
        const contact = endpoint.aors.flatMap((aor) => this.deps.registrar.contacts(aor)).find((c) => c.context?.qualifyStatus !== "Unavail");
        if (!contact) {
          this.deps.logger.log("WARNING", "res_pjsip_messaging.c", `Could not find a contact for endpoint '${name}' to send a MESSAGE to`);
          return { status: "FAILURE" };
        }
        uri = contact.uri;
        const received = contact.context?.received;
        if (received) {
          const [protocol, ...hostPort] = received.split(":");
          const port = Number(hostPort.pop());
          destination = { protocol: protocol as TransportProtocol, host: hostPort.join(":"), port };
        }
      }
    }
    if (!uri) return { status: "INVALID_URI" };
    try {
      destination ??= destinationOfUri(uri);
    } catch {
      return { status: "INVALID_URI" };
    }
    return { uri: uri.replace(/^<|>$/g, ""), destination: `${destination.protocol ?? "udp"}:${destination.host}:${destination.port ?? 5060}` };
  }

  private send(o: MessageSendOutput): void {
    const r = new SipRequest("MESSAGE", o.uri);
    const first = o.destination.indexOf(":"), last = o.destination.lastIndexOf(":");
    const destination: Destination = { protocol: o.destination.slice(0, first) as TransportProtocol, host: o.destination.slice(first + 1, last), port: Number(o.destination.slice(last + 1)) };
    const route = this.deps.transactions.transports.route(destination);
    const from = /[<:]/.test(o.from) ? o.from : `<sip:${o.from || "asterisk"}@${formatHost(route.sentBy.host)}>`;
    r.set("From", `${from.includes("<") ? from : `<${from}>`};tag=${this.deps.transactions.newTag()}`);
    r.set("To", `<${o.uri.split(";")[0]}>`);
    r.set("Call-ID", `${randomHex(this.deps.random, 16)}@${formatHost(route.sentBy.host)}`);
    r.set("CSeq", "1 MESSAGE");
    r.set("Max-Forwards", "70");
    r.set("User-Agent", this.deps.userAgent);
    r.set("Content-Type", "text/plain");
    r.body = Buffer.from(o.body, "utf8");
    this.sent++;
    try {
      this.deps.transactions.sendRequest(r, destination, {
        onFinal: (res) => { if (res.status >= 300) this.deps.logger.log("WARNING", "res_pjsip_messaging.c", `MESSAGE to ${o.uri} answered ${res.status}`); },
      });
    } catch (e) {
      this.deps.logger.log("WARNING", "res_pjsip_messaging.c", `Could not send MESSAGE to ${o.uri}: ${(e as Error).message}`);
    }
  }
}

/** The variables Asterisk gives a received message: where it came from, over what, and each header by name. */
function messageVariables(tx: ServerTransaction): [string, string][] {
  const src = tx.source;
  const vars: [string, string][] = [
    ["PJSIP_RECVADDR", `${formatHost(src.host)}:${src.port}`],
    ["PJSIP_TRANSPORT", src.protocol],
  ];
  for (const f of tx.request.headerFields) vars.push([f.name, f.value]);
  return vars;
}
