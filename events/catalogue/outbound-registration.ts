/**
 * outbound-registration.transition v1: one `type=registration` of pjsip.conf, from
 * start to Registered, Rejected (temporarily, retrying; or permanently) and Stopped.
 */
import * as Schema from "effect/Schema";
import { transitionEvent } from "./common.js";

export const OutboundRegistrationStateValue = Schema.Literal("unregistered", "registered", "rejected", "stopping", "stopped");

export const OutboundRegistrationContext = Schema.Struct({
  name: Schema.String,
  serverUri: Schema.String,
  clientUri: Schema.String,
  contactUser: Schema.String,
  expiration: Schema.Number,
  retryInterval: Schema.Number,
  forbiddenRetryInterval: Schema.Number,
  fatalRetryInterval: Schema.Number,
  maxRetries: Schema.Number,
  /** Seconds the first REGISTER may be delayed at random, so a restart does not flood the registrar. */
  maxRandomInitialDelay: Schema.Number,
  authRejectionPermanent: Schema.Boolean,
  /** An outbound_auth is configured: a first 401/407 is answered, not a failure. */
  hasAuth: Schema.Boolean,
  /** The dialog of every REGISTER this registration sends. */
  callId: Schema.String,
  fromTag: Schema.String,
  cseq: Schema.Number,
  retries: Schema.Number,
  /** Whether a REGISTER is outstanding, and whether it unregisters (Expires: 0). */
  pending: Schema.Literal("none", "register", "unregister"),
  /** Seconds the registrar granted on the last 200. */
  granted: Schema.Number,
  /** Last failure: SIP status (0 = no response) and whether it was final. */
  lastStatus: Schema.Number,
  permanent: Schema.Boolean,
  /** When the next REGISTER goes out, microseconds (0 = not scheduled). */
  nextAt: Schema.Number,
});
export type OutboundRegistrationContext = Schema.Schema.Type<typeof OutboundRegistrationContext>;

export const OutboundRegistrationTransitionV1 = transitionEvent("outbound-registration.transition", 1, "outbound-registration", OutboundRegistrationStateValue, OutboundRegistrationContext);
