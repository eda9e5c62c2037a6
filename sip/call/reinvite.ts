/**
 * Media after a call changes shape: re-INVITEs (RFC 3261 §14) on established legs.
 *
 * Recall passes SDP through when both endpoints of a Dial allow direct media, so the
 * phones send RTP to each other. When a leg's partner changes (a transfer, a Local
 * optimisation, Bridge()), or an application needs a leg's audio, the phones must be
 * told where to send now. Asterisk does this with its native RTP bridge: a channel
 * leaving a remote (direct) native bridge is re-INVITEd back to Asterisk, and once the
 * new bridge holds two channels that both allow direct media, share a codec and have no
 * DTMF hooks or audio hooks, both are re-INVITEd to each other. Recall goes straight to
 * that end state (one re-INVITE per phone instead of two): nothing is played to a
 * REFER-transferred party between its two bridges, so the round trip through Recall
 * would carry no audio. When the new partners cannot talk directly (one is anchored in
 * Recall, an endpoint has `direct_media = no`, no common codec), each direct leg is
 * re-INVITEd to a media session of its own and the two sessions are bridged in the
 * media workers (transcoding if need be), as Asterisk's simple bridge does.
 *
 * Offers keep each phone's view of the session consistent: the `o=` line it last got
 * from us, with the version incremented (RFC 3264 §8), whatever SDP we now relay.
 * A 491 (glare) is retried after a random 2.1–4 s when Recall owns the Call-ID (it
 * placed the call), else after 0–2 s (RFC 3261 §14.1), from the injected clock and
 * random; other failures keep the call as it is and log a WARNING.
 *
 * Incoming re-INVITEs (hold, a new address): a hold or unhold offer is first recorded on
 * the channel (its `hold`/`unhold` input); then on an anchored leg the media session's
 * remote is updated and we answer from it (a=sendonly is answered a=recvonly; the bridge
 * stays); on a direct leg bridged to another direct leg the offer is relayed to the
 * partner, as a B2BUA does, and the partner's answer returned.
 */
import { sessionTimerHeaders } from "./session-timer.js";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import type { Random } from "../../core/random.js";
import type { PjsipModel } from "../config/model.js";
import { ownBytes, reasonPhrase } from "../message/index.js";
import { SdpError, createAnswer, isHoldOffer, parseSdp, remoteMedia, CODECS } from "../sdp/index.js";
import type { ServerTransaction, TransactionLayer } from "../transaction/index.js";
import type { TwoPartyBridge } from "../../calls/bridge.js";
import type { Channel } from "../../calls/channel.js";
import type { CallMedia } from "../../calls/media.js";
import { ALLOW, sipLeg } from "./leg.js";

export interface ReinviteHost {
  readonly transactions: TransactionLayer;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly media: CallMedia;
  model(): PjsipModel;
}

/** What one re-INVITE came to: the final status (0: the leg is gone) and the answer SDP of a 2xx. */
export interface ReinviteOutcome { readonly status: number; readonly answer?: Buffer }

/** `address:port` of an SDP's first audio stream (where its owner receives RTP), or undefined. */
export function mediaTarget(sdp: Buffer | undefined): string | undefined {
  if (!sdp) return undefined;
  try {
    const sd = parseSdp(sdp);
    const m = sd.media.find((x) => x.type === "audio" && x.port !== 0);
    const c = m?.connection ?? sd.connection;
    return m && c ? `${c.address}:${m.port}` : undefined;
  } catch {
    return undefined;
  }
}

const ORIGIN = /^o=([^\r\n]*)(\r?\n)/m;

/**
 * `sdp` as the next offer or answer of a session whose last SDP from us was `previous`:
 * the same `o=` username, id and address with the version incremented (RFC 3264 §8),
 * or `previous` itself when nothing else changed. Everything else is kept byte for byte.
 */
