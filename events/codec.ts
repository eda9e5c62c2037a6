/**
 * The binary form of an event record, shared by the embedded log, Kafka and worker
 * threads: a msgpack array in a fixed field order, tagged with a format number.
 * Decoding checks the shape and the catalogue (type, version, input, state, outputs)
 * and rejects anything else with the offset and the reason.
 */
import { Packr } from "msgpackr";
import { lookupEventType, knownVersions } from "./catalogue/index.js";
import { EventLogError } from "./log.js";
import type { ActorKind, EventRecord } from "./record.js";

const FORMAT = 1;
const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });

export function encodeRecord(r: EventRecord): Buffer {
  return packr.pack([
    FORMAT, r.offset, r.type, r.v, r.stream, r.kind, r.linkedid ?? null, r.seq, r.time,
    r.input, r.state, r.outputs, r.draws ?? null,
  ]);
}

function fail(offset: number | undefined, reason: string): never {
  throw new EventLogError(offset === undefined ? `bad event record: ${reason}` : `bad event record at offset ${offset}: ${reason}`, offset);
}

/**
 * Decode one record. `expectedOffset` is where the reader found it: a record that
 * claims another offset is corrupt. `validate` checks the payload against the
 * catalogue's schemas (type and version are always checked).
 */
export function decodeRecord(bytes: Uint8Array, expectedOffset?: number, validate = true): EventRecord {
  let a: unknown;
  try {
    a = packr.unpack(bytes);
  } catch (e) {
    fail(expectedOffset, `undecodable (${(e as Error).message})`);
  }
  if (!Array.isArray(a) || a.length !== 13) fail(expectedOffset, "not an event record");
  const [format, offset, type, v, stream, kind, linkedid, seq, time, input, state, outputs, draws] = a;
  if (format !== FORMAT) fail(expectedOffset, `unknown record format ${String(format)}`);
  if (typeof offset !== "number") fail(expectedOffset, "offset missing");
  if (expectedOffset !== undefined && offset !== expectedOffset) fail(expectedOffset, `record claims offset ${offset}`);
  const at = offset;
  if (typeof type !== "string" || typeof v !== "number") fail(at, "type or version missing");
  const def = lookupEventType(type, v);
  if (!def) {
    const versions = knownVersions(type);
    fail(at, versions.length ? `unknown version ${v} of event type ${type} (known: ${versions.join(", ")})` : `unknown event type ${type}`);
  }
  if (typeof stream !== "string" || !stream) fail(at, "stream missing");
  if (kind !== def.kind) fail(at, `kind ${String(kind)} does not match ${type}`);
  if (typeof seq !== "number" || typeof time !== "number") fail(at, "seq or time missing");
  if (linkedid !== null && typeof linkedid !== "string") fail(at, "linkedid is not a string");
  if (draws !== null && !Array.isArray(draws)) fail(at, "draws is not a list");
  if (!Array.isArray(outputs)) fail(at, "outputs is not a list");
  if (validate) {
    if (!def.isInput(input)) fail(at, `input does not match ${type} v${v}`);
    if (!def.isState(state)) fail(at, `state does not match ${type} v${v}`);
    for (const o of outputs) if (!def.isOutput(o)) fail(at, `output does not match ${type} v${v}`);
  }
  const record: EventRecord = {
    offset, type, v, stream, kind: kind as ActorKind, seq, time, input, state, outputs,
    ...(linkedid !== null ? { linkedid } : {}),
    ...(draws !== null ? { draws } : {}),
  };
  return record;
}
