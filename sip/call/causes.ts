/**
 * Hang-up causes and SIP responses (seed 003, "Hangup Cause Mappings"): the cause a SIP
 * failure response puts on a called channel, the response an unanswered caller gets for
 * a cause, and the technology cause text HANGUPCAUSE(chan,tech) shows.
 */
import { Cause } from "../../calls/hangup-causes.js";

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
