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
import { artificialChallenge, authenticate, type AuthContext } from "../endpoint/authenticate.js";
import { identifyEndpoint } from "../endpoint/identify.js";
import type { AuthSecurity } from "../endpoint/security.js";
import { SipRequest, formatHost, formatUri, type SipResponse } from "../message/index.js";
import { inheritVariables } from "../../dialplan/variables.js";
import type { Registrar } from "../registrar/registrar.js";
import type { ClientTransaction, ServerTransaction, TransactionLayer } from "../transaction/index.js";
import type { Destination } from "../transport/index.js";
import { Cause, causeFromSip, dialStatusFromCause, type DialStatus } from "./causes.js";
import { ALLOW, SipChannel, type ChannelHost } from "./channel.js";
import { Dialog, contactUri, destinationOf, destinationOfUri } from "./dialog.js";
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
  /** Run the dialplan on a new inbound channel from context/exten; resolves when it (and `h`) finished. */
  readonly runDialplan: (channel: SipChannel, start: { context: string; exten: string; priority: number }) => Promise<void>;
}

/** One resolved Dial target: the endpoint and the URI its INVITE goes to. */
interface Target { readonly endpoint: Endpoint; readonly uri: string; readonly dialstring: string }

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

export class Calls implements ChannelHost {
  private readonly channels = new Map<string, SipChannel>();
  /** Established and early dialogs by `Call-ID|local tag`. */
  private readonly dialogs = new Map<string, SipChannel>();
  private sequence = 0;
  /** Calls (inbound channels) handled since start, for `core show channels`. */
  processed = 0;

  constructor(private readonly deps: CallsDeps) {
    deps.transactions.onAck((ack) => this.ack(ack));
  }

  get runtime(): ActorRuntime { return this.deps.runtime; }
  get clock(): Clock { return this.deps.clock; }
  get logger(): Logger { return this.deps.logger; }
  get media(): CallMedia { return this.deps.media; }

  /** Live channels, oldest first. */
  list(): SipChannel[] { return [...this.channels.values()]; }
  byName(name: string): SipChannel | undefined { return this.list().find((c) => c.name === name); }

