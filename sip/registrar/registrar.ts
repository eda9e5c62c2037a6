/**
 * The registrar (res_pjsip_registrar): answers REGISTER for the AORs of identified,
 * authenticated endpoints. Bindings are contact actors; this service decides what a
 * REGISTER does (bindings.ts), feeds the contacts their inputs, and answers once the
 * resulting events are durable, listing every current binding as Asterisk does.
 */
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { randomHex, type Random } from "../../core/random.js";
import type { ActorRuntime, Transition } from "../../actors/runtime.js";
import { contactId, type RegisterInput } from "../../actors/contact/machine.js";
import type { ContactContext } from "../../events/catalogue/contact.js";
import type { Aor, Endpoint, PjsipModel } from "../config/model.js";
import { aclAllows } from "../config/acl.js";
import { contactsOfAor } from "../config/model.js";
import { buildResponse, formatUri, type SipRequest, type SipResponse } from "../message/index.js";
import { authenticate } from "../endpoint/authenticate.js";
import { identifyEndpoint } from "../endpoint/identify.js";
import { artificialChallenge, type AuthContext } from "../endpoint/authenticate.js";
import type { AuthSecurity } from "../endpoint/security.js";
import { decideBindings, type Binding, type RequestedContact } from "./bindings.js";

export interface Source { readonly protocol: string; readonly host: string; readonly port: number }

export interface RegistrarDeps {
  readonly model: () => PjsipModel;
  readonly runtime: ActorRuntime;
  readonly clock: Clock;
  readonly random: Random;
  readonly nonceSecret: string;
  readonly logger: Logger;
  readonly security: AuthSecurity;
}

/** A live (registered) or static (aor `contact=`) contact of an AOR. */
export interface ContactInfo {
  readonly id: string;
  readonly aor: string;
  readonly uri: string;
  readonly static: boolean;
  readonly context?: ContactContext;
}

const SOURCE = "res_pjsip_registrar.c";

export class Registrar {
  /** AOR name → ids of contact actors; ids of contacts that have ended are dropped lazily. */
  private readonly byAor = new Map<string, Set<string>>();
  private readonly addedListeners: ((contact: ContactInfo) => void)[] = [];

  constructor(private readonly deps: RegistrarDeps) {
    for (const id of deps.runtime.ids("contact")) this.index(id);
  }

  private index(id: string): void {
    const ctx = this.deps.runtime.state(id)?.context as ContactContext | undefined;
    if (!ctx) return;
    const set = this.byAor.get(ctx.aor) ?? new Set<string>();
    set.add(id);
    this.byAor.set(ctx.aor, set);
  }

  /** Called once a new binding is durable (qualify pings it right away, as Asterisk does). */
  onContactAdded(listener: (contact: ContactInfo) => void): void {
    this.addedListeners.push(listener);
  }

  /** The registered contacts of an AOR, oldest registration first. */
  bindings(aor: string): { id: string; context: ContactContext }[] {
    const ids = this.byAor.get(aor);
    if (!ids) return [];
    const out: { id: string; context: ContactContext }[] = [];
    for (const id of ids) {
      const state = this.deps.runtime.state(id);
      if (!state) { ids.delete(id); continue; }
      out.push({ id, context: state.context as ContactContext });
    }
    return out.sort((a, b) => a.context.registeredAt - b.context.registeredAt || a.id.localeCompare(b.id));
  }

  /** Static contacts first (as configured), then registered ones. */
  contacts(aor: string): ContactInfo[] {
    const model = this.deps.model();
    return [
      ...contactsOfAor(model, aor).map((c) => ({ id: c.id, aor, uri: c.uri, static: true })),
      ...this.bindings(aor).map((b) => ({ id: b.id, aor, uri: b.context.uri, static: false, context: b.context })),
    ];
  }

