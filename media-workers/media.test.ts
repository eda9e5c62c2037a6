import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { MediaService, MediaError, type DtmfEvent, type SessionEvent } from "./index.js";
import { buildRtp, parseRtp, telephoneEventPayload, type RtpHeader } from "./rtp.js";
import { decode, encode } from "./g711.js";
import { parseWav, wavHeader } from "./wav.js";
import { AS_AUDIO, AS_DTMF, AS_UUID, AsParser, asFrame } from "./audiosocket.js";
import { createAnswer, createOffer } from "../sip/sdp/index.js";
import { tosProbe } from "./tos-probe.js";
import { tempDir } from "../core/reap.js";

const SOUNDS = "/usr/share/asterisk/sounds";
const HAVE_SOUNDS = existsSync(join(SOUNDS, "en", "hello-world.wav"));
const tmp = tempDir("recall-media-");
let media: MediaService;

interface Got { h: RtpHeader; payload: Buffer; at: number }

/** A phone's RTP stack, reduced to what the tests need. */
class Peer {
  readonly sock: Socket;
  readonly got: Got[] = [];
  port = 0;
  private seq = 100;
  private ts = 1000;
  constructor() {
    this.sock = createSocket("udp4");
    this.sock.on("message", (m) => {
      const h = parseRtp(m);
      if (h) this.got.push({ h, payload: m.subarray(h.payloadOffset, h.payloadEnd), at: performance.now() });
    });
  }
  async bind(): Promise<this> {
    await new Promise<void>((r) => this.sock.bind(0, "127.0.0.1", () => r()));
    this.port = this.sock.address().port;
    return this;
  }
  send(to: number, pt: number, payload: Uint8Array, marker = false, ts?: number): void {
    this.seq = (this.seq + 1) & 0xffff;
    this.sock.send(buildRtp(pt, marker, this.seq, ts ?? this.ts, 0x1234, payload), to, "127.0.0.1");
    if (ts === undefined) this.ts += 160;
  }
  /** Stream `frames` 20 ms frames of a constant/sine signal in codec `pt`. */
  async stream(to: number, pt: 0 | 8, frames: number, sample: (i: number) => number): Promise<Int16Array> {
    const all = new Int16Array(frames * 160);
    for (let f = 0; f < frames; f++) {
      const pcm = Int16Array.from({ length: 160 }, (_, i) => sample(f * 160 + i));
      all.set(pcm, f * 160);
      this.send(to, pt, encode(pt === 0 ? "ulaw" : "alaw", pcm), f === 0);
      await sleep(20);
    }
    return all;
  }
  dtmf(to: number, digit: number, pt = 101): void {
    const ts = this.ts;
    for (let d = 160; d <= 800; d += 160) this.send(to, pt, telephoneEventPayload(digit, false, 10, d), d === 160, ts);
    for (let k = 0; k < 3; k++) this.send(to, pt, telephoneEventPayload(digit, true, 10, 800), false, ts);
    this.ts += 800;
  }
  close(): void { this.sock.close(); }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) { if (performance.now() > end) throw new Error("timed out waiting"); await sleep(10); }
}

async function session(codecs: string[], peer: Peer, opts: { te?: number; rtpTimeout?: number } = {}) {
  const s = await media.createSession({ codecs, rtpTimeout: opts.rtpTimeout });
  const codec = codecs[0], pt = codec === "ulaw" ? 0 : codec === "alaw" ? 8 : 118;
  await media.setRemote(s.id, { address: "127.0.0.1", port: peer.port, codec, payloadType: pt, telephoneEvent: opts.te ?? 101 });
  return s;
}

before(async () => { media = await MediaService.start({ workers: 2, rtpStart: 31000, rtpEnd: 31999, soundsDir: SOUNDS }); });
after(async () => { await media.stop(); });

test("sessions get even ports in range on 127.0.0.1; unknown codec is a MediaError", async () => {
  const a = await media.createSession({ codecs: ["ulaw"] });
  const b = await media.createSession({ codecs: ["alaw", "ulaw"] });
  for (const s of [a, b]) { assert.equal(s.localPort % 2, 0); assert.ok(s.localPort >= 31000 && s.localPort < 32000); assert.equal(s.localAddress, "127.0.0.1"); }
  assert.notEqual(media.workerOf(a.id), media.workerOf(b.id), "spread over the pool");
  await assert.rejects(media.createSession({ codecs: ["opus9"] }), MediaError);
  await assert.rejects(media.setRemote(a.id, { address: "127.0.0.1", port: 4000, codec: "g729", payloadType: 18 }), /not supported/);
  await media.destroySession(a.id); await media.destroySession(b.id);
});

