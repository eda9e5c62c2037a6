import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import { freePort } from "./recall-process.js";
import { sampleConfigDir } from "./paths.js";
import * as calls from "../../projections/test/calls.js";
import type { EventRecord } from "../../events/record.js";
import { tempDir } from "../../core/reap.js";

/** The sample configuration, with its SIP port moved to a free one (tests run side by side). */
async function sampleConfigOnFreePort(): Promise<string> {
  const dir = tempDir("recall-sample-");
  const port = await freePort();
  for (const f of readdirSync(sampleConfigDir)) writeFileSync(join(dir, f), readFileSync(join(sampleConfigDir, f), "utf8").replace(/:5060\b/g, `:${port}`));
  return dir;
}

const run = promisify(execFile);
const recall = join(process.cwd(), "bin", "recall.js");

async function recall_(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [recall, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A data directory whose log holds a few contacts' lives. */
async function recordedData(): Promise<string> {
  const data = tempDir("recall-cli-");
  const log = await SegmentLog.open(join(data, "log"), { notice: () => undefined });
  const clock = new VirtualClock(Date.parse("2026-11-25T10:00:00Z") * 1000);
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(3), kinds: actorKinds });
  const reg = (uri: string, cseq: number) => ({ source: "test" as const, type: "register" as const, aor: "6001", uri, expires: 60, callId: "x", cseq, userAgent: "t", received: "udp:127.0.0.1:5062", endpoint: "6001" });
  runtime.spawn("contact", "contact:6001/sip:a@h", reg("sip:a@h", 1));
  runtime.spawn("contact", "contact:6001/sip:b@h", reg("sip:b@h", 1));
  await runtime.settle();
  clock.advance(30e6);
  runtime.send("contact:6001/sip:a@h", reg("sip:a@h", 2));
  runtime.send("contact:6001/sip:b@h", { source: "test", type: "unregister" });
  await runtime.settle();
  clock.advance(120e6);
  await runtime.settle();
  await log.close();
  return data;
}

test("recall replay --verify reports the event count and no divergence", async () => {
  const data = await recordedData();
  const r = await recall_(["replay", "--data", data, "--verify"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^5 events, 0 divergences/);
});

test("recall replay --until shows the live actors at an offset and at a time", async () => {
  const data = await recordedData();
  const atOffset1 = await recall_(["replay", "--data", data, "--until", "1"]);
  assert.match(atOffset1.stdout, /State after 2 events \(offset 1, 2026-11-25T10:00:00\.000000Z\): 2 live actors/);
  assert.match(atOffset1.stdout, /contact:6001\/sip:a@h\s+"registered"/);
  const afterRefresh = await recall_(["replay", "--data", data, "--until", "2026-11-25T10:00:45Z"]);
  assert.match(afterRefresh.stdout, /State after 4 events .*: 1 live actors/);
  const end = await recall_(["replay", "--data", data]);
  assert.match(end.stdout, /State after 5 events .*: 0 live actors/);
  const bad = await recall_(["replay", "--data", data, "--until", "yesterday-ish"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--until takes a log offset or an ISO time/);
});

test("recall start serves console commands, keeps one writer per data dir, and stops on SIGTERM", async () => {
  const data = await recordedData();
  const child = spawn(process.execPath, [recall, "start", "--config", await sampleConfigOnFreePort(), "--data", data], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8").on("data", (d: string) => { err += d; });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: string) => { out += d; if (out.includes("Recall ready")) resolve(); });
    child.on("exit", () => reject(new Error(`exited early: ${out}${err}`)));
  });
  assert.match(out, /5 events, 0 live actors recovered/);
  const help = await recall_(["cli", "--data", data, "-rx", "core show help"]);
  assert.match(help.stdout, /core show uptime -- Show uptime information/);
  const unknown = await recall_(["cli", "--data", data, "-rx", "pjsip show nothing"]);
  assert.match(unknown.stdout, /No such command 'pjsip show nothing'/);
  const second = await recall_(["start", "--data", data]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /is in use by process/);
  // A rebuild beside the live projections is refused, into any sink, before it touches one.
  const rebuilding = await recall_(["rebuild", "--data", data, "--sink", "csv"]);
  assert.equal(rebuilding.code, 1);
  assert.match(rebuilding.stderr, new RegExp(`Recall \\(process ${child.pid}\\) is running on ${data}.*stop it first`));
  assert.ok(!existsSync(join(data, "cdr-csv")), "nothing written");
  child.kill("SIGTERM");
  const code = await new Promise((r) => child.on("exit", r));
  assert.equal(code, 0);
  assert.match(out, /SIGTERM: shutting down/);
  const after = await recall_(["cli", "--data", data, "-rx", "core show uptime"]);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /Unable to connect to a running Recall/);
  const stopped = await recall_(["rebuild", "--data", data, "--sink", "csv"]);
  assert.equal(stopped.code, 0, stopped.stderr);
  // The 5 recorded, and the start's: the sample queues.conf's support queue configured (QUEUESTART) and its two static members.
  assert.match(stopped.stdout, /^Rebuilt csv .*: 8 events/);
});

test("recall query: SQL over the empty projection tables, and a syntax error is ClickHouse's message, not a stack trace", async () => {
  const data = tempDir("recall-query-");
  const ok = await recall_(["query", "--data", data, "--format", "csv", "SELECT count() AS n FROM cdr"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), '"n"\n0');
  const bad = await recall_(["query", "--data", data, "SELEC 1"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Syntax error/);
  assert.doesNotMatch(bad.stderr, /\bat .*\.js:\d+/);
});

test("recall rebuild reports an event the folds do not expect, with its offset, and folds every other call", async () => {
  const data = tempDir("recall-rebuild-odd-");
  const d = await calls.CallDriver.open(data);
  calls.answered(d);
  await d.settle();
  // A transition of a channel the log never created: copied from a real one, under another stream.
  let answer: EventRecord | undefined;
  for await (const batch of d.log.read(0)) answer ??= batch.find((r) => r.input.type === "answer");
  const plain = answer as EventRecord & { toJSON?(): EventRecord };
  const { offset: _, ...draft } = plain.toJSON ? plain.toJSON() : plain;
  const [stray] = await d.log.append([{ ...draft, stream: "channel:stray" }]);
  calls.busy(d);
  await d.settle();
  await d.log.close();
  const r = await recall_(["rebuild", "--data", data]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`WARNING: rebuild: offset ${stray.offset}: channel:stray has no create before answer`));
  assert.match(r.stdout, /cdr 3 rows, cel \d+ rows, queue_log 0 rows; 1 unexpected event reported above, the other calls folded/);
  const dispositions = await recall_(["query", "--data", data, "--format", "csv", "SELECT disposition FROM cdr ORDER BY start, sequence"]);
  assert.equal(dispositions.stdout.trim(), '"disposition"\n"ANSWERED"\n"ANSWERED"\n"BUSY"');
});

