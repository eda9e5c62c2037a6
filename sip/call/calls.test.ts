/**
 * The SIP call layer with real sipp peers on 127.0.0.1 and a scripted dialplan (the
 * `runDialplan` seam): INVITE → channel → Dial → outbound INVITE → bridge, and each
 * way a call ends. The full dialplan runs in the end-to-end tests (calls.e2e.test.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { SystemClock } from "../../core/clock.js";
import { SystemRandom } from "../../core/random.js";
import { MemoryLogger } from "../../core/logger.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import type { EventRecord } from "../../events/record.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import { verifyLog } from "../../actors/replay.js";
import { CommandTable } from "../../core/commands.js";
import { freePort } from "../../interfaces/cli/recall-process.js";
import { SipServer } from "../server.js";
import { runSipp, startSipp } from "../sipp/sipp.js";
import { uacCall, uasCall } from "../sipp/call-scenarios.js";
import type { Channel } from "../../calls/channel.js";
import { CallMedia } from "../../calls/media.js";
import { OriginateReason, type OriginateRequest } from "../../calls/originate.js";
import { sdpDescriptions } from "../sdp/index.js";
import { tosProbe } from "../../media-workers/tos-probe.js";
import { MediaService } from "../../media-workers/index.js";
import { tempDir } from "../../core/reap.js";

let server: SipServer;
let media: MediaService;
let log: SegmentLog;
let runtime: ActorRuntime;
let port: number, uasPort: number;
const table = new CommandTable();
const outcomes: Record<string, string>[] = [];

/**
 * exten 1xx: Dial(PJSIP/uas,2); 200: Answer, wait for 2 digits, hang up 16; 486: Busy;
 * 300: Dial(Local/100@test); 301: Dial(Local/100@test/n); 700: Playback(hello-world);
 * 900 (where originated channels go): note the channel, wait 200 ms, hang up.
 */
async function script(channel: Channel, start: { exten: string }): Promise<void> {
  const { exten } = start;
  if (exten === "900") {
    const ctx = channel.context();
    outcomes.push({ exten, channel: channel.name, state: channel.state(), cid: `${ctx.callerId.name} <${ctx.callerId.num}>`, foo: ctx.vars.FOO ?? "" });
    await channel.sleep(200);
    channel.hangup(16);
    return;
  }
  if (exten === "200") {
    await channel.answer();
    const digits = [await channel.readDigit(5000), await channel.readDigit(5000)];
    outcomes.push({ exten, digits: digits.join("") });
    channel.hangup(16);
    return;
  }
  if (exten === "486") { channel.busy(); return; }
  if (exten === "700") {
    const r = await channel.play(["hello-world"]);
    outcomes.push({ exten, status: r.status });
    channel.hangup(16);
    return;
  }
  const dialstring = exten === "300" ? "Local/100@test" : exten === "301" ? "Local/100@test/n" : exten === "555" ? "PJSIP/555@trunk" : "PJSIP/uas";
  channel.appStart("Dial", `${dialstring},2`);
  const options: Record<string, string> = exten === "110" ? { L: "500" } : {};
  const r = await channel.dial({ targets: [{ dialstring }], timeout: exten.startsWith("3") ? 5 : 2, options });
  outcomes.push({ exten, status: r.status, peer: r.peerName ?? "" });
  channel.setVariable("DIALSTATUS", r.status);
  channel.appEnd("Dial");
  if (!channel.hungUp) channel.hangup(16);
}

before(async () => {
  port = await freePort();
  uasPort = await freePort();
  const dir = tempDir("recall-calls-");
  writeFileSync(join(dir, "pjsip.conf"), `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}
[caller]
type = endpoint
context = test
tos_audio = ef
cos_audio = 3
[caller]
type = identify
endpoint = caller
match = 127.0.0.1
[uas]
type = endpoint
context = test
aors = uas
[uas]
type = aor
contact = sip:uas@127.0.0.1:${uasPort}
[trunk]
type = endpoint
context = test
aors = trunk
outbound_auth = trunk-auth
from_user = recall-account
[trunk]
type = aor
contact = sip:provider@127.0.0.1:${uasPort}
[trunk-auth]
type = auth
auth_type = userpass
username = trunk-user
password = trunk-secret
`);
  log = await SegmentLog.open(join(dir, "log"), { notice: () => undefined });
  const clock = new SystemClock(), random = new SystemRandom();
  runtime = new ActorRuntime({ log, clock, random, kinds: actorKinds });
  media = await MediaService.start({ workers: 1 });
  server = await SipServer.start({
    configDir: dir, runtime, clock, random, logger: new MemoryLogger(), nonceSecret: "s", console: table, userAgent: "Recall test",
    calls: {
      runDialplan: (channel, start) => script(channel, start),
      media: new CallMedia(media, { moh: "/usr/share/asterisk/moh", descriptions: sdpDescriptions }),
      // Originate's Application=: Playback only, enough to hear that the originated leg has media.
      runApplication: async (channel, application, data) => {
        const r = await channel.play([data]);
        outcomes.push({ application, data, channel: channel.name, status: r.status });
      },
    },
    extensionPresence: (_context, exten) => (exten === "nowhere" ? "none" : "exists"),
  });
});

