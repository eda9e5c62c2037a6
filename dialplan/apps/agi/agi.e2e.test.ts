/**
 * AGI end to end: a real `recall start`, sipp callers, and real AGI programs.
 * - a panoramisk FastAGI server (python3, a real AGI client library) drives a call
 *   through ANSWER, STREAM FILE, GET DATA (the caller's RFC 4733 digits 1 2 # from a
 *   sipp capture), SET/GET VARIABLE, GET FULL VARIABLE, DATABASE PUT/GET, EXEC, SAY
 *   DIGITS, CHANNEL STATUS, an unknown command and HANGUP; panoramisk's parse of each
 *   answer is checked;
 * - a local executable (a shell script the test writes) reads the agi_ environment on
 *   stdin and answers on stdout; a missing script is NOTFOUND;
 * - a FastAGI server that hangs, one that closes at once and a port nobody listens on:
 *   AGISTATUS=FAILURE and the dialplan goes on;
 * - AGI in the `h` extension of a call the caller hung up runs dead;
 * then the log holds every exchange as agi.command inputs (shown in a call's timeline)
 * and passes replay --verify.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, messages, startRecall, type RecallProcess } from "../../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../../interfaces/cli/paths.js";
import { callerCalleePjsip } from "../../../sip/call/test-phones.js";
import { startSipp, type SippResult } from "../../../sip/sipp/sipp.js";
import { uacCall } from "../../../sip/sipp/call-scenarios.js";
import { RtpStream } from "../../../sip/sipp/pcap.js";
import { canPlayPcap, pcapCaller } from "../../../sip/sipp/media-scenarios.js";
import { python3 } from "../../../core/python.js";
import { tempDir } from "../../../core/reap.js";

const run = promisify(execFile);
const skip = !canPlayPcap() ? "sipp needs root or CAP_NET_RAW to play a capture"
  : !existsSync("/usr/share/asterisk/sounds/en/hello-world.wav") ? "asterisk-core-sounds-en-wav is not installed" : false;

let recall: RecallProcess;
let server: ChildProcess;
let port: number;
/** What panoramisk parsed of an answer: `result` and `endpos` as [value, text in parentheses]. */
type Parsed = { result?: [string, string]; endpos?: [string, string]; status_code?: number; error?: string };
const reports: { route: string; results: Record<string, Parsed>; env: Record<string, string> }[] = [];
const tmp = tempDir("recall-agi-e2e-");

/** Waits (bounded) until the FastAGI server has reported on `route`. */
async function report(route: string, timeoutMs = 15_000) {
  for (let polls = Math.ceil(timeoutMs / 50); ; polls--) {
    const r = reports.find((x) => x.route === route);
    if (r) return r;
    if (polls <= 0) assert.fail(`the FastAGI server never reported on ${route}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

function sipp(scenario: string, mediaPort?: number) {
  return startSipp({ scenario, target: `127.0.0.1:${port}`, calls: 1, timeoutMs: 30_000, ...(mediaPort ? { extraArgs: ["-mp", String(mediaPort)] } : {}) });
}
const ok = (r: SippResult, who: string) => assert.equal(r.code, 0, `${who}: sipp exited ${r.code}\n${r.errors}\n${r.stderr}`);
const waitFor = (re: RegExp) => recall.waitFor(re, 15_000).catch(() => assert.fail(`no ${re} in:\n${messages(recall.dataDir).slice(-4000)}`));

before(async () => {
  if (skip) return;
  const [agiPort, closedPort, calleePort] = [await freePort(), await freePort(), await freePort()];
  port = await freePort();
  server = spawn(python3, [join(packageRoot, "dialplan", "apps", "agi", "fastagi_server.py"), String(agiPort)], { stdio: ["ignore", "pipe", "pipe"] });
  const killer = setTimeout(() => server.kill("SIGKILL"), 300_000);
  server.on("exit", () => clearTimeout(killer));
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`the FastAGI server did not start: ${out}`)), 20_000);
    server.stderr!.setEncoding("utf8").on("data", (d: string) => { out += d; });
    server.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      for (const line of d.split("\n")) if (line.startsWith("{")) reports.push(JSON.parse(line));
      if (out.includes("READY")) { clearTimeout(t); resolve(); }
    });
  });
  const script = join(tmp, "local.agi");
  writeFileSync(script, `#!/bin/sh
while read line; do
  [ -z "$line" ] && break
  case "$line" in agi_arg_1:*) ARG="\${line#agi_arg_1: }";; agi_channel:*) CHAN="\${line#agi_channel: }";; esac
done
echo "ANSWER"; read answered
echo "SET VARIABLE LOCALAGI \\"$ARG/$answered\\""; read set
echo "GET VARIABLE LOCALAGI"; read got
echo "VERBOSE \\"local script on $CHAN read: $got\\" 1"; read v
exit 0
`);
  chmodSync(script, 0o755);
  const agi = `agi://127.0.0.1:${agiPort}`;
  recall = await startRecall({
    "pjsip.conf": callerCalleePjsip(port, calleePort, { context: "agi", endpoint: "direct_media = no" }),
    "extensions.conf": `
[agi]
exten => 300,1,AGI(${agi}/ivr,first)
 same => n,Verbose(1,after ivr: never, AGI hung up)
exten => 301,1,Goto(deadtest,s,1)
exten => 304,1,AGI(${agi}/flow,${join(tmp, "agi-rec")})
 same => n,Verbose(1,after flow: never, SET PRIORITY moved on)
exten => 302,1,Answer()
 same => n,AGI(${script},hello)
 same => n,Verbose(1,local: \${AGISTATUS} \${LOCALAGI})
 same => n,AGI(nosuch-script.agi)
 same => n,Verbose(1,notfound: \${AGISTATUS})
 same => n,Hangup()
exten => 303,1,Answer()
 same => n,Set(AGITIMEOUT=2)
 same => n,AGI(${agi}/hangs)
 same => n,Verbose(1,hangs: \${AGISTATUS})
 same => n,AGI(${agi}/closes)
 same => n,Verbose(1,closes: \${AGISTATUS})
 same => n,AGI(agi://127.0.0.1:${closedPort}/x)
 same => n,Verbose(1,refused: \${AGISTATUS})
 same => n,Hangup()

[flownext]
exten => s,1,Verbose(1,never: SET PRIORITY 2)
 same => n,Verbose(1,flow went on: \${AGISTATUS} \${CALLERID(name)} \${CALLERID(num)})
 same => n,Hangup()

[deadtest]
exten => s,1,Answer()
 same => n,Set(NOTE=vip)
 same => n,Wait(10)
exten => h,1,AGI(${agi}/dead)
 same => n,Verbose(1,dead: \${AGISTATUS})
`,
  });
});

