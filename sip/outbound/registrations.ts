/**
 * The SIP side of outbound registrations: one actor per `type=registration`, whose
 * `register.send` outputs become REGISTER client transactions here. A first 401/407
 * is answered with the `outbound_auth` credentials when the actor asks for it; every
 * outcome goes back to the actor as a `response` or `timeout` input.
 */
import type { Logger } from "../../core/logger.js";
import { randomHex, type Random } from "../../core/random.js";
import type { ActorRuntime } from "../../actors/runtime.js";
import { outboundRegistrationId, type StartInput } from "../../actors/outbound-registration/machine.js";
import type { OutboundRegistrationContext } from "../../events/catalogue/outbound-registration.js";
import type { Output } from "../../events/record.js";
import type { PjsipModel, Registration } from "../config/model.js";
import { answerChallenge, chooseChallenge, formatCredentials, parseChallenge, type DigestChallenge } from "../auth/index.js";
import { SipRequest, parseUri, parseNameAddr, uriTransport, type SipResponse } from "../message/index.js";
import type { TransactionLayer } from "../transaction/index.js";
import type { Destination, TransportProtocol } from "../transport/index.js";

const LOG_SOURCE = "res_pjsip_outbound_registration.c";
const ALLOW = "OPTIONS, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER, REGISTER";

export interface OutboundDeps {
  readonly runtime: ActorRuntime;
  readonly transactions: TransactionLayer;
  readonly model: () => PjsipModel;
  readonly random: Random;
  readonly logger: Logger;
  readonly userAgent: string;
}

function startInput(r: Registration, model: PjsipModel): StartInput {
  return {
    source: "config", type: "start", name: r.name, serverUri: r.server_uri, clientUri: r.client_uri,
    contactUser: r.contact_user || "s", expiration: r.expiration, retryInterval: r.retry_interval,
    forbiddenRetryInterval: r.forbidden_retry_interval, fatalRetryInterval: r.fatal_retry_interval, maxRetries: r.max_retries,
    authRejectionPermanent: r.auth_rejection_permanent, hasAuth: r.outbound_auth.some((a) => model.auths.has(a)),
    maxRandomInitialDelay: r.max_random_initial_delay,
  };
}

export class OutboundRegistrations {
  /** The last challenge each registration received, to answer on the next attempt. */
  private readonly challenges = new Map<string, { challenge: DigestChallenge; nc: number; header: "Authorization" | "Proxy-Authorization" }>();

  constructor(private readonly deps: OutboundDeps) {
    deps.runtime.onOutput("register.send", (id, o) => this.send(id, o));
  }

  private name(id: string): string { return id.slice("outbound-registration:".length); }

  /**
   * Bring the actors in line with the configuration: start new registrations, stop
   * removed ones. A registration recovered with a REGISTER in flight has lost its
   * transaction in the restart: it is told so (a timeout), and retries as configured.
   */
  sync(): void {
    const { runtime } = this.deps;
    const model = this.deps.model();
    for (const r of model.registrations.values()) {
      const id = outboundRegistrationId(r.name);
      const state = runtime.state(id);
      if (!state) runtime.spawn("outbound-registration", id, startInput(r, model));
      else {
        const ctx = state.context as OutboundRegistrationContext;
        if (ctx.pending !== "none") runtime.send(id, { source: "sip", type: "timeout", cseq: ctx.cseq });
      }
    }
    for (const id of runtime.ids("outbound-registration")) {
      if (!model.registrations.has(this.name(id))) runtime.send(id, { source: "config", type: "stop" });
    }
  }

  /**
   * `line = yes`: the endpoint of the registration whose Contact carried this `line`
   * token, for an INVITE from the provider that sends it back in the Request-URI.
   */
  endpointForLine(token: string): string | undefined {
    for (const r of this.deps.model().registrations.values()) {
      if (!r.line || !r.endpoint) continue;
      const state = this.deps.runtime.state(outboundRegistrationId(r.name));
      if (state && lineToken(state.context as OutboundRegistrationContext) === token) return r.endpoint;
    }
    return undefined;
  }

  /** `pjsip send register NAME` / `pjsip send unregister NAME`. */
  command(name: string, what: "register" | "unregister"): boolean {
    return this.deps.runtime.send(outboundRegistrationId(name), { source: "cli", type: what }) !== undefined;
  }

  private destination(r: Registration): Destination {
    const target = parseUri(r.outbound_proxy ? r.outbound_proxy.replace(/^<|>$/g, "") : r.server_uri);
    const protocol = uriTransport(target) as TransportProtocol | undefined;
    return {
      host: target.host,
      ...(target.port !== undefined ? { port: target.port } : {}),
      ...(protocol ? { protocol } : {}),
      ...(r.transport ? { transport: r.transport } : {}),
    };
  }

