/**
 * The replay figures of log.bench.ts, measured in a fresh process as `recall replay`
 * and recovery at start run: the log is folded three times (the first pass includes
 * the JIT warming up), then verified once. Prints one JSON line.
 *   node dist/events/bench/replay.child.js LOGDIR
 */
import { SegmentLog } from "../embedded/segment-log.js";
import { StateFold } from "../../actors/fold.js";
import { verifyLog } from "../../actors/replay.js";
import { actorKinds } from "../../actors/kinds.js";

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const reader = await SegmentLog.open(process.argv[2]!, { notice: () => undefined, readOnly: true });
const folds: number[] = [];
let live = 0, events = 0;
for (let pass = 0; pass < 3; pass++) {
  const started = process.hrtime.bigint();
  const fold = await StateFold.of(reader);
  live = (await fold.liveRecords(reader)).length;
  events = fold.events;
  folds.push(events / seconds(started));
}
const started = process.hrtime.bigint();
const verified = await verifyLog(reader, actorKinds);
const verify = verified.events / seconds(started);
await reader.close();
console.log(JSON.stringify({ events, live, folds, verify, divergence: verified.divergence !== undefined }));
