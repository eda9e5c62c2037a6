import { test } from "node:test";
import assert from "node:assert/strict";
import { parseConfText, resolveTemplates } from "../../conf/tokenizer.js";
import { parseManagerConf, userAllows } from "./config.js";
import { EventFilter } from "./filter.js";
import { AmiReader, formatMessage } from "./message.js";
import { parseCallerId } from "./actions.js";

const parse = (text: string) => parseManagerConf(resolveTemplates(parseConfText(text, "manager.conf")));

test("manager.conf: general options, users with classes, deny/permit and event filters; templates apply", () => {
  const { config, errors, warnings } = parse(`
[general]
enabled = yes
port = 5039
bindaddr = 127.0.0.1
webenabled = yes
httptimeout = 120
tlsenable = no

[base](!)
read = system,call
write = call,originate
eventfilter = !Event: VarSet

[admin](base)
secret = s3cret
deny = 0.0.0.0/0.0.0.0
permit = 10.0.0.0/255.0.0.0

[all]
secret = x
read = all
write = all
`);
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings.map((w) => `${w.line}: ${w.reason}`), ["8: [general] tlsenable is accepted and not used by Recall"]);
  assert.equal(config.enabled, true);
  assert.equal(config.webEnabled, true);
  assert.equal(config.httpTimeout, 120);
  assert.equal(config.port, 5039);
  assert.equal(config.bindaddr, "127.0.0.1");
  const admin = config.users.get("admin")!;
  assert.equal(admin.secret, "s3cret");
  assert.deepEqual([...admin.read], ["system", "call"]);
  assert.deepEqual([...admin.write], ["call", "originate"]);
  assert.deepEqual(admin.eventFilters, ["!Event: VarSet"]);
  assert.equal(userAllows(admin, "10.1.2.3"), true);
  assert.equal(userAllows(admin, "127.0.0.1"), false);
  assert.equal(config.users.get("all")!.read.size, 19);
  assert.equal(config.users.has("base"), false);
});

test("manager.conf errors name file, line and user, and that user is not loaded; the others are", () => {
  const { config, errors } = parse(`
[general]
port = 99999
[bad]
secret = x
read = call,telepathy
[nosecret]
read = all
[good]
secret = y
permit = 300.1.1.1
`);
  assert.deepEqual(errors.map((e) => `${e.file}:${e.line}: ${e.reason}`), [
    "manager.conf:3: [general] port: '99999' is not a number from 1 to 65535",
    "manager.conf:6: manager user 'bad': read: unknown class 'telepathy'",
    "manager.conf:4: manager user 'bad' not loaded",
    "manager.conf:7: manager user 'nosecret': no secret",
    "manager.conf:7: manager user 'nosecret' not loaded",
    "manager.conf:11: manager user 'good': permit: '300.1.1.1' is not an IP address or network",
    "manager.conf:9: manager user 'good' not loaded",
  ]);
  assert.equal(config.port, 5038);
  assert.equal(config.users.size, 0);
});

test("event filters: including, excluding, both", () => {
  const f = new EventFilter();
  assert.equal(f.passes("Event: Newchannel\r\n"), true);
  f.add("!Event: VarSet");
  assert.equal(f.passes("Event: VarSet\r\n"), false);
  assert.equal(f.passes("Event: Hangup\r\n"), true);
  f.add("Event: (Hangup|Newchannel)");
  assert.equal(f.passes("Event: Newstate\r\n"), false);
  assert.equal(f.passes("Event: Hangup\r\n"), true);
  assert.match(f.add("(") ?? "", /Invalid regular expression|Unterminated group/);
});

test("framing: split anywhere, LF-only lines, oversized lines and too many headers refused, the next action read", () => {
  const r = new AmiReader();
  const text = "Action: Ping\r\nActionID: 1\r\n\r\nAction: Status\nChannel: PJSIP/a\n\n";
  const out = [...text].flatMap((ch) => r.push(ch));
  assert.deepEqual(out.map((m) => ("message" in m ? m.message.headers : m)), [[["Action", "Ping"], ["ActionID", "1"]], [["Action", "Status"], ["Channel", "PJSIP/a"]]]);
  const big = r.push(`Action: Ping\r\nX: ${"y".repeat(100_000)}`);
  assert.deepEqual(big, []);
  assert.ok(r.buffered < 10_000, "a long line is not kept");
  assert.deepEqual(r.push("\r\n\r\nAction: Ping\r\n\r\n").map((m) => ("message" in m ? m.message.get("action") : m.oversized)), ["line longer than 8192 bytes", "Ping"]);
  const many = Array.from({ length: 200 }, (_, i) => `H${i}: v`).join("\r\n");
  assert.deepEqual(r.push(`${many}\r\n\r\n`), [{ oversized: "more than 128 headers" }]);
  assert.equal(formatMessage([["Response", "Success"], ["Message", "a\r\nb"]]), "Response: Success\r\nMessage: a b\r\n\r\n");
});

test("Originate's CallerID forms", () => {
  assert.deepEqual(parseCallerId("1001 <1001>"), { name: "1001", num: "1001" });
  assert.deepEqual(parseCallerId('"Front Desk" <200>'), { name: "Front Desk", num: "200" });
  assert.deepEqual(parseCallerId("200"), { name: "", num: "200" });
  assert.deepEqual(parseCallerId(""), { name: "", num: "" });
});
