/**
 * `recall start`: compose the PBX from its services and run it until a signal.
 * Services are Effect layers (clock, random, event log) acquired and released in
 * scope, so a failing start or a SIGTERM closes the log cleanly.
 */
import { Effect, Layer } from "effect";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ClockService, SystemClock } from "../../core/clock.js";
import { RandomService, SystemRandom, randomHex, type Random } from "../../core/random.js";
import { AsteriskLogger } from "../../core/logger.js";
import { SipServer } from "../../sip/server.js";
import { EventLogService } from "../../events/log.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { KafkaEventLog } from "../../events/kafka/kafka-log.js";
import type { EventLog } from "../../events/log.js";
import { loadRecallConf, type RecallSettings } from "./recall-conf.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import { CommandTable } from "../console/commands.js";
import { serveConsole } from "../console/server.js";
import { version } from "./paths.js";
import { DialplanService } from "./dialplan-service.js";
import { AstDb } from "../../actors/astdb/astdb.js";
import { registerDatabaseCommands } from "../../actors/astdb/console.js";
import { startProjections } from "../../projections/runner.js";
import { MediaService } from "../../media-workers/index.js";
import { CallMedia, loadMusicOnHold } from "../../calls/media.js";
import { sdpDescriptions } from "../../sip/sdp/index.js";
import { loadRtpConf } from "./rtp-conf.js";
import { FeaturesService } from "./features-service.js";
import { nodeAgiServices } from "../agi/node-services.js";
import { registerAgiCommands } from "../agi/console.js";
import { startHttp } from "./http-service.js";
import { loadHttpConf } from "../http/http-conf.js";
import { startAri } from "./ari-service.js";

export interface StartOptions { readonly configDir: string; readonly dataDir: string }

const say = (line: string) => Effect.sync(() => process.stdout.write(`${line}\n`));

/**
 * The event log recall.conf asks for. With Kafka, DATA/log is the outbox: appends are
 * durable there first and shipped on, so Kafka being down never stops calls.
 */
function openLog(dataDir: string, settings: RecallSettings): Promise<EventLog> {
  const dir = join(dataDir, "log");
  if (settings.log.backend === "embedded") return SegmentLog.open(dir);
  const { brokers, topic, partitions, clientId } = settings.kafka;
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

/** Where the log is, for the banner and `recall show log`. */
function describeLog(log: EventLog, dataDir: string): string {
  if (!(log instanceof KafkaEventLog)) return `embedded (${dataDir}/log)`;
  const s = log.shipping;
  return `kafka topic ${log.topic} via outbox ${dataDir}/log; shipped ${s.shipped}, waiting ${s.lag}, ` +
    (s.connected ? "connected" : `not connected${s.error ? ` (${s.error})` : ""}`);
}

function uptime(micros: number): string {
  let s = Math.floor(micros / 1e6);
  const parts: string[] = [];
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]] as const) {
    const n = Math.floor(s / size);
    if (n) parts.push(`${n} ${unit}${n > 1 ? "s" : ""}`);
    s %= size;
  }
  parts.push(`${s} second${s === 1 ? "" : "s"}`);
  return parts.join(", ");
}

/** The secret digest nonces are signed with, made once per data directory so nonces outlive a restart. */
function nonceSecret(dataDir: string, random: Random): string {
  const path = join(dataDir, "nonce.secret");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomHex(random, 32);
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}

const waitForSignal = Effect.async<string>((resume) => {
  const on = (sig: NodeJS.Signals) => resume(Effect.succeed(sig));
  process.once("SIGINT", on);
  process.once("SIGTERM", on);
  return Effect.sync(() => { process.off("SIGINT", on); process.off("SIGTERM", on); });
});

