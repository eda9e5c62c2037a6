/**
 * Building a response to a request (RFC 3261 §8.2.6): the same Via list, From, To
 * (with our tag added when the request had none), Call-ID and CSeq.
 */
import { type HeaderField, SipResponse, type SipRequest, header } from "./message.js";

export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued", 183: "Session Progress",
  199: "Early Dialog Terminated",
  200: "OK", 202: "Accepted", 204: "No Notification",
  300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily", 305: "Use Proxy", 380: "Alternative Service",
  400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
  405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout",
  410: "Gone", 412: "Conditional Request Failed", 413: "Request Entity Too Large", 414: "Request-URI Too Long",
  415: "Unsupported Media Type", 416: "Unsupported URI Scheme", 417: "Unknown Resource-Priority", 420: "Bad Extension",
  421: "Extension Required", 422: "Session Interval Too Small", 423: "Interval Too Brief", 428: "Use Identity Header",
  429: "Provide Referrer Identity", 430: "Flow Failed", 433: "Anonymity Disallowed", 436: "Bad Identity-Info",
  437: "Unsupported Certificate", 438: "Invalid Identity Header", 439: "First Hop Lacks Outbound Support",
  440: "Max-Breadth Exceeded", 469: "Bad Info Package", 470: "Consent Needed",
  480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist", 482: "Loop Detected", 483: "Too Many Hops",
  484: "Address Incomplete", 485: "Ambiguous", 486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
  489: "Bad Event", 491: "Request Pending", 493: "Undecipherable", 494: "Security Agreement Required",
  500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
  504: "Server Time-out", 505: "Version Not Supported", 513: "Message Too Large", 555: "Push Notification Service Not Supported",
  580: "Precondition Failure",
  600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable", 607: "Unwanted", 608: "Rejected",
};

/** The standard reason phrase of a status code, or a generic one for its class. */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? REASON_PHRASES[Math.floor(status / 100) * 100] ?? "Unknown";
}

export interface ResponseOptions {
  /** Reason phrase; the standard one by default. */
  reason?: string;
  /** Tag to add to To when the request's To has none (every response but 100, RFC 3261 §8.2.6.2). */
  toTag?: string;
  /** Copy Record-Route (RFC 3261 §12.1.1: 18x and 2xx answers that create a dialog). */
  copyRecordRoute?: boolean;
  /** Headers to append, e.g. `[header("Contact", ...)]` or `[["Contact", "..."]]`. */
  headers?: ReadonlyArray<HeaderField | readonly [string, string]>;
  body?: Buffer;
}

const COPIED = new Set(["via", "from", "to", "call-id", "cseq"]);

/**
 * A response to `request`. Works on the partial request of a SipParseError too: only
 * the headers that are present are copied.
 */
export function buildResponse(request: SipRequest, status: number, options: ResponseOptions = {}): SipResponse {
  const fields: HeaderField[] = [];
  let hasToTag = false;
  try {
    hasToTag = request.get("To") !== undefined && request.toTag !== undefined;
  } catch {
    // a To that does not parse gets no tag
  }
  for (const f of request.headerFields) {
    if (COPIED.has(f.key)) {
      if (f.key === "to" && !hasToTag && options.toTag !== undefined && status !== 100) {
        fields.push(header("To", f.value + ";tag=" + options.toTag));
      } else fields.push(f);
    } else if ((f.key === "record-route" && options.copyRecordRoute) || (f.key === "timestamp" && status === 100)) {
      fields.push(f);
    }
  }
  for (const h of options.headers ?? []) fields.push(Array.isArray(h) ? header(h[0], h[1]) : (h as HeaderField));
  return new SipResponse(status, options.reason ?? reasonPhrase(status), fields, options.body);
}
