/** The SIP message layer: parse, inspect, build and write SIP messages. */
export { SipParseError, type SipParseErrorCode } from "./errors.js";
export { DEFAULT_LIMITS, type ParseLimits, parseLimits } from "./limits.js";
export { canonicalHeaderName, headerKey } from "./header-names.js";
export { NO_PARAMS, type Params, formatParams, parseParams, quote, splitList, unquote } from "./text.js";
export { type SipUri, formatHost, formatUri, parseUri, sipUri } from "./uri.js";
export { sameHost, uriEquals, uriParam, uriTransport } from "./compare.js";
export { type NameAddr, formatNameAddr, parseNameAddr, tagOf } from "./name-addr.js";
export { BRANCH_COOKIE, type Via, branchOf, formatVia, parseVia } from "./via.js";
export { type CSeq, formatCSeq, parseCSeq } from "./cseq.js";
export {
  EMPTY_BODY, type HeaderField, type SipMessage, SipRequest, SipResponse, bytesToUtf8, header, ownBytes, ownString, utf8ToBytes,
} from "./message.js";
export { findBodyStart, parseMessage } from "./parser.js";
export { StreamFramer, type StreamFramerOptions } from "./framer.js";
export { serializeHead, serializeMessage } from "./serializer.js";
export { REASON_PHRASES, type ResponseOptions, buildResponse, reasonPhrase } from "./response.js";
