/**
 * SUBSCRIBE and NOTIFY (RFC 6665) for the packages call-centre phones use, as
 * Asterisk's res_pjsip_pubsub, res_pjsip_exten_state and res_pjsip_mwi answer them:
 * `dialog` and `presence` on an extension with a hint, `message-summary` on an
 * endpoint's mailboxes.
 *
 * Contract:
 * - A new SUBSCRIBE is identified and authenticated as an INVITE is; an endpoint with
 *   `allow_subscribe = no` gets 603, an unknown or missing Event 489 (with Allow-Events),
 *   an Accept the package cannot write 489, an Expires under `sub_min_expiry` 423, an
 *   extension with no hint (in `subscribe_context`, else the endpoint's context) 404.
 * - An accepted one is 200 at once, then a subscription actor whose every NOTIFY is an
 *   output in the log: the first with the state now, one on each real change of the
 *   watched state, one on each refresh, a final `terminated` one on unsubscribe or
 *   expiry. A NOTIFY answered 481, 408 or not at all ends the subscription.
 * - Bounded: at most `maxSubscriptions` live (503 beyond); each source address may start
 *   `ratePerSecond` new subscriptions a second (burst `burst`); beyond that it gets 503
 *   with Retry-After and one fail2ban-readable NOTICE a second names it.
 */
import type { ActorRuntime } from "../../actors/runtime.js";
import { subscriptionId, type NotifyOutput, type SubscribeInput } from "../../actors/subscription/machine.js";
import type { ActorState, Output } from "../../events/record.js";
import type { SubscriptionContext } from "../../events/catalogue/subscription.js";
import { extensionStateName } from "../../calls/device-state.js";
import type { HintWatchers } from "../../calls/hint-watchers.js";
import { MailboxStates } from "../../calls/mailbox-state.js";
import type { Endpoint, PjsipModel } from "../config/model.js";
import { admitRequest } from "../endpoint/admit.js";
import { SipRequest, formatHost, formatUri } from "../message/index.js";
import type { ServerTransaction } from "../transaction/index.js";
import type { Destination, TransportProtocol } from "../transport/index.js";
import { contactUri } from "../call/dialog.js";
import { PACKAGES, dialogInfoBody, isPackage, messageSummaryBody, pidfBody, type Package } from "./bodies.js";
import type { SipServices } from "../services.js";

export interface SubscriptionLimits {
  readonly maxSubscriptions: number;
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** A source may be an SBC in front of a whole floor of phones: generous, but a storm stays bounded. */
export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = { maxSubscriptions: 100_000, ratePerSecond: 500, burst: 2_000 };

/** RFC 6665 leaves the default to the package; Asterisk's packages use an hour. */
const DEFAULT_EXPIRES = 3600;
const ALLOW_EVENTS = Object.keys(PACKAGES).join(", ");

export interface SubscriptionsDeps extends SipServices {
  readonly runtime: ActorRuntime;
  readonly watchers: HintWatchers;
  readonly mailboxes: MailboxStates;
  /** The devices of the hint of `exten` in `context` (the dialplan's, or a wizard's), undefined when there is none. */
  readonly hint: (context: string, exten: string) => readonly string[] | undefined;
  readonly limits?: SubscriptionLimits;
}

interface Bucket { tokens: number; at: number; noticedAt: number }

export class Subscriptions {
  /** How each live subscription stops watching its resource. */
  private readonly stops = new Map<string, () => void>();
  /** The devices each live subscription watches now. */
  private readonly watching = new Map<string, readonly string[]>();
  /** The last context of each live subscription (observed), for its NOTIFYs. */
  private readonly contexts = new Map<string, SubscriptionContext>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly limits: SubscriptionLimits;
  /** NOTIFYs sent since start, for `recall show subscriptions` and the benchmark. */
  notifies = 0;

  constructor(private readonly deps: SubscriptionsDeps) {
    this.limits = deps.limits ?? DEFAULT_SUBSCRIPTION_LIMITS;
    deps.runtime.observe("subscription", (id, state, outputs) => this.transition(id, state, outputs));
  }

  /** Watch again for the subscriptions recovered from the log (after a restart), and tell them the state now. */
  resume(): void {
    for (const id of this.deps.runtime.ids("subscription")) this.contexts.set(id, this.deps.runtime.state(id)!.context as SubscriptionContext);
    this.rehint(true);
  }