  /** Requests the call layer answers: INVITE (new or re-INVITE), BYE, INFO. */
  handle(tx: ServerTransaction): boolean {
    const req = tx.request;
    switch (req.method) {
      case "INVITE":
        if (req.toTag) this.reinvite(tx); else this.invite(tx);
        return true;
      case "BYE": this.bye_(tx); return true;
      case "INFO": this.info(tx); return true;
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
    const identified = identifyEndpoint(model, req, source);
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
    tx.respond(100);
    let exten = "s";
    try { exten = req.requestUri.user ? decodeURIComponent(req.requestUri.user) : "s"; } catch { /* undecodable user: s */ }
    const from = req.from;
    const callerId = {
      num: endpoint.callerid?.number ?? (from.uri.user ? safeDecode(from.uri.user) : ""),
      name: endpoint.callerid?.name ?? from.displayName ?? "",
    };
    const channel = this.create(endpoint, "in", { callerId, context: endpoint.context, exten, dnid: exten });
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
    this.dialogs.set(`${req.callId}|${localTag}`, channel);
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

  /** A re-INVITE (session refresh, hold): answer it with the SDP we last sent. */
  private reinvite(tx: ServerTransaction): void {
    const channel = this.dialogs.get(`${tx.request.callId}|${tx.request.toTag}`);
    if (!channel) { tx.respond(481); return; }
    if (tx.request.body.length) channel.remoteSdp = tx.request.body;
    tx.respond(200, { headers: [["Contact", channel.contactHeader], ["Content-Type", "application/sdp"], ["Allow", ALLOW]], body: channel.localSdp ?? Buffer.alloc(0) });
  }

  private ack(_ack: SipRequest): void { /* 2xx ACKs need nothing more: the channel is already Up */ }

  private bye_(tx: ServerTransaction): void {
    const channel = this.dialogs.get(`${tx.request.callId}|${tx.request.toTag}`);
    if (!channel) { tx.respond(481); return; }
    tx.respond(200);
    this.dialogs.delete(`${tx.request.callId}|${tx.request.toTag}`);
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

  private create(endpoint: Endpoint, direction: "in" | "out", fields: {
    callerId: { num: string; name: string }; context: string; exten: string; dnid?: string; linkedid?: string;
    parent?: SipChannel; vars?: Record<string, string>;
  }): SipChannel {
    const n = ++this.sequence;
    const now = this.deps.clock.now();
    const uniqueid = `${Math.floor(now / 1e6)}.${n}`;
    const id = `channel:${uniqueid}`;
    const name = `PJSIP/${endpoint.name}-${hex8(n)}`;
    const linkedid = fields.linkedid ?? uniqueid;
    const input: CreateChannelInput = {
      source: "sip", type: "create", name, uniqueid, linkedid, tech: "PJSIP", direction, endpoint: endpoint.name,
      callerId: fields.callerId, context: fields.context, exten: fields.exten,
      ...(endpoint.accountcode ? { accountcode: endpoint.accountcode } : {}),
      ...(fields.vars && Object.keys(fields.vars).length ? { vars: fields.vars } : {}),
      ...(fields.parent ? { parent: fields.parent.id } : {}),
      ...(fields.dnid ? { dnid: fields.dnid } : {}),
    };
    const t = this.deps.runtime.spawn("channel", id, input, { linkedid });
    const channel = new SipChannel(this, id, name, t.state.context as ChannelContext, direction, endpoint.language || "en");
    this.channels.set(id, channel);
    return channel;
  }

  released(channel: SipChannel): void {
    this.channels.delete(channel.id);
    for (const [key, c] of this.dialogs) if (c === channel) this.dialogs.delete(key);
  }

  bye(channel: SipChannel): void {
    const dialog = channel.dialog;
    if (!dialog) return;
    for (const [key, c] of this.dialogs) if (c === channel) this.dialogs.delete(key);
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
    if (!targets.length) return Promise.resolve({ status: "CHANUNAVAIL", dialedSeconds: 0 });
    return new Promise<DialOutcome>((resolve) => {
      const legs: { channel: SipChannel; tx?: ClientTransaction; cause?: number }[] = [];
      let settled = false, winner: SipChannel | undefined;
      let answeredAt = 0;
      const seconds = (from: number) => Math.floor((this.deps.clock.now() - from) / 1e6);
      const finish = (outcome: DialOutcome) => {
        if (settled) return;
        settled = true;
        timeout?.cancel();
        caller.onHangup.delete(callerGone);
        if (!outcome.peerName) caller.change({ type: "dial.end", status: outcome.status });
        resolve({ ...outcome, dialedSeconds: seconds(started) });
      };
      const failStatus = (): DialStatus => {
        const statuses = legs.map((l) => dialStatusFromCause(l.cause ?? Cause.NO_ANSWER));
        for (const s of ["BUSY", "CONGESTION", "NOANSWER"] as const) if (statuses.includes(s)) return s;
        return "CHANUNAVAIL";
      };
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

      for (const target of targets) {
        const ctx = caller.context();
        const callee = this.create(target.endpoint, "out", {
          callerId: ctx.callerId, context: target.endpoint.context, exten: ctx.exten, linkedid: ctx.linkedid, parent: caller,
          vars: inherited(ctx.vars),
        });
        const leg: (typeof legs)[number] = { channel: callee };
        legs.push(leg);
        caller.change({ type: "dial.begin", peer: callee.id, dialstring: target.dialstring });
        this.deps.logger.log("VERBOSE", "app_dial.c", `Called ${target.dialstring.replace(/^PJSIP\//i, "PJSIP/")}`);
        try {
          leg.tx = this.sendInvite(caller, callee, target, {
            ringing: () => { if (!winner) { callee.ringing(); caller.ringing(); } },
            progress: (sdp) => {
              if (winner) return;
              callee.change({ type: "progress" }, "sip");
              if (sdp) { caller.answerSdpOverride = sdp; caller.progress(); }
            },
            answered: () => {
              if (winner || settled || caller.hungUp) { callee.hangup(Cause.NORMAL_CLEARING, caller.name); callee.destroy(); return; }
              winner = callee;
              answeredAt = this.deps.clock.now();
              timeout?.cancel();
              cancelOthers(26 /* answered elsewhere */, callee);
              caller.change({ type: "dial.end", status: "ANSWER" });
              void this.bridgeAnswered(caller, callee, request).then((byCallee) => {
                finish({ status: "ANSWER", peerName: callee.name, answeredSeconds: seconds(answeredAt) });
                void byCallee;
              });
            },
            failed: (cause) => { leg.cause = cause; callee.destroy(); legFailed(); },
          });
        } catch (e) {
          this.deps.logger.log("WARNING", "app_dial.c", `Unable to call ${target.dialstring}: ${(e as Error).message}`);
          leg.cause = Cause.DESTINATION_OUT_OF_ORDER;
          callee.remoteHangup(Cause.DESTINATION_OUT_OF_ORDER, callee.name);
          callee.destroy();
        }
      }
      legFailed();
    });
  }

  /**
   * The callee answered: answer the caller with the callee's SDP, put both in a bridge,
   * and wait for either side to hang up. Resolves true when the callee hung up first.
   */
  private async bridgeAnswered(caller: SipChannel, callee: SipChannel, request: DialRequest): Promise<boolean> {
    const { runtime, clock, random } = this.deps;
    caller.answerSdpOverride = callee.remoteSdp;
    if (caller.state() !== "up") await caller.answer().catch(() => undefined);
    const bridgeId = `${randomHex(random, 8)}-${randomHex(random, 4)}-${randomHex(random, 4)}-${randomHex(random, 4)}-${randomHex(random, 12)}`;
    const id = `bridge:${bridgeId}`;
    runtime.spawn("bridge", id, { source: "dialplan", type: "create", id: bridgeId, technology: "simple_bridge", name: "" }, { linkedid: caller.context().linkedid });
    for (const [c, peer] of [[callee, caller], [caller, callee]] as const) {
      runtime.send(id, { source: "dialplan", type: "enter", channel: c.id });
      c.change({ type: "bridge.enter", bridge: bridgeId, peer: peer.id });
    }
    const byCallee = await new Promise<boolean>((resolve) => {
      if (caller.hungUp) return resolve(false);
      if (callee.hungUp) return resolve(true);
      caller.onHangup.add(() => resolve(false));
      callee.onHangup.add(() => resolve(true));
    });
    for (const c of [caller, callee]) {
      c.change({ type: "bridge.exit", bridge: bridgeId });
      runtime.send(id, { source: "dialplan", type: "leave", channel: c.id });
    }
    runtime.send(id, { source: "dialplan", type: "destroy" });
    void clock;
    const source = byCallee ? callee : caller;
    const other = byCallee ? caller : callee;
    // The far side of whoever hung up is hung up too, named after the one who did; with
    // Dial's g option the caller goes on in the dialplan instead.
    if (!byCallee) { callee.hangup(Cause.NORMAL_CLEARING, source.name); callee.destroy(); }
    else { callee.destroy(); if (!("g" in request.options)) other.hangup(Cause.NORMAL_CLEARING, source.name); }
    return byCallee;
  }

  /** Send the INVITE of an outbound leg and report its progress. */
  private sendInvite(caller: SipChannel, callee: SipChannel, target: Target, on: {
    ringing(): void; progress(sdp: Buffer | undefined): void; answered(): void; failed(cause: number): void;
  }): ClientTransaction {
    const { transactions } = this.deps;
    const destination = destinationOfUri(target.uri);
    const route = transactions.transports.route(destination);
    const host = formatHost(route.sentBy.host);
    const ctx = caller.context();
    const callId = randomHex(this.deps.random, 16);
    const fromTag = transactions.newTag();
    const from = `${ctx.callerId.name ? `"${ctx.callerId.name.replace(/["\\]/g, "")}" ` : ""}<sip:${encodeUser(ctx.callerId.num || "anonymous")}@${host}>;tag=${fromTag}`;
    const to = `<${target.uri}>`;
    const contact = this.contactFor(destination);
    callee.contactHeader = contact;
    const invite = new SipRequest("INVITE", target.uri);
    invite.set("From", from);
    invite.set("To", to);
    invite.set("Contact", contact);
    invite.set("Call-ID", callId);
    invite.set("CSeq", "1 INVITE");
    invite.set("Allow", ALLOW);
    invite.set("User-Agent", this.deps.userAgent);
    const offer = caller.remoteSdp ?? this.deps.media.answer(undefined, Number(ctx.uniqueid.split(".")[1]));
    invite.set("Content-Type", "application/sdp");
    invite.body = offer;
    callee.localSdp = offer;
    callee.change({ type: "dialing" }, "sip");
    const tx = transactions.sendRequest(invite, destination, {
      onProvisional: (r) => {
        if (r.status === 180 || r.status === 181 || r.status === 182) on.ringing();
        else if (r.status === 183) on.progress(r.body.length ? r.body : undefined);
      },
      onFinal: (r, t) => {
        if (r.status >= 200 && r.status < 300) {
          if (callee.dialog) { this.ackFor(callee, r, t, destination); return; } // a 2xx retransmission or fork: ACK it
          callee.remoteSdp = r.body.length ? r.body : undefined;
          const remoteTarget = contactUri(r, target.uri);
          callee.dialog = new Dialog({
            callId, local: from, remote: r.get("To")!, remoteTarget,
            routeSet: r.recordRoutes().reverse().map((x) => `<${formatUri(x.uri)}>`),
            localCseq: 1, destination: destinationOfUri(remoteTarget), contact, userAgent: this.deps.userAgent,
          });
          this.dialogs.set(`${callId}|${fromTag}`, callee);
          this.ackFor(callee, r, t, destination);
          callee.change({ type: "answer" }, "sip");
          on.answered();
        } else {
          const cause = causeFromSip(r.status);
          callee.remoteHangup(cause, callee.name);
          on.failed(cause);
        }
      },
      onTimeout: () => { callee.remoteHangup(Cause.NO_USER_RESPONSE, callee.name); on.failed(Cause.NO_USER_RESPONSE); },
      onTransportError: () => { callee.remoteHangup(Cause.DESTINATION_OUT_OF_ORDER, callee.name); on.failed(Cause.DESTINATION_OUT_OF_ORDER); },
    });
    return tx;
  }

  private ackFor(callee: SipChannel, response: SipResponse, tx: ClientTransaction, fallback: Destination): void {
    const dialog = callee.dialog;
    const ack = dialog ? dialog.request("ACK", { cseq: 1 }) : undefined;
    if (!ack) return;
    if (response.toTag) ack.set("To", response.get("To")!);
    tx.ack(ack, dialog?.destination ?? fallback);
  }

  /** Bridge() application: join the caller with another live channel. */
  async bridgeWith(caller: SipChannel, channelName: string): Promise<DialOutcome> {
    const other = this.byName(channelName);
    if (!other || other.hungUp) return { status: "CHANUNAVAIL" };
    const byOther = await this.bridgeAnswered(caller, other, { targets: [], options: {} });
    void byOther;
    return { status: "ANSWER", peerName: other.name };
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