  private send(id: string, o: Output): void {
    const { runtime, transactions, logger } = this.deps;
    const name = this.name(id);
    const model = this.deps.model();
    const r = model.registrations.get(name);
    const state = runtime.state(id);
    if (!r || !state) return;
    const ctx = state.context as OutboundRegistrationContext;
    const cseq = o.cseq as number;
    const expires = o.expires as number;
    const fail = () => runtime.send(id, { source: "sip", type: "timeout", cseq });
    let destination: Destination;
    let request: SipRequest;
    try {
      destination = this.destination(r);
      const route = transactions.transports.route(destination);
      const host = route.sentBy.host.includes(":") ? `[${route.sentBy.host}]` : route.sentBy.host;
      const transportParam = route.transport.protocol === "udp" ? "" : `;transport=${route.transport.protocol}`;
      request = new SipRequest("REGISTER", r.server_uri);
      request.set("From", `<${r.client_uri}>;tag=${ctx.fromTag}`);
      request.set("To", `<${r.client_uri}>`);
      request.set("Call-ID", ctx.callId);
      request.set("CSeq", `${cseq} REGISTER`);
      const line = r.line ? `;line=${lineToken(ctx)}` : "";
      request.set("Contact", `<sip:${ctx.contactUser}@${host}:${route.sentBy.port}${transportParam}${line}>`);
      request.set("Expires", String(expires));
      request.set("Allow", ALLOW);
      request.set("User-Agent", r.user_agent || this.deps.userAgent);
      if (r.outbound_proxy) request.set("Route", `<${r.outbound_proxy.replace(/^<|>$/g, "")};lr>`);
      if (o.authorize) this.authorize(name, r, model, request);
    } catch (e) {
      logger.log("WARNING", LOG_SOURCE, `Could not send REGISTER for '${name}': ${(e as Error).message}`);
      fail();
      return;
    }
    const authenticated = request.has("Authorization") || request.has("Proxy-Authorization");
    try {
      transactions.sendRequest(request, destination, {
        onFinal: (response) => this.final(id, name, cseq, expires, authenticated, response),
        onTimeout: fail,
        onTransportError: fail,
      });
    } catch (e) {
      logger.log("WARNING", LOG_SOURCE, `Could not send REGISTER for '${name}': ${(e as Error).message}`);
      fail();
    }
  }

  private authorize(name: string, r: Registration, model: PjsipModel, request: SipRequest): void {
    const last = this.challenges.get(name);
    if (!last) {
      this.deps.logger.log("WARNING", LOG_SOURCE, `No challenge to answer for outbound registration '${name}'`);
      return;
    }
    const auth = r.outbound_auth.map((a) => model.auths.get(a)).find((a) => a && (!a.realm || a.realm === last.challenge.realm)) ?? model.auths.get(r.outbound_auth[0]);
    if (!auth) return;
    last.nc++;
    const digest = auth.password_digest[0];
    const creds = answerChallenge(last.challenge, {
      username: auth.username,
      secret: auth.password || !digest ? { password: auth.password } : { ha1: digest.digest, algorithm: digest.algorithm },
      method: "REGISTER", uri: r.server_uri, cnonce: randomHex(this.deps.random, 8), nc: last.nc,
    });
    request.set(last.header, formatCredentials(creds));
  }

  private final(id: string, name: string, cseq: number, requested: number, authenticated: boolean, response: SipResponse): void {
    const status = response.status;
    if (status === 401 || status === 407) {
      const key = status === 401 ? "www-authenticate" : "proxy-authenticate";
      const offered: DigestChallenge[] = [];
      for (const f of response.headerFields) {
        if (f.key !== key) continue;
        try { offered.push(parseChallenge(f.value)); } catch { /* skip a bad one */ }
      }
      const challenge = chooseChallenge(offered);
      if (challenge) this.challenges.set(name, { challenge, nc: 0, header: status === 401 ? "Authorization" : "Proxy-Authorization" });
    }
    let expires: number | undefined;
    if (status >= 200 && status < 300) expires = grantedExpires(response, requested);
    const retryAfter = response.integer("Retry-After");
    this.deps.runtime.send(id, {
      source: "sip", type: "response", cseq, status, authenticated,
      ...(expires !== undefined ? { expires } : {}),
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    });
  }
}

/** A registration's `line` token: random (drawn with its Call-ID, so in the log) and stable for its life. */
const lineToken = (ctx: OutboundRegistrationContext) => ctx.callId.replace(/[^a-z0-9]/gi, "").slice(0, 12).toLowerCase();

/** The expiration the registrar granted: our Contact's `expires`, else the Expires header, else what we asked. */
function grantedExpires(response: SipResponse, requested: number): number {
  for (const value of response.getAll("Contact")) {
    try {
      const c = parseNameAddr(value);
      const e = c.params.get("expires");
      if (e) return Number(e);
    } catch { /* ignore a bad Contact */ }
  }
  return response.expires ?? requested;
}
