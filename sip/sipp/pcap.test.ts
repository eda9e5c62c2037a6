/**
 * The capture writer and the audio comparison the real-peer media tests rely on: our
 * reader reads sip-tester's own RFC 4733 capture, our streams have the shape RFC 4733
 * asks for, and the comparison finds audio that was shifted or lost packets and refuses
 * audio that is not the same.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { RtpStream, readPcap } from "./pcap.js";
import { frames, fromUlaw, matchFrames, matchPcm, readWav, toUlaw, ulawDecode, ulawEncode } from "./audio.js";
import { decode, encode } from "../../media-workers/g711.js";

const rtp = (p: Uint8Array) => ({
  marker: (p[1] & 0x80) !== 0, pt: p[1] & 0x7f, seq: (p[2] << 8) | p[3],
  ts: ((p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7]) >>> 0, payload: p.subarray(12),
});

test("readPcap reads sip-tester's RFC 4733 capture of digit 1", { skip: !existsSync("/usr/share/sip-tester/dtmf_2833_1.pcap") }, () => {
  const gs = readPcap(readFileSync("/usr/share/sip-tester/dtmf_2833_1.pcap"));
  assert.equal(gs.length, 10);
  const ps = gs.map((g) => rtp(g.payload));
  assert.ok(ps.every((p) => p.pt === 101 && p.payload[0] === 1 && p.ts === ps[0].ts));
  assert.ok(ps[0].marker && !ps[1].marker);
  assert.deepEqual(ps.map((p) => (p.payload[1] & 0x80) !== 0), [false, false, false, false, false, false, false, true, true, true]);
  assert.ok(Math.abs(gs[1].atMs - 20) < 1);
});

test("RtpStream: 20 ms µ-law frames, then a digit as RFC 4733 events (marker, one timestamp, growing duration, three end packets), then audio again", () => {
  const stream = new RtpStream({ firstSequence: 65534, firstTimestamp: 1000 }).silence(40).digit("#", 100).audio(new Uint8Array(200).fill(0x55));
  const gs = readPcap(stream.pcap({ src: { address: "127.0.0.1", port: 6000 }, dst: { address: "127.0.0.1", port: 10000 } }));
  assert.ok(gs.every((g) => g.checksumsOk && g.src.port === 6000 && g.dst.port === 10000 && g.dst.address === "127.0.0.1"));
  assert.deepEqual(gs.map((g) => g.atMs), gs.map((_, i) => i * 20));
  assert.equal(stream.durationMs, gs.length * 20);
  const ps = gs.map((g) => rtp(g.payload));
  assert.deepEqual(ps.map((p) => p.seq), [65534, 65535, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(ps.map((p) => p.pt), [0, 0, 101, 101, 101, 101, 101, 101, 101, 0, 0]);
  assert.deepEqual(ps.map((p) => p.marker), [true, false, true, false, false, false, false, false, false, true, false]);
  const events = ps.filter((p) => p.pt === 101);
  assert.ok(events.every((p) => p.ts === 1320 && p.payload.length === 4 && p.payload[0] === 11 && (p.payload[1] & 0x3f) === 10));
  assert.deepEqual(events.map((p) => [(p.payload[1] & 0x80) !== 0, (p.payload[2] << 8) | p.payload[3]]), [
    [false, 160], [false, 320], [false, 480], [false, 640], [true, 800], [true, 800], [true, 800],
  ]);
  // Audio resumes where the seven 20 ms slots of the digit leave the clock; 200 bytes make two frames, the second padded.
  const audio = ps.slice(9);
  assert.deepEqual(audio.map((p) => p.ts), [1320 + 7 * 160, 1320 + 8 * 160]);
  assert.ok(audio.every((p) => p.payload.length === 160));
  assert.equal(audio[1].payload[39], 0x55);
  assert.equal(audio[1].payload[40], 0xff);
});

test("the test's µ-law is G.711's: it agrees with the media workers' tables on every sample and byte", () => {
  assert.equal(ulawEncode(0), 0xff);
  assert.equal(ulawEncode(32767), 0x80);
  assert.equal(ulawEncode(-32768), 0x00);
  const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
  assert.deepEqual(toUlaw(all), new Uint8Array(encode("ulaw", all)));
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(fromUlaw(bytes), decode("ulaw", bytes));
  assert.ok([...all].every((s) => Math.abs(ulawDecode(ulawEncode(s)) - s) <= 1024));
});

const wav = "/usr/share/asterisk/sounds/en/hello-world.wav";

test("matchFrames lines up received frames by RTP timestamp despite a late start and lost packets, and refuses other audio", { skip: !existsSync(wav) }, () => {
  const sent = frames(toUlaw(readWav(wav)));
  // Received: from frame 5 on, every 7th lost, timestamps relayed with an offset.
  const received = sent.map((payload, i) => ({ timestamp: (123456 + i * 160) >>> 0, payload })).filter((_, i) => i >= 5 && i % 7 !== 3);
  const m = matchFrames(sent, received);
  assert.equal(m.offset, 5);
  assert.equal(m.identical, received.length);
  assert.equal(m.compared, received.length);
  assert.ok(m.correlation > 0.999);
  // The same frames in another order are not the same audio.
  const shuffled = received.map((r, i) => ({ ...r, payload: received[(i * 11) % received.length].payload }));
  const bad = matchFrames(sent, shuffled);
  assert.ok(bad.identical < received.length / 4 && bad.correlation < 0.5, JSON.stringify({ ...bad }));
});

test("matchPcm finds decoded audio inside its reference at any sample offset, and nothing in another sound", { skip: !existsSync(wav) }, () => {
  const reference = fromUlaw(toUlaw(readWav(wav)));
  const received = new Int16Array(4000 + reference.length - 1234);
  received.set(reference.subarray(1234), 4000); // half a second of silence first, then from sample 1234 on
  const m = matchPcm(reference, received);
  assert.equal(m.lag, 1234 - 4000);
  assert.ok(m.identical >= m.voiced - 1 && m.voiced > 40, JSON.stringify(m));
  assert.ok(m.correlation > 0.999);
  const other = fromUlaw(toUlaw(readWav("/usr/share/asterisk/sounds/en/vm-goodbye.wav")));
  const none = matchPcm(reference, other);
  assert.ok(none.identical <= 1 && none.correlation < 0.5, JSON.stringify(none));
});
