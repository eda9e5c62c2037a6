/**
 * ARI end to end: a real `recall start` with http.conf and ari.conf, real clients.
 * - npm ari-client (it loads the Swagger documents): a sipp caller reaches Stasis(),
 *   the application answers it, plays a prompt, originates to a sipp phone that
 *   registered, bridges the two and hangs up; the events arrive with ARI's names, in order;
 * - `continue` sends a channel back to the dialplan with STASISSTATUS=SUCCESS, and
 *   Stasis() into an application nobody serves is FAILED;
 * - a Python client over plain HTTP (urllib) checks the status codes case by case;
 * - an event WebSocket whose client stops reading is closed and logged;
 * then the log passes `recall replay --verify`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import WebSocket from "ws";
import { freePort, messages, startRecall, type RecallProcess } from "../cli/recall-process.js";
import { packageRoot } from "../cli/paths.js";
import { runSipp, startSipp, type SippResult } from "../../sip/sipp/sipp.js";
import { uacCall, uasCall } from "../../sip/sipp/call-scenarios.js";
import { registerWithAuth } from "../../sip/sipp/scenarios.js";
import { messageSender } from "../../sip/sipp/message-scenarios.js";
import { phoneCredentials } from "../../sip/call/test-phones.js";
import { python3 } from "../../core/python.js";

const run = promisify(execFile);
const ari = createRequire(import.meta.url)("ari-client") as { connect(url: string, user: string, password: string): Promise<AriClient> };

/* The parts of ari-client used here (it ships no types). */
interface AriChannel { id: string; name: string; state: string; answer(): Promise<void>; hangup(o?: object): Promise<void>; play(o: object, p?: AriPlayback): Promise<AriPlayback>; originate(o: object): Promise<AriChannel>; continueInDialplan(o?: object): Promise<void> }
interface AriPlayback { id: string; state: string; once(event: string, cb: (e: AriEvent, p: AriPlayback) => void): void }
interface AriBridge { id: string; create(o: object): Promise<AriBridge>; addChannel(o: object): Promise<void>; destroy(): Promise<void> }
interface AriEvent { type: string; args?: string[]; channel?: { id: string; state: string; name: string }; bridge?: { id: string }; playback?: { id: string; state: string }; [k: string]: unknown }
interface AriClient {
  on(event: string, cb: (e: AriEvent, ...objects: unknown[]) => void): void;
  start(apps: string | string[]): Promise<void>;
  stop(): void;
  Channel(): AriChannel;
  Bridge(): AriBridge;
  Playback(): AriPlayback;
  channels: { list(): Promise<AriChannel[]> };
  bridges: { get(o: { bridgeId: string }): Promise<unknown> };
  asterisk: { getInfo(): Promise<Record<string, unknown>> };
}

let recall: RecallProcess;
let sipPort: number, httpPort: number, phonePort: number;
const base = () => `http://127.0.0.1:${httpPort}`;

before(async () => {
  [sipPort, httpPort, phonePort] = [await freePort(), await freePort(), await freePort()];
  recall = await startRecall({
    "http.conf": `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${httpPort}\n`,
    "ari.conf": `[general]\nenabled = yes\nwebsocket_write_timeout = 20\n\n[asterisk]\ntype = user\npassword = secret\n\n[viewer]\ntype = user\nread_only = yes\npassword = look\n`,
    "pjsip.conf": `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${sipPort}
[caller]
type = endpoint
context = from-sipp
allow = ulaw
[6002]
type = endpoint
context = from-sipp
allow = ulaw
auth = 6002
aors = 6002
[6002]
type = auth
auth_type = userpass
username = 6002
password = secret-6002
[6002]
type = aor
max_contacts = 1
`,
    "extensions.conf": `
[from-sipp]
exten => 100,1,NoOp(into the application)
 same => n,Stasis(demo,inbound,x y)
 same => n,Hangup()
exten => 200,1,Stasis(demo,continue)
 same => n,Set(AFTER=\${STASISSTATUS})
 same => n,Answer()
 same => n,Wait(0.5)
 same => n,Hangup()
exten => 202,1,Set(TIMEOUT(absolute)=2)
 same => n,Stasis(demo,idle)
exten => T,1,Hangup(19)
exten => 204,1,Stasis(demo,dtmf)
 same => n,Hangup()
exten => 203,1,Stasis(replayer)
 same => n,Hangup()
exten => 7000,1,Log(NOTICE,dialplan got message: \${MESSAGE(body)})
exten => 201,1,Stasis(nobody)
 same => n,Set(AFTER=\${STASISSTATUS})
 same => n,Hangup(21)
`,
  });
});

