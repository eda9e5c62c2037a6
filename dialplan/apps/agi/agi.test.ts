/**
 * AGI as the dialplan sees it, on the executor's virtual-time test channel, with a
 * scripted AGI program in place of a FastAGI server (the real ones, panoramisk and a
 * local script, are driven end to end in agi.e2e.test.ts): the environment, each
 * command's answer in res_agi's words, the exchange logged per command, AGISTATUS for
 * a program that fails, goes silent or closes early, and dead mode after hang-up.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDialplan } from "../../parser.js";
import { runDialplan, globalsFromDialplan } from "../../executor.js";
import { TestChannel, testDeps, type TestChannelOptions } from "../../test-support.js";
import { MemoryAstDb } from "../../astdb.js";
import { parseCommandLine, parseFastAgiUrl } from "./protocol.js";
import type { AgiLink, AgiOpen, AgiRead, AgiServices } from "./services.js";

/** What a scripted program can do: read the environment, send a command and get its answer. */
interface Program {
  readonly env: Record<string, string>;
  command(line: string): Promise<string>;
  /** Lines the channel sent unasked (HANGUP). */
  readonly unasked: string[];
}

/**
 * A link to a program written as an async function, modelled as a byte stream: what the
 * channel sends queues up and each command reads the next line, so a HANGUP sent unasked
 * is what the program's next command reads, as on a socket. `run`'s result is how it
 * leaves (closed by default).
 */
function scripted(run: (p: Program) => Promise<AgiRead | void>, options: { silentMs?: number } = {}) {
  const toProgram: string[] = [];
  let reader: (() => void) | undefined;
  const commands: AgiRead[] = [];
  let wake: (() => void) | undefined;
  let envText = "";
  const unasked: string[] = [];
  const deliver = (line: string) => { toProgram.push(line); const r = reader; reader = undefined; r?.(); };
  const program: Program = {
    get env() { return Object.fromEntries(envText.trim().split("\n").map((l) => l.split(": ") as [string, string])); },
    unasked,
    async command(line) {
      commands.push({ kind: "line", text: line });
      wake?.();
      while (toProgram.length === 0) await new Promise<void>((r) => { reader = r; });
      return toProgram.shift()!;
    },
  };
  let started = false;
  const link: AgiLink = {
    send(text) {
      if (!started) { envText = text; started = true; void run(program).then((end) => { commands.push(end ?? { kind: "closed" }); wake?.(); }); return; }
      deliver(text.replace(/\n$/, ""));
    },
    async next(idleMs) {
      for (;;) {
        const c = commands.shift();
        if (c) return c;
        const waited = await new Promise<boolean>((r) => {
          wake = () => r(true);
          if (options.silentMs !== undefined && idleMs > 0) setTimeout(() => r(false), 5);
        });
        wake = undefined;
        if (!waited) return { kind: "timeout" };
      }
    },
    hangup() { unasked.push("HANGUP"); deliver("HANGUP"); },
    close() { /* nothing to free */ },
  };
  return link;
}

function services(open: (request: string) => AgiOpen, log: string[][]): AgiServices {
  return {
    version: "test",
    connect: async (host, port) => open(`agi://${host}:${port}`),
    spawn: async (script) => open(script),
    record: (id, command, result) => { log.push([id, command, result]); },
  };
}

async function run(plan: string, link: AgiLink | ((request: string) => AgiOpen), options: TestChannelOptions = {}, script?: (ch: TestChannel) => void) {
  const dp = parseDialplan(plan).dialplan;
  const ch = new TestChannel(options);
  script?.(ch);
  const log: string[][] = [];
  const requests: string[] = [];
  const open = typeof link === "function" ? link : (request: string): AgiOpen => { requests.push(request); return { kind: "open", link }; };
  const astdb = new MemoryAstDb();
  await runDialplan(ch, dp, { context: "test", exten: "s", priority: 1 }, testDeps({ globals: globalsFromDialplan(dp), astdb, agi: services(open, log) }));
  return { ch, log, requests, astdb };
}