test("a session on a port pair its worker bound ahead is made without waiting for the worker, and carries RTP at once", async () => {
  const full = 2 * 8; // two workers, eight spare pairs each
  await until(() => media.sparePairs === full);
  let made = false;
  const pending = media.createSession({ codecs: ["ulaw"] }).then((s) => { made = true; return s; });
  for (let i = 0; i < 5; i++) await Promise.resolve(); // microtasks only: no reply from a worker thread can arrive
  assert.ok(made, "made before any worker replied");
  assert.equal(media.sparePairs, full - 1);
  const a = await pending;
  const peer = await new Peer().bind();
  try {
    await media.setRemote(a.id, { address: "127.0.0.1", port: peer.port, codec: "ulaw", payloadType: 0 });
    await media.echo(a.id, true);
    for (let i = 0; i < 5; i++) peer.send(a.localPort, 0, new Uint8Array(160).fill(0x55));
    await until(() => peer.got.length >= 5);
  } finally {
    peer.close();
    await media.destroySession(a.id);
  }
  await until(() => media.sparePairs === full); // its worker bound another pair in its place
});

test("two sessions exchange RTP directly, negotiated through sip/sdp", async () => {
  const a = await media.createSession({ codecs: ["ulaw", "alaw"] });
  const b = await media.createSession({ codecs: ["alaw", "ulaw"] });
  const offer = createOffer({ codecs: ["ulaw", "alaw"], address: a.localAddress, port: a.localPort });
  const answer = createAnswer(offer.text, { codecs: ["alaw", "ulaw"], address: b.localAddress, port: b.localPort });
  await media.setRemote(b.id, answer.remote); // b sends alaw to a
  await media.setRemote(a.id, { ...answer.remote, address: b.localAddress, port: b.localPort, rtcpPort: b.localPort + 1 });
  const r1 = media.play(a.id, ["digits/1"]);
  const r2 = media.play(b.id, ["digits/2"]);
  if (HAVE_SOUNDS) {
    assert.equal((await r1).status, "SUCCESS");
    assert.equal((await r2).status, "SUCCESS");
    const sa = (await media.stats(a.id)) as { packetsReceived: number; packetsSent: number };
    const sb = (await media.stats(b.id)) as { packetsReceived: number; packetsSent: number };
    assert.ok(sa.packetsSent > 10 && sb.packetsReceived >= sa.packetsSent - 1, JSON.stringify([sa, sb]));
    assert.ok(sb.packetsSent > 10 && sa.packetsReceived >= sb.packetsSent - 1);
  }
  await media.destroySession(a.id); await media.destroySession(b.id);
});

test("playback of a real core sound arrives as paced 160-byte µ-law packets", { skip: !HAVE_SOUNDS && "asterisk-core-sounds-en-wav not installed" }, async () => {
  const peer = await new Peer().bind();
  const s = await session(["ulaw"], peer);
  const pcm = parseWav(readFileSync(join(SOUNDS, "en", "hello-world.wav")));
  const res = await media.play(s.id, ["hello-world"]);
  assert.deepEqual(res, { status: "SUCCESS" });
  await sleep(60);
  const pkts = peer.got;
  // A worker starved of CPU (a loaded test machine) skips a late 20 ms slot rather than
  // bunching packets: the timestamp then moves on by the time lost. Allow a few of those.
  const frames = Math.ceil(pcm.length / 160);
  assert.ok(pkts.length <= frames && pkts.length >= frames * 0.9, `${pkts.length} packets for ${frames} frames`);
  for (let i = 1; i < pkts.length; i++) {
    assert.equal(pkts[i].payload.length, 160);
    assert.equal(pkts[i].h.payloadType, 0);
    const step = (pkts[i].h.timestamp - pkts[i - 1].h.timestamp) >>> 0;
    assert.ok(step >= 160 && step % 160 === 0, `timestamp step ${step}`);
    assert.equal((pkts[i].h.sequence - pkts[i - 1].h.sequence) & 0xffff, 1);
  }
  assert.ok(pkts[0].h.marker, "first packet carries the marker");
  const span = pkts[pkts.length - 1].at - pkts[0].at;
  const expected = ((pkts[pkts.length - 1].h.timestamp - pkts[0].h.timestamp) >>> 0) / 8;
  assert.ok(Math.abs(span - expected) < 80, `paced: ${span.toFixed(1)} ms for ${expected} ms`);
  // The audio is the prompt's: decode a frame and compare within G.711 error.
  const at = (pkts[10].h.timestamp - pkts[0].h.timestamp) >>> 0;
  const frame = decode("ulaw", pkts[10].payload), want = pcm.subarray(at, at + 160);
  for (let i = 0; i < 160; i++) assert.ok(Math.abs(frame[i] - want[i]) <= Math.max(16, Math.abs(want[i]) / 14));
  await media.destroySession(s.id); peer.close();
});

test("&-joined lists play in order; a missing or corrupt file gives FAILED and the session goes on", async () => {
  const peer = await new Peer().bind();
  const s = await session(["alaw"], peer);
  const bad = join(tmp, "corrupt.wav");
  writeFileSync(bad, Buffer.concat([Buffer.from("RIFF\0\0\0\0WAVEfmt "), Buffer.alloc(7)]));
  const warnings: string[] = [];
  media.onWarning = (m) => warnings.push(m);
  assert.equal((await media.play(s.id, ["no-such-prompt-anywhere"])).status, "FAILED");
  assert.equal((await media.play(s.id, [bad])).status, "FAILED");
  assert.ok(warnings.some((w) => /not found/.test(w)));
  const clip = join(tmp, "clip.wav");
  writeFileSync(clip, Buffer.concat([wavHeader(3200), Buffer.alloc(3200, 1)])); // 200 ms
  const r = await media.play(s.id, [`${clip}&${clip}`, clip]);
  assert.equal(r.status, "SUCCESS");
  await sleep(40);
  assert.equal(peer.got.length, 30);
  assert.ok(peer.got.every((g) => g.h.payloadType === 8 && g.payload.length === 160));
  media.onWarning = () => undefined;
  await media.destroySession(s.id); peer.close();
});

