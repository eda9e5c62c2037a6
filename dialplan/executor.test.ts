import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseDialplan, loadDialplan } from "./parser.js";
import { runDialplan, globalsFromDialplan, type DialplanDeps } from "./executor.js";
import { TestChannel, testDeps, type TestChannelOptions } from "./test-support.js";
import { inheritedVariables } from "./variables.js";
import type { DialOutcome } from "../calls/channel-api.js";

function dp(text: string) {
  const load = parseDialplan(text);
  return load.dialplan;
}

async function run(text: string, options: TestChannelOptions & { context?: string; exten?: string; priority?: number } = {}, deps: Partial<DialplanDeps> = {}, script?: (ch: TestChannel) => void) {
  const plan = dp(text);
  const ch = new TestChannel(options);
  script?.(ch);
  await runDialplan(ch, plan, { context: options.context ?? "test", exten: options.exten ?? "s", priority: options.priority ?? 1 }, testDeps({ globals: globalsFromDialplan(plan), ...deps }));
  return ch;
}

const SAMPLE = join(process.cwd(), "infra/sample-config/extensions.conf");

test("the seed's pattern example: dialling 6421 runs _64NX", async () => {
  const ch = await run(`
[users]
exten => _6XX1,1,SayAlpha(A)
exten => _64XX,1,SayAlpha(B)
exten => _640X,1,SayAlpha(C)
exten => _6.,1,SayAlpha(D)
exten => _64NX,1,SayAlpha(E)
exten => _6[45]NX,1,SayAlpha(F)
exten => _6[34]NX,1,SayAlpha(G)
`, { context: "users", exten: "6421" });
  assert.equal(ch.apps()[0], "SayAlpha(E)");
  assert.deepEqual(ch.played, ["letters/e"]);
  assert.ok(ch.events.includes("exten users,6421,1"));
  assert.equal(ch.context().hangupCause, 16, "autofallthrough after the last priority: normal clearing");
});

test("Gosub with arguments returns a value in GOSUB_RETVAL (sample dialplan, 7100)", async () => {
  const plan = loadDialplan(SAMPLE).dialplan;
  const ch = new TestChannel({ exten: "7100" });
  await runDialplan(ch, plan, { context: "from-internal", exten: "7100", priority: 1 }, testDeps({ globals: globalsFromDialplan(plan) }));
  assert.deepEqual(ch.apps().slice(0, 7), [
    "Answer()", "Gosub(sub-add,s,1(5,7))", "NoOp(Adding 5 and 7)", "Set(TOTAL=12)", "Return(12)",
    "Verbose(1,Sum computed by sub-add: 12)", "SayNumber(12)",
  ]);
  assert.deepEqual(ch.played, ["digits/12"]);
  assert.equal(ch.context().vars.ARG1, undefined, "ARGn are local to the Gosub frame");
  assert.equal(ch.context().vars.GOSUB_RETVAL, "12");
  assert.ok(ch.logs.some((l) => l.message === "Sum computed by sub-add: 12"));
  assert.ok(ch.apps().some((a) => a.startsWith("NoOp(Call from 6001 ended: cause 16")), "h ran after the Hangup()");
});

test("LOCAL variables and nested Gosub frames are restored on Return", async () => {
  const ch = await run(`
[test]
exten => s,1,Set(X=outer)
 same => n,Gosub(sub,s,1(a,b,c))
 same => n,NoOp(X=\${X} ARG1=\${ARG1} ARGC=\${ARGC} R=\${GOSUB_RETVAL})
 same => n,Hangup()
[sub]
exten => s,1,Set(LOCAL(X)=inner)
 same => n,Gosub(sub2,s,1(z))
 same => n,Return(\${X}-\${ARG1}-\${ARG3}-\${GOSUB_RETVAL})
[sub2]
exten => s,1,Return(\${ARG1}\${ARG2}\${LOCAL_PEEK(1,X)})
`);
  assert.ok(ch.apps().includes("Return(zinner)"), ch.apps().join("\n"));
  assert.ok(ch.apps().includes("Return(inner-a-c-zinner)"));
  assert.ok(ch.apps().includes("NoOp(X=outer ARG1= ARGC= R=inner-a-c-zinner)"), ch.apps().join("\n"));
});

