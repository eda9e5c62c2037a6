import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDialplanFiles, mergeDialplans, parseAel, patternRegex } from "./index.js";
import { parseDialplan, DialplanError } from "../parser.js";
import { runDialplan, globalsFromDialplan, type Application, type DialplanDeps } from "../executor.js";
import { SEED_QUEUE_LOGIN_AEL, TestChannel, testDeps, type TestChannelOptions } from "../test-support.js";
import { showDialplan, listHints } from "../show.js";
import { isIgnoredPattern } from "../lookup.js";
import { CONTINUE } from "../apps/index.js";
import type { Dialplan } from "../model.js";
import { tempDir } from "../../core/reap.js";

const compile = (text: string) => parseAel(text, "extensions.ael").dialplan;

async function runPlan(plan: Dialplan, options: TestChannelOptions & { context: string; exten: string }, deps: Partial<DialplanDeps> = {}, script?: (ch: TestChannel) => void) {
  const ch = new TestChannel(options);
  script?.(ch);
  await runDialplan(ch, plan, { context: options.context, exten: options.exten, priority: 1 }, testDeps({ globals: globalsFromDialplan(plan), ...deps }));
  return ch;
}

const run = (text: string, options: TestChannelOptions & { context: string; exten: string }, deps: Partial<DialplanDeps> = {}, script?: (ch: TestChannel) => void) =>
  runPlan(compile(text), options, deps, script);

/** Applications that do not exist in Recall (queues, voicemail), recorded instead of run. */
function stubs(names: string[]) {
  const calls: string[] = [];
  const applications = new Map<string, Application>(names.map((n) => [n.toLowerCase(), (_env, data) => { calls.push(`${n}(${data})`); return CONTINUE; }]));
  return { calls, applications };
}