test("command lines split as res_agi splits them: quotes group, \"\" is an empty word, backslash escapes", () => {
  assert.deepEqual(parseCommandLine('STREAM FILE hello-world ""'), ["STREAM", "FILE", "hello-world", ""]);
  assert.deepEqual(parseCommandLine('SET VARIABLE greeting "hello there"'), ["SET", "VARIABLE", "greeting", "hello there"]);
  assert.deepEqual(parseCommandLine('VERBOSE "say \\"hi\\"" 1'), ["VERBOSE", 'say "hi"', "1"]);
  assert.deepEqual(parseCommandLine("  NOOP\t  x "), ["NOOP", "x"]);
  assert.deepEqual(parseFastAgiUrl("agi://127.0.0.1/ivr/main?x=1"), { host: "127.0.0.1", port: 4573, script: "ivr/main?x=1" });
  assert.deepEqual(parseFastAgiUrl("agi://[::1]:4600"), { host: "::1", port: 4600, script: "" });
  assert.equal(parseFastAgiUrl("agi://host:99999/x"), undefined);
});

test("a FastAGI session: environment, ANSWER, variables, DATABASE, EXEC, STREAM FILE, GET DATA, SAY, WAIT FOR DIGIT, each answered as Asterisk does and logged", async () => {
  const answers: string[] = [];
  let env: Record<string, string> = {};
  const link = scripted(async (p) => {
    env = p.env;
    for (const line of [
      "ANSWER", "CHANNEL STATUS", "SET VARIABLE greeting \"hello there\"", "GET VARIABLE greeting", "GET VARIABLE nosuch",
      "GET FULL VARIABLE \"${greeting} from ${CALLERID(num)}\"", "GET VARIABLE CALLERID(num)",
      "DATABASE PUT cust 6001 gold", "DATABASE GET cust 6001", "DATABASE GET cust 9999", "DATABASE DEL cust 6001", "DATABASE DEL cust 6001",
      "DATABASE PUT a/b c 1", "DATABASE DELTREE a", "DATABASE DELTREE a",
      "EXEC Set \"fromexec=yes\"", "EXEC NoSuchApp x", "STREAM FILE hello-world \"\"", "STREAM FILE nosuchfile \"\"",
      "STREAM FILE demo-congrats 0123456789#", "GET DATA beep 3000 4", "GET DATA beep 2000 4", "SAY DIGITS 12 \"\"", "SAY NUMBER x \"\"",
      "WAIT FOR DIGIT 1500", "WAIT FOR DIGIT 500", "SET CALLERID \"\\\"Bob\\\" <555-1234>\"", "VERBOSE \"hi there\" 1", "NOOP",
      "FOO BAR", "GET", "SET PRIORITY done",
    ]) answers.push(await p.command(line));
  });
  const { ch, log, requests } = await run(`[test]
exten => s,1,Set(AGITIMEOUT=5)
 same => n,AGI(agi://127.0.0.1:4600/ivr,one,two)
 same => n,Verbose(1,not here: SET PRIORITY moved on)
 same => n(done),Verbose(1,AGISTATUS=\${AGISTATUS} fromexec=\${fromexec})
`, link, { fileMs: { "hello-world": 1000, nosuchfile: -1, "demo-congrats": 3000, beep: 200 } }, (c) => c.press(2500, "5").press(4000, "42#").press(6500, "7").press(9000, "9").press(11000, "3"));
  assert.deepEqual(requests, ["agi://127.0.0.1:4600"]);
  assert.equal(env.agi_network, "yes");
  assert.equal(env.agi_network_script, "ivr");
  assert.equal(env.agi_request, "agi://127.0.0.1:4600/ivr");
  assert.equal(env.agi_channel, "PJSIP/6001-00000001");
  assert.equal(env.agi_callerid, "6001");
  assert.equal(env.agi_calleridname, "Alice");
  assert.equal(env.agi_context, "test");
  assert.equal(env.agi_extension, "s");
  assert.equal(env.agi_priority, "2");
  assert.equal(env.agi_arg_1, "one");
  assert.equal(env.agi_arg_2, "two");
  assert.equal(env.agi_enhanced, "0.0");
  assert.deepEqual(answers, [
    "200 result=0", "200 result=6", "200 result=1", "200 result=1 (hello there)", "200 result=0",
    "200 result=1 (hello there from 6001)", "200 result=1 (6001)",
    "200 result=1", "200 result=1 (gold)", "200 result=0", "200 result=1", "200 result=0",
    "200 result=1", "200 result=1", "200 result=0",
    "200 result=0", "200 result=-2", "200 result=0 endpos=8000", "200 result=-1 endpos=0",
    // demo-congrats starts at 1 s; the 5 pressed at 2.5 s stops it 1.5 s in.
    "200 result=53 endpos=12000",
    // GET DATA: 4, 2, # at 4.0-4.2 s; then nothing until 6.5 s: 2 s timeout with no digit.
    "200 result=42", "200 result= (timeout)",
    "200 result=0", `520-Invalid command syntax.  Proper usage follows:\n${" Usage: SAY NUMBER <number> <escape digits> [gender]\n\tSay a given number, returning early if any of the given DTMF digits\n are received on the channel."}\n520 End of proper usage.`,
    // The 7 pressed during SAY DIGITS (no escape digits) is dropped, as res_agi drops it; the 9 comes during WAIT FOR DIGIT.
    "200 result=57", "200 result=0", "200 result=1", "200 result=1", "200 result=0",
    "510 Invalid or unknown command", "510 Invalid or unknown command", "200 result=0",
  ]);
  assert.equal(log.length, answers.length, "every exchange is logged");
  assert.deepEqual(log[3], [ch.id, "GET VARIABLE greeting", "200 result=1 (hello there)"]);
  assert.ok(ch.apps().includes("Verbose(1,AGISTATUS=SUCCESS fromexec=yes)"), ch.apps().join("\n"));
  assert.ok(!ch.apps().some((a) => a.startsWith("Verbose(1,not here")), "SET PRIORITY done continued at the label");
  assert.deepEqual(ch.context().callerId, { num: "5551234", name: "Bob" });
  assert.ok(ch.played.includes("digits/1") && ch.played.includes("digits/2"));
  const apps = ch.apps();
  const exec = apps.indexOf("Set(fromexec=yes)");
  assert.ok(exec > 0 && apps[exec + 1] === "AGI(agi://127.0.0.1:4600/ivr,one,two)", `after EXEC the channel is in AGI again: ${apps.join(", ")}`);
  assert.ok(ch.logs.some((l) => l.level === "VERBOSE" && l.message === "agi://127.0.0.1:4600/ivr,one,two: hi there"), "VERBOSE prints the AGI data, then the message");
});

