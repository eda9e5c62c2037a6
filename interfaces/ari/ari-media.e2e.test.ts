/**
 * ARI's media operations end to end: a real `recall start`, sipp callers whose RTP goes to
 * sockets the test owns (so it sends and hears real audio), plain HTTP and the event
 * WebSocket as an ARI application speaks them.
 * - a mixing bridge of three callers: each hears the sum of the other two; mute in/out;
 *   the bridge's recording holds everyone; one with beep (every member hears it first)
 *   and terminateOn=any ends on a member's digit; a bridge playback and music on hold reach all;
 * - snoop: a Snoop channel recorded through /channels/{snoopId}/record holds the caller's
 *   speech; a whispering snoop's playback reaches the caller; both end with the caller;
 *   `tone:busy` is heard on and off until stopped, `silence` sends silence until stopped;
 *   hung up mid-prompt and mid-recording, the application still hears both finish;
 * - externalMedia to an AudioSocket server written here (UUID first, 20 ms slin frames,
 *   echoed back, hang-up frame) and to an RTP echo at a UDP address: the caller hears
 *   itself through them;
 * - redirect of an unanswered caller: 302 with the target as Contact; of an answered one:
 *   a REFER, whose NOTIFY Recall answers, and the phone hangs up;
 * - a live recording of a caller paused for a second (the file is shorter by it, the speech
 *   before and after intact) and muted (silence written in place of the audio), each step
 *   in the call's history;
 * - record's options: the beep heard before RecordingStarted, terminateOn ending it on the
 *   caller's RFC 4733 #, maxSilenceSeconds ending it in the quiet with 200 ms kept, ifExists
 *   fail (409) / overwrite / append;
 * then the log passes `recall replay --verify`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server, type Socket as TcpSocket } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import WebSocket from "ws";
import { freePort, messages, startRecall, type RecallProcess } from "../cli/recall-process.js";
import { packageRoot } from "../cli/paths.js";
import { startSipp, type SippResult } from "../../sip/sipp/sipp.js";
import { uacCall } from "../../sip/sipp/call-scenarios.js";
import { send } from "../../sip/sipp/xml.js";
import { logAnswerPort, loggedPort } from "../../sip/sipp/media-scenarios.js";
import { frames, readWav, toUlaw, ulawDecode, ulawEncode } from "../../sip/sipp/audio.js";
import { AS_AUDIO, AS_HANGUP, AS_UUID, AsParser, asFrame } from "../../media-workers/audiosocket.js";
import { tempDir } from "../../core/reap.js";

const run = promisify(execFile);
const SOUNDS = "/usr/share/asterisk/sounds/en";
const skip = !existsSync(join(SOUNDS, "hello-world.wav")) ? "asterisk-core-sounds-en-wav is not installed" : false;
const tmp = tempDir("recall-ari-media-");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * How much of the audio sent must arrive. On a quiet machine all of it does; at load
 * averages of 20 and more on two cores (other developers' tests), the media clock and
 * this test's own sending fall behind and the workers' bounded queues drop frames. What
 * arrives must still be the audio sent, identical and in order.
 */
const ARRIVED = 0.6;

let recall: RecallProcess;
let sipPort: number, httpPort: number;
const KEY = "api_key=asterisk:secret";

interface AriEvent { type: string; args?: string[]; channel?: { id: string; name: string }; playback?: { id: string; state: string }; recording?: { name: string; state: string }; [k: string]: unknown }

/** A phone's RTP socket: sends µ-law frames paced at 20 ms, keeps every packet it gets. */
class Phone {
  readonly sock: Socket = createSocket("udp4");
  readonly got: { seq: number; timestamp: number; payload: Buffer; at: number }[] = [];
  port = 0;
  /** Recall's RTP port for this phone's leg (from the 200 OK), once known. */
  remote = 0;
  private seq = 1;
  private ts = 0;
  async bind(): Promise<this> {
    this.sock.on("message", (m) => {
      if (m.length < 12 || m[0] >> 6 !== 2 || (m[1] & 0x7f) !== 0) return;
      this.got.push({ seq: m.readUInt16BE(2), timestamp: m.readUInt32BE(4), payload: Buffer.from(m.subarray(12)), at: Date.now() });
    });
    await new Promise<void>((r) => this.sock.bind(0, "127.0.0.1", () => r()));
    this.port = this.sock.address().port;
    return this;
  }
  send(frame: Uint8Array): void {
    const h = Buffer.alloc(12);
    h[0] = 0x80; h[1] = 0; h.writeUInt16BE(this.seq++ & 0xffff, 2); h.writeUInt32BE(this.ts >>> 0, 4); h.writeUInt32BE(0x5eed0000 + this.port, 8);
    this.ts += 160;
    this.sock.send(Buffer.concat([h, frame]), this.remote, "127.0.0.1");
  }
  /** An RFC 4733 digit (payload type 101, as the SDP offers): three updates and three end packets, 100 ms long. */
  async dtmf(digit: string): Promise<void> {
    const event = "0123456789*#".indexOf(digit);
    const ts = this.ts;
    for (let i = 1; i <= 6; i++) {
      const h = Buffer.alloc(16);
      h[0] = 0x80; h[1] = 101 | (i === 1 ? 0x80 : 0); h.writeUInt16BE(this.seq++ & 0xffff, 2); h.writeUInt32BE(ts >>> 0, 4); h.writeUInt32BE(0x5eed0000 + this.port, 8);
      const duration = Math.min(i, 4) * 200;
      h[12] = event; h[13] = (i >= 4 ? 0x80 : 0) | 10; h.writeUInt16BE(duration, 14);
      this.sock.send(h, this.remote, "127.0.0.1");
      if (i < 4) await sleep(20);
    }
    this.ts += 800;
  }
  /** Frames heard since `from` (a Date.now()), decoded. */
  heard(from: number): Int16Array[] { return this.got.filter((g) => g.at >= from).map((g) => Int16Array.from(g.payload, ulawDecode)); }
  close(): void { this.sock.close(); }
}

/** 20 ms of a constant level, µ-law. */
const level = (v: number) => new Uint8Array(160).fill(ulawEncode(v));
/** The middle value of what a list of frames holds (their first samples). */
const median = (fs: Int16Array[]) => { const v = fs.map((f) => f[80]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)] ?? NaN; };
const near = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= Math.max(64, want * 0.06), `${what}: heard ${got}, expected about ${want}`);

