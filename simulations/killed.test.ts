/**
 * A simulation killed midway (SIGKILL, no chance to close anything) leaves a data
 * directory that opens and replays: the log is an ordinary Recall log, written as it goes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SegmentLog } from "../events/embedded/segment-log.js";
import { verifyLog } from "../actors/replay.js";
import { actorKinds } from "../actors/kinds.js";
import { tempDir } from "../core/reap.js";

const recall = join(fileURLToPath(import.meta.url), "..", "..", "..", "bin", "recall.js");

test("a simulation killed midway leaves a readable, replayable data directory", async () => {
  const data = tempDir("recall-sim-killed-");
  const child = spawn(process.execPath, [recall, "simulate", "--seed", "9", "--data", data, "--agents", "6", "--calls", "3000", "--hours", "6", "--faults", "--no-projections"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const killed = await new Promise<boolean>((resolve) => {
    const limit = setTimeout(() => { child.kill("SIGKILL"); resolve(false); }, 60_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (/^1 h: /m.test(out)) { clearTimeout(limit); child.kill("SIGKILL"); resolve(true); }
    });
    child.on("exit", () => { clearTimeout(limit); resolve(false); });
  });
  assert.ok(killed, `the simulation reached its first hour and was killed: ${out}`);
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once("exit", r));
  const log = await SegmentLog.open(join(data, "log"), { notice: () => undefined });
  assert.ok(log.nextOffset > 1000, `events: ${log.nextOffset}`);
  const r = await verifyLog(log, actorKinds);
  await log.close();
  assert.equal(r.divergence, undefined, JSON.stringify(r.divergence));
  assert.equal(r.events, log.nextOffset);
});
