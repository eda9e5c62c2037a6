/**
 * Hang-up causes (seed 003, "Hangup Cause Mappings"): the Q.850 numbers Asterisk keeps
 * on a channel, their AST_CAUSE_ names and texts, and how the causes of the called legs
 * become Dial's DIALSTATUS. How a technology's responses map to causes is its driver's
 * business (SIP's: sip/call/causes.ts).
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
/** Asterisk's AST_SOFTHANGUP_EXPLICIT: a hang-up asked for from outside the call (console, ARI); AMI's SoftHangupRequest Cause. */
export const SOFTHANGUP_EXPLICIT = 32;

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
