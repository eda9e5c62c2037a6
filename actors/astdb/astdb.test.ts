import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { CommandTable } from "../../core/commands.js";
import { ActorRuntime } from "../runtime.js";
import { actorKinds } from "../kinds.js";
import { AstDb } from "./astdb.js";
import { registerDatabaseCommands } from "./console.js";
import { tempDir } from "../../core/reap.js";

async function open(dir: string) {
  const log = await SegmentLog.open(dir, { notice: () => undefined });
  const runtime = new ActorRuntime({ log, clock: new VirtualClock(1e15), random: new SeededRandom(1), kinds: actorKinds });
  await runtime.recover();
  const table = new CommandTable();
  const db = new AstDb(runtime);
  registerDatabaseCommands(table, db);
  return { log, runtime, db, run: (c: string) => table.run(c) };
}

test("AstDB keys are events: put, update, delete, deltree, and they survive a restart", async () => {
  const dir = tempDir("recall-astdb-");
  const a = await open(dir);
  assert.equal(await a.run("database put cidname 6001 Alice Smith"), "Updated database successfully\n");
  a.db.put("cidname", "6002", "Bob");
  a.db.put("blacklist/numbers", "555", "1");
  a.db.put("cidname", "6002", "Robert");
  assert.equal(await a.run("database get cidname 6002"), "Value: Robert\n");
  assert.equal(await a.run("database del cidname 6003"), "Database entry does not exist.\n");
  assert.equal(await a.run("database show cidname"),
    `${"/cidname/6001".padEnd(50)}: ${"Alice Smith".padEnd(25)}\n${"/cidname/6002".padEnd(50)}: ${"Robert".padEnd(25)}\n2 results found.\n`);
  await a.runtime.settle();
  await a.log.close();

  const b = await open(dir);
  assert.equal(b.db.get("cidname", "6001"), "Alice Smith");
  assert.equal(b.db.get("blacklist/numbers", "555"), "1");
  assert.equal(await b.run("database deltree cidname"), "2 database entries removed.\n");
  assert.equal(await b.run("database get cidname 6001"), "Database entry not found.\n");
  assert.match(await b.run("database show"), /\/blacklist\/numbers\/555\s+: 1\s+\n1 result found\.\n$/);
  await b.runtime.settle();
  await b.log.close();
});
