/**
 * The producer thread: an idempotent kafkajs producer (acks=-1, one request in
 * flight) run off the main thread, because encoding Kafka record batches costs
 * kafkajs more CPU per event than everything else Recall does to ship it.
 * Messages: see remote-producer.ts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Partitioners, type Message, type Producer } from "kafkajs";
import { classify } from "./errors.js";
import { kafkaClient, message, type ClientSettings } from "./topic.js";
import type { EncodedBatch, WorkerReply, WorkerRequest } from "./remote-producer.js";

const port = parentPort!;
const settings = workerData as ClientSettings;
let producer: Producer | null = null;

function messages(b: EncodedBatch): Message[] {
  const node = Buffer.from(b.node);
  const values = Buffer.from(b.values.buffer, b.values.byteOffset, b.values.byteLength);
  const out: Message[] = new Array(b.keys.length);
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    const end = b.ends[i];
    out[i] = message(b.keys[i], values.subarray(start, end), b.partitions[i], b.times[i], node);
    start = end;
  }
  return out;
}

async function handle(r: WorkerRequest): Promise<void> {
  switch (r.op) {
    case "connect": {
      producer = kafkaClient(settings).producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 },
      });
      await producer.connect();
      return;
    }
    case "send":
      if (!producer) throw new Error("producer not connected");
      await producer.send({ topic: r.topic, acks: -1, messages: messages(r.batch) });
      return;
    case "close":
      await producer?.disconnect().catch(() => undefined);
      producer = null;
      return;
  }
}

port.on("message", (r: WorkerRequest) => {
  handle(r).then(
    () => port.postMessage({ id: r.id, ok: true } satisfies WorkerReply),
    (e) => port.postMessage({ id: r.id, ok: false, error: classify(e) } satisfies WorkerReply),
  ).finally(() => { if (r.op === "close") port.close(); });
});
