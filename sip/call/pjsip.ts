/**
 * The PJSIP channel driver (Asterisk's chan_pjsip with res_pjsip_session): INVITEs
 * become channels of the call core (calls/) that run the dialplan, and the core's Dial
 * sends INVITEs through it (a B2BUA). Until the media workers anchor RTP, the callee's
 * SDP is passed to the caller and back, so the phones send media to each other
 * (direct media, when both endpoints allow it).
 *
 * In-dialog requests: BYE, INFO (DTMF), re-INVITE (reinvite.ts), REFER (refer.ts).
 */
import { randomHex } from "../../core/random.js";
import type { Channel } from "../../calls/channel.js";
import type { CallCore } from "../../calls/core.js";
import type {
  ChannelDriver, ExtensionPresence, LegProgress, OutboundCall, OutboundTarget, PlacedCall, Presence,
} from "../../calls/driver.js";
import { featuresFromDialOptions } from "../../calls/features.js";
import { Cause } from "../../calls/hangup-causes.js";
import { holdBridge, type TwoPartyBridge } from "../../calls/bridge.js";
import type { Pickups } from "../../calls/pickup.js";
import type { Endpoint } from "../config/model.js";
import { aclAllows } from "../config/acl.js";
import { tosValue } from "../config/tos.js";
import { artificialChallenge, authenticate, type AuthContext } from "../endpoint/authenticate.js";
import { identifyEndpoint } from "../endpoint/identify.js";
import { SipRequest, formatHost, formatUri, type SipResponse } from "../message/index.js";
import type { Registrar } from "../registrar/registrar.js";
import type { ClientTransaction, ServerTransaction } from "../transaction/index.js";
import type { Destination } from "../transport/index.js";
import { causeFromSipResponse, sipTechCause } from "./causes.js";
import { Dialog, contactUri, destinationOf, destinationOfUri } from "./dialog.js";
import { ALLOW, SipLeg, sipLeg, type SipLegHost } from "./leg.js";
import { Reinvites } from "./reinvite.js";
import { Refers } from "./refer.js";
import { answerWithAuths } from "../auth/outbound.js";
import { refuse } from "../refuse.js";
import type { Refusal } from "../screen.js";
import { screenInvite } from "./offer.js";
import type { CallAdmission } from "./admission.js";
import { SessionTimer, sessionTimerHeaders, sessionTimerTerms, type SessionTimerTerms } from "./session-timer.js";
import type { SipServices } from "../services.js";

export type { ExtensionPresence, Presence } from "../../calls/driver.js";

export interface PjsipDriverDeps extends SipServices {
  /** The call core the driver's channels live in. */
  readonly core: CallCore;
  readonly registrar: Registrar;
  /** The endpoint an outbound registration with `line = yes` gave this `line` token (Request-URI parameter). */
  readonly lineEndpoint?: (token: string) => string | undefined;
  /**
   * Whether the dialplan has an extension (a reachable switch counts as yes): an INVITE
   * to an extension that is not there is refused 404 (484 while more digits could
   * match and the endpoint allows overlap), as res_pjsip does, before any channel.
   */
  readonly extensionPresence?: ExtensionPresence;
  /** False while `core stop|restart gracefully` waits for calls to end: new INVITEs get 503. */
  readonly accepting?: () => boolean;
  /** Load shedding (recall.conf [calls]): new INVITEs get 503 with Retry-After while it refuses. */
  readonly admission?: CallAdmission;
}

/** One INVITE target of a Dial: a PJSIP endpoint and the URI its INVITE goes to. */
interface SipTarget extends OutboundTarget {
  readonly endpoint: Endpoint;
  readonly uri: string;
}

/** An endpoint's allow= codecs that the media workers carry, in order (G.711 when none). */
function codecsOf(endpoint: Endpoint): string[] {
  const known = endpoint.allow.filter((c) => c === "ulaw" || c === "alaw" || c === "slin");
  return known.length ? known : ["ulaw", "alaw"];
}

export class PjsipDriver implements ChannelDriver, SipLegHost {
  readonly tech = "PJSIP";
  /** Established and early dialogs by `Call-ID|local tag`. */
  private readonly dialogs = new Map<string, Channel>();
  /** Outbound legs not yet answered, by `Call-ID|our tag`: an INVITE with Replaces may name one to pick it up. */
  private readonly early = new Map<string, Channel>();
  /** Re-INVITEs: media that follows bridges and applications, and the phones' own re-INVITEs (reinvite.ts). */
  private readonly reinvites: Reinvites;
  /** REFER (refer.ts). */
  private readonly refers: Refers;