/**
 * How much of `sent` came back unchanged: the received 20 ms frames that are, byte for
 * byte (µ-law's two zeros as one), one of the sent frames, and how many of those follow
 * the one before in the sent order. Frames are looked up one by one, not at one offset:
 * on a loaded machine a member of a mix may skip a tick and catch up, which moves the
 * rest of the audio by a frame without changing a sample.
 */
function identical(sent: readonly Uint8Array[], received: readonly Uint8Array[]): { voiced: number; identical: number; inOrder: number } {
  const key = (f: Uint8Array) => Buffer.from(f.map((b) => (b === 0x7f ? 0xff : b))).toString("latin1");
  const at = new Map<string, number>();
  sent.forEach((f, i) => { if (!at.has(key(f))) at.set(key(f), i); });
  const voiced = received.filter((f) => f.some((b) => b !== 0xff && b !== 0x7f));
  let found = 0, inOrder = 0, last = -1;
  for (const f of voiced) {
    const i = at.get(key(f));
    if (i === undefined) continue;
    found++;
    if (i > last) inOrder++;
    last = i;
  }
  return { voiced: voiced.length, identical: found, inOrder };
}
const payloads = (p: Phone, from: number) => p.got.filter((g) => g.at >= from).map((g) => g.payload);
/** A recording's samples as µ-law frames (it is written a whole frame at a time). */
const recordedFrames = (pcm: Int16Array) => frames(toUlaw(pcm));

/** Sends frames from several phones at once, paced at 20 ms. */
async function talk(plan: [Phone, (i: number) => Uint8Array][], count: number): Promise<void> {
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    for (const [p, f] of plan) p.send(f(i));
    const wait = t0 + (i + 1) * 20 - Date.now();
    if (wait > 0) await sleep(wait);
  }
}

async function rest(method: string, path: string, query = ""): Promise<{ status: number; body: any }> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/ari${path}?${query}${query ? "&" : ""}${KEY}`, { method });
  const text = await r.text();
  const type = r.headers.get("content-type") ?? "";
  return { status: r.status, body: type.includes("json") && text ? JSON.parse(text) : text };
}

/** The events of application `app`, as they arrive. */
async function application(app: string): Promise<{ events: AriEvent[]; ws: WebSocket; wait(what: string, pred: (e: AriEvent) => boolean, ms?: number): Promise<AriEvent> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ari/events?app=${app}&${KEY}`);
  const events: AriEvent[] = [];
  ws.on("message", (d) => events.push(JSON.parse(String(d)) as AriEvent));
  await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
  const wait = async (what: string, pred: (e: AriEvent) => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const e = events.find(pred);
      if (e) return e;
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}; events: ${events.map((x) => x.type).join(",")}\n${messages(recall.dataDir).slice(-2500)}`);
      await sleep(20);
    }
  };
  return { events, ws, wait };
}

/** A sipp caller whose SDP names `phone`'s socket; `phone.remote` is set once Recall's 200 OK came. */
function call(exten: string, phone: Phone, o: { expect?: number; check?: (scenario: string) => string } = {}) {
  const dir = mkdtempSync(join(tmp, "sipp-"));
  const logFile = join(dir, "log.txt");
  const scenario = o.expect ? o.check!(uacCall({ exten, expect: o.expect })) : logAnswerPort(uacCall({ exten, mediaPort: phone.port }));
  const s = startSipp({ scenario, target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 60_000, extraArgs: ["-trace_logs", "-log_file", logFile] });
  const answered = async () => {
    for (let i = 0; i < 400; i++) {
      const p = existsSync(logFile) ? loggedPort(readFileSync(logFile, "utf8")) : undefined;
      if (p !== undefined) { phone.remote = p; return; }
      await sleep(25);
    }
    throw new Error(`sipp logged no RTP port (${logFile})`);
  };
  return { ...s, answered };
}

const ok = (r: SippResult, who: string) => assert.equal(r.code, 0, `${who}: sipp exited ${r.code}\n${r.errors}\n${r.stderr.slice(-1500)}`);

before(async () => {
  if (skip) return;
  [sipPort, httpPort] = [await freePort(), await freePort()];
  const moh = join(tmp, "moh");
  mkdirSync(moh);
  copyFileSync(join(SOUNDS, "tt-weasels.wav"), join(moh, "weasels.wav"));
  recall = await startRecall({
    "http.conf": `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${httpPort}\n`,
    "ari.conf": `[general]\nenabled = yes\n\n[asterisk]\ntype = user\npassword = secret\n`,
    "musiconhold.conf": `[default]\nmode = files\ndirectory = ${moh}\n`,
    "pjsip.conf": `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${sipPort}
[caller]
type = endpoint
context = from-sipp
allow = ulaw
direct_media = no
`,
    "extensions.conf": `
[from-sipp]
exten => 300,1,Stasis(media,conf)
 same => n,Hangup()
exten => 301,1,Stasis(media,redirect)
 same => n,Hangup()
exten => 302,1,Stasis(media,snooped)
 same => n,Hangup()
exten => 303,1,Stasis(media,external)
 same => n,Hangup()
exten => 304,1,Stasis(media,refer)
 same => n,Hangup()
exten => 305,1,Stasis(media,recorded)
 same => n,Hangup()
exten => 306,1,Stasis(media,options)
 same => n,Hangup()
