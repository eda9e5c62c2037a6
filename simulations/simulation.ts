/**
 * `recall simulate`: the real PBX (event log in the data directory, actor runtime, SIP
 * server, dialplan, call core) assembled as `recall start` does, but on a VirtualClock, a
 * seeded Random and the simulated network, with simulated media (simulations/media.ts),
 * driven by a call-centre day of simulated phones. Invariants are checked as it runs and
 * at the end; the first violation stops the run with the seed, the log offset and the actor.
 * Contract: the same options give a byte-identical log.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Logger, LogLevel } from "../core/logger.js";
import { actorKinds } from "../actors/kinds.js";
import { verifyLog } from "../actors/replay.js";
import { sampleConfigDir } from "../interfaces/cli/paths.js";
import { AgentPhone, CallerTrunk, PBX, makeBehaviour, sipHost } from "./phones.js";
import { Dice, World, drain } from "./world.js";
import { SimPbx } from "./pbx.js";
import { StateFold } from "../actors/fold.js";
import { QueueOutcomeFold, type QueueOutcomes } from "./queue-outcomes.js";
import type { EventRecord } from "../events/record.js";
import { QueueOrder, QUEUE_ORDER } from "./queue-order.js";
import { loadQueuesConf } from "../actors/queue/config.js";
import { loadRecallConf } from "../interfaces/cli/recall-conf.js";
import type { Strategy } from "../actors/queue/config.js";
import { ShippingWatch, SimKafka, TopicCheck, startShipper, type BrokerSabotage, type OutageFigures } from "./kafka.js";

const ENDS_ONCE = "every ENTERQUEUE ends in exactly one CONNECT, ABANDON or EXIT";
import { Invariants, InvariantViolation } from "./invariants.js";

export interface SimulateOptions {
  readonly seed: number;
  readonly dataDir: string;
  readonly agents: number;
  readonly calls: number;
  readonly hours: number;
  readonly faults: boolean;
  /** The disk fills up for 30 s once in the day (appends fail with ENOSPC), alone; --faults includes it. */
  readonly diskFull?: boolean;
  /** The support queue's strategy instead of the sample's ringall (without --config). */
  readonly strategy?: Strategy;
  /** A configuration directory; without it, the sample dialplan with generated agent phones. */
  readonly configDir?: string;
  /** The generated configuration's recall.conf sets `backend = kafka` (with `configDir`, its own recall.conf says). */
  readonly kafka?: boolean;
  readonly progress?: (line: string) => void;
  /** Tests only: a simulated Kafka that loses or doubles a record, to show the invariants catch it. */
  readonly brokerSabotage?: BrokerSabotage;
}

export interface SimulationSummary {
  readonly seed: number;
  readonly offered: number;
  readonly answered: number;
  readonly abandoned: number;
  readonly refused: number;
  readonly other: number;
  /** Share of offered calls answered within 20 s. */
  readonly serviceLevel: number;
  readonly events: number;
  readonly steps: number;
  readonly virtualSeconds: number;
  readonly invariants: readonly string[];
  readonly violation?: InvariantViolation;
  /** With queues: joins and how they ended, from the queue actors' events. */
  readonly queue?: QueueOutcomes;
  /** The faults injected, in order. */
  readonly faults: readonly string[];
  /** With `backend = kafka` in recall.conf: what the real shipper shipped to the simulated broker. */
  readonly kafka?: {
    readonly topic: string;
    readonly partitions: number;
    /** Outbox records the shipper had shipped when the day ended. */
    readonly shipped: number;
    /** Records of this node in the topic. */
    readonly inTopic: number;
    readonly sends: number;
    readonly failed: number;
    readonly lostAcks: number;
  };
  readonly network: { sent: number; lost: number; duplicated: number };
  /** Calls Recall placed out through the carrier, as the carrier saw them (503: refused in a trunk fault). */
  readonly outbound: { offered: number; refused: number; answered: number };
  readonly warnings: number;
  readonly lastWarning?: string;
}

const agentName = (i: number) => String(6001 + i);
const agentHost = (i: number) => `10.1.${(i >> 8) & 255}.${(i & 255) + 1}`;
const TRUNK_HOST = "10.2.0.1";