  constructor(private readonly deps: PjsipDriverDeps) {
    const media = deps.core.media;
    this.reinvites = new Reinvites({
      transactions: deps.transactions, clock: deps.clock, random: deps.random, logger: deps.logger, media, model: deps.model,
    });
    this.refers = new Refers({
      core: deps.core, transactions: deps.transactions, logger: deps.logger, model: deps.model,
      dialogChannel: (key) => this.dialogs.get(key),
    });
    deps.core.register(this);
  }

  /** The call core its channels live in. */
  get core(): CallCore { return this.deps.core; }

  /** Requests the call layer answers: INVITE (new or re-INVITE), BYE, INFO, REFER in a dialog. */
  handle(tx: ServerTransaction): boolean {
    const req = tx.request;
    switch (req.method) {
      case "INVITE":
        if (req.toTag) this.reinvite(tx); else this.invite(tx);
        return true;
      case "BYE": this.bye_(tx); return true;
      case "INFO": this.info(tx); return true;
      case "UPDATE": this.update(tx); return true;
      case "NOTIFY": {
        const channel = req.toTag ? this.dialogs.get(`${req.callId}|${req.toTag}`) : undefined;
        if (!channel || !/^refer\b/i.test(req.get("Event") ?? "")) return false;
        this.referNotify(tx, channel);
        return true;
      }
      case "REFER":
        if (!req.toTag) return false;
        this.refers.refer(tx, this.dialogs.get(`${req.callId}|${req.toTag}`));
        return true;
      default: return false;
    }
  }

  // ---- inbound ----

  private authContext(): AuthContext {
    return { model: this.deps.model(), nonceSecret: this.deps.nonceSecret, now: this.deps.clock.now(), salt: () => randomHex(this.deps.random, 8) };
  }

  private invite(tx: ServerTransaction): void {
    const { security, clock } = this.deps;
    const req = tx.request, source = tx.source;
    const now = clock.now();
    if (security.blocked(source.host, now)) return;
    const model = this.deps.model();
    const line = req.requestUri.params.get("line");
    const lineEndpoint = line ? model.endpoints.get(this.deps.lineEndpoint?.(line) ?? "") : undefined;
    const identified = lineEndpoint ? { endpoint: lineEndpoint } : identifyEndpoint(model, req, source);
    if (!identified) {
      security.failed(req, source.host, source.port, "No matching endpoint found", now);
      tx.respond(401, { headers: artificialChallenge(this.authContext()).map((v) => ["WWW-Authenticate", v] as [string, string]) });
      return;
    }
    const endpoint = identified.endpoint;
    if ((endpoint.acl.rules.length || endpoint.acl.named.length) && !aclAllows(endpoint.acl, model.namedAcls, source.host)) {
      security.failed(req, source.host, source.port, "Not match Endpoint ACL", now);
      tx.respond(403);
      return;
    }
    const outcome = authenticate(this.authContext(), endpoint, req);
    if (!outcome.ok) {
      if (outcome.failure === "wrong-password" || outcome.failure === "unknown-user" || outcome.failure === "malformed") {
        security.failed(req, source.host, source.port, "Failed to authenticate", now);
      }
      tx.respond(401, { headers: outcome.challenges.map((v) => ["WWW-Authenticate", v] as [string, string]) });
      return;
    }
    if (this.deps.accepting?.() === false) { tx.respond(503); return; } // shutting down gracefully
    const admission = this.deps.admission;
    if (admission && !req.get("Replaces") && !admission.admit()) { tx.respond(503, { headers: [["Retry-After", admission.retryAfter]] }); return; }
    const dialogOf = (callId: string, toTag: string) => this.dialogs.get(`${callId}|${toTag}`) ?? this.early.get(`${callId}|${toTag}`);
    const screened = screenInvite(req, endpoint, codecsOf(endpoint), (callId, toTag) => dialogOf(callId, toTag) !== undefined);
    if ("refusal" in screened) {
      refuse(tx, screened.refusal, this.deps.logger);
      return;
    }
    const replaced = screened.replaces && dialogOf(screened.replaces.callId, screened.replaces.toTag);
    let exten = "s";
    try { exten = req.requestUri.user ? decodeURIComponent(req.requestUri.user) : "s"; } catch { /* undecodable user: s */ }
    const from = req.from;
    const callerId = {
      num: endpoint.callerid?.number ?? (from.uri.user ? safeDecode(from.uri.user) : ""),
      name: endpoint.callerid?.name ?? from.displayName ?? "",
    };
    if (replaced) {
      const refusal = replaceable(replaced, screened.replaces!.earlyOnly, this.core.pickups);
      if (refusal) refuse(tx, refusal, this.deps.logger);
      else this.admit(tx, endpoint, exten, callerId, "exists", screened.offer, replaced);
      return;
    }
    // features.conf's pickupexten is answered by the pickup, not the dialplan (as chan_pjsip does).
    const presence = this.core.isPickupExten(exten) ? "exists" : this.deps.extensionPresence?.(endpoint.context, exten, now, callerId.num) ?? "exists";
    if (presence instanceof Promise) {
      // A switch asks another node first; a CANCEL meanwhile is answered 487 by the transaction.
      tx.respond(100);
      void presence.then((p) => { if (!tx.cancelled) this.admit(tx, endpoint, exten, callerId, p, screened.offer); });
      return;
    }
    this.admit(tx, endpoint, exten, callerId, presence, screened.offer);
  }

