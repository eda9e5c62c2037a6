import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandTable } from "../../core/commands.js";
import { loadTexts } from "../config/fixtures.js";
import type { PjsipModel } from "../config/model.js";
import { registerPjsipCommands } from "./commands.js";
import { contactHash, contactObjectId, type ContactView, type EndpointStateView, type PjsipView, type RegistrationView } from "./view.js";

const NOW = 1_700_000_000_000_000;

function modelOf(pjsip: string[]): PjsipModel {
  const { model, errors } = loadTexts({ pjsip: pjsip.join("\n") });
  assert.deepEqual(errors, []);
  return model;
}

function console_(model: PjsipModel, runtime: {
  contacts?: ContactView[];
  registrations?: RegistrationView[];
  states?: Record<string, EndpointStateView>;
} = {}) {
  const view: PjsipView = {
    model: () => model,
    contacts: () => runtime.contacts ?? [],
    registrations: () => runtime.registrations ?? [],
    endpointState: (name) => runtime.states?.[name] ?? { state: "Unavailable", channels: [] },
    now: () => NOW,
  };
  const table = new CommandTable();
  registerPjsipCommands(table, view);
  return (line: string) => table.run(line);
}

const text = (...rows: string[]) => rows.map((r) => `${r}\n`).join("");
/** What `asterisk -rx` shows, whitespace runs collapsed (seed 003 prints its examples that way). */
const collapsed = (out: string) => out.split("\n").map((l) => l.trim().replace(/\s+/g, " "));

// ---------------------------------------------------------------------------------------
// pjsip show contacts: REFERENCE.md, byte for byte

const REFERENCE_CONTACTS = [
  "",
  "  Contact:  <Aor/ContactUri..............................> <Hash....> <Status> <RTT(ms)..>",
  "==========================================================================================",
  "",
  "  Contact:  6001/sip:phone-a@127.0.0.1:25101               03175da8c8 NonQual         nan",
  "  Contact:  alice/sip:mobile@127.0.0.1:25106               713c52e85b NonQual         nan",
  "",
  "Objects found: 2",
].join("\n") + "\n";

test("reference: pjsip show contacts of Asterisk 22, a registered and a static contact", async () => {
  const model = modelOf(["[6001]", "type=aor", "max_contacts=1", "[alice]", "type=aor", "contact=sip:mobile@127.0.0.1:25106"]);
  const run = console_(model, {
    // Given out of order: the listing sorts by aor/uri.
    contacts: [
      { aor: "alice", uri: "sip:mobile@127.0.0.1:25106", static: true, status: "NonQual" },
      { aor: "6001", uri: "sip:phone-a@127.0.0.1:25101", static: false, status: "NonQual", expiresAt: NOW + 60e6 },
    ],
  });
  // Asterisk ends every listing with one more "\n" (pjsip_cli.c), the blank line a
  // fenced example cannot show.
  assert.equal(await run("pjsip show contacts"), `${REFERENCE_CONTACTS}\n`);
});

test("the contact hash is the start of the MD5 of the URI, the id Asterisk names contacts by", () => {
  assert.equal(contactHash("sip:phone-a@127.0.0.1:25101"), "03175da8c8");
  assert.equal(contactHash("sip:mobile@127.0.0.1:25106"), "713c52e85b");
  assert.equal(contactObjectId("6001", "sip:phone-a@127.0.0.1:25101", false), "6001;@03175da8c8a9f7b4f5c3a05659053a7b");
  // The config model names static contacts the same way.
  const model = modelOf(["[alice]", "type=aor", "contact=sip:mobile@127.0.0.1:25106"]);
  assert.deepEqual([...model.contacts.keys()], [contactObjectId("alice", "sip:mobile@127.0.0.1:25106", true)]);
});