`,
  });
});

after(async () => {
  await recall?.stop();
});

test("a mixing bridge of three sipp callers: each hears the other two; mute; the bridge's recording, playback and music on hold", { skip }, async () => {
  const app = await application("media");
  const phones = await Promise.all([0, 1, 2].map(() => new Phone().bind()));
  const calls = phones.map((p) => call("300", p));
  const starts = await Promise.all([0, 1, 2].map(async (i) => {
    await app.wait(`StasisStart ${i + 1}`, () => app.events.filter((e) => e.type === "StasisStart" && e.args?.[0] === "conf").length > i);
    return app.events.filter((e) => e.type === "StasisStart" && e.args?.[0] === "conf")[i];
  }));
  const ids = starts.map((e) => e.channel!.id);
  for (const id of ids) assert.equal((await rest("POST", `/channels/${id}/answer`)).status, 204);
  await Promise.all(calls.map((c) => c.answered()));
  const bridge = await rest("POST", "/bridges", "type=mixing&name=conf");
  assert.equal(bridge.status, 200);
  const bid = bridge.body.id as string;
  assert.equal((await rest("POST", `/bridges/${bid}/addChannel`, `channel=${ids.join(",")}`)).status, 204);
  await app.wait("three in the bridge", () => app.events.filter((e) => e.type === "ChannelEnteredBridge").length === 3);
  await sleep(300);
  const levels = [1000, 2000, 4000];
  const total = levels.reduce((a, b) => a + b);
  let t = Date.now();
  await talk(phones.map((p, i) => [p, () => level(levels[i])]), 75);
  await sleep(100);
  phones.forEach((p, i) => near(median(p.heard(t + 500)), total - levels[i], `phone ${i} (N-1 of a three-party mix)`));

  // Mute what phone 0 sends: the others no longer hear it; it still hears them.
  assert.equal((await rest("POST", `/channels/${ids[0]}/mute`, "direction=in")).status, 204);
  t = Date.now();
  await talk(phones.map((p, i) => [p, () => level(levels[i])]), 50);
  await sleep(100);
  // Which phone is which channel is not known here (StasisStart comes in any order): exactly one phone
  // still hears both others, and the other two no longer hear it.
  const heard = phones.map((p) => median(p.heard(t + 400)));
  const mutedIdx = levels.findIndex((l, i) => Math.abs(heard[i] - (total - l)) <= Math.max(64, (total - l) * 0.06));
  assert.ok(mutedIdx >= 0, `the muted phone still hears both others: ${heard.join(",")}`);
  phones.forEach((_, i) => { if (i !== mutedIdx) near(heard[i], total - levels[i] - levels[mutedIdx], `phone ${i} with phone ${mutedIdx} muted`); });
  assert.equal((await rest("DELETE", `/channels/${ids[0]}/mute`, "direction=in")).status, 204);
  assert.equal((await rest("POST", `/channels/nosuch/mute`)).status, 404);
  assert.equal((await rest("POST", `/channels/${ids[0]}/mute`, "direction=sideways")).status, 400);

  // The bridge's recording: everyone at once.
  const rec = await rest("POST", `/bridges/${bid}/record`, "name=conf-rec&format=wav");
  assert.equal(rec.status, 201, JSON.stringify(rec.body));
  assert.equal(rec.body.target_uri, `bridge:${bid}`);
  await sleep(200);
  await talk(phones.map((p, i) => [p, () => level(levels[i])]), 50);
  assert.equal((await rest("POST", "/recordings/live/conf-rec/stop")).status, 204);
  await app.wait("RecordingFinished", (e) => e.type === "RecordingFinished" && e.recording?.name === "conf-rec");
  const file = await fetch(`http://127.0.0.1:${httpPort}/ari/recordings/stored/conf-rec/file?${KEY}`);
  assert.equal(file.status, 200);
  const wav = Buffer.from(await file.arrayBuffer());
  const samples = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - (wav.length & 1)));
  const loud = [...samples].filter((v) => Math.abs(v - total) <= total * 0.06).length;
  assert.ok(loud >= 8000 * ARRIVED / 2, `${loud} samples of the recording hold all three (${total})`);

  // A bridge recording with beep and terminateOn=any: every member hears the beep first; a digit from any member ends it.
  const beep = frames(toUlaw(readWav(join(SOUNDS, "beep.wav"))));
  t = Date.now();
  const beeped = await rest("POST", `/bridges/${bid}/record`, "name=conf-beep&format=wav&beep=true&terminateOn=any");
  assert.deepEqual([beeped.status, beeped.body.state], [201, "queued"]);
  await app.wait("RecordingStarted after the beep", (e) => e.type === "RecordingStarted" && e.recording?.name === "conf-beep");
  for (const [i, p] of phones.entries()) {
    const m = identical(beep, payloads(p, t));
    assert.ok(m.identical >= ARRIVED * beep.length, `phone ${i} heard the beep: ${JSON.stringify(m)} of ${beep.length} frames`);
  }
  await talk(phones.map((p, i) => [p, () => level(levels[i])]), 25);
  await phones[2].dtmf("5");
  const ended = await app.wait("RecordingFinished on a member's digit", (e) => e.type === "RecordingFinished" && e.recording?.name === "conf-beep");
  assert.equal(ended.recording?.state, "done");
  assert.ok(app.events.findIndex((e) => e.type === "ChannelDtmfReceived" && e.digit === "5") < app.events.indexOf(ended), "the digit's event first");

  // A playback on the bridge: every member hears the prompt's samples.
  const prompt = frames(toUlaw(readWav(join(SOUNDS, "hello-world.wav"))));
  t = Date.now();
  const pb = await rest("POST", `/bridges/${bid}/play`, "media=sound:hello-world");
  assert.equal(pb.status, 201);
  assert.equal(pb.body.target_uri, `bridge:${bid}`);
  await app.wait("PlaybackFinished", (e) => e.type === "PlaybackFinished" && e.playback?.id === pb.body.id);
  for (const [i, p] of phones.entries()) {
    const m = identical(prompt, payloads(p, t));
    assert.ok(m.identical >= ARRIVED * prompt.length && m.inOrder >= 0.9 * m.identical, `phone ${i}: ${JSON.stringify(m)} of ${prompt.length} prompt frames`);
  }
  // Music on hold on the bridge, then not.
  assert.equal((await rest("POST", `/bridges/${bid}/moh`)).status, 204);
  t = Date.now();
  await sleep(800);
  for (const p of phones) assert.ok(p.heard(t + 200).filter((f) => f.some((v) => Math.abs(v) > 200)).length >= 10, "music on hold heard");
  assert.equal((await rest("DELETE", `/bridges/${bid}/moh`)).status, 204);
  await sleep(300);
  t = Date.now();
  await sleep(400);
  for (const p of phones) assert.ok(p.heard(t).every((f) => f.every((v) => Math.abs(v) < 64)), "silence once the music stopped");
  assert.equal((await rest("POST", `/bridges/nosuch/play`, "media=sound:hello-world")).status, 404);

  for (const id of ids) assert.equal((await rest("DELETE", `/channels/${id}`)).status, 204);
  for (const [i, c] of calls.entries()) ok(await c.done, `caller ${i}`);
  assert.equal((await rest("DELETE", `/bridges/${bid}`)).status, 204);
  app.ws.close();
  phones.forEach((p) => p.close());
});