  /**
   * After a dialplan reload (or a restart): each extension subscription looks its hint
   * up again; one whose hint is gone ends (NOTIFY terminated;reason=noresource), one
   * whose devices changed watches the new ones; each is told its state if it changed.
   */
  rehint(all = false): void {
    for (const [id, c] of [...this.contexts]) {
      if (!this.deps.runtime.has(id)) continue;
      let devices: readonly string[] = c.devices;
      if (c.event !== "message-summary") {
        const at = c.resource.lastIndexOf("@");
        const found = this.deps.hint(c.resource.slice(at + 1), c.resource.slice(0, at));
        if (!found?.length) { this.deps.runtime.send(id, { source: "sip", type: "deactivate" }); continue; }
        devices = found;
      }
      const watching = this.watching.get(id);
      if (!all && watching && sameList(watching, devices)) continue;
      const now = this.watch(id, c.event, c.resource, devices);
      if (now !== c.state) this.deps.runtime.send(id, { source: "actor", type: "state", state: now });
    }
  }

  get count(): number { return this.stops.size; }

  /** SUBSCRIBE, new or in a dialog; false for other methods. */
  handle(tx: ServerTransaction): boolean {
    if (tx.request.method !== "SUBSCRIBE") return false;
    if (tx.request.toTag) this.inDialog(tx); else this.subscribe(tx);
    return true;
  }

  /** Live subscriptions, for the console: id, package, resource, endpoint, state, expiry. */
  list(): SubscriptionContext[] {
    return [...this.contexts.values()];
  }

  private subscribe(tx: ServerTransaction): void {
    const { security, clock, logger } = this.deps;
    const req = tx.request, source = tx.source, now = clock.now();
    if (security.blocked(source.host, now)) return;
    if (!this.admitRate(req, source.host, source.port, now)) { tx.respond(503, { headers: [["Retry-After", "10"]] }); return; }
    const endpoint = admitRequest(tx, this.deps, now);
    if (!endpoint) return;
    const model = this.deps.model();
    if (!endpoint.allow_subscribe) {
      logger.log("WARNING", "res_pjsip_pubsub.c", `Endpoint ${endpoint.name} is not configured to allow SUBSCRIBEs`);
      tx.respond(603);
      return;
    }
    const event = (req.get("Event") ?? "").split(";")[0].trim().toLowerCase();
    if (!isPackage(event)) {
      logger.log("WARNING", "res_pjsip_pubsub.c", `No registered subscribe handler for event ${event || "(none)"} from ${endpoint.name}`);
      tx.respond(489, { headers: [["Allow-Events", ALLOW_EVENTS]] });
      return;
    }
    const accept = this.acceptable(req, event);
    if (!accept) {
      logger.log("WARNING", "res_pjsip_pubsub.c", `Unable to find a body generator for the Accept of a '${event}' SUBSCRIBE from ${endpoint.name}`);
      tx.respond(489, { headers: [["Allow-Events", ALLOW_EVENTS]] });
      return;
    }
    const expires = this.expiresOf(tx, endpoint);
    if (expires === undefined) return;
    let user = "";
    try { user = decodeURIComponent(req.requestUri.user ?? ""); } catch { user = req.requestUri.user ?? ""; }
    const resource = this.resourceOf(event, endpoint, user, model);
    if (!resource) {
      logger.log("NOTICE", "res_pjsip_exten_state.c", `Extension ${user} does not exist or has no associated hint`);
      tx.respond(404);
      return;
    }
    if (this.stops.size >= this.limits.maxSubscriptions) {
      logger.log("WARNING", "res_pjsip_pubsub.c", `Refusing a '${event}' SUBSCRIBE from ${endpoint.name}: ${this.limits.maxSubscriptions} subscriptions already`);
      tx.respond(503, { headers: [["Retry-After", "60"]] });
      return;
    }
    const localTag = tx.localTag;
    const id = subscriptionId(req.callId, localTag);
    if (this.deps.runtime.has(id)) { tx.respond(482); return; }
    const contact = this.contactFor({ host: source.host, port: source.port, protocol: source.protocol as TransportProtocol });
    const state = this.watch(id, event, resource.key, resource.devices);
    tx.respond(200, { headers: [["Expires", String(expires)], ["Contact", contact]], copyRecordRoute: true });
    const input: SubscribeInput = {
      source: "sip", type: "subscribe", event, accept, endpoint: endpoint.name, resource: resource.key, devices: [...resource.devices],
      callId: req.callId, localTag, local: `${req.get("To")};tag=${localTag}`, remote: req.get("From")!,
      remoteTarget: contactUri(req, `sip:${formatHost(source.host)}:${source.port}`),
      routeSet: req.recordRoutes().map((r) => `<${formatUri(r.uri)}>`),
      destination: `${source.protocol}:${source.host}:${source.port}`, contact, expires, cseq: req.cseq.seq, state,
    };
    this.deps.runtime.spawn("subscription", id, input);
  }