const program = (options: StartOptions) => Effect.gen(function* () {
  const log = yield* EventLogService;
  const clock = yield* ClockService;
  const random = yield* RandomService;
  const startedAt = clock.now();
  const runtime = new ActorRuntime({ log, clock, random, kinds: actorKinds, onError: (e) => process.stderr.write(`ERROR: ${e.message}\n`) });
  // Recovery reads the local log (the outbox with Kafka): it holds every event of this node, reachable or not.
  const local = log instanceof KafkaEventLog ? log.outbox : log;
  const recovered = yield* Effect.tryPromise({ try: () => runtime.recover(local), catch: (e) => e as Error });
  yield* say(`Recall ${version}: event log ${describeLog(log, options.dataDir)}, ${recovered.events} events, ${recovered.actors} live actors recovered`);

  const table = new CommandTable();
  table.register("core show version", "Display version info", () => `Recall ${version} on Node.js ${process.version}\n`);
  table.register("core show uptime", "Show uptime information", () => `System uptime: ${uptime(clock.now() - startedAt)}\n`);
  table.register("core show help", "Display help list, or specific help on a command", (args) => table.help(args));
  table.register("recall show log", "Show the event log's position and live actors", () => {
    const kinds = new Map<string, number>();
    for (const id of runtime.ids()) { const k = id.split(":")[0]; kinds.set(k, (kinds.get(k) ?? 0) + 1); }
    return `Event log: ${describeLog(log, options.dataDir)}\nNext offset: ${log.nextOffset}\nLive actors: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ") || "none"}\n`;
  });
  // CDR and CEL follow the local log (the outbox with Kafka), from each sink's checkpoint.
  const projections = yield* Effect.acquireRelease(
    Effect.tryPromise({ try: () => startProjections(local, options.configDir, options.dataDir), catch: (e) => e as Error }),
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
  const logger = new AsteriskLogger(clock, (text) => process.stdout.write(text), join(options.dataDir, "messages.log"));
  const astdb = new AstDb(runtime);
  registerDatabaseCommands(table, astdb);
  const rtp = loadRtpConf(options.configDir);
  const media = yield* Effect.acquireRelease(
    Effect.tryPromise({ try: () => MediaService.start({ ...rtp, soundsDir: "/usr/share/asterisk/sounds" }), catch: (e) => e as Error }),
    (m) => Effect.promise(() => m.stop()),
  );
  media.onWarning = (m) => logger.log("WARNING", "res_rtp_asterisk.c", m);
  let sip: SipServer | undefined;
  // AGI(script) runs relative names from DATA/agi-bin (Asterisk's astagidir).
  const agi = nodeAgiServices({ runtime, agiDir: join(options.dataDir, "agi-bin"), version });
  registerAgiCommands(table, agi);
  const dialplan = new DialplanService(options.configDir, logger, astdb, (ep, aor, user) => sip?.registrar.dialContacts(ep, aor, user) ?? "", agi);
  dialplan.registerCommands(table);
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
        },
        extensionPresence: dialplan.presence,
        localPresence: dialplan.localPresence,
      }),
      catch: (e) => e as Error,
    }),
    (sip) => Effect.promise(() => sip.stop()),
  );
  const sipServer = sip;
  const http = yield* Effect.acquireRelease(
    Effect.tryPromise({ try: () => startHttp(loadHttpConf(options.configDir), sipServer.transports, table, logger, `Recall/${version}`), catch: (e) => e as Error }),
    (http) => Effect.promise(() => http.stop()),
  );
  yield* Effect.acquireRelease(
    Effect.sync(() => startAri({ configDir: options.configDir, dataDir: options.dataDir, sip: sipServer, http, log: local, random, logger, dialplan, table, version, startedAt })),
    (ari) => Effect.sync(() => ari?.close()),
  );
  const remote = sip.remoteSwitch;
  dialplan.setSwitches((module, data, position, mode) =>
    module.toLowerCase() === "pjsip" ? remote.answer(data, position, mode) : undefined);
  yield* say("Not yet available in this build: AMI, queues.");
  yield* say("Recall ready. `recall cli -rx \"core show help\"` lists console commands.");

  const signal = yield* waitForSignal;
  yield* say(`${signal}: shutting down`);
  runtime.stop();
  yield* Effect.promise(() => runtime.settle());
});

export async function start(options: StartOptions): Promise<void> {
  const configDir = resolve(options.configDir), dataDir = resolve(options.dataDir);
  if (!existsSync(configDir) || !statSync(configDir).isDirectory()) throw new Error(`config directory ${configDir} does not exist`);
  const settings = loadRecallConf(configDir);
  const layer = Layer.mergeAll(
    eventLog(dataDir, settings),
    Layer.succeed(ClockService, new SystemClock()),
    Layer.succeed(RandomService, new SystemRandom()),
  );
  await Effect.runPromise(Effect.scoped(program({ configDir, dataDir })).pipe(Effect.provide(layer)));
}
