/**
 * RFC 4475 at the parser: each valid message parses, with the fields the RFC points
 * out read as it says; each invalid one is a SipParseError naming the fault, except
 * where the RFC lets a tolerant parser accept it (said, with the RFC's words, where
 * it happens). The fixtures are the RFC's bytes (rfc4475.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SipParseError, type SipParseErrorCode } from "./errors.js";
import { type SipMessage, type SipRequest, type SipResponse, bytesToUtf8 } from "./message.js";
import { parseMessage } from "./parser.js";
import { StreamFramer } from "./framer.js";
import { parseUri } from "./uri.js";
import { RFC4475, type Rfc4475Name } from "./rfc4475.js";

function parse(name: Rfc4475Name): SipMessage {
  return parseMessage(RFC4475[name].bytes);
}
function request(name: Rfc4475Name): SipRequest {
  const m = parse(name);
  assert.ok(m.isRequest, `${name} is a request`);
  return m as SipRequest;
}
function response(name: Rfc4475Name): SipResponse {
  const m = parse(name);
  assert.ok(!m.isRequest, `${name} is a response`);
  return m as SipResponse;
}
function parseError(name: Rfc4475Name): SipParseError {
  try {
    parseMessage(RFC4475[name].bytes);
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  assert.fail(`${name} should not parse`);
}

/** The error, and whether the request came back with enough of it for a 400 (Via, From, To, Call-ID, CSeq). */
function refused(name: Rfc4475Name, code: SipParseErrorCode, answerable: boolean): SipParseError {
  const e = parseError(name);
  assert.equal(e.code, code, `${name}: ${e.message}`);
  if (answerable) assert.equal(e.kind, "request");
  const complete = e.request !== undefined && ["Via", "From", "To", "Call-ID", "CSeq"].every((h) => e.request!.has(h));
  assert.equal(complete, answerable, `${name}: ${answerable ? "answerable" : "not answerable"} (${e.request?.headerFields.map((f) => f.name).join(", ")})`);
  return e;
}

