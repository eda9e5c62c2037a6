/**
 * AMI's queue actions and events end to end: a real `recall start` with a queues.conf,
 * the npm `asterisk-manager` client adding, pausing, re-weighting and removing a
 * member, reading QueueStatus and QueueSummary, writing QueueLog, resetting and
 * reloading; a sipp caller queued and answered by a sipp agent, whose QueueCallerJoin,
 * AgentCalled, AgentConnect, QueueCallerLeave, QueueMemberStatus and AgentComplete
 * events the client receives; then `recall replay --verify` on the log.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, startRecall, type RecallProcess } from "../cli/recall-process.js";
import { packageRoot } from "../cli/paths.js";
import { runSipp, startSipp } from "../../sip/sipp/sipp.js";
import { uacCall, uasCall } from "../../sip/sipp/call-scenarios.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
let recall: RecallProcess;
let sipPort: number, amiPort: number, alicePort: number;

const pjsip = (port: number, alice: number) => `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}
[6001]
type = endpoint
context = q-test
disallow = all
allow = ulaw
auth = 6001
aors = 6001
[6001]
type = auth
auth_type = userpass
username = 6001
password = pw-6001
[6001]
type = aor
max_contacts = 1
[alice]
type = endpoint
context = q-test
disallow = all
allow = ulaw
aors = alice
[alice]
type = aor
contact = sip:alice@127.0.0.1:${alice}
`;

const queues = `
[support]
strategy = ringall
timeout = 5
retry = 1
member => PJSIP/alice,0,Alice
`;

const extensions = `
[q-test]
exten => 7501,1,Queue(support)
 same => n,Hangup()
`;

const manager = (port: number) => `
[general]
enabled = yes
port = ${port}
bindaddr = 127.0.0.1
[admin]
secret = pw
read = all
write = all
[viewer]
secret = pw
read = all
write = call
`;

interface AmiClient {
  on(event: string, fn: (e: Record<string, string>) => void): void;
  action(a: Record<string, unknown>, cb: (err: Record<string, string> | undefined, res: Record<string, string>) => void): void;
  disconnect(): void;
}
const client = (user: string): AmiClient => {
  const AsteriskManager = require("asterisk-manager") as new (port: number, host: string, user: string, secret: string, events: boolean) => AmiClient;
  return new AsteriskManager(amiPort, "127.0.0.1", user, "pw", true);
};
const act = (ami: AmiClient, a: Record<string, unknown>) => new Promise<{ err?: Record<string, string>; res: Record<string, string> }>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(a)}`)), 10_000);
  ami.action(a, (err, res) => { clearTimeout(timer); resolve({ ...(err ? { err } : {}), res }); });
});

before(async () => {
  [sipPort, amiPort, alicePort] = [await freePort(), await freePort(), await freePort()];
  recall = await startRecall({ "pjsip.conf": pjsip(sipPort, alicePort), "extensions.conf": extensions, "queues.conf": queues, "manager.conf": manager(amiPort) });
  await recall.waitFor(/AMI listening on/);
});
after(async () => { await recall?.stop(); });

test("queue actions and app_queue's events through asterisk-manager, with a real queued call", async () => {
  const ami = client("admin");
  const events: Record<string, string>[] = [];
  ami.on("managerevent", (e) => events.push(e));
  const event = async (name: string, match: (e: Record<string, string>) => boolean = () => true) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const e = events.find((x) => x.event === name && match(x));
      if (e) return e;
      if (Date.now() > deadline) throw new Error(`no ${name} event; got ${events.map((x) => x.event).join(" ")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    // Add, then the errors Asterisk gives.
    assert.equal((await act(ami, { action: "QueueAdd", queue: "support", interface: "PJSIP/bob", penalty: 2, membername: "Bob" })).res.message, "Added interface to queue");
    const added = await event("QueueMemberAdded");
    assert.deepEqual([added.queue, added.membername, added.interface, added.membership, added.penalty, added.paused], ["support", "Bob", "PJSIP/bob", "dynamic", "2", "0"]);
    assert.equal((await act(ami, { action: "QueueAdd", queue: "support", interface: "PJSIP/bob" })).err?.message, "Unable to add interface: Already there");
    assert.equal((await act(ami, { action: "QueueAdd", queue: "nosuch", interface: "PJSIP/bob" })).err?.message, "Unable to add interface to queue: No such queue");
    assert.equal((await act(ami, { action: "QueueAdd", queue: "support" })).err?.message, "'Interface' not specified.");

    // Pause in every queue with a reason; penalty in one.
    assert.equal((await act(ami, { action: "QueuePause", interface: "PJSIP/bob", paused: "true", reason: "lunch" })).res.message, "Interface paused successfully");
    const paused = await event("QueueMemberPause");
    assert.deepEqual([paused.interface, paused.paused, paused.pausedreason], ["PJSIP/bob", "1", "lunch"]);
    assert.equal((await act(ami, { action: "QueuePause", interface: "PJSIP/nobody", paused: "true" })).err?.message, "Interface not found");
    assert.equal((await act(ami, { action: "QueuePause", interface: "PJSIP/bob" })).err?.message, "Need 'Interface' and 'Paused' parameters.");
    assert.equal((await act(ami, { action: "QueuePenalty", interface: "PJSIP/bob", penalty: 5, queue: "support" })).res.message, "Interface penalty set successfully");
    assert.equal((await event("QueueMemberPenalty")).penalty, "5");
    assert.equal((await act(ami, { action: "QueuePenalty", interface: "PJSIP/bob", penalty: -1 })).err?.message, "Invalid penalty");

    // QueueStatus: the queue's parameters, both members, no callers.
    const status = await act(ami, { action: "QueueStatus", queue: "support" });
    assert.equal(status.res.eventlist, "start");
    const complete = await event("QueueStatusComplete");
    assert.equal(complete.listitems, "3");
    const params = await event("QueueParams");
    assert.deepEqual([params.queue, params.strategy, params.calls, params.max], ["support", "ringall", "0", "0"]);
    const bob = await event("QueueMember", (e) => e.location === "PJSIP/bob");
    assert.deepEqual([bob.name, bob.membership, bob.penalty, bob.paused, bob.pausedreason], ["Bob", "dynamic", "5", "1", "lunch"]);
    const alice = await event("QueueMember", (e) => e.location === "PJSIP/alice");
    assert.deepEqual([alice.name, alice.membership, alice.status], ["Alice", "static", "1"]);
    await act(ami, { action: "QueueSummary" });
    const summary = await event("QueueSummary");
    assert.deepEqual([summary.queue, summary.available, summary.callers], ["support", "1", "0"]);

    // A real call: Alice answers; Bob is paused and not rung.
    const phone = startSipp({ scenario: uasCall({ status: 200, ringMs: 300 }), localPort: alicePort, calls: 1, timeoutMs: 30_000 });
    const caller = await runSipp({ scenario: uacCall({ exten: "7501", from: "6001", auth: true, holdMs: 1500 }), target: `127.0.0.1:${sipPort}`, calls: 1, inject: "SEQUENTIAL\n6001;pw-6001\n", timeoutMs: 30_000 });
    assert.equal(caller.code, 0, caller.errors);
    assert.equal((await phone.done).code, 0);
    const joined = await event("QueueCallerJoin");
    assert.match(joined.channel, /^PJSIP\/6001-/);
    assert.deepEqual([joined.queue, joined.position, joined.count], ["support", "1", "1"]);
    const called = await event("AgentCalled");
    assert.deepEqual([called.channel, called.queue, called.interface, called.membername], [joined.channel, "support", "PJSIP/alice", "Alice"]);
    assert.match(called.destchannel, /^PJSIP\/alice-/);
    const connect = await event("AgentConnect");
    assert.deepEqual([connect.channel, connect.destchannel, connect.membername], [joined.channel, called.destchannel, "Alice"]);
    assert.equal((await event("QueueCallerLeave")).count, "0");
    assert.equal((await event("QueueMemberStatus", (e) => e.interface === "PJSIP/alice" && e.incall === "1")).queue, "support");
    const done = await event("AgentComplete");
    assert.deepEqual([done.channel, done.interface, done.reason], [joined.channel, "PJSIP/alice", "caller"]);
    assert.ok(Number(done.talktime) >= 1, `talk time ${done.talktime}`);
    assert.ok(!events.some((e) => e.event === "AgentCalled" && e.interface === "PJSIP/bob"), "a paused member is not rung");
    const order = events.map((e) => e.event).filter((n) => /^(QueueCaller|Agent)/.test(n));
    assert.deepEqual(order, ["QueueCallerJoin", "AgentCalled", "QueueCallerLeave", "AgentConnect", "AgentComplete"]);

    // QueueLog, then remove, reset and reload.
    assert.equal((await act(ami, { action: "QueueLog", queue: "support", event: "WALLBOARD", uniqueid: "u1", interface: "PJSIP/bob", message: "a|b" })).res.message, "Added queue log event");
    assert.equal((await act(ami, { action: "QueueLog", queue: "support" })).err?.message, "Need 'Queue' and 'Event' parameters.");
    assert.equal((await act(ami, { action: "QueueRemove", queue: "support", interface: "PJSIP/alice" })).err?.message, "Member not dynamic");
    assert.equal((await act(ami, { action: "QueueRemove", queue: "support", interface: "PJSIP/bob" })).res.message, "Removed interface from queue");
    assert.equal((await event("QueueMemberRemoved")).interface, "PJSIP/bob");
    assert.equal((await act(ami, { action: "QueueRemove", queue: "support", interface: "PJSIP/bob" })).err?.message, "Unable to remove interface: Not there");
    assert.equal((await act(ami, { action: "QueueReset", queue: "support" })).res.message, "Queue stats reset successfully");
    assert.equal((await act(ami, { action: "QueueReset", queue: "nosuch" })).err?.message, "Error encountered while resetting queue stats");
    assert.equal((await act(ami, { action: "QueueReload" })).res.message, "Queue reloaded successfully");
    assert.match(await recall.cli("queue show support"), /support has 0 calls .* C:0, A:0/);
    const deadline = Date.now() + 5000;
    let log = "";
    while (!/\|u1\|support\|PJSIP\/bob\|WALLBOARD\|a\|b$/m.test(log) && Date.now() < deadline) {
      try { log = readFileSync(join(recall.dataDir, "queue_log"), "utf8"); } catch { /* not written yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(log, /\|u1\|support\|PJSIP\/bob\|WALLBOARD\|a\|b$/m);
  } finally { ami.disconnect(); }
  // A user without the agent write class may not change queues.
  const viewer = client("viewer");
  try {
    assert.equal((await act(viewer, { action: "QueueAdd", queue: "support", interface: "PJSIP/carol" })).err?.message, "Permission denied");
  } finally { viewer.disconnect(); }
});

test("the log all this wrote replays with no divergence", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /^\d+ events, 0 divergences/);
});
