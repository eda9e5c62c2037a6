/**
 * The shipper's link to a real Kafka: an admin client makes sure the topic exists and
 * reads back where each partition stands (resume.ts); the idempotent producer runs in
 * its own thread (remote-producer.ts).
 */
import type { Kafka, logLevel } from "kafkajs";
import { lastShippedOffsets } from "./resume.js";
import { RemoteProducer, type EncodedBatch } from "./remote-producer.js";
import type { KafkaLink } from "./shipper.js";
import { tapGroupId } from "./tap.js";
import { ensureTopic } from "./topic.js";

export interface KafkajsLinkOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** Partitions of the topic when it is created here. */
  readonly partitions: number;
  readonly nodeId: string;
  readonly clientId: string;
  /** Where Kafka is (for the producer thread and messages). */
  readonly brokers: readonly string[];
  readonly kafkaLogLevel?: logLevel;
  readonly notice: (message: string) => void;
}

export class KafkajsLink implements KafkaLink {
  private producer: RemoteProducer | null = null;
  private readonly node: Buffer;

  constructor(private readonly o: KafkajsLinkOptions) {
    this.node = Buffer.from(o.nodeId);
  }

  get where(): string { return this.o.brokers.join(","); }

  async prepare(): Promise<number[]> {
    const { kafka, topic } = this.o;
    const admin = kafka.admin();
    try {
      await admin.connect();
      const partitions = await ensureTopic(admin, topic, this.o.partitions, this.o.notice);
      const last = await lastShippedOffsets({ kafka, admin, topic, node: this.node, groupId: tapGroupId(this.o.clientId, this.o.nodeId) });
      return Array.from({ length: partitions }, (_, p) => last[p] ?? -1);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async connect(): Promise<void> {
    this.producer = await RemoteProducer.start({
      brokers: this.o.brokers, clientId: this.o.clientId, ...(this.o.kafkaLogLevel !== undefined ? { logLevel: this.o.kafkaLogLevel } : {}),
    });
  }

  send(batch: EncodedBatch): Promise<void> {
    return this.producer!.send(this.o.topic, batch);
  }

  async close(): Promise<void> {
    await this.producer?.close();
    this.producer = null;
  }
}
