import { test } from "node:test";
import assert from "node:assert/strict";
import { dialogInfoBody, messageSummaryBody, pidfBody } from "./bodies.js";

test("dialog-info+xml: terminated while idle, early (recipient) while ringing, confirmed in use, hold marked not rendering", () => {
  const idle = dialogInfoBody({ entity: "sip:6001@127.0.0.1:5060", exten: "6001", version: 0, state: "Idle" });
  assert.equal(idle, [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="sip:6001@127.0.0.1:5060">`,
    ` <dialog id="6001">`, `  <state>terminated</state>`, ` </dialog>`, `</dialog-info>`, ``,
  ].join("\n"));
  const ringing = dialogInfoBody({ entity: "sip:6001@pbx", exten: "6001", version: 3, state: "Ringing" });
  assert.match(ringing, /version="3"/);
  assert.match(ringing, /<dialog id="6001" direction="recipient">\n  <state>early<\/state>/);
  assert.match(dialogInfoBody({ entity: "e", exten: "6001", version: 1, state: "InUse" }), /<state>confirmed<\/state>/);
  assert.match(dialogInfoBody({ entity: "e", exten: "6001", version: 1, state: "Busy" }), /<state>confirmed<\/state>/);
  assert.match(dialogInfoBody({ entity: "e", exten: "6001", version: 1, state: "Unavailable" }), /<state>terminated<\/state>/);
  assert.match(dialogInfoBody({ entity: "e", exten: "6001", version: 1, state: "Hold" }), /<param pname="\+sip.rendering" pvalue="no"\/>/);
  assert.match(dialogInfoBody({ entity: `sip:"a"&b@x`, exten: "<1>", version: 1, state: "Idle" }), /entity="sip:&quot;a&quot;&amp;b@x"[^]*id="&lt;1&gt;"/, "names are escaped");
});

test("PIDF: open and Ready when idle, on-the-phone in use, closed and away when unavailable", () => {
  const idle = pidfBody({ entity: "sip:6001@pbx", exten: "6001", state: "Idle" });
  assert.match(idle, /<presence entity="sip:6001@pbx" xmlns="urn:ietf:params:xml:ns:pidf"/);
  assert.match(idle, /<note>Ready<\/note>[^]*<tuple id="6001">[^]*<basic>open<\/basic>[^]*<dm:person\/>/);
  assert.match(pidfBody({ entity: "e", exten: "6001", state: "InUse" }), /<basic>open<\/basic>[^]*<rpid:on-the-phone\/>/);
  assert.match(pidfBody({ entity: "e", exten: "6001", state: "Unavailable" }), /<note>Unavailable<\/note>[^]*<basic>closed<\/basic>[^]*<rpid:away\/>/);
});

test("simple-message-summary as RFC 3842 writes it", () => {
  assert.equal(messageSummaryBody({ account: "sip:6001@pbx", state: "0/0" }), "Messages-Waiting: no\r\nMessage-Account: sip:6001@pbx\r\nVoice-Message: 0/0 (0/0)\r\n");
  assert.equal(messageSummaryBody({ account: "sip:6001@pbx", state: "2/5" }), "Messages-Waiting: yes\r\nMessage-Account: sip:6001@pbx\r\nVoice-Message: 2/5 (0/0)\r\n");
});
