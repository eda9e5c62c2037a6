/**
 * The SIP side of a PJSIP channel (calls/driver.ts ChannelSignalling): the INVITE it
 * answers (inbound), its dialog once established, and how the core's orders become
 * SIP: 180, 183 with SDP, 200 with SDP, a failure response, BYE, a re-INVITE that moves
 * its media to a session of ours.
 */
import type { Channel } from "../../calls/channel.js";
import type { ChannelSignalling } from "../../calls/driver.js";
import type { ClientTransaction, ServerTransaction } from "../transaction/index.js";
import type { Dialog } from "./dialog.js";
import { causeFromSipResponse, sipResponseFromCause } from "./causes.js";
import { RedirectError } from "../../calls/driver.js";
import { type SessionTimer, sessionTimerHeaders } from "./session-timer.js";

export const ALLOW = "OPTIONS, REGISTER, INVITE, ACK, BYE, CANCEL, INFO, REFER, UPDATE";

/** What a leg needs from the PJSIP driver (pjsip.ts). */
export interface SipLegHost {
  /** Send BYE on the leg's dialog. */
  bye(leg: SipLeg): void;
  /** Media through Recall for an established leg whose SDP was passed through: a re-INVITE (reinvite.ts). */
  reanchor(channel: Channel): Promise<string>;
  /** The channel is gone: forget its dialog. */
  released(leg: SipLeg): void;
  /** The SIP URI for a redirect target (an endpoint's first contact, or a URI as given); undefined: no such target. */
  redirectUri(resource: string): string | undefined;
  /** Ask the far end of an answered leg to call `uri` instead (REFER in its dialog). */
  refer(leg: SipLeg, uri: string): void;
}

export class SipLeg implements ChannelSignalling {
  /** The INVITE we are answering (inbound legs, until a final response is sent). */
  invite: ServerTransaction | undefined;
  /** The INVITE we sent (outbound legs); told to forget the call once the channel is gone (it lingers 32 s). */
  outgoing: ClientTransaction | undefined;
  /** The established dialog, once answered (inbound) or once the 2xx came (outbound). */
  dialog: Dialog | undefined;
  /** `Call-ID|our tag`, the key in-dialog requests find this leg by. */
  dialogKey: string | undefined;
  /** Our Contact for responses and requests (set by the driver from the transport). */
  contactHeader = "";
  /** RFC 4028 session timer of an inbound call, settled at the INVITE, running from the answer. */
  sessionTimer: SessionTimer | undefined;
  /** Told once the inbound call is answered: it no longer counts as being set up (admission.ts). */
  answered: (() => void) | undefined;

  constructor(readonly channel: Channel, private readonly host: SipLegHost) {
    channel.signalling = this;
  }

  private pending(): ServerTransaction | undefined {
    const tx = this.invite;
    return tx && (tx.state === "proceeding" || tx.state === "trying") ? tx : undefined;
  }

  /*
   * Every message below leaves once the channel's transitions are durable
   * (Channel.afterDurable): a crash never leaves a phone answered, rung or hung up by a
   * call the log does not show. Each checks again then that it still applies.
   */

  async answer(sdp: () => Promise<Buffer>, up: () => void): Promise<void> {
    if (!this.pending()) return;
    const body = await sdp();
    if (this.channel.hungUp) return;
    const tx = this.pending();
    if (!tx) return;
    up();
    this.answered?.();
    this.channel.afterDurable(() => {
      if (this.pending() !== tx) return; // cancelled meanwhile: the INVITE was answered 487
      const timer: [string, string][] = this.sessionTimer ? sessionTimerHeaders(this.sessionTimer.terms) : [];
      tx.respond(200, { headers: [["Contact", this.contactHeader], ["Content-Type", "application/sdp"], ["Allow", ALLOW], ...timer], body, copyRecordRoute: true });
      this.sessionTimer?.start();
    });
  }

  ringing(): void {
    this.channel.afterDurable(() => {
      const tx = this.pending();
      if (tx && tx.lastStatus < 180) tx.respond(180, { headers: [["Contact", this.contactHeader]], copyRecordRoute: true });
    });
  }

  async earlyMedia(sdp: () => Promise<Buffer | undefined>): Promise<void> {
    const tx = this.invite;
    if (!tx || tx.lastStatus === 183) return;
    const body = await sdp();
    if (!body) return;
    this.channel.afterDurable(() => {
      if (tx.state === "proceeding" && tx.lastStatus !== 183 && !this.channel.hungUp) {
        tx.respond(183, { headers: [["Contact", this.contactHeader], ["Content-Type", "application/sdp"]], body, copyRecordRoute: true });
      }
    });
  }

  reject(cause: number): void {
    this.sessionTimer?.stop();
    const tx = this.pending();
    if (tx) this.channel.afterDurable(() => { if (this.pending() === tx) tx.respond(sipResponseFromCause(cause)); });
  }

  bye(): void {
    this.sessionTimer?.stop();
    this.channel.afterDurable(() => this.host.bye(this));
  }

  /** Up with SDP sent and received: its media moves only by re-INVITE. */
  established(): boolean {
    const c = this.channel;
    return c.state() === "up" && !!this.dialog && c.localSdp !== undefined && c.remoteSdp !== undefined;
  }

  anchor(): Promise<string> { return this.host.reanchor(this.channel); }

  /**
   * As chan_pjsip transfers: an unanswered INVITE is refused with 302 and the target as
   * Contact (the channel ends); an answered leg is sent a REFER to the target (the phone
   * then calls it and hangs up this call itself).
   */
  redirect(resource: string): void {
    const tx = this.pending();
    const answered = !tx && this.dialog !== undefined && this.channel.state() === "up";
    if (!tx && !answered) throw new RedirectError("invalid-state", `${this.channel.name} has no call to redirect`);
    const uri = this.host.redirectUri(resource);
    if (!uri) throw new RedirectError("unknown-target", `no endpoint or SIP URI '${resource}'`);
    if (!tx) { this.channel.afterDurable(() => this.host.refer(this, uri)); return; }
    this.sessionTimer?.stop();
    this.channel.remoteHangup(causeFromSipResponse(302), this.channel.name);
    this.channel.afterDurable(() => { if (this.pending() === tx) tx.respond(302, { headers: [["Contact", `<${uri}>`]] }); });
  }
  released(): void {
    this.sessionTimer?.stop();
    this.outgoing?.forget();
    this.host.released(this);
  }
}

/** The SIP side of a channel, if it is a PJSIP one. */
export function sipLeg(channel: Channel | undefined): SipLeg | undefined {
  return channel?.signalling instanceof SipLeg ? channel.signalling : undefined;
}