  /** An authenticated INVITE to `exten`: refused when the dialplan lacks it, else a channel that runs it. */
  private admit(tx: ServerTransaction, endpoint: Endpoint, exten: string, callerId: { num: string; name: string }, presence: Presence, offer: Buffer | undefined, replaced?: Channel): void {
    const req = tx.request, source = tx.source;
    if (presence !== "exists") {
      const overlap = presence === "more" && endpoint.allow_overlap;
      if (!overlap) this.deps.logger.log("NOTICE", "res_pjsip_session.c", `Call from '${endpoint.name}' (${source.protocol.toUpperCase()}:${formatHost(source.host)}:${source.port}) to extension '${exten}' rejected because extension not found in context '${endpoint.context}'.`);
      tx.respond(overlap ? 484 : 404);
      return;
    }
    tx.respond(100);
    const linkedid = replaced?.bridge?.partner(replaced)?.context().linkedid;
    const channel = this.core.createChannel(this.spec(endpoint), "in", { callerId, context: endpoint.context, exten, dnid: exten, ...(linkedid ? { linkedid } : {}) });
    this.core.processed++;
    const leg = new SipLeg(channel, this);
    leg.invite = tx;
    if (this.deps.admission) {
      const done = this.deps.admission.started();
      leg.answered = done;
      channel.onHangup.add(done);
    }
    channel.remoteSdp = offer;
    const terms = sessionTimerTerms(req, endpoint);
    if (terms) leg.sessionTimer = this.sessionTimer(channel, terms);
    leg.contactHeader = this.contactFor(destinationOf(source));
    const localTag = tx.localTag;
    leg.dialog = new Dialog({
      callId: req.callId, local: `${req.get("To")};tag=${localTag}`, remote: req.get("From")!,
      remoteTarget: contactUri(req, req.from.uri.host ? `sip:${source.host}:${source.port}` : req.uri),
      routeSet: req.recordRoutes().map((r) => `<${formatUri(r.uri)}>`),
      localCseq: 0, destination: destinationOf(source), contact: leg.contactHeader, userAgent: this.deps.userAgent,
    });
    this.track(leg, `${req.callId}|${localTag}`);
    tx.onCancel(() => {
      tx.respond(487);
      channel.remoteHangup(Cause.NORMAL_CLEARING, channel.name);
    });
    tx.onFailure((reason) => {
      if (reason === "timeout" && channel.state() === "up" && !channel.hungUp) channel.hangup(Cause.NORMAL_CLEARING);
    });
    if (replaced && replaced.state() !== "up") { void this.pickUp(channel, replaced); return; }
    if (replaced) { void this.takeOver(channel, replaced); return; }
    if (this.core.isPickupExten(exten)) { void this.pickUp(channel); return; }
    // A leg that never has direct media is anchored whatever the dialplan does with it (answered
    // or bridged): its session is opened now, beside the dialplan, as chan_pjsip negotiates the
    // offer on arrival, so the answer does not wait for two media-worker round trips.
    if (!endpoint.direct_media && offer) void channel.anchorMedia().catch(() => undefined);
    this.core.run(channel, { context: endpoint.context, exten, priority: 1 });
  }