test("HANGUP from the program: the channel hangs up, the program reads HANGUP before its next answer, then 511 for what needs a live channel; AGISTATUS=HANGUP ends the dialplan", async () => {
  const answers: string[] = [];
  const link = scripted(async (p) => {
    answers.push(await p.command("HANGUP"));
    answers.push(await p.command("STREAM FILE beep \"\""));
    answers.push(await p.command("SET VARIABLE after hangup"));
    answers.push(await p.command("DATABASE PUT f k v"));
  });
  const { ch, astdb, log } = await run(`[test]
exten => s,1,AGI(agi://127.0.0.1/x)
 same => n,Verbose(1,never)
exten => h,1,Verbose(1,h: \${AGISTATUS} \${after})
`, link);
  // As on a socket: the unasked HANGUP line is what the program reads next, then each answer one command late.
  assert.deepEqual(answers, ["200 result=1", "HANGUP", "511 Command Not Permitted on a dead channel or intercept routine", "200 result=1"]);
  assert.deepEqual(log.map((l) => l[2]), ["200 result=1", "511 Command Not Permitted on a dead channel or intercept routine", "200 result=1", "200 result=1"]);
  assert.equal(astdb.get("f", "k"), "v", "DATABASE PUT is allowed on a dead channel");
  assert.ok(!ch.apps().includes("Verbose(1,never)"));
  assert.ok(ch.apps().includes("Verbose(1,h: HANGUP hangup)"), ch.apps().join("\n"));
});

test("AGI in the h extension runs dead: the program is not told of a hang-up, allowed commands run, others answer 511; DeadAGI warns and does the same", async () => {
  for (const app of ["AGI", "DeadAGI"]) {
    const answers: string[] = [];
    const link = scripted(async (p) => {
      answers.push(await p.command("GET VARIABLE CDRNOTE"));
      answers.push(await p.command("DATABASE PUT calls last ${CDRNOTE}"));
      answers.push(await p.command("ANSWER"));
      answers.push(await p.command("VERBOSE done"));
    });
    const { ch, astdb } = await run(`[test]
exten => s,1,Set(CDRNOTE=vip)
 same => n,Hangup()
exten => h,1,${app}(agi://127.0.0.1/after)
 same => n,Verbose(1,h went on: \${AGISTATUS})
`, link);
    assert.deepEqual(answers, ["200 result=1 (vip)", "200 result=1", "511 Command Not Permitted on a dead channel or intercept routine", "200 result=1"]);
    assert.equal(astdb.get("calls", "last"), "${CDRNOTE}", "AGI does not substitute its arguments");
    assert.ok(ch.apps().includes("Verbose(1,h went on: SUCCESS)"), ch.apps().join("\n"));
    assert.equal(ch.warnings().some((w) => /DeadAGI has been deprecated/.test(w)), app === "DeadAGI");
  }
});

