import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDialplan } from "./parser.js";
import { showDialplan } from "./show.js";

const dp = parseDialplan([
  "[users]",                                   // 1
  "include => features",                       // 2
  "exten => 6001,hint,PJSIP/6001",             // 3
  "exten => 6001,1,Dial(PJSIP/6001,20)",       // 4
  " same => n(busy),Busy()",                   // 5
  "exten => 306/_101,1,Playback(hello-alice)", // 6
  "ignorepat => 9",                            // 7
  "switch => IAX2/box/users",                  // 8
  "[features]",                                // 9
  "exten => 6500,1,Answer(500)",               // 10
].join("\n"), "/etc/asterisk/extensions.conf").dialplan;

test("dialplan show CONTEXT: Asterisk's columns, labels, hints, CID, includes, ignore patterns, switches", () => {
  const r = showDialplan(dp, "users");
  assert.equal(r.ok, true);
  assert.equal(r.text, [
    "[ Context 'users' created by 'pbx_config' ]",
    "  '306' (CID match '_101') =>  1. Playback(hello-alice)                      [extensions.conf:6]",
    "  '6001' =>         hint: PJSIP/6001                              [extensions.conf:3]",
    "                    1. Dial(PJSIP/6001,20)                        [extensions.conf:4]",
    "     [busy]         2. Busy()                                     [extensions.conf:5]",
    "  Include =>        'features'                                    [pbx_config]",
    "  Ignore pattern => '9'                                           [pbx_config]",
    "  Alt. Switch =>    'IAX2/box/users'                              [pbx_config]",
    "",
    "-= 2 extensions (4 priorities) in 1 context. =-",
    "",
  ].join("\n"));
});

test("dialplan show: every context, newest first, singular and plural counts", () => {
  const r = showDialplan(dp);
  assert.match(r.text, /^\[ Context 'features' created by 'pbx_config' \]\n {2}'6500' => {9}1\. Answer\(500\)/);
  assert.ok(r.text.indexOf("'features'") < r.text.indexOf("'users'"));
  assert.match(r.text, /-= 3 extensions \(5 priorities\) in 2 contexts\. =-\n$/);
  const one = parseDialplan("[c]\nexten => 1,1,NoOp\n", "e.conf").dialplan;
  assert.match(showDialplan(one).text, /-= 1 extension \(1 priority\) in 1 context\. =-\n$/);
});

test("dialplan show EXTEN@CONTEXT follows includes and lists only matches", () => {
  const r = showDialplan(dp, "6500@users");
  assert.equal(r.ok, true);
  assert.match(r.text, /\[ Included context 'features' created by 'pbx_config' \]\n {2}'6500' =>/);
  assert.doesNotMatch(r.text, /6001/);
  assert.match(r.text, /-= 1 extension \(1 priority\) in 1 context\. =-/);
  assert.match(showDialplan(dp, "91@users").text, /Ignore pattern => '9'/);
});

test("dialplan show for what does not exist", () => {
  assert.deepEqual(showDialplan(dp, "nope"), { text: "There is no existence of 'nope' context\n", ok: false });
  assert.equal(showDialplan(dp, "7777@users").text.endsWith("There is no existence of 7777@users extension\n"), true);
  const all = showDialplan(dp, "7777@");
  assert.equal(all.ok, false);
  assert.equal(all.text, "  Alt. Switch =>    'IAX2/box/users'                              [pbx_config]\n"
    + "There is no existence of '7777' extension in all contexts\n", "top-level switches are listed whatever the extension, as in Asterisk");
});

test("listHints: devices and presence of every hint", async () => {
  const { parseDialplan } = await import("./parser.js");
  const { listHints } = await import("./show.js");
  const { dialplan } = parseDialplan("[a]\nexten => 6001,hint,PJSIP/6001&Custom:lamp,CustomPresence:6001\nexten => 6001,1,NoOp()\n[b]\nexten => 7,hint,PJSIP/7\n");
  assert.deepEqual(listHints(dialplan), [
    { context: "a", exten: "6001", devices: ["PJSIP/6001", "Custom:lamp"], presence: "CustomPresence:6001" },
    { context: "b", exten: "7", devices: ["PJSIP/7"] },
  ]);
});
