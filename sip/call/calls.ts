/**
 * Calls: INVITEs become channels that run the dialplan, and Dial() makes outbound legs
 * and bridges them (a B2BUA). Until the media workers anchor RTP, the callee's SDP is
 * passed to the caller and back, so the phones send media to each other.
 *
 * Channel names and unique ids follow Asterisk: `PJSIP/<endpoint>-<8 hex digits>`,
 * `<epoch seconds>.<sequence>`, both counting from the start of this process.
 */
import type { ActorRuntime } from "../../actors/runtime.js";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { randomHex, type Random } from "../../core/random.js";
import type { ChannelContext } from "../../events/catalogue/channel.js";
import type { CreateChannelInput } from "../../actors/channel/machine.js";
import type { DialOutcome, DialRequest } from "../../dialplan/channel-api.js";
import { HangupError } from "../../dialplan/channel-api.js";
import type { Endpoint, PjsipModel } from "../config/model.js";
import { aclAllows } from "../config/acl.js";
import { tosValue } from "../config/tos.js";
import { artificialChallenge, authenticate, type AuthContext } from "../endpoint/authenticate.js";
import { identifyEndpoint } from "../endpoint/identify.js";
import type { AuthSecurity } from "../endpoint/security.js";
import { SipRequest, formatHost, formatUri, type SipResponse } from "../message/index.js";
import { inheritVariables } from "../../dialplan/variables.js";
import type { Registrar } from "../registrar/registrar.js";
import type { ClientTransaction, ServerTransaction, TransactionLayer } from "../transaction/index.js";
import type { Destination } from "../transport/index.js";
import { Cause, causeFromSipResponse, dialStatusFromCauses, sipTechCause } from "../../dialplan/hangup-causes.js";
import { calleeGosubAction } from "../../dialplan/apps/dial-gosub.js";
import { ALLOW, SipChannel, type ChannelHost } from "./channel.js";
import { Dialog, contactUri, destinationOf, destinationOfUri } from "./dialog.js";
import { TwoPartyBridge, stayBridged } from "./bridge.js";
import { Transfers } from "./transfer.js";
import { Reinvites } from "./reinvite.js";
import { DEFAULT_FEATURES, featuresFromDialOptions, type FeaturesConfig } from "../../dialplan/features.js";
import { answerWithAuths } from "../auth/outbound.js";
import type { CallMedia } from "./media.js";

export interface CallsDeps {
  readonly runtime: ActorRuntime;
  readonly transactions: TransactionLayer;
  readonly model: () => PjsipModel;
  readonly registrar: Registrar;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly security: AuthSecurity;
  readonly nonceSecret: string;
  readonly userAgent: string;
  readonly media: CallMedia;
  /** The endpoint an outbound registration with `line = yes` gave this `line` token (Request-URI parameter). */
  readonly lineEndpoint?: (token: string) => string | undefined;
  /**
   * Whether the dialplan has an extension (a reachable switch counts as yes): an INVITE
   * to an extension that is not there is refused 404 (484 while more digits could
   * match and the endpoint allows overlap), as res_pjsip does, before any channel.
   */
  readonly extensionPresence?: ExtensionPresence;
  /** Run the dialplan on a new inbound channel from context/exten; resolves when it (and `h`) finished. */
  readonly runDialplan: (channel: SipChannel, start: { context: string; exten: string; priority: number }) => Promise<void>;
  /** features.conf (DTMF transfer codes and timeouts); Asterisk's defaults without it. */
  readonly features?: () => FeaturesConfig;
}

export type Presence = "exists" | "more" | "none";
/** Whether the dialplan has `exten` in `context` for this caller, switches asked (maybe over the network). */
export type ExtensionPresence = (context: string, exten: string, now: number, callerId: string) => Presence | Promise<Presence>;

/** One resolved Dial target: a PJSIP endpoint and the URI its INVITE goes to, or a Local channel. */
type Target =
  | { readonly endpoint: Endpoint; readonly uri: string; readonly dialstring: string }
  | { readonly local: { readonly exten: string; readonly context: string; readonly noOptimize: boolean }; readonly dialstring: string };

/** The two halves of a Local channel: ;1 faces the caller, ;2 runs the dialplan. */
interface LocalPair { readonly half1: SipChannel; readonly half2: SipChannel; readonly noOptimize: boolean }

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

/** An endpoint's allow= codecs that the media workers carry, in order (G.711 when none). */
function codecsOf(endpoint: Endpoint): string[] {
  const known = endpoint.allow.filter((c) => c === "ulaw" || c === "alaw" || c === "slin");
  return known.length ? known : ["ulaw", "alaw"];
}

