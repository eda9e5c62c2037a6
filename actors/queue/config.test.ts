import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadQueuesConf, parseEmptyConditions, parseMemberLine } from "./config.js";
import { tempDir } from "../../core/reap.js";

function load(queues: string, rules?: string) {
  const dir = tempDir("recall-queues-");
  writeFileSync(join(dir, "queues.conf"), queues);
  if (rules) writeFileSync(join(dir, "queuerules.conf"), rules);
  return loadQueuesConf(dir);
}

test("the seed's support queue: [general] and every option it sets", () => {
  const c = load("[general]\nautofill=yes\nmonitor-type=MixMonitor\n\n[support]\nmusicclass=default\nstrategy=ringall\ntimeout=15\nretry=5\nwrapuptime=10\nmaxlen=0\nmember => SIP/6001\nmember => SIP/6002\n");
  assert.equal(c.general.autofill, true);
  assert.equal(c.general.monitorType, "MixMonitor");
  const q = c.queues.get("support")!;
  assert.deepEqual([q.strategy, q.timeout, q.retry, q.wrapuptime, q.maxlen, q.musicclass], ["ringall", 15, 5, 10, 0, "default"]);
  assert.deepEqual(q.members.map((m) => [m.interface, m.penalty, m.name]), [["SIP/6001", 0, "SIP/6001"], ["SIP/6002", 0, "SIP/6002"]]);
  assert.deepEqual(c.warnings, []);
});

test("templates and inheritance: [name](!) is no queue, [q](tmpl) takes its options and adds its own", () => {
  const c = load("[std](!)\nstrategy=leastrecent\ntimeout=20\nmember => PJSIP/a,1,Agent A,Custom:a,no,5,yes\n[sales](std)\ntimeout=30\n[support](std)\n");
  assert.deepEqual([...c.queues.keys()], ["sales", "support"]);
  const s = c.queues.get("sales")!;
  assert.deepEqual([s.strategy, s.timeout], ["leastrecent", 30]);
  assert.deepEqual(s.members[0], { interface: "PJSIP/a", penalty: 1, name: "Agent A", stateInterface: "Custom:a", ringinuse: false, wrapuptime: 5, paused: true });
  assert.equal(c.queues.get("support")!.timeout, 20);
});

test("bad values: file, line, queue and reason; the option keeps Asterisk's default and the queue loads", () => {
  const c = load("[q]\nstrategy=sometimes\ntimeout=soon\nmember => nobody\nmember => PJSIP/x,-1\njoinempty=paused,sometimes\nringinuse=perhaps\nmaxlen=3\n");
  const q = c.queues.get("q")!;
  assert.deepEqual([q.strategy, q.timeout, q.maxlen, q.ringinuse, q.members.length], ["ringall", 15, 3, true, 0]);
  assert.deepEqual(c.warnings.map((w) => [w.line, w.reason]), [
    [2, "[q] strategy: unknown strategy 'sometimes', using ringall"],
    [3, "[q] timeout: 'soon' is not a number of at least 0"],
    [4, "[q] member 'nobody': interface must be Technology/Resource"],
    [5, "[q] member 'PJSIP/x,-1': penalty '-1' is not a whole number"],
    [6, "[q] joinempty: unknown option 'sometimes'"],
    [7, "[q] ringinuse: 'perhaps' is not yes or no"],
  ]);
  assert.match(c.warnings[0].file, /queues\.conf$/);
  assert.deepEqual(q.joinempty, ["paused"]);
});

test("joinempty/leavewhenempty words map onto condition lists as app_queue does", () => {
  assert.deepEqual(parseEmptyConditions("yes", true).conditions, []);
  assert.deepEqual(parseEmptyConditions("no", true).conditions.sort(), ["invalid", "paused", "penalty"]);
  assert.deepEqual(parseEmptyConditions("yes", false).conditions.sort(), ["invalid", "paused", "penalty"]);
  assert.deepEqual(parseEmptyConditions("strict", true).conditions.sort(), ["invalid", "paused", "penalty", "unavailable"]);
  assert.deepEqual(parseEmptyConditions("loose", false).conditions.sort(), ["invalid", "penalty"]);
  assert.deepEqual(parseEmptyConditions("inuse,ringing,wrapup", true).conditions, ["inuse", "ringing", "wrapup"]);
  assert.equal(parseMemberLine("Local/6001@agents/n,10").member!.penalty, 10);
});