test("Return without Gosub and Gosub to nowhere end the call", async () => {
  const a = await run("[test]\nexten => s,1,Return()\n same => n,NoOp(never)\n");
  assert.ok(a.warnings().some((w) => w.includes("Return without Gosub")));
  assert.ok(!a.apps().includes("NoOp(never)"));
  const b = await run("[test]\nexten => s,1,Gosub(nowhere,s,1)\n same => n,NoOp(never)\n");
  assert.ok(b.warnings().some((w) => w.includes("non-existent destination for Gosub: (Context:nowhere, Extension:s, Priority:1)")));
});

test("_VAR and __VAR: what a dialled channel and its own children inherit", async () => {
  let childVars: Record<string, string> = {};
  const ch = await run(`
[test]
exten => s,1,Set(_ONE=1)
 same => n,Set(__ALL=2)
 same => n,Set(MINE=3)
 same => n,NoOp(\${ONE}\${ALL}\${MINE})
 same => n,Dial(PJSIP/6002,20)
`, {
    onDial: (_req, c) => { childVars = inheritedVariables(c.context().vars); return { status: "NOANSWER" }; },
  });
  assert.ok(ch.apps().includes("NoOp(123)"), "prefixed variables read by their bare names");
  assert.deepEqual(childVars, { ONE: "1", __ALL: "2" });
  assert.deepEqual(inheritedVariables(childVars), { __ALL: "2" }, "the grandchild gets only __ALL");
  const again = await run("[test]\nexten => s,1,Set(_X=a)\n same => n,Set(X=b)\n same => n,NoOp(${X})\n");
  assert.deepEqual(again.context().vars, { X: "b" }, "setting X replaces _X");
});

test("h runs after the caller hangs up, in the current context, with HANGUPCAUSE", async () => {
  const ch = await run(`
[test]
exten => s,1,Answer()
 same => n,Wait(30)
 same => n,NoOp(never)
exten => h,1,NoOp(cause \${HANGUPCAUSE} at \${EXTEN})
 same => n,Set(CDR(userfield)=done)
`, {}, {}, (c) => c.hangUpAt(5000));
  assert.deepEqual(ch.apps(), ["Answer()", "Wait(30)", "NoOp(cause 16 at h)", "Set(CDR(userfield)=done)"]);
  assert.equal(ch.context().userfield, "done", "applications in h still act on the channel");
  assert.equal(ch.elapsedMs(), 5000);
  const busy = await run("[test]\nexten => s,1,Hangup(USER_BUSY)\nexten => h,1,NoOp(${HANGUPCAUSE})\n");
  assert.deepEqual(busy.apps(), ["Hangup(USER_BUSY)", "NoOp(17)"]);
});

const IVR = `
[test]
exten => s,1,Answer()
 same => n,Background(menu)
 same => n,WaitExten(5)
exten => 1,1,NoOp(one)
exten => 123,1,NoOp(one-two-three)
exten => i,1,NoOp(invalid \${INVALID_EXTEN})
exten => t,1,NoOp(timeout)
`;

test("Background and WaitExten feed extension matching; i and t", async () => {
  const one = await run(IVR, {}, {}, (c) => c.press(500, "1"));
  assert.deepEqual(one.apps(), ["Answer()", "Background(menu)", "NoOp(one)"], "a digit during Background stops it");
  const multi = await run(IVR, {}, {}, (c) => c.press(1500, "123"));
  assert.ok(multi.apps().includes("NoOp(one-two-three)"), multi.apps().join(","));
  const invalid = await run(IVR, {}, {}, (c) => c.press(1500, "9"));
  assert.ok(invalid.apps().includes("NoOp(invalid 9)"));
  const timeout = await run(IVR);
  assert.deepEqual(timeout.apps(), ["Answer()", "Background(menu)", "WaitExten(5)", "NoOp(timeout)"]);
  assert.equal(timeout.elapsedMs(), 6000, "1 s of prompt, 5 s of waiting");
});

