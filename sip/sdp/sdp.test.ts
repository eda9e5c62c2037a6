import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSdp, serializeSdp, SdpError, createAnswer, createOffer, remoteMedia } from "./index.js";

const OFFER = [
  "v=0", "o=alice 2890844526 2890844526 IN IP4 192.0.2.10", "s=-", "c=IN IP4 192.0.2.10", "t=0 0",
  "m=audio 49170 RTP/AVP 8 0 96 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2",
  "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=ptime:30", "a=sendrecv",
  "m=video 51372 RTP/AVP 31", "a=rtpmap:31 H261/90000", "",
].join("\r\n");

test("parse and serialize round trip", () => {
  const sd = parseSdp(OFFER);
  assert.equal(sd.origin.username, "alice");
  assert.equal(sd.media.length, 2);
  assert.deepEqual(sd.media[0].formats, ["8", "0", "96", "101"]);
  const again = parseSdp(serializeSdp(sd));
  assert.deepEqual(again, sd);
});

test("answer picks the first codec in the endpoint's order and echoes telephone-event", () => {
  const { text, remote } = createAnswer(OFFER, { codecs: ["ulaw", "alaw"], address: "127.0.0.1", port: 10000, sessionId: 7 });
  assert.equal(remote.codec, "ulaw");
  assert.equal(remote.payloadType, 0);
  assert.equal(remote.telephoneEvent, 101);
  assert.equal(remote.address, "192.0.2.10");
  assert.equal(remote.port, 49170);
  assert.equal(remote.rtcpPort, 49171);
  assert.equal(remote.ptime, 30);
  assert.deepEqual(remote.payloadTypes, { 0: "ulaw", 8: "alaw" });
  const ans = parseSdp(text);
  assert.equal(ans.media.length, 2, "one m= line per offered stream");
  assert.deepEqual(ans.media[0].formats, ["0", "8", "101"]);
  assert.equal(ans.media[0].port, 10000);
  assert.equal(ans.media[1].port, 0, "video rejected");
  assert.match(text, /a=rtpmap:101 telephone-event\/8000/);
  assert.match(text, /c=IN IP4 127\.0\.0\.1/);
});

test("alaw-first endpoint gets alaw; sendonly offer is answered recvonly", () => {
  const offer = OFFER.replace("a=sendrecv", "a=sendonly");
  const { remote, text } = createAnswer(offer, { codecs: ["alaw", "ulaw"], address: "127.0.0.1", port: 10002 });
  assert.equal(remote.codec, "alaw");
  assert.equal(remote.payloadType, 8);
  assert.equal(remote.direction, "sendonly");
  assert.match(text, /a=recvonly/);
});

test("no common codec is a 488 SdpError", () => {
  const offer = OFFER.replace("m=audio 49170 RTP/AVP 8 0 96 101", "m=audio 49170 RTP/AVP 96 101");
  assert.throws(() => createAnswer(offer, { codecs: ["ulaw"], address: "127.0.0.1", port: 1 }),
    (e: unknown) => e instanceof SdpError && e.code === "no-common-codec" && e.status === 488);
});

test("malformed SDP is a 400 SdpError", () => {
  for (const bad of ["", "hello", "v=0\r\ns=x\r\n", "v=1\r\n", "v=0\r\no=a b c\r\ns=-\r\n",
    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n",
    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"]) {
    assert.throws(() => createAnswer(bad, { codecs: ["ulaw"], address: "127.0.0.1", port: 1 }),
      (e: unknown) => e instanceof SdpError && e.status === 400, JSON.stringify(bad));
  }
});

test("unknown codec in the endpoint list is an SdpError, not a crash", () => {
  assert.throws(() => createOffer({ codecs: ["opus9"], address: "127.0.0.1", port: 1 }), SdpError);
});

test("offer lists codecs in order with telephone-event; an answer to it gives remote media", () => {
  const { text } = createOffer({ codecs: ["alaw", "ulaw", "slin"], address: "127.0.0.1", port: 12000, sessionId: 3 });
  assert.match(text, /m=audio 12000 RTP\/AVP 8 0 118 101/);
  const answer = createAnswer(text, { codecs: ["ulaw"], address: "127.0.0.2", port: 14000 });
  const back = remoteMedia(answer.text, ["alaw", "ulaw", "slin"]);
  assert.equal(back.codec, "ulaw");
  assert.equal(back.address, "127.0.0.2");
  assert.equal(back.port, 14000);
  assert.equal(back.telephoneEvent, 101);
});

test("garbage bytes never throw anything but SdpError", () => {
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 2000; i++) {
    const chars = OFFER.split("");
    for (let k = 0; k < 5; k++) chars[Math.floor(rnd() * chars.length)] = String.fromCharCode(Math.floor(rnd() * 128));
    try { createAnswer(chars.join(""), { codecs: ["ulaw", "alaw"], address: "127.0.0.1", port: 1 }); }
    catch (e) { assert.ok(e instanceof SdpError, String(e)); }
  }
});