describe("RFC 4475 §3.1.1: valid messages parse", () => {
  it("the fixtures are all 49 messages, each named with its section", () => {
    assert.equal(Object.keys(RFC4475).length, 49);
    assert.equal(RFC4475.wsinv.section, "3.1.1.1");
    assert.equal(RFC4475.inv2543.section, "3.4.1");
  });

  it("wsinv: folding, short forms, LWS everywhere, unknown headers and parameters, leading zeros", () => {
    const m = request("wsinv");
    assert.equal(m.method, "INVITE");
    assert.equal(m.requestUri.user, "vivekg");
    assert.equal(m.requestUri.host, "chair-dnrc.example.com");
    assert.equal(m.requestUri.params.get("unknownparam"), null, "a uri parameter with no value");
    assert.equal(m.toTag, "1918181833n");
    assert.equal(m.from.displayName, 'J Rosenberg \\"', "escaped characters within quotes");
    assert.equal(m.fromTag, "98asjd8");
    assert.equal(m.maxForwards, 68);
    assert.deepEqual(m.cseq, { seq: 9, method: "INVITE" });
    assert.equal(m.callId, "wsinv.ndaksdj@192.0.2.1");
    assert.deepEqual(m.vias().map((v) => [v.transport, v.host, v.params.get("branch")]), [
      ["UDP", "192.0.2.2", "390skdjuw"], ["TCP", "spindle.example.com", "z9hG4bK9ikj8"], ["UDP", "192.168.255.111", "z9hG4bK30239"],
    ]);
    assert.equal(m.get("Subject"), "", "an empty subject (s :)");
    assert.equal(m.get("NewFangledHeader"), "newfangled value continued newfangled value");
    assert.equal(m.get("UnknownHeaderWithUnusualValue"), ";;,,;;,;");
    const contacts = m.contacts();
    assert.ok(contacts !== "*" && contacts.length === 1);
    assert.equal(contacts[0].displayName, 'Quoted string ""');
    assert.equal(contacts[0].params.get("q"), "0.33");
    assert.equal(contacts[0].params.get("secondparam"), null, "a header parameter with no value");
    assert.equal(m.routes()[0].uri.params.get("unknown-no-value"), null);
    assert.equal(m.contentType, "application/sdp");
    assert.equal(m.body.length, 150);
  });

  it("intmeth: every token character in the method, URI, branch, tag and header name; quoted NUL; UTF-8 values", () => {
    const m = request("intmeth");
    assert.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~", "% is not an escape in a method");
    assert.equal(m.cseq.method, m.method);
    const uri = m.requestUri;
    assert.equal(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert.equal(uri.host, "example.com");
    assert.equal(m.via.params.get("branch"), "z9hG4bK-.!%66*_+`'~");
    assert.equal(m.to.displayName, "BEL:\x07 NUL:\x00 DEL:\x7f", "quoted-pairs, a quoted NULL among them");
    assert.equal(m.to.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(m.from.displayName, "token1~` token2'+_ token3*%!.-");
    assert.equal(m.fromTag, "_token~1'+`*%!-.");
    assert.equal(bytesToUtf8(m.from.params.get("fromparam''~+*_!.-%")!), '"работающий"');
    assert.equal(m.callId, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert.equal(m.maxForwards, 255);
    assert.equal(bytesToUtf8(m.get("extensionHeader-!.%*+_`'~")!), "\uFEFF大停電");
  });

  it("esc01: %-escapes kept as written in user parts and URI parameters, never unescaped twice", () => {
    const m = request("esc01");
    assert.equal(m.requestUri.user, "sips%3Auser%40example.com");
    assert.equal(decodeURIComponent(m.requestUri.user!), "sips:user@example.com");
    assert.equal(m.requestUri.host, "example.net");
    assert.equal(decodeURIComponent(m.to.uri.user!), "user");
    assert.equal(decodeURIComponent(m.from.uri.user!), "I have spaces");
    const [contact] = m.contacts() as ReturnType<SipMessage["routes"]>;
    assert.equal(decodeURIComponent(contact.uri.user!), "caller");
    assert.equal(decodeURIComponent(contact.uri.params.get("n%61me")!), "value%41", '"value%41", which is NOT equivalent to "valueA"');
    assert.equal(m.callId, "esc01.239409asdfakjkn23onasd0-3234");
  });

  it("escnull: %00 in user parts; two distinct contacts", () => {
    const m = request("escnull");
    assert.equal(m.to.uri.user, "null-%00-null");
    const contacts = m.contacts() as ReturnType<SipMessage["routes"]>;
    assert.deepEqual(contacts.map((c) => c.uri.user), ["%00", "%00%00"]);
  });

  it("esc02: RE%47IST%45R is an unknown method, not REGISTER; C%6Fntact is not Contact", () => {
    const m = request("esc02");
    assert.equal(m.method, "RE%47IST%45R");
    assert.notEqual(m.method, "REGISTER");
    assert.equal(m.from.displayName, "%Z%45");
    assert.equal((m.contacts() as unknown[]).length, 2, "two Contact header field values, not three");
    assert.equal(m.get("C%6Fntact"), "<sip:alias2@host2.example.com>");
  });

  it("lwsdisp: no LWS between the display name and '<'", () => {
    const m = request("lwsdisp");
    assert.equal(m.from.displayName, "caller");
    assert.equal(m.from.uri.user, "caller");
  });

  it("longreq: very long values and 34 Via values", () => {
    const m = request("longreq");
    assert.equal(m.to.displayName, `I have a user name of ${"extreme".repeat(10)} proportion`);
    assert.equal(m.to.uri.port, 6000);
    assert.equal(m.fromTag!.length, 1 + 150 + 4);
    assert.equal(m.callId, `longreq.one${"really".repeat(20)}longcallid`);
    assert.equal(m.vias().length, 34);
    assert.equal(m.vias()[33].params.get("branch"), `very${"long".repeat(50)}branchvalue`);
    assert.equal(m.body.length, 150);
  });

  it("dblreq: the octets after the REGISTER's Content-Length are noise, not a second request", () => {
    const m = request("dblreq");
    assert.equal(m.method, "REGISTER");
    assert.equal(m.body.length, 0);
  });

  it("semiuri: the user part is \"user;par=u@example.net\"", () => {
    const m = request("semiuri");
    assert.equal(decodeURIComponent(m.requestUri.user!), "user;par=u@example.net");
    assert.equal(m.requestUri.host, "example.com");
    assert.equal(m.requestUri.params.size, 0);
  });

  it("transports: SCTP, TLS, UNKNOWN and TCP Via values", () => {
    const m = request("transports");
    assert.deepEqual(m.vias().map((v) => v.transport), ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
  });

  it("mpart01: a multipart body whose binary part holds NULs is framed by Content-Length", () => {
    const m = request("mpart01");
    assert.equal(m.method, "MESSAGE");
    assert.equal(m.body.length, 553);
    assert.ok(m.body.includes(0), "binary, with NUL octets");
    assert.ok(m.body.toString("latin1").endsWith("\r\n--7a9cbec02ceef655--\r\n"), "the body ends with the closing boundary");
  });

  it("unreason: a reason phrase of reserved, unreserved and UTF-8 characters", () => {
    const m = response("unreason");
    assert.equal(m.status, 200);
    assert.equal(bytesToUtf8(m.reason), "= 2**3 * 5**2 но сто девяносто девять - простое");
  });

  it("noreason: an empty reason phrase", () => {
    const m = response("noreason");
    assert.equal(m.status, 100);
    assert.equal(m.reason, "");
  });
});

describe("RFC 4475 §3.1.2: invalid messages are refused, or accepted where the RFC allows", () => {
  it("badinv01: empty Via parameters: refused; the only Via is the bad one, so nothing can carry a 400 back", () => {
    // RFC: "should respond with a 400 Bad Request". A response copies the request's Via values
    // (RFC 3261 §8.2.6.2) and this one has no well-formed Via to copy; pjsip drops it too.
    const e = refused("badinv01", "invalid-header", false);
    assert.equal(e.header, "Via");
  });

  it("clerr: Content-Length larger than the datagram: 400", () => {
    refused("clerr", "content-length", true);
  });

  it("ncl: a negative Content-Length: an error, the datagram discarded", () => {
    refused("ncl", "content-length", true);
  });

  it("scalar02: CSeq above 2**32-1 (\"400 Bad Request due to the CSeq error\"); the CSeq cannot be copied, so nothing can answer it", () => {
    const e = refused("scalar02", "invalid-header", false);
    assert.equal(e.header, "CSeq");
  });

  it("scalarlg: a response with overlarge values: \"will simply discard it\"", () => {
    const e = parseError("scalarlg");
    assert.equal(e.kind, "response");
    assert.equal(e.request, undefined);
  });

  it("quotbal: an unterminated quoted string in To: refused (no To to copy, so no 400)", () => {
    const e = refused("quotbal", "invalid-header", false);
    assert.equal(e.header, "To");
  });

  it("ltgtruri: <> around the Request-URI: the message parses, its Request-URI does not (answered 400 by the transaction layer)", () => {
    const m = request("ltgtruri");
    assert.throws(() => m.requestUri, (e: unknown) => e instanceof SipParseError && e.code === "invalid-uri");
  });

  it("lwsruri, lwsstart, trws: SP inside or around the Request-URI: refused, with enough for a 400", () => {
    // RFC: "It is acceptable to reject this request as malformed" (lwsstart, trws), "should respond with a 400" (lwsruri).
    for (const name of ["lwsruri", "lwsstart", "trws"] as const) refused(name, "start-line", true);
  });

  it("escruri: escaped headers in the Request-URI: accepted, as the RFC allows", () => {
    // RFC: "An element could choose to be liberal in what it accepts and ignore the escaped headers."
    const m = request("escruri");
    assert.equal(m.requestUri.user, "user");
    assert.equal(m.requestUri.headers.get("Route"), "%3Csip:example.com%3E");
  });

  it("baddate: a non-GMT Date: accepted, since Recall does not use Date", () => {
    // RFC: "An element wishing to be liberal in what it accepts could ignore this value altogether
    // if it wasn't going to use the Date header field anyway."
    const m = request("baddate");
    assert.match(m.get("Date")!, / EST$/);
  });

  it("regbadct: a Contact URI with headers but no <>: accepted, the brackets inferred", () => {
    // RFC: "An element choosing to be liberal in what it accepts could infer the angle brackets
    // since there is no ambiguity in this example."
    const m = request("regbadct");
    const [contact] = m.contacts() as ReturnType<SipMessage["routes"]>;
    assert.equal(contact.uri.user, "user");
    assert.equal(contact.uri.headers.get("Route"), "%3Csip:sip.example.com%3E");
  });

  it("badaspec: spaces inside <> in To: refused (no To to copy, so no 400)", () => {
    const e = refused("badaspec", "invalid-header", false);
    assert.equal(e.header, "To");
  });

  it("baddn: unquoted display names with non-token characters: refused (no From or To to copy, so no 400)", () => {
    const e = refused("baddn", "invalid-header", false);
    assert.equal(e.header, "From");
  });

  it("badvers: SIP/7.0: \"should respond to the request with a 505 Version Not Supported\"", () => {
    refused("badvers", "unsupported-version", true);
  });

  it("mismatch01: start line and CSeq methods differ: 400", () => {
    const e = refused("mismatch01", "invalid-header", true);
    assert.equal(e.header, "CSeq");
  });

  it("mismatch02: an unknown method with a CSeq of another: 400 (\"A 400 Bad Request is also acceptable\")", () => {
    const e = refused("mismatch02", "invalid-header", true);
    assert.equal(e.request!.method, "NEWMETHOD");
  });

  it("bigcode: a status code above 699: a malformed response, dropped", () => {
    const e = parseError("bigcode");
    assert.equal(e.kind, "response");
  });
});

describe("RFC 4475 §3.2–§3.4: semantics above the parser", () => {
  it("badbranch: a branch of just the magic cookie parses (the transaction layer copes)", () => {
    assert.equal(request("badbranch").via.params.get("branch"), "z9hG4bK");
  });

  it("insuf: no Call-ID, From or To: refused; nothing to copy into a 400", () => {
    refused("insuf", "missing-header", false);
  });

  it("unkscm, novelsc: a Request-URI of another scheme parses, and reads as unsupported (416)", () => {
    for (const name of ["unkscm", "novelsc"] as const) {
      const m = request(name);
      assert.throws(() => m.requestUri, (e: unknown) => e instanceof SipParseError && e.code === "unsupported-uri-scheme");
    }
  });

  it("unksm2: From and To of other schemes are refused by the parser, with all a 400 needs (the registrar's answer)", () => {
    // The RFC says "Parsers must not fail when receiving this message" and "A registrar would reject this
    // request with a 400 Bad Request response". Recall serves only sip:, sips: and tel: addresses, so its
    // parser refuses the From; the salvage keeps the well-formed http: From and isbn: To, and the request
    // is answered the registrar's 400.
    const e = refused("unksm2", "unsupported-uri-scheme", true);
    assert.equal(e.header, "From");
    assert.equal(e.request!.get("To"), "isbn:2983792873");
    assert.throws(() => parseUri("http://www.example.com"), (x: unknown) => x instanceof SipParseError && x.code === "unsupported-uri-scheme");
  });

  it("bext01, invut, regaut01, zeromf, cparam01, cparam02, regescrt, sdp01, inv2543: well formed", () => {
    assert.deepEqual(request("bext01").getAll("Require"), ["nothingSupportsThis", "nothingSupportsThisEither"]);
    assert.equal(request("invut").contentType, "application/unknownformat");
    assert.match(request("regaut01").get("Authorization")!, /^NoOneKnowsThisScheme /);
    assert.equal(request("zeromf").maxForwards, 0);
    const c1 = (request("cparam01").contacts() as ReturnType<SipMessage["routes"]>)[0];
    assert.equal(c1.params.get("unknownparam"), null, "a contact-param, not a url-param");
    assert.equal(c1.uri.params.size, 0);
    const c2 = (request("cparam02").contacts() as ReturnType<SipMessage["routes"]>)[0];
    assert.equal(c2.uri.params.get("unknownparam"), null, "a url-param");
    const c3 = (request("regescrt").contacts() as ReturnType<SipMessage["routes"]>)[0];
    assert.equal(c3.uri.headers.get("Route"), "%3Csip:sip.example.com%3E");
    assert.equal(request("sdp01").get("Accept"), "text/nobodyKnowsThis");
    const old = request("inv2543");
    assert.equal(old.via.params.get("branch"), undefined, "no branch");
    assert.equal(old.fromTag, undefined, "no From tag");
    assert.equal(old.maxForwards, undefined, "no Max-Forwards");
    assert.equal(old.body.length, RFC4475.inv2543.bytes.length - RFC4475.inv2543.bytes.indexOf("\r\n\r\n") - 4, "no Content-Length: the body is the rest of the datagram");
  });

  it("multi01: two Call-ID, To, From, CSeq and Max-Forwards: 400", () => {
    refused("multi01", "duplicate-header", true);
  });

  it("mcl01: two Content-Length values that disagree: 400, the datagram discarded", () => {
    refused("mcl01", "content-length", true);
  });

  it("bcast: a 200 whose second Via is 255.255.255.255 parses (the transaction layer drops it: no client transaction matches)", () => {
    const m = response("bcast");
    assert.equal(m.vias()[1].host, "255.255.255.255");
  });
});

describe("RFC 4475 over a stream (TCP): the framer never throws", () => {
  it("every message, whole and in 7-byte pieces, comes out as messages or SipParseErrors, the same either way", () => {
    for (const [name, { bytes }] of Object.entries(RFC4475)) {
      const whole = new StreamFramer().push(bytes);
      const framer = new StreamFramer();
      const pieces: ReturnType<StreamFramer["push"]> = [];
      for (let i = 0; i < bytes.length; i += 7) pieces.push(...framer.push(bytes.subarray(i, i + 7)));
      for (const item of [...whole, ...pieces]) assert.ok(item instanceof SipParseError || typeof item.isRequest === "boolean", name);
      assert.deepEqual(pieces.map(describeItem), whole.map(describeItem), name);
      let datagram: SipMessage | undefined;
      try { datagram = parseMessage(bytes); } catch { /* refused as a datagram */ }
      const hasLength = /^(Content-Length|l)\s*:/mi.test(bytes.toString("latin1"));
      if (datagram && hasLength) assert.equal(describeItem(whole[0]), describeItem(datagram), `${name}: framed as it parses from a datagram`);
    }
  });
});

function describeItem(item: SipMessage | SipParseError | undefined): string {
  if (item === undefined) return "nothing";
  if (item instanceof SipParseError) return `error ${item.code}`;
  return `${item.startLine()} ${item.body.length}`;
}