test("snoop: a Snoop channel's recording holds the caller's speech; a whispering snoop's playback reaches the caller; tone: and silence; snoops end with the caller", { skip }, async () => {
  const app = await application("media");
  const phone = await new Phone().bind();
  const c = call("302", phone);
  const start = await app.wait("StasisStart", (e) => e.type === "StasisStart" && e.args?.[0] === "snooped");
  const id = start.channel!.id;
  assert.equal((await rest("POST", `/channels/${id}/answer`)).status, 204);
  await c.answered();
  // Bad input first.
  assert.equal((await rest("POST", `/channels/${id}/snoop`, "app=media")).status, 400, "neither spy nor whisper");
  assert.equal((await rest("POST", `/channels/${id}/snoop`, "app=media&spy=sideways")).status, 400);
  assert.equal((await rest("POST", `/channels/${id}/snoop`, "spy=in")).status, 400, "no app");
  assert.equal((await rest("POST", `/channels/nosuch/snoop`, "app=media&spy=in")).status, 404);

  const spy = await rest("POST", `/channels/${id}/snoop`, "app=media&spy=in&appArgs=listening");
  assert.equal(spy.status, 200, JSON.stringify(spy.body));
  assert.match(spy.body.name, new RegExp(`^Snoop/${id.replace(".", "\\.")}-[0-9a-f]{8}$`));
  const sid = spy.body.id as string;
  const snoopStart = await app.wait("the snoop's StasisStart", (e) => e.type === "StasisStart" && e.channel?.id === sid);
  assert.deepEqual(snoopStart.args, ["listening"]);
  assert.equal((await rest("POST", `/channels/${sid}/record`, "name=snooped&format=wav")).status, 201);
  await sleep(100);
  const speech = readWav(join(SOUNDS, "tt-weasels.wav"));
  const speechFrames = frames(toUlaw(speech));
  await talk([[phone, (i) => speechFrames[i]]], speechFrames.length);
  await sleep(200);
  assert.equal((await rest("POST", "/recordings/live/snooped/stop")).status, 204);
  await app.wait("RecordingFinished", (e) => e.type === "RecordingFinished" && e.recording?.name === "snooped");
  const file = await fetch(`http://127.0.0.1:${httpPort}/ari/recordings/stored/snooped/file?${KEY}`);
  const wav = Buffer.from(await file.arrayBuffer());
  const got = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - (wav.length & 1)));
  const m = identical(speechFrames, recordedFrames(got));
  assert.ok(m.voiced >= ARRIVED * speechFrames.filter((f) => f.some((b) => b !== 0xff && b !== 0x7f)).length, `${m.voiced} voiced frames recorded of ${speechFrames.length} sent`);
  assert.ok(m.identical >= 0.95 * m.voiced && m.inOrder >= 0.95 * m.identical, `${JSON.stringify(m)}: the recording is the caller's speech`);

  // Whisper: what is played to this snoop is heard by the snooped caller.
  const whisper = await rest("POST", `/channels/${id}/snoop/whisper-1`, "app=media&whisper=out");
  assert.equal(whisper.status, 200);
  assert.equal(whisper.body.id, "whisper-1");
  assert.equal((await rest("POST", `/channels/${id}/snoop/whisper-1`, "app=media&whisper=out")).status, 409, "the id is taken");
  await app.wait("the whisperer's StasisStart", (e) => e.type === "StasisStart" && e.channel?.id === "whisper-1");
  const prompt = frames(toUlaw(readWav(join(SOUNDS, "hello-world.wav"))));
  const t = Date.now();
  const pb = await rest("POST", "/channels/whisper-1/play", "media=sound:hello-world");
  assert.equal(pb.status, 201);
  await app.wait("PlaybackFinished", (e) => e.type === "PlaybackFinished" && e.playback?.id === pb.body.id);
  await sleep(100);
  const w = identical(prompt, payloads(phone, t));
  assert.ok(w.identical >= ARRIVED * prompt.length && w.inOrder >= 0.9 * w.identical, `${JSON.stringify(w)} of ${prompt.length} whispered frames`);

  // tone:busy (480+620 Hz, 500 ms on, 500 ms off) until the playback is stopped; then silence on demand.
  let from = Date.now();
  const busy = await rest("POST", `/channels/${id}/play/busy-1`, "media=tone:busy");
  assert.equal(busy.status, 201);
  await sleep(1300);
  assert.equal((await rest("DELETE", "/playbacks/busy-1")).status, 204);
  await app.wait("the tone's PlaybackFinished", (e) => e.type === "PlaybackFinished" && e.playback?.id === "busy-1");
  const rms = (f: Int16Array) => Math.sqrt(f.reduce((a, v) => a + v * v, 0) / f.length);
  const toneFrames = phone.heard(from).map(rms);
  assert.ok(toneFrames.filter((r) => r > 1500).length >= ARRIVED * 40 && toneFrames.filter((r) => r < 50).length >= ARRIVED * 25, `busy tone on and off: ${toneFrames.map((r) => Math.round(r)).join(",")}`);
  assert.equal((await rest("POST", `/channels/${id}/play`, "media=tone:nosuchtone")).status, 201, "accepted, then failed");
  await app.wait("a failed tone", (e) => e.type === "PlaybackFinished" && e.playback?.state === "failed");
  await sleep(200);
  from = Date.now();
  assert.equal((await rest("POST", `/channels/${id}/silence`)).status, 204);
  await sleep(600);
  const silent = phone.heard(from + 100);
  assert.ok(silent.length >= ARRIVED * 25 && silent.every((f) => rms(f) < 16), `${silent.length} frames of silence`);
  assert.equal((await rest("DELETE", `/channels/${id}/silence`)).status, 204);
  await sleep(200);
  from = Date.now();
  await sleep(400);
  assert.ok(phone.heard(from).length <= 1, "nothing sent once the silence stopped");
  assert.equal((await rest("POST", "/channels/nosuch/silence")).status, 404);

  // Hung up while a prompt plays and a recording runs: the application still hears both end.
  const long = await rest("POST", `/channels/${id}/play/long-1`, "media=sound:tt-weasels");
  assert.equal(long.status, 201);
  assert.equal((await rest("POST", `/channels/${id}/record`, "name=cut-short&format=wav")).status, 201);
  await app.wait("the long prompt started", (e) => e.type === "PlaybackStarted" && e.playback?.id === "long-1");
  await sleep(300);
  // The snoops go with the caller.
  assert.equal((await rest("DELETE", `/channels/${id}`)).status, 204);
  await app.wait("PlaybackFinished after the hang-up", (e) => e.type === "PlaybackFinished" && e.playback?.id === "long-1");
  await app.wait("RecordingFinished after the hang-up", (e) => e.type === "RecordingFinished" && e.recording?.name === "cut-short");
  ok(await c.done, "caller");
  for (const s of [sid, "whisper-1"]) await app.wait(`${s} destroyed`, (e) => e.type === "ChannelDestroyed" && e.channel?.id === s);
  app.ws.close();
  phone.close();
});

