/**
 * Subscriptions end to end: a real `recall start` with the sample configuration, sipp
 * phones that SUBSCRIBE to the sample's hints and check each NOTIFY's
 * Subscription-State and XML body while a real call rings and is answered, a
 * `Custom:` device changed from the console, the refusals (489, 404, 603), a SUBSCRIBE
 * storm from one source, and `recall replay --verify` on the log they wrote.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, assertLogged, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { runSipp, startSipp } from "../sipp/sipp.js";
import { registerWithAuth } from "../sipp/scenarios.js";
import { uacCall, uasCall } from "../sipp/call-scenarios.js";
import { subscribeExpecting, subscriber } from "../sipp/subscribe-scenarios.js";
import { messageReceiver, messageSender } from "../sipp/message-scenarios.js";

const run = promisify(execFile);
const sample = (file: string) => readFileSync(join(packageRoot, "infra", "sample-config", file), "utf8");
const PASSWORDS: Record<string, string> = { 6001: "reception-6001", 6002: "supervisor-6002", 6003: "backoffice-6003" };
const credentials = (user: string) => `SEQUENTIAL\n${user};${PASSWORDS[user]}\n`;
let recall: RecallProcess;
let port: number;
let phone6002: number;
let files: Record<string, string>;

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${await recall.cli("core show hints")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  port = await freePort();
  phone6002 = await freePort();
  const pjsip = sample("pjsip.conf").replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${port}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0")
    .replace('callerid = "Back Office" <6003>', 'callerid = "Back Office" <6003>\nallow_subscribe = no')
    .replace('callerid = "Reception" <6001>', 'callerid = "Reception" <6001>\nmessage_context = messages\nmailboxes = 6001@default');
  const extensions = sample("extensions.conf").replace(/RING_TIME = \d+/, "RING_TIME = 5")
    .replace("exten => 6003,hint,PJSIP/6003", "exten => 6003,hint,PJSIP/6003\nexten => 7001,hint,Custom:lamp7001")
    // MESSAGE: relayed to the endpoint named by the extension, its body rewritten on the way.
    + "\n[messages]\nexten => _6XXX,1,NoOp(Message from ${MESSAGE(from)} to ${MESSAGE(to)})\n same => n,Set(MESSAGE(body)=${EXTEN} got: ${MESSAGE(body)})\n"
    + " same => n,MessageSend(pjsip:${EXTEN})\n same => n,Set(DB(msgtest/status)=${MESSAGE_SEND_STATUS})\n";
  // A small per-source limit, so that the storm below is throttled however fast this machine sends it.
  files = { "pjsip.conf": pjsip, "extensions.conf": extensions, "recall.conf": "[subscriptions]\nrate_per_source = 20\nburst_per_source = 200\n" };
  recall = await startRecall(files);
  const reg = await runSipp({ scenario: registerWithAuth({ expires: 600 }), target: `127.0.0.1:${port}`, calls: 1, localPort: phone6002, inject: credentials("6002"), timeoutMs: 20_000 });
  assert.equal(reg.code, 0, reg.errors);
});
after(async () => { await recall?.stop(); });

const hints = () => recall.cli("core show hints");

test("6001 watches 6002 (dialog-info): terminated while idle, early while a call rings it, confirmed once answered, terminated after; then refreshes and unsubscribes", async () => {
  const watching = startSipp({
    scenario: subscriber({
      exten: "6002", event: "dialog", accept: "application/dialog-info+xml", refresh: 'version="4".*<state>terminated</state>', unsubscribe: true, final: 'version="5".*<state>terminated</state>',
      bodies: [
        'entity="sip:6002@127\\.0\\.0\\.1[^"]*".*<dialog id="6002">.*<state>terminated</state>',
        'version="1".*<dialog id="6002" direction="recipient">.*<state>early</state>',
        'version="2".*<state>confirmed</state>',
        'version="3".*<state>terminated</state>',
      ],
    }),
    target: `127.0.0.1:${port}`, localPort: await freePort(), calls: 1, inject: credentials("6001"), timeoutMs: 40_000
  });
  await until(async () => /6002@from-internal\s*: PJSIP\/6002\s+State:Idle\s+Presence:not_set\s+Watchers  1/.test(await hints()), "a watcher on 6002");
  const phone = startSipp({ scenario: uasCall({ status: 200, ringMs: 1500 }), localPort: phone6002, calls: 1, timeoutMs: 30_000 });
  const caller = await runSipp({ scenario: uacCall({ exten: "6002", from: "6001", auth: true, holdMs: 1500 }), target: `127.0.0.1:${port}`, localPort: await freePort(), calls: 1, inject: credentials("6001"), timeoutMs: 30_000 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal((await phone.done).code, 0);
  const watched = await watching.done;
  assert.equal(watched.code, 0, `${watched.errors.slice(-3000)}\n${watched.stdout.slice(-2000)}`);
  await until(async () => /6002@from-internal\s*: PJSIP\/6002\s+State:Idle\s+Presence:not_set\s+Watchers  0/.test(await hints()), "the watcher gone");
});

test("presence (PIDF) on a Custom: hint follows devstate change; an unregistered phone's hint is Unavailable", async () => {
  assert.match(await hints(), /6001@from-internal\s*: PJSIP\/6001\s+State:Unavailable/);
  const watching = startSipp({
    scenario: subscriber({
      exten: "7001", event: "presence", accept: "application/pidf+xml",
      bodies: ['<note>Ready</note>.*<tuple id="7001">.*<basic>open</basic>', '<note>On the phone</note>.*<basic>open</basic>.*<rpid:on-the-phone/>', '<basic>closed</basic>'],
    }),
    target: `127.0.0.1:${port}`, localPort: await freePort(), calls: 1, inject: credentials("6001"), timeoutMs: 30_000,
  });
  await until(async () => /7001@from-internal\s*: Custom:lamp7001\s+State:Idle .*Watchers  1/.test(await hints()), "a watcher on 7001");
  assert.match(await recall.cli("devstate change Custom:lamp7001 INUSE"), /Changing Custom:lamp7001 to INUSE/);
  await new Promise((r) => setTimeout(r, 300));
  await recall.cli("devstate change Custom:lamp7001 BUSY");
  const watched = await watching.done;
  assert.equal(watched.code, 0, `${watched.errors}\n${watched.stdout.slice(-2000)}`);
  assert.match(await recall.cli("devstate list"), /Name: 'lamp7001'  UI: 'Custom'  State: 'BUSY'/);
  assert.match(await recall.cli("database show CustomDevstate"), /\/CustomDevstate\/lamp7001\s*: BUSY/);
});

test("message-summary on 6001's mailbox: no messages, then 2 new and 1 old set from the console", async () => {
  const watching = startSipp({
    scenario: subscriber({
      exten: "6001", event: "message-summary", accept: "application/simple-message-summary",
      bodies: ["Messages-Waiting: no.*Voice-Message: 0/0", "Messages-Waiting: yes.*Message-Account: sip:6001@127\\.0\\.0\\.1.*Voice-Message: 2/1"],
    }),
    target: `127.0.0.1:${port}`, localPort: await freePort(), calls: 1, inject: credentials("6001"), timeoutMs: 20_000,
  });
  await until(async () => /6001\s+message-summary\s+6001@default\s+0\/0/.test(await recall.cli("recall show subscriptions")), "the mailbox subscription");
  assert.match(await recall.cli("recall mailbox set 6001 2 1"), /Mailbox 6001@default: 2 new, 1 old/);
  const watched = await watching.done;
  assert.equal(watched.code, 0, `${watched.errors}\n${watched.stdout.slice(-2000)}`);
});

test("refusals: an unknown package 489, an extension without a hint 404, an endpoint with allow_subscribe = no 603", async () => {
  for (const [scenario, user] of [
    [subscribeExpecting({ exten: "6002", event: "conference", status: 489 }), "6001"],
    [subscribeExpecting({ exten: "6002", event: "dialog", accept: "application/sdp", status: 489 }), "6001"],
    [subscribeExpecting({ exten: "7000", event: "dialog", status: 404 }), "6001"],
    [subscribeExpecting({ exten: "6002", event: "dialog", status: 603 }), "6003"],
  ] as const) {
    const r = await runSipp({ scenario, target: `127.0.0.1:${port}`, localPort: await freePort(), calls: 1, inject: credentials(user), timeoutMs: 15_000 });
    assert.equal(r.code, 0, `${r.errors}\n${r.stdout.slice(-1500)}`);
  }
  await assertLogged(recall.dataDir, /Endpoint 6003 is not configured to allow SUBSCRIBEs/);
});

test("MESSAGE: 202 Accepted, routed at the endpoint's message_context, rewritten and sent on to 6002 with MessageSend; an unknown extension 404", async () => {
  const phone = startSipp({ scenario: messageReceiver({ body: "^6002 got: hello from 6001\\s*$" }), localPort: phone6002, calls: 1, timeoutMs: 20_000 });
  const sent = await runSipp({ scenario: messageSender({ to: "6002", body: "hello from 6001", status: 202 }), target: `127.0.0.1:${port}`, localPort: await freePort(), calls: 1, inject: credentials("6001"), timeoutMs: 15_000 });
  assert.equal(sent.code, 0, `${sent.errors}\n${sent.stdout.slice(-1500)}`);
  const received = await phone.done;
  assert.equal(received.code, 0, `${received.errors}\n${received.stdout.slice(-1500)}`);
  await until(async () => /\/msgtest\/status\s*: SUCCESS/.test(await recall.cli("database show msgtest")), "MESSAGE_SEND_STATUS in AstDB");
  const missing = await runSipp({ scenario: messageSender({ to: "7777", body: "nobody", status: 404 }), target: `127.0.0.1:${port}`, localPort: await freePort(), calls: 1, inject: credentials("6001"), timeoutMs: 15_000 });
  assert.equal(missing.code, 0, missing.errors);
  const binary = await runSipp({ scenario: messageSender({ to: "6002", body: "x", status: 415, contentType: "application/octet-stream" }), target: `127.0.0.1:${port}`, localPort: await freePort(), calls: 1, inject: credentials("6001"), timeoutMs: 15_000 });
  assert.equal(binary.code, 0, binary.errors);
});

test("bad input: a SUBSCRIBE storm from one source is throttled (503, a fail2ban-readable NOTICE), oversized NOTIFYs are answered, and a call still goes through", async () => {
  const live = async () => /^(\d+) subscriptions/m.exec(await recall.cli("recall show subscriptions"))?.[1];
  const before = await live();
  const socket = createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  const local = socket.address().port;
  const answers = new Map<number, number>();
  socket.on("message", (m) => { const s = Number(m.toString("latin1").slice(8, 11)); answers.set(s, (answers.get(s) ?? 0) + 1); });
  const request = (method: string, i: number, extra: string[] = [], body = "") => Buffer.from([
    `${method} sip:6002@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-storm-${method}-${i}`,
    `From: <sip:6001@127.0.0.1>;tag=s${i}`, `To: <sip:6002@127.0.0.1>`, `Call-ID: storm-${method}-${i}@127.0.0.1`, `CSeq: 1 ${method}`,
    `Contact: <sip:6001@127.0.0.1:${local}>`, "Max-Forwards: 70", ...extra, `Content-Length: ${Buffer.byteLength(body)}`, "", body,
  ].join("\r\n"));
  for (let i = 0; i < 4000; i++) {
    socket.send(request("SUBSCRIBE", i, ["Event: dialog", "Expires: 600"]), port, "127.0.0.1");
    if (i % 200 === 199) await new Promise((r) => setTimeout(r, 5));
  }
  // A NOTIFY whose body fills a UDP datagram, and one claiming more body than it carries.
  socket.send(request("NOTIFY", 1, ["Event: dialog", "Subscription-State: active", "Content-Type: application/dialog-info+xml"], "<x>".padEnd(60_000, "y")), port, "127.0.0.1");
  socket.send(Buffer.concat([request("NOTIFY", 2, ["Event: dialog", "Subscription-State: active"], ""), Buffer.from("")]).toString("latin1").replace("Content-Length: 0", "Content-Length: 999999"), port, "127.0.0.1");
  // Until the answers stop coming (a slow machine answers a storm for a while).
  let seen = -1;
  await until(async () => {
    const n = [...answers.values()].reduce((a, b) => a + b, 0);
    const quiet = n === seen;
    seen = n;
    if (!quiet) await new Promise((r) => setTimeout(r, 1500));
    return quiet;
  }, "the storm's answers", 60_000);
  socket.close();
  assert.ok((answers.get(401) ?? 0) + (answers.get(503) ?? 0) >= 3000, `answered: ${JSON.stringify([...answers])}`);
  assert.ok((answers.get(503) ?? 0) >= 2000, `throttled: ${JSON.stringify([...answers])}`);
  await assertLogged(recall.dataDir, /NOTICE\[\d+\] res_pjsip\/pjsip_distributor\.c: Request 'SUBSCRIBE' from '<sip:6001@127\.0\.0\.1>;tag=s\d+' failed for '127\.0\.0\.1:\d+' \(callid: storm-SUBSCRIBE-\d+@127\.0\.0\.1\) - Too many SUBSCRIBE requests/);
  assert.equal(await live(), before, "no unauthenticated SUBSCRIBE was accepted");
  const phone = startSipp({ scenario: uasCall({ status: 200, ringMs: 100 }), localPort: phone6002, calls: 1, timeoutMs: 30_000 });
  const caller = await runSipp({ scenario: uacCall({ exten: "6002", from: "6001", auth: true, holdMs: 300 }), target: `127.0.0.1:${port}`, localPort: await freePort(), calls: 1, inject: credentials("6001"), timeoutMs: 30_000 });
  assert.equal(caller.code, 0, caller.errors);
  assert.equal((await phone.done).code, 0);
});

test("every subscription's log passes recall replay --verify", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});

test("after a restart the subscriptions are rebuilt from the log and watch their hints again", async () => {
  const listed = await recall.cli("recall show subscriptions");
  const dataDir = recall.dataDir;
  await recall.stop();
  recall = await startRecall(files, { dataDir });
  const again = await recall.cli("recall show subscriptions");
  assert.match(listed, /7001@from-internal/);
  assert.equal(again.split("\n").filter((l) => /presence|message-summary/.test(l)).map((l) => l.replace(/\s+\d+$/, "")).join("\n"),
    listed.split("\n").filter((l) => /presence|message-summary/.test(l)).map((l) => l.replace(/\s+\d+$/, "")).join("\n"));
  assert.match(await hints(), /7001@from-internal\s*: Custom:lamp7001\s+State:Busy .*Watchers  1/, "Custom: state from AstDB, the watcher back");
});
