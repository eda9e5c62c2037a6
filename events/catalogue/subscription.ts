/**
 * subscription.transition v1: one RFC 6665 subscription a phone made to Recall
 * (`dialog`, `presence` or `message-summary`), from the SUBSCRIBE that created it to
 * its end. Every NOTIFY it sends is an output of the transition that caused it, so
 * the log holds each one (its CSeq, body version and the state it told).
 *
 * Inputs:
 *   subscribe    spawn: the dialog (callId, localTag, remote/local name-addrs, remote
 *                target, route set, destination, contact), event, accept, endpoint,
 *                resource, expires, cseq, state (the resource's state now)
 *   refresh      cseq, expires (> 0)                  → NOTIFY of the current state
 *   state        state                                → NOTIFY when it differs
 *   unsubscribe  cseq                                 → final NOTIFY, terminated
 *   timer        expiry                               → final NOTIFY, terminated;reason=timeout
 *   failed       status (the NOTIFY's failure: 481, 408 ...)   → ended, nothing sent
 *   deactivate   (the hint is gone after a dialplan reload)   → final NOTIFY, terminated;reason=noresource
 * Outputs: notify {cseq, version, state, subscriptionState, expires?, reason?}, timer.set/cancel.
 */
import * as Schema from "effect/Schema";
import { transitionEvent } from "./common.js";

export const SubscriptionEvent = Schema.Literal("dialog", "presence", "message-summary");
export type SubscriptionEvent = Schema.Schema.Type<typeof SubscriptionEvent>;

export const SubscriptionContext = Schema.Struct({
  event: SubscriptionEvent,
  /** The body type the NOTIFYs carry (from Accept). */
  accept: Schema.String,
  endpoint: Schema.String,
  /** What is watched: `exten@context` for dialog/presence, the mailboxes for message-summary. */
  resource: Schema.String,
  /** The hint's devices, or the mailboxes, as resolved at SUBSCRIBE. */
  devices: Schema.Array(Schema.String),
  callId: Schema.String,
  localTag: Schema.String,
  /** Our side (To of the SUBSCRIBE, with localTag) and theirs (From), as name-addrs. */
  local: Schema.String,
  remote: Schema.String,
  /** Where NOTIFYs go: the subscriber's Contact, its route set, and the address it sent from. */
  remoteTarget: Schema.String,
  routeSet: Schema.Array(Schema.String),
  destination: Schema.String,
  contact: Schema.String,
  remoteCseq: Schema.Number,
  localCseq: Schema.Number,
  expires: Schema.Number,
  expiresAt: Schema.Number,
  /** The state last told (an extension state name, or `new/old` messages). */
  state: Schema.String,
  /** dialog-info version of the last NOTIFY. */
  version: Schema.Number,
  createdAt: Schema.Number,
  reason: Schema.optional(Schema.String),
});
export type SubscriptionContext = Schema.Schema.Type<typeof SubscriptionContext>;

export const SubscriptionTransitionV1 = transitionEvent("subscription.transition", 1, "subscription", Schema.Literal("active", "terminated"), SubscriptionContext);
