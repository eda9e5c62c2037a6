/**
 * contact.transition v1: one binding of a URI to an AOR (a registration), from the
 * REGISTER that created it to its expiry or removal.
 */
import * as Schema from "effect/Schema";
import { transitionEvent } from "./common.js";

export const ContactStateValue = Schema.Literal("registered", "expired", "removed");

export const ContactContext = Schema.Struct({
  aor: Schema.String,
  uri: Schema.String,
  /** Seconds granted on the last REGISTER. */
  expires: Schema.Number,
  /** When the binding lapses, microseconds. */
  expiresAt: Schema.Number,
  registeredAt: Schema.Number,
  updatedAt: Schema.Number,
  callId: Schema.String,
  cseq: Schema.Number,
  userAgent: Schema.String,
  /** Where the REGISTER came from, "udp:127.0.0.1:5062". */
  received: Schema.String,
  endpoint: Schema.String,
  /** Qualify (OPTIONS) result, when the AOR has qualify_frequency: reachability and round trip. */
  qualifyStatus: Schema.optional(Schema.Literal("Unknown", "Avail", "Unavail")),
  rttMs: Schema.optional(Schema.Number),
  /** Why the binding ended, when it has. */
  reason: Schema.optional(Schema.String),
});
export type ContactContext = Schema.Schema.Type<typeof ContactContext>;

export const ContactTransitionV1 = transitionEvent("contact.transition", 1, "contact", ContactStateValue, ContactContext);