test("externalMedia: an AudioSocket server and an RTP echo bridged with a sipp caller hear it and answer it; the server's hang-up ends its channel", { skip }, async () => {
  // The AudioSocket server: the UUID frame first, then 20 ms slin frames, each echoed back.
  const seen: { first?: number; uuid?: string; audio: number; sockets: TcpSocket[] } = { audio: 0, sockets: [] };
  const server: Server = createServer((sock) => {
    seen.sockets.push(sock);
    const parser = new AsParser();
    sock.on("data", (d) => {
      for (const f of parser.push(d)) {
        seen.first ??= f.type;
        if (f.type === AS_UUID) seen.uuid = f.payload.toString("hex");
        if (f.type === AS_AUDIO) { seen.audio++; assert.equal(f.payload.length, 320); sock.write(asFrame(AS_AUDIO, f.payload)); }
      }
    });
    sock.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const asPort = (server.address() as { port: number }).port;
  const app = await application("media");
  const phone = await new Phone().bind();
  const c = call("303", phone);
  const start = await app.wait("StasisStart", (e) => e.type === "StasisStart" && e.args?.[0] === "external");
  const id = start.channel!.id;
  assert.equal((await rest("POST", `/channels/${id}/answer`)).status, 204);
  await c.answered();

  const uuid = "4f9d0c1e-2b3a-4c5d-8e6f-708192a3b4c5";
  const host = `external_host=127.0.0.1:${asPort}`;
  for (const [q, why] of [
    [`app=media&${host}&encapsulation=audiosocket&transport=udp&format=slin&data=${uuid}`, "audiosocket needs tcp"],
    [`app=media&${host}&encapsulation=audiosocket&transport=tcp&format=slin`, "no data (UUID)"],
    [`app=media&external_host=nowhere&encapsulation=audiosocket&transport=tcp&format=slin&data=${uuid}`, "no port"],
    [`${host}&encapsulation=audiosocket&transport=tcp&format=slin&data=${uuid}`, "no app"],
    [`app=media&${host}&encapsulation=audiosocket&transport=tcp&data=${uuid}`, "no format"],
    [`app=media&${host}&encapsulation=rtp&transport=tcp&format=ulaw`, "rtp needs udp"],
  ] as const) assert.equal((await rest("POST", "/channels/externalMedia", q)).status, 400, why);
  // Nobody listens there: 500, and no channel is left behind.
  const before = (await rest("GET", "/channels")).body.length as number;
  const refused = await rest("POST", "/channels/externalMedia", `app=media&external_host=127.0.0.1:${await freePort()}&encapsulation=audiosocket&transport=tcp&format=slin&data=${uuid}`);
  assert.equal(refused.status, 500, JSON.stringify(refused.body));
  assert.equal((await rest("GET", "/channels")).body.length, before);

  const ext = await rest("POST", "/channels/externalMedia", `app=media&${host}&encapsulation=audiosocket&transport=tcp&format=slin&data=${uuid}`);
  assert.equal(ext.status, 200, JSON.stringify(ext.body));
  assert.match(ext.body.name, /^AudioSocket\/127\.0\.0\.1:\d+-[0-9a-f]{8}$/);
  assert.equal(ext.body.state, "Up");
  const eid = ext.body.id as string;
  const extStart = await app.wait("the external channel's StasisStart", (e) => e.type === "StasisStart" && e.channel?.id === eid);
  assert.deepEqual(extStart.args, [uuid]);
  const bridge = (await rest("POST", "/bridges", "type=mixing")).body.id as string;
  assert.equal((await rest("POST", `/bridges/${bridge}/addChannel`, `channel=${id},${eid}`)).status, 204);
  await sleep(300);
  const speechFrames = frames(toUlaw(readWav(join(SOUNDS, "tt-weasels.wav"))));
  const voicedSent = speechFrames.filter((f) => f.some((b) => b !== 0xff && b !== 0x7f)).length;
  let t = Date.now();
  await talk([[phone, (i) => speechFrames[i]]], speechFrames.length);
  await sleep(300);
  assert.equal(seen.first, AS_UUID, "the UUID frame comes first");
  assert.equal(seen.uuid, uuid.replace(/-/g, ""));
  assert.ok(seen.audio >= ARRIVED * speechFrames.length, `${seen.audio} audio frames reached the server`);
  let echo = identical(speechFrames, payloads(phone, t));
  assert.ok(echo.identical >= 0.9 * echo.voiced && echo.voiced >= ARRIVED * voicedSent && echo.inOrder >= 0.9 * echo.identical, `${JSON.stringify(echo)}: echoed frames (${voicedSent} sent)`);
  // The server hangs up: its channel ends, the caller stays.
  for (const s of seen.sockets) s.end(asFrame(AS_HANGUP));
  await app.wait("the external channel destroyed", (e) => e.type === "ChannelDestroyed" && e.channel?.id === eid);
  assert.equal((await rest("GET", `/channels/${id}`)).status, 200);

  // RTP: an echo at a UDP address.
  const udp = createSocket("udp4");
  udp.on("message", (m, r) => udp.send(m, r.port, r.address));
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
  const rtp = await rest("POST", "/channels/externalMedia", `app=media&external_host=127.0.0.1:${udp.address().port}&format=ulaw`);
  assert.equal(rtp.status, 200, JSON.stringify(rtp.body));
  assert.match(rtp.body.name, /^UnicastRTP\/127\.0\.0\.1:\d+-[0-9a-f]{8}$/);
  assert.equal(rtp.body.channelvars.UNICASTRTP_LOCAL_ADDRESS, "127.0.0.1");
  assert.ok(Number(rtp.body.channelvars.UNICASTRTP_LOCAL_PORT) > 0);
  await app.wait("the RTP channel's StasisStart", (e) => e.type === "StasisStart" && e.channel?.id === rtp.body.id);
  assert.equal((await rest("POST", `/bridges/${bridge}/addChannel`, `channel=${rtp.body.id}`)).status, 204);
  await sleep(300);
  t = Date.now();
  await talk([[phone, (i) => speechFrames[i]]], speechFrames.length);
  await sleep(300);
  echo = identical(speechFrames, payloads(phone, t));
  assert.ok(echo.identical >= 0.9 * echo.voiced && echo.voiced >= ARRIVED * voicedSent && echo.inOrder >= 0.9 * echo.identical, `${JSON.stringify(echo)}: frames echoed over RTP (${voicedSent} sent)`);

  for (const ch of [rtp.body.id as string, id]) assert.equal((await rest("DELETE", `/channels/${ch}`)).status, 204);
  ok(await c.done, "caller");
  app.ws.close();
  phone.close();
  udp.close();
  server.close();
});

test("redirect: an unanswered caller gets 302 with the target as Contact, an answered one a REFER; bad endpoints get ARI's codes", { skip }, async () => {
  const app = await application("media");
  const phone = await new Phone().bind();
  // sipp checks the 302's Contact.
  const c = call("301", phone, { expect: 302, check: (s) => s.replace('<recv response="302" rtd="true"/>', `<recv response="302" rtd="true">
    <action><ereg regexp="sip:elsewhere@127\\.0\\.0\\.1:5999" search_in="hdr" header="Contact:" check_it="true" assign_to="contact"/></action>
  </recv>
  <Reference variables="contact"/>`) });
  const start = await app.wait("StasisStart", (e) => e.type === "StasisStart" && e.args?.[0] === "redirect");
  const id = start.channel!.id;
  assert.equal((await rest("POST", `/channels/${id}/redirect`)).status, 400, "no endpoint");
  assert.equal((await rest("POST", `/channels/${id}/redirect`, "endpoint=PJSIP")).status, 422, "no resource");
  assert.equal((await rest("POST", `/channels/${id}/redirect`, "endpoint=Local/100@x")).status, 422, "another technology");
  assert.equal((await rest("POST", `/channels/${id}/redirect`, "endpoint=PJSIP/nobody")).status, 404, "no such endpoint");
  assert.equal((await rest("POST", `/channels/nosuch/redirect`, "endpoint=PJSIP/caller")).status, 404);
  assert.equal((await rest("POST", `/channels/${id}/redirect`, `endpoint=${encodeURIComponent("PJSIP/sip:elsewhere@127.0.0.1:5999")}`)).status, 204);
  ok(await c.done, "caller redirected");
  await app.wait("StasisEnd", (e) => e.type === "StasisEnd" && e.channel?.id === id);

  // Answered: a REFER to the target; the phone accepts it, reports the new call's 200 and hangs up.
  const answered = uacCall({ exten: "304", mediaPort: phone.port });
  const tail = answered.indexOf('  <recv request="BYE"/>');
  const referred = `${answered.slice(0, tail)}  <recv request="REFER" crlf="true">
    <action>
      <ereg regexp="sip:elsewhere@127\\.0\\.0\\.1:5999" search_in="hdr" header="Refer-To:" check_it="true" assign_to="referto"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="From:" assign_to="peer"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="me"/>
    </action>
  </recv>
  <Reference variables="referto"/>
${send(["SIP/2.0 202 Accepted", "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]", "Contact: <sip:sipp@[local_ip]:[local_port]>"], [], false)}
${send(["NOTIFY [next_url] SIP/2.0", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]", "From: [$me]", "To: [$peer]", "Call-ID: [call_id]", "CSeq: 2 NOTIFY",
    "Contact: <sip:sipp@[local_ip]:[local_port]>", "Max-Forwards: 70", "Event: refer", "Subscription-State: terminated;reason=noresource"], ["SIP/2.0 200 OK"], true, "message/sipfrag;version=2.0")}
  <recv response="200"/>
${send(["BYE [next_url] SIP/2.0", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]", "From: [$me]", "To: [$peer]", "Call-ID: [call_id]", "CSeq: 3 BYE",
    "Contact: <sip:sipp@[local_ip]:[local_port]>", "Max-Forwards: 70"])}
  <recv response="200" crlf="true"/>
</scenario>
`;
  const r = startSipp({ scenario: referred, target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 30_000 });
  const s2 = await app.wait("StasisStart", (e) => e.type === "StasisStart" && e.args?.[0] === "refer");
  assert.equal((await rest("POST", `/channels/${s2.channel!.id}/answer`)).status, 204);
  await sleep(200);
  assert.equal((await rest("POST", `/channels/${s2.channel!.id}/redirect`, `endpoint=${encodeURIComponent("PJSIP/sip:elsewhere@127.0.0.1:5999")}`)).status, 204);
  ok(await r.done, "answered caller referred");
  await app.wait("its StasisEnd", (e) => e.type === "StasisEnd" && e.channel?.id === s2.channel!.id);
  await recall.waitFor(/Transfer of PJSIP\/caller-[0-9a-f]+: SIP\/2\.0 200 OK/, 5000);
  app.ws.close();
  phone.close();
});

test("a live recording paused for a second is that much shorter, the speech before and after intact; muted, it holds silence", { skip }, async () => {
  const app = await application("media");
  const phone = await new Phone().bind();
  const c = call("305", phone);
  const start = await app.wait("StasisStart", (e) => e.type === "StasisStart" && e.args?.[0] === "recorded");
  const id = start.channel!.id;
  assert.equal((await rest("POST", `/channels/${id}/answer`)).status, 204);
  await c.answered();
  const speech = frames(toUlaw(readWav(join(SOUNDS, "tt-weasels.wav"))));
  const before = speech.slice(0, 75), afterPause = speech.slice(75, 150);
  // What is sent while paused or muted: a constant level the speech never holds for a whole frame.
  const LEVEL = 3000;
  const loud = level(LEVEL);
  assert.equal((await rest("POST", "/recordings/live/nothing/pause")).status, 404);
  assert.equal((await rest("POST", `/channels/${id}/record`, "name=paused&format=wav")).status, 201);
  const began = Date.now();
  await talk([[phone, (i) => before[i]]], before.length);
  assert.equal((await rest("DELETE", "/recordings/live/paused/pause")).status, 409, "unpause while recording");
  const pausedAt = Date.now();
  assert.equal((await rest("POST", "/recordings/live/paused/pause")).status, 204);
  assert.equal((await rest("GET", "/recordings/live/paused")).body.state, "paused");
  assert.deepEqual((await rest("POST", "/recordings/live/paused/pause")).body, { message: "Recording not in session" }, "pause while paused");
  await talk([[phone, () => loud]], 50);
  assert.equal((await rest("DELETE", "/recordings/live/paused/pause")).status, 204);
  const paused = Date.now() - pausedAt;
  assert.equal((await rest("GET", "/recordings/live/paused")).body.state, "recording");
  await talk([[phone, (i) => afterPause[i]]], afterPause.length);
  assert.equal((await rest("POST", "/recordings/live/paused/mute")).status, 204);
  await talk([[phone, () => loud]], 50);
  assert.equal((await rest("DELETE", "/recordings/live/paused/mute")).status, 204);
  assert.equal((await rest("POST", "/recordings/live/paused/stop")).status, 204);
  const wall = Date.now() - began;
  await app.wait("RecordingFinished", (e) => e.type === "RecordingFinished" && e.recording?.name === "paused");
  assert.equal((await rest("POST", "/recordings/live/paused/mute")).status, 404, "a finished recording");
  const file = await fetch(`http://127.0.0.1:${httpPort}/ari/recordings/stored/paused/file?${KEY}`);
  const wav = Buffer.from(await file.arrayBuffer());
  const got = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - (wav.length & 1)));
  const stored = got.length / 8; // ms
  // Shorter than the wall time by about the pause (the media clock may lag the wall clock on a loaded machine).
  assert.ok(wall - stored >= 0.8 * paused && wall - stored <= paused + 300 + 0.1 * wall, `recorded ${stored} ms of ${wall} ms, paused ${paused} ms`);
  const rec = recordedFrames(got);
  for (const [what, sent] of [["before the pause", before], ["after the pause", afterPause]] as const) {
    const m = identical(sent, rec);
    const voiced = sent.filter((f) => f.some((b) => b !== 0xff && b !== 0x7f)).length;
    assert.ok(m.identical >= ARRIVED * voiced && m.inOrder >= 0.95 * m.identical, `${what}: ${JSON.stringify(m)} of ${voiced} voiced frames`);
  }
  // Nothing sent while paused or muted is in the file; the muted second is there as silence, after the speech.
  const levelFrames = rec.filter((f) => Int16Array.from(f, ulawDecode).every((v) => Math.abs(v - LEVEL) < 100)).length;
  assert.equal(levelFrames, 0, "no frame sent while paused or muted is recorded");
  const isSilent = (f: Uint8Array) => f.every((b) => b === 0xff || b === 0x7f);
  const keys = new Set(afterPause.filter((f) => !isSilent(f)).map((f) => Buffer.from(f).toString("latin1")));
  let last = -1;
  rec.forEach((f, i) => { if (keys.has(Buffer.from(f).toString("latin1"))) last = i; });
  const tail = rec.slice(last + 1);
  // The longest run of silence after the speech (its own quiet last frames come first).
  let silentRun = 0, longest = 0;
  for (const f of tail) { silentRun = isSilent(f) ? silentRun + 1 : 0; longest = Math.max(longest, silentRun); }
  assert.ok(longest >= ARRIVED * 50, `${longest} silent frames after the speech (muted for 50 frames)`);
  // Pause, unpause, mute and unmute are the recording actor's logged steps, in the call's history.
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--linkedid", id], { timeout: 60_000 });
  const steps = stdout.split("\n").filter((l) => l.includes("recording:paused@")).map((l) => / (\w+:[\w.]+) -> "(\w+)"/.exec(l)?.slice(1).join(" "));
  assert.deepEqual(steps, ["ari:start queued", "ari:record recording", "ari:pause paused", "ari:unpause recording", "ari:mute recording", "ari:unmute recording", "ari:stop recording", "media:finish done"]);
  assert.equal((await rest("DELETE", `/channels/${id}`)).status, 204);
  ok(await c.done, "caller");
  app.ws.close();
  phone.close();
});

