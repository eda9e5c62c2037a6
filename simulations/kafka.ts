/**
 * Kafka in a simulation: a simulated broker (one topic, its partitions, the records
 * that landed in each with their node, in Kafka order) on the world's virtual clock
 * and a seeded random, behind the same port the real shipper uses against kafkajs
 * (events/kafka/shipper.ts, KafkaLink). What runs is the real Shipper: it reads the
 * simulation's log (the Kafka backend's outbox) and ships it here.
 *
 * Faults the broker can show: an outage (connects and sends fail as unreachable after
 * kafkajs's timeouts), a request that was on its way when the outage began (it may have
 * landed; no answer comes), and a send that lands but whose acknowledgement is lost
 * (the case resume.ts exists for: the shipper must read the topic back and not send
 * those records again).
 *
 * The broker checks what lands (nothing twice, in order per partition, each record in
 * its stream's partition under its stream's key); TopicCheck checks at the end that the
 * topic holds every outbox record exactly once.
 */
import type { Clock, VirtualClock } from "../core/clock.js";
import { decodeRecord } from "../events/codec.js";
import type { SegmentLog } from "../events/embedded/segment-log.js";
import { ShipError } from "../events/kafka/errors.js";
import type { EncodedBatch } from "../events/kafka/remote-producer.js";
import { Shipper, type KafkaLink, type Outbox } from "../events/kafka/shipper.js";
import { partitionOf } from "../events/kafka/topic.js";
import type { ReadOptions } from "../events/log.js";
import type { EventRecord } from "../events/record.js";
import { type Dice, drain } from "./world.js";

export const KAFKA_ONCE = "the Kafka topic holds every outbox record exactly once, in order per partition";
export const KAFKA_APPENDS = "appends go on during a Kafka outage (calls are set up, the log grows)";
export const KAFKA_RESUME = "after a crash, shipping resumes from what the Kafka topic holds";

/** kafkajs's connection timeout (events/kafka/topic.ts): a connect to a broker that is gone fails after it. */
const CONNECT_TIMEOUT_MICROS = 2_000_000;
/** kafkajs's request timeout: a send whose answer never comes fails after it. */
const REQUEST_TIMEOUT_MICROS = 15_000_000;

/** Something wrong in the topic: which record, and why. */
export interface TopicProblem {
  readonly invariant: string;
  readonly detail: string;
  /** The outbox (log) offset of the record concerned. */
  readonly offset: number;
  readonly stream: string;
}

/** One partition: the record offset and node of each message, at its Kafka offset. */
interface Partition {
  readonly offsets: number[];
  readonly nodes: number[];
}

/** A deliberately broken broker, for the test that shows the invariants catch it. */
export interface BrokerSabotage {
  /** Acknowledge the record at this outbox offset but never store it. */
  readonly drop?: number;
  /** Store the record at this outbox offset twice. */
  readonly double?: number;
  /** Reading back where a partition stands, answer this much more than it holds (a resume past records never shipped). */
  readonly readBackAhead?: number;
}

export class SimKafka {
  /** Unreachable: connects and sends fail after a timeout. */
  down = false;
  /** Chance that a send which lands has its acknowledgement lost. */
  ackLoss = 0;
  readonly stats = { sends: 0, failed: 0, lostAcks: 0, records: 0 };
  /** The first thing seen wrong in what landed. */
  problem: TopicProblem | undefined;
  /** A restarted shipper's first landing, to check against the outbox (see checkResume). */
  resumeCheck: { before: number[]; first: Map<number, number> } | undefined;
  private parts: Partition[] | null = null;
  private readonly nodes: string[] = [];
  /** Highest record offset per node per partition. */
  private readonly last = new Map<number, number[]>();

  constructor(
    readonly clock: VirtualClock,
    private readonly dice: Dice,
    readonly topic: string,
    /** Partitions when the topic is created (by the first shipper to prepare). */
    readonly partitionCount: number,
    private readonly sabotage: BrokerSabotage = {},
  ) {}

  get partitions(): readonly Partition[] { return this.parts ?? []; }