test("RFC 4733 DTMF from a peer is reported once per digit and interrupts Background-style playback", async () => {
  const peer = await new Peer().bind();
  const s = await session(["ulaw"], peer, { te: 101 });
  const digits: DtmfEvent[] = [];
  media.onDtmf(s.id, (e) => digits.push(e));
  const clip = join(tmp, "long.wav");
  writeFileSync(clip, Buffer.concat([wavHeader(160000), Buffer.alloc(160000)])); // 10 s
  const playing = media.play(s.id, [clip], { stopOnDtmf: "#*" });
  await sleep(100);
  peer.dtmf(s.localPort, 1);  // "1": reported, does not interrupt
  await until(() => digits.length === 1);
  peer.dtmf(s.localPort, 11); // "#"
  const r = await playing;
  assert.deepEqual(r, { status: "SUCCESS", interruptedBy: "#" });
  assert.deepEqual(digits.map((d) => [d.digit, d.durationMs]), [["1", 100], ["#", 100]]);
  await media.destroySession(s.id); peer.close();
});

test("garbage and strangers' packets are dropped without harm; RTP timeout is reported", async () => {
  const peer = await new Peer().bind(), stranger = await new Peer().bind();
  const s = await session(["ulaw"], peer, { rtpTimeout: 1 });
  const timeouts: unknown[] = [];
  media.onTimeout(s.id, (e) => timeouts.push(e));
  for (let i = 0; i < 200; i++) peer.sock.send(Buffer.from(Array.from({ length: (i % 50) + 1 }, (_, k) => (k === 0 ? (i % 2 ? 0x40 : 0xc0) | (i & 0x3f) : (i * 7 + k * 13) & 0xff))), s.localPort, "127.0.0.1");
  peer.sock.send(Buffer.alloc(4000, 0x80), s.localPort, "127.0.0.1");
  stranger.send(s.localPort, 0, new Uint8Array(160));
  peer.send(s.localPort, 0, new Uint8Array(160).fill(0xff));
  peer.send(s.localPort, 0, new Uint8Array(160).fill(0xff));
  // A busy machine takes a while to read 203 datagrams: wait for the last two, then look.
  let st = (await media.stats(s.id)) as { dropped: number; packetsReceived: number };
  for (let i = 0; i < 40 && st.packetsReceived < 2; i++) { await sleep(50); st = (await media.stats(s.id)) as typeof st; }
  await sleep(50);
  st = (await media.stats(s.id)) as typeof st;
  assert.ok(st.dropped >= 150, JSON.stringify(st));
  assert.equal(st.packetsReceived, 2);
  await until(() => timeouts.length === 1, 2500);
  await media.destroySession(s.id); peer.close(); stranger.close();
});

test("strict RTP: a phone behind NAT is taken after 4 packets in sequence, followed only with rtp_symmetric; past the learning window nobody else gets in", async () => {
  // Each phone's SDP names sdp's port (its private address); its packets come from its own port (the NAT's).
  const natPhone = await new Peer().bind(), plainPhone = await new Peer().bind(), sdp = await new Peer().bind(), stranger = await new Peer().bind();
  const nat = await media.createSession({ codecs: ["ulaw"], symmetric: true });
  const plain = await media.createSession({ codecs: ["ulaw"] });
  const received = async () => Promise.all([nat, plain].map(async (s) => ((await media.stats(s.id)) as { packetsReceived: number }).packetsReceived));
  try {
    for (const s of [nat, plain]) await media.setRemote(s.id, { address: "127.0.0.1", port: sdp.port, codec: "ulaw", payloadType: 0 });
    const both = (n: number) => { for (let i = 0; i < n; i++) { natPhone.send(nat.localPort, 0, new Uint8Array(160)); plainPhone.send(plain.localPort, 0, new Uint8Array(160)); } };
    both(3);
    await sleep(50);
    assert.deepEqual(await received(), [0, 0], "three packets are not enough");
    both(2);
    await sleep(50);
    assert.deepEqual(await received(), [2, 2], "the 4th in sequence qualifies the source");
    await media.tones(nat.id, "440/100");
    await media.tones(plain.id, "440/100");
    await sleep(200);
    assert.ok(natPhone.got.length >= 3, "rtp_symmetric: our audio follows the phone's source");
    assert.equal(plainPhone.got.length, 0, "without it, audio goes where the SDP said...");
    assert.ok(sdp.got.length >= 3, "...and only there");
    // While learning, a stranger in sequence could take over; past the window nothing does.
    await sleep(5100);
    for (let i = 0; i < 10; i++) stranger.send(plain.localPort, 0, new Uint8Array(160));
    plainPhone.send(plain.localPort, 0, new Uint8Array(160));
    await sleep(50);
    assert.deepEqual(await received(), [2, 3], "only the phone's packet got in");
  } finally {
    for (const s of [nat, plain]) await media.destroySession(s.id);
    for (const p of [natPhone, plainPhone, sdp, stranger]) p.close();
  }
});

