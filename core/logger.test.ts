import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsteriskLogger, formatLogLine } from "./logger.js";
import { VirtualClock } from "./clock.js";

test("log lines look like Asterisk's: [Mon DD HH:MM:SS] LEVEL[pid] source: message", () => {
  const t = Date.UTC(2026, 10, 25, 9, 5, 7) * 1000 + 123_456;
  assert.equal(formatLogLine(t, "WARNING", "res_pjsip_registrar.c", "hello", 42), "[Nov 25 09:05:07] WARNING[42] res_pjsip_registrar.c: hello");
  assert.equal(formatLogLine(t + 1_000_000, "NOTICE", "x", "y", 42), "[Nov 25 09:05:08] NOTICE[42] x: y");
});

test("verbose lines are written once per turn; a warning writes at once, after the lines before it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "recall-logger-"));
  const file = join(dir, "messages.log");
  const writes: string[] = [];
  const logger = new AsteriskLogger(new VirtualClock(Date.UTC(2026, 0, 1) * 1000), (text) => writes.push(text), file);
  logger.log("VERBOSE", "pbx.c", "one");
  logger.log("VERBOSE", "pbx.c", "two");
  assert.equal(writes.length, 0, "verbose lines wait for the end of the turn");
  logger.log("WARNING", "pbx.c", "three");
  assert.equal(writes.length, 1);
  assert.match(writes[0], /VERBOSE\[\d+\] pbx\.c: one\n.*VERBOSE\[\d+\] pbx\.c: two\n.*WARNING\[\d+\] pbx\.c: three\n$/);
  logger.log("VERBOSE", "pbx.c", "four");
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 2);
  assert.match(writes[1], /pbx\.c: four\n$/);
  assert.equal(readFileSync(file, "utf8"), writes.join(""));
});