  /** A connection from one process (node `nodeId`): its answers stop when `alive` turns false. */
  link(nodeId: string, alive: () => boolean, restarted: boolean): KafkaLink {
    return new SimLink(this, nodeId, alive, restarted);
  }

  /** Round trip to the broker, µs. */
  rtt(): number { return 1_000 + this.dice.int(0, 3_000); }
  chance(p: number): boolean { return this.dice.chance(p); }

  nodeIndex(nodeId: string): number {
    let i = this.nodes.indexOf(nodeId);
    if (i < 0) i = this.nodes.push(nodeId) - 1;
    return i;
  }

  /** The topic exists (created now if not); per partition, the highest offset of this node's records (what resume.ts reads back). */
  prepare(node: number): number[] {
    this.parts ??= Array.from({ length: this.partitionCount }, () => ({ offsets: [], nodes: [] }));
    const ahead = this.sabotage.readBackAhead ?? 0;
    return this.lastOf(node).map((l) => (l >= 0 ? l + ahead : l));
  }

  private lastOf(node: number): number[] {
    let last = this.last.get(node);
    if (!last) this.last.set(node, last = Array.from(this.partitions, () => -1));
    return last;
  }

  /** Append a batch's messages to their partitions, checking each. */
  land(node: number, batch: EncodedBatch, firstOfRestart: boolean): void {
    const parts = this.parts!;
    const last = this.lastOf(node);
    if (firstOfRestart) this.resumeCheck = { before: last.slice(), first: new Map() };
    const values = Buffer.from(batch.values.buffer, batch.values.byteOffset, batch.values.byteLength);
    let start = 0;
    for (let i = 0; i < batch.keys.length; i++) {
      const end = batch.ends[i];
      const r = decodeRecord(values, undefined, false, start, end);
      start = end;
      const p = batch.partitions[i];
      if (p >= parts.length || p !== partitionOf(r.stream, parts.length) || batch.keys[i] !== r.stream) {
        this.problem ??= { invariant: KAFKA_ONCE, detail: `record ${r.offset} of ${r.stream} was sent to partition ${p} under key ${batch.keys[i]}`, offset: r.offset, stream: r.stream };
        continue;
      }
      if (r.offset <= last[p]) {
        this.problem ??= {
          invariant: firstOfRestart ? KAFKA_RESUME : KAFKA_ONCE,
          detail: `record ${r.offset} arrived in partition ${p}, which already holds this node's records up to ${last[p]}: sent twice, or out of order${firstOfRestart ? " (the first batch after a restart)" : ""}`,
          offset: r.offset, stream: r.stream,
        };
      }
      if (firstOfRestart && !this.resumeCheck!.first.has(p)) this.resumeCheck!.first.set(p, r.offset);
      last[p] = Math.max(last[p], r.offset);
      this.stats.records++;
      if (r.offset === this.sabotage.drop) continue;
      const copies = r.offset === this.sabotage.double ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        parts[p].offsets.push(r.offset);
        parts[p].nodes.push(node);
      }
    }
  }
}

class SimLink implements KafkaLink {
  readonly where = "the simulated broker";
  private readonly node: number;
  private landed = false;

  constructor(private readonly k: SimKafka, nodeId: string, private readonly alive: () => boolean, private readonly restarted: boolean) {
    this.node = k.nodeIndex(nodeId);
  }

  prepare(): Promise<number[]> { return this.request("connect", () => this.k.prepare(this.node)); }
  connect(): Promise<void> { return this.request("connect", () => undefined); }
  async close(): Promise<void> { /* nothing held open */ }

  send(batch: EncodedBatch): Promise<void> {
    this.k.stats.sends++;
    return this.request("send", () => {
      this.k.land(this.node, batch, this.restarted && !this.landed);
      this.landed = true;
    });
  }