after(async () => {
  await server.stop();
  await media.stop();
  await runtime.settle();
  await log.close();
});

async function call(exten: string, uas: Parameters<typeof uasCall>[0] | null, uac: Partial<Parameters<typeof uacCall>[0]> = {}) {
  const callee = uas ? startSipp({ scenario: uasCall(uas), localPort: uasPort, calls: 1, timeoutMs: 20_000 }) : null;
  const caller = await runSipp({ scenario: uacCall({ exten, ...uac }), target: `127.0.0.1:${port}`, calls: 1, timeoutMs: 20_000 });
  const called = callee ? await callee.done : null;
  return { caller, called };
}

async function records(): Promise<EventRecord[]> {
  await runtime.settle();
  const out: EventRecord[] = [];
  for await (const b of log.read(0)) out.push(...b);
  return out;
}

test("answered: the caller's INVITE is dialled out, answered, bridged, and the caller's BYE ends both legs", async () => {
  const { caller, called } = await call("100", { status: 200, ringMs: 100 }, { holdMs: 300 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called!.code, 0, called!.errors);
  assert.deepEqual(outcomes.at(-1), { exten: "100", status: "ANSWER", peer: outcomes.at(-1)!.peer });
  assert.match(outcomes.at(-1)!.peer, /^PJSIP\/uas-[0-9a-f]{8}$/);
  const rs = await records();
  const types = rs.filter((r) => r.kind === "bridge").map((r) => r.input.type);
  assert.deepEqual(types, ["create", "enter", "enter", "leave", "leave", "destroy"]);
  assert.equal(server.calls!.core.list().length, 0, "every channel is released");
});

test("busy callee: 486 becomes USER_BUSY on the called channel and DIALSTATUS BUSY; the caller is hung up", async () => {
  const { caller, called } = await call("101", { status: 486 }, { expect: 603 });
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(outcomes.at(-1)!.status, "BUSY");
  const rs = await records();
  const hangups = rs.filter((r) => r.input.type === "hangup").slice(-2).map((r) => (r.state.context as { hangupCause: number }).hangupCause);
  assert.deepEqual(hangups, [17, 16]);
});

test("no answer: the callee is cancelled at the timeout and DIALSTATUS is NOANSWER", async () => {
  const { caller, called } = await call("102", {}, { expect: 603 });
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(outcomes.at(-1)!.status, "NOANSWER");
});

test("caller cancels while the callee rings: the callee gets CANCEL and DIALSTATUS is CANCEL", async () => {
  const { caller, called } = await call("103", {}, { cancelAfterMs: 500 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(outcomes.at(-1)!.status, "CANCEL");
});

test("callee declines (603) and an unreachable callee: CHANUNAVAIL, the caller gets a failure", async () => {
  const { caller, called } = await call("104", { status: 603 }, { expect: 603 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(outcomes.at(-1)!.status, "CHANUNAVAIL");
});

test("DTMF by SIP INFO reaches the dialplan; Busy() answers 486", async () => {
  const { caller } = await call("200", null, { dtmf: "42" });
  assert.equal(caller.code, 0, caller.errors);
  assert.deepEqual(outcomes.at(-1), { exten: "200", digits: "42" });
  const busy = await call("486", null, { expect: 486 });
  assert.equal(busy.caller.code, 0, busy.caller.errors);
});

test("Local channel: ;2 runs the dialplan and dials the phone; once both halves are bridged the pair optimises itself away", async () => {
  const before = (await records()).length;
  const { caller, called } = await call("300", { status: 200, ringMs: 100 }, { holdMs: 800 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called!.code, 0, called!.errors);
  const rs = (await records()).slice(before);
  const names = [...new Set(rs.filter((r) => r.kind === "channel").map((r) => (r.state.context as { name: string }).name))];
  assert.equal(names.length, 4, names.join(", "));
  assert.ok(names.some((n) => /^Local\/100@test-[0-9a-f]{8};1$/.test(n)) && names.some((n) => /;2$/.test(n)), names.join(", "));
  const optimized = rs.filter((r) => r.input.type === "local.optimize");
  assert.equal(optimized.length, 1);
  // The phone ends up in the caller's bridge: its last bridge.enter names the caller as peer.
  const callerId = rs.find((r) => r.input.type === "create" && (r.state.context as { name: string }).name.startsWith("PJSIP/caller"))!.stream;
  const uasEnters = rs.filter((r) => r.input.type === "bridge.enter" && (r.state.context as { name: string }).name.startsWith("PJSIP/uas"));
  assert.equal(uasEnters.at(-1)!.input.peer, callerId);
  assert.equal(outcomes.at(-1)!.status, "ANSWER");
  assert.equal(server.calls!.core.list().length, 0);
});

test("Local channel with /n stays in the path: two bridges, no optimisation", async () => {
  const before = (await records()).length;
  const { caller, called } = await call("301", { status: 200, ringMs: 100 }, { holdMs: 500 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(called!.code, 0, called!.errors);
  const rs = (await records()).slice(before);
  assert.equal(rs.filter((r) => r.input.type === "local.optimize").length, 0);
  assert.equal(rs.filter((r) => r.kind === "bridge" && r.input.type === "create").length, 2);
  assert.equal(server.calls!.core.list().length, 0);
});

test("a trunk call: PJSIP/555@trunk goes to the trunk's contact with 555 as user, the 401 is answered with outbound_auth", async () => {
  const { caller, called } = await call("555", { status: 200, challengeUser: "trunk-user" }, { holdMs: 200 });
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(outcomes.at(-1)!.status, "ANSWER");
});

test("Dial option L(500): the called party is hung up after 500 ms and the caller goes on in the dialplan", async () => {
  const started = performance.now();
  const { caller, called } = await call("110", { status: 200 }, {});
  assert.equal(called!.code, 0, called!.errors);
  assert.equal(caller.code, 0, caller.errors);
  assert.equal(outcomes.at(-1)!.status, "ANSWER");
  assert.ok(performance.now() - started < 5000);
});

test("Playback sends the core sound as RTP to the caller: paced 20 ms packets of 160 µ-law bytes, then BYE", async () => {
  const rtp = createSocket("udp4");
  await new Promise<void>((r) => rtp.bind(0, "127.0.0.1", () => r()));
  const packets: Buffer[] = [];
  rtp.on("message", (m) => packets.push(m));
  try {
    const { caller } = await call("700", null, { mediaPort: rtp.address().port });
    assert.equal(caller.code, 0, caller.errors);
    assert.deepEqual(outcomes.at(-1), { exten: "700", status: "SUCCESS" });
    const audio = packets.filter((p) => (p[1] & 0x7f) === 0);
    // hello-world.wav lasts about 1.3 s: some 60-70 packets, each 12 bytes of header and 160 of PCMU.
    assert.ok(audio.length > 50 && audio.length < 90, `${audio.length} RTP packets`);
    assert.ok(audio.every((p) => p.length === 172));
    const ts = audio.map((p) => p.readUInt32BE(4));
    assert.ok(ts.slice(1).every((t, i) => t - ts[i] === 160), "timestamps step by 160");
  } finally {
    rtp.close();
  }
});

test("the caller's endpoint has tos_audio = ef: the RTP it is sent carries DSCP EF", { skip: !existsSync(new URL("../../media-workers/qos.node", import.meta.url)) && "qos helper not built" }, async () => {
  const probe = await tosProbe();
  try {
    const { caller } = await call("700", null, { mediaPort: probe.port });
    assert.equal(caller.code, 0, caller.errors);
    assert.equal(await probe.tos, 0x2e << 2);
  } finally {
    probe.close();
  }
});

/** Originate from the call core to the sipp phone behind endpoint `uas`. */
async function originateToPhone(uas: Parameters<typeof uasCall>[0], request: Omit<OriginateRequest, "channel"> & { channel?: string }) {
  const phone = startSipp({ scenario: uasCall(uas), localPort: uasPort, calls: 1, timeoutMs: 20_000 });
  const r = await server.calls!.core.originate({ channel: "PJSIP/uas", ...request });
  await r.done;
  return { r, phone: await phone.done };
}

test("Originate PJSIP/uas to test,900: the phone is called, answers (reason 4) and the channel runs the dialplan with the caller id, variables and account given", async () => {
  const { r, phone } = await originateToPhone({ status: 200, ringMs: 100 }, {
    context: "test", exten: "900", callerId: { num: "4242", name: "Wake up" }, variables: { FOO: "bar" }, account: "acct-9", timeoutMs: 20_000, // an upper bound only: the phone answers at once (a loaded machine must not turn it into a CANCEL crossing the 200)
  });
  assert.equal(phone.code, 0, phone.errors);
  assert.equal(r.reason, OriginateReason.ANSWERED);
  assert.equal(r.cause, 16);
  assert.match(r.channel!, /^PJSIP\/uas-[0-9a-f]{8}$/);
  assert.deepEqual(outcomes.at(-1), { exten: "900", channel: r.channel, state: "up", cid: "Wake up <4242>", foo: "bar" });
  const created = (await records()).find((x) => x.input.type === "create" && (x.state.context as { name: string }).name === r.channel)!;
  assert.equal((created.state.context as { accountcode: string }).accountcode, "acct-9");
  assert.equal(server.calls!.core.list().length, 0, "the originated channel is released when its dialplan ends");
});

test("Originate to a busy phone is reason 5 (cause 17), to a congested one reason 8 (42), to one that never answers reason 3 at the timeout (19)", async () => {
  const busy = await originateToPhone({ status: 486 }, { context: "test", exten: "900" });
  assert.equal(busy.phone.code, 0, busy.phone.errors);
  assert.deepEqual([busy.r.reason, busy.r.cause, busy.r.done], [OriginateReason.BUSY, 17, undefined]);
  const congested = await originateToPhone({ status: 503 }, { context: "test", exten: "900" });
  assert.equal(congested.phone.code, 0, congested.phone.errors);
  assert.deepEqual([congested.r.reason, congested.r.cause], [OriginateReason.CONGESTION, 42]);
  const started = performance.now();
  const unanswered = await originateToPhone({}, { context: "test", exten: "900", timeoutMs: 1000 });
  assert.equal(unanswered.phone.code, 0, `the phone is cancelled: ${unanswered.phone.errors}`);
  assert.deepEqual([unanswered.r.reason, unanswered.r.cause], [OriginateReason.NO_ANSWER, 19]);
  assert.ok(performance.now() - started < 5000);
  assert.equal(server.calls!.core.list().length, 0);
  // The next tests' phones bind the same port: let a CANCEL that Recall retransmits (its 200 late on a busy
  // machine) land on this phone's closed port, not on the next phone as a CANCEL of a call it never had.
  await new Promise((r) => setTimeout(r, 2500));
});

test("Originate that cannot call: unknown endpoint or technology (reason 0), missing extension (reason 1), nothing to run (0); no channel is left", async () => {
  const core = server.calls!.core;
  const before = (await records()).length;
  const noEndpoint = await core.originate({ channel: "PJSIP/nobody", context: "test", exten: "900" });
  assert.equal(noEndpoint.reason, OriginateReason.FAILURE);
  assert.match(noEndpoint.problem!, /endpoint 'nobody'/);
  assert.equal((await core.originate({ channel: "DAHDI/1", context: "test", exten: "900" })).reason, OriginateReason.FAILURE);
  const missing = await core.originate({ channel: "PJSIP/uas", context: "test", exten: "nowhere" });
  assert.deepEqual([missing.reason, missing.cause], [OriginateReason.NO_SUCH_EXTENSION, 1]);
  assert.equal((await core.originate({ channel: "PJSIP/uas" })).reason, OriginateReason.FAILURE);
  assert.equal((await records()).length, before, "nothing was created");
});

test("Originate with an application: the answered phone hears Playback(hello-world) on its own media session, then is hung up", async () => {
  const { r, phone } = await originateToPhone({ status: 200, ringMs: 50 }, { application: "Playback", data: "hello-world", timeoutMs: 20_000 });
  assert.equal(phone.code, 0, phone.errors);
  assert.equal(r.reason, OriginateReason.ANSWERED);
  assert.deepEqual(outcomes.at(-1), { application: "Playback", data: "hello-world", channel: r.channel, status: "SUCCESS" });
  assert.equal(server.calls!.core.list().length, 0);
});

test("Originate Local/100@test: ;2 dials the phone, its answer answers ;1, which runs test,900; hanging up ;1 ends the whole call", async () => {
  const before = outcomes.length;
  const { r, phone } = await originateToPhone({ status: 200, ringMs: 100 }, { channel: "Local/100@test", context: "test", exten: "900", timeoutMs: 20_000 });
  assert.equal(phone.code, 0, phone.errors);
  assert.equal(r.reason, OriginateReason.ANSWERED);
  assert.match(r.channel!, /^Local\/100@test-[0-9a-f]{8};1$/);
  await until(() => outcomes.slice(before).some((o) => o.exten === "100"));
  const ran = outcomes.slice(before);
  assert.ok(ran.some((o) => o.exten === "900" && o.channel === r.channel), JSON.stringify(ran));
  assert.ok(ran.some((o) => o.exten === "100" && o.status === "ANSWER" && /^PJSIP\/uas-/.test(o.peer)), JSON.stringify(ran));
  await until(() => server.calls!.core.list().length === 0);
});

/** Wait (at most 5 s) until `ok()` holds. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), "condition not reached within 5 s");
}

test("every call's log replays without divergence", async () => {
  await runtime.settle();
  const r = await verifyLog(log, actorKinds);
  assert.equal(r.divergence, undefined, JSON.stringify(r.divergence));
  assert.ok(r.events > 50);
});
