/**
 * `recall start`: compose the PBX from its services and run it until a signal.
 * Services are Effect layers (clock, random, event log) acquired and released in
 * scope, so a failing start or a SIGTERM closes the log cleanly.
 */
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { ClockService, SystemClock } from "../../core/clock.js";
import { RandomService, SystemRandom, randomHex, type Random } from "../../core/random.js";
import { AsteriskLogger } from "../../core/logger.js";
import { SipServer } from "../../sip/server.js";
import { EventLogService } from "../../events/log.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import type { KafkaEventLog } from "../../events/kafka/kafka-log.js";
import type { EventLog } from "../../events/log.js";
import { loadRecallConf, type RecallSettings } from "./recall-conf.js";
import { mediaWorkerCount, pinEventLoop } from "../../core/affinity.js";
import { RELEASE_AGAIN_MS, releaseLibraryPages, type Released } from "../../core/working-set.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import { CommandTable } from "../../core/commands.js";
import { serveConsole } from "../console/server.js";
import { version } from "./paths.js";
import { DialplanService } from "./dialplan-service.js";
import { AstDb } from "../../actors/astdb/astdb.js";
import { registerDatabaseCommands } from "../../actors/astdb/console.js";
import { startProjections } from "../../projections/runner.js";
import { startProjectionsInWorker } from "../../projections/in-worker.js";
import { MediaService } from "../../media-workers/index.js";
import { CallMedia, loadMusicOnHold } from "../../calls/media.js";
import { sdpDescriptions } from "../../sip/sdp/index.js";
import { loadRtpConf } from "./rtp-conf.js";
import { FeaturesService } from "./features-service.js";
import { nodeAgiServices } from "../agi/node-services.js";
import { registerAgiCommands } from "../agi/console.js";
import { startHttp } from "./http-service.js";
import { WebConsole } from "../web/console.js";
import { Wallboard } from "../web/wallboard.js";
import { seedWallboard } from "../web/queue-history.js";
import { loadHttpConf } from "../http/http-conf.js";
import { OutgoingSpool } from "../spool/outgoing-spool.js";
import { loadManagerConf, managerProjections } from "../ami/config.js";
import { AmiServer } from "../ami/server.js";
import { HttpManager } from "../ami/http-manager.js";
import { CallCoreAdapter } from "../ami/call-core-adapter.js";
import { DeviceStates, followChannels } from "../../calls/device-state.js";
import { endRecoveredCalls } from "../../calls/recovery.js";
import { HintWatchers } from "../../calls/hint-watchers.js";
import { MailboxStates, registerMailboxCommands } from "../../calls/mailbox-state.js";
import { CustomDevices, registerDevstateCommands } from "../../calls/custom-devices.js";
import { LoggerService } from "./logger-service.js";
import { registerCoreCommands } from "../console/core-commands.js";
import { registerInstance, unregisterInstance } from "./instances.js";
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { QueueService } from "../../actors/queue/service.js";
import { loadQueuesConf } from "../../actors/queue/config.js";
import { registerQueueCommands } from "../../actors/queue/console.js";
import { formatDiagnostic } from "../../conf/tokenizer.js";
import { startAri } from "./ari-service.js";

export interface StartOptions { readonly configDir: string; readonly dataDir: string }

const say = (line: string) => Effect.sync(() => process.stdout.write(`${line}\n`));

/**
 * The event log recall.conf asks for. With Kafka, DATA/log is the outbox: appends are
 * durable there first and shipped on, so Kafka being down never stops calls.
 */
async function openLog(dataDir: string, settings: RecallSettings): Promise<EventLog> {
  const dir = join(dataDir, "log");
  // Its projections follow it from their own thread (in-worker.ts): no reader here needs its tail in memory.
  if (settings.log.backend === "embedded") return SegmentLog.open(dir, { cacheTail: false });
  const { brokers, topic, partitions, clientId } = settings.kafka;
  const { KafkaEventLog } = await import("../../events/kafka/kafka-log.js"); // kafkajs only when asked for
  return KafkaEventLog.open({
    dir, brokers, topic, partitions, clientId, nodeId: settings.nodeId,
    notice: (m) => process.stdout.write(`NOTICE: ${m}\n`),
  });
}

const eventLog = (dataDir: string, settings: RecallSettings) => Layer.scoped(
  EventLogService,
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => openLog(dataDir, settings), catch: (e) => e as Error }),
    (log) => Effect.promise(() => log.close()),
  ),
);

