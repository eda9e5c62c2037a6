/**
 * Transaction matching (RFC 3261 §17.1.3, §17.2.3): by branch, sent-by and method
 * when the branch carries the magic cookie; by the RFC 2543 fields otherwise. An ACK
 * matches its INVITE (pass method "INVITE"); a CANCEL is its own transaction but is
 * matched to the INVITE it cancels the same way.
 */
import { BRANCH_COOKIE, type SipRequest } from "../message/index.js";

/** Key of the server transaction `request` belongs to, taken as a request of `method`. */
export function serverKey(request: SipRequest, method: string): string {
  const via = request.via;
  const branch = via.params.get("branch");
  if (branch && branch.startsWith(BRANCH_COOKIE)) {
    return branch + " " + via.host.toLowerCase() + " " + (via.port ?? "") + " " + method;
  }
  // RFC 2543: Request-URI, tags, Call-ID, CSeq and top Via. The To tag is left out for
  // INVITE so that its ACK (which carries our tag) and CANCEL (matched as INVITE) find it.
  const toTag = method === "INVITE" ? "" : request.toTag ?? "";
  return "2543 " + request.uri + " " + toTag + " " + (request.fromTag ?? "") + " " + request.callId + " " +
    request.cseq.seq + " " + method + " " + request.get("Via");
}

/** Key of the client transaction a response belongs to: its branch and CSeq method. */
export function clientKey(branch: string, method: string): string {
  return branch + " " + method;
}

/** Key matching an ACK to the 2xx it acknowledges: the dialog and the CSeq number. */
export function ackKey(callId: string, seq: number, fromTag: string | undefined, toTag: string | undefined): string {
  return callId + " " + seq + " " + (fromTag ?? "") + " " + (toTag ?? "");
}