test("contacts: RTT with three decimals when reachable, nan otherwise; a long URI is cut to its column", async () => {
  const long = `sip:${"x".repeat(50)}@192.0.2.1`;
  const run = console_(modelOf(["[6001]", "type=aor", "qualify_frequency=30"]), {
    contacts: [
      { aor: "6001", uri: "sip:6001@192.0.2.10:5060;ob", static: false, status: "Avail", rttMs: 12.3456 },
      { aor: "6001", uri: "sip:6001@192.0.2.11:5060", static: false, status: "Unavail", rttMs: 40 },
      { aor: "6001", uri: long, static: false, status: "Unknown" },
    ],
  });
  const rows = (await run("pjsip show contacts")).split("\n").slice(4, 7);
  assert.deepEqual(rows, [
    "  Contact:  6001/sip:6001@192.0.2.10:5060;ob               dbcb0291ab Avail        12.346",
    "  Contact:  6001/sip:6001@192.0.2.11:5060                  ee571810f6 Unavail         nan",
    // The URI column of aor "6001" is 41 bytes wide.
    `  Contact:  6001/${long.slice(0, 41)} ${contactHash(long)} Unknown         nan`,
  ]);
});

test("pjsip show contact <aor/uri>: the row, then the contact's options", async () => {
  const run = console_(modelOf(["[6001]", "type=aor", "qualify_frequency=30", "authenticate_qualify=yes"]), {
    contacts: [{
      aor: "6001", uri: "sip:6001@192.0.2.10:5060", static: false, status: "Avail", rttMs: 5,
      expiresAt: NOW + 3600e6, userAgent: "Phone/1.0", endpoint: "6001", viaAddr: "192.0.2.10", viaPort: 5060, callId: "abc@192.0.2.10",
    }],
  });
  assert.equal(await run("pjsip show contact 6001/sip:6001@192.0.2.10:5060"), text(
    "",
    "  Contact:  <Aor/ContactUri..............................> <Hash....> <Status> <RTT(ms)..>",
    "==========================================================================================",
    "",
    "  Contact:  6001/sip:6001@192.0.2.10:5060                  c972bbe88a Avail         5.000",
    "",
    " ParameterName        : ParameterValue",
    " ===============================================",
    " authenticate_qualify : yes",
    " call_id              : abc@192.0.2.10",
    " endpoint             : 6001",
    " expiration_time      : 1700003600",
    " outbound_proxy       : ",
    " path                 : ",
    " prune_on_boot        : no",
    " qualify_2xx_only     : false",
    " qualify_frequency    : 30",
    " qualify_timeout      : 3.000000",
    " reg_server           : ",
    " uri                  : sip:6001@192.0.2.10:5060",
    " user_agent           : Phone/1.0",
    " via_addr             : 192.0.2.10",
    " via_port             : 5060",
    "",
  ));
});

// ---------------------------------------------------------------------------------------
// Endpoints

const PBX = [
  "[udp]", "type=transport", "protocol=udp", "bind=0.0.0.0:5060",
  "[tls6]", "type=transport", "protocol=tls", "bind=[2001:db8::1]", "tos=ef", "cos=3",
  "[6001]", "type=endpoint", "context=from-internal", "disallow=all", "allow=ulaw,alaw", "auth=6001", "outbound_auth=trunk-auth",
  "aors=6001,missing", "transport=udp", `callerid="Alice" <6001>`, "device_state_busy_at=2", "set_var=FOO=bar",
  "[6002]", "type=endpoint", "aors=6002",
  "[6001]", "type=auth", "username=6001", "password=secret",
  "[trunk-auth]", "type=auth", "username=acct", "password=pw",
  "[6001]", "type=aor", "max_contacts=2", "qualify_frequency=30",
  "[6002]", "type=aor",
  "[id-6001]", "type=identify", "endpoint=6001", "match=192.0.2.0/24", "match_header=X-Id: 6001",
];

const PBX_RUNTIME = {
  contacts: [
    { aor: "6001", uri: "sip:6001@192.0.2.11:5060", static: false, status: "Unavail" },
    { aor: "6001", uri: "sip:6001@192.0.2.10:5060;ob", static: false, status: "Avail", rttMs: 12.3456 },
  ] satisfies ContactView[],
  states: {
    "6001": {
      state: "In use",
      channels: [{
        name: "PJSIP/6001-00000001", application: "Dial", state: "Up", createdAt: NOW - 76_500_000, // whole seconds apart: 1699999923 → 1700000000
        exten: "6002", connectedName: "Bob", connectedNumber: "6002",
      }],
    },
  },
};

const ENDPOINT_HEADER = [
  "",
  " Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>",
  "    I/OAuth:  <AuthId/UserName...........................................................>",
  "        Aor:  <Aor............................................>  <MaxContact>",
  "      Contact:  <Aor/ContactUri..........................> <Hash....> <Status> <RTT(ms)..>",
  "  Transport:  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress..................>",
  "   Identify:  <Identify/Endpoint.........................................................>",
  "        Match:  <criteria.........................>",
  "    Channel:  <ChannelId......................................>  <State.....>  <Time.....>",
  "        Exten: <DialedExten...........>  CLCID: <ConnectedLineCID.......>",
  "==========================================================================================",
  "",
];