  /** PJSIP_DIAL_CONTACTS(endpoint[,aor[,request_user]]): `PJSIP/ep/uri&PJSIP/ep/uri...`. */
  dialContacts(endpointName: string, aorName?: string, requestUser?: string): string {
    const endpoint = this.deps.model().endpoints.get(endpointName);
    if (!endpoint) return "";
    const aors = aorName ? aorName.split(",").map((a) => a.trim()).filter(Boolean) : endpoint.aors;
    const targets: string[] = [];
    for (const aor of aors) {
      for (const c of this.contacts(aor)) {
        if (c.context?.qualifyStatus === "Unavail") continue;
        const uri = requestUser ? c.uri.replace(/^(sips?:)(?:[^@]*@)?/i, `$1${requestUser}@`) : c.uri;
        targets.push(`PJSIP/${endpointName}/${uri}`);
      }
    }
    return targets.join("&");
  }

  private authContext(): AuthContext {
    const { random, clock } = this.deps;
    return { model: this.deps.model(), nonceSecret: this.deps.nonceSecret, now: clock.now(), salt: () => randomHex(random, 8) };
  }

  /** Handle one REGISTER; `respond` is called exactly once (unless the source is being ignored). */
  handle(req: SipRequest, source: Source, respond: (response: SipResponse) => void): void {
    const { clock, security, logger } = this.deps;
    const now = clock.now();
    if (security.blocked(source.host, now)) return;
    const model = this.deps.model();
    const auth = this.authContext();
    const identified = identifyEndpoint(model, req, source);
    if (!identified) {
      if (req.has("Authorization")) security.failed(req, source.host, source.port, "No matching endpoint found", now);
      respond(buildResponse(req, 401, { headers: artificialChallenge(auth).map((v) => ["WWW-Authenticate", v] as [string, string]) }));
      return;
    }
    const endpoint = identified.endpoint;
    if ((endpoint.acl.rules.length || endpoint.acl.named.length) && !aclAllows(endpoint.acl, model.namedAcls, source.host)) {
      security.failed(req, source.host, source.port, "Not match Endpoint ACL", now);
      respond(buildResponse(req, 403));
      return;
    }
    const outcome = authenticate(auth, endpoint, req);
    if (!outcome.ok) {
      if (outcome.failure === "wrong-password" || outcome.failure === "unknown-user" || outcome.failure === "malformed") {
        security.failed(req, source.host, source.port, "Failed to authenticate", now);
      }
      respond(buildResponse(req, 401, { headers: outcome.challenges.map((v) => ["WWW-Authenticate", v] as [string, string]) }));
      return;
    }
    const aor = this.findAor(model, endpoint, req);
    if (!aor) {
      logger.log("WARNING", SOURCE, `AOR '${safeToUser(req)}' not found for endpoint '${endpoint.name}' (${source.host}:${source.port})`);
      respond(buildResponse(req, 404));
      return;
    }
    this.register(req, source, endpoint, aor, respond);
  }

  private findAor(model: PjsipModel, endpoint: Endpoint, req: SipRequest): Aor | undefined {
    const user = safeToUser(req);
    let host = "";
    try { host = req.to.uri.host; } catch { /* no host: user alone */ }
    for (const name of endpoint.aors) {
      if (name === user || name === `${user}@${host}`) return model.aors.get(name);
    }
    return undefined;
  }

