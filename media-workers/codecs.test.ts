import { test } from "node:test";
import assert from "node:assert/strict";
import { decode, encode, transcode } from "./g711.js";
import { buildReceiverReport, buildRtp, buildSenderReport, parseRtcp, parseRtp, ReceiverStats, parseTelephoneEvent, telephoneEventPayload } from "./rtp.js";
import { parseToneList, ringCadenceToneList, ToneGenerator, ToneError } from "./tones.js";
import { parseWav, wavHeader, WavError } from "./wav.js";

test("G.711 round trips within quantisation error; known code points", () => {
  const pcm = Int16Array.from({ length: 2000 }, (_, i) => Math.round(Math.sin(i / 7) * 30000 * (i / 2000)));
  for (const c of ["ulaw", "alaw"] as const) {
    const back = decode(c, encode(c, pcm));
    for (let i = 0; i < pcm.length; i++) assert.ok(Math.abs(back[i] - pcm[i]) <= Math.max(16, Math.abs(pcm[i]) / 16), `${c} ${pcm[i]} → ${back[i]}`);
  }
  assert.equal(encode("ulaw", Int16Array.of(0))[0], 0xff);
  assert.equal(encode("alaw", Int16Array.of(0))[0], 0xd5);
  assert.deepEqual([...decode("slin", encode("slin", Int16Array.of(-2, 300)))], [-2, 300]);
  const u = encode("ulaw", pcm), a = transcode("ulaw", "alaw", u);
  const viaA = decode("alaw", a), viaU = decode("ulaw", u);
  for (let i = 0; i < pcm.length; i++) assert.ok(Math.abs(viaA[i] - viaU[i]) <= Math.max(32, Math.abs(viaU[i]) / 12));
});

test("RTP parse/build; garbage is undefined, never a throw", () => {
  const p = buildRtp(0, true, 65535, 0xfffffff0, 0xdeadbeef, new Uint8Array(160).fill(0x7f));
  const h = parseRtp(p)!;
  assert.deepEqual([h.payloadType, h.marker, h.sequence, h.timestamp, h.ssrc, h.payloadEnd - h.payloadOffset], [0, true, 65535, 0xfffffff0, 0xdeadbeef, 160]);
  const bad = Buffer.from(p); bad[0] = 0x40;
  assert.equal(parseRtp(bad), undefined, "version 1");
  assert.equal(parseRtp(new Uint8Array(5)), undefined);
  assert.equal(parseRtp(new Uint8Array(3000).fill(0x80)), undefined, "oversized");
  const padded = Buffer.from(p); padded[0] |= 0x20; padded[padded.length - 1] = 250;
  assert.equal(parseRtp(padded), undefined, "padding longer than payload");
  for (let i = 0; i < 5000; i++) parseRtp(Uint8Array.from({ length: (i % 40) + 1 }, (_, k) => (i * 31 + k * 17) & 0xff));
});

test("receiver stats: loss, wraparound, jitter; SR/RR round trip", () => {
  const st = new ReceiverStats();
  let seq = 65500;
  for (let i = 0; i < 100; i++) {
    if (i % 10 !== 5) st.update(seq & 0xffff, i * 160, 42, i * 20 + (i % 2 ? 3 : 0));
    seq++;
  }
  assert.equal(st.lost, 10);
  assert.ok(st.jitter > 0 && st.jitter < 40, String(st.jitter));
  const block = st.reportBlock(2000);
  assert.equal(block.cumulativeLost, 10);
  assert.ok(block.fractionLost > 20 && block.fractionLost < 30);
  const sr = parseRtcp(buildSenderReport(7, { ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packets: 4, octets: 5 }, [block]))!;
  assert.equal(sr[0].type, "sr");
  if (sr[0].type === "sr") { assert.equal(sr[0].sender.packets, 4); assert.equal(sr[0].reports[0].cumulativeLost, 10); }
  const rr = parseRtcp(Buffer.concat([buildReceiverReport(9, [{ ...block, cumulativeLost: -3 }]), buildReceiverReport(10, [])]))!;
  assert.equal(rr.length, 2);
  if (rr[0].type === "rr") assert.equal(rr[0].reports[0].cumulativeLost, -3);
  assert.equal(parseRtcp(Uint8Array.of(0x80, 200, 0, 50, 1, 2, 3, 4)), undefined, "length beyond packet");
});

test("telephone-event payloads", () => {
  assert.deepEqual(parseTelephoneEvent(telephoneEventPayload(11, true, 10, 800)), { event: 11, end: true, volume: 10, duration: 800 });
});

test("tone lists: parse, ! elements end, cadence", () => {
  assert.deepEqual(parseToneList("480+620/500,0/500")[0], { once: false, f1: 480, f2: 620, modulate: false, ms: 500 });
  assert.equal(parseToneList("!950/330,!1400/330")[1].once, true);
  assert.throws(() => parseToneList("abc"), ToneError);
  assert.equal(ringCadenceToneList("2000,4000"), "440+480/2000,0/4000");
  const g = new ToneGenerator(parseToneList("!440/100,!0/100"));
  const f = new Int16Array(160);
  let frames = 0;
  while (g.fill(f)) frames++;
  assert.equal(frames, 10, "200 ms of one-shot elements");
  const loop = new ToneGenerator(parseToneList("!425/20,350+440"));
  for (let i = 0; i < 100; i++) assert.ok(loop.fill(f));
  assert.ok(f.some((s) => Math.abs(s) > 5000));
});

test("WAV: header round trip; corrupt files are WavErrors", () => {
  const data = Buffer.alloc(320); data.writeInt16LE(1234, 0);
  const w = Buffer.concat([wavHeader(320), data]);
  const pcm = parseWav(w);
  assert.equal(pcm.length, 160);
  assert.equal(pcm[0], 1234);
  assert.throws(() => parseWav(Buffer.from("RIFFxxxxWAVE")), WavError);
  assert.throws(() => parseWav(Buffer.from("hello world, not a wav")), WavError);
  const stereo = Buffer.from(w); stereo.writeUInt16LE(2, 22);
  assert.throws(() => parseWav(stereo), /mono/);
});
