/**
 * What a new INVITE must pass, once its endpoint is known, before it becomes a channel
 * (RFC 3261 §8.2, RFC 3264, RFC 3891, RFC 4028), answered as Asterisk 22 answers:
 * - the body: SDP, or a multipart body whose `application/sdp` part is taken as the
 *   offer; any other body, or a multipart one without SDP, is 415 (Accept: application/sdp);
 * - the offer: SDP that does not parse (or names a network or address type other than
 *   IN IP4/IP6) is 400; one with no audio stream, or no codec the endpoint allows, is
 *   488 with a Warning (304 / 305);
 * - `Replaces`: two of them are 400, one naming a dialog Recall does not have is 481;
 * - `Session-Expires` below the endpoint's `timers_min_se` is 422 with Min-SE
 *   (unless the endpoint has `timers = no`).
 */
import type { SipRequest } from "../message/index.js";
import { ownBytes, parseParams, unquote } from "../message/index.js";
import { SdpError, parseSdp } from "../sdp/sdp.js";
import { remoteMedia } from "../sdp/offer-answer.js";
import type { Endpoint } from "../config/model.js";
import type { Refusal } from "../screen.js";
import { parseReplaces } from "./refer.js";

export interface AcceptedInvite {
  /** The SDP offer (the SDP part of a multipart body), if the INVITE carried one. */
  readonly offer: Buffer | undefined;
  /** The dialog a single Replaces header names, when Recall has it. */
  readonly replaces?: { readonly callId: string; readonly toTag: string; readonly fromTag: string; readonly earlyOnly: boolean };
}

/** Whether Recall has the dialog `Call-ID` with our tag `toTag` and theirs `fromTag`. */
export type DialogLookup = (callId: string, toTag: string, fromTag: string) => boolean;

const ACCEPT: readonly [string, string] = ["Accept", "application/sdp"];

export function screenInvite(req: SipRequest, endpoint: Endpoint, codecs: readonly string[], hasDialog: DialogLookup): { refusal: Refusal } | AcceptedInvite {
  const body = offerOf(req);
  if (typeof body === "object" && "refusal" in body) return body;
  if (body !== undefined) {
    const problem = offerProblem(body, codecs);
    if (problem) return { refusal: problem };
  }
  const replacesValues = req.getAll("Replaces");
  let replaces: AcceptedInvite["replaces"];
  if (replacesValues.length > 1) return { refusal: { status: 400, reason: "more than one Replaces header" } };
  if (replacesValues.length === 1) {
    const r = parseReplaces(replacesValues[0]);
    if (!r) return { refusal: { status: 400, reason: `malformed Replaces '${replacesValues[0].slice(0, 80)}'` } };
    if (!hasDialog(r.callId, r.toTag, r.fromTag)) return { refusal: { status: 481, reason: `Replaces names no dialog of ours (${r.callId.slice(0, 80)})` } };
    replaces = r;
  }
  const se = req.get("Session-Expires");
  if (se !== undefined && endpoint.timers !== "no") {
    const seconds = Number(se.split(";")[0].trim());
    if (!Number.isInteger(seconds) || seconds < 0) return { refusal: { status: 400, reason: `malformed Session-Expires '${se.slice(0, 40)}'` } };
    if (seconds < endpoint.timers_min_se) {
      return { refusal: { status: 422, headers: [["Min-SE", String(endpoint.timers_min_se)]], reason: `Session-Expires ${seconds} is below Min-SE ${endpoint.timers_min_se}` } };
    }
  }
  return { offer: body, ...(replaces ? { replaces } : {}) };
}

/** The SDP of the INVITE's body, undefined for no body, or a 415 refusal. */
function offerOf(req: SipRequest): Buffer | undefined | { refusal: Refusal } {
  if (req.body.length === 0) return undefined;
  const type = (req.contentType ?? "application/sdp").trim();
  const media = type.split(";")[0].trim().toLowerCase();
  if (media === "application/sdp") return req.body;
  if (media.startsWith("multipart/")) {
    const sdp = sdpPart(req.body, type);
    if (sdp) return sdp;
    return { refusal: { status: 415, headers: [ACCEPT], reason: `${media} body without an application/sdp part` } };
  }
  return { refusal: { status: 415, headers: [ACCEPT], reason: `body of type ${media.slice(0, 60)}` } };
}

/** The first `application/sdp` part of a multipart body (RFC 2046 §5.1), if any. */
export function sdpPart(body: Buffer, contentType: string): Buffer | undefined {
  const semi = contentType.indexOf(";");
  if (semi === -1) return undefined;
  let boundary: string | undefined;
  try {
    const b = parseParams(contentType, semi).get("boundary");
    boundary = b ? unquote(b) : undefined;
  } catch { return undefined; }
  if (!boundary) return undefined;
  const text = body.toString("latin1");
  const delimiter = "--" + boundary;
  for (const chunk of text.split(delimiter).slice(1)) {
    if (chunk.startsWith("--")) break; // the closing delimiter
    const part = chunk.replace(/^[ \t]*\r?\n/, "");
    const split = /\r?\n\r?\n/.exec(part);
    const head = split ? part.slice(0, split.index) : part;
    const isSdp = /^content-type:\s*application\/sdp\b/im.test(head);
    if (!isSdp || !split) continue;
    const content = part.slice(split.index + split[0].length).replace(/\r?\n$/, "");
    return ownBytes(content);
  }
  return undefined;
}

function offerProblem(offer: Buffer, codecs: readonly string[]): Refusal | undefined {
  try {
    remoteMedia(parseSdp(offer), codecs, "ours");
    return undefined;
  } catch (e) {
    if (!(e instanceof SdpError)) throw e;
    if (e.status === 400) return { status: 400, reason: `SDP: ${e.message}` };
    const warning = e.code === "no-audio" ? `304 recall "Media type not available"` : `305 recall "Incompatible media format"`;
    return { status: 488, headers: [["Warning", warning]], reason: `SDP: ${e.message}` };
  }
}