test("e catches i, t and T when they are missing; EXCEPTION() says why", async () => {
  const base = `
[test]
exten => s,1,Answer()
 same => n,WaitExten(2)
exten => 1,1,NoOp(one)
exten => e,1,NoOp(\${EXCEPTION(reason)} at \${EXCEPTION(exten)})
`;
  const t = await run(base);
  assert.ok(t.apps().includes("NoOp(RESPONSETIMEOUT at s)"), t.apps().join(","));
  const i = await run(base, {}, {}, (c) => c.press(100, "7"));
  assert.ok(i.apps().includes("NoOp(INVALID at s)"), i.apps().join(","));
  const abs = await run(`
[test]
exten => s,1,Set(TIMEOUT(absolute)=3)
 same => n,Wait(10)
 same => n,NoOp(never)
exten => e,1,NoOp(\${EXCEPTION(reason)})
`);
  assert.deepEqual(abs.apps(), ["Set(TIMEOUT(absolute)=3)", "Wait(10)", "NoOp(ABSOLUTETIMEOUT)"]);
  const start = await run("[test]\nexten => e,1,NoOp(${EXCEPTION(reason)} ${EXCEPTION(exten)})\n", { exten: "555" });
  assert.deepEqual(start.apps(), ["NoOp(INVALID 555)"], "an invalid starting extension raises INVALID to e");
});

test("T runs when TIMEOUT(absolute) expires, interrupting the application", async () => {
  const ch = await run(`
[test]
exten => s,1,Answer()
 same => n,Set(TIMEOUT(absolute)=3)
 same => n,NoOp(\${TIMEOUT(absolute)})
 same => n,Playback(long&long&long&long)
exten => T,1,NoOp(absolute timeout)
 same => n,Hangup()
`);
  assert.deepEqual(ch.apps(), ["Answer()", "Set(TIMEOUT(absolute)=3)", "NoOp(3)", "Playback(long&long&long&long)", "NoOp(absolute timeout)", "Hangup()"]);
  const noT = await run("[test]\nexten => s,1,Set(TIMEOUT(absolute)=2)\n same => n,Wait(5)\n same => n,NoOp(never)\nexten => h,1,NoOp(h)\n");
  assert.deepEqual(noT.apps(), ["Set(TIMEOUT(absolute)=2)", "Wait(5)", "NoOp(h)"], "without T or e the call ends and h runs");
  assert.equal(noT.elapsedMs(), 2000);
});

test("an invalid starting extension goes to i, or ends with a warning", async () => {
  const plan = `
[test]
exten => 100,1,NoOp(hundred)
exten => i,1,NoOp(invalid \${INVALID_EXTEN})
`;
  const ch = new TestChannel();
  await runDialplan(ch, dp(plan), { context: "test", exten: "555", priority: 1 }, testDeps());
  assert.deepEqual(ch.apps(), ["NoOp(invalid 555)"]);
  const none = new TestChannel();
  await runDialplan(none, dp("[test]\nexten => 100,1,NoOp()\n"), { context: "test", exten: "555", priority: 1 }, testDeps());
  assert.ok(none.warnings().some((w) => w.includes("sent to invalid extension but no invalid handler: context,exten,priority=test,555,1")));
  assert.equal(none.state(), "hungup");
});

test("a dialplan loop is cut with a warning naming the place", async () => {
  const ch = await run("[test]\nexten => s,1,NoOp(spin)\n same => n,Goto(s,1)\nexten => h,1,NoOp(h ran)\n", {}, { maxSteps: 500 });
  const w = ch.warnings().find((m) => m.includes("Dialplan loop"));
  assert.ok(w, ch.warnings().join("\n"));
  assert.match(w!, /context 'test', extension 's', priority [12]/);
  assert.equal(ch.state(), "hungup");
  assert.equal(ch.apps().at(-1), "NoOp(h ran)");
  // A real clock shows a new microsecond at every priority: the loop must still be cut.
  class TickingChannel extends TestChannel {
    private ticks = 0;
    override now(): number { return super.now() + ++this.ticks; }
  }
  const ticking = new TickingChannel();
  await runDialplan(ticking, dp("[test]\nexten => s,1,NoOp()\n same => n,Goto(1)\n"), { context: "test", exten: "s", priority: 1 }, testDeps({ maxSteps: 300 }));
  assert.ok(ticking.warnings().some((m) => m.includes("Dialplan loop")));
  const waiting = await run("[test]\nexten => s,1,Wait(1)\n same => n,Set(N=$[${N} + 1])\n same => n,GotoIf($[${N} < 50]?1)\n", { vars: { N: "0" } }, { maxSteps: 10 });
  assert.equal(waiting.context().vars.N, "50", "a loop that waits is not a runaway");
});

