/**
 * SIP transfers (Asterisk's res_pjsip_refer): REFER (RFC 3515) on an answered, bridged
 * leg: 202 Accepted, then NOTIFYs with a message/sipfrag body ("SIP/2.0 100 Trying",
 * then the outcome); `Refer-Sub: false` (RFC 4488) gets the outcome as the final
 * response instead. `allow_transfer = no` on the endpoint answers 603.
 * - Blind (`Refer-To: <sip:EXT@host>`): the bridge partner (transferee) goes on in the
 *   dialplan at EXT of TRANSFER_CONTEXT, else of the transferer's endpoint context; a
 *   missing extension is reported as `404 Not Found` and the call stays as it is.
 * - Attended (`Refer-To: <sip:C@host?Replaces=callid%3Bto-tag%3D..%3Bfrom-tag%3D..>`
 *   naming the transferer's other dialog with Recall): the party of that other call
 *   takes the transferer's place beside the transferee (a swap: bridge 1 stays), the
 *   transferer's two legs are hung up. A dialog that is not Recall's goes to the
 *   `external_replaces` extension when the context has one, as Asterisk does.
 * The transfers themselves are the call core's (calls/transfer.ts).
 */
import type { Logger } from "../../core/logger.js";
import type { Channel } from "../../calls/channel.js";
import type { CallCore } from "../../calls/core.js";
import { channelVariable } from "../../calls/transfer.js";
import type { PjsipModel } from "../config/model.js";
import { formatUri, parseNameAddr, reasonPhrase, type SipUri } from "../message/index.js";
import type { ServerTransaction, TransactionLayer } from "../transaction/index.js";
import { sipLeg } from "./leg.js";

export interface ReferHost {
  readonly core: CallCore;
  readonly transactions: TransactionLayer;
  readonly logger: Logger;
  model(): PjsipModel;
  /** The leg of an established dialog by `Call-ID|our tag`. */
  dialogChannel(key: string): Channel | undefined;
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** `callid;to-tag=X;from-tag=Y` (the value of a Replaces URI header, decoded). */
export function parseReplaces(value: string): { callId: string; toTag: string; fromTag: string; earlyOnly: boolean } | undefined {
  const [callId, ...params] = value.split(";").map((p) => p.trim());
  if (!callId) return undefined;
  let toTag: string | undefined, fromTag: string | undefined, earlyOnly = false;
  for (const p of params) {
    const eq = p.indexOf("=");
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? "" : p.slice(eq + 1).trim();
    if (name === "to-tag") toTag = v;
    else if (name === "from-tag") fromTag = v;
    else if (name === "early-only") earlyOnly = true;
  }
  if (toTag === undefined || fromTag === undefined) return undefined;
  return { callId, toTag, fromTag, earlyOnly };
}

/** The implicit subscription of a REFER: its NOTIFYs, or one final response with Refer-Sub: false. */
class ReferProgress {
  private sent100 = false;
  private done = false;

  constructor(private readonly host: ReferHost, private readonly channel: Channel, private readonly tx: ServerTransaction, readonly subscribed: boolean) {}

  accept(): void {
    if (this.subscribed) this.tx.respond(202, { headers: [["Contact", sipLeg(this.channel)?.contactHeader ?? ""]] });
  }

  /** The transfer's outcome as a SIP status: NOTIFY (after a deferred 100 Trying), or the REFER's final response. */
  finish(status: number): void {
    if (this.done) return;
    this.done = true;
    if (!this.subscribed) {
      this.tx.respond(status, { headers: [["Refer-Sub", "false"], ["Contact", sipLeg(this.channel)?.contactHeader ?? ""]] });
      return;
    }
    if (!this.sent100 && status !== 100) this.notify(100, false);
    this.notify(status, true);
  }

  private notify(status: number, final: boolean): void {
    this.sent100 ||= status === 100;
    const dialog = sipLeg(this.channel)?.dialog;
    if (!dialog) return;
    const body = Buffer.from(`SIP/2.0 ${status} ${reasonPhrase(status)}\r\n`, "latin1");
    const r = dialog.request("NOTIFY", { body, contentType: "message/sipfrag;version=2.0" });
    r.set("Event", "refer");
    r.set("Subscription-State", final ? "terminated;reason=noresource" : "active;expires=60");
    try {
      this.host.transactions.sendRequest(r, dialog.destination, {});
    } catch (e) {
      this.host.logger.log("WARNING", "res_pjsip_refer.c", `Could not send NOTIFY for ${this.channel.name}: ${(e as Error).message}`);
    }
  }
}

export class Refers {
  constructor(private readonly host: ReferHost) {}

  private log(level: "VERBOSE" | "NOTICE" | "WARNING" | "ERROR", source: string, message: string): void {
    this.host.logger.log(level, source, message);
  }

