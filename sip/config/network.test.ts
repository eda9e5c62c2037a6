import { test } from "node:test";
import assert from "node:assert/strict";
import { aclAllows, rulesAllow } from "./acl.js";
import { lines, loadTexts } from "./fixtures.js";
import { formatNetwork, networkContains, parseHostPort, parseNetwork } from "./network.js";
import { parseIdentifyMatch } from "./schema.js";

test("networks: CIDR, dotted netmask, bare address, IPv6; host bits cleared", () => {
  assert.equal(formatNetwork(parseNetwork("192.0.2.77/24")), "192.0.2.0/24");
  assert.equal(formatNetwork(parseNetwork("10.1.2.3/255.255.0.0")), "10.1.0.0/16");
  assert.equal(formatNetwork(parseNetwork("0.0.0.0/0.0.0.0")), "0.0.0.0/0");
  assert.equal(formatNetwork(parseNetwork("203.0.113.1")), "203.0.113.1/32");
  assert.equal(formatNetwork(parseNetwork("fe80::21d:bad:fad:2323")), "fe80::21d:bad:fad:2323/128");
  assert.equal(formatNetwork(parseNetwork("2001:db8:0:0:1::ff/64")), "2001:db8::/64");
  assert.equal(formatNetwork(parseNetwork("::/0")), "::/0");
  assert.equal(formatNetwork(parseNetwork("[::1]/128")), "::1/128");
  for (const bad of ["300.1.1.1", "10.0.0.0/33", "10.0.0.0/255.0.255.0", "10.0.0.0/::", "example.com/24", "::1/129"]) {
    assert.throws(() => parseNetwork(bad), { name: "ValueError" }, bad);
  }
});

test("networkContains: prefix arithmetic for both families and IPv4-mapped IPv6", () => {
  const lan = parseNetwork("192.0.2.0/24");
  assert.equal(networkContains(lan, "192.0.2.255"), true);
  assert.equal(networkContains(lan, "192.0.3.0"), false);
  assert.equal(networkContains(lan, "::ffff:192.0.2.9"), true);
  assert.equal(networkContains(lan, "2001:db8::1"), false);
  assert.equal(networkContains(parseNetwork("0.0.0.0/0"), "8.8.8.8"), true);
  const v6 = parseNetwork("2001:db8:aa::/48");
  assert.equal(networkContains(v6, "2001:db8:aa:ffff::1"), true);
  assert.equal(networkContains(v6, "[2001:db8:ab::1]"), false);
  assert.equal(networkContains(parseNetwork("10.0.0.0/8"), "not-an-ip"), false);
});

test("host[:port] values and identify match items", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:5060"), { host: "127.0.0.1", port: 5060 });
  assert.deepEqual(parseHostPort("[::1]:5061"), { host: "::1", port: 5061 });
  assert.deepEqual(parseHostPort("::1"), { host: "::1" });
  assert.deepEqual(parseHostPort("sip.example.com"), { host: "sip.example.com" });
  for (const bad of ["host:99999", "[::1", "a b", "[::1]x", ""]) assert.throws(() => parseHostPort(bad), { name: "ValueError" }, bad);
  assert.deepEqual(parseIdentifyMatch("203.0.113.1:5080"), { kind: "network", network: { family: 4, address: "203.0.113.1", prefix: 32 }, port: 5080 });
  assert.deepEqual(parseIdentifyMatch("192.0.2.0/255.255.255.0"), { kind: "network", network: { family: 4, address: "192.0.2.0", prefix: 24 } });
  assert.deepEqual(parseIdentifyMatch("SIP.Example.com"), { kind: "host", host: "sip.example.com" });
});

test("ACL rules: start permitted, the last matching rule decides", () => {
  const rules = [
    { sense: "deny" as const, network: parseNetwork("0.0.0.0/0") },
    { sense: "permit" as const, network: parseNetwork("10.24.20.0/24") },
    { sense: "deny" as const, network: parseNetwork("10.24.20.13") },
  ];
  assert.equal(rulesAllow([], "1.2.3.4"), true);
  assert.equal(rulesAllow(rules, "10.24.20.1"), true);
  assert.equal(rulesAllow(rules, "10.24.20.13"), false);
  assert.equal(rulesAllow(rules, "192.0.2.1"), false);
});

test("named ACLs from acl.conf (the seed's templates and IPv6 examples) and an endpoint's acl", () => {
  const { model, errors } = loadTexts({
    acl: [
      "[template_deny_all](!)", "deny=0.0.0.0/0.0.0.0",
      "[deny_all_whitelist_these](template_deny_all)", "permit=10.24.20.1", "permit=10.24.20.2", "permit=10.24.20.3",
      "[ipv6_example_1]", "deny = ::/0", "permit = ::1/128",
      "[ipv6_example_2]", "permit = fe80::21d:bad:fad:2323",
      "[broken]", "permitt = 10.0.0.1", "deny = 999.0.0.0/8",
    ].join("\n"),
    pjsip: "[e]\ntype=endpoint\npermit=0.0.0.0/0\nacl=deny_all_whitelist_these,ipv6_example_1\n[p]\ntype=endpoint\nacl=broken\n[global-acl]\ntype=acl\ndeny=0.0.0.0/0\npermit=192.0.2.0/24\n",
  });
  assert.deepEqual(lines(errors), [
    "acl.conf:13: named ACL 'broken': unknown option 'permitt' (only permit and deny)",
    "acl.conf:14: named ACL 'broken': bad deny '999.0.0.0/8': '999.0.0.0/8' is not an IP address or network",
  ]);
  assert.deepEqual([...model.namedAcls.keys()], ["deny_all_whitelist_these", "ipv6_example_1", "ipv6_example_2"]);
  const acls = model.namedAcls;
  assert.equal(rulesAllow(acls.get("deny_all_whitelist_these")!.rules, "10.24.20.2"), true);
  assert.equal(rulesAllow(acls.get("deny_all_whitelist_these")!.rules, "10.24.20.4"), false);
  assert.equal(rulesAllow(acls.get("ipv6_example_1")!.rules, "::1"), true);
  assert.equal(rulesAllow(acls.get("ipv6_example_1")!.rules, "2001:db8::1"), false);
  // Every list must pass: 10.24.20.1 passes the whitelist and (being IPv4) the IPv6 list.
  const e = model.endpoints.get("e")!;
  assert.equal(aclAllows(e.acl, acls, "10.24.20.1"), true);
  assert.equal(aclAllows(e.acl, acls, "10.24.20.9"), false);
  // A named ACL that failed to load (or does not exist) denies.
  assert.equal(aclAllows(model.endpoints.get("p")!.acl, acls, "10.0.0.1"), false);
  const global = model.acls.get("global-acl")!;
  assert.deepEqual([aclAllows(global.acl, acls, "192.0.2.8"), aclAllows(global.acl, acls, "198.51.100.1")], [true, false]);
});
