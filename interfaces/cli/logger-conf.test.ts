import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadLoggerConf } from "./logger-conf.js";
import { tempDir } from "../../core/reap.js";

const dirWith = (text?: string) => {
  const dir = tempDir("recall-loggerconf-");
  if (text !== undefined) writeFileSync(join(dir, "logger.conf"), text);
  return dir;
};

test("no logger.conf: Asterisk's sample (console and messages.log take notice, warning, error; sequential rotation; queue_log on)", () => {
  const { settings, warnings } = loadLoggerConf(dirWith());
  assert.deepEqual(warnings, []);
  assert.deepEqual(settings.channels.map((c) => [c.name, [...c.levels].sort().join(",")]), [["console", "ERROR,NOTICE,WARNING"], ["messages.log", "ERROR,NOTICE,WARNING"]]);
  assert.equal(settings.rotateStrategy, "sequential");
  assert.equal(settings.queueLog, true);
  assert.equal(settings.queueLogName, "queue_log");
  assert.equal(settings.dateformat, undefined);
});

test("[general] and [logfiles] as Asterisk reads them; a bad line is a warning naming file and line, and the rest loads", () => {
  const dir = dirWith([
    "[general]", "dateformat = %F %T.%3q", "rotatestrategy = rotate", "appendhostname = yes", "queue_log = no", "queue_log_name = qlog", "use_callids = yes", "colour = blue",
    "[logfiles]", "console => notice,warning,error,debug", "messages => notice,warning,error", "full => notice,warning,error,verbose(5),dtmf", "security => security",
    "syslog.local0 => notice", "odd => notice,loud", "everything => *",
  ].join("\n") + "\n");
  const { settings, warnings } = loadLoggerConf(dir);
  assert.equal(settings.dateformat, "%F %T.%3q");
  assert.equal(settings.rotateStrategy, "rotate");
  assert.equal(settings.appendHostname, true);
  assert.equal(settings.queueLog, false);
  assert.equal(settings.queueLogName, "qlog");
  const byName = new Map(settings.channels.map((c) => [c.name, c]));
  assert.deepEqual([...byName.keys()], ["console", "messages", "full", "security", "odd", "everything"]);
  assert.deepEqual([...byName.get("full")!.levels].sort(), ["DTMF", "ERROR", "NOTICE", "VERBOSE", "WARNING"]);
  assert.equal(byName.get("full")!.verbosity, 5);
  assert.equal(byName.get("messages")!.levels.has("VERBOSE"), false);
  assert.deepEqual([...byName.get("odd")!.levels], ["NOTICE"]);
  assert.equal(byName.get("everything")!.levels.size, 7);
  const at = (line: number) => warnings.find((w) => w.line === line)?.reason;
  assert.match(at(8) ?? "", /\[general\] colour: unknown option/);
  assert.match(at(14) ?? "", /syslog channels are not supported/);
  assert.match(at(15) ?? "", /unknown level "loud"/);
  assert.equal(warnings.length, 3, warnings.map((w) => `${w.line}: ${w.reason}`).join("\n"));
  assert.ok(warnings.every((w) => w.file.endsWith("logger.conf")));
});