export class Calls implements ChannelHost {
  private readonly channels = new Map<string, SipChannel>();
  /** Established and early dialogs by `Call-ID|local tag`. */
  private readonly dialogs = new Map<string, SipChannel>();
  private sequence = 0;
  /** Local channel pairs by either half. */
  private readonly locals = new Map<SipChannel, LocalPair>();
  /** Calls (inbound channels) handled since start, for `core show channels`. */
  processed = 0;

  /** REFER and the DTMF transfer features (transfer.ts). */
  private readonly transfers: Transfers;
  /** Re-INVITEs: media that follows bridges and applications, and the phones' own re-INVITEs (reinvite.ts). */
  private readonly reinvites: Reinvites;
  /** The channel that dialled each Local `;2`'s pair: whose media a `;2`'s Dial offers or anchors. */
  private readonly localCallers = new WeakMap<SipChannel, SipChannel>();

  constructor(private readonly deps: CallsDeps) {
    this.reinvites = new Reinvites({
      transactions: deps.transactions, clock: deps.clock, random: deps.random, logger: deps.logger, media: deps.media, model: deps.model,
    });
    this.transfers = new Transfers({
      runtime: deps.runtime, clock: deps.clock, logger: deps.logger, media: deps.media, transactions: deps.transactions, model: deps.model,
      features: deps.features ?? (() => DEFAULT_FEATURES),
      presence: (context, exten, callerId) => deps.extensionPresence?.(context, exten, deps.clock.now(), callerId) ?? "exists",
      runDialplan: deps.runDialplan,
      dialogChannel: (key) => this.dialogs.get(key),
      dial: (caller, request) => this.dial(caller, request),
    });
  }

  get runtime(): ActorRuntime { return this.deps.runtime; }
  get clock(): Clock { return this.deps.clock; }
  get logger(): Logger { return this.deps.logger; }
  get media(): CallMedia { return this.deps.media; }

  /** Live channels, oldest first. */
  list(): SipChannel[] { return [...this.channels.values()]; }
  byName(name: string): SipChannel | undefined { return this.list().find((c) => c.name === name); }

