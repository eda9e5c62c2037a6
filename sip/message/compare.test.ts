import { test } from "node:test";
import assert from "node:assert/strict";
import { parseUri } from "./uri.js";
import { sameHost, uriEquals, uriParam, uriTransport } from "./compare.js";

const eq = (a: string, b: string) => uriEquals(parseUri(a), parseUri(b));

test("transport, user, maddr, ttl and lr values read the same in any case; method in upper case", () => {
  for (const t of ["UDP", "udp", "Udp"]) assert.equal(uriTransport(parseUri(`sip:uas@127.0.0.1:5062;transport=${t}`)), "udp");
  assert.equal(uriTransport(parseUri("sip:a@h;TRANSPORT=TCP")), "tcp");
  assert.equal(uriParam(parseUri("sip:+1555@h;User=Phone"), "user"), "phone");
  assert.equal(uriParam(parseUri("sip:a@h;maddr=Server.EXAMPLE.com"), "maddr"), "server.example.com");
  assert.equal(uriParam(parseUri("sip:a@h;method=register"), "METHOD"), "REGISTER");
  assert.equal(uriParam(parseUri("sip:a@h;LR"), "lr"), null);
  assert.equal(uriParam(parseUri("sip:a@h;x-Tag=AbC"), "x-tag"), "AbC", "other values keep their case");
  assert.equal(uriTransport(parseUri("sip:a@h")), undefined);
});

test("hosts compare case-insensitively", () => {
  assert.ok(sameHost("Atlanta.COM", "atlanta.com"));
  assert.ok(sameHost("2001:DB8::1", "2001:db8::1"));
  assert.ok(!sameHost("a.example", "b.example"));
});

test("RFC 3261 §19.1.4: URIs that are equal", () => {
  assert.ok(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
  assert.ok(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  assert.ok(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
  assert.ok(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com", "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
  assert.ok(eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent", "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
  assert.ok(eq("sip:uas@127.0.0.1:5062;transport=UDP", "sip:uas@127.0.0.1:5062;transport=udp"));
});

test("RFC 3261 §19.1.4: URIs that are not equal", () => {
  assert.ok(!eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"), "user parts differ in case");
  assert.ok(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"), "a port written differs from one left out");
  assert.ok(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"), "transport in one only");
  assert.ok(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
  assert.ok(!eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"), "URI headers must be on both sides");
  assert.ok(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"), "a name and an address differ");
  assert.ok(!eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"), "a parameter both have must match");
  assert.ok(!eq("sip:a@h", "sips:a@h"));
});
