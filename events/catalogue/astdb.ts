/**
 * astdb.transition v1: one key of the Asterisk database (DB(family/key), `database
 * put`). Each key is its own actor `astdb:<family>/<key>`, so a write logs one small
 * event and a restart rebuilds exactly the keys that exist. Inputs: put (spawn and
 * update: value), del (the key ends).
 */
import * as Schema from "effect/Schema";
import { transitionEvent } from "./common.js";

export const AstDbContext = Schema.Struct({ family: Schema.String, key: Schema.String, value: Schema.String });

export const AstDbTransitionV1 = transitionEvent("astdb.transition", 1, "astdb", Schema.Literal("set", "deleted"), AstDbContext);
