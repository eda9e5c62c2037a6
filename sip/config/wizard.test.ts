import { test } from "node:test";
import assert from "node:assert/strict";
import { lines, loadTexts } from "./fixtures.js";
import { sameValue } from "./model.js";

const TRANSPORTS = "[ipv4]\ntype=transport\nprotocol=udp\nbind=127.0.0.1:5060\n";

test("phone wizard (accepts_registrations + accepts_auth): endpoint, aor, -iauth; no identify, no contacts", () => {
  const { model, errors, warnings } = loadTexts({
    pjsip: TRANSPORTS,
    wizard: [
      "[6001]", "type = wizard", "transport = ipv4", "accepts_registrations = yes", "accepts_auth = yes",
      "inbound_auth/username = 6001", "inbound_auth/password = s3cret",
      "endpoint/context = agents", "endpoint/allow = !all,ulaw,g722", "aor/max_contacts = 2", "aor/remove_existing = yes",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  const ep = model.endpoints.get("6001")!;
  assert.equal(ep.wizard, "6001");
  assert.deepEqual(
    [ep.context, ep.allow, ep.aors, ep.auth, ep.outbound_auth, ep.transport],
    ["agents", ["ulaw", "g722"], ["6001"], ["6001-iauth"], [], "ipv4"],
  );
  const aor = model.aors.get("6001")!;
  assert.deepEqual([aor.max_contacts, aor.remove_existing, aor.contact], [2, true, []]);
  const auth = model.auths.get("6001-iauth")!;
  assert.deepEqual([auth.auth_type, auth.username, auth.password], ["userpass", "6001", "s3cret"]);
  assert.deepEqual([...model.auths.keys()], ["6001-iauth"]);
  assert.equal(model.identifies.size, 0);
  assert.equal(model.registrations.size, 0);
  assert.equal(model.contacts.size, 0);
});

test("ITSP trunk wizard (sends_registrations + sends_auth + remote_hosts): -oauth, -identify, -reg-N, contacts", () => {
  const { model, errors, warnings } = loadTexts({
    pjsip: TRANSPORTS,
    wizard: [
      "[trunk_defaults](!)", "type = wizard", "transport = ipv4", "endpoint/allow_subscribe = no", "endpoint/allow = !all,ulaw",
      "aor/qualify_frequency = 30", "registration/expiration = 1800",
      "[myitsp](trunk_defaults)", "sends_auth = yes", "sends_registrations = yes", "endpoint/context = DID_myitsp",
      "remote_hosts = sip1.myitsp.net, sip2.myitsp.net:5080", "accepts_registrations = no",
      "outbound_auth/username = my_username", "outbound_auth/password = my_password",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  const ep = model.endpoints.get("myitsp")!;
  assert.deepEqual([ep.context, ep.allow_subscribe, ep.outbound_auth, ep.auth, ep.transport], ["DID_myitsp", false, ["myitsp-oauth"], [], "ipv4"]);
  assert.deepEqual(model.aors.get("myitsp")!.contact, ["sip:sip1.myitsp.net", "sip:sip2.myitsp.net:5080"]);
  assert.equal(model.aors.get("myitsp")!.qualify_frequency, 30);
  assert.deepEqual([...model.contacts.values()].map((c) => [c.aor, c.uri]), [["myitsp", "sip:sip1.myitsp.net"], ["myitsp", "sip:sip2.myitsp.net:5080"]]);
  const auth = model.auths.get("myitsp-oauth")!;
  assert.deepEqual([auth.username, auth.password, auth.auth_type], ["my_username", "my_password", "userpass"]);
  const identify = model.identifies.get("myitsp-identify")!;
  assert.equal(identify.endpoint, "myitsp");
  assert.deepEqual(identify.match, [{ kind: "host", host: "sip1.myitsp.net" }, { kind: "host", host: "sip2.myitsp.net", port: 5080 }]);
  assert.deepEqual([...model.registrations.keys()], ["myitsp-reg-0", "myitsp-reg-1"]);
  const regs = [...model.registrations.values()].map((r) => [r.server_uri, r.client_uri, r.outbound_auth, r.transport, r.expiration]);
  assert.deepEqual(regs, [
    ["sip:sip1.myitsp.net", "sip:my_username@sip1.myitsp.net", ["myitsp-oauth"], "ipv4", 1800],
    ["sip:sip2.myitsp.net:5080", "sip:my_username@sip2.myitsp.net:5080", ["myitsp-oauth"], "ipv4", 1800],
  ]);
});

test("the seed's wizard and its hand-written equivalent give the same objects", () => {
  const wizard = loadTexts({
    wizard: [
      "[my-itsp]", "type = wizard", "sends_auth = yes", "sends_registrations = yes", "remote_hosts = sip.my-itsp.net",
      "outbound_auth/username = my_username", "outbound_auth/password = my_password",
      "endpoint/context = default", "aor/qualify_frequency = 15",
    ].join("\n"),
  });
  // Seed 003's pjsip.conf equivalent, with the object names its rules give (-oauth, -reg-0).
  const manual = loadTexts({
    pjsip: [
      "[my-itsp]", "type = endpoint", "aors = my-itsp", "outbound_auth = my-itsp-oauth", "context = default",
      "[my-itsp]", "type = aor", "contact = sip:sip.my-itsp.net", "qualify_frequency = 15",
      "[my-itsp-oauth]", "type = auth", "auth_type = userpass", "username = my_username", "password = my_password",
      "[my-itsp-reg-0]", "type = registration", "outbound_auth = my-itsp-oauth", "server_uri = sip:sip.my-itsp.net", "client_uri = sip:my_username@sip.my-itsp.net",
      "[my-itsp-identify]", "type = identify", "endpoint = my-itsp", "match = sip.my-itsp.net",
    ].join("\n"),
  });
  assert.deepEqual(wizard.errors, []);
  assert.deepEqual(manual.errors, []);
  const strip = (o: object) => ({ ...o, wizard: undefined });
  for (const key of ["endpoints", "aors", "auths", "registrations", "identifies", "contacts"] as const) {
    const [a, b] = [wizard.model[key], manual.model[key]];
    assert.deepEqual([...a.keys()], [...b.keys()], key);
    for (const name of a.keys()) assert.ok(sameValue(strip(a.get(name)!), strip(b.get(name)!)), `${key} ${name}`);
  }
});

test("seed 003 phones: templates + wizard, hints, phoneprov only where has_phoneprov", () => {
  const { model, errors, warnings } = loadTexts({
    pjsip: TRANSPORTS,
    wizard: [
      "[user_defaults](!)", "type = wizard", "transport = ipv4", "accepts_registrations = yes", "sends_registrations = no",
      "accepts_auth = yes", "sends_auth = no", "has_hint = yes", "hint_context = DLPN_DialPlan1",
      "hint_application = Gosub(stdexten,${EXTEN},1(${HINT}))", "endpoint/context = DLPN_DialPlan1",
      "endpoint/allow_subscribe = yes", "endpoint/allow = !all,ulaw,gsm,g722", "endpoint/direct_media = yes",
      "endpoint/force_rport = yes", "endpoint/disable_direct_media_on_nat = yes", "endpoint/direct_media_method = invite",
      "endpoint/ice_support = yes", "endpoint/moh_suggest = default", "endpoint/send_rpid = yes", "endpoint/rewrite_contact = yes",
      "endpoint/send_pai = yes", "endpoint/allow_transfer = yes", "endpoint/trust_id_inbound = yes", "endpoint/device_state_busy_at = 1",
      "endpoint/trust_id_outbound = yes", "endpoint/send_diversion = yes", "aor/qualify_frequency = 30", "aor/authenticate_qualify = no",
      "aor/max_contacts = 1", "aor/remove_existing = yes", "aor/minimum_expiration = 30", "aor/support_path = yes",
      "phoneprov/PROFILE = profile1",
      "[bob](user_defaults)", "hint_exten = 1000", "inbound_auth/username = bob", "inbound_auth/password = bobspassword",
      "[alice](user_defaults)", "hint_exten = 1001", "endpoint/callerid = Alice <1001>", "endpoint/allow = !all,ulaw",
      "inbound_auth/username = alice", "inbound_auth/password = alicespassword", "has_phoneprov = yes", "phoneprov/MAC = deadbeef4dad",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.deepEqual(model.endpoints.get("alice")!.allow, ["ulaw"]);
  assert.deepEqual(model.endpoints.get("alice")!.callerid, { name: "Alice", number: "1001" });
  assert.deepEqual(model.endpoints.get("bob")!.allow, ["ulaw", "gsm", "g722"]);
  assert.equal(model.endpoints.get("bob")!.device_state_busy_at, 1);
  assert.equal(model.aors.get("bob")!.minimum_expiration, 30);
  assert.deepEqual(model.hints.map((h) => [h.context, h.exten, h.device, h.application]), [
    ["DLPN_DialPlan1", "1000", "PJSIP/bob", "Gosub(stdexten,${EXTEN},1(${HINT}))"],
    ["DLPN_DialPlan1", "1001", "PJSIP/alice", "Gosub(stdexten,${EXTEN},1(${HINT}))"],
  ]);
  assert.deepEqual(model.others.map((o) => [o.type, o.name, o.wizard, o.entries.map((e) => `${e.key}=${e.value}`)]), [
    ["phoneprov", "alice-phoneprov", "alice", ["PROFILE=profile1", "MAC=deadbeef4dad", "endpoint=alice"]],
  ]);
});

test("trusted peer: no auth, no registration; identify and contact keep the port", () => {
  const { model, errors } = loadTexts({
    wizard: "[trusted-peer]\ntype=wizard\nendpoint/context = peer_context\nremote_hosts = sip1.peer.com:45060\nsends_registrations = no\naccepts_registrations = no\nsends_auth = no\naccepts_auth = no\n",
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(model.aors.get("trusted-peer")!.contact, ["sip:sip1.peer.com:45060"]);
  assert.deepEqual(model.identifies.get("trusted-peer-identify")!.match, [{ kind: "host", host: "sip1.peer.com", port: 45060 }]);
  assert.equal(model.auths.size + model.registrations.size, 0);
  // hint_context falls back to the endpoint's context, then "default".
  const hinted = loadTexts({ wizard: "[p]\ntype=wizard\naccepts_registrations=yes\nhas_hint=yes\nhint_exten=200\nendpoint/context=office\n[q]\ntype=wizard\naccepts_registrations=yes\nhas_hint=yes\nhint_exten=201\n" });
  assert.deepEqual(hinted.model.hints.map((h) => [h.context, h.exten, h.application]), [["office", "200", ""], ["default", "201", ""]]);
});

test("seed 001 wizards: user template with inbound auth, trunk-6003-reg-0 with outbound auth", () => {
  const { model, errors } = loadTexts({
    wizard: [
      "[user](!)", "type = wizard", "accepts_registrations = yes", "accepts_auth = yes", "endpoint/context = default",
      "endpoint/allow = !all,ulaw,gsm,g722", "aor/max_contacts=5",
      "[6001](user)", "inbound_auth/username = 6001", "inbound_auth/password = 6001",
      "[trunk](!)", "type = wizard", "sends_registrations = yes", "sends_auth = yes", "remote_hosts=192.168.1.1",
      "endpoint/context = default", "endpoint/allow = !all,ulaw,gsm,g722", "aor/max_contacts=5",
      "[trunk-6003](trunk)", "outbound_auth/username = 6003", "outbound_auth/password = 6003",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  assert.equal(model.aors.get("6001")!.max_contacts, 5);
  assert.deepEqual(model.endpoints.get("6001")!.auth, ["6001-iauth"]);
  const reg = model.registrations.get("trunk-6003-reg-0")!;
  assert.deepEqual([reg.server_uri, reg.client_uri, reg.outbound_auth], ["sip:192.168.1.1", "sip:6003@192.168.1.1", ["trunk-6003-oauth"]]);
  assert.deepEqual(model.identifies.get("trunk-6003-identify")!.match, [{ kind: "network", network: { family: 4, address: "192.168.1.1", prefix: 32 } }]);
});

test("patterns, sends_line_with_registrations, outbound_proxy and explicit aor/contact", () => {
  const { model, errors } = loadTexts({
    wizard: [
      "[pbx2]", "type=wizard", "sends_registrations=yes", "sends_line_with_registrations=yes", "remote_hosts=10.0.0.2",
      "server_uri_pattern=sip:reg@${REMOTE_HOST}\\;transport=tcp", "client_uri_pattern=sip:${USERNAME}-x@${REMOTE_HOST}",
      "contact_pattern=sip:trunk@${REMOTE_HOST}:5070", "outbound_proxy=sip:proxy.example.com\\;lr",
      "[fixed]", "type=wizard", "remote_hosts=10.0.0.3", "aor/contact=sip:elsewhere.example.com", "identify/match=10.0.0.0/24",
    ].join("\n"),
  });
  assert.deepEqual(errors, []);
  const reg = model.registrations.get("pbx2-reg-0")!;
  assert.deepEqual([reg.server_uri, reg.client_uri, reg.line, reg.endpoint, reg.outbound_proxy],
    ["sip:reg@10.0.0.2;transport=tcp", "sip:pbx2-x@10.0.0.2", true, "pbx2", "sip:proxy.example.com;lr"]);
  assert.equal(model.identifies.has("pbx2-identify"), false); // sends line: the registration identifies calls
  assert.deepEqual(model.aors.get("pbx2")!.contact, ["sip:trunk@10.0.0.2:5070"]);
  assert.equal(model.endpoints.get("pbx2")!.outbound_proxy, "sip:proxy.example.com;lr");
  assert.deepEqual(model.aors.get("fixed")!.contact, ["sip:elsewhere.example.com"]);
  assert.deepEqual(model.identifies.get("fixed-identify")!.match, [{ kind: "network", network: { family: 4, address: "10.0.0.0", prefix: 24 } }]);
});

test("wizard mistakes are errors naming the wizard's line; the rest of the wizard still loads", () => {
  const { model, errors, warnings } = loadTexts({
    wizard: [
      "[w1]", "type=wizard", "sends_auth=yes", "sends_registrations=yes", "remote_hosts=h.example.com", // lines 1-5
      "[w2]", "type=wizard", "accepts_auth=yes", "inbound_auth/password=x", "endpoint/max_contacts=3", // 6-10
      "[w3]", "type=wizard", "accepts_registrations=yes", "remote_hosts=10.1.1.1", "has_phoneprov=yes", "phoneprov/MAC=aa", "endpont/context=x", "has_hint=maybe", // 11-18
    ].join("\n"),
  });
  assert.deepEqual(lines(errors), [
    "pjsip_wizard.conf:3: wizard 'w1': no auth 'w1-oauth': needs 'outbound_auth/username' because it sends_auth",
    "pjsip_wizard.conf:3: wizard 'w1': no registration 'w1-reg-0': needs 'outbound_auth/username' because it sends_auth",
    "pjsip_wizard.conf:8: wizard 'w2': no auth 'w2-iauth': needs 'inbound_auth/username' because it accepts_auth",
    "pjsip_wizard.conf:6: wizard 'w2': no identify 'w2-identify': needs 'remote_hosts' because it does not accept registrations",
    "pjsip_wizard.conf:15: wizard 'w3': no phoneprov 'w3-phoneprov': needs 'phoneprov/PROFILE' because it has_phoneprov",
    "pjsip_wizard.conf:10: endpoint 'w2': unknown option 'max_contacts' (an option of aor)",
  ]);
  assert.deepEqual(errors.map((e) => [e.objectType, e.objectName]), [
    ["auth", "w1-oauth"], ["registration", "w1-reg-0"], ["auth", "w2-iauth"], ["identify", "w2-identify"], ["phoneprov", "w3-phoneprov"], ["endpoint", "w2"],
  ]);
  assert.deepEqual(lines(warnings), [
    "pjsip_wizard.conf:17: wizard 'w3': unknown wizard option 'endpont/context' ignored",
    "pjsip_wizard.conf:14: wizard 'w3': remote_hosts must not be set when it accepts_registrations; no contacts added to the aor",
    "pjsip_wizard.conf:18: wizard 'w3': has_hint 'maybe' is not yes or no; taken as no",
    // The endpoint still loads and points at the auth that could not be made.
    "pjsip_wizard.conf:1: endpoint 'w1': outbound_auth names auth 'w1-oauth', which is not defined",
  ]);
  // w1's endpoint, aor and identify still load, as Asterisk creates each object type separately.
  assert.deepEqual([...model.endpoints.keys()], ["w1", "w3"]);
  assert.deepEqual([...model.identifies.keys()], ["w1-identify"]);
  assert.deepEqual(model.aors.get("w3")!.contact, []);
});

test("a wizard object colliding with a pjsip.conf object is an error; the pjsip.conf one is kept", () => {
  const { model, errors } = loadTexts({
    pjsip: "[6001]\ntype=endpoint\ncontext=manual\n",
    wizard: "[6001]\ntype=wizard\naccepts_registrations=yes\nendpoint/context=wizard\n",
  });
  assert.deepEqual(lines(errors), ["pjsip_wizard.conf:1: endpoint '6001' collides with the endpoint defined at pjsip.conf:1; not loaded"]);
  assert.equal(model.endpoints.get("6001")!.context, "manual");
  assert.equal(model.aors.get("6001")!.wizard, "6001");
});

test("wizards only count in pjsip_wizard.conf: one in pjsip.conf is a warning, others there are ignored", () => {
  const { model, warnings } = loadTexts({
    pjsip: "[t]\ntype=transport\nbind=127.0.0.1\n\n[lost]\ntype = wizard\naccepts_registrations = yes\n",
    wizard: "[stray]\ntype=endpoint\n",
  });
  assert.deepEqual(lines(warnings), [
    "pjsip.conf:5: [lost] is a wizard: wizards are read from pjsip_wizard.conf only; not expanded",
    "pjsip_wizard.conf:1: [stray] has type 'endpoint': pjsip_wizard.conf is read for wizards only; ignored",
  ]);
  assert.equal(model.endpoints.size, 0);
});