test("an unknown application is named in a warning and ends the call; unknown functions evaluate empty", async () => {
  const ch = await run("[test]\nexten => s,1,NoOp([${NOPE(x)}])\n same => n,Frobnicate(1,2)\n same => n,NoOp(never)\nexten => h,1,NoOp(h)\n");
  assert.ok(ch.warnings().includes("Function NOPE not registered"));
  assert.ok(ch.apps().includes("NoOp([])"));
  assert.ok(ch.warnings().includes("No application 'Frobnicate' for extension (test, s, 2)"));
  assert.deepEqual(ch.apps().slice(-1), ["NoOp(h)"]);
  assert.equal(ch.context().hangupCause, 16);
});

test("autofallthrough: answered → normal clearing; unanswered after BUSY/CHANUNAVAIL → busy/congestion", async () => {
  const answered = await run("[test]\nexten => s,1,Answer()\n same => n,NoOp()\n");
  assert.equal(answered.context().hangupCause, 16);
  const busy = await run("[test]\nexten => s,1,Dial(PJSIP/6002)\n", { onDial: () => ({ status: "BUSY", cause: 17 }) });
  assert.ok(busy.events.includes("busy"));
  assert.equal(busy.context().hangupCause, 17);
  assert.equal(busy.elapsedMs(), 10000, "busy is signalled for 10 s before the hang-up");
  const unavailable = await run("[test]\nexten => s,1,Dial(PJSIP/6002)\n", { onDial: () => ({ status: "CHANUNAVAIL", cause: 3 }) });
  assert.ok(unavailable.events.includes("congestion"));
  assert.equal(unavailable.context().hangupCause, 42);
  assert.ok(unavailable.logs.some((l) => l.message.includes("Auto fallthrough, channel 'PJSIP/6001-00000001' status is 'CHANUNAVAIL'")));
});

test("a missing priority ends the call after the priorities before it", async () => {
  const ch = await run("[test]\nexten => s,1,NoOp(one)\nexten => s,2,NoOp(two)\nexten => s,4,NoOp(four)\n");
  assert.deepEqual(ch.apps(), ["NoOp(one)", "NoOp(two)"]);
  assert.equal(ch.state(), "hungup");
});

test("the next priority comes from the next best match (seed's catch-all note)", async () => {
  const ch = await run("[test]\nexten => 6001,1,NoOp(first)\nexten => _X.,1,NoOp(pattern 1)\nexten => _X.,2,NoOp(pattern 2)\n", { exten: "6001" });
  assert.deepEqual(ch.apps(), ["NoOp(first)", "NoOp(pattern 2)"]);
});

test("Dial: targets, timeout, options, DIALSTATUS and times; g goes on, otherwise the caller's dialplan ends", async () => {
  const answered = async (text: string) => run(text, {
    onDial: async (_req, c) => { await c.pass(3000); return { status: "ANSWER", peerName: "PJSIP/6002-00000002", answeredSeconds: 42, dialedSeconds: 45, legs: [{ channel: "PJSIP/6003-00000003", cause: 17, tech: "SIP 486 Busy Here" }] } satisfies DialOutcome; },
  });
  const a = await answered("[test]\nexten => s,1,Dial(PJSIP/6002&PJSIP/6003,20,tTgU(screen^x^y)L(60000:30000))\n same => n,NoOp(${DIALSTATUS} ${ANSWEREDTIME} ${DIALEDTIME} ${DIALEDPEERNAME} ${DIALEDPEERNUMBER} ${HANGUPCAUSE_KEYS()} ${HANGUPCAUSE(PJSIP/6003-00000003,tech)})\n");
  const req = a.dials[0];
  assert.deepEqual(req.targets.map((t) => t.dialstring), ["PJSIP/6002", "PJSIP/6003"]);
  assert.equal(req.timeout, 20);
  assert.deepEqual(req.options, { t: "", T: "", g: "", U: "screen,s,1(x,y)", L: "60000:30000" });
  assert.ok(a.apps().includes("NoOp(ANSWER 42 45 PJSIP/6002-00000002 6002 PJSIP/6003-00000003 SIP 486 Busy Here)"), a.apps().join("\n"));
  const b = await answered("[test]\nexten => s,1,Dial(PJSIP/6002)\n same => n,NoOp(never)\nexten => h,1,NoOp(h ${DIALSTATUS})\n");
  assert.deepEqual(b.apps(), ["Dial(PJSIP/6002)", "NoOp(h ANSWER)"]);
  const invalid = await run("[test]\nexten => s,1,Dial(nonsense)\n same => n,NoOp(${DIALSTATUS})\n");
  assert.ok(invalid.apps().includes("NoOp(CHANUNAVAIL)"));
  assert.ok(invalid.warnings().some((w) => w.includes("technology/resource")));
  const sample = loadDialplan(SAMPLE).dialplan;
  const busy = new TestChannel({ onDial: () => ({ status: "BUSY", cause: 17 }) });
  await runDialplan(busy, sample, { context: "from-internal", exten: "6002", priority: 1 }, testDeps({ globals: globalsFromDialplan(sample) }));
  // Busy(5) signals busy for 5 s and then ends the dialplan, as Asterisk's does: Hangup(17) is not reached.
  assert.deepEqual(busy.apps().slice(0, 5), ["NoOp(Internal call from 6001 to 6002)", "Set(__CALL_ORIGIN=6001)", "Dial(PJSIP/6002,20)", "GotoIf(1?busy:unavailable)", "Busy(5)"]);
  assert.equal(busy.context().hangupCause, 17);
  assert.equal(busy.apps().at(-1), "NoOp(Call from 6001 ended: cause 17, dial status BUSY)");
});

