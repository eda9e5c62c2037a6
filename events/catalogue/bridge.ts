/**
 * bridge.transition v1: a bridge joining channels (two-party now, the same actor for
 * multi-party). Inputs: create (spawn: technology, name?), enter (channel), leave
 * (channel), video.source (channel id, or "" for talker mode: ARI's videoSource),
 * destroy. BRIDGE_ENTER / BRIDGE_EXIT come from the channels' own inputs.
 */
import * as Schema from "effect/Schema";
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
  /**
   * ARI's video mode, once an application chose one: `single` with `videoSource` (a channel's
   * unique id, cleared when that channel leaves), `talker` again once cleared.
   */
  videoMode: Schema.optional(Schema.Literal("talker", "single")),
  videoSource: Schema.optional(Schema.String),
});
export type BridgeContext = Schema.Schema.Type<typeof BridgeContext>;

export const BridgeTransitionV1 = transitionEvent("bridge.transition", 1, "bridge", BridgeStateValue, BridgeContext);
