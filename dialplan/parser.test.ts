import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfError } from "../conf/tokenizer.js";
import { HINT, type Dialplan } from "./model.js";
import { DialplanError, loadDialplan, parseDialplan } from "./parser.js";
import { getVariable } from "./variables.js";
import { tempDir } from "../core/reap.js";

const SAMPLE = "infra/sample-config/extensions.conf";

const load = (text: string) => parseDialplan(text, "extensions.conf").dialplan;
const steps = (dp: Dialplan, context: string, exten: string) =>
  dp.contexts.get(context)!.extensions.find((e) => e.name === exten)!.priorities.map((p) => `${p.priority}${p.label ? `(${p.label})` : ""}:${p.app}(${p.appData})`);

function errorOf(text: string): DialplanError {
  try { parseDialplan(text, "extensions.conf"); } catch (e) { if (e instanceof DialplanError) return e; throw e; }
  assert.fail("expected a DialplanError");
}

test("the sample dialplan loads cleanly", () => {
  const { dialplan, diagnostics } = loadDialplan(SAMPLE);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual([...dialplan.contexts.keys()], ["from-internal", "features", "sub-add", "from-trunk"]);
  assert.equal(dialplan.general.static, true);
  assert.equal(getVariable(dialplan.globals, "RING_TIME"), "20");
  assert.deepEqual(steps(dialplan, "from-internal", "s"), ["1:Answer()", "2:Wait(1)", "3:Playback(hello-world)", "4:Hangup()"]);
});

test("an exten line belongs to the last [context] header above it, whatever its comment says", () => {
  const dp = load("[a]\n; the next line is for context b\nexten => 1,1,NoOp(in a)\n[b]\nexten => 2,1,NoOp(in b)\n");
  assert.deepEqual(dp.contexts.get("a")!.extensions.map((e) => e.name), ["1"]);
  assert.deepEqual(dp.contexts.get("b")!.extensions.map((e) => e.name), ["2"]);
});

test("priorities: numbers, n, labels, same =>, s, offsets, labels as priorities, hints", () => {
  const dp = load([
    "[c]",
    "exten => 100,1,Answer()",
    " same => n(repeat),Playback(hello)",
    " same => n,Goto(repeat)",
    "exten => 100,repeat+5,NoOp(seven)",
    "exten => 100,hint,PJSIP/100&Custom:x",
    "exten => 200,10,NoOp(ten)",
    "exten => 200,n+2,NoOp(thirteen)",
    "exten => 300,s,NoOp(same number)",
  ].join("\n"));
  assert.deepEqual(steps(dp, "c", "100"), ["-1:PJSIP/100&Custom:x()", "1:Answer()", "2(repeat):Playback(hello)", "3:Goto(repeat)", "7:NoOp(seven)"]);
  assert.equal(dp.contexts.get("c")!.extensions[0].priorities[0].priority, HINT);
  assert.deepEqual(steps(dp, "c", "200"), ["10:NoOp(ten)", "13:NoOp(thirteen)"]);
  assert.deepEqual(steps(dp, "c", "300"), ["13:NoOp(same number)"]);
});

test("'n' continues from the previous line of the context, even for another extension (as Asterisk)", () => {
  const dp = load("[c]\nexten => 1,1,NoOp()\nexten => 1,n,NoOp()\nexten => 2,n,NoOp(three)\n[c2]\nexten => 5,1,NoOp()\n");
  assert.deepEqual(steps(dp, "c", "2"), ["3:NoOp(three)"]);
});

test("application data runs to the last ')', keeps commas, quotes and expressions", () => {
  const dp = load('[c]\nexten => 1,1,GotoIf($["${DIALSTATUS}" = "BUSY"]?busy:ok)\nexten => 1,2,Set(x=(a,b))\nexten => 1,3,Hangup\nexten => 1,4, Verbose( 1 , hi )\n');
  const ps = dp.contexts.get("c")!.extensions[0].priorities;
  assert.equal(ps[0].appData, '$["${DIALSTATUS}" = "BUSY"]?busy:ok');
  assert.equal(ps[1].appData, "x=(a,b)");
  assert.deepEqual([ps[2].app, ps[2].appData], ["Hangup", ""]);
  assert.deepEqual([ps[3].app, ps[3].appData], ["Verbose", " 1 , hi "]);
  assert.deepEqual(ps[0].position, { file: "extensions.conf", line: 2 });
});

test("caller-ID extensions, blanks and dashes in names", () => {
  const dp = load("[c]\nexten => 306/_101,1,Playback(hello-alice)\nexten => 306,1,Playback(default-prompt)\nexten => 306/(555) 123-4567,1,NoOp\nexten => _NXX XXXX,1,NoOp\nexten => _NXX-XXXX,2,NoOp\n");
  const names = dp.contexts.get("c")!.extensions.map((e) => `${e.name}${e.callerId === undefined ? "" : `/${e.callerId}`}`);
  assert.deepEqual(names, ["306/5551234567", "306/_101", "306", "_NXXXXXX"], "CID variants first; _NXX-XXXX is the same extension as _NXXXXXX");
  assert.deepEqual(steps(dp, "c", "_NXXXXXX"), ["1:NoOp()", "2:NoOp()"]);
});

