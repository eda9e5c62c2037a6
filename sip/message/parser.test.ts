import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SipParseError } from "./errors.js";
import { parseLimits } from "./limits.js";
import { SipRequest, SipResponse } from "./message.js";
import { parseMessage } from "./parser.js";
import { serializeMessage } from "./serializer.js";

const CRLF = "\r\n";

function msg(lines: string[], body = ""): Buffer {
  return Buffer.from(lines.join(CRLF) + CRLF + CRLF + body, "latin1");
}

const INVITE_HEADERS = [
  "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds",
  "Max-Forwards: 70",
  "To: Bob <sip:bob@biloxi.com>",
  'From: "Alice" <sip:alice@atlanta.com>;tag=1928301774',
  "Call-ID: a84b4c76e66710@pc33.atlanta.com",
  "CSeq: 314159 INVITE",
  "Contact: <sip:alice@pc33.atlanta.com>",
];

function invite(extra: string[] = [], body = "", start = "INVITE sip:bob@biloxi.com SIP/2.0"): Buffer {
  return msg([start, ...INVITE_HEADERS, ...extra, `Content-Length: ${body.length}`], body);
}

function parseError(data: Buffer, limits = parseLimits()): SipParseError {
  try {
    parseMessage(data, limits);
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  assert.fail("expected a SipParseError");
}

describe("parseMessage: requests and responses", () => {
  it("parses the RFC 3261 INVITE with its SDP body", () => {
    const sdp = "v=0\r\no=alice 2890844526 2890844526 IN IP4 pc33.atlanta.com\r\ns=-\r\n";
    const m = parseMessage(invite(["Content-Type: application/sdp"], sdp));
    assert.ok(m instanceof SipRequest);
    assert.equal(m.method, "INVITE");
    assert.equal(m.uri, "sip:bob@biloxi.com");
    assert.equal(m.requestUri.user, "bob");
    assert.equal(m.callId, "a84b4c76e66710@pc33.atlanta.com");
    assert.deepEqual(m.cseq, { seq: 314159, method: "INVITE" });
    assert.equal(m.fromTag, "1928301774");
    assert.equal(m.from.displayName, "Alice");
    assert.equal(m.toTag, undefined);
    assert.equal(m.to.displayName, "Bob");
    assert.equal(m.via.host, "pc33.atlanta.com");
    assert.equal(m.via.params.get("branch"), "z9hG4bK776asdhds");
    assert.equal(m.maxForwards, 70);
    assert.equal(m.contentType, "application/sdp");
    assert.equal(m.body.toString("latin1"), sdp);
  });

  it("parses a response with a multi-word reason phrase", () => {
    const m = parseMessage(msg(["SIP/2.0 481 Call/Transaction Does Not Exist", ...INVITE_HEADERS.filter((h) => !h.startsWith("Contact")), "Content-Length: 0"]));
    assert.ok(m instanceof SipResponse);
    assert.equal(m.status, 481);
    assert.equal(m.reason, "Call/Transaction Does Not Exist");
    assert.equal(m.isRequest, false);
  });

  it("normalises compact and oddly cased header names to canonical names", () => {
    const data = msg([
      "INVITE sip:bob@biloxi.com SIP/2.0",
      "v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKa",
      "t: <sip:bob@biloxi.com>",
      "F: <sip:alice@atlanta.com>;tag=1",
      "i: abc@host",
      "cSeQ: 1 INVITE",
      "m: <sip:alice@pc33.atlanta.com>",
      "k: 100rel",
      "X-Custom-Thing: yes",
      "c: application/sdp",
      "l: 0",
    ]);
    const m = parseMessage(data);
    assert.deepEqual(m.headerFields.map((f) => f.name), ["Via", "To", "From", "Call-ID", "CSeq", "Contact", "Supported", "X-Custom-Thing", "Content-Type", "Content-Length"]);
    assert.equal(m.get("call-id"), "abc@host");
    assert.equal(m.get("I"), "abc@host");
    assert.equal(m.get("x-custom-thing"), "yes");
    assert.equal(m.get("X-CUSTOM-THING"), "yes");
    assert.ok(serializeMessage(m).toString("latin1").includes("\r\nCall-ID: abc@host\r\n"));
  });

  it("recognises known names in any case and keeps unknown ones as sent", () => {
    const names = ["WWW-Authenticate", "Proxy-Authorization", "P-Asserted-Identity", "MIME-Version", "RSeq", "RAck", "Min-SE", "Identity", "Service-Route"];
    const mixed = (n: string) => [...n].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join("");
    const m = parseMessage(invite([...names.map((n) => `${mixed(n)}: v`), "X-Vendor-ID: 1", "x-vendor-id: 2", "u: presence", "o: dialog", "x: 1800", "r: <sip:c@d>", "b: <sip:e@f>"]));
    for (const n of names) assert.ok(m.headerFields.some((f) => f.name === n), n);
    assert.deepEqual(m.getAll("X-VENDOR-ID"), ["1", "2"]);
    assert.deepEqual(m.headerFields.filter((f) => f.key === "x-vendor-id").map((f) => f.name), ["X-Vendor-ID", "x-vendor-id"]);
    assert.deepEqual(["Allow-Events", "Event", "Session-Expires", "Refer-To", "Referred-By"].map((n) => m.get(n)), ["presence", "dialog", "1800", "<sip:c@d>", "<sip:e@f>"]);
  });

  it("unfolds continuation lines and allows space before the colon", () => {
    const m = parseMessage(msg([
      "OPTIONS sip:bob@biloxi.com SIP/2.0",
      "Via   : SIP/2.0/UDP pc33.atlanta.com",
      "\t;branch=z9hG4bKfold",
      ...INVITE_HEADERS.slice(1, 5),
      "CSeq: 1 OPTIONS",
      "Subject: I know you're there,",
      "         pick up the phone",
      "   and talk to me!",
      "Content-Length: 0",
    ]));
    assert.equal(m.get("Subject"), "I know you're there, pick up the phone and talk to me!");
    assert.equal(m.via.params.get("branch"), "z9hG4bKfold");
  });

  it("splits address lists at parse, and token lists on read", () => {
    const m = parseMessage(invite([
      'Route: <sip:p1.example.com;lr>, "Proxy, Two" <sip:p2.example.com;lr>',
      "Route: <sip:p3.example.com;lr>",
      "Record-Route: <sip:rr1.example.com;lr;x=a,b>, <sip:rr2.example.com;lr>",
      "Allow: INVITE, ACK,CANCEL",
      "Allow: BYE",
      "Supported: replaces, timer",
    ]));
    assert.deepEqual(m.routes().map((r) => r.uri.host), ["p1.example.com", "p2.example.com", "p3.example.com"]);
    assert.equal(m.routes()[1].displayName, "Proxy, Two");
    assert.equal(m.count("Route"), 3);
    assert.deepEqual(m.recordRoutes().map((r) => r.uri.params.get("x") ?? ""), ["a,b", ""]);
    assert.deepEqual(m.getAll("Allow"), ["INVITE", "ACK", "CANCEL", "BYE"]);
    assert.equal(m.get("Allow"), "INVITE, ACK,CANCEL");
    assert.deepEqual(m.getAll("Supported"), ["replaces", "timer"]);
  });

  it("reads several Vias, on one line or many, with IPv6 sent-by", () => {
    const m = parseMessage(msg([
      "SIP/2.0 200 OK",
      "Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;received=2001:db8::99;rport=5062, SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2",
      "v: SIP/2.0/UDP [::1]:5070;branch=z9hG4bK3",
      ...INVITE_HEADERS.slice(1),
      "Content-Length: 0",
    ]));
    const vias = m.vias();
    assert.deepEqual(vias.map((v) => [v.transport, v.host, v.port ?? null]), [["UDP", "2001:db8::1", 5060], ["TCP", "proxy.example.com", null], ["UDP", "::1", 5070]]);
    assert.equal(m.via.params.get("rport"), "5062");
  });

  it("parses contacts and the '*' wildcard", () => {
    const reg = (contact: string) => msg([
      "REGISTER sip:registrar.biloxi.com SIP/2.0", INVITE_HEADERS[0], "To: <sip:bob@biloxi.com>", "From: <sip:bob@biloxi.com>;tag=456248",
      "Call-ID: 843817637684230@998sdasdh09", "CSeq: 1826 REGISTER", contact, "Expires: 0", "Content-Length: 0",
    ]);
    assert.equal(parseMessage(reg("Contact: *")).contacts(), "*");
    const contacts = parseMessage(reg('Contact: <sip:bob@192.0.2.4>;expires=3600;q=0.7, "Mobile" <sip:bob@[2001:db8::4]:5080>;expires=60')).contacts();
    assert.ok(Array.isArray(contacts));
    assert.deepEqual(contacts.map((c) => [c.uri.host, c.params.get("expires")]), [["192.0.2.4", "3600"], ["2001:db8::4", "60"]]);
    assert.equal(parseMessage(reg("Contact: *")).expires, 0);
    assert.throws(() => parseMessage(reg("Contact: *, <sip:a@b>")).contacts(), SipParseError);
  });

  it("accepts bare LF line ends and leading CRLFs", () => {
    const text = "\r\n\r\n" + invite().toString("latin1").replaceAll("\r\n", "\n");
    const m = parseMessage(Buffer.from(text, "latin1"));
    assert.equal(m.callId, "a84b4c76e66710@pc33.atlanta.com");
    assert.equal(m.body.length, 0);
  });
});

describe("parseMessage: body and Content-Length on datagrams", () => {
  it("cuts the body at Content-Length and ignores the rest of the datagram", () => {
    const data = Buffer.concat([invite([], "abc"), Buffer.from("garbage after")]);
    assert.equal(parseMessage(data).body.toString(), "abc");
  });

  it("takes the rest of the datagram when Content-Length is absent", () => {
    const data = msg(["MESSAGE sip:bob@biloxi.com SIP/2.0", ...INVITE_HEADERS.slice(0, 5), "CSeq: 2 MESSAGE"], "hello\r\nworld");
    assert.equal(parseMessage(data).body.toString(), "hello\r\nworld");
  });

  it("rejects a Content-Length larger than the datagram, with enough of the request for a 400", () => {
    const data = Buffer.from(invite([], "0123456789").toString("latin1").replace("Content-Length: 10", "Content-Length: 500"), "latin1");
    const e = parseError(data);
    assert.equal(e.code, "content-length");
    assert.equal(e.kind, "request");
    const req = e.request!;
    assert.equal(req.method, "INVITE");
    assert.equal(req.uri, "sip:bob@biloxi.com");
    assert.deepEqual(req.headerFields.map((f) => f.name), ["Via", "To", "From", "Call-ID", "CSeq"]);
    assert.equal(req.fromTag, "1928301774");
  });

  it("rejects non-numeric and conflicting Content-Length", () => {
    for (const cl of ["Content-Length: -1", "Content-Length: abc", "Content-Length: 1e3", "Content-Length: 12345678901"]) {
      const e = parseError(msg(["INVITE sip:bob@biloxi.com SIP/2.0", ...INVITE_HEADERS, cl]));
      assert.equal(e.code, "content-length", cl);
    }
    const e = parseError(msg(["INVITE sip:bob@biloxi.com SIP/2.0", ...INVITE_HEADERS, "Content-Length: 0", "l: 3"], "abc"));
    assert.equal(e.code, "content-length");
    assert.equal(parseMessage(msg(["INVITE sip:bob@biloxi.com SIP/2.0", ...INVITE_HEADERS, "Content-Length: 3", "l: 3"], "abc")).body.toString(), "abc");
  });

  it("keeps invalid UTF-8 bytes in headers and body intact", () => {
    const raw = Buffer.concat([
      Buffer.from("MESSAGE sip:bob@biloxi.com SIP/2.0\r\n" + INVITE_HEADERS.slice(0, 3).join("\r\n") + "\r\nFrom: \"", "latin1"),
      Buffer.from([0xc3, 0xa9, 0xff, 0xc0, 0x80]),
      Buffer.from("\" <sip:alice@atlanta.com>;tag=9\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\nSubject: ", "latin1"),
      Buffer.from([0xed, 0xa0, 0x80, 0xa0]),
      Buffer.from("\r\nContent-Length: 3\r\n\r\n", "latin1"),
      Buffer.from([0xfe, 0xff, 0x00]),
    ]);
    const m = parseMessage(raw);
    assert.equal(Buffer.from(m.from.displayName!, "latin1").toString("hex"), "c3a9ffc080");
    assert.equal(Buffer.from(m.get("Subject")!, "latin1").toString("hex"), "eda080a0", "trailing 0xA0 is data, not whitespace");
    assert.deepEqual([...m.body], [0xfe, 0xff, 0x00]);
    const again = serializeMessage(m);
    assert.ok(again.includes(Buffer.from([0xc3, 0xa9, 0xff, 0xc0, 0x80])));
    assert.ok(again.includes(Buffer.from([0xed, 0xa0, 0x80, 0xa0])));
  });
});

describe("parseMessage: malformed input", () => {
  const base = invite().toString("latin1");
  const variant = (from: string, to: string) => Buffer.from(base.replace(from, to), "latin1");

  it("names what is wrong", () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.from("\r\n\r\n"), "empty"],
      [Buffer.from(base.slice(0, 100), "latin1"), "truncated"],
      [variant("INVITE sip:bob@biloxi.com SIP/2.0", "INVITE sip:bob@biloxi.com SIP/3.0"), "unsupported-version"],
      [variant("INVITE sip:bob@biloxi.com SIP/2.0", "INVITE  SIP/2.0"), "start-line"],
      [variant("INVITE sip:bob@biloxi.com SIP/2.0", "INVITE sip:bob@bil oxi.com SIP/2.0"), "start-line"],
      [variant("Max-Forwards: 70", "Max-Forwards 70"), "header-syntax"],
      [variant("Max-Forwards: 70", "Max Forwards: 70"), "header-syntax"],
      [variant("Max-Forwards: 70", "Max-Forwards: 7\r0"), "header-syntax"],
      [variant("INVITE sip:bob@biloxi.com SIP/2.0\r\n", "INVITE sip:bob@biloxi.com SIP/2.0\r\n continued\r\n"), "header-syntax"],
      [variant("Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n", ""), "missing-header"],
      [variant("CSeq: 314159 INVITE\r\n", ""), "missing-header"],
      [variant("Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n", ""), "missing-header"],
      [variant("Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n", "Call-ID: a\r\ni: b\r\n"), "duplicate-header"],
      [variant("CSeq: 314159 INVITE", "CSeq: 314159 BYE"), "invalid-header"],
      [variant("CSeq: 314159 INVITE", "CSeq: INVITE"), "invalid-header"],
      [variant("From: \"Alice\"", "From: \"Alice"), "invalid-header"],
      [variant("To: Bob <sip:bob@biloxi.com>", "To: Bob <sip:bob@biloxi.com"), "invalid-header"],
      [variant("Via: SIP/2.0/UDP pc33.atlanta.com", "Via: SIP/2.0/UDP [pc33.atlanta.com"), "invalid-header"],
    ];
    for (const [data, code] of cases) assert.equal(parseError(data).code, code, data.toString("latin1").slice(0, 60));
  });

  it("reads the Request-URI on demand, telling a broken URI (400) from another scheme (416)", () => {
    const other = parseMessage(variant("INVITE sip:bob@biloxi.com SIP/2.0", "INVITE mailto:bob@biloxi.com SIP/2.0"));
    assert.throws(() => (other as SipRequest).requestUri, (e: unknown) => e instanceof SipParseError && e.code === "unsupported-uri-scheme");
    const broken = parseMessage(variant("INVITE sip:bob@biloxi.com SIP/2.0", "INVITE sip:bob@bil<oxi.com SIP/2.0"));
    assert.throws(() => (broken as SipRequest).requestUri, (e: unknown) => e instanceof SipParseError && e.code === "invalid-uri");
  });

  it("marks malformed responses so they are dropped, and salvages no request from them", () => {
    const e = parseError(msg(["SIP/2.0 200 OK", "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "Content-Length: 0"]));
    assert.equal(e.code, "missing-header");
    assert.equal(e.kind, "response");
    assert.equal(e.request, undefined);
  });

  it("salvages only well-formed core headers, even after an injected bare CR", () => {
    const e = parseError(variant("To: Bob <sip:bob@biloxi.com>", "To: Bob <sip:bob@biloxi.com>\rVia: SIP/2.0/UDP evil;branch=z9hG4bKevil"));
    assert.equal(e.code, "header-syntax");
    const req = e.request!;
    assert.equal(req.count("Via"), 1);
    assert.equal(req.via.host, "pc33.atlanta.com");
    assert.equal(req.get("To"), undefined, "the To line holding the bare CR is not trusted");
    assert.equal(req.callId, "a84b4c76e66710@pc33.atlanta.com");
  });

  it("leaves a bad line out of the salvage together with its continuation lines", () => {
    const e = parseError(variant("To: Bob <sip:bob@biloxi.com>\r\n", `To: Bob <sip:bob@biloxi.com>\r\nX-Long: ${"z".repeat(9000)}\r\n ;tag=evil\r\n`));
    assert.equal(e.code, "line-too-long");
    assert.equal(e.request!.get("To"), "Bob <sip:bob@biloxi.com>");
    const cr = parseError(variant("Call-ID: a84b4c76e66710@pc33.atlanta.com", "Call-ID: a84b4c76e66710@pc33.atlanta.com\rX\r\n ;more"));
    assert.equal(cr.request!.get("Call-ID"), undefined);
    assert.equal(cr.request!.get("To"), "Bob <sip:bob@biloxi.com>");
  });

  it("does not salvage from an unreadable start line", () => {
    const e = parseError(Buffer.from("\x00\x01garbage\r\n\r\n", "latin1"));
    assert.equal(e.kind, undefined);
    assert.equal(e.request, undefined);
  });
});

describe("parseMessage: limits", () => {
  it("enforces message size, header count, line length and Via count", () => {
    const limits = parseLimits({ maxMessageSize: 2000, maxHeaders: 20, maxLineLength: 200, maxVia: 3 });
    assert.equal(parseError(invite([], "x".repeat(2000)), limits).code, "too-large");
    assert.equal(parseError(invite(Array.from({ length: 20 }, (_, i) => `X-H${i}: ${i}`)), limits).code, "too-many-headers");
    assert.equal(parseError(invite([`Subject: ${"s".repeat(200)}`]), limits).code, "line-too-long");
    assert.equal(parseError(invite(["Subject: a", ...Array.from({ length: 10 }, () => ` ${"s".repeat(20)}`)]), limits).code, "line-too-long");
    const threeMore = "Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2, SIP/2.0/UDP c;branch=z9hG4bK3";
    const e = parseError(invite([threeMore]), limits);
    assert.equal(e.code, "too-many-via");
    assert.equal(e.request!.count("Via"), 3, "the 400 carries at most maxVia Vias");
    assert.equal(parseMessage(invite(["Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2"]), limits).count("Via"), 3);
  });

  it("has defaults that accept real traffic and refuse abuse", () => {
    assert.equal(parseMessage(invite(Array.from({ length: 70 }, (_, i) => `Via: SIP/2.0/UDP 10.0.0.${i};branch=z9hG4bK${i}`))).count("Via"), 71);
    assert.equal(parseError(invite(Array.from({ length: 80 }, (_, i) => `Via: SIP/2.0/UDP 10.0.0.${i};branch=z9hG4bK${i}`))).code, "too-many-via");
    assert.equal(parseError(invite(Array.from({ length: 300 }, (_, i) => `X-H${i}: ${i}`))).code, "too-many-headers");
    assert.equal(parseError(invite([`Subject: ${"s".repeat(9000)}`])).code, "line-too-long");
    assert.equal(parseError(invite([], "x".repeat(70000))).code, "too-large");
    assert.throws(() => parseLimits({ maxVia: 0 }), RangeError);
  });
});