const ENDPOINT_6001 = [
  " Endpoint:  6001/6001                                            In use        1 of 2",
  "    OutAuth:  trunk-auth/acct",
  "     InAuth:  6001/6001",
  "        Aor:  6001                                               2",
  // Registered contacts of an aor come in hash order.
  "      Contact:  6001/sip:6001@192.0.2.10:5060;ob           dbcb0291ab Avail        12.346",
  "      Contact:  6001/sip:6001@192.0.2.11:5060              ee571810f6 Unavail         nan",
  "  Transport:  udp                       udp      0      0  0.0.0.0:5060",
  "   Identify:  id-6001/6001",
  "        Match: 192.0.2.0/24",
  "       Header: X-Id: 6001",
  "    Channel: PJSIP/6001-00000001/Dial                            Up            00:01:17   ",
  "        Exten: 6002                      CLCID: \"Bob\" <6002>",
  "",
];

test("pjsip show endpoints: each endpoint with its auths, aors and contacts, transport, identifies and channels", async () => {
  const run = console_(modelOf(PBX), PBX_RUNTIME);
  assert.equal(await run("pjsip show endpoints"), text(
    ...ENDPOINT_HEADER,
    ...ENDPOINT_6001,
    " Endpoint:  6002                                                 Unavailable   0 of inf",
    "        Aor:  6002                                               0",
    "",
    "",
    "Objects found: 2",
    "",
  ));
});

test("pjsip show endpoint <name>: the same rows, then every option sorted by name", async () => {
  const run = console_(modelOf(PBX), PBX_RUNTIME);
  const out = await run("pjsip show endpoint 6001");
  assert.ok(out.startsWith(text(...ENDPOINT_HEADER, ...ENDPOINT_6001, "", " ParameterName                      : ParameterValue")), out);
  const table = out.split("\n").slice(ENDPOINT_HEADER.length + ENDPOINT_6001.length + 1, -2);
  const rows = new Map(table.slice(2).map((r) => [r.slice(1, 35).trimEnd(), r.slice(38)]));
  // Name column as wide as the longest name (34), value column as the longest value.
  const longestValue = Math.max(...[...rows.values()].map((v) => v.length));
  assert.equal(table[1], ` ${"=".repeat(34 + longestValue + 3)}`);
  const names = table.slice(2).map((r) => r.slice(1, 35).trimEnd());
  assert.deepEqual(names, [...names].sort(), "rows in byte order");
  assert.equal(names[0], "100rel");
  assert.equal(names[1], "FOO", "set_var rows are named after the variable");
  assert.equal(rows.get("FOO"), "bar");
  assert.equal(rows.get("allow"), "(ulaw|alaw)");
  assert.equal(rows.get("callerid"), `"Alice" <6001>`);
  assert.equal(rows.get("aors"), "6001,missing");
  assert.equal(rows.get("outbound_auth"), "trunk-auth");
  assert.equal(rows.get("direct_media"), "true", "OPT_BOOL options print true/false");
  assert.equal(rows.get("trust_connected_line"), "yes", "OPT_YESNO options print yes/no");
  assert.equal(rows.get("dtls_verify"), "No");
  assert.equal(rows.get("dtls_fingerprint"), "SHA-256");
  assert.equal(rows.get("tos_audio"), "0");
  assert.equal(rows.get("device_state_busy_at"), "2");
  assert.equal(rows.has("deny") || rows.has("permit") || rows.has("disallow") || rows.has("type"), false);
  // Asterisk 22 registers 146 endpoint options; type, disallow and the inline deny/permit ones have no printer.
  assert.equal(rows.size, 140);
});

test("an endpoint with webrtc = yes shows the media options WebRTC forces", async () => {
  const run = console_(modelOf(["[web]", "type=endpoint", "webrtc=yes", "dtls_rekey=60"]));
  const out = await run("pjsip show endpoint web");
  const value = (name: string) => new RegExp(`^ ${name} +: (.*)$`, "m").exec(out)?.[1];
  assert.deepEqual(
    ["media_encryption", "dtls_setup", "dtls_verify", "dtls_rekey", "dtls_auto_generate_cert", "bundle", "rtcp_mux", "ice_support", "use_avpf"].map(value),
    ["dtls", "actpass", "Fingerprint", "0", "Yes", "true", "true", "true", "true"],
  );
  assert.match(out, /^ callerid +: <unknown>$/m);
});