after(async () => {
  await recall?.stop();
});

/** Waits (bounded) until `pred` holds. */
async function until(what: string, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}\n${messages(recall.dataDir).slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ok = (r: SippResult, who: string) => assert.equal(r.code, 0, `${who}: sipp exited ${r.code}\n${r.errors}\n${r.stderr.slice(-2000)}`);

test("ari-client: a sipp call reaches Stasis(), is answered, hears a prompt, is bridged with an originated call to a registered phone, and hung up", async () => {
  // The phone registers from its port, then answers there.
  ok(await runSipp({ scenario: registerWithAuth(), target: `127.0.0.1:${sipPort}`, localPort: phonePort, calls: 1, inject: phoneCredentials("6002"), timeoutMs: 20_000 }), "register");
  const client = await ari.connect(base(), "asterisk", "secret");
  const events: AriEvent[] = [];
  const byChannel = (id: string) => events.filter((e) => e.channel?.id === id || (e.playback && e.playback.id.startsWith(id))).map((e) => e.type);
  for (const type of ["StasisStart", "StasisEnd", "ChannelStateChange", "ChannelDestroyed", "ChannelHangupRequest", "PlaybackStarted", "PlaybackFinished",
    "ChannelEnteredBridge", "ChannelLeftBridge", "ChannelCreated", "ChannelVarset", "ChannelDialplan"]) {
    client.on(type, (e) => events.push(e));
  }
  let inbound: AriChannel | undefined, outbound: AriChannel | undefined;
  let bridge: AriBridge | undefined;
  const failures: Error[] = [];
  const prompt = { finished: false };
  client.on("StasisStart", (event, ch) => {
    const channel = ch as AriChannel;
    void (async () => {
      if (event.args?.[0] === "inbound") {
        assert.deepEqual(event.args, ["inbound", "x y"]);
        inbound = channel;
        await channel.answer();
        const playback = client.Playback();
        playback.once("PlaybackFinished", () => { prompt.finished = true; });
        await channel.play({ media: "sound:hello-world" }, playback);
        await until("the prompt to finish", () => prompt.finished);
        const out = client.Channel();
        await out.originate({ endpoint: "PJSIP/6002", app: "demo", appArgs: "outbound", callerId: "\"ARI\" <555>" });
      } else if (event.args?.[0] === "outbound") {
        outbound = channel;
        bridge = client.Bridge();
        await bridge.create({ type: "mixing" });
        await bridge.addChannel({ channel: [inbound!.id, channel.id] });
      }
    })().catch((e: Error) => failures.push(e));
  });
  await client.start("demo");
  const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 40_000 });
  const caller = startSipp({ scenario: uacCall({ exten: "100" }), target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 40_000 });
  await until("both channels in the bridge", () => events.filter((e) => e.type === "ChannelEnteredBridge").length === 2 || failures.length > 0, 30_000);
  assert.deepEqual(failures, []);
  // ari-client's own objects: the list holds both, with ARI's fields.
  const listed = await client.channels.list();
  assert.deepEqual(listed.map((c) => c.id).sort(), [inbound!.id, outbound!.id].sort());
  assert.ok(listed.every((c) => c.state === "Up"));
  // videoSource, through ari-client's Swagger-generated operations: remembered and shown, as for an audio bridge in Asterisk.
  const b = bridge! as AriBridge & { setVideoSource(p: { channelId: string }): Promise<void>; clearVideoSource(): Promise<void> };
  const videoChanges: { bridge: string; source?: string; old?: string }[] = [];
  client.on("BridgeVideoSourceChanged", (e) => {
    const v = e as unknown as { bridge: { id: string; video_source_id?: string }; old_video_source_id?: string };
    videoChanges.push({ bridge: v.bridge.id, source: v.bridge.video_source_id, old: v.old_video_source_id });
  });
  assert.equal((await client.bridges.get({ bridgeId: b.id }) as unknown as { video_mode: string }).video_mode, "talker");
  await b.setVideoSource({ channelId: outbound!.id });
  const single = await client.bridges.get({ bridgeId: b.id }) as unknown as { video_mode: string; video_source_id?: string };
  assert.deepEqual([single.video_mode, single.video_source_id], ["single", outbound!.id]);
  const other = client.Bridge() as typeof b;
  await other.create({ type: "mixing" });
  await assert.rejects(other.setVideoSource({ channelId: inbound!.id }), (e: Error) => /not in this bridge/i.test(e.message));
  await other.destroy();
  await b.clearVideoSource();
  const talker = await client.bridges.get({ bridgeId: b.id }) as unknown as { video_mode: string; video_source_id?: string };
  assert.deepEqual([talker.video_mode, talker.video_source_id], ["talker", undefined]);
  // Each change is logged on the bridge actor and comes back as Asterisk's BridgeVideoSourceChanged (the refused one is not a change).
  await until("two BridgeVideoSourceChanged", () => videoChanges.length >= 2);
  assert.deepEqual(videoChanges, [{ bridge: b.id, source: outbound!.id, old: undefined }, { bridge: b.id, source: undefined, old: outbound!.id }]);
  // The call's history holds the bridge's steps while its caller is in it: both choices.
  const { stdout: history } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--linkedid", inbound!.id], { timeout: 60_000 });
  assert.equal(history.split("\n").filter((l) => l.includes(`bridge:${b.id}`) && l.includes("ari:video.source")).length, 2, history);
  // As in Asterisk, a channel's hang-up leaves its bridge partner up: the application ends it.
  await inbound!.hangup();
  await until("the inbound channel's StasisEnd", () => byChannel(inbound!.id).includes("StasisEnd"));
  await outbound!.hangup({ reason: "normal" });
  await until("both channels destroyed", () => events.filter((e) => e.type === "ChannelDestroyed").length >= 2 || failures.length > 0);
  ok(await caller.done, "caller");
  ok(await phone.done, "phone");
  const inEvents = byChannel(inbound!.id);
  assert.deepEqual(inEvents.filter((t) => t !== "ChannelVarset" && t !== "ChannelDialplan"), [
    "StasisStart", "ChannelStateChange", "ChannelEnteredBridge", "ChannelHangupRequest", "ChannelLeftBridge", "StasisEnd", "ChannelDestroyed",
  ]);
  assert.ok(events.some((e) => e.type === "PlaybackStarted") && events.some((e) => e.type === "PlaybackFinished" && e.playback?.state === "done"));
  // The prompt was played after the answer: its PlaybackStarted comes after the answer's ChannelStateChange.
  const answeredAt = events.findIndex((e) => e.type === "ChannelStateChange" && e.channel?.id === inbound!.id && e.channel.state === "Up");
  const playedAt = events.findIndex((e) => e.type === "PlaybackStarted" && (e.playback as { target_uri?: string } | undefined)?.target_uri === `channel:${inbound!.id}`);
  assert.ok(answeredAt >= 0 && playedAt > answeredAt, `ChannelStateChange Up at ${answeredAt}, PlaybackStarted at ${playedAt}`);
  const outEvents = byChannel(outbound!.id).filter((t) => t !== "ChannelVarset" && t !== "ChannelDialplan");
  assert.equal(outEvents[0], "ChannelCreated");
  assert.ok(outEvents.indexOf("StasisStart") < outEvents.indexOf("ChannelEnteredBridge"));
  assert.deepEqual(outEvents.slice(-4), ["ChannelHangupRequest", "ChannelLeftBridge", "StasisEnd", "ChannelDestroyed"], JSON.stringify(outEvents));
  client.stop();
});