  /** A refresh or an unsubscribe in a subscription's dialog; 481 when there is no such subscription. */
  private inDialog(tx: ServerTransaction): void {
    const req = tx.request;
    const id = subscriptionId(req.callId, req.toTag!);
    const c = this.contexts.get(id);
    if (!c || !this.deps.runtime.has(id)) { tx.respond(481); return; }
    if (req.cseq.seq <= c.remoteCseq) { tx.respond(500, { reason: "CSeq out of order" }); return; }
    const endpoint = this.deps.model().endpoints.get(c.endpoint);
    const expires = req.expires === 0 ? 0 : this.expiresOf(tx, endpoint);
    if (expires === undefined) return;
    tx.respond(200, { headers: [["Expires", String(expires)], ["Contact", c.contact]] });
    this.deps.runtime.send(id, expires === 0
      ? { source: "sip", type: "unsubscribe", cseq: req.cseq.seq }
      : { source: "sip", type: "refresh", cseq: req.cseq.seq, expires });
  }

  /** The body type to answer with: the package's own when Accept is absent or names it (or a wildcard). */
  private acceptable(req: SipRequest, event: Package): string | undefined {
    const accept = req.getAll("Accept").flatMap((v) => v.split(",")).map((v) => v.split(";")[0].trim().toLowerCase()).filter(Boolean);
    const own = PACKAGES[event];
    if (!accept.length) return own.type;
    const major = own.type.split("/")[0];
    return accept.some((a) => (own.accepts as readonly string[]).includes(a) || a === "*/*" || a === `${major}/*`) ? own.type : undefined;
  }

  /** Expires granted, or undefined after answering 423 (under the endpoint's sub_min_expiry). */
  private expiresOf(tx: ServerTransaction, endpoint: Endpoint | undefined): number | undefined {
    const asked = tx.request.expires ?? DEFAULT_EXPIRES;
    const min = endpoint?.sub_min_expiry ?? 0;
    if (asked > 0 && asked < min) { tx.respond(423, { headers: [["Min-Expires", String(min)]] }); return undefined; }
    return Math.max(asked, 1);
  }

  private resourceOf(event: Package, endpoint: Endpoint, user: string, model: PjsipModel): { key: string; devices: readonly string[] } | undefined {
    if (event === "message-summary") {
      const aor = model.aors.get(user);
      const boxes = aor?.mailboxes.length ? aor.mailboxes : endpoint.mailboxes;
      return boxes.length ? { key: boxes.map(MailboxStates.key).join(","), devices: boxes.map(MailboxStates.key) } : undefined;
    }
    if (!user) return undefined;
    const context = endpoint.subscribe_context || endpoint.context;
    const devices = this.deps.hint(context, user);
    return devices?.length ? { key: `${user}@${context}`, devices } : undefined;
  }

  /** Start watching; returns the state the first NOTIFY tells. */
  private watch(id: string, event: Package, key: string, devices: readonly string[]): string {
    this.stops.get(id)?.();
    this.watching.set(id, devices);
    if (event === "message-summary") {
      const { mailboxes } = this.deps;
      const stop = mailboxes.onChange((box) => {
        if (devices.includes(box)) this.deps.runtime.send(id, { source: "actor", type: "state", state: mailboxes.summary(devices) });
      });
      this.stops.set(id, stop);
      return mailboxes.summary(devices);
    }
    const watched = this.deps.watchers.watch(key, devices, (state) => this.deps.runtime.send(id, { source: "actor", type: "state", state: extensionStateName(state) }));
    this.stops.set(id, watched.stop);
    return extensionStateName(watched.state);
  }

  /** Each durable transition of a subscription: keep its context, send the NOTIFYs it asked for, forget it once ended. */
  private transition(id: string, state: ActorState, outputs: readonly Output[]): void {
    const c = state.context as SubscriptionContext;
    this.contexts.set(id, c);
    for (const o of outputs) if (o.type === "notify") this.sendNotify(id, c, o as NotifyOutput);
    if (state.done) {
      this.stops.get(id)?.();
      this.stops.delete(id);
      this.watching.delete(id);
      this.contexts.delete(id);
    }
  }