/** The Kafka log by its outbox (its class is imported only when recall.conf asks for Kafka, so no instanceof). */
const isKafka = (log: EventLog): log is KafkaEventLog => "outbox" in log;

/** Where the log is, for the banner and `recall show log`. */
function describeLog(log: EventLog, dataDir: string): string {
  if (!isKafka(log)) return `embedded (${dataDir}/log)`;
  const s = log.shipping;
  return `kafka topic ${log.topic} via outbox ${dataDir}/log; shipped ${s.shipped}, waiting ${s.lag}, ` +
    (s.connected ? "connected" : `not connected${s.error ? ` (${s.error})` : ""}`);
}

/** The secret digest nonces are signed with, made once per data directory so nonces outlive a restart. */
/**
 * The event loop's typical lag (ms) since the last call, for load shedding (sip/call/admission.ts):
 * the median delay of a 10 ms timer beyond its 10 ms. The median, not the mean: a few long
 * pauses (start-up, a major GC) do not shed calls; a loop that is late on every turn does.
 */
function eventLoopLag(): () => number {
  const RESOLUTION_MS = 10;
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  return () => {
    const median = h.count ? h.percentile(50) / 1e6 - RESOLUTION_MS : 0;
    h.reset();
    return Math.max(0, median);
  };
}

function nonceSecret(dataDir: string, random: Random): string {
  const path = join(dataDir, "nonce.secret");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomHex(random, 32);
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}

/** Why the PBX stops: a signal, or `core stop|restart ...` on the console. */
interface StopRequest { readonly reason: string; readonly restart: boolean }

const waitForStop = (console: { request?: (r: StopRequest) => void }) => Effect.async<StopRequest>((resume) => {
  const on = (sig: NodeJS.Signals) => resume(Effect.succeed({ reason: sig, restart: false }));
  process.once("SIGINT", on);
  process.once("SIGTERM", on);
  console.request = (r) => resume(Effect.succeed(r));
  return Effect.sync(() => { process.off("SIGINT", on); process.off("SIGTERM", on); console.request = undefined; });
});