test("[general], [globals] substituted in order, globals in extension names", () => {
  const dp = load("[general]\nautofallthrough=no\nextenpatternmatchnew=yes\nclearglobalvars=true\nwriteprotect=yes\n[globals]\nA=1\nB=${A}2\nC=$[${B} + 1]\nEXT=55\n[c]\nexten => ${EXT}0,1,NoOp\n");
  assert.deepEqual(dp.general, { static: false, writeProtect: true, autoFallthrough: false, extenPatternMatchNew: true, clearGlobalVars: true, usersContext: "default" });
  assert.equal(getVariable(dp.globals, "B"), "12");
  assert.equal(getVariable(dp.globals, "C"), "13");
  assert.deepEqual(dp.contexts.get("c")!.extensions.map((e) => e.name), ["550"]);
  assert.equal(load("[c]\nexten => 1,1,NoOp\n").general.autoFallthrough, true, "autofallthrough defaults to yes");
});

test("includes (with times), switches, ignore patterns, templates", () => {
  const dp = load([
    "[base](!)", "exten => 9,1,NoOp(from template)",
    "[c](base)", "include => other", "include => daytime,9:00-17:00,mon-fri,*,*", "switch => IAX2/user:pw@server/ctx", "eswitch => Loopback/${EXTEN}@x", "lswitch => Loopback/${RAW}", "ignorepat => 9",
    "[other]", "[daytime]",
  ].join("\n"));
  const c = dp.contexts.get("c")!;
  assert.equal(dp.contexts.has("base"), false, "templates are not contexts");
  assert.deepEqual(c.extensions.map((e) => e.name), ["9"]);
  assert.deepEqual(c.includes.map((i) => [i.context, i.text, i.timing !== undefined]), [["other", "other", false], ["daytime", "daytime,9:00-17:00,mon-fri,*,*", true]]);
  assert.deepEqual(c.switches.map((s) => [s.module, s.data, s.evaluate]), [["IAX2", "user:pw@server/ctx", false], ["Loopback", "${EXTEN}@x", true], ["Loopback", "${RAW}", false]]);
  assert.deepEqual(c.ignorePatterns.map((i) => i.pattern), ["9"]);
});

test("a context split over two sections is one context", () => {
  const dp = load("[c]\nexten => 1,1,NoOp\n[d]\nexten => 2,1,NoOp\n[c]\nexten => 1,2,NoOp\n");
  assert.deepEqual(steps(dp, "c", "1"), ["1:NoOp()", "2:NoOp()"]);
});

test("errors name file and line and stop the load", () => {
  const cases: [string, number, RegExp][] = [
    ["[c]\nexten => 1,1,NoOp\nexten => 1,1,Hangup\n", 3, /priority 1 .*already defined at extensions\.conf:2/],
    ["[c]\nexten => 1,n,NoOp\n", 2, /can't use 'n' priority on the first entry/],
    ["[c]\nexten => 1,hint,PJSIP/1\n same => n,Dial(PJSIP/1)\n", 3, /right after a hint/],
    ["[c]\nexten => 1,1,Dial(PJSIP/1\n", 2, /no closing parenthesis/],
    ["[c]\nexten => 1,1,NoOp,foo\n", 2, /bad application syntax 'NoOp,foo'/],
    ["[c]\nexten => 1,1,\n", 2, /missing application/],
    ["[c]\nexten => 1,n(lbl,NoOp\n", 2, /label missing trailing '\)'/],
    ["[c]\nsame => n,NoOp\n", 2, /'same' needs a previous 'exten'/],
    ["[c]\nexten => 1,0,NoOp\n", 2, /priorities start at 1/],
    ["[c]\nexten => 1,nowhere,NoOp\n", 2, /invalid priority\/label 'nowhere'/],
    ["[c]\nexten => ,1,NoOp\n", 2, /extension name is empty/],
  ];
  for (const [text, line, reason] of cases) {
    const e = errorOf(text);
    assert.ok(e instanceof ConfError, "a DialplanError is a ConfError");
    assert.equal(e.file, "extensions.conf");
    assert.equal(e.line, line, text);
    assert.match(e.reason, reason, text);
    assert.match(e.message, new RegExp(`^extensions\\.conf:${line}: `));
  }
  assert.match(errorOf("[c]\nexten => 1,0,A\nexten => 1,0,B\n").message, /and 1 more error/);
});

test("lenient loading skips bad lines and reports them, as Asterisk does", () => {
  const { dialplan, diagnostics } = parseDialplan("[c]\nexten => 1,1,NoOp\nexten => 1,1,Hangup\nexten => 1,n,Dial(x\nexten => 1,n,Hangup\nbogus => 1\ninclude => nowhere\n", "x.conf", { lenient: true });
  assert.deepEqual(steps(dialplan, "c", "1"), ["1:NoOp()", "3:Hangup()"], "n counts the skipped lines, as Asterisk's does");
  assert.deepEqual(diagnostics.map((d) => `${d.severity}@${d.line}`), ["error@3", "error@4", "warning@6", "warning@7"]);
});

test("warnings: duplicate label, _. and text after the parenthesis", () => {
  const { diagnostics } = parseDialplan("[c]\nexten => _.,1(a),NoOp\nexten => _.,2(a),NoOp() junk\n", "e.conf");
  const reasons = diagnostics.map((d) => d.reason).join("\n");
  assert.match(reasons, /strongly discouraged/);
  assert.match(reasons, /label 'a' is already used/);
  assert.match(reasons, /junk/);
});

test("#include files are followed and positions name the included file", () => {
  const dir = tempDir("recall-dialplan-");
  writeFileSync(join(dir, "extensions.conf"), "[c]\nexten => 1,1,NoOp\n#include users.conf\n");
  writeFileSync(join(dir, "users.conf"), "exten => 2,1,NoOp\nexten => 2,1,Dup\n");
  try { loadDialplan(join(dir, "extensions.conf")); assert.fail("expected an error"); } catch (e) {
    assert.ok(e instanceof DialplanError);
    assert.equal(e.file, join(dir, "users.conf"));
    assert.equal(e.line, 2);
  }
});