// ---------------------------------------------------------------------------------------
// AORs, auths, transports, identifies

test("pjsip show aors and pjsip show aor <name>", async () => {
  const model = modelOf([...PBX, "[alice]", "type=aor", "contact=sip:mobile@127.0.0.1:25106"]);
  const run = console_(model, {
    contacts: [...PBX_RUNTIME.contacts, { aor: "alice", uri: "sip:mobile@127.0.0.1:25106", static: true, status: "NonQual" }],
  });
  assert.equal(await run("pjsip show aors"), text(
    "",
    "      Aor:  <Aor..............................................>  <MaxContact>",
    "    Contact:  <Aor/ContactUri............................> <Hash....> <Status> <RTT(ms)..>",
    "==========================================================================================",
    "",
    "      Aor:  6001                                                 2",
    "    Contact:  6001/sip:6001@192.0.2.10:5060;ob             dbcb0291ab Avail        12.346",
    "    Contact:  6001/sip:6001@192.0.2.11:5060                ee571810f6 Unavail         nan",
    "",
    "      Aor:  6002                                                 0",
    "",
    "      Aor:  alice                                                0",
    "    Contact:  alice/sip:mobile@127.0.0.1:25106             713c52e85b NonQual         nan",
    "",
    "",
    "Objects found: 3",
    "",
  ));
  assert.equal(await run("pjsip show aor alice"), text(
    "",
    "      Aor:  <Aor..............................................>  <MaxContact>",
    "    Contact:  <Aor/ContactUri............................> <Hash....> <Status> <RTT(ms)..>",
    "==========================================================================================",
    "",
    "      Aor:  alice                                                0",
    "    Contact:  alice/sip:mobile@127.0.0.1:25106             713c52e85b NonQual         nan",
    "",
    "",
    " ParameterName        : ParameterValue",
    " =================================================",
    " authenticate_qualify : false",
    " contact              : sip:mobile@127.0.0.1:25106",
    " default_expiration   : 3600",
    " mailboxes            : ",
    " max_contacts         : 0",
    " maximum_expiration   : 7200",
    " minimum_expiration   : 60",
    " outbound_proxy       : ",
    " qualify_2xx_only     : false",
    " qualify_frequency    : 0",
    " qualify_timeout      : 3.000000",
    " remove_existing      : false",
    " remove_unavailable   : false",
    " support_path         : false",
    " voicemail_extension  : ",
    "",
  ));
  // One contact row per contact of the aor, registered and static.
  const detail = await run("pjsip show aor 6001");
  assert.deepEqual(detail.match(/^ contact +: .*$/gm), [
    " contact              : sip:6001@192.0.2.10:5060;ob", " contact              : sip:6001@192.0.2.11:5060",
  ]);
});

test("pjsip show auths and pjsip show auth <name> (the password in clear, as Asterisk shows it)", async () => {
  const model = modelOf([
    ...PBX,
    "[digest]", "type=auth", "username=1000", `password_digest=SHA-256:${"b".repeat(64)}`, `md5_cred=${"a".repeat(32)}`, "supported_algorithms_uas=SHA-256,MD5",
  ]);
  const run = console_(model);
  assert.equal(await run("pjsip show auths"), text(
    "",
    "  I/OAuth:  <AuthId/UserName.............................................................>",
    "==========================================================================================",
    "",
    "     Auth:  6001/6001",
    "     Auth:  digest/1000",
    "     Auth:  trunk-auth/acct",
    "",
    "Objects found: 3",
    "",
  ));
  const one = await run("pjsip show auth 6001");
  assert.match(one, /^ password +: secret$/m);
  assert.match(one, /^ supported_algorithms_uas : MD5$/m);
  const digest = await run("pjsip show auth digest");
  assert.match(digest, new RegExp(`^ md5_cred +: ${"a".repeat(32)}$`, "m"));
  assert.match(digest, new RegExp(`^ password_digest +: MD5:${"a".repeat(32)},SHA-256:${"b".repeat(64)}$`, "m"));
  assert.match(digest, /^ supported_algorithms_uas : SHA-256,MD5$/m);
  assert.match(digest, /^ supported_algorithms_uac : MD5$/m);
});