/** The sample configuration's extensions.conf with one PJSIP phone per agent and the carrier trunk. */
export function simulationConfig(dir: string, agents: number, strategy?: Strategy, kafka = false): void {
  mkdirSync(dir, { recursive: true });
  if (kafka) writeFileSync(join(dir, "recall.conf"), "; Written by recall simulate --kafka: the log is the Kafka backend's outbox, shipped to a simulated broker.\n[log]\nbackend = kafka\n");
  cpSync(join(sampleConfigDir, "extensions.conf"), join(dir, "extensions.conf"));
  // The sample's queues, with ringinuse off so that "a member is never in two calls" holds strictly.
  const queues = join(sampleConfigDir, "queues.conf");
  if (existsSync(queues)) writeFileSync(join(dir, "queues.conf"), `${readFileSync(queues, "utf8")}\n; Added by recall simulate: agents have no call waiting.\nringinuse = no\n${strategy ? `strategy = ${strategy}\n` : ""}`);
  const phones = Array.from({ length: agents }, (_, i) => `
[${agentName(i)}](agent)
aors = ${agentName(i)}
callerid = "Agent ${agentName(i)}" <${agentName(i)}>
[${agentName(i)}]
type = aor
contact = sip:${agentName(i)}@${agentHost(i)}:5060
`).join("");
  writeFileSync(join(dir, "pjsip.conf"), `; Generated by recall simulate: the carrier trunk and ${agents} agent phones on the simulated network.
[sim]
type = transport
protocol = udp
bind = ${PBX.host}:${PBX.port}
[trunk]
type = endpoint
context = from-internal
disallow = all
allow = ulaw
direct_media = no
aors = trunk
[trunk]
type = aor
contact = sip:${TRUNK_HOST}:5060
[trunk]
type = identify
endpoint = trunk
match = ${TRUNK_HOST}
[agent](!)
type = endpoint
context = from-internal
disallow = all
allow = ulaw
direct_media = no
${phones}`);
}

/** Counts warnings and errors; keeps none of the text (a day makes a lot). */
class CountingLogger implements Logger {
  warnings = 0;
  last = "";
  log(level: LogLevel, source: string, message: string): void {
    if (level === "WARNING" || level === "ERROR") { this.warnings++; this.last = `${level} ${source}: ${message}`; }
  }
}

