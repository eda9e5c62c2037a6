/**
 * One incarnation of the PBX process in a simulation, assembled as `recall start` does
 * (event log in the data directory, actor runtime recovered from it, dialplan, SIP server
 * on the simulated network, call core with simulated media), and able to crash.
 *
 * A crash is a process death: from that instant the incarnation's timers never fire and
 * its appends never reach the log (a fence on its clock and its log), its SIP address is
 * gone from the network. The next incarnation reopens the log from disk, recovers the
 * actors, ends the calls whose signalling died (calls/recovery.ts) and serves again.
 */
import { join } from "node:path";
import type { Clock, Timer, VirtualClock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { Random } from "../core/random.js";
import { SegmentLog } from "../events/embedded/segment-log.js";
import type { EventLog } from "../events/log.js";
import { ActorRuntime } from "../actors/runtime.js";
import { actorKinds } from "../actors/kinds.js";
import { AstDb } from "../actors/astdb/astdb.js";
import { CallMedia } from "../calls/media.js";
import type { CallCore } from "../calls/core.js";
import { endRecoveredCalls } from "../calls/recovery.js";
import { SipServer } from "../sip/server.js";
import { sdpDescriptions } from "../sip/sdp/index.js";
import type { MemoryNetwork } from "../sip/transport/index.js";
import { CommandTable } from "../core/commands.js";
import { DialplanService } from "../interfaces/cli/dialplan-service.js";
import { SimMediaService } from "./media.js";
import { DeviceStates, followChannels } from "../calls/device-state.js";
import { HintWatchers } from "../calls/hint-watchers.js";
import { MailboxStates } from "../calls/mailbox-state.js";
import { CustomDevices } from "../calls/custom-devices.js";
import { QueueService } from "../actors/queue/service.js";
import { loadQueuesConf } from "../actors/queue/config.js";
import { formatDiagnostic } from "../conf/tokenizer.js";
import { PBX } from "./phones.js";
import type { ShipperHandle } from "./kafka.js";

interface PbxState { alive: boolean; acknowledged: number; diskFull: boolean; appended?: () => void }

/** A clock whose timers die with the process that set them. */
class MortalClock implements Clock {
  alive = true;
  constructor(private readonly clock: VirtualClock) {}
  now(): number { return this.clock.now(); }
  schedule(at: number, fn: () => void): Timer {
    return this.clock.schedule(at, () => { if (this.alive) fn(); });
  }
}

/** The log as one process sees it: after its death nothing it appends arrives; what it had acknowledged is noted. */
function mortalLog(log: SegmentLog, state: PbxState): EventLog {
  return new Proxy(log, {
    get(target, prop) {
      if (prop === "append") {
        return async (drafts: Parameters<EventLog["append"]>[0]) => {
          if (!state.alive) return new Promise<never>(() => undefined);
          if (state.diskFull) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
          const records = await target.append(drafts);
          if (records.length) state.acknowledged = Math.max(state.acknowledged, records[records.length - 1].offset + 1);
          // With the Kafka backend the log is its outbox, and an append wakes the shipper (as KafkaEventLog.append does).
          state.appended?.();
          return records;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as unknown as EventLog;
}

export interface PbxOptions {
  readonly dataDir: string;
  readonly configDir: string;
  readonly clock: VirtualClock;
  readonly random: Random;
  readonly network: MemoryNetwork;
  readonly logger: Logger;
  readonly onError: (e: Error) => void;
  /** With the Kafka backend: start this process's shipper, which ships its log (the outbox). */
  readonly ship?: (log: SegmentLog, clock: Clock, alive: () => boolean) => ShipperHandle;
}

export class SimPbx {
  private constructor(
    readonly log: SegmentLog,
    readonly runtime: ActorRuntime,
    readonly core: CallCore,
    readonly media: SimMediaService,
    private readonly sip: SipServer,
    private readonly clock: MortalClock,
    private readonly state: PbxState,
    /** Calls a restart ended: channels and bridges recovered from the log without their signalling. */
    readonly ended: { channels: number; bridges: number; queueCallers: number },
    /** With the Kafka backend: the shipper, which dies with the process. */
    readonly shipping: ShipperHandle | undefined,
  ) {}

  static async start(o: PbxOptions): Promise<SimPbx> {
    // A simulation's crashes are simulated: the disk stays, so no synchronous writes (most of the time otherwise).
    // With Kafka the log is the outbox, and keeps fresh records' bytes for the shipper (as KafkaEventLog opens it).
    const log = await SegmentLog.open(join(o.dataDir, "log"), { notice: () => undefined, sync: false, keepPayloads: o.ship !== undefined });
    const state: PbxState = { alive: true, acknowledged: log.nextOffset, diskFull: false };
    const clock = new MortalClock(o.clock);
    const shipping = o.ship?.(log, clock, () => state.alive);
    if (shipping) state.appended = () => shipping.shipper.wake();
    const runtime = new ActorRuntime({ log: mortalLog(log, state), clock, random: o.random, kinds: actorKinds, onError: o.onError, notice: (m) => o.logger.log("NOTICE", "runtime", m) });
    await runtime.recover(log);
    const ended = endRecoveredCalls(runtime, o.clock.now());
    const astdb = new AstDb(runtime);
    let sip: SipServer | undefined;
    // Device states (from the channels and the registrar, as in recall start), which queues read for their members.
    const devices = new DeviceStates();
    followChannels(runtime, devices);
    const queues = new QueueService(runtime, (iface) => devices.state(iface));
    for (const w of queues.apply(loadQueuesConf(o.configDir), o.clock.now())) o.logger.log("WARNING", "app_queue.c", formatDiagnostic(w));
    const dialplan = new DialplanService(o.configDir, o.logger, astdb, (ep, aor, user) => sip?.registrar.dialContacts(ep, aor, user) ?? "", undefined, queues);
    const watchers = new HintWatchers(devices);
    const mailboxes = new MailboxStates(astdb);
    dialplan.useDeviceStates(devices, new CustomDevices(devices, astdb), (key) => watchers.watchers(key));
    const media = new SimMediaService(clock);
    const transport = o.network.transport({ name: "sim", protocol: "udp", host: PBX.host, port: PBX.port });
    sip = await SipServer.start({
      configDir: o.configDir, runtime, clock, random: o.random, logger: o.logger, console: new CommandTable(),
      nonceSecret: "simulation", userAgent: "Recall simulation", transports: [transport],
      calls: {
        runDialplan: dialplan.run, runApplication: dialplan.runApplication,
        media: new CallMedia(media.asService(), { moh: new Map(), descriptions: sdpDescriptions }),
      },
      extensionPresence: dialplan.presence,
      localPresence: dialplan.localPresence,
      subscriptions: { devices, watchers, mailboxes, hint: dialplan.hint },
    });
    const pbx = new SimPbx(log, runtime, sip.calls!.core, media, sip, clock, state, ended, shipping);
    runtime.observe("channel", () => { pbx.channelChanges++; });
    return pbx;
  }

  /** Counts stored channel transitions: while it stands still, the channels' states have not changed. */
  channelChanges = 0;

  get alive(): boolean { return this.state.alive; }
  /** Offset after the last event this process was told is durable. */
  get acknowledged(): number { return this.state.acknowledged; }

  /** The disk is full (or not): appends fail with ENOSPC, as the segment log's write would. */
  set diskFull(on: boolean) { this.state.diskFull = on; }

  async settle(): Promise<void> { if (this.state.alive) await this.runtime.settle(); }

  /** Death: timers and appends stop at once, the address goes; the log is closed as the OS would (what was written stays). */
  async crash(): Promise<void> {
    this.state.alive = false;
    this.clock.alive = false;
    this.runtime.stop();
    await this.sip.stop();
    await this.log.close();
  }

  /** A clean stop at the end of the day. */
  async stop(): Promise<void> {
    await this.runtime.settle();
    await this.shipping?.shipper.stop(0);
    this.clock.alive = false;
    this.runtime.stop();
    await this.sip.stop();
    await this.runtime.settle();
  }
}