  private sendNotify(id: string, c: SubscriptionContext, o: NotifyOutput): void {
    const r = new SipRequest("NOTIFY", c.remoteTarget);
    r.set("From", c.local);
    r.set("To", c.remote);
    r.set("Call-ID", c.callId);
    r.set("CSeq", `${o.cseq} NOTIFY`);
    for (const route of c.routeSet) r.add("Route", route);
    r.set("Max-Forwards", "70");
    r.set("Contact", c.contact);
    r.set("User-Agent", this.deps.userAgent);
    r.set("Event", c.event);
    r.set("Subscription-State", o.subscriptionState === "active" ? `active;expires=${o.expires ?? 0}` : `terminated${o.reason ? `;reason=${o.reason}` : ""}`);
    r.set("Allow-Events", ALLOW_EVENTS);
    r.set("Content-Type", c.accept);
    r.body = Buffer.from(this.body(c, o), "utf8");
    const fail = (status: number) => { if (this.deps.runtime.has(id)) this.deps.runtime.send(id, { source: "sip", type: "failed", status }); };
    this.notifies++;
    try {
      this.deps.transactions.sendRequest(r, parseDestination(c.destination), {
        onFinal: (response) => {
          if (response.status === 481 || response.status === 408 || response.status === 410) fail(response.status);
          else if (response.status >= 300) this.deps.logger.log("WARNING", "res_pjsip_pubsub.c", `NOTIFY for subscription ${id} answered ${response.status}`);
        },
        onTimeout: () => fail(408),
        onTransportError: () => fail(503),
      });
    } catch (e) {
      this.deps.logger.log("WARNING", "res_pjsip_pubsub.c", `Could not send NOTIFY for subscription ${id}: ${(e as Error).message}`);
    }
  }

  private body(c: SubscriptionContext, o: NotifyOutput): string {
    const entity = entityOf(c.local);
    const exten = c.resource.split("@")[0];
    switch (c.event) {
      case "dialog": return dialogInfoBody({ entity, exten, version: o.version, state: o.state });
      case "presence": return pidfBody({ entity, exten, state: o.state });
      case "message-summary": return messageSummaryBody({ account: entity, state: o.state });
    }
  }

  /**
   * A token bucket per source address for new subscriptions. Over it, one NOTICE a
   * second in the form fail2ban's asterisk filter family reads (`Request ... failed for
   * 'ip:port' (callid: ...) - reason`).
   */
  private admitRate(req: SipRequest, host: string, port: number, now: number): boolean {
    const { ratePerSecond, burst } = this.limits;
    let b = this.buckets.get(host);
    if (!b) {
      if (this.buckets.size >= 100_000) this.pruneBuckets(now);
      this.buckets.set(host, b = { tokens: burst, at: now, noticedAt: 0 });
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1e6) * ratePerSecond);
    b.at = now;
    if (b.tokens >= 1) { b.tokens -= 1; return true; }
    if (now - b.noticedAt >= 1e6) {
      b.noticedAt = now;
      let from = "", callId = "";
      try { from = req.get("From") ?? ""; callId = req.callId; } catch { /* a malformed header: logged empty */ }
      this.deps.logger.log("NOTICE", "res_pjsip/pjsip_distributor.c", `Request 'SUBSCRIBE' from '${from}' failed for '${host}:${port}' (callid: ${callId}) - Too many SUBSCRIBE requests`);
    }
    return false;
  }

  private pruneBuckets(now: number): void {
    for (const [host, b] of this.buckets) if (now - b.at > 60e6) this.buckets.delete(host);
  }

  private contactFor(destination: Destination): string {
    const route = this.deps.transactions.transports.route(destination);
    const t = route.transport.protocol === "udp" ? "" : `;transport=${route.transport.protocol}`;
    return `<sip:${formatHost(route.sentBy.host)}:${route.sentBy.port}${t}>`;
  }
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** `udp:127.0.0.1:5070` (or `udp:::1:5070`) as a destination. */
function parseDestination(s: string): Destination {
  const first = s.indexOf(":"), last = s.lastIndexOf(":");
  return { protocol: s.slice(0, first) as TransportProtocol, host: s.slice(first + 1, last), port: Number(s.slice(last + 1)) };
}

/** The URI inside a name-addr, without its parameters: the resource a body names. */
function entityOf(nameAddr: string): string {
  const inside = /<([^>]*)>/.exec(nameAddr)?.[1] ?? nameAddr.split(";")[0];
  return inside.split(";")[0].trim();
}