  private register(req: SipRequest, source: Source, endpoint: Endpoint, aor: Aor, respond: (r: SipResponse) => void): void {
    const { runtime, clock, logger } = this.deps;
    const now = clock.now();
    let requested: readonly RequestedContact[] | "*";
    try {
      const contacts = req.contacts();
      requested = contacts === "*" ? "*" : contacts.map((c) => {
        const e = c.params.get("expires");
        const expires = e === undefined || e === null ? undefined : Number(e);
        const uri = formatUri(c.uri);
        return expires === undefined || Number.isNaN(expires) ? { uri } : { uri, expires: Math.max(0, Math.floor(expires)) };
      });
    } catch {
      respond(buildResponse(req, 400));
      return;
    }
    const existing: Binding[] = this.bindings(aor.name).map(({ id, context }) => ({
      id, uri: context.uri, callId: context.callId, cseq: context.cseq, expiresAt: context.expiresAt, registeredAt: context.registeredAt,
    }));
    const decision = decideBindings(
      {
        name: aor.name, maxContacts: aor.max_contacts, removeExisting: aor.remove_existing,
        minimumExpiration: aor.minimum_expiration, maximumExpiration: aor.maximum_expiration, defaultExpiration: aor.default_expiration,
      },
      existing,
      { contacts: requested, callId: req.callId, cseq: req.cseq.seq, ...(req.expires !== undefined ? { expires: req.expires } : {}) },
      now,
    );
    if (!decision.ok) {
      if (decision.exceedsMaxContacts) {
        logger.log("WARNING", SOURCE, `Registration attempt from endpoint '${endpoint.name}' (${source.host}:${source.port}) to AOR '${aor.name}' will exceed max contacts of ${aor.max_contacts}`);
      }
      const headers: [string, string][] = decision.minExpires !== undefined ? [["Min-Expires", String(decision.minExpires)]] : [];
      respond(buildResponse(req, decision.status, { reason: decision.reason, headers }));
      return;
    }
    const transitions: Transition[] = [];
    const added: string[] = [];
    const base = {
      source: "sip" as const, type: "register" as const, aor: aor.name, callId: req.callId, cseq: req.cseq.seq,
      userAgent: req.get("User-Agent") ?? "", received: `${source.protocol}:${source.host}:${source.port}`, endpoint: endpoint.name,
    };
    for (const change of decision.changes) {
      if (change.op === "add") {
        const id = contactId(aor.name, change.uri);
        const input: RegisterInput = { ...base, uri: change.uri, expires: change.expires };
        transitions.push(runtime.spawn("contact", id, input));
        this.index(id);
        added.push(id);
        logger.log("VERBOSE", SOURCE, `Added contact '${change.uri}' to AOR '${aor.name}' with expiration of ${change.expires} seconds`);
      } else if (change.op === "refresh") {
        const t = runtime.send(change.id, { ...base, uri: change.uri, expires: change.expires });
        if (t) transitions.push(t);
      } else {
        const t = change.reason === "unregistered"
          ? runtime.send(change.id, { source: "sip", type: "unregister" })
          : runtime.send(change.id, { source: "sip", type: "remove", reason: "replaced" });
        if (t) transitions.push(t);
        logger.log("VERBOSE", SOURCE, `Removed contact '${change.uri}' from AOR '${aor.name}' due to ${change.reason === "replaced" ? "remove existing" : "request"}`);
      }
    }
    Promise.all(transitions.map((t) => t.durable)).then(
      () => {
        respond(this.okResponse(req, aor.name));
        for (const c of this.contacts(aor.name)) if (added.includes(c.id)) for (const l of this.addedListeners) l(c);
      },
      () => respond(buildResponse(req, 500, { reason: "Server Internal Error" })),
    );
  }

  /** 200 OK listing every current binding with the seconds it has left. */
  private okResponse(req: SipRequest, aor: string): SipResponse {
    const now = this.deps.clock.now();
    const headers: [string, string][] = [];
    for (const c of this.contacts(aor)) {
      if (c.static || !c.context) continue;
      const left = Math.max(0, Math.ceil((c.context.expiresAt - now) / 1e6));
      headers.push(["Contact", `<${c.uri}>;expires=${left}`]);
    }
    headers.push(["Date", new Date(Math.floor(now / 1000)).toUTCString()]);
    return buildResponse(req, 200, { headers });
  }
}

function safeToUser(req: SipRequest): string {
  try { return req.to.uri.user ?? ""; } catch { return ""; }
}