  /** An in-dialog REFER on `channel`'s dialog (undefined: no such dialog). */
  refer(tx: ServerTransaction, channel: Channel | undefined): void {
    const req = tx.request;
    if (!channel || channel.hungUp) { tx.respond(481); return; }
    const endpointName = channel.context().endpoint;
    const endpoint = this.host.model().endpoints.get(endpointName);
    if (endpoint && !endpoint.allow_transfer) {
      this.log("WARNING", "res_pjsip_refer.c", `Endpoint ${endpointName} transfer attempt blocked due to configuration`);
      tx.respond(603);
      return;
    }
    const referTo = req.get("Refer-To");
    let target: SipUri | undefined;
    try { target = referTo ? parseNameAddr(referTo, "Refer-To").uri : undefined; } catch { target = undefined; }
    if (!target || (target.scheme !== "sip" && target.scheme !== "sips")) { tx.respond(400); return; }
    const progress = new ReferProgress(this.host, channel, tx, (req.get("Refer-Sub") ?? "").trim().toLowerCase() !== "false");
    progress.accept();
    let replaces: string | undefined;
    for (const [name, value] of target.headers) if (name.toLowerCase() === "replaces") replaces = safeDecode(value);
    replaces ??= target.params.get("replaces") ?? undefined;
    const context = channelVariable(channel, "TRANSFER_CONTEXT") || endpoint?.context || channel.context().context;
    const referredBy = req.get("Referred-By");
    const vars: Record<string, string> = {
      SIPTRANSFER: "yes", SIPREFERRINGCONTEXT: context,
      SIPREFERTOHDR: formatUri({ ...target, headers: new Map() }),
      ...(referredBy ? { __SIPREFERREDBYHDR: referredBy } : {}),
    };
    const run = replaces !== undefined
      ? this.referAttended(channel, endpointName, context, replaces, vars, progress)
      : this.referBlind(channel, endpointName, context, safeDecode(target.user ?? ""), vars, progress);
    void run.catch((e: Error) => {
      this.log("ERROR", "res_pjsip_refer.c", `REFER on ${channel.name} failed: ${e.message}`);
      progress.finish(500);
    });
  }

  private async referBlind(channel: Channel, endpoint: string, context: string, user: string, vars: Record<string, string>, progress: ReferProgress): Promise<void> {
    const exten = user.split(";")[0] || "s";
    if (await this.host.core.presence(context, exten, channel.context().callerId.num) !== "exists") {
      this.log("ERROR", "res_pjsip_refer.c", `Channel '${channel.name}' from endpoint '${endpoint}' attempted blind transfer to '${exten}@${context}' but target does not exist`);
      progress.finish(404);
      return;
    }
    if (channel.hungUp || !this.host.core.transfers.blind(channel, exten, context, vars, "sip")) { progress.finish(400); return; }
    progress.finish(200);
    this.host.core.transfers.leave(channel);
  }

  private async referAttended(channel: Channel, endpoint: string, context: string, value: string, vars: Record<string, string>, progress: ReferProgress): Promise<void> {
    const replaces = parseReplaces(value);
    if (!replaces) {
      this.log("ERROR", "res_pjsip_refer.c", `Received REFER request on channel '${channel.name}' from endpoint '${endpoint}' with invalid Replaces header, rejecting`);
      progress.finish(400);
      return;
    }
    const other = this.host.dialogChannel(`${replaces.callId}|${replaces.toTag}`);
    const remoteTag = /;\s*tag=([^;>\s]+)/i.exec(sipLeg(other)?.dialog?.init.remote ?? "")?.[1];
    if (!other || remoteTag !== replaces.fromTag) {
      // Not a dialog of ours: Asterisk hands the transferee to the `external_replaces` extension.
      if (await this.host.core.presence(context, "external_replaces", channel.context().callerId.num) !== "exists") {
        this.log("ERROR", "res_pjsip_refer.c", `Received REFER for remote session on channel '${channel.name}' from endpoint '${endpoint}' but 'external_replaces' extension not found in context ${context}`);
        progress.finish(404);
        return;
      }
      const ok = !channel.hungUp && this.host.core.transfers.blind(channel, "external_replaces", context, { ...vars, __SIPREPLACESHDR: value }, "sip");
      progress.finish(ok ? 200 : 400);
      if (ok) this.host.core.transfers.leave(channel);
      return;
    }
    if (other === channel || other.hungUp || channel.hungUp) { progress.finish(603); return; }
    if (!this.host.core.transfers.attended(channel, other, "sip")) { progress.finish(400); return; }
    progress.finish(200);
    this.host.core.transfers.leave(channel);
    this.host.core.transfers.leave(other, channel.name);
  }
}