export async function simulate(o: SimulateOptions): Promise<SimulationSummary> {
  const say = o.progress ?? (() => undefined);
  const dataDir = resolve(o.dataDir);
  if (existsSync(join(dataDir, "log")) && readdirSync(join(dataDir, "log")).length) {
    throw new Error(`--data ${dataDir} already holds a log: give a new directory (a simulation starts from an empty log so that its seed reproduces it)`);
  }
  const configDir = o.configDir ? resolve(o.configDir) : join(dataDir, "config");
  if (!o.configDir) simulationConfig(configDir, o.agents, o.strategy, o.kafka);

  const world = new World(o.seed);
  const { clock, dice, net } = world;
  const logger = new CountingLogger();
  const settings = loadRecallConf(configDir);
  // With the Kafka backend the log is its outbox, which the real shipper ships to a simulated broker.
  const kafka = settings.log.backend === "kafka"
    ? new SimKafka(clock, new Dice(world.derive(54)), settings.kafka.topic, settings.kafka.partitions, o.brokerSabotage)
    : undefined;
  let incarnation = 0;
  const startPbx = () => {
    const restarted = incarnation > 0;
    return SimPbx.start({
      dataDir, configDir, clock, random: world.derive(1 + 1000 * incarnation++), network: net.network, logger,
      onError: (e) => { logger.warnings++; logger.last = e.message; },
      ...(kafka ? { ship: (log, pclock, alive) => startShipper(kafka, { log, clock: pclock, alive, nodeId: settings.nodeId, restarted }) } : {}),
    });
  };
  let pbx = await startPbx();

  const trunk = new CallerTrunk(await sipHost(net.network, clock, world.derive(2), TRUNK_HOST), clock, TRUNK_HOST);
  const behaviour = makeBehaviour(dice);
  const agents: AgentPhone[] = [];
  for (let i = 0; i < o.agents; i++) {
    agents.push(new AgentPhone(agentName(i), agentHost(i), await sipHost(net.network, clock, world.derive(100 + i), agentHost(i)), clock, behaviour));
  }

  const reproduce = `recall simulate --seed ${o.seed} --data NEW_DIR --agents ${o.agents} --calls ${o.calls} --hours ${o.hours}${o.faults ? " --faults" : ""}${o.diskFull ? " --disk-full" : ""}${o.kafka ? " --kafka" : ""}${o.strategy ? ` --strategy ${o.strategy}` : ""}${o.configDir ? ` --config ${o.configDir}` : ""}`;
  // With queues (the sample's support queue at 7200), agents log in with *45 and take calls only from it.
  const queueMode = existsSync(join(configDir, "queues.conf"));
  const invariants = new Invariants({ pbx: () => pbx, trunk, agents, seed: o.seed, clock, reproduce, members: queueMode });
  const shipping = kafka && new ShippingWatch({
    kafka, clock, pbx: () => pbx, calls: () => trunk.records, noted: (i) => invariants.noted(i),
    fail: (p) => { throw new InvariantViolation(p.invariant, p.detail, o.seed, p.offset, p.stream, reproduce); },
  });
  const start = clock.now();
  const end = start + Math.round(o.hours * 3600e6);
  const meanGap = (o.hours * 3600e6) / Math.max(1, o.calls);
  let placed = 0;
  // Drawn from sources of their own, so that adding them did not move the other draws of a seed.
  const routes = new Dice(world.derive(52));
  const arrive = () => {
    if (placed >= o.calls) return;
    const id = placed++;
    // Most callers ring an agent's extension (the sample dialplan's _6XXX Dial); some reach the 7000 greeting.
    const exten = dice.chance(0.1) ? "7000" : queueMode ? "7200" : agentName(dice.int(0, o.agents - 1));
    // A few are put through to an outside number (the sample's 9 + number, out through the same carrier).
    const outside = routes.chance(0.05) ? `9555${String(routes.int(0, 9999999)).padStart(7, "0")}` : exten;
    trunk.place({ id, exten: outside, patienceMicros: Math.round(dice.around(25e6, 0.5)), talkMicros: Math.round(dice.around(120e6, 0.7)) });
    const at = clock.now() + Math.max(1, Math.round(dice.exponential(meanGap)));
    if (at < end) clock.schedule(at, arrive); else placed = o.calls;
  };
  clock.schedule(start + (queueMode ? 60e6 : 0) + Math.round(dice.exponential(meanGap)), arrive);
  const someTime = () => start + Math.round(dice.unit() * (end - start));
  const perDay = (n: number) => Math.max(1, Math.round((n * o.hours) / 8));
  // Breaks: each agent steps away a few times a day for a few minutes (with queues: paused with *47, back with *48).
  for (const agent of agents) {
    if (queueMode) {
      clock.schedule(start + Math.round(dice.unit() * 60e6), () => agent.dialCode("*45"));
      clock.schedule(end, () => agent.dialCode("*46"));
    }
    for (let b = 0; b < perDay(3); b++) {
      clock.schedule(someTime(), () => {
        if (queueMode) agent.dialCode("*47"); else agent.setBreak(true);
        clock.schedule(clock.now() + Math.round(dice.around(300e6, 0.3)), () => { if (queueMode) agent.dialCode("*48"); else agent.setBreak(false); });
      });
    }
  }

  // Faults, drawn up front from the seed: when and what.
  const faults: string[] = [];
  const crashes: number[] = [];
  if (o.faults) {
    for (let i = 0; i < perDay(2); i++) crashes.push(someTime());
    for (let i = 0; i < perDay(4); i++) {
      clock.schedule(someTime(), () => {
        const calm = net.conditions;
        net.conditions = { latencyMicros: 5_000, jitterMicros: 40_000, loss: 0.2, duplicate: 0.05 };
        faults.push(`network loss burst at ${clockTime(clock.now() - start)}`);
        clock.schedule(clock.now() + Math.round(dice.around(60e6, 0.5)), () => { net.conditions = calm; });
      });
    }
    for (let i = 0; i < perDay(3); i++) {
      clock.schedule(someTime(), () => {
        const talking = agents.filter((a) => a.state === "talking");
        const agent = talking.length ? dice.pick(talking) : dice.pick(agents);
        agent.vanish();
        net.partitioned.add(agent.host);
        faults.push(`agent phone ${agent.name} vanished${talking.length ? " mid-call" : ""} at ${clockTime(clock.now() - start)}`);
        clock.schedule(clock.now() + Math.round(dice.around(600e6, 0.3)), () => { net.partitioned.delete(agent.host); agent.reappear(); });
      });
    }
  }

  if (o.faults) {
    // The carrier answers 503 to every call Recall places through it, for a couple of minutes.
    const when = new Dice(world.derive(51));
    for (let i = 0; i < perDay(2); i++) {
      clock.schedule(start + Math.round(when.unit() * (end - start)), () => {
        trunk.refusing = true;
        const before = trunk.outbound.refused;
        const fault = faults.push(`trunk answering 503 at ${clockTime(clock.now() - start)}`) - 1;
        const lasts = Math.round(when.around(300e6, 0.3));
        clock.schedule(clock.now() + lasts, () => {
          trunk.refusing = false;
          faults[fault] += ` for ${(lasts / 1e6).toFixed(0)} s: ${trunk.outbound.refused - before} calls refused`;
        });
      });
    }
  }

  if (o.faults || o.diskFull) {
    // Drawn from a source of its own, so that adding this fault did not move the others.
    const when = new Dice(world.derive(50));
    clock.schedule(start + Math.round(when.unit() * (end - start)), () => {
      pbx.diskFull = true;
      const fault = faults.push(`disk full at ${clockTime(clock.now() - start)}`) - 1;
      clock.schedule(clock.now() + 30e6, () => {
        faults[fault] += ` for 30 s: ${pbx.runtime.held} events held in memory, then stored`;
        pbx.diskFull = false;
      });
    });
  }

  if (o.faults && shipping) {
    // Kafka goes away for a few minutes mid-day, after a minute of lost acknowledgements;
    // when the day has a crash, half the time the crash falls inside the outage.
    const when = new Dice(world.derive(53));
    const lasts = Math.round(when.around(180e6, 0.3));
    const firstCrash = crashes.length ? Math.min(...crashes) : undefined;
    const at = firstCrash !== undefined && when.chance(0.5)
      ? Math.max(start + 60e6, firstCrash - Math.round((0.2 + 0.6 * when.unit()) * lasts))
      : start + Math.round((0.3 + 0.4 * when.unit()) * (end - start));
    clock.schedule(at - 60e6, () => shipping.flaky(0.3));
    clock.schedule(at, () => {
      const fault = faults.push(`Kafka outage at ${clockTime(at - start)}`) - 1;
      shipping.outageBegins((f) => { faults[fault] = describeOutage(f, start); });
      clock.schedule(at + lasts, () => shipping.outageEnds());
    });
  }

  /** The PBX dies mid-call and comes back from its log after a few seconds. */
  const crashAndRestart = async () => {
    const acknowledged = pbx.acknowledged;
    const offset = pbx.log.nextOffset;
    await pbx.crash();
    trunk.hearSilence(() => Math.round(dice.around(8e6, 0.5)));
    for (const a of agents) a.hearSilence(Math.round(dice.around(8e6, 0.5)));
    const down = Math.round(dice.around(10e6, 0.5));
    // Time passes while it is down: the phones' timers run, their packets to the PBX are lost.
    const back = clock.now() + down;
    while (await world.step(back, drain));
    clock.advanceTo(back);
    pbx = await startPbx();
    invariants.afterRestart(acknowledged, offset);
    shipping?.restarted();
    faults.push(`crash at ${clockTime(clock.now() - start)} (log offset ${offset}), back after ${(down / 1e6).toFixed(1)} s: ${pbx.ended.channels} channels, ${pbx.ended.bridges} bridges and ${pbx.ended.queueCallers} queue calls ended by the restart`);
  };

  const quiesce = async () => {
    await pbx.settle();
    await drain(2);
    // The shipper reads the outbox from disk at times: time moves on only once it waits on the broker again.
    if (pbx.shipping) await pbx.shipping.idle();
  };
  let violation: InvariantViolation | undefined;
  let nextReport = start + 3600e6;
  // After the last arrival, calls in progress may finish (the day's end is not a hang-up).
  const hardStop = end + 3 * 3600e6;
  try {
    for (;;) {
      const crashAt = crashes.length ? Math.min(...crashes) : Infinity;
      if (!(await world.step(Math.min(hardStop, crashAt), quiesce))) {
        if (crashAt > hardStop) break;
        crashes.splice(crashes.indexOf(crashAt), 1);
        clock.advanceTo(crashAt);
        await crashAndRestart();
        continue;
      }
      invariants.afterStep();
      const reading = shipping?.afterStep();
      if (reading) await reading;
      if (clock.now() >= nextReport) {
        say(`${((clock.now() - start) / 3600e6).toFixed(0)} h: ${trunk.records.length} calls offered, ${trunk.active} in progress, log at offset ${pbx.log.nextOffset}`);
        nextReport += 3600e6;
      }
      if (clock.now() > end && trunk.active === 0 && placed >= o.calls && !crashes.length) break;
    }
    // Let the last hang-ups finish their handshakes (retransmissions, Timer K) before the final checks.
    const settleUntil = clock.now() + 120e6;
    while (await world.step(settleUntil, quiesce)) {
      invariants.afterStep();
      const reading = shipping?.afterStep();
      if (reading) await reading;
    }
    invariants.atEnd();
    if (shipping) {
      // Kafka may still be down, or shipping catching up: give it up to an hour.
      const limit = clock.now() + 3600e6;
      while (!shipping.caughtUp && await world.step(limit, quiesce)) {
        const reading = shipping.afterStep();
        if (reading) await reading;
      }
    }
  } catch (e) {
    if (!(e instanceof InvariantViolation)) throw e;
    violation = e;
  }
  // A run stopped by a violation still describes the outage it was in.
  shipping?.report();
  const shipped = pbx.shipping?.shipper.status.shipped ?? 0;
  await pbx.stop();
  const log = pbx.log;
  const topic = kafka && !violation ? new TopicCheck(kafka, settings.nodeId) : undefined;
  // The queue folds read the log in the same pass as the replay (or on their own when it does not run to the end).
  const order = queueMode ? new QueueOrder(loadQueuesConf(configDir).general.autofill) : undefined;
  const outcomes = new QueueOutcomeFold();
  const observe = (r: EventRecord) => { outcomes.add(r); order?.add(r); topic?.add(r); };
  let folded = false;
  if (!violation) {
    const replay = await verifyLog(log, actorKinds, { observe });
    folded = !replay.divergence;
    invariants.noted("replay of the log reproduces every transition");
    if (replay.divergence) {
      const d = replay.divergence;
      violation = new InvariantViolation("replay of the log reproduces every transition", `${d.what}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`, o.seed, d.offset, d.stream, reproduce);
    }
  }
  if (!violation) {
    // What a restart would recover from the log: no call may be left up in it (a lost append, a destroy never logged).
    const leftInLog = (await (await StateFold.of(log)).liveRecords(log)).filter((r) => r.kind === "channel" || r.kind === "bridge");
    invariants.noted("the log, folded, holds no call left up");
    if (leftInLog.length) {
      const r = leftInLog[0];
      violation = new InvariantViolation("the log, folded, holds no call left up", `${leftInLog.length} channels and bridges are live in the log though none is in memory (last event of ${r.stream}: seq ${r.seq})`, o.seed, r.offset, r.stream, reproduce);
    }
  }
  if (!folded) for await (const batch of log.read(0)) for (const r of batch) observe(r);
  order?.finish();
  const queue = outcomes.result();
  const lost = topic?.finish();
  if (lost && !violation) violation = new InvariantViolation(lost.invariant, lost.detail, o.seed, lost.offset, lost.stream, reproduce);
  if (order) {
    invariants.noted(QUEUE_ORDER);
    const v = order.violation;
    if (v && !violation) violation = new InvariantViolation(QUEUE_ORDER, v.detail, o.seed, v.offset, v.stream, reproduce);
  }
  if (queue) {
    invariants.noted(ENDS_ONCE);
    const b = queue.broken;
    // A day cut short by another violation leaves callers waiting: only a finished day must have every join ended.
    if (b && !violation) violation = new InvariantViolation(ENDS_ONCE, `caller ${b.uniqueid} joined and left ${b.ends} times`, o.seed, b.offset, b.stream, reproduce);
  }
  const events = log.nextOffset;
  await log.close();

  const records = trunk.records;
  const answered = records.filter((r) => r.outcome === "answered");
  const within = answered.filter((r) => r.answeredAt! - r.startedAt <= 20e6).length;
  return {
    seed: o.seed,
    offered: records.length,
    answered: answered.length,
    abandoned: records.filter((r) => r.outcome === "abandoned").length,
    refused: records.filter((r) => r.outcome === "refused").length,
    other: records.filter((r) => r.outcome !== "answered" && r.outcome !== "abandoned" && r.outcome !== "refused").length,
    serviceLevel: records.length ? within / records.length : 1,
    events, steps: world.steps, virtualSeconds: (clock.now() - start) / 1e6,
    invariants: invariants.checked, ...(violation ? { violation } : {}), faults, ...(queue ? { queue } : {}),
    ...(kafka ? {
      kafka: {
        topic: kafka.topic, partitions: kafka.partitions.length, shipped, inTopic: kafka.partitions.reduce((n, p) => n + p.offsets.length, 0),
        sends: kafka.stats.sends, failed: kafka.stats.failed, lostAcks: kafka.stats.lostAcks,
      },
    } : {}),
    network: { ...net.stats }, outbound: { ...trunk.outbound }, warnings: logger.warnings, ...(logger.last ? { lastWarning: logger.last } : {}),
  };
}

