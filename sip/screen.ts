/**
 * What every request must pass before a handler sees it (RFC 3261 §8.2.1–§8.2.2),
 * answered as Asterisk 22 answers: a Request-URI of another scheme than sip/sips is
 * 416 Unsupported URI Scheme; a `Require` naming an option-tag Recall does not
 * implement is 420 Bad Extension, with those tags in `Unsupported`. ACK and CANCEL are
 * never refused here (§8.2.2.3: Require does not apply to them, and they have no
 * answer of their own to give).
 */
import type { SipRequest } from "./message/index.js";

/** A refusal: the status, the headers that explain it, and the reason for the log. */
export interface Refusal {
  readonly status: number;
  readonly headers?: readonly (readonly [string, string])[];
  readonly reason: string;
}

/**
 * The option-tags Recall implements: `replaces` (RFC 3891), `timer` (RFC 4028),
 * `path` (RFC 3327, accepted on REGISTER), `norefersub` (RFC 4488).
 */
export const SUPPORTED_OPTION_TAGS: readonly string[] = ["replaces", "timer", "path", "norefersub"];
const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_OPTION_TAGS);

/**
 * The option-tags of `Require` that Recall does not know. `Proxy-Require` is for proxies
 * (RFC 3261 §8.2.2.3, §20.29): a UAS, as Recall answers, looks only at `Require`, so its
 * 420 lists only those (RFC 4475 bext01: "depending on the role in which the element
 * is responding").
 */
function unsupportedTags(req: SipRequest): string[] {
  const out: string[] = [];
  for (const value of req.getAll("Require")) {
    for (const raw of value.split(",")) {
      const tag = raw.trim();
      if (tag !== "" && !SUPPORTED.has(tag.toLowerCase()) && !out.includes(tag)) out.push(tag);
    }
  }
  return out;
}

/** undefined when the request may go on to its handler. */
export function screenRequest(req: SipRequest): Refusal | undefined {
  if (req.method === "ACK" || req.method === "CANCEL") return undefined;
  const scheme = req.requestUri.scheme;
  if (scheme !== "sip" && scheme !== "sips") {
    return { status: 416, reason: `${scheme}: Request-URI (only sip: and sips: are served)` };
  }
  const unknown = unsupportedTags(req);
  if (unknown.length) {
    return { status: 420, headers: [["Unsupported", unknown.join(", ")]], reason: `Require names option-tags Recall does not support: ${unknown.join(", ")}` };
  }
  return undefined;
}