test("Dial's B runs a Gosub on the caller first; U/b targets come ready for the call layer", async () => {
  const ch = await run(`
[test]
exten => s,1,Dial(PJSIP/6002,,B(pre^s^1(hello^world))b(callee^s^1))
[pre]
exten => s,1,NoOp(pre \${ARG1} \${ARG2})
 same => n,Return()
[callee]
exten => s,1,NoOp(on callee \${CHANNEL})
 same => n,Set(GOSUB_RESULT=CONTINUE)
 same => n,Return()
`, {
    onDial: async (req) => {
      const callee = new TestChannel({ name: "PJSIP/6002-00000002" });
      const r = await req.runSubroutine!(callee, req.options.b);
      assert.equal(r.result, "CONTINUE");
      assert.deepEqual(callee.apps(), ["NoOp(on callee PJSIP/6002-00000002)", "Set(GOSUB_RESULT=CONTINUE)", "Return()"]);
      return { status: "NOANSWER" };
    },
  });
  assert.deepEqual(ch.apps().slice(0, 3), ["Dial(PJSIP/6002,,B(pre^s^1(hello^world))b(callee^s^1))", "NoOp(pre hello world)", "Return()"]);
  assert.equal(ch.dials[0].options.b, "callee,s,1");
});

test("Read, Playback status, Say* prompts, Set with functions", async () => {
  const ch = await run(`
[test]
exten => s,1,Answer()
 same => n,Read(PIN,enter-pin,4)
 same => n,Playback(missing&hello-world)
 same => n,SayNumber(\${PIN})
 same => n,SayDigits(1*#)
 same => n,SayAlpha(Ab1)
 same => n,Set(CALLERID(all)="Bob" <7000>)
 same => n,Set(CDR(accountcode)=acct1)
 same => n,MSet(A=1,B=2)
 same => n,NoOp(\${PIN} \${READSTATUS} \${PLAYBACKSTATUS} \${CALLERID(name)}/\${CALLERID(num)} \${CDR(accountcode)} \${A}\${B})
`, { fileMs: { missing: -1 } }, {}, (c) => c.press(2000, "1234"));
  assert.ok(ch.apps().includes("NoOp(1234 OK FAILED Bob/7000 acct1 12)"), ch.apps().join("\n"));
  assert.deepEqual(ch.played.slice(2), ["digits/1", "digits/thousand", "digits/2", "digits/hundred", "digits/30", "digits/4", "digits/1", "digits/star", "digits/pound", "letters/a", "letters/b", "digits/1"]);
  const t = await run("[test]\nexten => s,1,Answer()\n same => n,Read(X,,3,,2,1)\n same => n,NoOp(${READSTATUS}:${X})\n");
  assert.ok(t.apps().includes("NoOp(TIMEOUT:)"));
  assert.equal(t.elapsedMs(), 2000, "two attempts of one second");
});

