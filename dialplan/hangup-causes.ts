/**
 * Hang-up causes (seed 003, "Hangup Cause Mappings"): the Q.850 numbers Asterisk keeps
 * on a channel, their AST_CAUSE_ names and texts, how a SIP failure response becomes
 * a cause, how a cause becomes the SIP response sent to an unanswered caller, and how
 * the causes of the called legs become Dial's DIALSTATUS.
 */

/** Q.850 cause numbers, by Asterisk's AST_CAUSE_ names. */
export const Cause = {
  NOTDEFINED: 0,
  UNALLOCATED: 1,
  NO_ROUTE_TRANSIT_NET: 2,
  NO_ROUTE_DESTINATION: 3,
  MISDIALLED_TRUNK_PREFIX: 5,
  CHANNEL_UNACCEPTABLE: 6,
  CALL_AWARDED_DELIVERED: 7,
  PRE_EMPTED: 8,
  NUMBER_PORTED_NOT_HERE: 14,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  NUMBER_CHANGED: 22,
  REDIRECTED_TO_NEW_DESTINATION: 23,
  ANSWERED_ELSEWHERE: 26,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  FACILITY_REJECTED: 29,
  RESPONSE_TO_STATUS_ENQUIRY: 30,
  NORMAL_UNSPECIFIED: 31,
  NORMAL_CIRCUIT_CONGESTION: 34,
  NETWORK_OUT_OF_ORDER: 38,
  NORMAL_TEMPORARY_FAILURE: 41,
  SWITCH_CONGESTION: 42,
  ACCESS_INFO_DISCARDED: 43,
  REQUESTED_CHAN_UNAVAIL: 44,
  FACILITY_NOT_SUBSCRIBED: 50,
  OUTGOING_CALL_BARRED: 52,
  INCOMING_CALL_BARRED: 54,
  BEARERCAPABILITY_NOTAUTH: 57,
  BEARERCAPABILITY_NOTAVAIL: 58,
  BEARERCAPABILITY_NOTIMPL: 65,
  CHAN_NOT_IMPLEMENTED: 66,
  FACILITY_NOT_IMPLEMENTED: 69,
  INVALID_CALL_REFERENCE: 81,
  INCOMPATIBLE_DESTINATION: 88,
  INVALID_MSG_UNSPECIFIED: 95,
  MANDATORY_IE_MISSING: 96,
  MESSAGE_TYPE_NONEXIST: 97,
  WRONG_MESSAGE: 98,
  IE_NONEXIST: 99,
  INVALID_IE_CONTENTS: 100,
  WRONG_CALL_STATE: 101,
  RECOVERY_ON_TIMER_EXPIRE: 102,
  MANDATORY_IE_LENGTH_ERROR: 103,
  PROTOCOL_ERROR: 111,
  INTERWORKING: 127,
} as const;

/** Asterisk's aliases (AST_CAUSE_BUSY is USER_BUSY, AST_CAUSE_CONGESTION is SWITCH_CONGESTION, ...). */
export const CauseAlias = {
  BUSY: Cause.USER_BUSY,
  FAILURE: Cause.NETWORK_OUT_OF_ORDER,
  NORMAL: Cause.NORMAL_CLEARING,
  NOANSWER: Cause.NO_ANSWER,
  CONGESTION: Cause.SWITCH_CONGESTION,
  UNREGISTERED: Cause.SUBSCRIBER_ABSENT,
  NOSUCHDRIVER: Cause.CHAN_NOT_IMPLEMENTED,
} as const;

const TEXT: Readonly<Record<number, string>> = {
  0: "Not Defined",
  1: "Unallocated (unassigned) number",
  2: "No route to specified transmit network",
  3: "No route to destination",
  5: "Misdialed trunk prefix",
  6: "Channel unacceptable",
  7: "Call awarded and being delivered in an established channel",
  8: "Pre-empted",
  14: "Number ported elsewhere",
  16: "Normal Clearing",
  17: "User busy",
  18: "No user responding",
  19: "User alerting, no answer",
  20: "Subscriber absent",
  21: "Call Rejected",
  22: "Number changed",
  23: "Redirected to new destination",
  26: "Answered elsewhere",
  27: "Destination out of order",
  28: "Invalid number format",
  29: "Facility rejected",
  30: "Response to STATus ENQuiry",
  31: "Normal, unspecified",
  34: "Circuit/channel congestion",
  38: "Network out of order",
  41: "Temporary failure",
  42: "Switching equipment congestion",
  43: "Access information discarded",
  44: "Requested channel not available",
  50: "Facility not subscribed",
  52: "Outgoing call barred",
  54: "Incoming call barred",
  57: "Bearer capability not authorized",
  58: "Bearer capability not available",
  65: "Bearer capability not implemented",
  66: "Channel not implemented",
  69: "Facility not implemented",
  81: "Invalid call reference value",
  88: "Incompatible destination",
  95: "Invalid message unspecified",
  96: "Mandatory information element is missing",
  97: "Message type nonexist.",
  98: "Wrong message",
  99: "Info. element nonexist or not implemented",
  100: "Invalid information element contents",
  101: "Message not compatible with call state",
  102: "Recover on timer expiry",
  103: "Mandatory IE length error",
  111: "Protocol error, unspecified",
  127: "Interworking, unspecified",
};

const NAME_OF = new Map<number, string>(Object.entries(Cause).map(([name, n]) => [n, name]));

/** `AST_CAUSE_USER_BUSY` for 17; undefined for a number Asterisk has no name for. */
export function causeName(cause: number): string | undefined {
  const n = NAME_OF.get(cause);
  return n === undefined ? undefined : `AST_CAUSE_${n}`;
}