function describeOutage(f: OutageFigures, start: number): string {
  return `Kafka outage at ${clockTime(f.at - start)} for ${(f.micros / 1e6).toFixed(0)} s${f.crashed ? " (the PBX crashed during it)" : ""}: ` +
    `${f.appended} events appended, ${f.offered} calls came in and ${f.setUp} were answered meanwhile; ${f.lostAcks} acknowledgements lost around it; shipping lag up to ${f.maxLag} events, ` +
    (f.caughtUpAt !== undefined ? `caught up at ${clockTime(f.caughtUpAt - start)}` : "not caught up when the day ended");
}

const clockTime = (micros: number) => {
  const s = Math.floor(micros / 1e6);
  return `+${String(Math.floor(s / 3600)).padStart(2, "0")}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};

export function formatSummary(s: SimulationSummary, wallSeconds: number): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `seed ${s.seed}: ${s.offered} calls offered, ${s.answered} answered, ${s.abandoned} abandoned, ${s.refused} refused (busy, unavailable), ${s.other} other`,
    s.queue
      ? `queues: ${s.queue.entered} callers entered, ${s.queue.connected} connected to an agent, ${s.queue.abandoned} abandoned, ${s.queue.exited} exited; service level (connected within 20 s): ${pct(s.queue.entered ? s.queue.within20 / s.queue.entered : 1)}`
      : `service level (answered within 20 s): ${pct(s.serviceLevel)}`,
    `${s.events} events in the log, ${s.steps} steps, ${(s.virtualSeconds / 3600).toFixed(2)} h simulated in ${wallSeconds.toFixed(1)} s (${(s.virtualSeconds / Math.max(wallSeconds, 0.001)).toFixed(0)}x real time)`,
    `calls out through the carrier: ${s.outbound.offered} placed, ${s.outbound.answered} answered, ${s.outbound.refused} refused with 503`,
    `network: ${s.network.sent} packets, ${s.network.lost} lost, ${s.network.duplicated} duplicated; ${s.warnings} warnings logged${s.lastWarning ? ` (last: ${s.lastWarning})` : ""}`,
    ...(s.faults.length ? [`faults: ${s.faults.length}`, ...s.faults.map((f) => `  ${f}`)] : []),
    ...(s.kafka ? [
      `kafka (the real shipper, a simulated broker): ${s.kafka.shipped} events shipped to topic ${s.kafka.topic} (${s.kafka.partitions} partitions, ${s.kafka.inTopic} records there) ` +
      `in ${s.kafka.sends} sends; ${s.kafka.failed} requests failed, ${s.kafka.lostAcks} acknowledgements lost`,
    ] : []),
    `invariants checked: ${s.invariants.join("; ")}`,
    s.violation ? `invariants: VIOLATED: ${s.violation.message}` : "invariants: 0 violations",
  ];
  return lines.join("\n") + "\n";
}