  /** Requests the call layer answers: INVITE (new or re-INVITE), BYE, INFO, REFER in a dialog. */
  handle(tx: ServerTransaction): boolean {
    const req = tx.request;
    switch (req.method) {
      case "INVITE":
        if (req.toTag) this.reinvite(tx); else this.invite(tx);
        return true;
      case "BYE": this.bye_(tx); return true;
      case "INFO": this.info(tx); return true;
      case "REFER":
        if (!req.toTag) return false;
        this.transfers.refer(tx, this.dialogs.get(`${req.callId}|${req.toTag}`));
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
    let exten = "s";
    try { exten = req.requestUri.user ? decodeURIComponent(req.requestUri.user) : "s"; } catch { /* undecodable user: s */ }
    const from = req.from;
    const callerId = {
      num: endpoint.callerid?.number ?? (from.uri.user ? safeDecode(from.uri.user) : ""),
      name: endpoint.callerid?.name ?? from.displayName ?? "",
    };
    const presence = this.deps.extensionPresence?.(endpoint.context, exten, now, callerId.num) ?? "exists";
    if (presence instanceof Promise) {
      // A switch asks another node first; a CANCEL meanwhile is answered 487 by the transaction.
      tx.respond(100);
      void presence.then((p) => { if (!tx.cancelled) this.admit(tx, endpoint, exten, callerId, p); });
      return;
    }
    this.admit(tx, endpoint, exten, callerId, presence);
  }

  /** An authenticated INVITE to `exten`: refused when the dialplan lacks it, else a channel that runs it. */
  private admit(tx: ServerTransaction, endpoint: Endpoint, exten: string, callerId: { num: string; name: string }, presence: Presence): void {
    const req = tx.request, source = tx.source;
    if (presence !== "exists") {
      const overlap = presence === "more" && endpoint.allow_overlap;
      if (!overlap) this.deps.logger.log("NOTICE", "res_pjsip_session.c", `Call from '${endpoint.name}' (${source.protocol.toUpperCase()}:${formatHost(source.host)}:${source.port}) to extension '${exten}' rejected because extension not found in context '${endpoint.context}'.`);
      tx.respond(overlap ? 484 : 404);
      return;
    }
    tx.respond(100);
    const channel = this.create({ endpoint }, "in", { callerId, context: endpoint.context, exten, dnid: exten });
    this.processed++;
    channel.invite = tx;
    channel.remoteSdp = req.body.length ? req.body : undefined;
    channel.contactHeader = this.contactFor(destinationOf(source));
    const localTag = tx.localTag;
    channel.dialog = new Dialog({
      callId: req.callId, local: `${req.get("To")};tag=${localTag}`, remote: req.get("From")!,
      remoteTarget: contactUri(req, req.from.uri.host ? `sip:${source.host}:${source.port}` : req.uri),
      routeSet: req.recordRoutes().map((r) => `<${formatUri(r.uri)}>`),
      localCseq: 0, destination: destinationOf(source), contact: channel.contactHeader, userAgent: this.deps.userAgent,
    });
    this.track(channel, `${req.callId}|${localTag}`);
    tx.onCancel(() => {
      tx.respond(487);
      channel.remoteHangup(Cause.NORMAL_CLEARING, channel.name);
    });
    tx.onFailure((reason) => {
      if (reason === "timeout" && channel.state() === "up" && !channel.hungUp) channel.hangup(Cause.NORMAL_CLEARING);
    });
    this.deps.runDialplan(channel, { context: endpoint.context, exten, priority: 1 })
      .catch((e) => { if (!(e instanceof HangupError)) this.deps.logger.log("ERROR", "pbx.c", `Dialplan of ${channel.name} failed: ${(e as Error).message}`); })
      .finally(() => channel.destroy());
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

  reanchor(channel: SipChannel): Promise<string> { return this.reinvites.anchor(channel); }

  private bye_(tx: ServerTransaction): void {
    const channel = this.dialogs.get(`${tx.request.callId}|${tx.request.toTag}`);
    if (!channel) { tx.respond(481); return; }
    tx.respond(200);
    this.untrack(channel);
    channel.remoteHangup(Cause.NORMAL_CLEARING);
  }

  /** DTMF by SIP INFO (application/dtmf-relay `Signal=5`, or application/dtmf `5`). */
  private info(tx: ServerTransaction): void {
    const channel = this.dialogs.get(`${tx.request.callId}|${tx.request.toTag}`);
    if (!channel) { tx.respond(481); return; }
    const body = tx.request.body.toString("latin1");
    const type = (tx.request.contentType ?? "").toLowerCase();
    const signal = type.includes("dtmf-relay") ? /Signal\s*=\s*([0-9A-D*#])/i.exec(body)?.[1] : type.includes("dtmf") ? /^\s*([0-9A-D*#])/i.exec(body)?.[1] : undefined;
    tx.respond(200);
    if (signal) channel.digit(signal.toUpperCase());
  }

  // ---- channels ----

  /** A new channel actor and its leg: a PJSIP endpoint's, or one half of a Local channel. */
  private create(of: { endpoint: Endpoint } | { local: string; half: 1 | 2; n: number }, direction: "in" | "out", fields: {
    callerId: { num: string; name: string }; context: string; exten: string; dnid?: string; linkedid?: string;
    parent?: SipChannel; vars?: Record<string, string>;
  }): SipChannel {
    const n = "local" in of ? of.n : ++this.sequence;
    const seq = "local" in of ? ++this.sequence : n;
    const now = this.deps.clock.now();
    const uniqueid = `${Math.floor(now / 1e6)}.${seq}`;
    const id = `channel:${uniqueid}`;
    const name = "local" in of ? `Local/${of.local}-${hex8(n)};${of.half}` : `PJSIP/${of.endpoint.name}-${hex8(n)}`;
    const endpoint = "endpoint" in of ? of.endpoint : undefined;
    const linkedid = fields.linkedid ?? uniqueid;
    const input: CreateChannelInput = {
      source: "sip", type: "create", name, uniqueid, linkedid, tech: endpoint ? "PJSIP" : "Local", direction,
      ...(endpoint ? { endpoint: endpoint.name } : {}),
      callerId: fields.callerId, context: fields.context, exten: fields.exten,
      ...(endpoint?.accountcode ? { accountcode: endpoint.accountcode } : {}),
      ...(fields.vars && Object.keys(fields.vars).length ? { vars: fields.vars } : {}),
      ...(fields.parent ? { parent: fields.parent.id } : {}),
      ...(fields.dnid ? { dnid: fields.dnid } : {}),
    };
    const t = this.deps.runtime.spawn("channel", id, input, { linkedid });
    const channel = new SipChannel(this, id, name, t.state.context as ChannelContext, direction, endpoint?.language || "en");
    if (endpoint) {
      channel.codecs = codecsOf(endpoint);
      channel.rtp = { tos: tosValue(endpoint.tos_audio), cos: endpoint.cos_audio, symmetric: endpoint.rtp_symmetric };
    }
    this.channels.set(id, channel);
    return channel;
  }

  /** In-dialog requests (BYE, INFO, re-INVITE) find the channel by `Call-ID|our tag`. */
  private track(channel: SipChannel, key: string): void {
    channel.dialogKey = key;
    this.dialogs.set(key, channel);
  }

  private untrack(channel: SipChannel): void {
    if (channel.dialogKey !== undefined && this.dialogs.get(channel.dialogKey) === channel) this.dialogs.delete(channel.dialogKey);
    channel.dialogKey = undefined;
  }

  released(channel: SipChannel): void {
    this.channels.delete(channel.id);
    this.untrack(channel);
  }

  bye(channel: SipChannel): void {
    const dialog = channel.dialog;
    if (!dialog) return;
    this.untrack(channel);
    try {
      this.deps.transactions.sendRequest(dialog.request("BYE"), dialog.destination, {});
    } catch (e) {
      this.deps.logger.log("WARNING", "chan_pjsip.c", `Could not send BYE for ${channel.name}: ${(e as Error).message}`);
    }
  }

  private contactFor(destination: Destination): string {
    const route = this.deps.transactions.transports.route(destination);
    const t = route.transport.protocol === "udp" ? "" : `;transport=${route.transport.protocol}`;
    return `<sip:${formatHost(route.sentBy.host)}:${route.sentBy.port}${t}>`;
  }

  // ---- Dial ----

  /** Resolve one `PJSIP/...` dial string into the INVITE targets it stands for. */
  private resolve(dialstring: string): { targets: Target[]; problem?: string } {
    const model = this.deps.model();
    const local = /^Local\/([^@/]+)(?:@([^/]+))?((?:\/[a-z]+)*)$/i.exec(dialstring.trim());
    if (local) {
      const flags = local[3].toLowerCase().split("/").filter(Boolean);
      return { targets: [{ local: { exten: local[1], context: local[2] ?? "default", noOptimize: flags.includes("n") }, dialstring }] };
    }
    const m = /^PJSIP\/(.+)$/i.exec(dialstring.trim());
    if (!m) return { targets: [], problem: `Unsupported channel technology in '${dialstring}'` };
    let rest = m[1];
    let uri: string | undefined;
    const slash = rest.indexOf("/");
    if (slash >= 0) { uri = rest.slice(slash + 1); rest = rest.slice(0, slash); }
    let user: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) { user = rest.slice(0, at); rest = rest.slice(at + 1); }
    const endpoint = model.endpoints.get(rest);
    if (!endpoint) return { targets: [], problem: `Unable to create PJSIP channel with endpoint '${rest}' as it does not exist` };
    if (uri) return { targets: [{ endpoint, uri, dialstring }] };
    const targets: Target[] = [];
    for (const aor of endpoint.aors) {
      for (const c of this.deps.registrar.contacts(aor)) {
        if (c.context?.qualifyStatus === "Unavail") continue;
        const target = user ? c.uri.replace(/^(sips?:)(?:[^@]*@)?/i, `$1${user}@`) : c.uri;
        targets.push({ endpoint, uri: target, dialstring });
      }
    }
    if (!targets.length) return { targets, problem: `Endpoint '${endpoint.name}' has no reachable contacts` };
    return { targets };
  }

  dial(caller: SipChannel, request: DialRequest): Promise<DialOutcome> {
    const started = this.deps.clock.now();
    const targets: Target[] = [];
    for (const t of request.targets) {
      const r = this.resolve(t.dialstring);
      if (r.problem) this.deps.logger.log("WARNING", "app_dial.c", r.problem);
      targets.push(...r.targets);
    }
    if (!targets.length) {
      caller.change({ type: "dial.end", status: "CHANUNAVAIL" });
      return Promise.resolve({ status: "CHANUNAVAIL", dialedSeconds: 0 });
    }
    return new Promise<DialOutcome>((resolve) => {
      const legs: { channel: SipChannel; tx?: { cancel(): void }; cause?: number; sipStatus?: number }[] = [];
      let settled = false, winner: SipChannel | undefined;
      let answeredAt = 0;
      const seconds = (from: number) => Math.floor((this.deps.clock.now() - from) / 1e6);
      const finish = (outcome: DialOutcome) => {
        if (settled) return;
        settled = true;
        timeout?.cancel();
        caller.onHangup.delete(callerGone);
        if (!outcome.peerName) caller.change({ type: "dial.end", status: outcome.status });
        const ended = legs.filter((l) => l.cause !== undefined).map((l) => ({
          channel: l.channel.name, cause: l.cause!, ...(l.sipStatus ? { tech: sipTechCause(l.sipStatus) } : {}),
        }));
        resolve({ ...outcome, dialedSeconds: seconds(started), ...(ended.length ? { legs: ended } : {}) });
      };
      const failStatus = () => dialStatusFromCauses(legs.map((l) => l.cause ?? Cause.NO_ANSWER));
      const cancelOthers = (cause: number, except?: SipChannel) => {
        for (const l of legs) {
          if (l.channel === except || l.channel.hungUp) continue;
          l.tx?.cancel();
          l.channel.remoteHangup(cause, l.channel.name);
          l.channel.destroy();
        }
      };
      const callerGone = () => {
        if (winner) return;
        cancelOthers(Cause.NORMAL_CLEARING);
        finish({ status: "CANCEL" });
      };
      caller.onHangup.add(callerGone);
      // TIMEOUT(absolute) ran out while the legs ring: cancel them as at the dial timeout.
      request.signal?.addEventListener("abort", () => {
        if (winner || settled) return;
        cancelOthers(Cause.NO_ANSWER);
        finish({ status: "NOANSWER" });
      }, { once: true });
      if ("r" in request.options) caller.ringing(); // r: ring the caller now, whatever the callee does
      const limit = request.timeout;
      const timeout = limit !== undefined && limit > 0
        ? this.deps.clock.schedule(this.deps.clock.now() + limit * 1e6, () => {
          if (winner || settled) return;
          this.deps.logger.log("VERBOSE", "app_dial.c", `Nobody picked up in ${limit * 1000} ms`);
          cancelOthers(Cause.NO_ANSWER);
          finish({ status: "NOANSWER" });
        })
        : undefined;
      const legFailed = () => {
        if (winner || settled) return;
        if (legs.every((l) => l.channel.hungUp)) finish({ status: failStatus(), ...(legs[0]?.cause ? { cause: legs[0].cause } : {}) });
      };

      // m: the caller hears music on hold (started by Dial) until answer, not the callee's ringing or early media.
      const moh = "m" in request.options;
      for (const target of targets) {
        const ctx = caller.context();
        const progress = {
          ringing: (callee: SipChannel) => { if (!winner) { if (callee.tech === "PJSIP") callee.ringing(); if (!moh) caller.ringing(); } },
          progress: (callee: SipChannel, sdp: Buffer | undefined) => {
            if (winner) return;
            callee.change({ type: "progress" }, "sip");
            if (!sdp || moh) return;
            if (!callee.media) { caller.answerSdpOverride = sdp; caller.progress(); return; }
            // Anchored: the callee's early media reaches the caller through the two sessions.
            void caller.anchorMedia().then((id) => this.deps.media.bridge(id, callee.media!)).then(() => caller.progress()).catch(() => undefined);
          },
          answered: (callee: SipChannel) => {
            if (winner || settled || caller.hungUp) { callee.hangup(Cause.NORMAL_CLEARING, caller.name); callee.destroy(); return; }
            winner = callee;
            request.onAnswer?.({ name: callee.name, uniqueid: callee.context().uniqueid });
            if (moh) caller.stopMusicOnHold();
            answeredAt = this.deps.clock.now();
            timeout?.cancel();
            cancelOthers(Cause.ANSWERED_ELSEWHERE, callee);
            void (async () => {
              // U(sub): a subroutine on the called party before the bridge; it may refuse the call.
              if (request.options.U && request.runSubroutine) {
                const r = await request.runSubroutine(callee, request.options.U);
                // ABORT ends both legs, BUSY and CONGESTION fail the called leg so; CONTINUE and
                // GOTO hang up the called leg and the caller goes on (next priority, or there).
                const result = calleeGosubAction(r.result);
                if (result) {
                  callee.hangup(Cause.NORMAL_CLEARING, callee.name);
                  callee.destroy();
                  if (result.action === "abort") caller.hangup(Cause.NORMAL_CLEARING, callee.name);
                  if (result.action === "continue" || result.action === "goto") {
                    caller.change({ type: "dial.end", status: "ANSWER" });
                    finish({ status: "ANSWER", peerName: callee.name, answeredSeconds: 0, next: result.action === "goto" ? { goto: result.target } : "continue" });
                  } else {
                    finish({ status: result.action === "busy" ? "BUSY" : result.action === "congestion" ? "CONGESTION" : "CANCEL" });
                  }
                  return;
                }
              }
              if (caller.hungUp || callee.hungUp) { if (!callee.hungUp) callee.hangup(Cause.NORMAL_CLEARING, caller.name); callee.destroy(); finish({ status: "CANCEL" }); return; }
              caller.change({ type: "dial.end", status: "ANSWER" });
              const peer = await this.bridgeAnswered(caller, callee, request);
              finish({ status: "ANSWER", peerName: peer.name, answeredSeconds: seconds(answeredAt), ...this.transfers.continuation(caller) });
            })();
          },
        };
        const fields = { callerId: ctx.callerId, exten: ctx.exten, linkedid: ctx.linkedid, parent: caller, vars: inherited(ctx.vars) };
        if ("local" in target) {
          const pair = this.localPair(target.local, fields);
          const leg: (typeof legs)[number] = { channel: pair.half1 };
          legs.push(leg);
          caller.change({ type: "dial.begin", peer: pair.half1.id, dialstring: target.dialstring });
          pair.half2.onRinging = () => progress.ringing(pair.half1);
          pair.half2.onAnswer = () => {
            // What the caller is answered with: ;2's media session's SDP, or (direct media) its callee's.
            pair.half1.remoteSdp = pair.half2.media ? pair.half2.localSdp : pair.half2.answerSdpOverride ?? pair.half2.localSdp;
            pair.half1.change({ type: "answer" }, "actor");
            progress.answered(pair.half1);
          };
          pair.half2.onHangup.add(() => {
            if (pair.half1.hungUp) return;
            if (pair.half1.state() === "up") { pair.half1.remoteHangup(Cause.NORMAL_CLEARING, pair.half2.context().hangupSource ?? ""); return; }
            leg.cause = pair.half2.context().hangupCause ?? Cause.NORMAL_CLEARING;
            pair.half1.remoteHangup(leg.cause, pair.half1.name);
            pair.half1.destroy();
            legFailed();
          });
          this.startLocal(pair, target.local, caller);
          continue;
        }
        const callee = this.create({ endpoint: target.endpoint }, "out", { ...fields, context: target.endpoint.context });
        const leg: (typeof legs)[number] = { channel: callee };
        legs.push(leg);
        caller.change({ type: "dial.begin", peer: callee.id, dialstring: target.dialstring });
        this.deps.logger.log("VERBOSE", "app_dial.c", `Called ${target.dialstring}`);
        void (async () => {
          try {
            // b(sub): a subroutine on each called channel before its INVITE goes out.
            if (request.options.b && request.runSubroutine) await request.runSubroutine(callee, request.options.b);
            const offer = await this.offerFor(caller, callee, target.endpoint, request.options);
            if (callee.hungUp) return;
            leg.tx = this.sendInvite(caller, callee, target, offer, {
              ringing: () => progress.ringing(callee),
              progress: (sdp) => progress.progress(callee, sdp),
              answered: () => progress.answered(callee),
              failed: (cause, status) => { leg.cause = cause; leg.sipStatus = status; callee.destroy(); legFailed(); },
            });
          } catch (e) {
            this.deps.logger.log("WARNING", "app_dial.c", `Unable to call ${target.dialstring}: ${(e as Error).message}`);
            leg.cause = Cause.DESTINATION_OUT_OF_ORDER;
            callee.remoteHangup(Cause.DESTINATION_OUT_OF_ORDER, callee.name);
            callee.destroy();
            legFailed();
          }
        })();
      }
      legFailed();
    });
  }

  /** The two halves of `Local/exten@context`, sharing one number: `;1` is dialled, `;2` runs the dialplan. */
  private localPair(local: { exten: string; context: string; noOptimize: boolean }, fields: {
    callerId: { num: string; name: string }; exten: string; linkedid: string; parent: SipChannel; vars: Record<string, string>;
  }): LocalPair {
    const n = ++this.sequence;
    const resource = `${local.exten}@${local.context}`;
    const half1 = this.create({ local: resource, half: 1, n }, "out", { ...fields, context: local.context, exten: local.exten });
    const half2 = this.create({ local: resource, half: 2, n }, "in", {
      callerId: fields.callerId, context: local.context, exten: local.exten, linkedid: fields.linkedid, vars: fields.vars,
    });
    const pair: LocalPair = { half1, half2, noOptimize: local.noOptimize };
    this.locals.set(half1, pair);
    this.locals.set(half2, pair);
    // Whichever half ends first takes the other with it.
    half1.onHangup.add(() => { if (!half2.hungUp) half2.hangup(Cause.NORMAL_CLEARING, half1.context().hangupSource ?? half1.name); });
    return pair;
  }

  /** Run the dialplan on `;2` with the caller's SDP offer; `;2` is destroyed when it is done. */
  private startLocal(pair: LocalPair, local: { exten: string; context: string }, caller: SipChannel): void {
    pair.half2.remoteSdp = caller.remoteSdp;
    this.localCallers.set(pair.half2, caller);
    pair.half1.change({ type: "dialing" }, "actor");
    this.deps.runDialplan(pair.half2, { context: local.context, exten: local.exten, priority: 1 })
      .catch((e) => { if (!(e instanceof HangupError)) this.deps.logger.log("ERROR", "pbx.c", `Dialplan of ${pair.half2.name} failed: ${(e as Error).message}`); })
      .finally(() => { pair.half2.destroy(); this.locals.delete(pair.half2); });
  }

  /**
   * A Local pair whose both halves are bridged (caller ↔ ;1, ;2 ↔ far party) leaves the
   * path: the far party moves into the caller's bridge and both halves hang up
   * (LOCAL_OPTIMIZE), unless the pair was dialled with /n.
   */
  private optimize(channel: SipChannel): void {
    const pair = this.locals.get(channel);
    if (!pair || pair.noOptimize) return;
    const outer = pair.half1.bridge, inner = pair.half2.bridge;
    if (!outer || !inner || pair.half1.hungUp || pair.half2.hungUp) return;
    const far = inner.members.find((m) => m !== pair.half2);
    if (!far) return;
    pair.half1.change({ type: "local.optimize", other: pair.half2.id, peer: far.id }, "actor");
    inner.dissolve(far);
    outer.replace(pair.half1, far);
    this.locals.delete(pair.half1);
    for (const half of [pair.half1, pair.half2]) half.hangup(Cause.NORMAL_CLEARING, "");
    pair.half1.destroy();
  }

  /**
   * The callee answered: answer the caller with the callee's SDP, bridge them, and wait
   * until the caller leaves its bridges (bridge.ts stayBridged, which follows it through
   * Local optimisations and transfers). The far side of whoever hung up is hung up too,
   * named after the one who did; with Dial's g option the caller goes on in the dialplan
   * instead. Resolves with the party the caller was last bridged to.
   */
  private async bridgeAnswered(caller: SipChannel, callee: SipChannel, request: DialRequest): Promise<SipChannel> {
    if (!callee.media) caller.answerSdpOverride = callee.remoteSdp;
    if (caller.state() !== "up") await caller.answer().catch(() => undefined);
    if (callee.media) await this.deps.media.bridge(await caller.anchorMedia(), callee.media).catch((e: Error) => this.deps.logger.log("WARNING", "bridge.c", `No media between ${caller.name} and ${callee.name}: ${e.message}`));
    const bridge = new TwoPartyBridge(this.deps.runtime, this.deps.random, caller, callee, (b, initial) => this.reinvites.joined(b, initial));
    for (const m of [...bridge.members]) this.optimize(m);
    this.transfers.bridged(bridge, request.options);
    // L(x[:y][:z]): the call lasts at most x ms; then the called party is hung up and the caller goes on.
    const limitMs = Number((request.options.L ?? "").split(":")[0]);
    let limited = false;
    const limit = limitMs > 0 ? this.deps.clock.schedule(this.deps.clock.now() + limitMs * 1000, () => {
      limited = true;
      caller.bridge?.partner(caller)?.hangup(Cause.NORMAL_CLEARING, caller.name);
    }) : undefined;
    const peer = await stayBridged(caller, bridge, () => limited || "g" in request.options);
    limit?.cancel();
    return peer ?? callee;
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
  private async offerFor(caller: SipChannel, callee: SipChannel, endpoint: Endpoint, options: Readonly<Record<string, string>>): Promise<Buffer> {
    let origin = caller;
    for (let i = 0; origin.tech === "Local" && i < 8; i++) origin = this.localCallers.get(origin) ?? origin;
    const originEndpoint = origin.tech === "PJSIP" ? this.deps.model().endpoints.get(origin.context().endpoint) : undefined;
    const features = featuresFromDialOptions(options);
    const inMedia = (e: Endpoint | undefined) => e?.dtmf_mode !== "info" && e?.dtmf_mode !== "none";
    const hooks = (features.caller.length > 0 && inMedia(originEndpoint)) || (features.callee.length > 0 && inMedia(endpoint));
    const direct = !origin.media && caller.remoteSdp && !hooks
      && (origin.tech === "Local" || (originEndpoint?.direct_media !== false && endpoint.direct_media));
    if (direct) return caller.remoteSdp!;
    const leg = await this.deps.media.offer(callee, origin.media ?? caller.media);
    callee.media = leg.id;
    if (callee.hungUp) callee.releaseMedia();
    return leg.sdp;
  }

  /** Send the INVITE of an outbound leg and report its progress. */
  private sendInvite(caller: SipChannel, callee: SipChannel, target: Extract<Target, { uri: string }>, offer: Buffer, on: {
    ringing(): void; progress(sdp: Buffer | undefined): void; answered(): void; failed(cause: number, sipStatus?: number): void;
  }): { cancel(): void } {
    const { transactions } = this.deps;
    const destination = destinationOfUri(target.uri);
    const route = transactions.transports.route(destination);
    const host = formatHost(route.sentBy.host);
    const ctx = caller.context();
    const callId = randomHex(this.deps.random, 16);
    const fromTag = transactions.newTag();
    const fromUser = target.endpoint.from_user || ctx.callerId.num || "anonymous";
    const fromHost = target.endpoint.from_domain || host;
    const from = `${ctx.callerId.name ? `"${ctx.callerId.name.replace(/["\\]/g, "")}" ` : ""}<sip:${encodeUser(fromUser)}@${fromHost}>;tag=${fromTag}`;
    const contact = this.contactFor(destination);
    callee.contactHeader = contact;
    callee.localSdp = offer;
    callee.change({ type: "dialing" }, "sip");
    let cseq = 1;
    let current: ClientTransaction;
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
    const send = (request: SipRequest, authenticated: boolean): ClientTransaction => transactions.sendRequest(request, destination, {
      onProvisional: (r) => {
        if (r.status === 180 || r.status === 181 || r.status === 182) on.ringing();
        else if (r.status === 183) {
          const sdp = r.body.length ? r.body : undefined;
          if (sdp && callee.media) void this.deps.media.remote(callee.media, sdp, callee.codecs).catch(() => undefined);
          on.progress(sdp);
        }
      },
      onFinal: (r, t) => {
        if (r.status >= 200 && r.status < 300) {
          if (callee.dialog) { this.ackFor(callee, r, t, destination); return; } // a 2xx retransmission or fork: ACK it
          callee.remoteSdp = r.body.length ? r.body : undefined;
          if (callee.media && callee.remoteSdp) void this.deps.media.remote(callee.media, callee.remoteSdp, callee.codecs).catch(() => undefined);
          const remoteTarget = contactUri(r, target.uri);
          callee.dialog = new Dialog({
            callId, local: from, remote: r.get("To")!, remoteTarget,
            routeSet: r.recordRoutes().reverse().map((x) => `<${formatUri(x.uri)}>`),
            localCseq: cseq, destination: destinationOfUri(remoteTarget), contact, userAgent: this.deps.userAgent,
          });
          this.track(callee, `${callId}|${fromTag}`);
          this.ackFor(callee, r, t, destination);
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
        const cause = causeFromSipResponse(r.status);
        callee.remoteHangup(cause, callee.name);
        on.failed(cause, r.status);
      },
      onTimeout: () => { callee.remoteHangup(Cause.NO_USER_RESPONSE, callee.name); on.failed(Cause.NO_USER_RESPONSE); },
      onTransportError: () => { callee.remoteHangup(Cause.DESTINATION_OUT_OF_ORDER, callee.name); on.failed(Cause.DESTINATION_OUT_OF_ORDER); },
    });
    current = send(invite(), false);
    return { cancel: () => { current.cancel(); } };
  }

  private ackFor(callee: SipChannel, response: SipResponse, tx: ClientTransaction, fallback: Destination): void {
    const dialog = callee.dialog;
    if (!dialog) return;
    const ack = dialog.request("ACK", { cseq: Number(tx.request.get("CSeq")?.split(" ")[0] ?? 1) });
    if (response.toTag) ack.set("To", response.get("To")!);
    tx.ack(ack, dialog.destination ?? fallback);
  }
  /** Bridge() application: join the caller with another live channel. */
  async bridgeWith(caller: SipChannel, channelName: string): Promise<DialOutcome> {
    const other = this.byName(channelName);
    if (!other || other.hungUp) return { status: "CHANUNAVAIL" };
    const peer = await this.bridgeAnswered(caller, other, { targets: [], options: {} });
    return { status: "ANSWER", peerName: peer.name };
  }
}

/** Variables a called channel inherits (`_VAR` one level, `__VAR` all descendants). */
function inherited(vars: Readonly<Record<string, string>>): Record<string, string> {
  const list = inheritVariables(Object.entries(vars).map(([name, value]) => ({ name, value })));
  return Object.fromEntries(list.map((v) => [v.name, v.value]));
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

function encodeUser(s: string): string {
  return s.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

