import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SipParseError } from "./errors.js";
import { SipRequest, SipResponse, bytesToUtf8, header, ownBytes, utf8ToBytes } from "./message.js";
import { formatNameAddr, parseNameAddr } from "./name-addr.js";
import { parseMessage } from "./parser.js";
import { buildResponse, reasonPhrase } from "./response.js";
import { serializeMessage } from "./serializer.js";

const REGISTER = [
  "REGISTER sip:registrar.biloxi.com SIP/2.0",
  "Via: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7;rport",
  "Via: SIP/2.0/UDP proxy.biloxi.com;branch=z9hG4bKp1",
  "Max-Forwards: 70",
  "To: Bob <sip:bob@biloxi.com>",
  "From: Bob <sip:bob@biloxi.com>;tag=456248",
  "Call-ID: 843817637684230@998sdasdh09",
  "CSeq: 1826 REGISTER",
  "Contact: <sip:bob@192.0.2.4>",
  "Record-Route: <sip:proxy.biloxi.com;lr>",
  "Timestamp: 54",
  "Expires: 7200",
  "Content-Length: 0",
  "",
  "",
].join("\r\n");

function register(): SipRequest {
  return parseMessage(Buffer.from(REGISTER)) as SipRequest;
}

describe("header access and editing", () => {
  it("sets, adds, prepends and removes fields, keeping order", () => {
    const m = register();
    m.prepend("v", "SIP/2.0/TCP edge.example.com;branch=z9hG4bKtop");
    assert.equal(m.via.host, "edge.example.com");
    assert.equal(m.removeFirst("Via"), "SIP/2.0/TCP edge.example.com;branch=z9hG4bKtop");
    assert.equal(m.via.host, "bobspc.biloxi.com", "the cached top Via follows edits");
    m.set("expires", "60");
    assert.equal(m.expires, 60);
    assert.equal(m.headerFields.findIndex((f) => f.name === "Expires"), 10, "set keeps the field where it was");
    m.add("Contact", "<sip:bob@192.0.2.5>, <sip:bob@192.0.2.6>");
    assert.equal(m.count("Contact"), 3, "address lists are split on add too");
    assert.equal(m.remove("contact"), 3);
    assert.equal(m.has("Contact"), false);
    m.set("To", formatNameAddr({ ...m.to, params: new Map([["tag", "abc"]]) }));
    assert.equal(m.toTag, "abc", "the cached To follows edits");
    m.set("Unsupported", ["foo", "bar"]);
    assert.deepEqual(m.getAll("Unsupported"), ["foo", "bar"]);
  });

  it("refuses header injection and characters that are not bytes", () => {
    const m = register();
    for (const bad of ["x\r\nVia: evil", "x\ny", "x\rY", "\u20ac"]) {
      assert.throws(() => m.set("Subject", bad), TypeError);
      assert.throws(() => m.add("X-Foo", bad), TypeError);
    }
    assert.throws(() => header("Bad Name", "x"), TypeError);
    assert.throws(() => header("X-Ok:", "x"), TypeError);
    assert.throws(() => new SipRequest("INV ITE", "sip:a@b"), TypeError);
    assert.throws(() => new SipRequest("INVITE", "sip:a@b\r\nX: y"), TypeError);
    assert.throws(() => new SipResponse(200, "OK\r\nX: y"), TypeError);
    assert.throws(() => new SipResponse(99, "Low"), TypeError);
  });

  it("carries UTF-8 text through byte strings", () => {
    const m = register();
    m.set("Subject", utf8ToBytes("Grüße €"));
    const again = parseMessage(serializeMessage(m));
    assert.equal(bytesToUtf8(again.get("Subject")!), "Grüße €");
    assert.ok(serializeMessage(m).includes(Buffer.from("Subject: Grüße €\r\n", "utf8")));
  });

  it("throws typed errors from lazily parsed headers", () => {
    const m = register();
    m.set("Expires", "soon");
    assert.throws(() => m.expires, (e: unknown) => e instanceof SipParseError && e.code === "invalid-header" && e.header === "Expires");
    m.set("Route", "<sip:broken");
    assert.throws(() => m.routes(), (e: unknown) => e instanceof SipParseError && e.header === "Route");
    m.remove("Call-ID");
    assert.throws(() => m.callId, (e: unknown) => e instanceof SipParseError && e.code === "missing-header");
  });
});