test("continue: the channel goes on in the dialplan with STASISSTATUS=SUCCESS; Stasis() to an application nobody serves is FAILED", async () => {
  const client = await ari.connect(base(), "asterisk", "secret");
  const varsets: AriEvent[] = [];
  client.on("ChannelVarset", (e) => varsets.push(e));
  client.on("StasisStart", (event, ch) => { if (event.args?.[0] === "continue") void (ch as AriChannel).continueInDialplan(); });
  await client.start("demo");
  const caller = startSipp({ scenario: uacCall({ exten: "200" }), target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 30_000 });
  ok(await caller.done, "caller to 200");
  await until("AFTER set", () => varsets.some((e) => e.variable === "AFTER"));
  assert.equal(varsets.find((e) => e.variable === "AFTER")!.value, "SUCCESS");
  client.stop();
  ok(await runSipp({ scenario: uacCall({ exten: "201", expect: 403 }), target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 30_000 }), "caller to 201");
  assert.match(messages(recall.dataDir), /Stasis app 'nobody' not registered/);
});

test("an application that never answers its channel: the channel's absolute timeout still ends it (StasisEnd, then the T extension)", async () => {
  const client = await ari.connect(base(), "asterisk", "secret");
  const events: AriEvent[] = [];
  for (const type of ["StasisStart", "StasisEnd", "ChannelDestroyed"]) client.on(type, (e) => events.push(e));
  await client.start("demo");
  const started = Date.now();
  ok(await runSipp({ scenario: uacCall({ exten: "202", expect: 480 }), target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 30_000 }), "caller to 202");
  assert.ok(Date.now() - started >= 1900, "ended by the 2 s timeout");
  await until("StasisEnd and ChannelDestroyed", () => events.some((e) => e.type === "ChannelDestroyed"));
  assert.deepEqual(events.map((e) => e.type), ["StasisStart", "StasisEnd", "ChannelDestroyed"],
    JSON.stringify(events.map((e) => [e.type, (e as { channel?: { id: string; dialplan?: unknown } }).channel?.id, (e as { channel?: { dialplan?: unknown } }).channel?.dialplan, e.args, (e as { timestamp?: string }).timestamp])));
  assert.deepEqual(events[0].args, ["idle"]);
  client.stop();
});

