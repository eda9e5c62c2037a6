/**
 * bridge.transition v1: a bridge joining channels (two-party now, the same actor for
 * multi-party). Inputs: create (spawn: technology, name?), enter (channel), leave
 * (channel), destroy. BRIDGE_ENTER / BRIDGE_EXIT come from the channels' own inputs.
 */
import { Schema } from "effect";
import { transitionEvent } from "./common.js";

export const BridgeStateValue = Schema.Literal("active", "destroyed");

export const BridgeContext = Schema.Struct({
  id: Schema.String,
  technology: Schema.String,
  name: Schema.String,
  /** Channel ids in the bridge, in the order they entered. */
  channels: Schema.Array(Schema.String),
  createdAt: Schema.Number,
  /** How many channels have ever entered: more than two makes it multi-party for CDR. */
  entered: Schema.Number,
});
export type BridgeContext = Schema.Schema.Type<typeof BridgeContext>;

export const BridgeTransitionV1 = transitionEvent("bridge.transition", 1, "bridge", BridgeStateValue, BridgeContext);