test("functions: CUT, IF, SET, GLOBAL, DB family, TIMEOUT, CHANNEL, CONNECTEDLINE, REDIRECTING, EXISTS", async () => {
  const globals = new Map([["G", "g1"]]);
  const deps = testDeps({ globals });
  const plan = dp(`
[test]
exten => s,1,Set(L=a-b-c-d)
 same => n,NoOp(\${CUT(L,,2)}|\${CUT(L,-,2-3)}|\${CUT(L,,3-)}|\${IF($[1 > 0]?yes:no)}|\${IF(0?yes:no)}|\${SET(Z=zz)}\${Z})
 same => n,Set(GLOBAL(G2)=\${G}x)
 same => n,Set(DB(fam/key)=v1)
 same => n,NoOp(\${DB(fam/key)}|\${DB_EXISTS(fam/key)}|\${DB_EXISTS(fam/none)}|\${DB_DELETE(fam/key)}|\${DB_EXISTS(fam/key)})
 same => n,Set(TIMEOUT(digit)=2.5)
 same => n,NoOp(\${TIMEOUT(digit)}|\${TIMEOUT(response)}|\${CHANNEL(name)}|\${CHANNEL(state)}|\${CHANNEL(language)})
 same => n,Set(CONNECTEDLINE(name,i)=Company)
 same => n,Set(REDIRECTING(from-num,i)=1000)
 same => n,NoOp(\${CONNECTEDLINE(name)}|\${REDIRECTING(from-num)}|\${REDIRECTING(count)}|\${EXISTS(L)}\${EXISTS(NOPE)}|\${LEN(\${L})}|\${ISNULL(\${NOPE})})
`);
  const ch = new TestChannel();
  await runDialplan(ch, plan, { context: "test", exten: "s", priority: 1 }, deps);
  const apps = ch.apps();
  assert.ok(apps.includes("NoOp(b|b-c|c-d|yes|no|zzzz)"), apps.join("\n"));
  assert.equal(globals.get("G2"), "g1x");
  assert.ok(apps.includes("NoOp(v1|1|0|v1|0)"), apps.join("\n"));
  assert.ok(apps.includes("NoOp(2.500|10|PJSIP/6001-00000001|Ring|en)"), apps.join("\n"));
  assert.ok(apps.includes("NoOp(Company|1000|0|10|7|1)"), apps.join("\n"));
  assert.deepEqual(ch.redirecting, [{ fromNum: "1000" }]);
});

test("dangerous functions: refused without live_dangerously, from the dialplan and from AMI", async () => {
  const plan = "[test]\nexten => s,1,NoOp(${SHELL(echo hi)})\n";
  const outside = { shell: (cmd: string) => `ran ${cmd}` };
  const refused = await run(plan, {}, { outside });
  assert.ok(refused.apps().includes("NoOp()"));
  assert.ok(refused.logs.some((l) => l.level === "ERROR" && l.message.startsWith("Dangerous function SHELL read blocked")));
  const allowed = await run(plan, {}, { outside, liveDangerously: true });
  assert.ok(allowed.apps().includes("NoOp(ran echo hi)"));
  const ami = await run(plan, {}, { outside, origin: "ami" });
  assert.ok(ami.logs.some((l) => l.message.includes("blocked from AMI")));
});

test("GotoIfTime, Goto with labels and relative priorities", async () => {
  const ch = await run(`
[test]
exten => s,1,GotoIfTime(*,*,*,*?open:closed)
 same => n(open),NoOp(open)
 same => n,Goto(+2)
 same => n,NoOp(skipped)
 same => n,Goto(other,100,lbl)
 same => n(closed),NoOp(closed)
[other]
exten => 100,1,NoOp(no)
 same => n(lbl),NoOp(label in other)
 same => n,Goto(nolabel)
`);
  assert.deepEqual(ch.apps(), ["GotoIfTime(*,*,*,*?open:closed)", "NoOp(open)", "Goto(+2)", "Goto(other,100,lbl)", "NoOp(label in other)", "Goto(nolabel)"]);
  assert.ok(ch.warnings().includes("Priority 'nolabel' must be a number > 0, or valid label"));
});

test("hang-up handlers run after h", async () => {
  const ch = await run(`
[test]
exten => s,1,Set(CHANNEL(hangup_handler_push)=handler,s,1(bye))
 same => n,Hangup()
exten => h,1,NoOp(h)
[handler]
exten => s,1,NoOp(handler \${ARG1})
 same => n,Return()
`);
  assert.deepEqual(ch.apps().slice(-3), ["NoOp(h)", "NoOp(handler bye)", "Return()"]);
});