test("TextMessageReceived: a MESSAGE from an endpoint an application is subscribed to (or from anyone, subscribeAll) reaches it; the dialplan still gets it; without a dialplan extension it is 202 only while ARI wants it", async () => {
  const open = async (query: string) => {
    const got: AriEvent[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ari/events?${query}&api_key=asterisk:secret`);
    ws.on("message", (d) => got.push(JSON.parse(String(d)) as AriEvent));
    await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
    return { got, ws, texts: () => got.filter((e) => e.type === "TextMessageReceived") };
  };
  const sendMessage = async (to: string, body: string, status: number) =>
    ok(await runSipp({ scenario: messageSender({ to, body, status }), target: `127.0.0.1:${sipPort}`, localPort: await freePort(), calls: 1, inject: phoneCredentials("6002"), timeoutMs: 15_000 }), `MESSAGE to ${to}`);
  const subscription = (method: string) => fetch(`${base()}/ari/applications/texter/subscription?eventSource=endpoint:PJSIP/6002&api_key=asterisk:secret`, { method });
  const dialplanGot = () => (messages(recall.dataDir).match(/NOTICE\[\d+\] app_verbose\.c: dialplan got message: /g) ?? []).length;
  const texter = await open("app=texter");
  // Not subscribed: the dialplan has it, the application does not.
  await sendMessage("7000", "first", 202);
  await until("the dialplan's first message", () => dialplanGot() === 1);
  assert.equal((await subscription("POST")).status, 200);
  const everything = await open("app=watcher&subscribeAll=true");
  await sendMessage("7000", "hello ari", 202);
  await until("TextMessageReceived in both applications", () => texter.texts().length === 1 && everything.texts().length === 1);
  await until("the dialplan's second message", () => dialplanGot() === 2);
  const e = texter.texts()[0] as AriEvent & { message: { from: string; to: string; body: string; variables: Record<string, string>[] }; endpoint: { technology: string; resource: string } };
  assert.equal(e.message.body.trimEnd(), "hello ari", JSON.stringify(e.message.body));
  assert.match(e.message.from, /sip:6002@/);
  assert.match(e.message.to, /sip:7000@/);
  assert.deepEqual([e.endpoint.technology, e.endpoint.resource], ["PJSIP", "6002"]);
  const vars = Object.assign({}, ...e.message.variables) as Record<string, string>;
  assert.equal(vars.PJSIP_TRANSPORT, "udp");
  assert.match(vars.PJSIP_RECVADDR, /^127\.0\.0\.1:\d+$/);
  assert.equal(vars["Max-Forwards"], "70");
  assert.equal(e.application, "texter");
  // No extension for it: accepted while an application wants messages from 6002, ARI's alone.
  await sendMessage("7777", "only for ari", 202);
  await until("the second TextMessageReceived", () => texter.texts().length === 2);
  assert.equal((texter.texts()[1] as AriEvent & { message: { body: string } }).message.body.trimEnd(), "only for ari");
  everything.ws.close();
  assert.equal((await subscription("DELETE")).status, 200);
  await new Promise((r) => setTimeout(r, 200)); // the watcher's socket has closed: nobody wants 6002's messages
  await sendMessage("7777", "for nobody", 404);
  assert.equal(texter.texts().length, 2);
  assert.equal(dialplanGot(), 2);
  texter.ws.close();
});

test("a client that reconnects with since=OFFSET gets the events it missed, in the same order, then the live ones", async () => {
  const received: AriEvent[] = [];
  const first = new WebSocket(`ws://127.0.0.1:${httpPort}/ari/events?app=replayer&api_key=asterisk:secret`);
  first.on("message", (data) => {
    const e = JSON.parse(String(data)) as AriEvent;
    received.push(e);
    if (e.type === "StasisStart") {
      const at = `${base()}/ari/channels/${e.channel!.id}`;
      void fetch(`${at}/answer?api_key=asterisk:secret`, { method: "POST" }).then(() => fetch(`${at}?api_key=asterisk:secret`, { method: "DELETE" }));
    }
  });
  await new Promise<void>((resolve, reject) => { first.once("open", () => resolve()); first.once("error", reject); });
  ok(await runSipp({ scenario: uacCall({ exten: "203" }), target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 30_000 }), "caller to 203");
  await until("the channel destroyed", () => received.some((e) => e.type === "ChannelDestroyed"));
  first.close();
  const since = received[0].recall_offset as number;
  assert.ok(Number.isInteger(since));
  const fromLog = received.filter((e) => e.recall_offset !== undefined);
  const again: AriEvent[] = [];
  const second = new WebSocket(`ws://127.0.0.1:${httpPort}/ari/events?app=replayer&since=${since}&api_key=asterisk:secret`);
  second.on("message", (data) => again.push(JSON.parse(String(data)) as AriEvent));
  await until("the replayed events", () => again.length >= fromLog.length);
  assert.deepEqual(again.slice(0, fromLog.length).map((e) => [e.type, e.recall_offset]), fromLog.map((e) => [e.type, e.recall_offset]));
  second.close();
});

test("DTMF in an application is ChannelDtmfReceived; hold and unhold; hanging up an originated channel that rings cancels its call at once", async () => {
  const client = await ari.connect(base(), "asterisk", "secret");
  const digits: string[] = [];
  const destroyed: AriEvent[] = [];
  client.on("ChannelDtmfReceived", (e) => digits.push(String(e.digit)));
  client.on("ChannelDestroyed", (e) => destroyed.push(e));
  const held: string[] = [];
  client.on("StasisStart", (event, ch) => {
    if (event.args?.[0] !== "dtmf") return;
    const c = ch as AriChannel & { hold(): Promise<void>; unhold(): Promise<void> };
    void c.answer().then(() => c.hold()).then(() => c.unhold()).then(() => held.push("held and resumed"), (e: Error) => held.push(e.message));
  });
  await client.start("demo");
  ok(await runSipp({ scenario: uacCall({ exten: "204", dtmf: "12#", holdMs: 800 }), target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 30_000 }), "caller to 204");
  await until("three digits", () => digits.length === 3);
  assert.deepEqual(digits, ["1", "2", "#"]);
  assert.deepEqual(held, ["held and resumed"]);
  // The phone rings and never answers: the application gives up on it.
  const phone = startSipp({ scenario: uasCall({}), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 300));
  const out = client.Channel();
  await out.originate({ endpoint: "PJSIP/6002", app: "demo", appArgs: "never", timeout: 20 });
  await new Promise((r) => setTimeout(r, 1000));
  const t = Date.now();
  await out.hangup();
  ok(await phone.done, "phone cancelled");
  assert.ok(Date.now() - t < 5000, "cancelled at once, not at the 20 s timeout");
  await until("the originated channel destroyed", () => destroyed.some((e) => e.channel?.id === out.id));
  client.stop();
});

test("ari-client drives the media operations from the Swagger documents: externalMedia, snoop, mute, bridge music on hold", async () => {
  const client = await ari.connect(base(), "asterisk", "secret") as AriClient & {
    channels: { externalMedia(o: object): Promise<AriChannel>; snoopChannel(o: object): Promise<AriChannel>; mute(o: object): Promise<void>; hangup(o: object): Promise<void> };
    bridges: { create(o: object): Promise<AriBridge>; addChannel(o: object): Promise<void>; startMoh(o: object): Promise<void>; stopMoh(o: object): Promise<void>; destroy(o: object): Promise<void> };
  };
  const started: string[] = [];
  client.on("StasisStart", (e) => started.push(e.channel!.id));
  await client.start("media-client");
  const rtp = await client.channels.externalMedia({ app: "media-client", external_host: "127.0.0.1:9", format: "ulaw" });
  assert.match(rtp.name, /^UnicastRTP\/127\.0\.0\.1:9-/);
  const snoop = await client.channels.snoopChannel({ channelId: rtp.id, app: "media-client", spy: "both" });
  assert.match(snoop.name, new RegExp(`^Snoop/${rtp.id}-`));
  await until("both in the application", () => started.includes(rtp.id) && started.includes(snoop.id));
  await client.channels.mute({ channelId: rtp.id, direction: "out" });
  const bridge = await client.bridges.create({ type: "mixing" });
  await client.bridges.addChannel({ bridgeId: bridge.id, channel: [rtp.id, snoop.id] });
  await client.bridges.startMoh({ bridgeId: bridge.id });
  await client.bridges.stopMoh({ bridgeId: bridge.id });
  await client.bridges.destroy({ bridgeId: bridge.id });
  const ended: string[] = [];
  client.on("ChannelDestroyed", (e) => ended.push(e.channel!.id));
  await client.channels.hangup({ channelId: rtp.id });
  await until("the snoop gone with the channel it snooped on", () => ended.includes(rtp.id) && ended.includes(snoop.id));
  assert.equal((await fetch(`${base()}/ari/channels/${snoop.id}?api_key=asterisk:secret`)).status, 404);
  client.stop();
});

test("a Python client over plain HTTP gets ARI's status codes", async () => {
  const script = join(packageRoot, "interfaces", "ari", "ari_status_codes.py");
  const { stdout } = await run(python3, [script, base()], { timeout: 60_000 });
  const results = JSON.parse(stdout) as { name: string; status: number; expected: number; body: string }[];
  const wrong = results.filter((r) => r.status !== r.expected);
  assert.deepEqual(wrong, [], JSON.stringify(wrong, null, 1));
  assert.ok(results.length >= 20);
});

test("an event WebSocket whose client stops reading is closed and logged; Recall goes on serving", async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ari/events?app=slow&api_key=asterisk:secret`);
  await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
  // Stop reading: the kernel buffers fill, then Recall's bound is reached.
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const big = "x".repeat(60_000);
  let closedByServer = false;
  for (let i = 0; i < 400 && !closedByServer; i++) {
    const r = await fetch(`${base()}/ari/events/user/flood?application=slow&api_key=asterisk:secret`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ variables: { big } }),
    });
    if (r.status === 204) continue;
    closedByServer = true; // the application went away with its socket
    assert.equal(r.status, 404);
  }
  await until("the closing to be logged", () => /Closing the event WebSocket of slow/.test(messages(recall.dataDir)), 20_000);
  ws.terminate();
  const ping = await fetch(`${base()}/ari/asterisk/ping`, { headers: { Authorization: `Basic ${Buffer.from("asterisk:secret").toString("base64")}` } });
  assert.equal(ping.status, 200);
  assert.equal((await ping.json() as { ping: string }).ping, "pong");
});

test("the log of every scenario passes recall replay --verify", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"], { timeout: 60_000 });
  assert.match(stdout, /\d+ events, 0 divergences/);
});
