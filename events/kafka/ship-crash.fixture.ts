/**
 * Child process for the kill -9 test: appends events to a KafkaEventLog forever,
 * shipping in small batches, and prints how far shipping got each time it moves.
 *   node ship-crash.fixture.js OUTBOX_DIR BROKER TOPIC
 */
import { KafkaEventLog } from "./kafka-log.js";
import { sampleDraft } from "../testing.js";

const [dir, broker, topic] = process.argv.slice(2);
const log = await KafkaEventLog.open({ dir, brokers: [broker], topic, nodeId: "crash", shipBatch: 40, notice: () => undefined, retry: { initialMs: 50, maxMs: 200 } });
let reported = -1;
setInterval(() => {
  const { shipped } = log.shipping;
  if (shipped !== reported) process.stdout.write(`${(reported = shipped)}\n`);
}, 2);
const STREAMS = 11;
for (;;) {
  const from = log.nextOffset;
  const batch = Array.from({ length: 25 }, (_, k) => sampleDraft(`contact:k${(from + k) % STREAMS}`, Math.floor((from + k) / STREAMS) + 1, from + k));
  await log.append(batch);
}