test("bridge across two workers relays µ-law to an A-law leg, transcoded; DTMF passes through", async () => {
  const p1 = await new Peer().bind(), p2 = await new Peer().bind();
  const a = await session(["ulaw"], p1), b = await session(["alaw"], p2);
  assert.notEqual(media.workerOf(a.id), media.workerOf(b.id));
  await media.bridge(a.id, b.id);
  const sent = await p1.stream(a.localPort, 0, 25, (i) => Math.round(8000 * Math.sin(i / 5)));
  p1.dtmf(a.localPort, 5);
  await sleep(80);
  const audio = p2.got.filter((g) => g.h.payloadType === 8);
  assert.equal(audio.length, 25);
  const got = new Int16Array(audio.flatMap((g) => [...decode("alaw", g.payload)]));
  const ref = decode("ulaw", encode("ulaw", sent));
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(got[i] - ref[i]) <= Math.max(32, Math.abs(ref[i]) / 12), `sample ${i}`);
  const events = p2.got.filter((g) => g.h.payloadType === 101);
  assert.equal(events.length, 8, "5 progress + 3 end packets relayed");
  // and back the other way
  await p2.stream(b.localPort, 8, 5, () => 1000);
  await sleep(60);
  assert.equal(p1.got.filter((g) => g.h.payloadType === 0).length, 5);
  await media.unbridge(a.id);
  p1.got.length = 0;
  await p2.stream(b.localPort, 8, 3, () => 1000);
  await sleep(60);
  assert.equal(p1.got.length, 0, "unbridged: nothing relayed");
  await media.destroySession(a.id); await media.destroySession(b.id); p1.close(); p2.close();
});

test("a session created near another lands on its worker, and their bridge relays in that thread", async () => {
  const p1 = await new Peer().bind(), p2 = await new Peer().bind();
  const a = await session(["ulaw"], p1);
  const other = await media.createSession({ codecs: ["ulaw"] }); // least-loaded would now be a's worker again
  const b = await media.createSession({ codecs: ["ulaw"], near: a.id });
  assert.equal(media.workerOf(b.id), media.workerOf(a.id));
  await media.setRemote(b.id, { address: "127.0.0.1", port: p2.port, codec: "ulaw", payloadType: 0, telephoneEvent: 101 });
  await media.bridge(a.id, b.id);
  const sent = await p1.stream(a.localPort, 0, 20, (i) => Math.round(6000 * Math.sin(i / 7)));
  await sleep(80);
  const audio = p2.got.filter((g) => g.h.payloadType === 0);
  assert.equal(audio.length, 20);
  assert.deepEqual([...audio.flatMap((g) => [...g.payload])], [...encode("ulaw", sent)], "µ-law to µ-law passes unchanged");
  const loose = await media.createSession({ codecs: ["ulaw"], near: "media-gone" }); // an unknown partner: placed by load
  for (const s of [a, b, other, loose]) await media.destroySession(s.id);
  p1.close(); p2.close();
});

test("tos_audio and cos_audio mark the session's packets (TOS byte on the wire, SO_PRIORITY on the socket)", { skip: !existsSync(new URL("./qos.node", import.meta.url)) && "qos helper not built" }, async () => {
  const probe = await tosProbe();
  const s = await media.createSession({ codecs: ["ulaw"], tos: 0xb8, cos: 5 });
  await media.setRemote(s.id, { address: "127.0.0.1", port: probe.port, codec: "ulaw", payloadType: 0 });
  await media.tones(s.id, "440/200");
  assert.equal(await probe.tos, 0xb8, "EF (46 << 2) in the received packet's TOS byte");
  assert.deepEqual(((await media.stats(s.id)) as { qos: number[] }).qos, [0xb8, 5]);
  const plain = await media.createSession({ codecs: ["ulaw"] });
  assert.deepEqual(((await media.stats(plain.id)) as { qos: number[] }).qos, [0, 0], "unmarked unless asked");
  await media.destroySession(s.id); await media.destroySession(plain.id);
  probe.close();
});

test("a three-party mix sends each participant the others' audio, not its own", async () => {
  const peers = await Promise.all([0, 1, 2].map(() => new Peer().bind()));
  const ss = [] as { id: string; localPort: number }[];
  for (const p of peers) ss.push(await session(["slin"], p));
  for (const s of ss) await media.joinMix("conf-1", s.id);
  const levels = [1000, 2000, 4000];
  for (let f = 0; f < 30; f++) {
    peers.forEach((p, i) => {
      const b = Buffer.alloc(320);
      for (let k = 0; k < 160; k++) b.writeInt16BE(levels[i], 2 * k);
      p.send(ss[i].localPort, 118, b);
    });
    await sleep(20);
  }
  await sleep(60);
  peers.forEach((p, i) => {
    const others = levels.reduce((x, y) => x + y, 0) - levels[i];
    const heard = p.got.map((g) => g.payload.readInt16BE(0));
    assert.ok(heard.filter((v) => v === others).length >= 20, `peer ${i} heard ${heard.join(",")}`);
  });
  for (const s of ss) await media.destroySession(s.id);
  for (const p of peers) p.close();
});