  /**
   * One request and its answer, a round trip later. To a broker that is down: the
   * connection times out. A request on its way when the outage begins may have landed;
   * its answer never comes. A send that lands may lose its acknowledgement.
   */
  private request<T>(what: "connect" | "send", act: () => T): Promise<T> {
    const { k } = this;
    const sentAt = k.clock.now();
    return new Promise<T>((resolve, reject) => {
      // Answers go to the process that asked, if it still lives.
      const answer = (at: number, fn: () => void) => k.clock.schedule(at, () => { if (this.alive()) fn(); });
      const fail = (at: number, reason: string) => {
        k.stats.failed++;
        answer(at, () => reject(new ShipError(reason, true)));
      };
      if (k.down) { fail(sentAt + CONNECT_TIMEOUT_MICROS, "Connection timeout (the simulated broker is unreachable)"); return; }
      k.clock.schedule(sentAt + k.rtt(), () => {
        if (k.down) {
          if (what === "send" && k.chance(0.5)) { act(); k.stats.lostAcks++; }
          fail(sentAt + REQUEST_TIMEOUT_MICROS, `Request ${what === "send" ? "Produce" : "Metadata"} timed out (the simulated broker went away)`);
          return;
        }
        const result = act();
        if (what === "send" && k.chance(k.ackLoss)) {
          k.stats.lostAcks++;
          fail(sentAt + REQUEST_TIMEOUT_MICROS, "Request Produce timed out (the simulated broker's acknowledgement was lost)");
          return;
        }
        if (this.alive()) resolve(result);
      });
    });
  }
}

/** The log as the shipper reads it, counting reads under way so the world can wait for them (real file reads take real time). */
class WatchedOutbox implements Outbox {
  private reading = 0;
  private waiters: (() => void)[] = [];
  constructor(private readonly log: SegmentLog) {}
  get dir(): string { return this.log.dir; }
  get durableOffset(): number { return this.log.durableOffset; }
  get nextOffset(): number { return this.log.nextOffset; }

