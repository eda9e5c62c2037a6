/**
 * MixMonitor/StopMixMonitor, AudioSocket, Echo and Dial's m option as the dialplan sees
 * them, on the executor's virtual-time test channel. The media itself is tested in
 * media-workers/ and end to end with sipp in sip/call/media-apps.e2e.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDialplan } from "../parser.js";
import { runDialplan, globalsFromDialplan, type DialplanDeps } from "../executor.js";
import { TestChannel, testDeps, type TestChannelOptions } from "../test-support.js";

async function run(text: string, options: TestChannelOptions = {}, deps: Partial<DialplanDeps> = {}, script?: (ch: TestChannel) => void) {
  const plan = parseDialplan(text).dialplan;
  const ch = new TestChannel(options);
  script?.(ch);
  await runDialplan(ch, plan, { context: "test", exten: "s", priority: 1 }, testDeps({ globals: globalsFromDialplan(plan), ...deps }));
  return ch;
}

const UUID = "0a1b2c3d-0000-4000-8000-00000000abcd";

test("MixMonitor: a relative name goes under the monitor directory, MIXMONITOR_FILENAME is the full path, options reach the channel", async () => {
  const ch = await run(`[test]
exten => s,1,MixMonitor(call-\${UNIQUEID}.wav,abr(in.sln)t(/tmp/out.wav)i(RECID))
 same => n,NoOp(\${MIXMONITOR_FILENAME} \${RECID})
 same => n,Wait(2)
 same => n,StopMixMonitor(\${RECID})
 same => n,StopMixMonitor()
 same => n,Hangup()
`);
  assert.deepEqual(ch.recordings.map(({ stoppedAtMs, ...r }) => [r, stoppedAtMs]), [[
    { file: "call-1704067200.1.wav", rxFile: "in.sln", txFile: "/tmp/out.wav", append: true, bridgedOnly: true, id: "MixMonitor-1" }, 2000,
  ]]);
  assert.ok(ch.apps().includes("NoOp(/var/spool/asterisk/monitor/call-1704067200.1.wav MixMonitor-1)"), ch.apps().join("\n"));
  assert.equal(ch.events.filter((e) => e.startsWith("stopmixmonitor")).length, 1, "the second StopMixMonitor finds nothing to stop");
  assert.deepEqual(ch.warnings(), []);
  assert.equal(ch.state(), "hungup");
  assert.notEqual(ch.events.indexOf("answer"), 0, "MixMonitor does not answer");
});

test("MixMonitor file names: no extension records raw slin, unsupported formats and missing names are warnings", async () => {
  const ch = await run(`[test]
exten => s,1,MixMonitor(plain)
 same => n,NoOp(\${MIXMONITOR_FILENAME})
 same => n,MixMonitor(call.gsm,r(only-rx.wav))
 same => n,NoOp([\${MIXMONITOR_FILENAME}])
 same => n,MixMonitor(,r())
 same => n,NoOp(not reached)
`);
  assert.deepEqual(ch.recordings.map((r) => [r.file, r.rxFile]), [["plain.raw", undefined], ["", "only-rx.wav"]]);
  assert.ok(ch.apps().includes("NoOp(/var/spool/asterisk/monitor/plain.raw)"));
  assert.ok(ch.apps().includes("NoOp([])"), "only r(): no mixed file, MIXMONITOR_FILENAME empty");
  assert.deepEqual(ch.warnings(), [
    "Cannot record the recording to 'call.gsm': Recall writes .wav, .sln and .raw files only",
    "No file name was provided for a file save option.",
    "MixMonitor requires an argument (filename)",
  ]);
  assert.ok(!ch.apps().includes("NoOp(not reached)"), "nothing to record: -1, the call ends");
});

test("MixMonitor without arguments ends the call; a channel that cannot record is a warning and the dialplan goes on", async () => {
  const none = await run("[test]\nexten => s,1,MixMonitor()\n same => n,NoOp(after)\n");
  assert.deepEqual(none.warnings(), ["MixMonitor requires an argument (filename or ,t(filename) and/or r(filename)"]);
  assert.ok(!none.apps().includes("NoOp(after)"));
  const cannot = await run("[test]\nexten => s,1,MixMonitor(x.wav)\n same => n,NoOp(after)\n", { mixMonitorFails: "no media" });
  assert.deepEqual(cannot.warnings(), ["Unable to add 'MixMonitor' spy to channel 'PJSIP/6001-00000001': no media"]);
  assert.ok(cannot.apps().includes("NoOp(after)"));
});

test("MixMonitor's command runs when the recording is over, only under live_dangerously; ^{X} is substituted", async () => {
  const plan = "[test]\nexten => s,1,Set(WHO=alice)\n same => n,MixMonitor(x.wav,,/usr/bin/notify ^{WHO} ${CHANNEL})\n same => n,Hangup()\n";
  const refused = await run(plan);
  assert.deepEqual(refused.warnings(), ["MixMonitor will not run '/usr/bin/notify alice PJSIP/6001-00000001' after the recording: set live_dangerously = yes to run shell commands"]);
  const ran: string[] = [];
  const allowed = await run(plan, {}, { liveDangerously: true, outside: { shell: (c) => { ran.push(c); return ""; } } });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(allowed.warnings(), []);
  assert.deepEqual(ran, ["/usr/bin/notify alice PJSIP/6001-00000001"]);
});

test("AudioSocket: the service hanging up returns to the dialplan; the channel must be answered", async () => {
  const ok = await run(`[test]\nexten => s,1,Answer()\n same => n,AudioSocket(${UUID},127.0.0.1:9092)\n same => n,NoOp(back)\n`);
  assert.ok(ok.events.includes(`audiosocket ${UUID} 127.0.0.1:9092`));
  assert.ok(ok.apps().includes("NoOp(back)"));
  assert.equal(ok.elapsedMs(), 1000);
  const unanswered = await run(`[test]\nexten => s,1,AudioSocket(${UUID},127.0.0.1:9092)\n same => n,NoOp(back)\n`);
  assert.deepEqual(unanswered.warnings(), ["Channel is not answered"]);
  assert.ok(!unanswered.apps().includes("NoOp(back)"));
  assert.ok(!unanswered.events.some((e) => e.startsWith("audiosocket")));
});

test("AudioSocket failures end the channel's dialplan as Asterisk's -1: bad uuid, bad address, unreachable service, a protocol error", async () => {
  const cases: [string, string[], TestChannelOptions?][] = [
    ["", ["UUID is required"]],
    ["not-a-uuid,127.0.0.1:9092", ["Failed to parse UUID 'not-a-uuid'"]],
    ["0a1b2c3d00004000800000000000abcd,127.0.0.1:9092", ["Failed to parse UUID '0a1b2c3d00004000800000000000abcd'"]],
    [`${UUID}`, ["No AudioSocket server provided"]],
    [`${UUID},localhost`, ["Failed to resolve AudioSocket service using 'localhost' - requires a valid hostname and port"]],
    [`${UUID},127.0.0.1:1`, ["Connect to '127.0.0.1:1' failed: connect ECONNREFUSED 127.0.0.1:1", "Failed to connect to AudioSocket service"],
      { onAudioSocket: () => ({ outcome: { status: "ERROR", connected: false, error: "connect ECONNREFUSED 127.0.0.1:1" }, ms: 0 }) }],
    [`${UUID},[::1]:9092`, ["Failed to receive frame from AudioSocket server '[::1]:9092' connected to channel 'PJSIP/6001-00000001': peer error 0001"],
      { onAudioSocket: () => ({ outcome: { status: "ERROR", connected: true, error: "peer error 0001" } }) }],
  ];
  for (const [args, warnings, options] of cases) {
    const ch = await run(`[test]\nexten => s,1,Answer()\n same => n,AudioSocket(${args})\n same => n,NoOp(back)\n`, options);
    assert.deepEqual(ch.warnings(), warnings, args);
    assert.ok(!ch.apps().includes("NoOp(back)"), args);
    assert.equal(ch.state(), "hungup");
  }
});

test("Echo answers, lasts until the caller presses #, and the dialplan goes on", async () => {
  const ch = await run("[test]\nexten => s,1,Echo()\n same => n,NoOp(echo done)\n", {}, {}, (c) => c.press(1500, "12#"));
  assert.deepEqual(ch.events.slice(2, 4), ["answer", "echo"]);
  assert.ok(ch.apps().includes("NoOp(echo done)"));
  assert.equal(ch.elapsedMs(), 1700);
  const gone = await run("[test]\nexten => s,1,Echo()\n same => n,NoOp(echo done)\n", {}, {}, (c) => c.hangUpAt(3000));
  assert.ok(!gone.apps().includes("NoOp(echo done)"));
  assert.equal(gone.elapsedMs(), 3000);
});

test("Dial m[(class)]: music on hold to the caller while the called party rings, stopped when Dial ends; no ringing", async () => {
  const ch = await run("[test]\nexten => s,1,Dial(PJSIP/6002,20,m(jazz)r)\n same => n,Dial(PJSIP/6002,20,m)\n", {
    onDial: async (_r, c) => { await c.pass(3000); return { status: "NOANSWER" }; },
  });
  assert.deepEqual(ch.events.filter((e) => /moh|ringing|progress/.test(e)), ["progress", "moh-start jazz", "moh-stop", "progress", "moh-start default", "moh-stop"]);
  assert.deepEqual(ch.dials.map((d) => d.options.m), ["jazz", ""]);
});