test("MixMonitor records both directions into a WAV of the right length", async () => {
  const peer = await new Peer().bind();
  const s = await session(["ulaw"], peer);
  const path = join(tmp, "rec.wav");
  await media.record(s.id, path, { rxPath: join(tmp, "rec-rx.wav") });
  const tone = media.tones(s.id, "440/1000");
  await tone;
  await peer.stream(s.localPort, 0, 50, () => 3000);
  await sleep(40);
  const done = await media.stopRecord(s.id);
  const pcm = parseWav(readFileSync(path));
  assert.equal(done.durationMs, pcm.length / 8);
  assert.ok(pcm.length >= 8000 && pcm.length <= 16000, `about 1 s: ${pcm.length} samples`);
  assert.ok(pcm.some((v) => v > 6000), "tone + caller's audio mixed");
  const rx = parseWav(readFileSync(join(tmp, "rec-rx.wav")));
  assert.equal(rx.length, pcm.length);
  assert.ok(rx.filter((v) => Math.abs(v - 3000) < 200).length > 6000, "caller alone in the rx file");
  await media.destroySession(s.id); peer.close();
});

test("tones: a one-shot list ends by itself; a repeating one runs until stopped", async () => {
  const peer = await new Peer().bind();
  const s = await session(["ulaw"], peer);
  const events: SessionEvent[] = [];
  const off = media.onEvent((e) => { if (e.session === s.id) events.push(e); });
  await media.tones(s.id, "!440/100,!0/100");
  await until(() => events.some((e) => e.type === "tonesFinished"));
  assert.ok(Math.abs(peer.got.length - 10) <= 1, String(peer.got.length));
  await media.tones(s.id, "480+620/500,0/500");
  await sleep(300);
  await media.stopTones(s.id);
  const n = peer.got.length;
  await sleep(100);
  assert.equal(peer.got.length, n, "stopped");
  assert.ok(n >= 20);
  off();
  await media.destroySession(s.id); peer.close();
});

test("music on hold loops a directory of files until stopped", async () => {
  const dir = mkdtempSync(join(tmp, "moh-"));
  for (const name of ["a.wav", "b.wav"]) writeFileSync(join(dir, name), Buffer.concat([wavHeader(1600), Buffer.alloc(1600, name === "a.wav" ? 1 : 2)]));
  const peer = await new Peer().bind();
  const s = await session(["ulaw"], peer);
  const moh = media.startMoh(s.id, dir);
  await sleep(500);
  await media.stopMoh(s.id);
  assert.equal((await moh).stopped, true);
  assert.ok(peer.got.length >= 20, `looped past 200 ms of files: ${peer.got.length}`);
  await media.destroySession(s.id); peer.close();
});

