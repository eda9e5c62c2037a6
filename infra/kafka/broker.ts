/**
 * A real single-node Kafka broker for tests and benchmarks, started and stopped
 * through infra/kafka/start.sh and stop.sh. Each test file starts its own on free
 * ports in a temporary directory:
 *
 *   const broker = await startBroker();
 *   after(() => broker.stop());
 *
 * `down()` and `up()` take the same broker away and bring it back (same port, same
 * data) to play an outage. A broker still running when the process exits is killed.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface Broker {
  /** Bootstrap addresses, e.g. ["127.0.0.1:40123"]. */
  readonly brokers: string[];
  readonly port: number;
  readonly dataDir: string;
  /** Stop the broker, keeping its data (an outage). */
  down(): Promise<void>;
  /** Start it again after `down()`, on the same port and data. */
  up(): Promise<void>;
  /** Stop it for good and delete a data directory `startBroker` created. */
  stop(): Promise<void>;
}

export interface BrokerOptions {
  /** Client port (the controller takes another); default: a free one. */
  readonly port?: number;
  /** Default: a new temporary directory, deleted by `stop()`. */
  readonly dataDir?: string;
  /** JVM heap, e.g. "384m" (default: start.sh's). */
  readonly heap?: string;
}

/** The folder holding start.sh: next to this module's source, or under the working directory. */
function scriptsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, "infra", "kafka"), dir]) {
      if (existsSync(join(candidate, "start.sh")) && existsSync(join(candidate, "pom.xml"))) return candidate;
    }
    dir = dirname(dir);
  }
  const fromCwd = resolve("infra", "kafka");
  if (existsSync(join(fromCwd, "start.sh"))) return fromCwd;
  throw new Error("infra/kafka/start.sh not found (run from the repository root)");
}

function run(script: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(join(scriptsDir(), script), args, { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} ${args.join(" ")} failed: ${stderr.trim() || err.message}`));
      else resolvePromise(stdout.trim());
    });
  });
}

/** `count` ports nothing listens on right now (held together, so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      await new Promise<void>((ok, fail) => { server.once("error", fail); server.listen(0, "127.0.0.1", ok); });
      servers.push(server);
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  }
}

const running = new Set<number>();
let exitHookInstalled = false;

function killLeftovers(): void {
  for (const pid of running) {
    try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
  }
}

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const [port, controllerPort] = options.port !== undefined
    ? [options.port, (await freePorts(1))[0]]
    : await freePorts(2);
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "recall-kafka-"));
  const env: Record<string, string> = { CONTROLLER_PORT: String(controllerPort), ...(options.heap ? { KAFKA_HEAP: options.heap } : {}) };
  let pid: number | null = null;
  if (!exitHookInstalled) {
    process.once("exit", killLeftovers);
    exitHookInstalled = true;
  }

  const up = async () => {
    if (pid !== null) return;
    await run("start.sh", [String(port), dataDir], env);
    pid = Number(readFileSync(join(dataDir, "kafka.pid"), "utf8"));
    running.add(pid);
  };
  const down = async () => {
    if (pid === null) return;
    await run("stop.sh", [dataDir], env);
    running.delete(pid);
    pid = null;
  };
  await up();
  return {
    brokers: [`127.0.0.1:${port}`],
    port,
    dataDir,
    up,
    down,
    stop: async () => {
      await down();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