/** Applications run, without the generated flow-control priorities. */
const userApps = (ch: TestChannel) => ch.apps().filter((a) => !/^(NoOp\(\)|Goto\(__|GotoIf\(|Set\(LOCAL\(|Gosub\(|Return\()/.test(a));

// ---- the seed's examples ------------------------------------------------------------

const CHECKCALLER = `
context checkcaller {
  _X. => {
    if ("\${CALLERID(num)}" == "1000") {
      Playback(you-are-an-admin);
    } else {
      Playback(access-denied);
    }
    Hangup();
  }
}
`;

test("seed: checkcaller's if/else compiles to GotoIf over $[...] and runs either branch", async () => {
  const plan = compile(CHECKCALLER);
  const shown = showDialplan(plan, "checkcaller").text;
  assert.match(shown, /1\. GotoIf\(\$\["\$\{CALLERID\(num\)\}" == "1000"\]\?:__if1_else\)/);
  assert.match(shown, /\[__if1_else\]\s+4\. NoOp\(\)/);
  assert.match(shown, /7\. Hangup\(\)/);
  const admin = await runPlan(plan, { context: "checkcaller", exten: "5000", callerNum: "1000" });
  assert.deepEqual(userApps(admin), ["Playback(you-are-an-admin)", "Hangup()"]);
  assert.deepEqual(admin.played, ["you-are-an-admin"]);
  const other = await runPlan(plan, { context: "checkcaller", exten: "5000", callerNum: "2000" });
  assert.deepEqual(userApps(other), ["Playback(access-denied)", "Hangup()"]);
});

const IVRMENU = `
context ivrmenu {
  s => {
    Answer();
    Background(main-menu); // 播放语音提示
    WaitExten(10);
  }
  1 => {
    Playback(option-1);
    Hangup();
  }
  2 => {
    Playback(option-2);
    Hangup();
  }
  i => { // 无效输入
    Playback(pbx-invalid);
    goto s;
  }
  t => { // 超时
    Playback(vm-goodbye);
    Hangup();
  }
}
`;

test("seed: the ivrmenu runs 1, and i goes back to s (goto s read as s,1 with a warning), then t", async () => {
  const load = parseAel(IVRMENU, "extensions.ael");
  assert.ok(load.diagnostics.some((d) => d.severity === "warning" && d.line === 18 && d.reason.includes("read as extension 's', priority 1")), JSON.stringify(load.diagnostics));
  const one = await runPlan(load.dialplan, { context: "ivrmenu", exten: "s" }, {}, (c) => c.press(500, "1"));
  assert.deepEqual(one.apps(), ["Answer()", "Background(main-menu)", "Playback(option-1)", "Hangup()"]);
  const wrong = await runPlan(load.dialplan, { context: "ivrmenu", exten: "s" }, {}, (c) => c.press(500, "9"));
  assert.deepEqual(wrong.apps(), [
    "Answer()", "Background(main-menu)", "Playback(pbx-invalid)", "Goto(s,1)",
    "Answer()", "Background(main-menu)", "WaitExten(10)", "Playback(vm-goodbye)", "Hangup()",
  ]);
});


test("seed: the queue login/out macros compile to Gosub subroutines and their switches run", async () => {
  const plan = compile(SEED_QUEUE_LOGIN_AEL);
  const shown = showDialplan(plan, "queue-addremove").text;
  assert.match(shown, /'~~s~~' =>\s+1\. Set\(LOCAL\(queuename\)=\$\{ARG1\}\)/);
  assert.match(shown, /GotoIf\(\$\["\$\{exten:0:1\}" = "P"\]\?__sw1_2\)/);
  assert.match(shown, /Return\(\)/);
  assert.match(showDialplan(plan, "queues-manip").text, /Gosub\(queue-addremove,~~s~~,1\(dispatch,10,\$\{EXTEN\}\)\)/);

  // Log out: 6093, agent 6121.
  const out = stubs(["AddQueueMember", "RemoveQueueMember", "PauseQueueMember", "UnpauseQueueMember", "VMAuthenticate"]);
  const logout = await runPlan(plan, { context: "queues-loginout", exten: "6093" }, { applications: out.applications }, (c) => c.press(1500, "6121#"));
  assert.deepEqual(out.calls, ["RemoveQueueMember(dispatch,Local/6121@agents)"]);
  assert.deepEqual(userApps(logout), ["Answer()", "Read(AGENT_NUMBER,agent-enternum)", "Set(queue-announce-success=1)", "Goto(queues-manip,O6121,1)", "RemoveQueueMember(dispatch,Local/6121@agents)", "Playback(agent-loggedoff)", "Hangup()"]);

  // Log in: 6092, agent 6170 joins three queues with their penalties.
  const login = stubs(["AddQueueMember", "RemoveQueueMember", "VMAuthenticate"]);
  const ch = await runPlan(plan, { context: "queues-loginout", exten: "6092" }, { applications: login.applications }, (c) => c.press(1500, "6170#"));
  assert.deepEqual(login.calls, [
    "VMAuthenticate(6170@default,s)",
    "AddQueueMember(sales-general,Local/6170@agents,10)", "AddQueueMember(customerservice,Local/6170@agents,20)", "AddQueueMember(dispatch,Local/6170@agents,30)",
  ]);
  assert.deepEqual(ch.played.slice(-1), ["agent-loginok"]);

  // Without the stubs the real AddQueueMember runs (app_queue is built in; with no queue service here it adds nobody):
  // the seed's example against real queues runs in dialplan/apps/queue.e2e.test.ts.
  const bare = await runPlan(plan, { context: "queues-manip", exten: "I6121" });
  assert.ok(!bare.warnings().some((w) => w.includes("No application 'AddQueueMember'")), bare.warnings().join("\n"));
  assert.ok(userApps(bare).some((a) => a.startsWith("AddQueueMember(dispatch,Local/6121@agents")), userApps(bare).join("\n"));
});

// ---- each construct, run --------------------------------------------------------------

test("assignments are Set(x=$[...]); local variables and FUNC()= too", async () => {
  const ch = await run(`
context c {
  s => {
    a = 2 + 3;
    b = \${a} * 2;
    CALLERID(name) = Bob;
    Verbose(1, a=\${a} b=\${b} name=\${CALLERID(name)});
  }
}
`, { context: "c", exten: "s" });
  assert.deepEqual(ch.apps(), ["Set(a=5)", "Set(b=10)", "Set(CALLERID(name)=Bob)", "Verbose(1,a=5 b=10 name=Bob)"]);
});

test("else if chains, nested blocks and single-statement bodies", async () => {
  const text = `
context c {
  _X => {
    if (\${EXTEN} == 1) NoOp(one);
    else if (\${EXTEN} == 2) { NoOp(two); }
    else { if (\${EXTEN} > 5) NoOp(big); else NoOp(small); }
    NoOp(done);
  }
}
`;
  const names = async (exten: string) => userApps(await run(text, { context: "c", exten })).filter((a) => a.startsWith("NoOp("));
  assert.deepEqual(await names("1"), ["NoOp(one)", "NoOp(done)"]);
  assert.deepEqual(await names("2"), ["NoOp(two)", "NoOp(done)"]);
  assert.deepEqual(await names("7"), ["NoOp(big)", "NoOp(done)"]);
  assert.deepEqual(await names("3"), ["NoOp(small)", "NoOp(done)"]);
});

test("while, for, break and continue", async () => {
  const ch = await run(`
context c {
  s => {
    i = 0;
    while (\${i} < 10) {
      i = \${i} + 1;
      if (\${i} == 2) continue;
      if (\${i} == 4) break;
      NoOp(w\${i});
    }
    for (j = 0; \${j} < 5; j = \${j} + 1) {
      if (\${j} == 1) continue;
      if (\${j} == 3) break;
      NoOp(f\${j});
    }
    NoOp(end \${i} \${j});
  }
}
`, { context: "c", exten: "s" });
  assert.deepEqual(ch.apps().filter((a) => /^NoOp\([^)]/.test(a)), ["NoOp(w1)", "NoOp(w3)", "NoOp(f0)", "NoOp(f2)", "NoOp(end 4 3)"]);
});

test("switch: exact cases, patterns most specific first, default, and falling through without break", async () => {
  const text = `
context c {
  s => {
    switch (\${V}) {
      case 100:
        NoOp(hundred);
        break;
      pattern _X.:
        NoOp(any);
        break;
      pattern _1XX:
        NoOp(one-x-x);
      case 42:
        NoOp(forty-two or fell through);
        break;
      default:
        NoOp(default);
    }
    NoOp(after \${V} in \${EXTEN});
  }
}
`;
  const names = async (v: string) => (await run(text, { context: "c", exten: "s", vars: { V: v } })).apps().filter((a) => /^NoOp\([^)]/.test(a));
  assert.deepEqual(await names("100"), ["NoOp(hundred)", "NoOp(after 100 in s)"], "a case beats a pattern; EXTEN is unchanged in the switch");
  assert.deepEqual(await names("150"), ["NoOp(one-x-x)", "NoOp(forty-two or fell through)", "NoOp(after 150 in s)"]);
  assert.deepEqual(await names("42"), ["NoOp(forty-two or fell through)", "NoOp(after 42 in s)"]);
  assert.deepEqual(await names("7"), ["NoOp(default)", "NoOp(after 7 in s)"], "_X. needs two digits");
  assert.deepEqual(await names("77"), ["NoOp(any)", "NoOp(after 77 in s)"]);
  assert.deepEqual(await names(""), ["NoOp(default)", "NoOp(after  in s)"]);
  assert.equal(patternRegex("_NXX-[1-3]Z."), "[2-9][0-9][0-9][1-3][1-9].+");
});

test("goto to labels (backwards and forwards), goto exten,label, jump to another context", async () => {
  const ch = await run(`
context c {
  s => {
    n = 0;
    again:
    n = \${n} + 1;
    if (\${n} < 3) goto again;
    goto skip;
    NoOp(never);
    skip:
    goto other,there;
  }
  other => {
    NoOp(not here);
    there:
    jump 500@d;
  }
}
context d {
  500 => NoOp(in d \${n});
}
`, { context: "c", exten: "s" });
  const named = ch.apps().filter((a) => /^NoOp\([^)]/.test(a));
  assert.deepEqual(named, ["NoOp(in d 3)"]);
  assert.ok(ch.apps().includes("Goto(other,there)"));
  assert.ok(ch.apps().includes("Goto(d,500,1)"));
});

test("macros: arguments as LOCAL variables, return, nesting, & calls", async () => {
  const ch = await run(`
macro add(a, b) {
  sum = \${a} + \${b};
  if (\${sum} > 10) {
    NoOp(big);
    return;
  }
  &double(\${sum});
  NoOp(after double \${a});
}
macro double(a) {
  NoOp(double \${a} = $[\${a} * 2]);
}
context c {
  s => {
    a = outer;
    &add(1, 2);
    &add(6, 7);
    NoOp(a=\${a} sum=\${sum});
  }
}
`, { context: "c", exten: "s" });
  assert.deepEqual(ch.apps().filter((a) => /^NoOp\([^)]/.test(a)), [
    "NoOp(double 3 = 6)", "NoOp(after double 1)", "NoOp(big)", "NoOp(a=outer sum=13)",
  ]);
  assert.ok(ch.apps().includes("Gosub(add,~~s~~,1(1,2))"));
});

test("includes, globals, hints, ignorepat, switches, regexten, callerid extensions, ifTime", async () => {
  const plan = compile(`
globals {
  GREETING=hello;
  TRUNK=PJSIP/trunk;
}
context internal {
  includes {
    shared;
    daytime|00:00-23:59|*|*|*;
  }
  ignorepat => 9;
  hint(PJSIP/6001&Custom:dnd) 6001 => Dial(PJSIP/6001);
  regexten 6002 => NoOp(\${GREETING} via \${TRUNK});
  7000/6001 => NoOp(from 6001);
  7000 => NoOp(from anyone);
  8000 => ifTime (00:00-23:59|*|*|*) NoOp(always); else NoOp(never);
}
context shared { 300 => NoOp(shared); }
context switched { eswitches { Loopback/\${EXTEN}@shared; } }
context daytime { 400 => NoOp(daytime); }
abstract context template { s => NoOp(t); }
`);
  assert.deepEqual(listHints(plan).map((h) => `${h.exten}@${h.context} ${h.devices.join("&")}`), ["6001@internal PJSIP/6001&Custom:dnd"]);
  assert.ok(isIgnoredPattern(plan, "internal", "9"));
  assert.deepEqual(plan.contexts.get("switched")!.switches.map((s) => [s.module, s.data, s.evaluate]), [["Loopback", "${EXTEN}@shared", true]]);
  assert.deepEqual((await runPlan(plan, { context: "internal", exten: "400" })).apps(), ["NoOp(daytime)"], "an include with a time range");
  assert.deepEqual((await runPlan(plan, { context: "internal", exten: "300" })).apps(), ["NoOp(shared)"]);
  assert.deepEqual((await runPlan(plan, { context: "internal", exten: "6002" })).apps(), ["NoOp(hello via PJSIP/trunk)"]);
  assert.deepEqual((await runPlan(plan, { context: "internal", exten: "7000", callerNum: "6001" })).apps(), ["NoOp(from 6001)"]);
  assert.deepEqual((await runPlan(plan, { context: "internal", exten: "7000", callerNum: "6005" })).apps(), ["NoOp(from anyone)"]);
  assert.ok((await runPlan(plan, { context: "internal", exten: "8000" })).apps().includes("NoOp(always)"));
  assert.ok(plan.contexts.has("template"));
});

test("comments, #include and applications with blanks in their arguments", async () => {
  const dir = tempDir("ael-");
  writeFileSync(join(dir, "more.ael"), "context more {\n  1 => NoOp(from more);\n}\n");
  writeFileSync(join(dir, "extensions.ael"), `/* a
  block comment */
#include "more.ael"
context main { // trailing
  s => { Verbose( 2 , spaced  words ); Set(X="quoted // not a comment"); }
}
`);
  const plan = loadDialplanFiles(dir)!.dialplan;
  assert.ok(plan.contexts.has("more"));
  assert.equal(plan.contexts.get("more")!.extensions[0].priorities[0].position.file, join(dir, "more.ael"));
  assert.deepEqual((await runPlan(plan, { context: "main", exten: "s" })).apps(), ["Verbose(2,spaced  words)", 'Set(X="quoted // not a comment")']);
});

// ---- errors ---------------------------------------------------------------------------------

function errorOf(text: string, file = "extensions.ael"): DialplanError {
  try {
    parseAel(text, file);
  } catch (e) {
    assert.ok(e instanceof DialplanError, String(e));
    return e;
  }
  assert.fail("no error");
}

test("syntax errors name the file, the line and the reason", () => {
  const cases: [string, number, RegExp][] = [
    ["context c {\n  s => {\n    NoOp(a)\n    NoOp(b);\n  }\n}\n", 4, /expected ';' after NoOp\(\.\.\.\), found 'NoOp'/],
    ["context c {\n  s => NoOp(a);\n", 1, /context 'c' is not closed/],
    ["context c {\n  s => {\n    else NoOp();\n  }\n}\n", 3, /'else' without 'if'/],
    ["context c {\n  s NoOp(a);\n}\n", 2, /expected '=>' after extension 's NoOp'|expected '=>'/],
    ["context c {\n  s => {\n    if (\${X} {\n  }\n}\n", 3, /if: missing '\)' before '}' \(on line 5\)/],
    ["context c {\n  s => {\n    NoOp(a;\n  }\n}\n", 3, /NoOp\(\.\.\.\): missing '\)' before ';'/],
    ["exten => s,1,NoOp()\n", 1, /expected 'context', 'macro' or 'globals', found 'exten'/],
    ["context c {\n  s => switch (\${X}) {\n    NoOp();\n  }\n}\n", 3, /expected 'case', 'pattern' or 'default'/],
    ["context c {\n  s => {\n    /* never closed\n  }\n}\n", 3, /unterminated \/\* comment/],
    ["context c {\n\n  s => Set(X=\${FOO);\n}\n", 3, /Set\(\.\.\.\): reached the end of the file looking for .\)./],
  ];
  for (const [text, line, reason] of cases) {
    const e = errorOf(text, "/etc/recall/extensions.ael");
    assert.equal(e.file, "/etc/recall/extensions.ael", text);
    assert.equal(e.line, line, `${text}\n→ ${e.message}`);
    assert.match(e.reason, reason, text);
    assert.match(e.message, new RegExp(`^/etc/recall/extensions\\.ael:${line}: `));
  }
});

test("semantic errors: break/continue outside loops, unknown labels, contexts defined twice, duplicate priorities", () => {
  assert.match(errorOf("context c {\n  s => {\n    break;\n  }\n}\n").message, /extensions\.ael:3: 'break' outside a loop or switch/);
  assert.match(errorOf("context c {\n  s => switch (1) { case 1: continue; }\n}\n").message, /:2: 'continue' outside a loop/);
  assert.match(errorOf("context c {\n  s => {\n    goto nowhere;\n  }\n}\n").message, /:3: goto nowhere: no label 'nowhere' in extension 's' of context 'c'/);
  assert.match(errorOf("context c {\n  s => goto t,nolabel;\n  t => NoOp();\n}\n").message, /:2: goto: no label 'nolabel' in extension 't'/);
  assert.match(errorOf("context c { s => NoOp(); }\ncontext c { t => NoOp(); }\n").message, /:2: context 'c' is already defined at extensions\.ael:1/);
  assert.match(errorOf("context c { s => NoOp(); }\nmacro c() { NoOp(); }\n").message, /macro 'c' has the name of the context/);
  assert.match(errorOf("context c {\n  s => NoOp(1);\n  s => NoOp(2);\n}\n").message, /:3: extension 's' priority 1 in 'c' is already defined at extensions\.ael:2/);
  // extend adds to a context instead.
  const plan = compile("context c { s => NoOp(); }\nextend context c { t => NoOp(); }\n");
  assert.equal(plan.contexts.get("c")!.extensions.length, 2);
  // Calling a macro defined elsewhere is only a warning.
  const w = parseAel("context c { s => &elsewhere(1); }\n");
  assert.ok(w.diagnostics.some((d) => d.severity === "warning" && d.reason.includes("no macro 'elsewhere'")));
});

// ---- with extensions.conf --------------------------------------------------------------------

test("extensions.conf and extensions.ael feed one dialplan: a context in both is merged", async () => {
  const conf = parseDialplan("[globals]\nA=conf\nB=conf\n[from-internal]\nexten => 100,1,NoOp(conf \${A} \${B})\ninclude => ael-only\n", "extensions.conf", { lenient: true });
  const ael = parseAel("globals { B=ael; }\ncontext from-internal { 200 => Goto(from-internal,100,1); }\ncontext ael-only { 300 => NoOp(ael-only); }\n");
  const merged = mergeDialplans(conf.dialplan, ael.dialplan);
  assert.deepEqual(merged.diagnostics, []);
  const ch = await runPlan(merged.dialplan, { context: "from-internal", exten: "200" });
  assert.deepEqual(ch.apps(), ["Goto(from-internal,100,1)", "NoOp(conf conf ael)"]);
  assert.deepEqual((await runPlan(merged.dialplan, { context: "from-internal", exten: "300" })).apps(), ["NoOp(ael-only)"]);

  const dup = mergeDialplans(conf.dialplan, parseAel("context from-internal { 100 => NoOp(again); }\n").dialplan);
  assert.equal(dup.diagnostics.length, 1);
  assert.equal(dup.diagnostics[0].file, "extensions.ael");
  assert.match(dup.diagnostics[0].reason, /extension '100' priority 1 in 'from-internal' is already defined at extensions\.conf:5/);
});

test("loadDialplanFiles: either file alone, both, neither; errors thrown with their file", () => {
  const dir = tempDir("ael-load-");
  assert.equal(loadDialplanFiles(dir), undefined);
  writeFileSync(join(dir, "extensions.ael"), "context a { 1 => NoOp(); }\n");
  assert.deepEqual([...loadDialplanFiles(dir)!.dialplan.contexts.keys()], ["a"]);
  writeFileSync(join(dir, "extensions.conf"), "[b]\nexten => 1,1,NoOp()\ninclude => a\n");
  const both = loadDialplanFiles(dir)!;
  assert.deepEqual([...both.dialplan.contexts.keys()].sort(), ["a", "b"]);
  assert.deepEqual(both.diagnostics, [], "b's include of a is satisfied by extensions.ael");
  writeFileSync(join(dir, "extensions.conf"), "[a]\nexten => 1,1,NoOp()\n");
  assert.throws(() => loadDialplanFiles(dir), (e: DialplanError) => e.file === join(dir, "extensions.ael") && /already defined at .*extensions\.conf:2/.test(e.reason));
  writeFileSync(join(dir, "extensions.ael"), "context a {\n  2 => NoOp(\n}\n");
  assert.throws(() => loadDialplanFiles(dir), (e: DialplanError) => e.file === join(dir, "extensions.ael") && e.line === 2);
});