test("a program that cannot be reached, is not there, goes silent, closes at once or exits non-zero: AGISTATUS says so and the dialplan goes on", async () => {
  const plan = (target: string) => `[test]
exten => s,1,Set(AGITIMEOUT=2)
 same => n,AGI(${target})
 same => n,Verbose(1,went on: \${AGISTATUS})
`;
  const cases: [string, AgiLink | ((r: string) => AgiOpen), string, RegExp][] = [
    ["agi://127.0.0.1:1/x", () => ({ kind: "failed", message: "connect to 127.0.0.1:1: ECONNREFUSED" }), "FAILURE", /ECONNREFUSED/],
    ["nosuch.agi", () => ({ kind: "notfound", message: "File /x/nosuch.agi does not exist." }), "NOTFOUND", /Failed to execute 'nosuch.agi'/],
    ["agi://127.0.0.1/hangs", scripted(() => new Promise<AgiRead>(() => undefined), { silentMs: 2000 }), "FAILURE", /sent no command for 2 s/],
    ["agi://127.0.0.1/closes", scripted(async () => ({ kind: "closed" })), "FAILURE", /closed the connection without sending a command/],
    ["local.agi", scripted(async (p) => { await p.command("NOOP"); return { kind: "closed", exitCode: 3 }; }), "FAILURE", /exited with status 3/],
    ["quiet.agi", scripted(async () => ({ kind: "closed", exitCode: 0 })), "SUCCESS", /^$/],
    ["https://example/x", scripted(async () => undefined), "FAILURE", /scheme not supported/],
  ];
  for (const [target, link, status, warning] of cases) {
    const { ch } = await run(plan(target), link);
    assert.ok(ch.apps().includes(`Verbose(1,went on: ${status})`), `${target}: ${ch.apps().join("\n")}`);
    assert.match(ch.warnings().join("\n"), warning, target);
  }
});

test("the channel hanging up during a command: it answers -1, the program is sent HANGUP and may go on dead; AGIEXITONHANGUP=yes ends the session at once", async () => {
  for (const exit of [false, true]) {
    const answers: string[] = [];
    const link = scripted(async (p) => {
      answers.push(await p.command("ANSWER"));
      answers.push(await p.command("WAIT FOR DIGIT -1"));
      answers.push(await p.command("NOOP"));
      answers.push(await p.command("NOOP"));
    });
    const { ch, log } = await run(`[test]
exten => s,1,Set(AGIEXITONHANGUP=${exit ? "yes" : ""})
 same => n,AGI(agi://127.0.0.1/x)
exten => h,1,Verbose(1,\${AGISTATUS})
`, link, {}, (c) => c.hangUpAt(3000));
    if (exit) {
      assert.deepEqual(log.map((l) => l[2]), ["200 result=0", "200 result=-1"]);
    } else {
      assert.deepEqual(answers, ["200 result=0", "200 result=-1", "HANGUP", "200 result=0"]);
      assert.deepEqual(log.map((l) => l[2]), ["200 result=0", "200 result=-1", "200 result=0", "200 result=0"]);
    }
    assert.ok(ch.apps().includes("Verbose(1,HANGUP)"), ch.apps().join("\n"));
  }
});