after(async () => {
  await recall?.stop();
  server?.kill("SIGTERM");
});

test("panoramisk's FastAGI server drives a call: every command answered as Asterisk answers, RFC 4733 digits reach GET DATA, HANGUP ends it", { skip }, async () => {
  // The digits come 2.5 s after the answer: after ANSWER, STREAM FILE hello-world and GET DATA's beep.
  const pcap = join(tmp, "digits.pcap");
  writeFileSync(pcap, new RtpStream().silence(2500).digits("12", 100, 200).silence(600).digit("#").silence(500).pcap());
  const caller = sipp(pcapCaller({ exten: "300", pcap }), await freePort());
  ok(await caller.done, "caller"); // Recall sends BYE after the program's HANGUP
  const r = await report("ivr");
  assert.equal(r.env.agi_network, "yes");
  assert.equal(r.env.agi_network_script, "ivr");
  assert.equal(r.env.agi_arg_1, "first");
  assert.equal(r.env.agi_extension, "300");
  assert.match(r.env.agi_channel, /^PJSIP\/caller-/);
  const result = (k: string) => r.results[k]?.result;
  assert.deepEqual(result("answer"), ["0", ""]);
  assert.equal(r.results.stream.status_code, 200);
  assert.deepEqual(result("stream")?.[0], "0");
  assert.ok(Number(r.results.stream.endpos?.[0]) > 4000, `endpos ${JSON.stringify(r.results.stream)}`);
  assert.deepEqual(result("getdata"), ["12", ""]);
  assert.deepEqual(result("setvar"), ["1", ""]);
  assert.deepEqual(result("getvar"), ["1", "12"]);
  assert.deepEqual(result("getfull"), ["1", "12-caller"]);
  assert.deepEqual(result("dbput"), ["1", ""]);
  assert.deepEqual(result("dbget"), ["1", "12"]);
  assert.deepEqual(result("exec"), ["0", ""]);
  assert.deepEqual(result("getexec"), ["1", "from-exec"]);
  assert.deepEqual(result("saydigits"), ["0", ""]);
  assert.deepEqual(result("status"), ["6", ""]);
  assert.equal(r.results.unknown.error, "AGIInvalidCommand");
  assert.deepEqual(result("hangup"), ["1", ""]);
  assert.doesNotMatch(messages(recall.dataDir), /after ivr: never/);
  assert.match(await recall.cli("database show agitest"), /\/agitest\/digits\s*: 12/);
});

test("panoramisk drives the rest of the command set: WAIT FOR DIGIT, GET OPTION, RECORD FILE (a WAV of the call), CONTROL STREAM FILE, SAY, SET MUSIC, SET CALLERID, SET CONTEXT/EXTENSION/PRIORITY", { skip }, async () => {
  const pcap = join(tmp, "flow.pcap");
  writeFileSync(pcap, new RtpStream().silence(1000).digit("1").silence(1400).digit("2").silence(1400).digit("#").silence(500).pcap());
  ok(await sipp(pcapCaller({ exten: "304", pcap }), await freePort()).done, "caller");
  const r = await report("flow");
  const result = (k: string) => r.results[k]?.result;
  assert.deepEqual(result("answer"), ["0", ""]);
  assert.deepEqual(result("waitdigit"), ["49", ""]);
  assert.deepEqual(result("getoption")?.[0], "50");
  assert.deepEqual(result("record"), ["35", "dtmf"]);
  assert.ok(Number(r.results.record.endpos?.[0]) > 4000, `endpos ${JSON.stringify(r.results.record)}`);
  assert.deepEqual(result("control")?.[0], "0");
  for (const k of ["saynumber", "sayalpha", "musicon", "musicoff", "noop", "context", "extension", "priority"]) assert.deepEqual(result(k), ["0", ""], k);
  assert.deepEqual(result("callerid"), ["1", ""]);
  assert.deepEqual(result("verbose"), ["1", ""]);
  await waitFor(/flow went on: SUCCESS AGI Caller 4242/);
  const log = messages(recall.dataDir);
  assert.doesNotMatch(log, /after flow: never|never: SET PRIORITY 2/);
  const wav = readFileSync(join(tmp, "agi-rec.wav"));
  assert.equal(wav.subarray(0, 4).toString(), "RIFF");
  assert.ok(wav.length > 44 + 8000, `${wav.length} bytes: about a second and a half of 8 kHz audio or more`);
});