test("pjsip show transports: type, cos, the tos byte and the bound address", async () => {
  const run = console_(modelOf(PBX));
  assert.equal(await run("pjsip show transports"), text(
    "",
    "Transport:  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress....................>",
    "==========================================================================================",
    "",
    "Transport:  tls6                      tls      3    184  [2001:db8::1]:5061",
    "Transport:  udp                       udp      0      0  0.0.0.0:5060",
    "",
    "Objects found: 2",
    "",
  ));
  const one = await run("pjsip show transport tls6");
  for (const row of [" bind                        : [2001:db8::1]:5061", " tos                         : 184", " verify_server               : No", " method                      : tlsv1", " local_net                   : "]) {
    assert.ok(one.includes(`${row}\n`), row);
  }
});

test("pjsip show identifies and pjsip show identify <name>: matches as address/bits, options as address/netmask", async () => {
  const run = console_(modelOf([...PBX, "[id-6002]", "type=identify", "endpoint=6002", "match=2001:db8::/32", "match=198.51.100.7:5070"]));
  assert.equal(await run("pjsip show identifies"), text(
    "",
    " Identify:  <Identify/Endpoint...........................................................>",
    "      Match:  <criteria...........................>",
    "==========================================================================================",
    "",
    " Identify:  id-6001/6001",
    "      Match: 192.0.2.0/24",
    "     Header: X-Id: 6001",
    "",
    " Identify:  id-6002/6002",
    "      Match: 2001:db8::/32",
    "      Match: 198.51.100.7:5070/32",
    "",
    "",
    "Objects found: 2",
    "",
  ));
  const one = await run("pjsip show identify id-6002");
  assert.deepEqual(one.match(/^ match +: .*$/gm), [" match             : 2001:db8::/ffff:ffff::", " match             : 198.51.100.7:5070/255.255.255.255"]);
});

// ---------------------------------------------------------------------------------------
// Outbound registrations (seed 003)

const SEED_REGISTRATIONS = [
  "[my_provider]", "type = registration", "server_uri = sip:registrar@example.com", "client_uri = sip:client@example.com",
  "contact_user = inbound-calls", "outbound_auth = provider_auth", "auth_rejection_permanent = no", "retry_interval = 30",
  "forbidden_retry_interval = 300", "max_retries = 20",
  "[outreg]", "type = registration", "server_uri = sip:registrar@example.com", "client_uri = sip:client@example.com",
  "[provider_auth]", "type = auth", "auth_type = userpass", "username = my_username", "password = my_password",
];

test("seed 003: pjsip show registrations lists name/server URI, first outbound auth or n/a, status", async () => {
  const run = console_(modelOf(SEED_REGISTRATIONS));
  const out = await run("pjsip show registrations");
  assert.equal(out, text(
    "",
    " <Registration/ServerURI..............................>  <Auth....................>  <Status.......>",
    "==========================================================================================",
    "",
    " my_provider/sip:registrar@example.com                   provider_auth               Unregistered",
    " outreg/sip:registrar@example.com                        n/a                         Unregistered",
    "",
    "Objects found: 2",
    "",
  ));
  assert.deepEqual(collapsed(out).slice(4, 6), ["my_provider/sip:registrar@example.com provider_auth Unregistered", "outreg/sip:registrar@example.com n/a Unregistered"]);
});

test("a running registration shows its status and when the next REGISTER is due", async () => {
  const run = console_(modelOf(SEED_REGISTRATIONS), {
    registrations: [
      { name: "my_provider", status: "Registered", nextRegAt: NOW + 3540e6 + 999_999 },
      { name: "outreg", status: "Rejected", nextRegAt: NOW - 5e6 },
    ],
  });
  assert.deepEqual((await run("pjsip show registrations")).split("\n").slice(4, 6), [
    " my_provider/sip:registrar@example.com                   provider_auth               Registered        (exp. 3540s)",
    " outreg/sip:registrar@example.com                        n/a                         Rejected          (exp. 5s ago)",
  ]);
});