/** A stored recording's samples (its WAV data), fetched over ARI. */
async function storedPcm(name: string): Promise<Int16Array> {
  const file = await fetch(`http://127.0.0.1:${httpPort}/ari/recordings/stored/${name}/file?${KEY}`);
  assert.equal(file.status, 200, `stored recording ${name}`);
  const wav = Buffer.from(await file.arrayBuffer());
  return new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - (wav.length & 1)));
}

test("record's options: beep before the recording, terminateOn ends it on the caller's #, maxSilenceSeconds on silence (200 ms kept), ifExists fail/overwrite/append; each recording is in the call's history", { skip }, async () => {
  const app = await application("media");
  const phone = await new Phone().bind();
  const c = call("306", phone);
  const start = await app.wait("StasisStart", (e) => e.type === "StasisStart" && e.args?.[0] === "options");
  const id = start.channel!.id;
  assert.equal((await rest("POST", `/channels/${id}/answer`)).status, 204);
  await c.answered();
  const speech = frames(toUlaw(readWav(join(SOUNDS, "tt-weasels.wav")))).slice(0, 50); // 1 s
  const beep = frames(toUlaw(readWav(join(SOUNDS, "beep.wav"))));
  const finished = (name: string) => app.wait(`RecordingFinished of ${name}`, (e) => e.type === "RecordingFinished" && e.recording?.name === name);
  const index = (pred: (e: AriEvent) => boolean) => app.events.findIndex(pred);

  // beep: 201 queued at once; the caller hears the beep, then RecordingStarted.
  const asked = Date.now();
  const queued = await rest("POST", `/channels/${id}/record`, "name=opt1&format=wav&beep=true&terminateOn=%23");
  assert.equal(queued.status, 201);
  assert.equal(queued.body.state, "queued");
  const started = await app.wait("RecordingStarted", (e) => e.type === "RecordingStarted" && e.recording?.name === "opt1");
  const heard = payloads(phone, asked);
  const m = identical(beep, heard);
  assert.ok(m.identical >= ARRIVED * m.voiced && m.voiced >= ARRIVED * beep.length, `the beep before RecordingStarted: ${JSON.stringify(m)} of ${beep.length} frames`);
  assert.equal(started.recording?.state, "recording");
  // terminateOn=#: a 1 digit changes nothing, # ends it after its ChannelDtmfReceived; the file is kept.
  await talk([[phone, (i) => speech[i]]], speech.length);
  await phone.dtmf("1");
  await sleep(300);
  assert.equal((await rest("GET", "/recordings/live/opt1")).body.state, "recording", "1 is not a terminator");
  await phone.dtmf("#");
  const done1 = await finished("opt1");
  assert.equal(done1.recording?.state, "done");
  const dtmfAt = index((e) => e.type === "ChannelDtmfReceived" && e.digit === "#");
  assert.ok(dtmfAt >= 0 && dtmfAt < app.events.indexOf(done1), "ChannelDtmfReceived # before RecordingFinished");
  const first = await storedPcm("opt1");
  assert.equal(identical(beep, recordedFrames(first)).identical, 0, "the beep is not in the recording");
  assert.ok(identical(speech, recordedFrames(first)).identical >= ARRIVED * speech.length, "the speech is");

  // ifExists: fail (the default) is 409 for a stored name, in any format; overwrite replaces; append adds.
  assert.equal((await rest("POST", `/channels/${id}/record`, "name=opt1&format=wav")).status, 409);
  assert.equal((await rest("POST", `/channels/${id}/record`, "name=opt1&format=sln&ifExists=fail")).status, 409);
  assert.equal((await rest("POST", `/channels/${id}/record`, "name=opt1&format=wav&maxSilenceSeconds=-1")).status, 400);
  assert.equal((await rest("POST", `/channels/${id}/record`, "name=opt1&format=wav&terminateOn=5")).status, 400);
  assert.equal((await rest("POST", `/channels/${id}/record`, "name=opt1&format=wav&ifExists=overwrite")).status, 201);
  await talk([[phone, (i) => speech[i]]], 15);
  assert.equal((await rest("POST", "/recordings/live/opt1/stop")).status, 204);
  await app.wait("the overwrite's end", (e) => e.type === "RecordingFinished" && e.recording?.name === "opt1" && e !== done1);
  const overwritten = await storedPcm("opt1");
  assert.ok(overwritten.length < first.length / 2, `overwritten: ${overwritten.length} samples, was ${first.length}`);
  const finishes = () => app.events.filter((e) => e.type === "RecordingFinished" && e.recording?.name === "opt1").length;
  assert.equal((await rest("POST", `/channels/${id}/record`, "name=opt1&format=wav&ifExists=append")).status, 201);
  await talk([[phone, (i) => speech[i]]], 25);
  assert.equal((await rest("POST", "/recordings/live/opt1/stop")).status, 204);
  await app.wait("the append's end", () => finishes() === 3);
  const appended = await storedPcm("opt1");
  assert.ok(appended.length > overwritten.length + 0.6 * 25 * 160, `appended: ${appended.length} samples after ${overwritten.length}`);
  assert.deepEqual(appended.subarray(0, overwritten.length), overwritten, "what was there stays first");

  // maxSilenceSeconds=1: speech, then quiet; it ends by itself 1 s into the quiet, 200 ms of it kept.
  assert.equal((await rest("POST", `/channels/${id}/record`, "name=opt2&format=wav&maxSilenceSeconds=1")).status, 201);
  const quietFrom = Date.now();
  await talk([[phone, (i) => speech[i]]], speech.length);
  const quiet = talk([[phone, () => level(30)]], 150); // 3 s under the threshold
  const done2 = await finished("opt2");
  const endedAfter = Date.now() - quietFrom;
  await quiet;
  assert.ok(endedAfter < 2900 + 1500, `ended ${endedAfter} ms after the start, during the 3 s of quiet`);
  const r2 = done2.recording as unknown as { duration: number; talking_duration: number; silence_duration: number };
  assert.equal(typeof r2.talking_duration, "number");
  assert.equal(r2.silence_duration, r2.duration - r2.talking_duration);
  const second = await storedPcm("opt2");
  const talkMs = identical(speech, recordedFrames(second)).identical * 20;
  assert.ok(second.length / 8 <= 1000 + 200 + 200, `${second.length / 8} ms stored: the speech and 200 ms of the quiet`);
  assert.ok(talkMs >= ARRIVED * 1000, `speech in it: ${talkMs} ms`);

  // Cancelled while its beep plays: it never starts (canceled), and no file is left.
  assert.equal((await rest("POST", `/channels/${id}/record`, "name=opt3&format=wav&beep=true")).status, 201);
  assert.equal((await rest("DELETE", "/recordings/live/opt3")).status, 204);
  const canceled = await finished("opt3");
  assert.equal(canceled.recording?.state, "canceled");
  assert.ok(!app.events.some((e) => e.type === "RecordingStarted" && e.recording?.name === "opt3"), "never started");
  assert.equal((await rest("GET", "/recordings/stored/opt3")).status, 404);

  // The call's history (recall replay --linkedid) holds each recording's steps: the digit, the silence.
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--linkedid", id], { timeout: 60_000 });
  assert.match(stdout, /recording:opt1@\d+ +#\d+ +dtmf:stop -> "recording"/);
  assert.match(stdout, /recording:opt1@\d+ +#\d+ +media:finish -> "done"/);
  assert.match(stdout, /recording:opt2@\d+ +#\d+ +media:finish -> "done"/);
  assert.equal((await rest("DELETE", `/channels/${id}`)).status, 204);
  ok(await c.done, "caller");
  app.ws.close();
  phone.close();
});

test("the log of every scenario passes recall replay --verify", { skip }, async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"], { timeout: 60_000 });
  assert.match(stdout, /\d+ events, 0 divergences/);
});