  /**
   * A call to features.conf's pickupexten (the caller's pickup groups), or an INVITE with
   * Replaces naming a leg that rings for a Dial (RFC 3891 lets a UA replace an early
   * dialog it started): the new channel is answered and takes that call (calls/pickup.ts);
   * with nothing to pick up it is hung up as Hangup() would (refused, or BYE once answered).
   */
  private async pickUp(channel: Channel, leg?: Channel): Promise<void> {
    channel.pbx = false; // no dialplan of its own: the caller's Dial and the bridge settle it
    const picked = await this.core.pickup(channel, leg ? { by: "channel", channel: leg } : { by: "group" }).catch(() => undefined);
    if (picked) return;
    this.deps.logger.log("NOTICE", "pickup.c", `No target channel found for ${channel.name}${leg ? ` (Replaces names ${leg.name})` : ""}.`);
    if (!channel.hungUp) channel.hangup(Cause.NORMAL_CLEARING); // as Hangup() would: a final answer, or BYE once answered
    channel.destroy();
  }

  /**
   * INVITE with Replaces (RFC 3891) naming an answered, bridged leg: the new channel is
   * answered and takes that leg's place beside its partner (joining the partner's
   * linkedid), and the replaced leg is hung up with BYE, as chan_pjsip does when a phone
   * completes an attended transfer or a call moves to another device.
   */
  private async takeOver(channel: Channel, replaced: Channel): Promise<void> {
    const bridge = replaced.bridge, partner = bridge?.partner(replaced);
    channel.pbx = false; // no dialplan of its own: the bridge settles it when the call ends
    if (!bridge || !partner) { channel.destroy(); return; }
    this.deps.logger.log("VERBOSE", "res_pjsip_session.c", `${channel.name} replaces ${replaced.name} beside ${partner.name}`);
    try {
      await channel.answer();
    } catch {
      channel.destroy(); // the new caller went away first: the replaced call stays as it was
      return;
    }
    if (replaced.hungUp || partner.hungUp || replaced.bridge !== bridge) { channel.hangup(Cause.NORMAL_CLEARING); channel.destroy(); return; }
    bridge.replace(replaced, channel);
    if (channel.media && partner.media) {
      void this.core.media.bridge(channel.media, partner.media)
        .catch((e: Error) => this.deps.logger.log("WARNING", "bridge.c", `No media between ${channel.name} and ${partner.name}: ${e.message}`));
    }
    holdBridge(bridge); // the new channel has no dialplan: whoever ends the call, the bridge is tidied up
    replaced.hangup(Cause.NORMAL_CLEARING, channel.name);
    if (!replaced.pbx) replaced.destroy();
  }

  /**
   * A re-INVITE (session refresh, hold, a new address): an anchored leg's session takes
   * the new SDP, a direct leg's offer is relayed to its bridge partner (reinvite.ts).
   */
  private reinvite(tx: ServerTransaction): void {
    const channel = this.dialogs.get(`${tx.request.callId}|${tx.request.toTag}`);
    if (!channel) { tx.respond(481); return; }
    this.reinvites.incoming(tx, channel);
  }

  reanchor(channel: Channel): Promise<string> { return this.reinvites.anchor(channel); }

  /** RFC 4028: Recall refreshes with a re-INVITE of the SDP it last sent; a lapse or a failed refresh ends the call, cause 18. */
  private sessionTimer(channel: Channel, terms: SessionTimerTerms): SessionTimer {
    return new SessionTimer({
      clock: this.deps.clock,
      refresh: async () => (channel.localSdp ? (await this.reinvites.send(channel, channel.localSdp, { retryGlare: true })).status : 0),
      expire: (reason) => {
        if (channel.hungUp) return;
        this.deps.logger.log("NOTICE", "res_pjsip_session.c", `Session timer of ${channel.name} expired: ${reason}; hanging up`);
        channel.hangup(Cause.NO_USER_RESPONSE, channel.name);
      },
    }, terms);
  }

  /** UPDATE in a dialog (RFC 3311): a session refresh without SDP, or an offer handled as a re-INVITE's. */
  private update(tx: ServerTransaction): void {
    const channel = this.dialogs.get(`${tx.request.callId}|${tx.request.toTag}`);
    const leg = sipLeg(channel);
    if (!channel || !leg) { tx.respond(481); return; }
    if (tx.request.body.length) { this.reinvites.incoming(tx, channel); return; }
    const timer: [string, string][] = leg.sessionTimer ? sessionTimerHeaders(leg.sessionTimer.terms) : [];
    tx.respond(200, { headers: [["Contact", leg.contactHeader], ...timer] });
    leg.sessionTimer?.refreshed();
  }

