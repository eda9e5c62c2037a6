/**
 * The event catalogue: every event type the log may hold, each with its versions.
 * A record whose type or version is not listed here is rejected, never skipped.
 */
import { Schema } from "effect";
import type { ActorKind } from "../record.js";
import { ContactTransitionV1 } from "./contact.js";

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

const definitions: readonly EventTypeDef[] = [ContactTransitionV1];

const compiled = new Map<string, CompiledEventType>();
for (const def of definitions) {
  compiled.set(`${def.type}@${def.v}`, {
    ...def,
    isInput: Schema.is(def.input),
    isState: Schema.is(def.state),
    isOutput: Schema.is(def.output),
  });
}

export function lookupEventType(type: string, v: number): CompiledEventType | undefined {
  return compiled.get(`${type}@${v}`);
}

export function knownVersions(type: string): number[] {
  return [...compiled.values()].filter((d) => d.type === type).map((d) => d.v);
}
