import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { AsteriskLogger, formatLogLine, type LogLevel, type LoggerSettings, type RotateStrategy } from "./logger.js";
import { VirtualClock } from "./clock.js";
import { tempDir } from "./reap.js";

const clock = () => new VirtualClock(Date.UTC(2026, 0, 1) * 1000);
const loggerDir = () => tempDir("recall-logger-");
const settings = (channels: Record<string, string[]>, extra: Partial<LoggerSettings> = {}): LoggerSettings => ({
  rotateStrategy: "sequential", appendHostname: false, queueLog: true, queueLogName: "queue_log",
  channels: Object.entries(channels).map(([name, levels]) => ({
    name,
    levels: new Set(levels.map((l) => l.replace(/\(\d+\)$/, "").toUpperCase() as LogLevel)),
    ...(levels.some((l) => /\(\d+\)$/.test(l)) ? { verbosity: Number(/\((\d+)\)$/.exec(levels.find((l) => /\(\d+\)$/.test(l))!)![1]) } : {}),
  })),
  ...extra,
});

test("log lines look like Asterisk's: [Mon DD HH:MM:SS] LEVEL[pid] source: message", () => {
  const t = Date.UTC(2026, 10, 25, 9, 5, 7) * 1000 + 123_456;
  assert.equal(formatLogLine(t, "WARNING", "res_pjsip_registrar.c", "hello", 42), "[Nov 25 09:05:07] WARNING[42] res_pjsip_registrar.c: hello");
  assert.equal(formatLogLine(t + 1_000_000, "NOTICE", "x", "y", 42), "[Nov 25 09:05:08] NOTICE[42] x: y");
  assert.equal(formatLogLine(Date.UTC(2026, 10, 5, 9, 5, 7) * 1000, "NOTICE", "x", "y", 42), "[Nov  5 09:05:07] NOTICE[42] x: y", "%e pads the day with a space, as Asterisk's default");
  assert.equal(formatLogLine(t, "DTMF", "channel.c", "z", 42, "%F %T.%3q"), "[2026-11-25 09:05:07.123] DTMF[42] channel.c: z", "logger.conf's dateformat, with %3q");
});

test("verbose lines are written once per turn; a warning writes at once, after the lines before it", async () => {
  const dir = loggerDir();
  const writes: string[] = [];
  const logger = new AsteriskLogger(clock(), (text) => writes.push(text), { dir, settings: settings({ console: ["notice", "warning", "error"], "messages.log": ["verbose", "warning"] }) });
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
  await logger.close();
  assert.equal(readFileSync(join(dir, "messages.log"), "utf8"), writes.join(""));
});

test("each channel takes the levels logger.conf lists; verbosity and debug levels apply", async () => {
  const dir = loggerDir();
  const consoleOut: string[] = [];
  const logger = new AsteriskLogger(clock(), (t) => consoleOut.push(t), {
    dir, verbose: 3,
    settings: settings({ console: ["notice", "warning", "error"], "messages.log": ["notice", "warning", "error"], full: ["notice", "warning", "error", "verbose(4)", "dtmf", "debug"], "security.log": ["security"] }),
  });
  logger.log("VERBOSE", "pbx.c", "at three");
  logger.log("VERBOSE", "pbx.c", "at four", 4);
  logger.log("VERBOSE", "pbx.c", "at five", 5);
  logger.log("DTMF", "channel.c", "DTMF end '1'");
  logger.log("DEBUG", "res_pjsip_session.c", "debug one");
  logger.log("NOTICE", "chan_pjsip.c", "a notice");
  logger.log("SECURITY", "res_security_log.c", "SecurityEvent=\"InvalidPassword\"");
  logger.debug = 1;
  logger.log("DEBUG", "res_pjsip_session.c", "debug two");
  logger.log("DEBUG", "res_pjsip_session.c", "debug at three", 3);
  logger.verbose = 0;
  logger.log("VERBOSE", "pbx.c", "hushed on the console");
  await logger.close();
  const file = (name: string) => readFileSync(join(dir, name), "utf8");
  assert.doesNotMatch(file("messages.log"), /VERBOSE|DTMF|DEBUG|SECURITY/, "messages => notice,warning,error writes no VERBOSE line");
  assert.match(file("messages.log"), /^\[.*\] NOTICE\[\d+\] chan_pjsip\.c: a notice\n$/);
  const full = file("full");
  for (const line of ["at three", "at four", "DTMF end '1'", "a notice", "debug two", "hushed on the console"]) assert.ok(full.includes(line), `full has "${line}"`);
  for (const line of ["at five", "debug one", "debug at three", "SecurityEvent"]) assert.ok(!full.includes(line), `full has no "${line}"`);
  assert.match(file("security.log"), /^\[.*\] SECURITY\[\d+\] res_security_log\.c: SecurityEvent="InvalidPassword"\n$/);
  const con = consoleOut.join("");
  assert.ok(con.includes("at three") && !con.includes("at four"), "the console shows VERBOSE up to the core verbosity (3)");
  assert.ok(!con.includes("hushed") && !con.includes("DTMF") && !con.includes("debug"), "core set verbose 0 silences verbose; DTMF and debug are not listed for the console");
});

for (const strategy of ["sequential", "rotate", "timestamp"] as RotateStrategy[]) {
  test(`logger rotate (${strategy}) under load loses no line and doubles none`, async () => {
    const dir = loggerDir();
    const c = clock();
    const logger = new AsteriskLogger(c, () => undefined, { dir, settings: settings({ "messages.log": ["verbose", "notice"] }, { rotateStrategy: strategy }) });
    const total = 32_000, every = 5000;
    const rotations: Promise<string[]>[] = [];
    for (let i = 0; i < total; i++) {
      logger.log(i % 7 === 0 ? "NOTICE" : "VERBOSE", "pbx.c", `line ${i}`);
      if (i % every === every - 1) { c.advance(1e6); rotations.push(logger.rotate()); }
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r)); // writes and renames interleave with logging
    }
    const rotated = await Promise.all(rotations);
    await logger.close();
    const files = readdirSync(dir).filter((f) => f.startsWith("messages.log"));
    assert.equal(files.length, 1 + rotations.length, `one archive per rotation: ${files.join(", ")}`);
    const archives = rotated.map((r) => { assert.match(r[0], /messages\.log → .*messages\.log\.\d+$/); return r[0].split("/").pop()!; });
    const linesOf = (f: string) => [...readFileSync(join(dir, f), "utf8").matchAll(/: line (\d+)\n/g)].map((m) => Number(m[1]));
    const seen = new Map<number, number>();
    for (const f of files) for (const n of linesOf(f)) seen.set(n, (seen.get(n) ?? 0) + 1);
    assert.equal(seen.size, total, "every line is in some file");
    assert.ok([...seen.values()].every((n) => n === 1), "no line twice");
    // Each rotation cuts where it was asked for: archive k holds exactly the lines logged between rotations k-1 and k.
    const expected = (k: number) => Array.from({ length: every }, (_, j) => k * every + j);
    const archiveOfRotation = (k: number) => strategy === "rotate" ? `messages.log.${rotations.length - 1 - k}` : strategy === "sequential" ? `messages.log.${k}` : archives[k];
    for (let k = 0; k < rotations.length; k++) assert.deepEqual(linesOf(archiveOfRotation(k)), expected(k), `rotation ${k + 1} (${archiveOfRotation(k)})`);
    assert.deepEqual(linesOf("messages.log"), Array.from({ length: total % every }, (_, j) => rotations.length * every + j), "the lines after the last rotation are in the new file");
  });
}