test("seed 003: pjsip show registration <name> prints the status line and the configured values", async () => {
  const out = await console_(modelOf(SEED_REGISTRATIONS))("pjsip show registration my_provider");
  const lines = collapsed(out);
  assert.equal(lines[4], "my_provider/sip:registrar@example.com provider_auth Unregistered");
  assert.equal(lines[6], "ParameterName : ParameterValue");
  // Seed 003's rows (Asterisk 22 adds the options registered since, in the same order).
  const seedRows = [
    "auth_rejection_permanent : false", "client_uri : sip:client@example.com", "contact_user : inbound-calls", "expiration : 3600",
    "forbidden_retry_interval : 300", "max_retries : 20", "outbound_auth : provider_auth", "outbound_proxy :", "retry_interval : 30",
    "server_uri : sip:registrar@example.com", "support_path : false", "transport :",
  ];
  const rows = lines.slice(8).filter((l) => l !== "");
  assert.deepEqual(rows.filter((r) => seedRows.includes(r)), seedRows);
  assert.deepEqual(rows.filter((r) => !seedRows.includes(r)), [
    "contact_header_params :", "endpoint :", "fatal_retry_interval : 0", "line : false", "max_random_initial_delay : 10",
    "security_mechanisms :", "security_negotiation : no", "support_outbound : no", "user_agent :",
  ]);
  // The separator spans the widest name and value: seed 003's 52 "=".
  assert.equal(out.split("\n")[7], ` ${"=".repeat(52)}`);
});

// ---------------------------------------------------------------------------------------
// Errors and filters

test("unknown names, a missing name and empty listings print Asterisk's messages", async () => {
  const run = console_(modelOf(SEED_REGISTRATIONS));
  assert.equal(await run("pjsip show endpoint nope"), "Unable to find object nope.\n\n");
  assert.equal(await run("pjsip show registration nope"), "Unable to find object nope.\n\n");
  assert.equal(await run("pjsip show contact 6001/sip:x@y"), "Unable to find object 6001/sip:x@y.\n\n");
  assert.equal(await run("pjsip show aor"), "No object specified.\n");
  assert.equal(await run("pjsip show endpoints"), "No objects found.\n\n");
  assert.equal(await run("pjsip show contacts"), "No objects found.\n\n");
});

test("`like <regex>` filters a listing by id; `pjsip list` prints only the objects' own rows", async () => {
  const run = console_(modelOf(PBX), PBX_RUNTIME);
  assert.equal(await run("pjsip show endpoints like 2$"), text(
    ...ENDPOINT_HEADER,
    " Endpoint:  6002                                                 Unavailable   0 of inf",
    "        Aor:  6002                                               0",
    "",
    "",
    "Objects found: 1",
    "",
  ));
  assert.equal(await run("pjsip show contacts like 192\\.0\\.2\\.11"), text(
    "",
    "  Contact:  <Aor/ContactUri..............................> <Hash....> <Status> <RTT(ms)..>",
    "==========================================================================================",
    "",
    "  Contact:  6001/sip:6001@192.0.2.11:5060                  ee571810f6 Unavail         nan",
    "",
    "Objects found: 1",
    "",
  ));
  assert.equal(await run("pjsip show aors like ^zzz"), "No objects found.\n\n");
  assert.match(await run("pjsip show aors like"), /^Usage: pjsip show aors \[ like <pattern> \]\n/);
  assert.equal(await run("pjsip list endpoints"), text(
    "",
    " Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>",
    "==========================================================================================",
    "",
    " Endpoint:  6001/6001                                            In use        1 of 2",
    " Endpoint:  6002                                                 Unavailable   0 of inf",
    "",
    "Objects found: 2",
    "",
  ));
});

test("the commands are registered with Asterisk-style summaries", async () => {
  const table = new CommandTable();
  registerPjsipCommands(table, {
    model: () => modelOf([]), contacts: () => [], registrations: () => [],
    endpointState: () => ({ state: "Unavailable", channels: [] }), now: () => NOW,
  });
  const help = table.help(["pjsip", "show"]);
  for (const line of ["pjsip show endpoints -- Show PJSIP Endpoints", "pjsip show endpoint -- Show PJSIP Endpoint", "pjsip show identifies -- Show PJSIP Identifies", "pjsip show registration -- Show PJSIP Registration"]) {
    assert.ok(collapsed(help).includes(line), line);
  }
  assert.equal(await table.run("PJSIP SHOW ENDPOINTS"), "No objects found.\n\n");
});
