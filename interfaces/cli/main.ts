/**
 * The `recall` command line: start, cli, replay, query, rebuild.
 * See ARCHITECTURE.md "The command line contract".
 */
import { parseArgs } from "node:util";
import { createInterface } from "node:readline";
import { sendCommand } from "../console/server.js";
import { sampleConfigDir, version } from "./paths.js";
import { defaultDataDir } from "./instances.js";
import { commandsFromHelp, complete } from "../console/completion.js";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const usage = `Usage: recall <command> [options]

  start   [--config DIR] [--data DIR]        run the PBX (defaults: the sample config, ./data)
  cli     [--data DIR] [-rx "COMMAND"]       run a console command on the running instance, or open a console
                                             (without --data: $RECALL_DATA, else the instance started here)
  replay  --data DIR [--verify] [--until OFFSET|TIME] [--linkedid ID]
                                             verify determinism, show state at a point, or one call's timeline
  query   --data DIR "SQL" [--format table|csv|json]
                                             ClickHouse SQL over the cdr and cel tables
  rebuild --data DIR [--sink chdb|clickhouse|csv]
                                             rebuild projections from the log
  simulate --seed N --data DIR [--agents A] [--calls C] [--hours H] [--faults] [--disk-full] [--kafka] [--strategy S] [--config DIR] [--no-projections]
                                             a call-centre day against simulated phones on a virtual clock,
                                             invariants checked; the same seed writes the same log
`;

const write = (s: string) => process.stdout.write(s);

// Output piped into `head` or `less` that quits early: stop quietly, as a Unix tool does.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

/** The interactive console: tab completion from the instance's commands, history kept in ~/.recall_history. */
async function interactiveConsole(dataDir: string): Promise<number> {
  const historyFile = join(homedir(), ".recall_history");
  const history = existsSync(historyFile) ? readFileSync(historyFile, "utf8").split("\n").filter(Boolean).slice(-1000).reverse() : [];
  let commands: string[][] = [];
  try { commands = commandsFromHelp(await sendCommand(dataDir, "core show help")); } catch (e) { write(`${(e as Error).message}\n`); }
  const rl = createInterface({
    input: process.stdin, output: process.stdout, prompt: "recall*CLI> ", history, historySize: 1000, removeHistoryDuplicates: true,
    completer: (line: string) => complete(commands, line),
  });
  rl.prompt();
  for await (const line of rl) {
    if (/^\s*(exit|quit)\s*$/.test(line)) break;
    if (line.trim()) {
      try { appendFileSync(historyFile, `${line.trim()}\n`); } catch { /* history is a convenience */ }
      write(await sendCommand(dataDir, line).catch((e: Error) => `${e.message}\n`));
    }
    rl.prompt();
  }
  rl.close();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case "start": {
      const { values } = parseArgs({ args: rest, options: { config: { type: "string" }, data: { type: "string" } } });
      const { start } = await import("./start.js");
      return start({ configDir: values.config ?? sampleConfigDir, dataDir: values.data ?? process.env.RECALL_DATA ?? "data" });
    }
    case "cli": {
      const { values } = parseArgs({ args: rest, options: { data: { type: "string" }, rx: { type: "string", short: "x" }, r: { type: "boolean" } } });
      const dataDir = values.data ?? defaultDataDir();
      if (values.rx !== undefined) {
        write(await sendCommand(dataDir, values.rx));
        return 0;
      }
      return interactiveConsole(dataDir);
    }
    case "replay": {
      const { values } = parseArgs({ args: rest, options: { data: { type: "string" }, verify: { type: "boolean" }, until: { type: "string" }, linkedid: { type: "string" } } });
      const { replay } = await import("./replay.js");
      return replay({ dataDir: values.data ?? "data", verify: values.verify ?? false, ...(values.until ? { until: values.until } : {}), ...(values.linkedid ? { linkedid: values.linkedid } : {}) }, write);
    }
    case "query": {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { data: { type: "string" }, format: { type: "string" } } });
      const { queryCommand } = await import("./query.js");
      return queryCommand({ dataDir: values.data ?? "data", sql: positionals.join(" "), format: values.format ?? "table" }, write, (s) => process.stderr.write(s));
    }
    case "rebuild": {
      const { values } = parseArgs({ args: rest, options: { data: { type: "string" }, config: { type: "string" }, sink: { type: "string" } } });
      const { rebuildCommand } = await import("./rebuild.js");
      return rebuildCommand({ dataDir: values.data ?? "data", configDir: values.config ?? sampleConfigDir, sink: values.sink ?? "chdb" }, write, (s) => process.stderr.write(s));
    }
    case "simulate": {
      const { values } = parseArgs({ args: rest, options: {
        seed: { type: "string" }, data: { type: "string" }, agents: { type: "string" }, calls: { type: "string" },
        hours: { type: "string" }, faults: { type: "boolean" }, "disk-full": { type: "boolean" }, kafka: { type: "boolean" }, config: { type: "string" }, strategy: { type: "string" }, "no-projections": { type: "boolean" },
      } });
      const { simulateCommand } = await import("../../simulations/command.js");
      return simulateCommand(values, write, (s) => process.stderr.write(s));
    }
    case "--version":
    case "version":
      write(`Recall ${version}\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      write(usage);
      return verb ? 0 : 2;
    default:
      process.stderr.write(`recall: unknown command '${verb}'\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`recall: ${message}\n`);
    process.exitCode = 1;
  },
);