test("a local executable gets the agi_ environment on stdin and answers on stdout; a missing one is NOTFOUND", { skip }, async () => {
  ok(await sipp(uacCall({ exten: "302" })).done, "caller");
  await waitFor(/local: SUCCESS hello\/200 result=0/);
  assert.match(messages(recall.dataDir), /local script on PJSIP\/caller-\S+ read: 200 result=1 \(hello\/200 result=0\)/);
  await waitFor(/notfound: NOTFOUND/);
});

test("a FastAGI server that hangs, one that closes at once, and none listening: AGISTATUS=FAILURE each time, the call goes on", { skip }, async () => {
  const started = Date.now();
  ok(await sipp(uacCall({ exten: "303" })).done, "caller");
  await waitFor(/refused: FAILURE/);
  const log = messages(recall.dataDir);
  assert.match(log, /hangs: FAILURE/);
  assert.match(log, /sent no command for 2 s/);
  assert.match(log, /closes: FAILURE/);
  assert.match(log, /closed the connection without sending a command/);
  assert.ok(Date.now() - started < 20_000, "the silent server is given up after AGITIMEOUT");
  await report("hangs");
  await report("closes");
});

test("AGI in the h extension of a call the caller hung up runs dead: variables and the database work, STREAM FILE answers 511", { skip }, async () => {
  ok(await sipp(uacCall({ exten: "301", holdMs: 1000 })).done, "caller");
  const r = await report("dead");
  assert.deepEqual(r.results.getvar.result, ["1", "vip"]);
  assert.deepEqual(r.results.dbput.result, ["1", ""]);
  assert.equal(r.results.stream.status_code, 511);
  assert.deepEqual(r.results.verbose.result, ["1", ""]);
  await waitFor(/dead: SUCCESS/);
  assert.match(await recall.cli("database show agitest"), /\/agitest\/dead\s*: vip/);
});

test("the console lists the AGI commands (agi show commands) and agi set debug on logs every line sent and received", { skip }, async () => {
  const list = await recall.cli("agi show commands");
  assert.match(list, /^ Dead {24}Command {3}Description$/m);
  assert.match(list, /^ {2}Yes {15}database deltree {3}Removes database keytree\/value$/m);
  assert.match(list, /^ {3}No {20}stream file {3}Sends audio file on channel\.$/m);
  assert.equal(list.trim().split("\n").length, 1 + 28);
  assert.match(await recall.cli("agi show commands get data"), /Usage: GET DATA <file to be streamed> \[timeout\] \[max digits\]/);
  assert.match(await recall.cli("agi set debug on"), /AGI Debugging Enabled/);
  ok(await sipp(uacCall({ exten: "302" })).done, "caller");
  await waitFor(/AGI Tx >> 200 result=1 \(hello\/200 result=0\)/);
  const log = messages(recall.dataDir);
  assert.match(log, /<PJSIP\/caller-\S+>AGI Tx >> agi_request: \S+local\.agi/);
  assert.match(log, /<PJSIP\/caller-\S+>AGI Rx << GET VARIABLE LOCALAGI/);
  assert.match(await recall.cli("agi set debug off"), /AGI Debugging Disabled/);
});

test("every AGI exchange is in the log as an agi.command input, and the log passes recall replay --verify", { skip }, async () => {
  const logDir = join(recall.dataDir, "log");
  const bytes = readdirSync(logDir).filter((f) => f.endsWith(".seg")).map((f) => readFileSync(join(logDir, f)).toString("latin1")).join("");
  for (const s of ["agi.command", "GET DATA beep 6000 4", "200 result=12", "DATABASE PUT agitest dead vip", "511 Command Not Permitted"]) {
    assert.ok(bytes.includes(s), `the log holds ${s}`);
  }
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
  // One call's timeline shows its AGI dialogue.
  const ivr = await report("ivr");
  const timeline = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--linkedid", ivr.env.agi_uniqueid]);
  assert.match(timeline.stdout, /agi:agi\.command {2}"GET DATA beep 6000 4" → 200 result=12 /);
  assert.match(timeline.stdout, /agi:agi\.command {2}"HANGUP" → 200 result=1 /);
});