describe("serializeMessage", () => {
  it("writes canonical names, CRLF, and a Content-Length computed from the body", () => {
    const m = parseMessage(Buffer.from(REGISTER.replace("Content-Length: 0", "l: 0").replace("Call-ID:", "i:")));
    m.body = Buffer.from("payload");
    const text = serializeMessage(m).toString("latin1");
    assert.ok(text.startsWith("REGISTER sip:registrar.biloxi.com SIP/2.0\r\nVia: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7;rport\r\n"));
    assert.ok(text.includes("\r\nCall-ID: 843817637684230@998sdasdh09\r\n"));
    assert.ok(text.endsWith("\r\nContent-Length: 7\r\n\r\npayload"));
    assert.equal(text.match(/Content-Length/g)?.length, 1);
  });

  it("round-trips a parsed message field for field", () => {
    const m = parseMessage(Buffer.from(REGISTER));
    const again = parseMessage(serializeMessage(m));
    assert.deepEqual(again.headerFields, m.headerFields);
    assert.equal(again.startLine(), m.startLine());
  });

  it("builds a request from scratch", () => {
    const req = new SipRequest("OPTIONS", "sip:[2001:db8::1]:5060", [header("Via", "SIP/2.0/UDP [2001:db8::2];branch=z9hG4bKq")]);
    req.add("From", "<sip:recall@example.com>;tag=x").add("To", "<sip:[2001:db8::1]>").add("i", "c1").add("CSeq", "1 OPTIONS").add("Max-Forwards", "70");
    const back = parseMessage(serializeMessage(req)) as SipRequest;
    assert.equal(back.requestUri.host, "2001:db8::1");
    assert.equal(back.get("Call-ID"), "c1");
    assert.equal(back.body.length, 0);
  });
});

describe("buildResponse", () => {
  it("copies Via, From, To, Call-ID and CSeq and adds the To tag", () => {
    const req = register();
    const res = buildResponse(req, 200, { toTag: "2493k59kd", headers: [["Contact", "<sip:bob@192.0.2.4>;expires=7200"]] });
    assert.equal(res.status, 200);
    assert.equal(res.reason, "OK");
    assert.deepEqual(res.headerFields.map((f) => f.name), ["Via", "Via", "To", "From", "Call-ID", "CSeq", "Contact"]);
    assert.equal(res.toTag, "2493k59kd");
    assert.equal(res.to.displayName, "Bob");
    assert.deepEqual(res.vias().map((v) => v.host), ["bobspc.biloxi.com", "proxy.biloxi.com"]);
    assert.equal(res.get("From"), req.get("From"));
    assert.deepEqual(res.cseq, req.cseq);
    const wire = parseMessage(serializeMessage(res));
    assert.equal(wire.toTag, "2493k59kd");
  });

  it("keeps an existing To tag, adds none to 100 Trying, copies Timestamp to 100 and Record-Route on request", () => {
    const req = register();
    req.set("To", "<sip:bob@biloxi.com>;tag=existing");
    assert.equal(buildResponse(req, 486, { toTag: "new" }).toTag, "existing");
    const trying = buildResponse(register(), 100, { toTag: "new" });
    assert.equal(trying.toTag, undefined);
    assert.equal(trying.get("Timestamp"), "54");
    assert.equal(trying.reason, "Trying");
    assert.equal(buildResponse(register(), 180, { toTag: "t" }).has("Record-Route"), false);
    assert.equal(buildResponse(register(), 180, { toTag: "t", copyRecordRoute: true }).get("Record-Route"), "<sip:proxy.biloxi.com;lr>");
  });

  it("answers 400 to the salvaged part of a broken request", () => {
    let error: SipParseError | undefined;
    try {
      parseMessage(Buffer.from(REGISTER.replace("Content-Length: 0", "Content-Length: 100")));
    } catch (e) {
      error = e as SipParseError;
    }
    assert.ok(error?.request);
    const res = buildResponse(error.request, 400, { reason: "Bad Request", toTag: "x" });
    const text = serializeMessage(res).toString("latin1");
    assert.ok(text.startsWith("SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7;rport\r\n"));
    assert.ok(text.includes("\r\nTo: Bob <sip:bob@biloxi.com>;tag=x\r\n"));
    assert.ok(text.includes("\r\nCSeq: 1826 REGISTER\r\n"));
  });

  it("knows the standard reason phrases", () => {
    assert.equal(reasonPhrase(401), "Unauthorized");
    assert.equal(reasonPhrase(423), "Interval Too Brief");
    assert.equal(reasonPhrase(499), "Bad Request");
    assert.equal(parseNameAddr(buildResponse(register(), 403).get("To")!).params.size, 0);
  });
});

describe("ownBytes", () => {
  it("copies a byte string or bytes into a Buffer with its own memory, not a slice of the shared pool", () => {
    const pooled = Buffer.from("v=0\r\n", "latin1");
    assert.ok(pooled.buffer.byteLength > pooled.length, "Node pools small buffers (what ownBytes avoids)");
    for (const b of [ownBytes("v=0\r\né"), ownBytes(Buffer.from("v=0\r\né", "latin1"))]) {
      assert.equal(b.buffer.byteLength, b.length);
      assert.equal(b.toString("latin1"), "v=0\r\né");
    }
  });
});