export function versioned(sdp: Buffer, previous: Buffer | undefined): Buffer {
  if (!previous) return sdp;
  const text = sdp.toString("latin1"), before = previous.toString("latin1");
  const next = ORIGIN.exec(text), last = ORIGIN.exec(before);
  if (!next || !last) return sdp;
  if (text.replace(ORIGIN, "") === before.replace(ORIGIN, "")) return previous;
  const o = last[1].split(" ");
  if (o.length !== 6) return sdp;
  let version: string;
  try { version = (BigInt(o[2]) + 1n).toString(); } catch { version = "1"; }
  o[2] = version;
  return ownBytes(text.replace(ORIGIN, `o=${o.join(" ")}$2`));
}

const KNOWN = Object.keys(CODECS);

/** The codecs an SDP lists that Recall knows, by name. */
function codecNames(sdp: Buffer): Set<string> {
  try {
    return new Set(Object.values(remoteMedia(sdp, KNOWN).payloadTypes));
  } catch {
    return new Set();
  }
}

/** Whether two SDPs have a codec in common (the phones can then talk without transcoding). */
export function shareCodec(a: Buffer, b: Buffer): boolean {
  const theirs = codecNames(b);
  for (const c of codecNames(a)) if (theirs.has(c)) return true;
  return false;
}

/**
 * How long to wait before trying a re-INVITE again after a 491 (RFC 3261 §14.1): the UA
 * that owns the Call-ID (generated it) waits 2.1–4 s, the other 0–2 s, in 10 ms units.
 */
export function glareDelayMs(random: Random, ownsCallId: boolean): number {
  const r = random.next32();
  return ownsCallId ? 2100 + (r % 191) * 10 : (r % 201) * 10;
}

/** Tries of one re-INVITE that meets glare (491) before giving up. */
const GLARE_TRIES = 4;

interface LegState {
  /** The leg's re-INVITEs, one after another. */
  chain: Promise<unknown>;
  /** Our re-INVITE is pending: an INVITE from the phone now gets 491. */
  client: boolean;
  /** The phone's re-INVITE is being handled: ours waits; another of the phone's gets 500. */
  server: Promise<void> | undefined;
}

export class Reinvites {
  private readonly legs = new WeakMap<Channel, LegState>();
  private readonly anchoring = new WeakMap<Channel, Promise<string>>();

  constructor(private readonly host: ReinviteHost) {}

  private state(channel: Channel): LegState {
    let s = this.legs.get(channel);
    if (!s) { s = { chain: Promise.resolve(), client: false, server: undefined }; this.legs.set(channel, s); }
    return s;
  }

  private warn(message: string): void {
    this.host.logger.log("WARNING", "res_pjsip_session.c", message);
  }

  /** A SIP leg that answered (or was answered) with SDP on a dialog: one we can re-INVITE. */
  established(channel: Channel): boolean {
    return channel.tech === "PJSIP" && !channel.hungUp && channel.state() === "up" && !!sipLeg(channel)?.dialog
      && channel.localSdp !== undefined && channel.remoteSdp !== undefined;
  }

  // ---- sending ----

  /** Send `sdp` in a re-INVITE on `channel`'s dialog, after any re-INVITE already under way on it. */
  send(channel: Channel, sdp: Buffer, options: { retryGlare: boolean }): Promise<ReinviteOutcome> {
    const st = this.state(channel);
    const run = st.chain.then(() => this.transact(channel, sdp, options.retryGlare));
    st.chain = run.catch(() => undefined);
    return run;
  }

