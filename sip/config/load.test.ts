import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lines, loadTexts } from "./fixtures.js";
import { loadPjsipConfig } from "./load.js";
import { contactsOfAor, diffPjsipModels } from "./model.js";
import { tempDir } from "../../core/reap.js";

// ---------------------------------------------------------------------------------------
// Seed 003's example configurations load, with the values they describe.

test("seed: one phone registering to Asterisk (inline comments, same name for endpoint and aor)", () => {
  const { model, errors, warnings } = loadTexts({
    pjsip: [
      ";=== 传输层配置", "[simpletrans]", "type=transport", "protocol=udp", "bind=0.0.0.0",
      ";=== Endpoint 定义(用户6001)", "[6001]", "type=endpoint", "context=internal ; 呼入进入的 dialplan 上下文",
      "disallow=all", "allow=ulaw", "auth=auth6001", "aors=6001",
      "[auth6001]", "type=auth", "auth_type=userpass", "password=6001", "username=6001",
      "[6001]", "type=aor", "max_contacts=1",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  const ep = model.endpoints.get("6001")!;
  assert.deepEqual([ep.context, ep.allow, ep.auth, ep.aors, ep.transport], ["internal", ["ulaw"], ["auth6001"], ["6001"], ""]);
  assert.deepEqual(ep.source, { file: "pjsip.conf", line: 7 });
  assert.equal(model.aors.get("6001")!.max_contacts, 1);
  assert.deepEqual(model.transports.get("simpletrans")!.bind, { host: "0.0.0.0", port: 5060 });
  const auth = model.auths.get("auth6001")!;
  assert.deepEqual([auth.auth_type, auth.username, auth.password, auth.realm], ["userpass", "6001", "6001", ""]);
});

test("seed: SIP trunk with registration, auth, aor, endpoint and identify all named mytrunk", () => {
  const { model, errors, warnings } = loadTexts({
    pjsip: [
      "[simpletrans]", "type=transport", "protocol=udp", "bind=0.0.0.0",
      "[mytrunk]", "type=registration", "outbound_auth=mytrunk", "server_uri=sip:sip.example.com",
      "client_uri=sip:1234567890@sip.example.com", "retry_interval=60",
      "[mytrunk]", "type=auth", "auth_type=userpass", "password=1234567890", "username=1234567890",
      "[mytrunk]", "type=aor", "contact=sip:sip.example.com:5060",
      "[mytrunk]", "type=endpoint", "context=from-external", "disallow=all", "allow=ulaw", "outbound_auth=mytrunk", "aors=mytrunk",
      "[mytrunk]", "type=identify", "endpoint=mytrunk", "match=sip.example.com",
      "[tcptrunk]", "type=registration", "outbound_auth=mytrunk", "server_uri=sip:sip.example.com\\;transport=tcp",
      "client_uri=sip:1234567890@sip.example.com\\;transport=tcp", "retry_interval=60",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  const reg = model.registrations.get("mytrunk")!;
  assert.deepEqual([reg.server_uri, reg.client_uri, reg.outbound_auth, reg.retry_interval], ["sip:sip.example.com", "sip:1234567890@sip.example.com", ["mytrunk"], 60]);
  assert.equal(model.registrations.get("tcptrunk")!.server_uri, "sip:sip.example.com;transport=tcp");
  assert.deepEqual(model.endpoints.get("mytrunk")!.outbound_auth, ["mytrunk"]);
  assert.deepEqual(model.identifies.get("mytrunk")!.match, [{ kind: "host", host: "sip.example.com" }]);
  const id = `mytrunk@@${createHash("md5").update("sip:sip.example.com:5060").digest("hex")}`;
  assert.deepEqual(contactsOfAor(model, "mytrunk").map((c) => [c.id, c.uri]), [[id, "sip:sip.example.com:5060"]]);
});

test("seed: three phones from endpoint, auth and aor templates", () => {
  const phones = ["6001", "6002", "6003"].map((n) => `[${n}](endpoint-basic)\nauth=auth${n}\naors=${n}\n[auth${n}](auth-userpass)\npassword=${n}\nusername=${n}\n[${n}](aor-single-reg)\n`);
  const { model, errors, warnings } = loadTexts({
    pjsip: [
      "[simpletrans]\ntype=transport\nprotocol=udp\nbind=0.0.0.0",
      "[endpoint-basic](!)\ntype=endpoint\ncontext=internal\ndisallow=all\nallow=ulaw",
      "[auth-userpass](!)\ntype=auth\nauth_type=userpass",
      "[aor-single-reg](!)\ntype=aor\nmax_contacts=1",
      ...phones,
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.deepEqual([...model.endpoints.keys()], ["6001", "6002", "6003"]);
  assert.deepEqual([...model.aors.keys()], ["6001", "6002", "6003"]);
  assert.deepEqual([...model.auths.keys()], ["auth6001", "auth6002", "auth6003"]);
  for (const n of ["6001", "6002", "6003"]) {
    const ep = model.endpoints.get(n)!;
    assert.deepEqual([ep.context, ep.allow, ep.auth, ep.aors], ["internal", ["ulaw"], [`auth${n}`], [n]]);
    assert.equal(model.aors.get(n)!.max_contacts, 1);
    assert.equal(model.auths.get(`auth${n}`)!.password, n);
  }
});

test("seed: IP peering trunk and the NAT example (external addresses, local_net, several contacts and matches)", () => {
  const { model, errors, warnings } = loadTexts({
    pjsip: [
      "[transport-udp]", "type=transport", "protocol=udp", "bind=0.0.0.0:5060",
      "external_signaling_address=198.51.100.20 ; Asterisk 公网 IP", "external_media_address=198.51.100.20",
      "[peer-trunk]", "type=endpoint", "transport=transport-udp", "context=from-trunk", "disallow=all", "allow=ulaw",
      "aors=peer-trunk", "direct_media=yes", "force_rport=yes", "rewrite_contact=yes", "rtp_symmetric=yes",
      "[peer-trunk]", "type=aor", "contact=sip:203.0.113.10:5060",
      "[peer-trunk]", "type=identify", "endpoint=peer-trunk", "match=203.0.113.10",
      "[transport-udp-nat]", "type=transport", "protocol=udp", "bind=0.0.0.0:5062", "local_net=192.0.2.0/24", "local_net=127.0.0.1/32",
      "external_media_address=198.51.100.5", "external_signaling_address=198.51.100.5",
      "[sipus_reg]", "type=registration", "transport=transport-udp-nat", "outbound_auth=sipus_auth", "server_uri=sip:gw1.example.com",
      "client_uri=sip:1112223333@gw1.example.com", "contact_user=19998887777", "retry_interval=60",
      "[sipus_auth]", "type=auth", "auth_type=userpass", "password=************", "username=1112223333", "realm=gw1.example.com",
      "[sipus_endpoint]", "type=endpoint", "transport=transport-udp-nat", "context=from-external", "disallow=all", "allow=ulaw",
      "outbound_auth=sipus_auth", "aors=sipus_aor", "direct_media=no", "from_domain=gw1.example.com",
      "[sipus_aor]", "type=aor", "contact=sip:gw1.example.com", "contact=sip:gw2.example.com",
      "[sipus_identify]", "type=identify", "endpoint=sipus_endpoint", "match=203.0.113.1", "match=203.0.113.2",
      "[6001]", "type=endpoint", "context=from-internal", "disallow=all", "allow=ulaw", "transport=transport-udp-nat",
      "auth=6001", "aors=6001", "direct_media=no", "rtp_symmetric=yes", "force_rport=yes", "rewrite_contact=yes",
      "[6001]", "type=auth", "auth_type=userpass", "password=************", "username=6001",
      "[6001]", "type=aor", "max_contacts=2",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  const nat = model.transports.get("transport-udp-nat")!;
  assert.deepEqual(nat.local_net, [{ family: 4, address: "192.0.2.0", prefix: 24 }, { family: 4, address: "127.0.0.1", prefix: 32 }]);
  assert.deepEqual([nat.external_media_address, nat.external_signaling_address], ["198.51.100.5", "198.51.100.5"]);
  assert.equal(model.transports.get("transport-udp")!.external_signaling_address, "198.51.100.20");
  const peer = model.endpoints.get("peer-trunk")!;
  assert.deepEqual([peer.direct_media, peer.force_rport, peer.rewrite_contact, peer.rtp_symmetric], [true, true, true, true]);
  const sipus = model.endpoints.get("sipus_endpoint")!;
  assert.deepEqual([sipus.direct_media, sipus.from_domain, sipus.transport], [false, "gw1.example.com", "transport-udp-nat"]);
  assert.deepEqual(contactsOfAor(model, "sipus_aor").map((c) => c.uri), ["sip:gw1.example.com", "sip:gw2.example.com"]);
  assert.deepEqual(model.identifies.get("sipus_identify")!.match.map((m) => m.kind === "network" && m.network.address), ["203.0.113.1", "203.0.113.2"]);
  assert.equal(model.registrations.get("sipus_reg")!.contact_user, "19998887777");
  assert.equal(model.auths.get("sipus_auth")!.realm, "gw1.example.com");
  assert.equal(model.aors.get("6001")!.max_contacts, 2);
});

test("seed: transport selection layouts (wildcard, per interface, IPv6, TLS port 5061)", () => {
  const { model, errors, warnings } = loadTexts({
    pjsip: [
      "[system-udp]\ntype=transport\nprotocol=udp\nbind=0.0.0.0",
      "[system-tcp]\ntype=transport\nprotocol=tcp\nbind=0.0.0.0",
      "[system-tls]\ntype=transport\nprotocol=tls\nbind=0.0.0.0:5061\ncert_file=certificate",
      "[system-local-udp]\ntype=transport\nprotocol=udp\nbind=192.168.1.1",
      "[system-local-tls]\ntype=transport\nprotocol=tls\nbind=192.168.1.1\ncert_file=certificate",
      "[system-udp6]\ntype=transport\nprotocol=udp\nbind=[2001:470:e20f:42::42]",
      "[system-tcp6]\ntype=transport\nprotocol=tcp\nbind=[2001:470:e20f:42::42]:5070",
      "[phone-local]\ntype=endpoint\ntransport=system-local-udp",
      "[phone-unspecified]\ntype=endpoint",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.deepEqual([...model.transports.values()].map((t) => [t.name, t.protocol, t.bind!.host, t.bind!.port]), [
    ["system-udp", "udp", "0.0.0.0", 5060], ["system-tcp", "tcp", "0.0.0.0", 5060], ["system-tls", "tls", "0.0.0.0", 5061],
    ["system-local-udp", "udp", "192.168.1.1", 5060], ["system-local-tls", "tls", "192.168.1.1", 5061],
    ["system-udp6", "udp", "2001:470:e20f:42::42", 5060], ["system-tcp6", "tcp", "2001:470:e20f:42::42", 5070],
  ]);
  assert.equal(model.transports.get("system-tls")!.cert_file, "certificate");
});

test("seed: outbound registration options match what 'pjsip show registration' prints", () => {
  const { model, errors } = loadTexts({
    pjsip: [
      "[my_provider]", "type = registration", "server_uri = sip:registrar@example.com", "client_uri = sip:client@example.com",
      "contact_user = inbound-calls", "outbound_auth = provider_auth", "auth_rejection_permanent = no", "retry_interval = 30",
      "forbidden_retry_interval = 300", "max_retries = 20",
      "[outreg]", "type = registration", "server_uri = sip:registrar@example.com", "client_uri = sip:client@example.com", "contact_user = inbound-calls",
      "[provider_auth]", "type = auth", "auth_type = userpass", "username = my_username", "password = my_password",
      // seed 001: the retry settings that keep a trunk registering after a 401
      "[trunk-6001-reg-0]", "type = registration", "server_uri = sip:192.168.1.2", "client_uri = sip:6001@192.168.2.2",
      "expiration = 300", "auth_rejection_permanent = no", "retry_interval = 30", "forbidden_retry_interval = 60",
      "fatal_retry_interval = 120", "max_retries = 120",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  const show = (name: string) => {
    const r = model.registrations.get(name)!;
    return [r.auth_rejection_permanent, r.expiration, r.forbidden_retry_interval, r.fatal_retry_interval, r.max_retries, r.retry_interval, r.support_path, r.outbound_auth, r.contact_user];
  };
  assert.deepEqual(show("my_provider"), [false, 3600, 300, 0, 20, 30, false, ["provider_auth"], "inbound-calls"]);
  assert.deepEqual(show("outreg"), [true, 3600, 0, 0, 10, 60, false, [], "inbound-calls"]);
  assert.deepEqual(show("trunk-6001-reg-0"), [false, 300, 60, 120, 120, 30, false, [], ""]);
});

test("seed: digest auth with password_digest per algorithm, md5_cred, supported algorithms", () => {
  const md5 = createHash("md5").update("1000:asterisk:pw").digest("hex");
  const sha = createHash("sha256").update("1000:asterisk:pw").digest("hex");
  const { model, errors } = loadTexts({
    pjsip: [
      "[provider-auth]", "type = auth", "auth_type = digest", "username = 123456", "password = secret123", "supported_algorithms_uac = SHA-256, MD5",
      "[ext1000-auth]", "type = auth", "auth_type = digest", "username = 1000", "realm = asterisk",
      `password_digest = MD5:${md5}`, `password_digest = SHA-256:${sha}`, "supported_algorithms_uas = SHA-256, MD5",
      "[old-md5]", "type = auth", "auth_type = md5", "username = 1001", `md5_cred = ${md5.toUpperCase()}`,
      "[ext1000]", "type = endpoint", "auth = ext1000-auth",
      "[placeholder]", "type = auth", "auth_type = digest", "username = 1002", "password_digest = MD5:xxxxx",
      "[needs-sha]", "type = auth", "username = 1003", `password_digest = MD5:${md5}`, "supported_algorithms_uas = SHA-256",
    ].join("\n"),
  });
  assert.deepEqual(lines(errors), [
    "pjsip.conf:27: auth 'placeholder': bad password_digest 'MD5:xxxxx': MD5 digest must be 32 hex digits",
    "pjsip.conf:28: auth 'needs-sha': no password and no password_digest for SHA-256",
  ]);
  assert.deepEqual(model.auths.get("provider-auth")!.supported_algorithms_uac, ["SHA-256", "MD5"]);
  assert.deepEqual(model.auths.get("ext1000-auth")!.password_digest, [{ algorithm: "MD5", digest: md5 }, { algorithm: "SHA-256", digest: sha }]);
  const old = model.auths.get("old-md5")!;
  assert.deepEqual([old.auth_type, old.password_digest], ["md5", [{ algorithm: "MD5", digest: md5 }]]);
});

test("seed 000: several registrations per aor and remove_existing", () => {
  const { model, errors } = loadTexts({ pjsip: "[phone1]\ntype=aor\nmax_contacts = 4\nremove_existing = yes\n" });
  assert.deepEqual(errors, []);
  assert.deepEqual([model.aors.get("phone1")!.max_contacts, model.aors.get("phone1")!.remove_existing], [4, true]);
});

// ---------------------------------------------------------------------------------------
// Defaults and value kinds

test("defaults are Asterisk's", () => {
  const { model } = loadTexts({
    pjsip: "[e]\ntype=endpoint\n[a]\ntype=aor\n[r]\ntype=registration\nserver_uri=sip:s.example.com\nclient_uri=sip:c@s.example.com\n[i]\ntype=identify\nendpoint=e\nmatch=10.0.0.1\n[u]\ntype=auth\nusername=u\npassword=p\n",
  });
  const e = model.endpoints.get("e")!;
  assert.deepEqual([e.context, e.allow, e.direct_media, e.dtmf_mode, e.force_rport, e.rewrite_contact, e.identify_by, e.timers, e["100rel"]],
    ["default", [], true, "rfc4733", true, false, ["username", "ip"], "yes", "yes"]);
  const a = model.aors.get("a")!;
  assert.deepEqual([a.max_contacts, a.remove_existing, a.default_expiration, a.minimum_expiration, a.maximum_expiration, a.qualify_frequency, a.qualify_timeout],
    [0, false, 3600, 60, 7200, 0, 3]);
  const r = model.registrations.get("r")!;
  assert.deepEqual([r.retry_interval, r.forbidden_retry_interval, r.fatal_retry_interval, r.max_retries, r.expiration, r.auth_rejection_permanent],
    [60, 0, 0, 10, 3600, true]);
  assert.equal(model.auths.get("u")!.auth_type, "userpass");
  assert.deepEqual(model.global.endpoint_identifier_order, ["ip", "username", "anonymous"]);
  assert.equal(model.global.default_realm, "asterisk");
  assert.equal(model.system.timer_t1, 500);
});

test("codec lists apply allow/disallow in order; callerid, groups, set_var, identify_by, global", () => {
  const { model, errors } = loadTexts({
    pjsip: [
      "[e]", "type=endpoint", "allow=ulaw,alaw", "allow=g722|gsm", "disallow=alaw", "allow=!gsm,opus:20", "allow=ulaw",
      'callerid="Sales Desk" <6001>', "call_group=1,3-5", "pickup_group=", "set_var=QUEUE=sales", "set_var=GREETING=a=b",
      "identify_by=ip, Username", "dtmf_mode=AUTO_INFO", "timers=forced", "100rel=peer_supported",
      "[all]", "type=endpoint", "disallow=all", "allow=all", "disallow=!all", "allow=g729",
      "[g]", "type=global", "endpoint_identifier_order=username,ip", "user_agent=Recall", "max_forwards=20",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  const e = model.endpoints.get("e")!;
  assert.deepEqual(e.allow, ["ulaw", "g722", "opus"]);
  assert.deepEqual(e.callerid, { name: "Sales Desk", number: "6001" });
  assert.deepEqual([e.call_group, e.pickup_group], [[1, 3, 4, 5], []]);
  assert.deepEqual(e.set_var, [{ name: "QUEUE", value: "sales" }, { name: "GREETING", value: "a=b" }]);
  assert.deepEqual([e.identify_by, e.dtmf_mode, e.timers, e["100rel"]], [["ip", "username"], "auto_info", "always", "peer_supported"]);
  // disallow=!all is "allow all"; then g729 is already there.
  assert.equal(model.endpoints.get("all")!.allow.length > 30, true);
  assert.deepEqual([model.global.name, model.global.endpoint_identifier_order, model.global.user_agent, model.global.max_forwards], ["g", ["username", "ip"], "Recall", 20]);
});

test("direct_media and the chan_sip 'directmedia' family are accepted", () => {
  const { model, errors, warnings } = loadTexts({
    pjsip: [
      "[a]\ntype=endpoint\ndirect_media=no", "[b]\ntype=endpoint\ndirectmedia=no", "[c]\ntype=endpoint\ndirectmedia=nonat",
      "[d]\ntype=endpoint\ndirectmedia=outgoing", "[e]\ntype=endpoint\ndirectmedia=update,nonat", "[f]\ntype=endpoint\ndirectmedia=yes",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  const dm = (n: string) => {
    const e = model.endpoints.get(n)!;
    return [e.direct_media, e.disable_direct_media_on_nat, e.direct_media_method, e.direct_media_glare_mitigation];
  };
  assert.deepEqual(dm("a"), [false, false, "invite", "none"]);
  assert.deepEqual(dm("b"), [false, false, "invite", "none"]);
  assert.deepEqual(dm("c"), [true, true, "invite", "none"]);
  assert.deepEqual(dm("d"), [true, false, "invite", "outgoing"]);
  assert.deepEqual(dm("e"), [true, true, "update", "none"]);
  assert.deepEqual(dm("f"), [true, false, "invite", "none"]);
  assert.equal(warnings.length, 5);
  assert.equal(lines(warnings)[1], "pjsip.conf:9: endpoint 'c': 'directmedia = nonat' is chan_sip's spelling; read as direct_media = yes, disable_direct_media_on_nat = yes");
});

// ---------------------------------------------------------------------------------------
// Bad input: an error naming file, line, object and reason; that object is skipped.

test("bad values and misplaced options fail their object only, each error at its line", () => {
  const { model, errors } = loadTexts({
    pjsip: [
      "[t]", "type=transport", "bind=127.0.0.1",                       // 1-3
      "[6001]", "type=aor", "max_contacts=abc",                        // 4-6
      "[6001]", "type=endpoint", "max_contacts=1", "allow=ulaw,foo",   // 7-10
      "[6002]", "type=endpoint", "direct_media=maybe",                 // 11-13
      "[6003]", "type=endpoint", "directmedia=sometimes",              // 14-16
      "[x]", "type=frobnicator",                                       // 17-18
      "[notype]", "context=x",                                         // 19-20
      "[i]", "type=identify", "match=300.1.1.1/24", "endpoint=6003",   // 21-24
      "[tb]", "type=transport", "protocol=sctp", "bind=sip.example.com", // 25-28
      "[6004]", "type=endpoint", "timers_min_se=80",                   // 29-31
      "[ok]", "type=aor", "max_contacts=3",                            // 32-34
    ].join("\n"),
  });
  assert.deepEqual(lines(errors), [
    "pjsip.conf:18: [x] has unknown type 'frobnicator'",
    "pjsip.conf:19: [notype] has no type",
    "pjsip.conf:6: aor '6001': bad max_contacts 'abc': 'abc' is not a non-negative integer",
    "pjsip.conf:9: endpoint '6001': unknown option 'max_contacts' (an option of aor)",
    "pjsip.conf:10: endpoint '6001': bad allow 'ulaw,foo': unknown codec 'foo'",
    "pjsip.conf:13: endpoint '6002': bad direct_media 'maybe': 'maybe' is not a yes/no value",
    "pjsip.conf:16: endpoint '6003': bad directmedia 'sometimes': 'sometimes' is not one of yes, no, nonat, update, outgoing",
    "pjsip.conf:23: identify 'i': bad match '300.1.1.1/24': '300.1.1.1/24' is not an IP address or network",
    "pjsip.conf:27: transport 'tb': bad protocol 'sctp': 'sctp' is not one of udp, tcp, tls, ws, wss, flow",
    "pjsip.conf:28: transport 'tb': bad bind 'sip.example.com': 'sip.example.com' is not an IP address (bind takes an address, not a host name)",
    "pjsip.conf:29: endpoint '6004': timers_min_se must be 90 or more (is 80)",
  ]);
  assert.deepEqual(errors.slice(2).map((e) => `${e.objectType}/${e.objectName}`), [
    "aor/6001", "endpoint/6001", "endpoint/6001", "endpoint/6002", "endpoint/6003", "identify/i", "transport/tb", "transport/tb", "endpoint/6004",
  ]);
  assert.deepEqual([...model.aors.keys()], ["ok"]);
  assert.deepEqual([...model.endpoints.keys()], []);
  assert.deepEqual([...model.transports.keys()], ["t"]);
});

test("objects missing what Asterisk requires fail to load", () => {
  const { model, errors } = loadTexts({
    pjsip: [
      "[r1]\ntype=registration\nclient_uri=sip:c@example.com",
      "[r2]\ntype=registration\nserver_uri=http://example.com\nclient_uri=sip:c@example.com",
      "[r3]\ntype=registration\nserver_uri=sip:s.example.com\nclient_uri=sip:c@s.example.com\nline=yes",
      "[i1]\ntype=identify\nmatch=10.0.0.1",
      "[i2]\ntype=identify\nendpoint=e",
      "[a1]\ntype=auth\npassword=x",
      "[a2]\ntype=auth\nusername=u",
      "[t1]\ntype=transport\nprotocol=tcp",
      "[c1]\ntype=aor\ncontact=sip:ok.example.com, mailto:x@y",
    ].join("\n"),
  });
  assert.deepEqual(lines(errors), [
    "pjsip.conf:1: registration 'r1': no server_uri",
    "pjsip.conf:6: registration 'r2': bad server_uri 'http://example.com': 'http://example.com' is not a valid SIP URI (unsupported URI scheme 'http')",
    "pjsip.conf:8: registration 'r3': line = yes needs endpoint",
    "pjsip.conf:13: identify 'i1': no endpoint",
    "pjsip.conf:16: identify 'i2': nothing to match (match, match_header or match_request_uri)",
    "pjsip.conf:19: auth 'a1': no username",
    "pjsip.conf:22: auth 'a2': no password and no password_digest for MD5",
    "pjsip.conf:25: transport 't1': no bind address",
    "pjsip.conf:30: aor 'c1': bad contact 'sip:ok.example.com, mailto:x@y': 'mailto:x@y' is not a valid SIP URI (unsupported URI scheme 'mailto')",
  ]);
  const loaded = [model.registrations, model.identifies, model.auths, model.transports, model.aors].reduce((n, m) => n + m.size, 0);
  assert.equal(loaded, 0);
});

test("duplicates: same type and name twice, two global sections, two transports on one address", () => {
  const { model, errors } = loadTexts({
    pjsip: [
      "[6001]\ntype=aor\nmax_contacts=1", "[6001]\ntype=endpoint", "[6001]\ntype=aor\nmax_contacts=9",
      "[g1]\ntype=global\nuser_agent=one", "[g2]\ntype=global\nuser_agent=two",
      "[u1]\ntype=transport\nbind=127.0.0.1:5060", "[u2]\ntype=transport\nbind=127.0.0.1", "[t1]\ntype=transport\nprotocol=tcp\nbind=127.0.0.1",
    ].join("\n"),
  });
  assert.deepEqual(lines(errors), [
    "pjsip.conf:6: aor '6001' duplicates the aor defined at pjsip.conf:1; not loaded",
    "pjsip.conf:12: global 'g2': only one global section is allowed ('g1' at pjsip.conf:9); not loaded",
    "pjsip.conf:18: transport 'u2': udp 127.0.0.1:5060 is already bound by transport 'u1'; not loaded",
  ]);
  assert.equal(model.aors.get("6001")!.max_contacts, 1);
  assert.equal(model.global.user_agent, "one");
  assert.deepEqual([...model.transports.keys()], ["u1", "t1"]);
});

test("dangling references are warnings; the objects load", () => {
  const { model, errors, warnings } = loadTexts({
    pjsip: "[e]\ntype=endpoint\naors=e,nope\nauth=missing\ntransport=tx\nacl=office\n[i]\ntype=identify\nendpoint=ghost\nmatch=10.0.0.0/8\n[e]\ntype=aor\n",
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(lines(warnings), [
    "pjsip.conf:1: endpoint 'e': aors names aor 'nope', which is not defined",
    "pjsip.conf:1: endpoint 'e': auth names auth 'missing', which is not defined",
    "pjsip.conf:1: endpoint 'e': transport names transport 'tx', which is not defined",
    "pjsip.conf:1: endpoint 'e': acl names named ACL 'office', which is not defined",
    "pjsip.conf:7: identify 'i': endpoint names endpoint 'ghost', which is not defined",
  ]);
  assert.ok(model.endpoints.has("e") && model.identifies.has("i"));
});

test("a template error or a syntax error loads nothing from that file; unmodelled types are kept", () => {
  const bad = loadTexts({ pjsip: "[a]\ntype=aor\n[b](nosuch)\ntype=aor\n", wizard: "[w]\ntype=wizard\naccepts_registrations=yes\n" });
  assert.deepEqual(lines(bad.errors), ["pjsip.conf:3: [b] inherits from 'nosuch', which is not defined; file not loaded"]);
  assert.deepEqual([...bad.model.aors.keys()], ["w"]);
  const other = loadTexts({ pjsip: "[sales]\ntype=resource_list\nevent=presence\nlist_item=6001\n[c]\ntype=contact\nuri=sip:x@y\n" });
  assert.deepEqual(other.errors, []);
  assert.deepEqual(other.model.others.map((o) => [o.type, o.name, o.entries.length]), [["resource_list", "sales", 2]]);
  assert.deepEqual(lines(other.warnings), ["pjsip.conf:5: [c] type = contact is not read from pjsip.conf; use an aor's contact= option"]);
});

// ---------------------------------------------------------------------------------------
// From a directory, and reload diffs

function withDir(files: Record<string, string>, body: (dir: string) => void): void {
  const dir = tempDir("pjsip-test-");
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("loadPjsipConfig reads pjsip.conf (with #include), pjsip_wizard.conf and acl.conf", () => {
  withDir({
    "pjsip.conf": "[udp]\ntype=transport\nbind=127.0.0.1:5060\n#include pjsip_endpoints.conf\n",
    "pjsip_endpoints.conf": "[6001]\ntype=endpoint\nacl=office\n",
    "pjsip_wizard.conf": "[agent1]\ntype=wizard\naccepts_registrations=yes\naccepts_auth=yes\ninbound_auth/username=agent1\ninbound_auth/password=pw\n",
    "acl.conf": "[office]\ndeny=0.0.0.0/0\npermit=192.0.2.0/24\n",
  }, (dir) => {
    const { model, errors, warnings } = loadPjsipConfig(dir);
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(model.endpoints.get("6001")!.source, { file: join(dir, "pjsip_endpoints.conf"), line: 1 });
    assert.deepEqual(model.endpoints.get("6001")!.acl.named, ["office"]);
    assert.deepEqual([...model.namedAcls.keys()], ["office"]);
    assert.deepEqual(model.endpoints.get("agent1")!.auth, ["agent1-iauth"]);
  });
});

test("loadPjsipConfig: missing pjsip.conf and a broken wizard file are errors; the rest loads", () => {
  withDir({ "pjsip_wizard.conf": "[w]\ntype=wizard\naccepts_registrations=yes\n" }, (dir) => {
    const { model, errors } = loadPjsipConfig(dir);
    assert.equal(errors.length, 1);
    assert.match(errors[0].reason, /cannot read .*pjsip\.conf.*ENOENT; pjsip\.conf not loaded/);
    assert.ok(model.endpoints.has("w"));
  });
  withDir({ "pjsip.conf": "[e]\ntype=endpoint\n", "pjsip_wizard.conf": "[w]\ntype=wizard\n[broken\n" }, (dir) => {
    const { model, errors } = loadPjsipConfig(dir);
    assert.deepEqual(lines(errors), [`${join(dir, "pjsip_wizard.conf")}:3: section header has no closing ']'; pjsip_wizard.conf not loaded`]);
    assert.deepEqual([...model.endpoints.keys()], ["e"]);
  });
});

test("diffPjsipModels: added, removed and changed objects; moving a section is not a change", () => {
  const before = loadTexts({
    pjsip: "[6001]\ntype=endpoint\ncontext=a\n[6002]\ntype=endpoint\n[6003]\ntype=endpoint\n[6001]\ntype=aor\nmax_contacts=1\ncontact=sip:x.example.com\n",
    wizard: "[w]\ntype=wizard\naccepts_registrations=yes\nhas_hint=yes\nhint_exten=100\n",
  }).model;
  const after = loadTexts({
    pjsip: "\n\n[6003]\ntype=endpoint\n[6001]\ntype=endpoint\ncontext=b\n[6004]\ntype=endpoint\n[6001]\ntype=aor\nmax_contacts=1\ncontact=sip:x.example.com\n",
    wizard: "[w]\ntype=wizard\naccepts_registrations=yes\nhas_hint=yes\nhint_exten=100\n",
  }).model;
  const diff = diffPjsipModels(before, after);
  assert.deepEqual(diff.collections.endpoints, { added: ["6004"], removed: ["6002"], changed: ["6001"] });
  assert.deepEqual(diff.collections.aors, { added: [], removed: [], changed: [] });
  assert.deepEqual(diff.collections.contacts, { added: [], removed: [], changed: [] });
  assert.deepEqual([diff.globalChanged, diff.hintsChanged, diff.othersChanged, diff.empty], [false, false, false, false]);
  assert.equal(diffPjsipModels(after, after).empty, true);
});
