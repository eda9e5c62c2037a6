/**
 * The event catalogue: every event type the log may hold, each with its versions.
 * A record whose type or version is not listed here is rejected, never skipped.
 */
import * as Schema from "effect/Schema";
import type { ActorKind } from "../record.js";
import { ContactTransitionV1 } from "./contact.js";
import { OutboundRegistrationTransitionV1 } from "./outbound-registration.js";
import { ChannelTransitionV1 } from "./channel.js";
import { BridgeTransitionV1 } from "./bridge.js";
import { AstDbTransitionV1 } from "./astdb.js";
import { SubscriptionTransitionV1 } from "./subscription.js";
import { MessageTransitionV1 } from "./message.js";
import { RecordingTransitionV1 } from "./recording.js";
import { QueueMemberTransitionV1, QueueTransitionV1 } from "./queue.js";

export interface EventTypeDef {
  readonly type: string;
  readonly v: number;
  readonly kind: ActorKind;
  readonly input: Schema.Schema<any, any, never>;
  readonly state: Schema.Schema<any, any, never>;
  readonly output: Schema.Schema<any, any, never>;
}

export interface CompiledEventType extends EventTypeDef {
  readonly isInput: (u: unknown) => boolean;
  readonly isState: (u: unknown) => boolean;
  readonly isOutput: (u: unknown) => boolean;
}

const definitions: readonly EventTypeDef[] = [ContactTransitionV1, OutboundRegistrationTransitionV1, ChannelTransitionV1, BridgeTransitionV1, AstDbTransitionV1,
  SubscriptionTransitionV1, MessageTransitionV1, QueueTransitionV1, QueueMemberTransitionV1, RecordingTransitionV1];

/** type → version → compiled definition. */
const compiled = new Map<string, Map<number, CompiledEventType>>();
for (const def of definitions) {
  const versions = compiled.get(def.type) ?? new Map<number, CompiledEventType>();
  versions.set(def.v, { ...def, isInput: Schema.is(def.input), isState: Schema.is(def.state), isOutput: Schema.is(def.output) });
  compiled.set(def.type, versions);
}

/** The last type looked up: logs are long runs of few types, and this is on every record read. */
let last: CompiledEventType | undefined;

export function lookupEventType(type: string, v: number): CompiledEventType | undefined {
  if (last !== undefined && last.type === type && last.v === v) return last;
  const found = compiled.get(type)?.get(v);
  if (found) last = found;
  return found;
}

export function knownVersions(type: string): number[] {
  return [...(compiled.get(type)?.keys() ?? [])];
}