test("RECORD FILE, CONTROL STREAM FILE, GET OPTION, SAY NUMBER/ALPHA, SET MUSIC and SET CONTEXT/EXTENSION/PRIORITY answer as res_agi does; the dialplan goes on where the program said", async () => {
  const answers: string[] = [];
  const link = scripted(async (p) => {
    for (const line of [
      "RECORD FILE /tmp/msg wav # 3000 BEEP", "RECORD FILE /tmp/msg2 gsm # 1000", 'RECORD FILE msg3 wav "" 1000',
      "CONTROL STREAM FILE demo-congrats 5", "GET OPTION beep 12 2000", 'SAY NUMBER 342 ""', 'SAY ALPHA ab ""',
      "SET MUSIC on jazz", "SET MUSIC off", "SET CONTEXT other", "SET EXTENSION 55", "SET PRIORITY nolabel", "SET PRIORITY 2",
    ]) answers.push(await p.command(line));
  });
  const { ch } = await run(`[test]
exten => s,1,AGI(agi://127.0.0.1/flow)
 same => n,Verbose(1,not here)
[other]
exten => 55,1,Verbose(1,not here either)
 same => n,Verbose(1,other 55 2: \${CPLAYBACKSTATUS} \${CPLAYBACKOFFSET} \${CPLAYBACKSTOPKEY})
`, link, { fileMs: { beep: 200, "demo-congrats": 3000 } }, (c) => c.press(700, "5").press(1200, "#").press(3200, "5").press(3600, "7").press(3900, "2"));
  assert.deepEqual(answers.slice(0, 11), [
    // beep 0-200 ms, recording from 200 ms; the 5 at 700 ms is not an escape digit, the # at 1200 ms is.
    "200 result=35 (dtmf) endpos=8000", "200 result=-1 (writefile)", "200 result=0 (timeout) endpos=8000",
    // demo-congrats from 2200 ms, stopped by the 5 at 3200 ms: 1000 ms in.
    "200 result=53 endpos=1000",
    // beep 3200-3400 ms, then the 7 (not an option) and the 2 at 3900 ms.
    "200 result=50 endpos=1600",
    "200 result=0", "200 result=0", "200 result=0", "200 result=0", "200 result=0", "200 result=0",
  ]);
  assert.match(answers[11], /^520-Invalid command syntax/);
  assert.equal(answers[12], "200 result=0");
  assert.deepEqual(ch.recordings.map((r) => [r.file, r.stoppedAtMs]), [["/tmp/msg.wav", 1200], ["msg3.wav", 2200]]);
  assert.deepEqual(ch.played.slice(0, 3), ["beep", "demo-congrats", "beep"]);
  assert.deepEqual(ch.played.slice(3), ["digits/3", "digits/hundred", "digits/40", "digits/2", "letters/a", "letters/b"]);
  assert.ok(ch.events.includes("moh-start jazz") && ch.events.includes("moh-stop"));
  assert.ok(ch.apps().includes("Verbose(1,other 55 2: USERSTOPPED 1000 5)"), ch.apps().join("\n"));
  assert.ok(!ch.apps().some((a) => a.includes("not here")));
});

test("SET AUTOHANGUP: at its time the command waiting answers -1, the program is sent HANGUP and the dialplan takes the absolute timeout (T)", async () => {
  const answers: string[] = [];
  const link = scripted(async (p) => {
    answers.push(await p.command("ANSWER"));
    answers.push(await p.command("SET AUTOHANGUP 2"));
    answers.push(await p.command("WAIT FOR DIGIT -1"));
    answers.push(await p.command("NOOP"));
  });
  const { ch } = await run(`[test]
exten => s,1,AGI(agi://127.0.0.1/x)
exten => T,1,Verbose(1,T after \${EPOCH}: \${AGISTATUS})
`, link);
  assert.deepEqual(answers, ["200 result=0", "200 result=0", "200 result=-1", "HANGUP"]);
  assert.ok(ch.apps().includes("Verbose(1,T after 1704067202: HANGUP)"), ch.apps().join("\n"));
});

test("EAGI runs a local program with agi_enhanced 1.0 and refuses FastAGI; AGI() without a program ends the dialplan", async () => {
  let env: Record<string, string> = {};
  const link = scripted(async (p) => { env = p.env; });
  const { ch } = await run(`[test]
exten => s,1,EAGI(ivr.eagi)
 same => n,Verbose(1,local \${AGISTATUS})
 same => n,EAGI(agi://127.0.0.1/x)
 same => n,Verbose(1,fast \${AGISTATUS})
 same => n,AGI()
 same => n,Verbose(1,not here)
`, link);
  assert.equal(env.agi_enhanced, "1.0");
  assert.equal(env.agi_request, "ivr.eagi");
  assert.equal(env.agi_network, undefined);
  assert.ok(ch.apps().includes("Verbose(1,local SUCCESS)") && ch.apps().includes("Verbose(1,fast FAILURE)"), ch.apps().join("\n"));
  assert.match(ch.warnings().join("\n"), /EAGI cannot run over FastAGI/);
  assert.ok(!ch.apps().includes("Verbose(1,not here)"));
});