const program = (options: StartOptions, settings: RecallSettings) => Effect.gen(function* () {
  const log = yield* EventLogService;
  const clock = yield* ClockService;
  const random = yield* RandomService;
  const startedAt = clock.now();
  const runtime = new ActorRuntime({ log, clock, random, kinds: actorKinds, onError: (e) => process.stderr.write(`ERROR: ${e.message}\n`), notice: (m) => process.stderr.write(`NOTICE: ${m}\n`) });
  // Recovery reads the local log (the outbox with Kafka): it holds every event of this node, reachable or not.
  const local = isKafka(log) ? log.outbox : log;
  const recovered = yield* Effect.tryPromise({ try: () => runtime.recover(local), catch: (e) => e as Error });
  yield* say(`Recall ${version}: event log ${describeLog(log, options.dataDir)}, ${recovered.events} events, ${recovered.actors} live actors recovered`);
  // Calls that were up when the last process stopped lost their SIP dialogs with it: end them in the log.
  const ended = endRecoveredCalls(runtime, clock.now());
  if (ended.channels || ended.queueCallers) yield* say(`${ended.channels} channels, ${ended.bridges} bridges and ${ended.queueCallers} queue calls cut by the restart ended (cause 41)`);

  const table = new CommandTable();
  const stopper: { request?: (r: StopRequest) => void } = {};
  let logger: AsteriskLogger | undefined;
  let accepting = true;
  registerCoreCommands(table, {
    refuseNewCalls: () => { accepting = false; },
    version, configDir: options.configDir, dataDir: options.dataDir, startedAt, now: () => clock.now(),
    verbosity: () => ({ verbose: logger?.verbose ?? 3, debug: logger?.debug ?? 0 }),
    activeChannels: () => runtime.ids().filter((id) => id.startsWith("channel:")).length,
    requestStop: (reason, restart) => setImmediate(() => stopper.request?.({ reason, restart })), // after the command's answer is sent
  });
  table.register("core show help", "Display help list, or specific help on a command", (args) => table.help(args));
  table.register("recall show log", "Show the event log's position and live actors", () => {
    const kinds = new Map<string, number>();
    for (const id of runtime.ids()) { const k = id.split(":")[0]; kinds.set(k, (kinds.get(k) ?? 0) + 1); }
    return `Event log: ${describeLog(log, options.dataDir)}\nNext offset: ${log.nextOffset}\nLive actors: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ") || "none"}\n`;
  });
  // CDR and CEL follow the local log (the outbox with Kafka), from each sink's checkpoint.
  const projections = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: () => (local instanceof SegmentLog ? startProjectionsInWorker(local, options.configDir, options.dataDir) : startProjections(local, options.configDir, options.dataDir)),
      catch: (e) => e as Error,
    }),
    (p) => Effect.promise(() => p.close()),
  );
  table.register("recall show projections", "Show each CDR/CEL sink's position and lag", () => projections.status().map((s) =>
    `${s.sink} ${s.location}: through offset ${s.through}, lag ${s.lagEvents} events${s.failing ? `, failing: ${s.failing}` : ""}\n`).join(""));
  const server = yield* Effect.acquireRelease(
    Effect.tryPromise({ try: () => serveConsole(options.dataDir, table), catch: (e) => e as Error }),
    (s) => Effect.sync(() => s.close()),
  );
  void server;

  const files = readdirSync(options.configDir).filter((f) => f.endsWith(".conf")).sort();
  yield* say(`Configuration ${options.configDir}: ${files.join(", ") || "no .conf files"}`);
  // logger.conf's files go under the data directory (Asterisk's astlogdir).
  logger = new AsteriskLogger(clock, (text) => process.stdout.write(text), { dir: options.dataDir, hostname: hostname() });
  const logging = new LoggerService(options.configDir, logger);
  logging.load();
  logging.registerCommands(table);
  yield* Effect.addFinalizer(() => Effect.promise(() => logger.close()));
  const astdb = new AstDb(runtime);
  registerDatabaseCommands(table, astdb);
  const rtp = loadRtpConf(options.configDir);
  const media = yield* Effect.acquireRelease(
    Effect.tryPromise({ try: () => MediaService.start({ ...rtp, workers: mediaWorkerCount(settings.pinEventLoop), soundsDir: "/usr/share/asterisk/sounds" }), catch: (e) => e as Error }),
    (m) => Effect.promise(() => m.stop()),
  );
  media.onWarning = (m) => logger.log("WARNING", "res_rtp_asterisk.c", m);
  yield* say(`Media: ${media.workerCount} worker${media.workerCount === 1 ? "" : "s"}, RTP ports ${rtp.rtpStart}-${rtp.rtpEnd}`);
  let sip: SipServer | undefined;
  // Device and extension states: folded from the channels, fed by the PJSIP driver and Custom: devices; hints watched by subscriptions, members' states read by queues.
  const devices = new DeviceStates();
  followChannels(runtime, devices);
  const queues = new QueueService(runtime, (iface) => devices.state(iface));
  const loadQueues = (): string => {
    try {
      const warnings = queues.apply(loadQueuesConf(options.configDir), clock.now());
      for (const w of warnings) logger.log("WARNING", "app_queue.c", formatDiagnostic(w));
      return `Queues reloaded: ${queues.names().length} queues${warnings.length ? `, ${warnings.length} warnings` : ""}\n`;
    } catch (e) {
      logger.log("ERROR", "app_queue.c", (e as Error).message);
      return `Queues not reloaded: ${(e as Error).message}\n`;
    }
  };
  loadQueues();
  registerQueueCommands(table, queues, () => clock.now(), loadQueues);
    // AGI(script) runs relative names from DATA/agi-bin (Asterisk's astagidir).
  const agi = nodeAgiServices({ runtime, agiDir: join(options.dataDir, "agi-bin"), version });
  registerAgiCommands(table, agi);
  const dialplan = new DialplanService(options.configDir, logger, astdb, (ep, aor, user) => sip?.registrar.dialContacts(ep, aor, user) ?? "", agi, queues);
  dialplan.registerCommands(table);
  const watchers = new HintWatchers(devices);
  const mailboxes = new MailboxStates(astdb);
  registerMailboxCommands(table, mailboxes);
  const customDevices = new CustomDevices(devices, astdb);
  registerDevstateCommands(table, customDevices);
  dialplan.useDeviceStates(devices, customDevices, (key) => watchers.watchers(key));
  const features = new FeaturesService(options.configDir, logger);
  features.registerCommands(table);
  sip = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: () => SipServer.start({
        configDir: options.configDir, runtime, clock, random, logger, console: table,
        nonceSecret: nonceSecret(options.dataDir, random), userAgent: `Recall ${version}`,
        calls: {
          runDialplan: dialplan.run,
          runApplication: dialplan.runApplication,
          // MixMonitor's relative file names land in DATA/monitor (Asterisk's spool/monitor).
          media: new CallMedia(media, { moh: loadMusicOnHold(options.configDir, (m) => logger.log("WARNING", "res_musiconhold.c", m)), monitorDir: join(options.dataDir, "monitor"), descriptions: sdpDescriptions }),
          features: features.current,
          accepting: () => accepting,
          lag: eventLoopLag(),
        },
        extensionPresence: dialplan.presence,
        localPresence: dialplan.localPresence,
        subscriptions: { devices, watchers, mailboxes, hint: dialplan.hint },
        messages: { exists: (context, exten) => dialplan.localPresence(context, exten, clock.now()) === "exists", run: dialplan.run },
      }),
      catch: (e) => e as Error,
    }),
    (sip) => Effect.promise(() => sip.stop()),
  );
  const sipServer = sip;
  const httpConf = loadHttpConf(options.configDir);
  const http = yield* Effect.acquireRelease(
    Effect.tryPromise({ try: () => startHttp(httpConf, sipServer.transports, table, logger, `Recall/${version}`), catch: (e) => e as Error }),
    (http) => Effect.promise(() => http.stop()),
  );
  dialplan.onReload(() => sip?.subscriptions?.rehint());
  const remote = sip.remoteSwitch;
  dialplan.setSwitches((module, data, position, mode) =>
    module.toLowerCase() === "pjsip" ? remote.answer(data, position, mode) : undefined);
  // Call files (pbx_spool): DATA/spool/outgoing, through the call core's Originate.
  const core = sip.calls?.core;
  if (core) {
    const spool = yield* Effect.acquireRelease(
      Effect.sync(() => new OutgoingSpool({ dir: join(options.dataDir, "spool"), clock, logger, originate: (r) => core.originate(r) })),
      (s) => Effect.sync(() => s.stop()),
    );
    if (spool.start()) yield* say(`Call files: ${spool.outgoing}`);
  }
  // AMI (manager.conf): events follow the local log, actions go through the adapter over the call core.
  const manager = loadManagerConf(options.configDir);
  for (const d of manager.errors) logger.log("ERROR", "manager.c", `${d.file}:${d.line}: ${d.reason}`);
  for (const d of manager.warnings) logger.log("WARNING", "manager.c", `${d.file}:${d.line}: ${d.reason}`);
  // The web console (interfaces/web/): manager.conf's users, the projections' tables through this process's session.
  const wallboard = new Wallboard(runtime, devices, () => Date.now());
  new WebConsole({ query: projections.query, users: () => manager.config.users, logger, prefix: httpConf.prefix, log: local, monitorDir: join(options.dataDir, "monitor"),
    wallboard }).mount(http);
  // Today's figures from before this start: queue_log up to where the board began counting.
  const sqlSink = () => projections.status().find((s) => s.sink === "chdb") ?? projections.status().find((s) => s.sink === "clickhouse");
  if (projections.query && sqlSink()) {
    seedWallboard(wallboard, projections.query, () => sqlSink()?.through ?? -1, local.nextOffset, () => Date.now())
      .then((done) => { if (!done) logger.log("WARNING", "web", "the wallboard counts today from this start: queue_log did not catch up within a minute"); })
      .catch((e: Error) => logger.log("WARNING", "web", `the wallboard counts today from this start: ${e.message}`));
  }
  if (manager.config.enabled) {
    const sipServer = sip;
    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const ami = new AmiServer({
            config: manager.config, log: local, unappended: () => runtime.unappended, logger, clock, version: `Recall ${version}`, startedAt,
            projection: { ...managerProjections(options.configDir), hints: dialplan.hints },
            pbx: new CallCoreAdapter({ sip: sipServer, astdb, table, runDialplan: dialplan.run, hints: dialplan.hints, extensionStateOf: (d) => devices.extensionState(d), evaluate: dialplan.evaluate, assign: dialplan.assign, globals: dialplan.globalVariables,
              queues, reloadQueues: () => { const out = loadQueues(); return out.startsWith("Queues not reloaded") ? out : undefined; } }),
          });
          await ami.start();
          // The HTTP manager (/rawman, /manager, /mxml) on http.conf's server: webenabled and enabled, as in Asterisk.
          if (manager.config.webEnabled) {
            if (http.plain || http.secure) new HttpManager(ami).mount(http);
            else logger.log("WARNING", "manager.c", "manager.conf webenabled = yes, but http.conf runs no HTTP server: no /rawman, /manager or /mxml");
          }
          return ami;
        },
        catch: (e) => new Error(`AMI could not listen on ${manager.config.bindaddr}:${manager.config.port}: ${(e as Error).message}`),
      }),
      (ami) => Effect.promise(() => ami.stop()),
    ).pipe(
      // As Asterisk: a manager port that cannot be bound costs AMI, not the PBX.
      Effect.tap(() => say(`AMI listening on ${manager.config.bindaddr}:${manager.config.port} (${manager.config.users.size} users)`)),
      Effect.catchAll((e) => Effect.sync(() => logger.log("ERROR", "manager.c", `${e.message}; AMI is off`))),
    );
  }
  yield* Effect.acquireRelease(
    Effect.sync(() => startAri({ configDir: options.configDir, dataDir: options.dataDir, sip: sipServer, http, log: local, random, logger, dialplan, table, version, startedAt })),
    (ari) => Effect.sync(() => ari?.close()),
  );
  // chDB's and node's start-up code, run once, need not stay resident, nor code not run for a while (core/working-set.ts says why).
  const releases: Released[] = [];
  for (const [name, file] of [["chDB", "libchdb.so"], ["node", process.execPath]]) {
    const released = releaseLibraryPages(file);
    if (typeof released === "string") continue;
    releases.push(released);
    yield* say(`${name}: ${Math.round(released.bytes / 1048576)} MiB of start-up code released from memory`);
  }
  if (releases.length) {
    yield* Effect.acquireRelease(
      Effect.sync(() => setInterval(() => { for (const r of releases) r.again(); }, RELEASE_AGAIN_MS).unref()),
      (timer) => Effect.sync(() => clearInterval(timer)),
    );
  }
  if (settings.pinEventLoop) {
    // Last, once the workers and chDB's threads exist: they go to the other CPUs.
    const pinned = yield* Effect.acquireRelease(Effect.sync(pinEventLoop), (p) => Effect.sync(() => { if (typeof p !== "string") p.stop(); }));
    if (typeof pinned === "string") logger.log("WARNING", "recall.conf", `pin_event_loop: ${pinned}; the event loop shares every CPU`);
    else yield* say(`Event loop on CPU ${pinned.loop}, the other threads on CPU ${pinned.others.join(",")}`);
  }
  yield* say("Recall ready. `recall cli -rx \"core show help\"` lists console commands.");

  registerInstance(process.cwd(), options.dataDir);
  yield* Effect.addFinalizer(() => Effect.sync(() => unregisterInstance(process.cwd(), options.dataDir)));
  const stop = yield* waitForStop(stopper);
  yield* say(`${stop.reason}: ${stop.restart ? "restarting" : "shutting down"}`);
  runtime.stop();
  yield* Effect.promise(() => runtime.settle());
  return stop;
});