test("AudioSocket streams the caller to a TCP service, plays back its echo and takes its DTMF", async () => {
  let uuid = "";
  let dtmfFromCaller = "";
  const server: Server = createServer((c) => {
    const parser = new AsParser();
    let frames = 0;
    // Hang up after 30 echoed frames, or after 3 s whatever arrived (a loaded machine may lose some).
    const hangup = setTimeout(() => c.end(asFrame(0x00)), 3000);
    c.on("close", () => clearTimeout(hangup));
    c.on("data", (chunk) => {
      for (const f of parser.push(chunk)) {
        if (f.type === AS_UUID) uuid = f.payload.toString("hex");
        if (f.type === AS_DTMF) dtmfFromCaller += f.payload.toString("latin1");
        if (f.type === AS_AUDIO) {
          c.write(asFrame(AS_AUDIO, f.payload)); // echo
          if (++frames === 10) c.write(asFrame(AS_DTMF, Buffer.from("7")));
          if (frames === 30) c.end(asFrame(0x00));
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const peer = await new Peer().bind();
  const s = await session(["ulaw"], peer);
  const asDigits: string[] = [];
  const off = media.onEvent((e) => { if (e.type === "audioSocketDtmf") asDigits.push(e.digit); });
  const done = media.audioSocket(s.id, "0a1b2c3d-0000-4000-8000-00000000abcd", `127.0.0.1:${port}`);
  await sleep(100);
  peer.dtmf(s.localPort, 3);
  await peer.stream(s.localPort, 0, 40, () => 5000);
  const r = await done;
  assert.equal(r.status, "HANGUP");
  assert.equal(uuid, "0a1b2c3d00004000800000000000abcd");
  assert.equal(dtmfFromCaller, "3");
  assert.deepEqual(asDigits, ["7"]);
  const echoed = peer.got.filter((g) => g.h.payloadType === 0 && decode("ulaw", g.payload).every((v) => Math.abs(v - 5000) < 200));
  assert.ok(echoed.length >= 15, `echoed frames: ${echoed.length}`);
  assert.ok(peer.got.some((g) => g.h.payloadType === 101), "server DTMF played to the caller as RFC 4733");
  off();
  server.close();
  // a service that is not there: an error result, not a crash
  const refused = await media.audioSocket(s.id, "0a1b2c3d-0000-4000-8000-00000000abcd", "127.0.0.1:1");
  assert.equal(refused.status, "ERROR");
  // garbage from the service
  const bad = createServer((c) => c.write(Buffer.from([0x42, 0, 1, 0])));
  await new Promise<void>((r) => bad.listen(0, "127.0.0.1", () => r()));
  const g = await media.audioSocket(s.id, "0a1b2c3d-0000-4000-8000-00000000abcd", `127.0.0.1:${(bad.address() as { port: number }).port}`);
  assert.equal(g.status, "ERROR");
  assert.match(g.error ?? "", /unknown frame type/);
  bad.close();
  await media.destroySession(s.id); peer.close();
});

test("Echo: the phone's audio and DTMF come straight back, until echo is turned off", async () => {
  const peer = await new Peer().bind();
  const s = await session(["alaw"], peer);
  await media.echo(s.id, true);
  const sent = await peer.stream(s.localPort, 8, 20, (i) => Math.round(6000 * Math.sin((2 * Math.PI * 500 * i) / 8000)));
  peer.dtmf(s.localPort, 11);
  await sleep(80);
  const audio = peer.got.filter((g) => g.h.payloadType === 8);
  assert.ok(audio.length >= 19, `echoed frames: ${audio.length}`);
  const back = new Int16Array(audio.flatMap((g) => [...decode("alaw", g.payload)]));
  const ref = decode("alaw", encode("alaw", sent));
  for (let i = 0; i < 160 * 19; i++) assert.equal(back[i], ref[i], `sample ${i} comes back unchanged`);
  assert.equal(peer.got.filter((g) => g.h.payloadType === 101).length, 8, "DTMF echoed too");
  await media.echo(s.id, false);
  peer.got.length = 0;
  await peer.stream(s.localPort, 8, 5, () => 1000);
  await sleep(60);
  assert.equal(peer.got.length, 0, "echo off: nothing comes back");
  await media.destroySession(s.id); peer.close();
});

test("recordings: two at once on a session, appending to a WAV, headerless slin, and only-while-bridged", async () => {
  const p1 = await new Peer().bind(), p2 = await new Peer().bind();
  const a = await session(["ulaw"], p1), b = await session(["ulaw"], p2);
  const dir = join(tmp, "rec", "nested"); // created on demand
  const wav = join(dir, "append.wav"), sln = join(dir, "raw.sln"), bridgedOnly = join(dir, "bridged.wav");
  await media.record(a.id, wav, { recId: "one" });
  await media.record(a.id, sln, { recId: "two" });
  await media.record(a.id, bridgedOnly, { recId: "three", bridgedOnly: true });
  await assert.rejects(media.record(a.id, wav, { recId: "one" }), /already recording/);
  await p1.stream(a.localPort, 0, 25, () => 2000);              // 0.5 s, not bridged
  await media.bridge(a.id, b.id);
  await p1.stream(a.localPort, 0, 25, () => 2000);              // 0.5 s bridged
  const one = await media.stopRecord(a.id, "one");
  assert.equal(one.recId, "one");
  const first = parseWav(readFileSync(wav));
  assert.ok(first.length >= 7000 && first.length <= 10000, `about 1 s: ${first.length}`);
  await media.record(a.id, wav, { recId: "one", append: true });
  await p1.stream(a.localPort, 0, 25, () => -2000);
  await media.unbridge(a.id);
  await p1.stream(a.localPort, 0, 10, () => -2000);             // not bridged again
  const [again, two, three] = [await media.stopRecord(a.id, "one"), await media.stopRecord(a.id, "two"), await media.stopRecord(a.id, "three")];
  const appended = parseWav(readFileSync(wav));
  assert.equal(appended.length, first.length + again.durationMs * 8, "the second recording follows the first");
  assert.deepEqual([...appended.subarray(0, first.length)], [...first], "the first recording is kept");
  assert.ok(appended.subarray(first.length).filter((v) => Math.abs(v + 2000) < 100).length > 3000);
  const raw = readFileSync(sln);
  assert.equal(raw.length, two.durationMs * 16, "no header: 16 bytes per ms");
  assert.notEqual(raw.toString("latin1", 0, 4), "RIFF");
  const onlyBridged = parseWav(readFileSync(bridgedOnly));
  assert.ok(onlyBridged.length >= 6000 && onlyBridged.length <= 9500, `about 1 s of the 1.7 s: ${onlyBridged.length} samples`);
  assert.equal(three.durationMs, onlyBridged.length / 8);
  await assert.rejects(media.stopRecord(a.id), /not recording/);
  await media.destroySession(a.id); await media.destroySession(b.id); p1.close(); p2.close();
});

test("controlRecord: a paused recording writes nothing, a muted one writes silence; an unknown recording is an error", async () => {
  const peer = await new Peer().bind();
  const s = await session(["ulaw"], peer);
  const path = join(tmp, "controlled.wav");
  await media.record(s.id, path, { recId: "c" });
  await peer.stream(s.localPort, 0, 25, () => 1000);   // 0.5 s written
  await media.controlRecord(s.id, "c", { paused: true });
  await peer.stream(s.localPort, 0, 25, () => 2000);   // 0.5 s dropped
  await media.controlRecord(s.id, "c", { paused: false, muted: true });
  await peer.stream(s.localPort, 0, 25, () => 3000);   // 0.5 s of silence
  await media.controlRecord(s.id, "c", { muted: false });
  await peer.stream(s.localPort, 0, 25, () => 4000);   // 0.5 s written
  await assert.rejects(media.controlRecord(s.id, "nothing", { paused: true }), /no recording nothing/);
  await media.stopRecord(s.id, "c");
  const pcm = parseWav(readFileSync(path));
  const count = (v: number) => pcm.filter((x) => Math.abs(x - v) < 100).length;
  assert.equal(count(2000), 0, "nothing of the paused half second");
  assert.equal(count(3000), 0, "nothing of the muted half second but silence");
  assert.ok(count(1000) > 3000 && count(4000) > 3000, `before and after: ${count(1000)}, ${count(4000)} samples`);
  assert.ok(pcm.filter((x) => x === 0).length >= 3000, "the muted half second is silence");
  assert.ok(pcm.length >= 10000 && pcm.length <= 13500, `about 1.5 s of the 2 s: ${pcm.length} samples`);
  await media.destroySession(s.id); peer.close();
});

test("maxSilenceMs: a recording ends itself after that much silence, keeping 200 ms of it; a trimmed stop cuts the silence at the end", async () => {
  const peer = await new Peer().bind();
  const s = await session(["ulaw"], peer);
  const path = join(tmp, "silence.wav");
  const finished = new Promise<{ durationMs: number; talkingMs?: number; silence?: boolean }>((resolve) => {
    const off = media.onEvent((e) => { if (e.type === "recordingFinished" && e.recId === "q") { off(); resolve(e); } });
  });
  await media.record(s.id, path, { recId: "q", maxSilenceMs: 400 });
  await peer.stream(s.localPort, 0, 25, () => 3000);                 // 0.5 s of speech
  await peer.stream(s.localPort, 0, 50, (i) => (i % 2 ? 40 : -40));  // 1 s under the threshold: it ends after 0.4 s of it
  const r = await finished;
  assert.equal(r.silence, true);
  assert.ok(r.talkingMs! >= 400 && r.talkingMs! <= 600, `talking ${r.talkingMs} ms`);
  assert.ok(r.durationMs >= r.talkingMs! + 150 && r.durationMs <= r.talkingMs! + 260, `${r.durationMs} ms: the speech and 200 ms of silence`);
  assert.equal(parseWav(readFileSync(path)).length, r.durationMs * 8);
  await assert.rejects(media.stopRecord(s.id, "q"), /no recording q/);

  // Stopped by the application while silent: without trim the silence stays, with trim 200 ms of it.
  for (const trim of [false, true]) {
    const file = join(tmp, `silence-${trim}.wav`);
    await media.record(s.id, file, { recId: "t", maxSilenceMs: 5000 });
    await peer.stream(s.localPort, 0, 25, () => 3000);
    await peer.stream(s.localPort, 0, 40, () => 0);
    const t = await media.stopRecord(s.id, "t", trim);
    if (trim) assert.ok(t.durationMs <= t.talkingMs! + 260, `trimmed: ${t.durationMs} ms, talking ${t.talkingMs}`);
    else assert.ok(t.durationMs >= t.talkingMs! + 600, `kept: ${t.durationMs} ms, talking ${t.talkingMs}`);
  }
  await media.destroySession(s.id); peer.close();
});

test("appending to something that is not an 8 kHz 16-bit WAV is an error, and the session goes on", async () => {
  const peer = await new Peer().bind();
  const s = await session(["ulaw"], peer);
  const odd = join(tmp, "odd.wav");
  const h = wavHeader(0, 16000);
  writeFileSync(odd, h);
  await media.record(s.id, odd, { append: true });
  await sleep(60);
  const r = await media.stopRecord(s.id);
  assert.match(r.error ?? "", /8000 Hz mono 16-bit/);
  assert.deepEqual(readFileSync(odd), h, "left as it was");
  await media.destroySession(s.id); peer.close();
});

/** 20 ms of a constant level as big-endian slin (payload type 118). */
const level = (v: number) => { const b = Buffer.alloc(320); for (let k = 0; k < 160; k++) b.writeInt16BE(v, 2 * k); return b; };

test("a snoop session hears its target's audio both ways and whispers into what the target's phone is sent", async () => {
  const phone = await new Peer().bind(), partner = await new Peer().bind();
  const a = await session(["slin"], phone), b = await session(["slin"], partner);
  await media.bridge(a.id, b.id);
  const snoop = await media.createSession({ codecs: ["slin"], near: a.id });
  await media.snoop(a.id, snoop.id, "both", "out");
  const path = join(tmp, "snoop.wav");
  await media.record(snoop.id, "", { rxPath: path });
  for (let f = 0; f < 25; f++) { phone.send(a.localPort, 118, level(1000)); partner.send(b.localPort, 118, level(3000)); await sleep(20); }
  await sleep(60);
  await media.stopRecord(snoop.id);
  const heard = parseWav(readFileSync(path));
  // What a's phone said (1000), what it was sent (3000), and both at once (4000).
  assert.ok(heard.filter((v) => v === 4000).length >= 160 * 10, `snoop heard ${[...new Set(heard)].join(",")}`);
  // Whisper: a tone played to the snoop session reaches a's phone on top of its partner's audio.
  phone.got.length = 0;
  await media.tones(snoop.id, "1000/2000");
  for (let f = 0; f < 15; f++) { partner.send(b.localPort, 118, level(3000)); await sleep(20); }
  await sleep(40);
  const got = phone.got.map((g) => [...decode("slin", g.payload)]).flat();
  assert.ok(got.some((v) => v !== 3000 && v !== 0), "the whispered tone is heard by the snooped phone");
  await media.stopTones(snoop.id);
  for (const id of [snoop.id, a.id, b.id]) await media.destroySession(id);
  phone.close(); partner.close();
});

test("mute silences what a session's phone sends (its partner hears silence) and what it is sent", async () => {
  const phone = await new Peer().bind(), partner = await new Peer().bind();
  const a = await session(["slin"], phone), b = await session(["slin"], partner);
  await media.bridge(a.id, b.id);
  await media.mute(a.id, true, false);
  for (let f = 0; f < 10; f++) { phone.send(a.localPort, 118, level(2000)); partner.send(b.localPort, 118, level(500)); await sleep(20); }
  await sleep(40);
  assert.ok(partner.got.length >= 8 && partner.got.every((g) => g.payload.readInt16BE(0) === 0), "the partner hears silence");
  assert.ok(phone.got.some((g) => g.payload.readInt16BE(0) === 500), "the muted phone still hears its partner");
  await media.mute(a.id, false, true);
  partner.got.length = 0; phone.got.length = 0;
  for (let f = 0; f < 10; f++) { phone.send(a.localPort, 118, level(2000)); partner.send(b.localPort, 118, level(500)); await sleep(20); }
  await sleep(40);
  assert.ok(partner.got.some((g) => g.payload.readInt16BE(0) === 2000), "unmuted in: the partner hears the phone again");
  assert.ok(phone.got.length >= 8 && phone.got.every((g) => g.payload.readInt16BE(0) === 0), "muted out: the phone hears silence");
  for (const id of [a.id, b.id]) await media.destroySession(id);
  phone.close(); partner.close();
});

test("an announcer in a mix is heard by every member; an AudioSocket far end is a member that hears the others", async () => {
  const peers = await Promise.all([0, 1].map(() => new Peer().bind()));
  const ss = [await session(["slin"], peers[0]), await session(["slin"], peers[1])];
  // An AudioSocket service that answers every frame with a constant 700.
  const frames: Buffer[] = [];
  const server: Server = createServer((sock) => {
    const parser = new AsParser();
    sock.on("data", (d) => { for (const f of parser.push(d)) if (f.type === AS_AUDIO) { frames.push(Buffer.from(f.payload)); const o = Buffer.alloc(320); for (let k = 0; k < 160; k++) o.writeInt16LE(700, 2 * k); sock.write(asFrame(AS_AUDIO, o)); } });
    sock.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const ext = await media.createSession({ codecs: ["slin"] });
  const link = media.externalAudioSocket(ext.id, "0c3a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", `127.0.0.1:${(server.address() as { port: number }).port}`);
  assert.equal(await link.connected, undefined, "connected");
  const ann = await media.createSession({ codecs: ["slin"] });
  await media.announcer(ann.id);
  for (const s of [...ss, ext, ann]) await media.joinMix("conf-ext", s.id);
  void media.tones(ann.id, "!0/100,1000/5000");
  for (let f = 0; f < 30; f++) { peers[0].send(ss[0].localPort, 118, level(1000)); peers[1].send(ss[1].localPort, 118, level(2000)); await sleep(20); }
  await sleep(60);
  // The service heard both phones (1000 + 2000 and the tone), each phone heard the other, the service's 700 and the tone.
  assert.ok(frames.length >= 20, `${frames.length} frames to the AudioSocket service`);
  assert.ok(frames.some((f) => f.readInt16LE(0) !== 0), "the service hears the bridge");
  const heard0 = peers[0].got.map((g) => [...decode("slin", g.payload)]).flat();
  assert.ok(heard0.filter((v) => v !== 2700 && v !== 2000 && v !== 0).length > 160, "phone 0 hears the tone on top of the others");
  assert.ok(heard0.includes(2700) || heard0.some((v) => Math.abs(v - 2700) < 1200), "phone 0 hears phone 1 and the service");
  await media.destroySession(ext.id);
  assert.equal((await link.done).status, "STOPPED");
  for (const s of [...ss, ann]) await media.destroySession(s.id);
  for (const p of peers) p.close();
  server.close();
});
