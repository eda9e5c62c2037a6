/**
 * How event records sit in the Kafka topic: one message per record, keyed by stream,
 * in the partition a stable hash of the stream picks (so one actor's events keep
 * their order), the record's payload (events/codec.ts) as value, and a `node` header
 * naming the Recall node whose log it belongs to (offsets are per node).
 */
import { crc32 } from "node:zlib";
import { Kafka, logLevel, type Admin, type KafkaMessage, type Message } from "kafkajs";
import { decodeRecord, encodeRecord, type StoredRecord } from "../codec.js";
import { EventLogError } from "../log.js";
import type { EventRecord } from "../record.js";

export const NODE_HEADER = "node";

/** Topic settings: the topic is the log, so nothing expires; large states fit. */
const TOPIC_CONFIG = [
  { name: "retention.ms", value: "-1" },
  { name: "retention.bytes", value: "-1" },
  { name: "max.message.bytes", value: String(16 * 1024 * 1024) },
];

export interface ClientSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** kafkajs's own log lines (default: none; Recall reports what matters itself). */
  readonly logLevel?: logLevel;
}

export function kafkaClient(s: ClientSettings): Kafka {
  return new Kafka({
    clientId: s.clientId,
    brokers: [...s.brokers],
    logLevel: s.logLevel ?? logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 15000,
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 },
  });
}

/** The partition of a stream: stable across processes and versions (CRC-32 of its name). */
export function partitionOf(stream: string, partitions: number): number {
  return crc32(stream) % partitions;
}

/** One record's message: keyed by stream, in `partition`, timestamped with the record's time (ms). */
export function message(stream: string, payload: Buffer, partition: number, timeMs: number, node: Buffer): Message & { partition: number } {
  return { key: stream, value: payload, partition, timestamp: String(timeMs), headers: { [NODE_HEADER]: node } };
}

export const toMessage = (record: EventRecord, node: Buffer, partition: number) =>
  message(record.stream, encodeRecord(record), partition, Math.floor(record.time / 1000), node);

/** Whether a message belongs to this node's log. */
export function isOwn(message: KafkaMessage, node: Buffer): boolean {
  const h = message.headers?.[NODE_HEADER];
  return Buffer.isBuffer(h) && h.equals(node);
}

/** Decode one of this node's messages; a corrupt one is an error naming where it is. */
export function decodeMessage(message: KafkaMessage, topic: string, partition: number, validate = true): StoredRecord {
  if (!message.value) throw new EventLogError(`bad event record in Kafka topic ${topic} partition ${partition} at Kafka offset ${message.offset}: empty message`);
  try {
    return decodeRecord(message.value, undefined, validate);
  } catch (e) {
    throw new EventLogError(`${(e as Error).message} (Kafka topic ${topic} partition ${partition}, Kafka offset ${message.offset})`, (e as EventLogError).offset, { cause: e });
  }
}

/**
 * Create the topic with `partitions` partitions unless it exists; returns the
 * partition count it really has (an existing topic keeps its own).
 */
export async function ensureTopic(admin: Admin, topic: string, partitions: number, notice: (m: string) => void): Promise<number> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, configEntries: TOPIC_CONFIG }] });
  }
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const actual = meta.topics[0]?.partitions.length ?? 0;
  if (actual === 0) throw new EventLogError(`Kafka topic ${topic} has no partitions`);
  if (actual !== partitions) notice(`kafka: topic ${topic} has ${actual} partitions, not the configured ${partitions}; using ${actual}`);
  return actual;
}
