/**
 * The one error the message layer throws for bad input. It says what was wrong and,
 * for a request, carries what could be salvaged of it (start line, Via, From, To,
 * Call-ID, CSeq) so the transport can answer 400 as RFC 3261 §8.2.2 and §18.3 ask.
 * A malformed response is simply dropped (`kind === "response"`).
 */
import type { SipRequest } from "./message.js";

export type SipParseErrorCode =
  /** Nothing but CR/LF (a keep-alive); transports ignore it. */
  | "empty"
  /** Larger than `maxMessageSize`. */
  | "too-large"
  /** Header section without its blank line, or body shorter than Content-Length. */
  | "truncated"
  | "start-line"
  /** A request line of another SIP version (SIP/3.0, SIP/7.0): answer 505 Version Not Supported. */
  | "unsupported-version"
  /** A header line that is not `name: value`, a bare CR, a stray continuation line. */
  | "header-syntax"
  | "line-too-long"
  | "too-many-headers"
  | "too-many-via"
  | "missing-header"
  | "duplicate-header"
  /** A header value that does not parse (CSeq, Via, From, To, Contact, Expires...). */
  | "invalid-header"
  /** Content-Length missing on a stream, not a number, or contradicted by a second one. */
  | "content-length"
  | "invalid-uri"
  /**
   * A well-formed URI whose scheme is not sip, sips or tel: answer 416 to a Request-URI
   * like that, 400 to a From or To (RFC 4475 unksm2: a registrar's answer).
   */
  | "unsupported-uri-scheme";

/**
 * Bad input is routine, not a bug: a parse error's stack trace says nothing useful and
 * capturing it would make rejecting garbage several times dearer than parsing a good
 * message. The limit is lowered only while the Error base class is constructed.
 */
let savedStackLimit = Error.stackTraceLimit;
function withoutStack(message: string): string {
  savedStackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return message;
}

export class SipParseError extends Error {
  override readonly name = "SipParseError";
  /** The header the problem is in, canonical name, where there is one. */
  readonly header: string | undefined;
  /** Whether the start line looked like a request or a response, when it could be read. */
  kind: "request" | "response" | undefined;
  /** For a request: its start line and whichever of Via, From, To, Call-ID, CSeq were well formed. */
  request: SipRequest | undefined;

  constructor(readonly code: SipParseErrorCode, readonly reason: string, header?: string) {
    super(withoutStack(header && !reason.includes(header) ? `${header}: ${reason}` : reason));
    Error.stackTraceLimit = savedStackLimit;
    this.header = header;
    this.kind = undefined;
    this.request = undefined;
  }
}