  async *read(from: number, options?: ReadOptions): AsyncGenerator<EventRecord[]> {
    this.reading++;
    try {
      yield* this.log.read(from, options);
    } finally {
      if (--this.reading === 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Resolves once no read is under way and what followed the last one has run. */
  async idle(): Promise<void> {
    while (this.reading > 0) {
      await new Promise<void>((r) => this.waiters.push(r));
      await drain(2);
    }
  }
}

/** One process's shipper, with what the world needs of it. */
export interface ShipperHandle {
  readonly shipper: Shipper;
  /** Resolves once the shipper waits on the broker, its clock or new events, not on a read. */
  idle(): Promise<void>;
}

/** The real Shipper for one PBX process: its log is the outbox, the simulated broker its Kafka, its clock the process's. */
export function startShipper(kafka: SimKafka, o: { log: SegmentLog; clock: Clock; alive: () => boolean; nodeId: string; restarted: boolean }): ShipperHandle {
  const outbox = new WatchedOutbox(o.log);
  const shipper = new Shipper({
    link: kafka.link(o.nodeId, o.alive, o.restarted), outbox, topic: kafka.topic, nodeId: o.nodeId, clock: o.clock,
    notice: () => undefined, batchSize: 5000, backoff: { initialMs: 250, maxMs: 5000 },
    // A simulated second passes in a few milliseconds: a checkpoint a simulated minute keeps the writes near the real rate.
    checkpointEveryMs: 60_000,
  });
  shipper.start();
  return { shipper, idle: () => outbox.idle() };
}

/**
 * After the day: the topic holds this node's records exactly once each, in outbox
 * order within each partition, each in its stream's partition. Fed the outbox's
 * records in offset order.
 */
export class TopicCheck {
  problem: TopicProblem | undefined;
  private readonly cursors: number[];
  private readonly node: number;

  constructor(private readonly kafka: SimKafka, nodeId: string) {
    this.cursors = kafka.partitions.map(() => 0);
    this.node = kafka.nodeIndex(nodeId);
  }

  add(r: EventRecord): void {
    if (this.problem) return;
    const parts = this.kafka.partitions;
    if (!parts.length) {
      this.problem = { invariant: KAFKA_ONCE, detail: `topic ${this.kafka.topic} was never created, so outbox record ${r.offset} is not in it`, offset: r.offset, stream: r.stream };
      return;
    }
    const p = partitionOf(r.stream, parts.length);
    const part = parts[p];
    let i = this.cursors[p];
    while (i < part.offsets.length && part.nodes[i] !== this.node) i++;
    const found = i < part.offsets.length ? part.offsets[i] : undefined;
    if (found === r.offset) { this.cursors[p] = i + 1; return; }
    this.problem = found === undefined || found > r.offset
      ? { invariant: KAFKA_ONCE, detail: `outbox record ${r.offset} (${r.stream}) is not in partition ${p} of topic ${this.kafka.topic}${found === undefined ? "" : ` (the next there is ${found})`}`, offset: r.offset, stream: r.stream }
      : { invariant: KAFKA_ONCE, detail: `partition ${p} of topic ${this.kafka.topic} holds record ${found} again, or out of order, where outbox record ${r.offset} belongs`, offset: found, stream: r.stream };
  }

  /** After the last outbox record: nothing of this node may be left over in any partition. */
  finish(): TopicProblem | undefined {
    if (this.problem || !this.kafka.partitions.length) return this.problem;
    this.kafka.partitions.forEach((part, p) => {
      for (let i = this.cursors[p]; i < part.offsets.length && !this.problem; i++) {
        if (part.nodes[i] === this.node) this.problem = { invariant: KAFKA_ONCE, detail: `partition ${p} of topic ${this.kafka.topic} holds record ${part.offsets[i]} again, or one the outbox does not have`, offset: part.offsets[i], stream: `partition ${p}` };
      }
    });
    return this.problem;
  }
}

/**
 * Checks what a restarted shipper's first batch says about where it resumed: in each
 * partition it went on right after the topic's last record of this node, skipping
 * none of the outbox's records for that partition in between.
 */
export async function checkResume(kafka: SimKafka, log: Pick<SegmentLog, "read">): Promise<TopicProblem | undefined> {
  const rc = kafka.resumeCheck;
  if (!rc) return undefined;
  kafka.resumeCheck = undefined;
  let from = Infinity, to = -1;
  for (const [p, first] of rc.first) { from = Math.min(from, rc.before[p] + 1); to = Math.max(to, first); }
  if (to <= from) return undefined;
  for await (const batch of log.read(from, { to })) {
    for (const r of batch) {
      const p = partitionOf(r.stream, rc.before.length);
      const first = rc.first.get(p);
      if (first !== undefined && r.offset > rc.before[p] && r.offset < first) {
        return {
          invariant: KAFKA_RESUME, offset: r.offset, stream: r.stream,
          detail: `after the restart, partition ${p} went on at record ${first}, but the topic held this node's records there only up to ${rc.before[p]}: outbox record ${r.offset} was skipped`,
        };
      }
    }
  }
  return undefined;
}

export interface WatchDeps {
  readonly kafka: SimKafka;
  readonly clock: VirtualClock;
  /** The PBX process alive now: its log (the outbox) and shipper. */
  readonly pbx: () => { readonly log: SegmentLog; readonly shipping?: ShipperHandle };
  /** Callers' calls, to count the ones set up during an outage. */
  readonly calls: () => readonly { readonly startedAt: number; readonly answeredAt?: number }[];
  /** Throw the violation (with seed and reproduction). */
  readonly fail: (p: TopicProblem) => never;
  readonly noted: (invariant: string) => void;
}

export interface OutageFigures {
  readonly at: number;
  readonly micros: number;
  readonly appended: number;
  readonly offered: number;
  readonly setUp: number;
  /** Most events waiting in the outbox from the outage's start until shipping caught up. */
  readonly maxLag: number;
  readonly lostAcks: number;
  readonly crashed: boolean;
  readonly caughtUpAt?: number;
}

/** Follows shipping through the day: the broker's checks, a restarted shipper's resume point, the outage's figures. */
export class ShippingWatch {
  private outage: { at: number; end?: number; offset: number; appended: number; lostAcks: number; maxLag: number; crashed: boolean; caughtUpAt?: number } | undefined;
  private ended: ((f: OutageFigures) => void) | undefined;
  private lostBefore: number | undefined;

  constructor(private readonly d: WatchDeps) {
    d.noted(KAFKA_ONCE);
  }

  /** Before the outage the broker is flaky: a send that lands loses its acknowledgement with chance `p`. */
  flaky(p: number): void {
    this.d.kafka.ackLoss = p;
    this.lostBefore = this.d.kafka.stats.lostAcks;
  }

  /** The broker goes away: appends must go on. `done` gets the figures once shipping has caught up (or the day ends). */
  outageBegins(done: (f: OutageFigures) => void): void {
    this.d.kafka.down = true;
    this.d.kafka.ackLoss = 0;
    this.outage = { at: this.d.clock.now(), offset: this.d.pbx().log.nextOffset, appended: 0, lostAcks: this.lostBefore ?? this.d.kafka.stats.lostAcks, maxLag: 0, crashed: false };
    this.ended = done;
  }

  outageEnds(): void {
    const o = this.outage!;
    this.d.kafka.down = false;
    o.end = this.d.clock.now();
    this.d.noted(KAFKA_APPENDS);
    const offered = this.d.calls().filter((c) => c.startedAt >= o.at && c.startedAt < o.end!).length;
    const appended = o.appended = this.d.pbx().log.nextOffset - o.offset;
    if (offered > 0 && appended === 0) {
      this.d.fail({ invariant: KAFKA_APPENDS, detail: `${offered} calls came in during the outage but the log did not grow`, offset: o.offset, stream: "log" });
    }
  }

  /** A crash restarted the PBX (and its shipper). */
  restarted(): void {
    this.d.noted(KAFKA_RESUME);
    if (this.outage && this.outage.end === undefined) this.outage.crashed = true;
  }

  /** After every step; a promise only when a restarted shipper's resume point is to be checked against the log. */
  afterStep(): Promise<void> | undefined {
    const { kafka } = this.d;
    if (kafka.problem) this.d.fail(kafka.problem);
    this.follow();
    if (!kafka.resumeCheck) return undefined;
    return checkResume(kafka, this.d.pbx().log).then((p) => { if (p) this.d.fail(p); });
  }

  /** The outage's figures, and appends never waiting on it. */
  private follow(): void {
    const { kafka } = this.d;
    const pbx = this.d.pbx();
    const o = this.outage;
    if (!o || o.caughtUpAt !== undefined) return;
    // The PBX's appends never wait on Kafka: at the end of every instant, everything appended is acknowledged.
    if (o.end === undefined && pbx.log.nextOffset > pbx.log.durableOffset) {
      this.d.fail({ invariant: KAFKA_APPENDS, detail: `${pbx.log.nextOffset - pbx.log.durableOffset} appends still waiting at the end of an instant during the outage`, offset: pbx.log.durableOffset, stream: "log" });
    }
    // Events not in the topic yet (a restarted shipper's own figure counts from 0 until it has read the topic back).
    o.maxLag = Math.max(o.maxLag, pbx.log.durableOffset - kafka.stats.records);
    const status = pbx.shipping?.shipper.status;
    if (o.end !== undefined && status && status.lag === 0 && status.connected) {
      o.caughtUpAt = this.d.clock.now();
      this.report();
    }
  }

  /** Whether shipping has caught up with the log (nothing waiting, connected). */
  get caughtUp(): boolean {
    const status = this.d.pbx().shipping?.shipper.status;
    return !status || (status.lag === 0 && status.connected && this.d.kafka.resumeCheck === undefined);
  }

  /** The figures, when the day ends before shipping caught up. */
  report(): void {
    const o = this.outage;
    if (!o || !this.ended) return;
    const end = o.end ?? this.d.clock.now();
    const calls = this.d.calls();
    this.ended({
      at: o.at, micros: end - o.at, appended: o.end !== undefined ? o.appended : this.d.pbx().log.nextOffset - o.offset, maxLag: o.maxLag, crashed: o.crashed,
      offered: calls.filter((c) => c.startedAt >= o.at && c.startedAt < end).length,
      setUp: calls.filter((c) => c.answeredAt !== undefined && c.answeredAt >= o.at && c.answeredAt < end).length,
      lostAcks: this.d.kafka.stats.lostAcks - o.lostAcks,
      ...(o.caughtUpAt !== undefined ? { caughtUpAt: o.caughtUpAt } : {}),
    });
    this.ended = undefined;
  }
}