  /** A bridge was made or got a new member: re-INVITEs move media between direct and Recall (reinvite.ts). */
  joined(bridge: TwoPartyBridge, initial: boolean): void { this.reinvites.joined(bridge, initial); }

  private bye_(tx: ServerTransaction): void {
    const channel = this.dialogs.get(`${tx.request.callId}|${tx.request.toTag}`);
    if (!channel) { tx.respond(481); return; }
    const leg = sipLeg(channel);
    if (leg) this.untrack(leg);
    channel.remoteHangup(Cause.NORMAL_CLEARING);
    channel.afterDurable(() => tx.respond(200)); // the phone hears the call ended once the log says so
  }

  /** DTMF by SIP INFO (application/dtmf-relay `Signal=5`, or application/dtmf `5`). */
  private info(tx: ServerTransaction): void {
    const channel = this.dialogs.get(`${tx.request.callId}|${tx.request.toTag}`);
    if (!channel) { tx.respond(481); return; }
    const body = tx.request.body.toString("latin1");
    const type = (tx.request.contentType ?? "").toLowerCase();
    const signal = type.includes("dtmf-relay") ? /Signal\s*=\s*([0-9A-D*#])/i.exec(body)?.[1] : type.includes("dtmf") ? /^\s*([0-9A-D*#])/i.exec(body)?.[1] : undefined;
    tx.respond(200);
    const duration = type.includes("dtmf-relay") ? Number(/Duration\s*=\s*(\d+)/i.exec(body)?.[1] ?? NaN) : NaN;
    if (signal) channel.digit(signal.toUpperCase(), Number.isFinite(duration) ? duration : undefined, "sip");
  }

  // ---- channels ----

  /** What a channel of `endpoint` is named after and starts with. */
  private spec(endpoint: Endpoint) {
    return {
      tech: "PJSIP", resource: endpoint.name, endpoint: endpoint.name, language: endpoint.language || "en",
      ...(endpoint.accountcode ? { accountcode: endpoint.accountcode } : {}),
      codecs: codecsOf(endpoint), rtp: { tos: tosValue(endpoint.tos_audio), cos: endpoint.cos_audio, symmetric: endpoint.rtp_symmetric },
      origin: { owner: endpoint.sdp_owner, session: endpoint.sdp_session },
      groups: {
        call: [...endpoint.call_group.map(String), ...endpoint.named_call_group.map((g) => `name:${g}`)],
        pickup: [...endpoint.pickup_group.map(String), ...endpoint.named_pickup_group.map((g) => `name:${g}`)],
      },
    } as const;
  }

  private target(endpoint: Endpoint, uri: string, dialstring: string): SipTarget {
    return { dialstring, channel: this.spec(endpoint), context: endpoint.context, endpoint, uri };
  }

  /** In-dialog requests (BYE, INFO, re-INVITE) find the channel by `Call-ID|our tag`. */
  private track(leg: SipLeg, key: string): void {
    leg.dialogKey = key;
    this.dialogs.set(key, leg.channel);
  }

  private untrack(leg: SipLeg): void {
    if (leg.dialogKey !== undefined && this.dialogs.get(leg.dialogKey) === leg.channel) this.dialogs.delete(leg.dialogKey);
    leg.dialogKey = undefined;
  }

  released(leg: SipLeg): void {
    this.untrack(leg);
  }

  refer(leg: SipLeg, uri: string): void {
    const dialog = leg.dialog!;
    const r = dialog.request("REFER");
    r.set("Refer-To", `<${uri}>`);
    r.set("Referred-By", dialog.init.local.replace(/;tag=[^;]*/i, ""));
    const name = leg.channel.name;
    this.deps.transactions.sendRequest(r, dialog.destination, {
      onFinal: (res) => { if (res.status >= 300) this.deps.logger.log("WARNING", "chan_pjsip.c", `Transfer of ${name} to ${uri} refused: ${res.status} ${res.reason}`); },
      onTimeout: () => this.deps.logger.log("WARNING", "chan_pjsip.c", `Transfer of ${name} to ${uri}: no answer to the REFER`),
    });
  }

  /** The NOTIFYs of a REFER we sent (RFC 3515): the transfer's progress, answered 200 and logged. */
  private referNotify(tx: ServerTransaction, channel: Channel): void {
    tx.respond(200);
    const frag = /^SIP\/2\.0 (\d{3})[^\r\n]*/.exec(tx.request.body?.toString("latin1") ?? "");
    if (frag) this.deps.logger.log("VERBOSE", "chan_pjsip.c", `Transfer of ${channel.name}: ${frag[0]}`);
  }

  redirectUri(resource: string): string | undefined {
    if (/^sips?:/i.test(resource)) return resource;
    const endpoint = this.deps.model().endpoints.get(resource);
    if (!endpoint) return undefined;
    for (const aor of endpoint.aors) for (const c of this.deps.registrar.contacts(aor)) return c.uri;
    return undefined;
  }

  bye(leg: SipLeg): void {
    const dialog = leg.dialog;
    if (!dialog) return;
    this.untrack(leg);
    try {
      this.deps.transactions.sendRequest(dialog.request("BYE"), dialog.destination, {});
    } catch (e) {
      this.deps.logger.log("WARNING", "chan_pjsip.c", `Could not send BYE for ${leg.channel.name}: ${(e as Error).message}`);
    }
  }

  private contactFor(destination: Destination): string {
    const route = this.deps.transactions.transports.route(destination);
    const t = route.transport.protocol === "udp" ? "" : `;transport=${route.transport.protocol}`;
    return `<sip:${formatHost(route.sentBy.host)}:${route.sentBy.port}${t}>`;
  }

  // ---- Dial ----

  /** The INVITE targets of `PJSIP/[user@]endpoint[/uri]`: the URI given, else each reachable contact of the endpoint's AORs. */
  resolve(dialstring: string, resource: string): { targets: SipTarget[]; problem?: string } {
    const model = this.deps.model();
    let rest = resource;
    let uri: string | undefined;
    const slash = rest.indexOf("/");
    if (slash >= 0) { uri = rest.slice(slash + 1); rest = rest.slice(0, slash); }
    let user: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) { user = rest.slice(0, at); rest = rest.slice(at + 1); }
    const endpoint = model.endpoints.get(rest);
    if (!endpoint) return { targets: [], problem: `Unable to create PJSIP channel with endpoint '${rest}' as it does not exist` };
    if (uri) return { targets: [this.target(endpoint, uri, dialstring)] };
    const targets: SipTarget[] = [];
    for (const aor of endpoint.aors) {
      for (const c of this.deps.registrar.contacts(aor)) {
        if (c.context?.qualifyStatus === "Unavail") continue;
        const target = user ? c.uri.replace(/^(sips?:)(?:[^@]*@)?/i, `$1${user}@`) : c.uri;
        targets.push(this.target(endpoint, target, dialstring));
      }
    }
    if (!targets.length) return { targets, problem: `Endpoint '${endpoint.name}' has no reachable contacts` };
    return { targets };
  }

  /** Place a Dial leg: the SDP offer (offerFor), then the INVITE (sendInvite). */
  async call(call: OutboundCall, on: LegProgress): Promise<PlacedCall> {
    const target = call.target as SipTarget;
    const offer = await this.offerFor(call, target.endpoint);
    if (call.callee.hungUp) return { cancel: () => undefined };
    return this.sendInvite(call.caller, call.callee, target, offer, on);
  }

  /**
   * The SDP offered to a called leg: the caller's own offer when media may flow directly
   * between the phones, else the offer of a media session of the callee's own, bridged
   * to the caller's on answer. Directly as Asterisk's native RTP bridge allows it: both
   * endpoints have `direct_media = yes`, the caller's media is not anchored in Recall,
   * and no DTMF feature of the Dial (t/T, h/H, k/K, w/W, x/X) listens on a side whose
   * digits travel in the RTP (any `dtmf_mode` but info). A Local `;2` offers what the
   * channel that dialled its pair would.
   */
  private async offerFor(call: OutboundCall, endpoint: Endpoint): Promise<Buffer> {
    const { caller, callee, options } = call;
    const origin = call.origin;
    const originEndpoint = origin?.tech === "PJSIP" ? this.deps.model().endpoints.get(origin.context().endpoint) : undefined;
    const features = featuresFromDialOptions(options);
    const inMedia = (e: Endpoint | undefined) => e?.dtmf_mode !== "info" && e?.dtmf_mode !== "none";
    const hooks = (features.caller.length > 0 && inMedia(originEndpoint)) || (features.callee.length > 0 && inMedia(endpoint));
    const direct = caller && origin && !origin.media && caller.remoteSdp && !hooks
      && (origin.tech === "Local" || (originEndpoint?.direct_media !== false && endpoint.direct_media));
    if (direct) return caller.remoteSdp!;
    const near = origin?.mediaNear ?? caller?.media;
    const leg = await this.core.media.offer(callee, near);
    callee.media = leg.id;
    if (callee.hungUp) callee.releaseMedia();
    return leg.sdp;
  }

  /** Send the INVITE of an outbound leg and report its progress. */
  private sendInvite(caller: Channel | undefined, callee: Channel, target: SipTarget, offer: Buffer, on: LegProgress): PlacedCall {
    const { transactions } = this.deps;
    const destination = destinationOfUri(target.uri);
    const route = transactions.transports.route(destination);
    const host = formatHost(route.sentBy.host);
    const ctx = (caller ?? callee).context();
    const callId = randomHex(this.deps.random, 16);
    const fromTag = transactions.newTag();
    const earlyKey = `${callId}|${fromTag}`;
    this.early.set(earlyKey, callee);
    const fromUser = target.endpoint.from_user || ctx.callerId.num || "anonymous";
    const fromHost = target.endpoint.from_domain || host;
    const from = `${ctx.callerId.name ? `"${ctx.callerId.name.replace(/["\\]/g, "")}" ` : ""}<sip:${encodeUser(fromUser)}@${fromHost}>;tag=${fromTag}`;
    const contact = this.contactFor(destination);
    const leg = new SipLeg(callee, this);
    leg.contactHeader = contact;
    callee.localSdp = offer;
    callee.change({ type: "dialing" }, "sip");
    let cseq = 1;
    let current: ClientTransaction | undefined;
    const invite = (credentials?: { header: string; value: string }) => {
      const r = new SipRequest("INVITE", target.uri);
      r.set("From", from);
      r.set("To", `<${target.uri}>`);
      r.set("Contact", contact);
      r.set("Call-ID", callId);
      r.set("CSeq", `${cseq} INVITE`);
      r.set("Allow", ALLOW);
      r.set("User-Agent", this.deps.userAgent);
      if (credentials) r.set(credentials.header, credentials.value);
      r.set("Content-Type", "application/sdp");
      r.body = offer;
      return r;
    };
    const send = (request: SipRequest, authenticated: boolean): ClientTransaction => leg.outgoing = transactions.sendRequest(request, destination, {
      onProvisional: (r) => {
        if (r.status === 180 || r.status === 181 || r.status === 182) on.ringing();
        else if (r.status === 183) {
          const sdp = r.body.length ? r.body : undefined;
          if (sdp && callee.media) void this.core.media.remote(callee.media, sdp, callee.codecs).catch(() => undefined);
          on.progress(sdp);
        }
      },
      onFinal: (r, t) => {
        if (r.status >= 200 && r.status < 300) {
          if (leg.dialog) { this.ackFor(leg, r, t, destination); return; } // a 2xx retransmission or fork: ACK it
          this.early.delete(earlyKey);
          callee.remoteSdp = r.body.length ? r.body : undefined;
          if (callee.media && callee.remoteSdp) void this.core.media.remote(callee.media, callee.remoteSdp, callee.codecs).catch(() => undefined);
          const remoteTarget = contactUri(r, target.uri);
          leg.dialog = new Dialog({
            callId, local: from, remote: r.get("To")!, remoteTarget,
            routeSet: r.recordRoutes().reverse().map((x) => `<${formatUri(x.uri)}>`),
            localCseq: cseq, destination: destinationOfUri(remoteTarget), contact, userAgent: this.deps.userAgent,
          });
          this.track(leg, `${callId}|${fromTag}`);
          this.ackFor(leg, r, t, destination);
          // A 2xx that crossed our CANCEL (the leg already hung up): ACK it, then end it with a BYE (RFC 3261 §15).
          if (callee.hungUp) { this.bye(leg); return; }
          callee.change({ type: "answer" }, "sip");
          on.answered();
          return;
        }
        // A trunk's challenge is answered once with the endpoint's outbound_auth (same Call-ID, next CSeq).
        if ((r.status === 401 || r.status === 407) && !authenticated && !callee.hungUp) {
          const auths = target.endpoint.outbound_auth.map((a) => this.deps.model().auths.get(a)).filter((a) => a !== undefined);
          cseq++;
          const answer = answerWithAuths(r, auths, { method: "INVITE", uri: target.uri, cnonce: randomHex(this.deps.random, 8), nc: 1 });
          if (answer) { current = send(invite(answer), true); return; }
        }
        this.early.delete(earlyKey);
        if (r.status >= 300 && r.status < 400) {
          const to = redirectTarget(r, target.endpoint.name, target.endpoint.redirect_method);
          if (to) on.forwarded?.(to);
        }
        const cause = causeFromSipResponse(r.status);
        callee.remoteHangup(cause, callee.name);
        on.failed(cause, sipTechCause(r.status));
      },
      onTimeout: () => { this.early.delete(earlyKey); callee.remoteHangup(Cause.NO_USER_RESPONSE, callee.name); on.failed(Cause.NO_USER_RESPONSE); },
      onTransportError: () => { this.early.delete(earlyKey); callee.remoteHangup(Cause.DESTINATION_OUT_OF_ORDER, callee.name); on.failed(Cause.DESTINATION_OUT_OF_ORDER); },
    });
    // The INVITE leaves once the callee's channel is durable; a leg ended before that is never called.
    callee.afterDurable(() => {
      if (!callee.hungUp) { current = send(invite(), false); return; }
      this.early.delete(earlyKey);
    });
    // Once a 2xx made the dialog there is nothing left to CANCEL (RFC 3261 §9.1): ending the call is a BYE.
    return {
      cancel: (cause) => {
        this.early.delete(earlyKey);
        // As chan_pjsip: a phone told the call was answered elsewhere shows no missed call.
        if (current && !leg.dialog) current.cancel(cause === Cause.ANSWERED_ELSEWHERE ? 'SIP;cause=200;text="Call completed elsewhere"' : undefined);
        if (!current && !callee.hungUp) { // not sent yet: it ends as a CANCELled INVITE would (487)
          const ended = causeFromSipResponse(487);
          callee.remoteHangup(ended, callee.name);
          on.failed(ended, sipTechCause(487));
        }
      },
    };
  }

  private ackFor(leg: SipLeg, response: SipResponse, tx: ClientTransaction, fallback: Destination): void {
    const dialog = leg.dialog;
    if (!dialog) return;
    const ack = dialog.request("ACK", { cseq: Number(tx.request.get("CSeq")?.split(" ")[0] ?? 1) });
    if (response.toTag) ack.set("To", response.get("To")!);
    tx.ack(ack, dialog.destination ?? fallback);
  }
}