/** Asterisk's description (ast_cause2str): "User busy" for 17, "Unknown" otherwise. */
export function causeText(cause: number): string {
  return TEXT[cause] ?? "Unknown";
}

/**
 * A cause as written in the dialplan (`Hangup(17)`, `Hangup(USER_BUSY)`,
 * `Hangup(AST_CAUSE_BUSY)`), or undefined when it is neither a number nor a name.
 */
export function parseCause(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const name = t.toUpperCase().replace(/^AST_CAUSE_/, "");
  if (name in Cause) return Cause[name as keyof typeof Cause];
  if (name in CauseAlias) return CauseAlias[name as keyof typeof CauseAlias];
  return undefined;
}

/** The cause a SIP failure response puts on the called channel (seed table; Asterisk's chan_pjsip rules). */
export function causeFromSipResponse(status: number): number {
  switch (status) {
    case 401: case 403: case 407: case 603: return Cause.CALL_REJECTED;
    case 404: case 485: case 604: return Cause.UNALLOCATED;
    case 408: return Cause.NO_USER_RESPONSE;
    case 409: return Cause.NORMAL_TEMPORARY_FAILURE;
    case 410: return Cause.NUMBER_CHANGED;
    case 420: return Cause.NO_ROUTE_DESTINATION;
    case 480: case 483: return Cause.NO_ANSWER;
    case 484: return Cause.INVALID_NUMBER_FORMAT;
    case 486: case 600: return Cause.USER_BUSY;
    case 488: case 606: return Cause.BEARERCAPABILITY_NOTAVAIL;
    case 500: return Cause.NETWORK_OUT_OF_ORDER;
    case 501: return Cause.FACILITY_REJECTED;
    case 502: return Cause.DESTINATION_OUT_OF_ORDER;
    case 503: return Cause.SWITCH_CONGESTION;
    case 504: return Cause.RECOVERY_ON_TIMER_EXPIRE;
    default:
      // Other 5xx are congestion; every other 4xx and 6xx is an interworking failure.
      if (status >= 500 && status < 600) return Cause.SWITCH_CONGESTION;
      if (status >= 400 && status < 700) return Cause.INTERWORKING;
      return Cause.NORMAL_CLEARING;
  }
}

/**
 * The SIP response an unanswered caller gets when its channel ends with `cause`.
 * Causes Asterisk has no mapping for (NORMAL_CLEARING among them) end the INVITE the
 * way PJSIP does when given none: 603 Decline.
 */
export function sipResponseFromCause(cause: number): number {
  switch (cause) {
    case Cause.UNALLOCATED: case Cause.NO_ROUTE_TRANSIT_NET: case Cause.NO_ROUTE_DESTINATION: return 404;
    case Cause.NORMAL_CIRCUIT_CONGESTION: case Cause.SWITCH_CONGESTION: case Cause.CHAN_NOT_IMPLEMENTED: return 503;
    case Cause.NO_USER_RESPONSE: return 408;
    case Cause.NO_ANSWER: case Cause.SUBSCRIBER_ABSENT: case Cause.NORMAL_UNSPECIFIED: return 480;
    case Cause.CALL_REJECTED: return 403;
    case Cause.NUMBER_CHANGED: return 410;
    case Cause.INVALID_NUMBER_FORMAT: return 484;
    case Cause.USER_BUSY: return 486;
    case Cause.NETWORK_OUT_OF_ORDER: case Cause.INTERWORKING: return 500;
    case Cause.FACILITY_REJECTED: return 501;
    case Cause.DESTINATION_OUT_OF_ORDER: return 502;
    case Cause.BEARERCAPABILITY_NOTAVAIL: return 488;
    case Cause.RECOVERY_ON_TIMER_EXPIRE: return 504;
    default: return 603;
  }
}

const REASONS: Readonly<Record<number, string>> = {
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 407: "Proxy Authentication Required",
  408: "Request Timeout", 409: "Conflict", 410: "Gone", 480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
  483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous", 486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
  500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Server Time-out",
  600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable",
};

/** The technology-specific cause text HANGUPCAUSE(chan,tech) shows for a PJSIP leg: "SIP 486 Busy Here". */
export function sipTechCause(status: number): string {
  return `SIP ${status}${REASONS[status] ? ` ${REASONS[status]}` : ""}`;
}

export type DialStatus = "ANSWER" | "BUSY" | "NOANSWER" | "CANCEL" | "CONGESTION" | "CHANUNAVAIL" | "DONTCALL" | "TORTURE" | "INVALIDARGS";

/** How one failed called leg counts toward DIALSTATUS (app_dial's handle_cause). */
export function dialFailureKind(cause: number): "busy" | "congestion" | "nochan" | "noanswer" {
  switch (cause) {
    case Cause.USER_BUSY: return "busy";
    case Cause.SWITCH_CONGESTION: return "congestion";
    case Cause.NO_ANSWER: case Cause.NORMAL_CLEARING: return "noanswer";
    default: return "nochan"; // NO_ROUTE_DESTINATION, SUBSCRIBER_ABSENT and everything unexpected
  }
}

/**
 * DIALSTATUS when every called leg failed with these causes: any busy leg makes it
 * BUSY, else any congested one CONGESTION, else any unavailable one CHANUNAVAIL,
 * else NOANSWER. A single cause gives that cause's status.
 */
export function dialStatusFromCauses(causes: readonly number[]): DialStatus {
  const kinds = new Set(causes.map(dialFailureKind));
  if (kinds.has("busy")) return "BUSY";
  if (kinds.has("congestion")) return "CONGESTION";
  if (kinds.has("nochan")) return "CHANUNAVAIL";
  return "NOANSWER";
}

export function dialStatusFromCause(cause: number): DialStatus {
  return dialStatusFromCauses([cause]);
}