/** A small seeded generator (mulberry32): the fuzz is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("1,000 random dialled strings against the sample dialplan never crash it", async () => {
  const plan = loadDialplan(SAMPLE).dialplan;
  const rnd = seeded(20240601);
  const alphabet = "0123456789*#abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.!-[]()${}$[]/,|&^?:=\"'\\ \t\n\r\u0000\u0001\u001b\u007f\u00e9\u4e2d";
  const statuses: DialOutcome["status"][] = ["ANSWER", "BUSY", "NOANSWER", "CANCEL", "CONGESTION", "CHANUNAVAIL"];
  const globals = globalsFromDialplan(plan);
  for (let i = 0; i < 1000; i++) {
    const len = 1 + Math.floor(rnd() * 12);
    let exten = "";
    for (let j = 0; j < len; j++) exten += alphabet[Math.floor(rnd() * alphabet.length)];
    if (rnd() < 0.3) exten = `${["6", "9", "7", "*4"][Math.floor(rnd() * 4)]}${exten}`;
    const status = statuses[Math.floor(rnd() * statuses.length)];
    const ch = new TestChannel({ exten, callerNum: rnd() < 0.5 ? exten : "6001", onDial: () => ({ status, cause: 17, peerName: "PJSIP/x-1" }) });
    if (rnd() < 0.5) ch.hangUpAt(Math.floor(rnd() * 20000));
    if (rnd() < 0.5) ch.press(Math.floor(rnd() * 3000), exten.slice(0, 3));
    await runDialplan(ch, plan, { context: rnd() < 0.8 ? "from-internal" : "from-trunk", exten, priority: 1 }, testDeps({ globals, maxSteps: 200 }));
    assert.equal(ch.state(), "hungup", `dialled ${JSON.stringify(exten)}`);
  }
});

test("autofallthrough=no: after the last priority the caller may still dial, else t", async () => {
  const plan = `
[general]
autofallthrough = no
[test]
exten => s,1,Answer()
exten => 5,1,NoOp(five)
exten => t,1,NoOp(t)
 same => n,Hangup()
`;
  const dialled = await run(plan, {}, {}, (c) => c.press(3000, "5"));
  assert.deepEqual(dialled.apps(), ["Answer()", "NoOp(five)", "NoOp(t)", "Hangup()"], "after 5 runs out, the wait ends in t");
  const none = await run(plan);
  assert.deepEqual(none.apps(), ["Answer()", "NoOp(t)", "Hangup()"]);
  assert.ok(none.elapsedMs() >= 10000, "the response timeout (10 s) passed first");
});

test("U() results for the call layer", async () => {
  const { calleeGosubAction } = await import("./apps/dial.js");
  assert.deepEqual(calleeGosubAction("ABORT"), { action: "abort" });
  assert.deepEqual(calleeGosubAction("GOTO:ctx^100^1"), { action: "goto", target: "ctx,100,1" });
  assert.equal(calleeGosubAction(""), undefined);
});

test("switches: Loopback searches another context in place; other modules ask deps.switches", async () => {
  const plan = `
[test]
exten => 1,1,NoOp(local one)
switch => Loopback/@shared
switch => Remote/node2
[shared]
exten => _2X,1,NoOp(shared \${EXTEN} in \${CONTEXT})
`;
  const shared = await run(plan, { exten: "25" });
  assert.deepEqual(shared.apps(), ["NoOp(shared 25 in test)"], "runs in place: the channel stays in its context");
  const asked: string[] = [];
  const remote = await run(plan, { exten: "99" }, {
    switches: (module, data, position, mode) => {
      asked.push(`${module}/${data} ${position.exten},${position.priority} ${mode}`);
      return position.exten === "99" && position.priority === 1 && mode === "match" ? { app: "NoOp", appData: "remote ${EXTEN}" } : undefined;
    },
  });
  assert.deepEqual(remote.apps(), ["NoOp(remote 99)"]);
  assert.ok(asked.includes("Remote/node2 99,1 match"));
});

test("PJSIP_DIAL_CONTACTS goes through the injected resolver; CDR(amaflags) takes names and numbers", async () => {
  const ch = await run("[test]\nexten => s,1,NoOp(${PJSIP_DIAL_CONTACTS(6001)}|${PJSIP_DIAL_CONTACTS(6001,aor2,123)})\n same => n,Set(CDR(amaflags)=2)\n same => n,NoOp(${CDR(amaflags)})\n same => n,Set(CDR(amaflags)=bogus)\n", {}, {
    dialContacts: (endpoint, aor, user) => `PJSIP/${endpoint}/sip:${user ?? endpoint}@${aor ?? "10.0.0.1"}`,
  });
  assert.ok(ch.apps().includes("NoOp(PJSIP/6001/sip:6001@10.0.0.1|PJSIP/6001/sip:123@aor2)"));
  assert.ok(ch.apps().includes("NoOp(BILLING)"));
  assert.ok(ch.warnings().includes("Invalid AMA flag 'bogus'"));
});

test("CHANNELS lists live channels; System/TrySystem only under live_dangerously", async () => {
  const ch = await run("[test]\nexten => s,1,NoOp(${CHANNELS()}|${CHANNELS(^PJSIP/6002)})\n same => n,TrySystem(touch /tmp/x)\n same => n,NoOp(${SYSTEMSTATUS})\n same => n,System(touch /tmp/x)\n same => n,NoOp(never)\n", {}, {
    channels: () => ["PJSIP/6001-00000001", "PJSIP/6002-00000002"],
    outside: { shell: () => "" },
  });
  assert.deepEqual(ch.apps().slice(0, 4), [
    "NoOp(PJSIP/6001-00000001 PJSIP/6002-00000002|PJSIP/6002-00000002)", "TrySystem(touch /tmp/x)", "NoOp(APPERROR)", "System(touch /tmp/x)",
  ]);
  assert.ok(!ch.apps().includes("NoOp(never)"));
  const ran: string[] = [];
  const ok = await run("[test]\nexten => s,1,System(echo hi)\n same => n,NoOp(${SYSTEMSTATUS})\n", {}, { liveDangerously: true, outside: { shell: (c) => { ran.push(c); return ""; } } });
  assert.deepEqual(ran, ["echo hi"]);
  assert.ok(ok.apps().includes("NoOp(SUCCESS)"));
});

test("early media and refusals: Progress, Ringing, Playback noanswer/skip, Congestion, Answer(delay)", async () => {
  const early = await run("[test]\nexten => s,1,Progress()\n same => n,Ringing()\n same => n,Playback(closed,noanswer)\n same => n,Playback(skipped,skip)\n same => n,Congestion()\n", {}, {}, (c) => c.hangUpAt(5000));
  assert.deepEqual(early.events.filter((e) => !e.startsWith("exten") && !e.startsWith("app")), ["progress", "ringing", "congestion", "hangup 16"]);
  assert.deepEqual(early.played, ["closed"], "noanswer plays early media; skip plays nothing on an unanswered channel");
  const congested = await run("[test]\nexten => s,1,Congestion(2)\n");
  assert.equal(congested.context().hangupCause, 42);
  assert.equal(congested.elapsedMs(), 2000);
  const answered = await run("[test]\nexten => s,1,Answer(500)\n same => n,Answer(500)\n");
  assert.equal(answered.elapsedMs(), 500, "the delay applies only when Answer answers");
});

test("Background with a context and the m option", async () => {
  const plan = `
[test]
exten => s,1,Background(menu,m,,menu)
 same => n,NoOp(no match)
[menu]
exten => 2,1,NoOp(menu two in \${CONTEXT})
`;
  const two = await run(plan, {}, {}, (c) => c.press(200, "2"));
  assert.deepEqual(two.apps(), ["Background(menu,m,,menu)", "NoOp(menu two in menu)"]);
  const other = await run(plan, {}, {}, (c) => c.press(200, "5"));
  assert.deepEqual(other.apps(), ["Background(menu,m,,menu)", "NoOp(no match)"], "with m, a digit that is no one-digit extension does not stop it");
});

test("AMI/ARI reads and writes: variables and functions, dangerous ones refused without live_dangerously", async () => {
  const { evaluateForInterface, setForInterface } = await import("./executor.js");
  const plan = dp("[test]\nexten => s,1,NoOp()\n");
  const ch = new TestChannel({ vars: { FOO: "bar" } });
  const deps = testDeps({ outside: { shell: () => "secret" } });
  assert.equal(evaluateForInterface(ch, plan, deps, "${FOO}-${CALLERID(num)}"), "bar-6001");
  assert.equal(evaluateForInterface(ch, plan, deps, "${SHELL(id)}"), "");
  assert.ok(ch.logs.some((l) => l.message.includes("Dangerous function SHELL read blocked from AMI")));
  assert.equal(evaluateForInterface(ch, plan, { ...deps, liveDangerously: true }, "${SHELL(id)}", "ari"), "secret");
  setForInterface(ch, plan, deps, "CDR(userfield)", "from-ami");
  setForInterface(ch, plan, deps, "_X", "1");
  assert.equal(ch.context().userfield, "from-ami");
  assert.equal(ch.context().vars._X, "1");
});
