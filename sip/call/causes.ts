/**
 * Hang-up causes across SIP (seed 003, "Hangup cause mappings"): a SIP failure
 * response becomes a Q.850 cause on the channel, a cause becomes the SIP response
 * sent to a caller, and a dial outcome becomes DIALSTATUS.
 */
export const Cause = {
  UNALLOCATED: 1,
  NO_ROUTE_DESTINATION: 3,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  NUMBER_CHANGED: 22,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  FACILITY_REJECTED: 29,
  NORMAL_UNSPECIFIED: 31,
  NORMAL_CIRCUIT_CONGESTION: 34,
  NETWORK_OUT_OF_ORDER: 38,
  NORMAL_TEMPORARY_FAILURE: 41,
  SWITCH_CONGESTION: 42,
  BEARERCAPABILITY_NOTAVAIL: 58,
  INCOMPATIBLE_DESTINATION: 88,
  RECOVERY_ON_TIMER_EXPIRE: 102,
  INTERWORKING: 127,
} as const;

/** The cause a SIP failure response puts on the called channel. */
export function causeFromSip(status: number): number {
  switch (status) {
    case 404: return Cause.UNALLOCATED;
    case 486: case 600: return Cause.USER_BUSY;
    case 408: return Cause.NO_USER_RESPONSE;
    case 480: case 483: return Cause.NO_ANSWER;
    case 401: case 403: case 603: return Cause.CALL_REJECTED;
    case 410: return Cause.NUMBER_CHANGED;
    case 502: return Cause.DESTINATION_OUT_OF_ORDER;
    case 484: return Cause.INVALID_NUMBER_FORMAT;
    case 500: return Cause.NETWORK_OUT_OF_ORDER;
    case 409: return Cause.NORMAL_TEMPORARY_FAILURE;
    case 503: return Cause.SWITCH_CONGESTION;
    case 504: return Cause.RECOVERY_ON_TIMER_EXPIRE;
    case 488: case 606: return Cause.INCOMPATIBLE_DESTINATION;
    default: return status >= 500 && status < 600 ? Cause.SWITCH_CONGESTION : Cause.INTERWORKING;
  }
}

/** The SIP response a caller gets when its channel ends with `cause` before answer. */
export function sipFromCause(cause: number): number {
  switch (cause) {
    case Cause.UNALLOCATED: case Cause.NO_ROUTE_DESTINATION: return 404;
    case Cause.USER_BUSY: return 486;
    case Cause.NO_USER_RESPONSE: return 408;
    case Cause.NO_ANSWER: case Cause.SUBSCRIBER_ABSENT: return 480;
    case Cause.CALL_REJECTED: return 403;
    case Cause.NUMBER_CHANGED: return 410;
    case Cause.DESTINATION_OUT_OF_ORDER: return 502;
    case Cause.INVALID_NUMBER_FORMAT: return 484;
    case Cause.FACILITY_REJECTED: return 501;
    case Cause.NORMAL_CIRCUIT_CONGESTION: case Cause.SWITCH_CONGESTION: case Cause.NORMAL_TEMPORARY_FAILURE: return 503;
    case Cause.NETWORK_OUT_OF_ORDER: return 500;
    case Cause.BEARERCAPABILITY_NOTAVAIL: case Cause.INCOMPATIBLE_DESTINATION: return 488;
    case Cause.RECOVERY_ON_TIMER_EXPIRE: return 504;
    case Cause.NORMAL_CLEARING: return 480;
    default: return 500;
  }
}

export type DialStatus = "ANSWER" | "BUSY" | "NOANSWER" | "CANCEL" | "CONGESTION" | "CHANUNAVAIL" | "DONTCALL" | "TORTURE" | "INVALIDARGS";

/** DIALSTATUS for a called leg that failed with `cause` (app_dial's mapping). */
export function dialStatusFromCause(cause: number): DialStatus {
  switch (cause) {
    case Cause.USER_BUSY: return "BUSY";
    case Cause.NO_ANSWER: case Cause.NO_USER_RESPONSE: return "NOANSWER";
    case Cause.NORMAL_CIRCUIT_CONGESTION: case Cause.SWITCH_CONGESTION: case Cause.NORMAL_TEMPORARY_FAILURE: return "CONGESTION";
    case Cause.NORMAL_CLEARING: return "NOANSWER";
    default: return "CHANUNAVAIL";
  }
}
