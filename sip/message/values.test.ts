import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SipParseError } from "./errors.js";
import { formatUri, parseUri } from "./uri.js";
import { formatNameAddr, parseNameAddr } from "./name-addr.js";
import { branchOf, formatVia, parseVia } from "./via.js";
import { parseCSeq } from "./cseq.js";
import { parseParams, splitList, unquote, quote } from "./text.js";

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof SipParseError && e.code === code);
}

describe("SIP URI", () => {
  it("reads every part of a full sip URI", () => {
    const uri = parseUri("sips:alice:secret@atlanta.example.com:5061;transport=TCP;lr;Maddr=239.255.255.1?subject=project%20x&priority=urgent");
    assert.equal(uri.scheme, "sips");
    assert.equal(uri.user, "alice");
    assert.equal(uri.password, "secret");
    assert.equal(uri.host, "atlanta.example.com");
    assert.equal(uri.port, 5061);
    assert.deepEqual([...uri.params], [["transport", "TCP"], ["lr", null], ["maddr", "239.255.255.1"]]);
    assert.deepEqual([...uri.headers], [["subject", "project%20x"], ["priority", "urgent"]]);
  });

  it("keeps a user part with ';' (RFC 3261 example) and escapes as written", () => {
    const uri = parseUri("sip:alice;day=tuesday@atlanta.com");
    assert.equal(uri.user, "alice;day=tuesday");
    assert.equal(uri.host, "atlanta.com");
    assert.equal(parseUri("sip:%61lice@atlanta.com").user, "%61lice");
    const phone = parseUri("sip:+1-212-555-1212:1234@gateway.com;user=phone");
    assert.equal(phone.user, "+1-212-555-1212");
    assert.equal(phone.password, "1234");
    assert.equal(phone.params.get("user"), "phone");
  });

  it("handles IPv6 references with and without port", () => {
    const a = parseUri("sip:bob@[2001:db8::10]:5070;transport=udp");
    assert.equal(a.host, "2001:db8::10");
    assert.equal(a.port, 5070);
    assert.equal(formatUri(a), "sip:bob@[2001:db8::10]:5070;transport=udp");
    const b = parseUri("sip:[::1]");
    assert.equal(b.host, "::1");
    assert.equal(b.port, undefined);
    assert.equal(b.user, undefined);
    assert.equal(formatUri(b), "sip:[::1]");
  });

  it("parses tel URIs", () => {
    const uri = parseUri("tel:+1-201-555-0123;phone-context=example.com");
    assert.equal(uri.scheme, "tel");
    assert.equal(uri.user, "+1-201-555-0123");
    assert.equal(uri.params.get("phone-context"), "example.com");
    assert.equal(formatUri(uri), "tel:+1-201-555-0123;phone-context=example.com");
  });

  it("round-trips", () => {
    for (const s of ["sip:alice@example.com", "sip:example.com:5060", "sip:a:b@h.example.com:1;x=y;lr?h=v&i=w", "sips:[fe80::1]:5061"]) {
      assert.equal(formatUri(parseUri(s)), s);
    }
    assert.equal(formatUri(parseUri("SIP:alice@example.com;TRANSPORT=tcp")), "sip:alice@example.com;transport=tcp");
  });

  it("reads a '?' before the '@' as URI headers when they parse, as a user part otherwise (RFC 4475 intmeth)", () => {
    const replaces = parseUri("sip:bob@biloxi.com?Replaces=12345@192.0.2.1%3Bto-tag%3D1");
    assert.equal(replaces.user, "bob");
    assert.equal(replaces.headers.get("Replaces"), "12345@192.0.2.1%3Bto-tag%3D1", "an unescaped '@' in a header value stays there");
    const noUser = parseUri("sip:biloxi.com?Subject=a@b");
    assert.equal(noUser.host, "biloxi.com");
    assert.equal(noUser.headers.get("Subject"), "a@b");
    const odd = parseUri("sip:who~(me)?,/;;*@example.com;lr");
    assert.deepEqual([odd.user, odd.host, odd.params.get("lr")], ["who~(me)?,/;;*", "example.com", null], "'who~(me)' is no host: a user part");
    throwsCode(() => parseUri("sip:who?x@ex ample.com"), "invalid-uri");
  });

  it("rejects malformed URIs and tells other schemes apart", () => {
    for (const bad of ["alice@example.com", "sip:", "sip:alice@", "sip:alice@host:99999", "sip:alice@host:5x", "sip:[::1", "sip:[zz::1]",
      "sip:al ice@host", "sip:alice@ho<st", "sip:@host", "sip:host;=x", "sip:host junk", ":foo"]) {
      throwsCode(() => parseUri(bad), "invalid-uri");
    }
    throwsCode(() => parseUri("mailto:alice@example.com"), "unsupported-uri-scheme");
    throwsCode(() => parseUri("http://example.com/"), "unsupported-uri-scheme");
  });
});

