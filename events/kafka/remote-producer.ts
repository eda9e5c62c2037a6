/**
 * The main thread's handle on the producer thread (producer-worker.ts). A batch
 * crosses as one byte array of record payloads plus per-message keys, partitions and
 * timestamps. A send resolves when Kafka acknowledged it (acks=-1) and rejects with a
 * classified ShipError; if the thread dies, every pending send rejects, and the
 * shipper (as after any failure) starts a new one and reads the topic back.
 */
import { Worker } from "node:worker_threads";
import { ShipError, type FailureInfo } from "./errors.js";
import type { ClientSettings } from "./topic.js";

export interface EncodedBatch {
  readonly node: string;
  /** Record payloads back to back; message i is values[ends[i-1], ends[i]). */
  readonly values: Uint8Array;
  readonly ends: Uint32Array;
  readonly partitions: Uint32Array;
  readonly keys: string[];
  /** Message timestamps, ms. */
  readonly times: Float64Array;
}

export type WorkerRequest =
  | { readonly id: number; readonly op: "connect" }
  | { readonly id: number; readonly op: "send"; readonly topic: string; readonly batch: EncodedBatch }
  | { readonly id: number; readonly op: "close" };

export type WorkerReply = { readonly id: number; readonly ok: true } | { readonly id: number; readonly ok: false; readonly error: FailureInfo };

type Pending = { resolve: () => void; reject: (e: Error) => void };
type Request = { op: "connect" } | { op: "send"; topic: string; batch: EncodedBatch } | { op: "close" };

export class RemoteProducer {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private dead: ShipError | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve();
      else p.reject(new ShipError(reply.error.reason, reply.error.unreachable));
    });
    const lost = (why: string) => {
      this.dead ??= new ShipError(`the producer thread stopped: ${why}`, false);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
    worker.on("error", (e) => lost(e.message));
    worker.on("exit", (code) => lost(`exit code ${code}`));
  }

  /** Start the thread and connect its idempotent producer. */
  static async start(settings: ClientSettings): Promise<RemoteProducer> {
    const worker = new Worker(new URL("./producer-worker.js", import.meta.url), { workerData: settings });
    const producer = new RemoteProducer(worker);
    try {
      await producer.call({ op: "connect" });
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    return producer;
  }

  send(topic: string, batch: EncodedBatch): Promise<void> {
    return this.call({ op: "send", topic, batch });
  }

  /** Disconnect the producer (waiting up to `timeoutMs`) and end the thread. */
  async close(timeoutMs = 5000): Promise<void> {
    if (!this.dead) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.call({ op: "close" }).catch(() => undefined), new Promise((r) => { timer = setTimeout(r, timeoutMs); })]);
      clearTimeout(timer);
    }
    await this.worker.terminate();
  }

  private call(request: Request): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...request });
    });
  }
}