test("defaultrule names a queuerules.conf rule; a missing one is a warning", () => {
  const c = load("[a]\ndefaultrule=myrule\n[b]\ndefaultrule=other\n",
    "[myrule]\npenaltychange => 30,+10\npenaltychange => 10,5,1,r-2\npenaltychange => 20\npenaltychange => soon,1\npenaltychange => 5,high\nwhatever => 1\n");
  const abs = (value: number) => ({ relative: false, value }), rel = (value: number) => ({ relative: true, value });
  assert.deepEqual(c.rules.get("myrule"), [
    { time: 10, max: abs(5), min: abs(1), raise: { ...rel(-2), respectMin: true } },
    { time: 30, max: rel(10), min: rel(0), raise: { ...rel(0), respectMin: false } },
  ]);
  assert.deepEqual(c.warnings.map((w) => w.reason), [
    "[myrule] penaltychange '20': expected seconds,max[,min[,raise]]; ignored",
    "[myrule] penaltychange 'soon,1': time 'soon' is not a whole number of seconds; ignored",
    "[myrule] penaltychange '5,high': max 'high' is not a whole number; ignored",
    "[myrule] whatever: unknown option (only penaltychange)",
    "[b] defaultrule: no rule 'other' in queuerules.conf",
  ]);
  assert.deepEqual(c.warnings.slice(0, 4).map((w) => w.line), [4, 5, 6, 7]);
});

test("the sample configuration's queues.conf loads without a warning", async () => {
  const { packageRoot } = await import("../../interfaces/cli/paths.js");
  const c = loadQueuesConf(join(packageRoot, "infra", "sample-config"));
  assert.deepEqual(c.warnings, []);
  const q = c.queues.get("support")!;
  assert.deepEqual([q.strategy, q.timeout, q.wrapuptime, q.members.map((m) => m.name).join(",")], ["ringall", 15, 10, "Reception,Supervisor"]);
  assert.deepEqual([...c.queues.keys()], ["support"]);
});

test("timeoutrestart, autopause (yes/no/all and its delay, busy and unavail), monitor-format, updatecdr; bad values warn and keep the default", () => {
  const c = load("[general]\nupdatecdr=yes\nmonitor-type=Monitor\n[a]\ntimeoutrestart=yes\nautopause=all\nautopausedelay=30\nautopausebusy=yes\nautopauseunavail=yes\nmonitor-format=wav\n" +
    "[b]\nautopause=yes\nmemberdelay=2\ntimeoutpriority=conf\nsetinterfacevar=yes\nsetqueueentryvar=yes\nsetqueuevar=yes\n[c]\nautopause=sometimes\nautopausedelay=soon\ntimeoutrestart=maybe\n");
  assert.equal(c.general.updatecdr, true);
  const a = c.queues.get("a")!, b = c.queues.get("b")!, d = c.queues.get("c")!;
  assert.deepEqual([a.timeoutrestart, a.autopause, a.autopausedelay, a.autopausebusy, a.autopauseunavail, a.monitorFormat], [true, "all", 30, true, true, "wav"]);
  assert.deepEqual([b.autopause, b.timeoutrestart, b.monitorFormat, b.setinterfacevar, b.setqueueentryvar, b.setqueuevar], ["yes", false, "", true, true, true]);
  assert.deepEqual([a.setinterfacevar, a.setqueueentryvar, a.setqueuevar, a.memberdelay, a.timeoutpriority], [false, false, false, 0, "app"]);
  assert.deepEqual([b.memberdelay, b.timeoutpriority], [2, "conf"]);
  assert.deepEqual([d.autopause, d.autopausedelay, d.timeoutrestart], ["no", 0, false]);
  assert.deepEqual(c.warnings.map((w) => [w.line, w.reason]), [
    [3, "[general] monitor-type: 'Monitor' is not supported, using MixMonitor"],
    [19, "[c] autopause: 'sometimes' is not yes, no or all"],
    [20, "[c] autopausedelay: 'soon' is not a number of at least 0"],
    [21, "[c] timeoutrestart: 'maybe' is not yes or no"],
  ]);
});