describe("name-addr", () => {
  it("reads quoted display names with escapes, the URI and header parameters", () => {
    const a = parseNameAddr('"Alice \\"A\\" Smith" <sip:alice@example.com;transport=tcp>;tag=1928301774;expires=60');
    assert.equal(a.displayName, 'Alice "A" Smith');
    assert.equal(a.uri.user, "alice");
    assert.equal(a.uri.params.get("transport"), "tcp");
    assert.deepEqual([...a.params], [["tag", "1928301774"], ["expires", "60"]]);
  });

  it("reads token display names, bare <uri> and addr-spec forms", () => {
    assert.equal(parseNameAddr("Bob Smith <sip:bob@example.com>").displayName, "Bob Smith");
    assert.equal(parseNameAddr("<sip:bob@example.com>").displayName, undefined);
    const spec = parseNameAddr("sip:bob@example.com;tag=xyz");
    assert.equal(spec.uri.host, "example.com");
    assert.equal(spec.uri.params.size, 0, "addr-spec parameters belong to the header, not the URI");
    assert.equal(spec.params.get("tag"), "xyz");
  });

  it("keeps quoted parameter values as written and with commas and semicolons inside", () => {
    const c = parseNameAddr('<sip:alice@192.0.2.4>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";q=0.7;reg-id=1;x="a;b,c"');
    assert.equal(c.params.get("+sip.instance"), '"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"');
    assert.equal(unquote(c.params.get("+sip.instance")!), "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>");
    assert.equal(c.params.get("q"), "0.7");
    assert.equal(c.params.get("x"), '"a;b,c"');
  });

  it("writes a canonical form that parses back the same", () => {
    const text = formatNameAddr(parseNameAddr('Alice <sip:alice@example.com>;tag=1'));
    assert.equal(text, '"Alice" <sip:alice@example.com>;tag=1');
    assert.equal(formatNameAddr(parseNameAddr("sip:bob@[::1]:5060;tag=2")), "<sip:bob@[::1]:5060>;tag=2");
    const back = parseNameAddr(formatNameAddr({ displayName: 'He said "hi" \\o/', uri: parseUri("sip:x@y"), params: new Map() }));
    assert.equal(back.displayName, 'He said "hi" \\o/');
  });

  it("rejects broken values", () => {
    for (const bad of ['"Alice <sip:alice@example.com>', "<sip:alice@example.com", "Al@ice <sip:a@b>", '"A" sip:a@b', "<sip:a@b>;", "<sip:a@b> junk"]) {
      throwsCode(() => parseNameAddr(bad, "From"), "invalid-header");
    }
    // Well formed, but of a scheme Recall does not serve (a 400 may still copy it: RFC 4475 unksm2).
    throwsCode(() => parseNameAddr("<mailto:a@b>", "From"), "unsupported-uri-scheme");
  });
});

describe("Via", () => {
  it("reads protocol, transport, sent-by and parameters", () => {
    const via = parseVia("SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5060");
    assert.equal(via.protocol, "SIP/2.0");
    assert.equal(via.transport, "UDP");
    assert.equal(via.host, "pc33.atlanta.com");
    assert.equal(via.port, 5066);
    assert.equal(branchOf(via), "z9hG4bK776asdhds");
    assert.equal(via.params.get("received"), "192.0.2.1");
    assert.equal(via.params.get("rport"), "5060");
  });

  it("accepts whitespace around the slashes, lowercase transport, rport flag and IPv6 sent-by", () => {
    const via = parseVia("SIP / 2.0 / tcp [2001:db8::9]:5070 ; branch=z9hG4bKx ; rport ; received=2001:db8::1");
    assert.equal(via.transport, "TCP");
    assert.equal(via.host, "2001:db8::9");
    assert.equal(via.port, 5070);
    assert.equal(via.params.get("rport"), null);
    assert.equal(via.params.get("received"), "2001:db8::1");
    assert.equal(formatVia(via), "SIP/2.0/TCP [2001:db8::9]:5070;branch=z9hG4bKx;rport;received=2001:db8::1");
  });

  it("rejects broken values", () => {
    for (const bad of ["SIP/2.0/UDP", "SIP/2.0 host", "SIP/2.0/UDPhost", "SIP/2.0/UDP :5060", "SIP/2.0/UDP host:port", "SIP/2.0/UDP [::1;branch=x", "SIP/2.0/UDP host;=x"]) {
      throwsCode(() => parseVia(bad), "invalid-header");
    }
  });
});

describe("CSeq and lists", () => {
  it("parses CSeq and rejects bad numbers", () => {
    assert.deepEqual(parseCSeq("4711 INVITE"), { seq: 4711, method: "INVITE" });
    assert.deepEqual(parseCSeq("  0\tREGISTER "), { seq: 0, method: "REGISTER" });
    assert.equal(parseCSeq("4294967295 BYE").seq, 4294967295);
    for (const bad of ["4294967296 BYE", "-1 BYE", "1x BYE", "INVITE", "1", "1 INVITE extra"]) throwsCode(() => parseCSeq(bad), "invalid-header");
  });

  it("splits comma lists outside quotes and angle brackets", () => {
    assert.deepEqual(splitList('"Doe, John" <sip:j@x.com;a=1,2>;q=1, <sip:k@y.com> ,sip:l@z.com,'),
      ['"Doe, John" <sip:j@x.com;a=1,2>;q=1', "<sip:k@y.com>", "sip:l@z.com"]);
    assert.deepEqual(splitList('"a \\" , b", c'), ['"a \\" , b"', "c"]);
    assert.deepEqual(splitList("INVITE,ACK , BYE"), ["INVITE", "ACK", "BYE"]);
  });

  it("parses parameters with quoted values and spaces", () => {
    assert.deepEqual([...parseParams(' ; A = 1 ;b;c="x;y" ', 0)], [["a", "1"], ["b", null], ["c", '"x;y"']]);
    assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(unquote('"a\\"b\\\\c"'), 'a"b\\c');
  });
});