/**
 * Where a 3xx sends the call, as res_pjsip_session's on_redirected (redirect_method): `user`
 * gives the first Contact's user part (an extension; user options after `;` dropped),
 * `uri_core` a PJSIP dial string to the Contact through the same endpoint. `uri_pjsip`
 * (PJSIP following the redirect itself) is not done: the call is not forwarded.
 */
function redirectTarget(r: SipResponse, endpoint: string, method: string): string | undefined {
  let contacts;
  try { contacts = r.contacts(); } catch { return undefined; }
  if (contacts === "*" || !contacts.length) return undefined;
  const uri = contacts[0].uri;
  if (uri.scheme === "tel") return undefined;
  if (method === "user") return uri.user ? safeDecode(uri.user.split(";")[0]) || undefined : undefined;
  if (method === "uri_core") return `PJSIP/${endpoint}/${formatUri(uri)}`;
  return undefined;
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

function encodeUser(s: string): string {
  return s.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * Whether a leg named by an INVITE's Replaces can be taken over here: it must be
 * answered and bridged (early-only Replaces of an answered leg is 486, RFC 3891 §3);
 * picking up a leg that still rings is not done yet.
 */
function replaceable(leg: Channel, earlyOnly: boolean, pickups: Pickups): Refusal | undefined {
  if (leg.hungUp) return { status: 481, reason: `Replaces names ${leg.name}, which has ended` };
  if (leg.state() !== "up") {
    // An early dialog may be replaced only where we started it: a leg ringing for a Dial is picked up.
    return pickups.offered(leg) ? undefined : { status: 481, reason: `Replaces names ${leg.name}, which is not answered and rings for no Dial` };
  }
  if (earlyOnly) return { status: 486, reason: `Replaces with early-only names ${leg.name}, which is answered` };
  if (!leg.bridge?.partner(leg)) return { status: 481, reason: `Replaces names ${leg.name}, which is not bridged` };
  return undefined;
}
