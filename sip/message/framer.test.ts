import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SipParseError } from "./errors.js";
import { parseLimits } from "./limits.js";
import { type SipMessage, SipRequest } from "./message.js";
import { StreamFramer } from "./framer.js";

function request(callId: string, body = "", contentLength: string | null = String(body.length)): Buffer {
  const lines = [
    "MESSAGE sip:bob@biloxi.com SIP/2.0",
    "Via: SIP/2.0/TCP pc33.atlanta.com;branch=z9hG4bK" + callId,
    "To: <sip:bob@biloxi.com>",
    "From: <sip:alice@atlanta.com>;tag=1",
    `Call-ID: ${callId}`,
    "CSeq: 1 MESSAGE",
  ];
  if (contentLength !== null) lines.push(`Content-Length: ${contentLength}`);
  return Buffer.from(lines.join("\r\n") + "\r\n\r\n" + body, "latin1");
}

function messages(items: Array<SipMessage | SipParseError>): SipMessage[] {
  return items.filter((i): i is SipMessage => !(i instanceof SipParseError));
}

describe("StreamFramer", () => {
  it("returns several messages from one chunk, with their bodies", () => {
    const framer = new StreamFramer();
    const out = framer.push(Buffer.concat([request("a", "hello"), request("b"), request("c", "x\r\n\r\ny")]));
    assert.deepEqual(out.map((m) => (m as SipMessage).callId), ["a", "b", "c"]);
    assert.deepEqual(messages(out).map((m) => m.body.toString()), ["hello", "", "x\r\n\r\ny"]);
    assert.equal(framer.buffered, 0);
  });

  it("reassembles messages delivered one byte at a time", () => {
    const framer = new StreamFramer();
    const stream = Buffer.concat([request("a", "body one"), request("b", "two")]);
    const got: SipMessage[] = [];
    for (let i = 0; i < stream.length; i++) {
      const out = framer.push(stream.subarray(i, i + 1));
      if (i < stream.length - 1 && got.length === 0) assert.ok(out.length <= 1);
      got.push(...messages(out));
    }
    assert.deepEqual(got.map((m) => [m.callId, m.body.toString()]), [["a", "body one"], ["b", "two"]]);
  });

  it("handles a large message trickled in bytes and a large chunk of many messages", () => {
    const big = Buffer.from(request("big", "payload").toString("latin1").replace("CSeq:", Array.from({ length: 150 }, (_, i) => `X-Pad-${i}: ${"p".repeat(300)}\r\n`).join("") + "CSeq:"), "latin1");
    assert.ok(big.length > 45_000);
    const framer = new StreamFramer();
    const got: SipMessage[] = [];
    for (let i = 0; i < big.length; i++) got.push(...messages(framer.push(big.subarray(i, i + 1))));
    assert.deepEqual(got.map((m) => [m.callId, m.count("X-Pad-149"), m.body.toString()]), [["big", 1, "payload"]]);
    const many = Buffer.concat(Array.from({ length: 500 }, (_, i) => request(`m${i}`, `body${i}`)));
    const all: SipMessage[] = [];
    for (let pos = 0; pos < many.length; pos += 7000) all.push(...messages(framer.push(many.subarray(pos, pos + 7000))));
    assert.equal(all.length, 500);
    assert.equal(all[499].body.toString(), "body499");
    assert.equal(framer.buffered, 0);
  });

  it("skips CRLF keep-alives and reports double-CRLF pings", () => {
    let pings = 0;
    const framer = new StreamFramer({ onPing: () => pings++ });
    assert.deepEqual(framer.push(Buffer.from("\r\n\r\n")), []);
    assert.equal(pings, 1);
    const out = framer.push(Buffer.concat([Buffer.from("\r\n"), request("a"), Buffer.from("\r\n\r\n"), request("b")]));
    assert.deepEqual(messages(out).map((m) => m.callId), ["a", "b"]);
    assert.equal(pings, 2);
    assert.equal(framer.failed, false);
  });

  it("copies bodies so that held messages do not pin the stream buffer", () => {
    const framer = new StreamFramer();
    const chunk = Buffer.concat([request("a", "abc"), request("b", "def")]);
    const [first] = messages(framer.push(chunk));
    chunk.fill(0);
    assert.equal(first.body.toString(), "abc");
  });

  it("fails the stream when Content-Length is missing, with a request for the 400", () => {
    const framer = new StreamFramer();
    const out = framer.push(Buffer.concat([request("a"), request("b", "", null), request("c")]));
    assert.equal(out.length, 2);
    assert.equal((out[0] as SipMessage).callId, "a");
    const e = out[1] as SipParseError;
    assert.ok(e instanceof SipParseError);
    assert.equal(e.code, "content-length");
    assert.equal(e.request?.callId, "b");
    assert.equal(framer.failed, true);
    assert.deepEqual(framer.push(request("d")), [], "nothing more after the framing is lost");
  });

  it("fails the stream on an invalid Content-Length", () => {
    for (const cl of ["-5", "ten", "99999999999"]) {
      const framer = new StreamFramer();
      const out = framer.push(request("a", "", cl));
      assert.equal(out.length, 1);
      assert.equal((out[0] as SipParseError).code, "content-length", cl);
      assert.equal(framer.failed, true);
    }
  });

  it("fails the stream when a header section or a body exceeds the size limit", () => {
    const limits = parseLimits({ maxMessageSize: 1000 });
    const endless = new StreamFramer({ limits });
    let out: Array<SipMessage | SipParseError> = [];
    for (let i = 0; i < 20 && out.length === 0; i++) out = endless.push(Buffer.from(`X-Header-${i}: ${"z".repeat(100)}\r\n`));
    assert.equal((out[0] as SipParseError).code, "too-large");
    assert.ok(endless.failed);

    const huge = new StreamFramer({ limits });
    out = huge.push(request("a", "", "5000"));
    assert.equal((out[0] as SipParseError).code, "too-large");
    assert.equal((out[0] as SipParseError).request?.callId, "a");
    assert.equal(huge.buffered, 0, "nothing is kept waiting for a body that is too large");
  });

  it("reports a framed but malformed message and goes on with the stream", () => {
    const framer = new StreamFramer();
    const broken = Buffer.from(request("b", "xyz").toString("latin1").replace("CSeq: 1 MESSAGE", "CSeq: one MESSAGE"), "latin1");
    const badHeader = Buffer.from(request("c", "12").toString("latin1").replace("To: <sip:bob@biloxi.com>", "To <sip:bob@biloxi.com>"), "latin1");
    const out = framer.push(Buffer.concat([request("a"), broken, badHeader, request("d", "ok")]));
    assert.equal(out.length, 4);
    assert.equal((out[0] as SipMessage).callId, "a");
    assert.equal((out[1] as SipParseError).code, "invalid-header");
    assert.equal((out[1] as SipParseError).request?.callId, "b");
    assert.equal((out[2] as SipParseError).code, "header-syntax");
    assert.ok((out[3] as SipMessage) instanceof SipRequest);
    assert.equal((out[3] as SipMessage).body.toString(), "ok");
    assert.equal(framer.failed, false);
  });
});
