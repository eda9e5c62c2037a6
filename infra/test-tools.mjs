#!/usr/bin/env node
/**
 * The tools the test suite needs, in one list, and the preflight that checks them.
 *
 *   node infra/test-tools.mjs            check: exit 0 when every tool is here, else print one
 *                                        message naming each missing tool and exit 1 (what `npm test` runs first)
 *   node infra/test-tools.mjs --install  install what is missing: the Debian packages when run as root
 *                                        (non-interactive), otherwise print the exact apt-get line and exit 1
 *
 * Either way, once every tool is present the Kafka broker's jars are fetched (once, into
 * infra/kafka's cache), before test files start brokers in parallel.
 * Plain JavaScript, so it runs before the TypeScript build (which itself wants `cc`).
 * Adding a tool is one entry in `tools`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Is `name` an executable in one of PATH's directories? */
export function onPath(name, path = process.env.PATH ?? "") {
  return path.split(delimiter).filter(Boolean).some((dir) => {
    try { accessSync(join(dir, name), constants.X_OK); return true; } catch { return false; }
  });
}

/** Exit status 0 of a short command, bounded so a broken tool cannot hang the check. */
const succeeds = (cmd, args) => spawnSync(cmd, args, { stdio: "ignore", timeout: 20_000 }).status === 0;

function javaMajor() {
  const r = spawnSync("java", ["-version"], { encoding: "utf8", timeout: 20_000 });
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr ?? ""}${r.stdout ?? ""}`);
  if (!m) return 0;
  return m[1] === "1" ? Number(m[2]) : Number(m[1]); // "1.8.0" is Java 8
}

/** Debian's python3, where apt installs panoramisk (as core/python.ts picks it for the tests), not a version manager's shim. */
const python3 = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** Every tool some test needs: its name, what uses it, how to tell it is here, its Debian package. */
export const tools = [
  { name: "sipp", usedBy: "the SIP and call end-to-end tests", present: () => onPath("sipp"), apt: "sip-tester" },
  { name: "baresip", usedBy: "the call tests with a real softphone", present: () => onPath("baresip"), apt: "baresip" },
  { name: "clickhouse-server", usedBy: "the ClickHouse sink's tests", present: () => existsSync("/usr/sbin/clickhouse-server"), apt: "clickhouse-server" },
  { name: "java 17+", usedBy: "the Kafka broker of the Kafka tests", present: () => onPath("java") && javaMajor() >= 17, apt: "openjdk-17-jre-headless" },
  { name: "mvn", usedBy: "fetching the Kafka broker's jars (infra/kafka/fetch.sh)", present: () => onPath("mvn"), apt: "maven" },
  { name: "asterisk sounds", usedBy: "the playback and media tests (/usr/share/asterisk/sounds/en)", present: () => existsSync("/usr/share/asterisk/sounds/en/hello-world.wav"), apt: "asterisk-core-sounds-en-wav" },
  { name: "python3 panoramisk", usedBy: "the AMI tests (a real Python AMI client)", present: () => succeeds(python3, ["-c", "import panoramisk"]), apt: "python3-panoramisk" },
  { name: "chromium", usedBy: "the web console's browser tests (driven headless by playwright-core)", present: () => existsSync("/usr/bin/chromium"), apt: "chromium" },
  { name: "cc", usedBy: "building the QoS helper (media-workers/qos)", present: () => onPath("cc"), apt: "gcc" },
];

/** The command the README gives for running the tests: it installs what is missing. */
export const fullTestCommand = "npm run test:full";

export const missingTools = () => tools.filter((t) => !t.present());

export const aptLine = (missing) => `apt-get install -y ${[...new Set(missing.map((t) => t.apt))].join(" ")}`;

export function missingMessage(missing) {
  const width = Math.max(...missing.map((t) => t.name.length));
  return [
    `The tests need ${missing.length === 1 ? "a tool" : "tools"} this machine does not have:`,
    ...missing.map((t) => `  ${t.name.padEnd(width)}  (Debian: ${t.apt}) for ${t.usedBy}`),
    `Run \`${fullTestCommand}\`: it installs them (as root) and runs every test.`,
    `Or install them yourself: sudo ${aptLine(missing)}`,
    "",
  ].join("\n");
}

function fetchKafkaJars() {
  try {
    execFileSync(join(root, "infra", "kafka", "fetch.sh"), { stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
    return true;
  } catch (e) {
    process.stderr.write(`Could not fetch the Kafka broker's jars (infra/kafka/fetch.sh): ${e.message}\n`);
    return false;
  }
}

function install(missing) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) {
    process.stderr.write(`${missingMessage(missing)}Not root, so nothing was installed; run:\n  sudo ${aptLine(missing)}\n`);
    return false;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  process.stderr.write(`Installing: ${aptLine(missing)}\n`);
  const steps = [["apt-get", ["update", "-qq"]], ["apt-get", ["install", "-y", "-qq", ...new Set(missing.map((t) => t.apt))]]];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { env, stdio: ["ignore", "ignore", "inherit"], timeout: 1_800_000 });
    if (r.status !== 0) { process.stderr.write(`${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`})\n`); return false; }
  }
  const still = missingTools();
  if (still.length) { process.stderr.write(missingMessage(still)); return false; }
  return true;
}

function main(argv) {
  const missing = missingTools();
  if (missing.length) {
    if (!argv.includes("--install")) { process.stderr.write(missingMessage(missing)); return 1; }
    if (!install(missing)) return 1;
  }
  return fetchKafkaJars() ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