  private async transact(channel: Channel, sdp: Buffer, retryGlare: boolean): Promise<ReinviteOutcome> {
    const st = this.state(channel);
    for (let attempt = 1; ; attempt++) {
      while (st.server) await st.server;
      if (channel.hungUp || !sipLeg(channel)?.dialog) return { status: 0 };
      const r = await this.once(channel, sdp);
      if (r.status !== 491 || !retryGlare || attempt >= GLARE_TRIES) return r;
      const ms = glareDelayMs(this.host.random, channel.direction === "out");
      this.host.logger.log("DEBUG", "res_pjsip_session.c", `Re-INVITE of ${channel.name} met glare (491): trying again in ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = this.host.clock.schedule(this.host.clock.now() + ms * 1000, () => { channel.onHangup.delete(gone); resolve(); });
        const gone = () => { timer.cancel(); resolve(); };
        channel.onHangup.add(gone);
      });
    }
  }

  /** One INVITE transaction: 2xx → ACK; resolves with the final status (408 timeout, 503 transport error). */
  private once(channel: Channel, sdp: Buffer): Promise<ReinviteOutcome> {
    const dialog = sipLeg(channel)!.dialog!;
    const st = this.state(channel);
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: ReinviteOutcome) => {
        if (settled) return;
        settled = true;
        st.client = false;
        resolve(r);
      };
      const request = dialog.request("INVITE", { body: sdp });
      request.set("Allow", ALLOW);
      st.client = true;
      try {
        this.host.transactions.sendRequest(request, dialog.destination, {
          onFinal: (r, tx) => {
            if (r.status >= 200 && r.status < 300) {
              tx.ack(dialog.request("ACK", { cseq: tx.request.cseq.seq }), dialog.destination);
              done({ status: r.status, ...(r.body.length ? { answer: r.body } : {}) });
            } else {
              done({ status: r.status });
            }
          },
          onTimeout: () => done({ status: 408 }),
          onTransportError: () => done({ status: 503 }),
        });
      } catch (e) {
        this.warn(`Could not send re-INVITE to ${channel.name}: ${(e as Error).message}`);
        done({ status: 503 });
      }
    });
  }

  /**
   * Offer `sdp` (someone else's media, or a session of ours) to the phone of `channel`;
   * on a 2xx with SDP the leg's local and remote SDP become this exchange's. False (and
   * a WARNING; the call goes on as it was) when the phone refused or did not answer.
   */
  private async offer(channel: Channel, sdp: Buffer, why: string): Promise<boolean> {
    const body = versioned(sdp, channel.localSdp);
    this.host.logger.log("DEBUG", "res_pjsip_session.c", `Re-INVITE to ${channel.name}: ${why}`);
    const r = await this.send(channel, body, { retryGlare: true });
    if (r.status === 0) return false;
    if (!r.answer) {
      this.warn(`Re-INVITE of ${channel.name} (${why}) failed: ${r.status >= 200 && r.status < 300 ? "no SDP in the answer" : `${r.status} ${reasonPhrase(r.status)}`}; the call goes on with its media as it was`);
      return false;
    }
    channel.localSdp = body;
    channel.remoteSdp = r.answer;
    return true;
  }

  // ---- anchoring an established leg ----

  /**
   * Media through Recall for an established leg whose SDP was passed through: a new
   * session of ours is offered to its phone in a re-INVITE. When the leg is bridged to
   * a direct partner, that one is re-INVITEd to a session of its own too and the two
   * sessions are bridged, so both directions go through Recall. Resolves with the leg's
   * session; rejects when the phone did not take the offer.
   */
  async anchor(channel: Channel): Promise<string> {
    const partner = channel.bridge?.partner(channel);
    const both = partner && partner.tech === "PJSIP" && !partner.hungUp && (partner.media !== undefined || this.established(partner));
    const [id, other] = await Promise.all([
      this.anchorLeg(channel, partner?.media),
      both ? this.anchorLeg(partner, channel.media).catch((e: Error) => { this.warn(e.message); return undefined; }) : undefined,
    ]);
    if (partner && other !== undefined && channel.bridge === partner.bridge && channel.bridge) {
      await this.host.media.bridge(id, other).catch((e: Error) => this.warn(`No media between ${channel.name} and ${partner.name}: ${e.message}`));
    }
    return id;
  }

  /**
   * `channel` alone: its session (made once, however many ask at the same time), on the
   * worker of `near` (its bridge partner's session) when that one exists already.
   */
  private anchorLeg(channel: Channel, near?: string): Promise<string> {
    if (channel.media) return Promise.resolve(channel.media);
    let p = this.anchoring.get(channel);
    if (!p) {
      p = this.reanchor(channel, near).finally(() => this.anchoring.delete(channel));
      this.anchoring.set(channel, p);
    }
    return p;
  }

  private async reanchor(channel: Channel, near: string | undefined): Promise<string> {
    if (!this.established(channel)) throw new Error(`${channel.name} has no established dialog to move its media to Recall`);
    const media = this.host.media;
    const leg = await media.offer(channel, near);
    const ok = await this.offer(channel, leg.sdp, "media through Recall").catch(() => false);
    if (channel.media) { void media.close(leg.id); return channel.media; }
    if (!ok || channel.hungUp) {
      void media.close(leg.id);
      throw new Error(`${channel.name} did not move its media to Recall`);
    }
    try {
      await media.remote(leg.id, channel.remoteSdp!, channel.codecs);
    } catch (e) {
      void media.close(leg.id);
      throw new Error(`${channel.name} answered with unusable SDP: ${(e as Error).message}`);
    }
    if (channel.media) { void media.close(leg.id); return channel.media; }
    channel.media = leg.id;
    if (channel.hungUp) channel.releaseMedia();
    return leg.id;
  }

  // ---- bridges ----

  /**
   * Two legs are now bridged together (`initial`: the bridge was just made by Dial or
   * Bridge(), which set up media between them themselves when both are anchored).
   * Direct legs are pointed at each other, or everything goes through Recall.
   */
  joined(bridge: TwoPartyBridge, initial: boolean): void {
    const [a, b] = bridge.members;
    if (!a || !b || a.tech !== "PJSIP" || b.tech !== "PJSIP" || a.hungUp || b.hungUp) return;
    if (a.media && b.media) {
      if (!initial) void this.host.media.bridge(a.media, b.media).catch((e: Error) => this.warn(`No media between ${a.name} and ${b.name}: ${e.message}`));
      return;
    }
    // Dial's own direct call: each phone already has the other's SDP (the same buffers).
    if (!a.media && !b.media && a.localSdp === b.remoteSdp && b.localSdp === a.remoteSdp) return;
    const run = !a.media && !b.media && this.directAllowed(a, b) ? this.direct(bridge, a, b) : this.throughRecall(bridge, a, b);
    void run.catch((e: Error) => this.warn(`Media between ${a.name} and ${b.name}: ${e.message}`));
  }

  /** Both endpoints allow direct media and the phones share a codec. */
  private directAllowed(a: Channel, b: Channel): boolean {
    const endpoints = this.host.model().endpoints;
    for (const c of [a, b]) if (endpoints.get(c.context().endpoint)?.direct_media === false) return false;
    return a.remoteSdp !== undefined && b.remoteSdp !== undefined && shareCodec(a.remoteSdp, b.remoteSdp);
  }

  /**
   * Each phone gets the other's last SDP in a re-INVITE, unless it already sends there
   * (a leg dialled with the other's offer). Their answers may move them again: a few
   * rounds, until both point at each other, one fails, or the bridge changes.
   */
  private async direct(bridge: TwoPartyBridge, a: Channel, b: Channel): Promise<void> {
    for (let round = 0; round < 3; round++) {
      if (a.bridge !== bridge || b.bridge !== bridge || a.hungUp || b.hungUp || a.media || b.media) return;
      const moves = ([[a, b], [b, a]] as const).filter(([x, y]) => y.remoteSdp && mediaTarget(x.localSdp) !== mediaTarget(y.remoteSdp));
      if (!moves.length) return;
      const ok = await Promise.all(moves.map(([x, y]) => this.offer(x, y.remoteSdp!, `direct media with ${y.name}`)));
      if (!ok.every(Boolean)) return;
    }
  }

  /** Media through Recall: each direct leg re-INVITEd to a session of its own, the sessions bridged. */
  private async throughRecall(bridge: TwoPartyBridge, a: Channel, b: Channel): Promise<void> {
    const [ma, mb] = await Promise.all([[a, b], [b, a]].map(([c, other]) => (c.media ? c.media : this.anchorLeg(c, other.media).catch((e: Error) => { this.warn(e.message); return undefined; }))));
    if (ma === undefined || mb === undefined || a.bridge !== bridge || b.bridge !== bridge) return;
    await this.host.media.bridge(ma, mb);
  }

  // ---- incoming re-INVITEs ----

  /** A re-INVITE from the phone of `channel`. */
  incoming(tx: ServerTransaction, channel: Channel): void {
    const st = this.state(channel);
    if (st.client) { tx.respond(491); return; } // ours crossed theirs (RFC 3261 §14.2)
    if (st.server) { tx.respond(500, { headers: [["Retry-After", String(this.host.random.next32() % 10)]] }); return; }
    const offer = tx.request.body.length ? tx.request.body : undefined;
    // Hold and unhold are the channel's own state (device state ONHOLD, AMI Hold), whatever the media path.
    const hold = offer ? isHoldOffer(offer) : undefined;
    if (hold !== undefined) channel.setHold(hold);
    const partner = channel.bridge?.partner(channel);
    if (offer && channel.media) { this.answerAnchored(tx, channel, offer); return; }
    if (offer && partner && !partner.media && this.established(partner) && !channel.media) {
      let release!: () => void;
      st.server = new Promise((resolve) => { release = resolve; });
      tx.respond(100);
      void this.relay(tx, channel, partner, offer).finally(() => { st.server = undefined; release(); });
      return;
    }
    // Session refresh, an offerless re-INVITE, or nobody to relay to: the SDP we last sent.
    if (offer) channel.remoteSdp = offer;
    this.ok(tx, channel, channel.localSdp);
  }

  private ok(tx: ServerTransaction, channel: Channel, sdp: Buffer | undefined): void {
    const leg = sipLeg(channel);
    const timer: [string, string][] = leg?.sessionTimer ? sessionTimerHeaders(leg.sessionTimer.terms) : [];
    tx.respond(200, { headers: [["Contact", leg?.contactHeader ?? ""], ["Content-Type", "application/sdp"], ["Allow", ALLOW], ...timer], body: sdp ?? Buffer.alloc(0) });
    leg?.sessionTimer?.refreshed();
  }

  /** Anchored: the session now sends where the new offer says (or stops, on hold); our answer comes from it. */
  private answerAnchored(tx: ServerTransaction, channel: Channel, offer: Buffer): void {
    const id = channel.media!;
    let ours: { address: string; port: number; sessionId: string };
    try {
      const sd = parseSdp(channel.localSdp ?? Buffer.alloc(0));
      const m = sd.media.find((x) => x.type === "audio" && x.port !== 0);
      const c = m?.connection ?? sd.connection;
      if (!m || !c) throw new Error("no audio stream in our SDP");
      ours = { address: c.address, port: m.port, sessionId: sd.origin.sessionId };
    } catch {
      this.ok(tx, channel, channel.localSdp);
      return;
    }
    let answer;
    try {
      answer = createAnswer(offer, {
        codecs: channel.codecs, address: ours.address, port: ours.port, sessionId: ours.sessionId,
        ...(channel.origin ? { owner: channel.origin.owner, sessionName: channel.origin.session } : {}),
      });
    } catch (e) {
      const status = e instanceof SdpError ? e.status : 488;
      tx.respond(status, { headers: [["Warning", `399 recall "${(e as Error).message.replace(/"/g, "'")}"`]] });
      return;
    }
    const body = versioned(ownBytes(answer.text), channel.localSdp);
    channel.remoteSdp = offer;
    channel.localSdp = body;
    void this.host.media.service.setRemote(id, answer.remote).catch((e: Error) => this.warn(`Media of ${channel.name}: ${e.message}`));
    this.ok(tx, channel, body);
  }

  /** Direct: the offer goes on to the partner's phone (its view of the session versioned), its answer comes back. */
  private async relay(tx: ServerTransaction, channel: Channel, partner: Channel, offer: Buffer): Promise<void> {
    const body = versioned(offer, partner.localSdp);
    const r = await this.send(partner, body, { retryGlare: false });
    if (channel.hungUp) return;
    if (!r.answer) {
      const status = r.status === 0 ? 480 : r.status >= 200 && r.status < 300 ? 488 : r.status;
      if (r.status !== 491) this.warn(`Re-INVITE from ${channel.name} relayed to ${partner.name} failed: ${r.status} ${reasonPhrase(r.status)}`);
      tx.respond(status);
      return;
    }
    partner.localSdp = body;
    partner.remoteSdp = r.answer;
    channel.remoteSdp = offer;
    channel.localSdp = versioned(r.answer, channel.localSdp);
    this.ok(tx, channel, channel.localSdp);
  }
}