/** Runs until stopped; resolves with the exit status (75: restart me, under systemd). */
export async function start(options: StartOptions): Promise<number> {
  const configDir = resolve(options.configDir), dataDir = resolve(options.dataDir);
  if (!existsSync(configDir)) throw new Error(`--config ${configDir}: no such directory; give the directory that holds pjsip.conf, extensions.conf and the other .conf files (without --config: the sample configuration)`);
  if (!statSync(configDir).isDirectory()) throw new Error(`--config ${configDir}: not a directory; give the directory that holds the .conf files, not a file`);
  const settings = loadRecallConf(configDir);
  const layer = Layer.mergeAll(
    eventLog(dataDir, settings),
    Layer.succeed(ClockService, new SystemClock()),
    Layer.succeed(RandomService, new SystemRandom()),
  );
  const stop = await Effect.runPromise(Effect.scoped(program({ configDir, dataDir }, settings)).pipe(Effect.provide(layer)));
  return stop.restart ? restartProcess() : 0;
}

/**
 * `core restart`: everything is closed (the log's lock released); under systemd the unit
 * restarts us on exit status 75 (infra/recall.service), elsewhere a successor takes our
 * place with the same arguments and output.
 */
function restartProcess(): number {
  if (process.env.INVOCATION_ID) return 75;
  spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" }).unref();
  return 0;
}
