import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfText } from "../../conf/tokenizer.js";
import { buildPjsipModel, loadPjsipConfig } from "./load.js";

// Tests run from the repository root.
const SAMPLE = "infra/sample-config";

test("the shipped sample config loads without errors or warnings", () => {
  const { model, errors, warnings } = loadPjsipConfig(SAMPLE);
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.deepEqual([...model.transports.values()].map((t) => `${t.protocol} ${t.bind!.host}:${t.bind!.port}`), ["udp 127.0.0.1:5060", "tcp 127.0.0.1:5060"]);
  assert.deepEqual([...model.endpoints.keys()], ["6001", "6002", "6003", "agent1001"]);
  for (const phone of ["6001", "6002", "6003"]) {
    const ep = model.endpoints.get(phone)!;
    assert.deepEqual([ep.context, ep.allow, ep.auth, ep.aors, ep.direct_media], ["from-internal", ["ulaw", "alaw"], [phone], [phone], false]);
    assert.equal(model.auths.get(phone)!.username, phone);
    assert.deepEqual([model.aors.get(phone)!.max_contacts, model.aors.get(phone)!.remove_existing], [1, true]);
  }
  const agent = model.endpoints.get("agent1001")!;
  assert.deepEqual([agent.wizard, agent.auth, agent.transport, agent.callerid], ["agent1001", ["agent1001-iauth"], "transport-udp", { name: "Agent Alice", number: "1001" }]);
  assert.deepEqual(model.hints.map((h) => `${h.exten}@${h.context} ${h.device}`), ["1001@from-internal PJSIP/agent1001"]);
  // The commented-out trunk stays out.
  assert.equal(model.registrations.size + model.identifies.size, 0);
});

test("the sample's commented-out ITSP trunk is valid once uncommented", () => {
  const wizardText = readFileSync(join(SAMPLE, "pjsip_wizard.conf"), "utf8");
  const start = wizardText.indexOf(";[trunk]");
  assert.ok(start > 0);
  const uncommented = wizardText.slice(0, start) + wizardText.slice(start).replace(/^;/gm, "");
  const { model, errors, warnings } = buildPjsipModel({
    pjsip: parseConfText(readFileSync(join(SAMPLE, "pjsip.conf"), "utf8"), "pjsip.conf"),
    wizard: parseConfText(uncommented, "pjsip_wizard.conf"),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  const reg = model.registrations.get("trunk-reg-0")!;
  assert.deepEqual([reg.server_uri, reg.client_uri, reg.outbound_auth, reg.transport], [
    "sip:sip.example-itsp.net", "sip:1234567890@sip.example-itsp.net", ["trunk-oauth"], "transport-udp",
  ]);
  assert.equal(model.identifies.get("trunk-identify")!.endpoint, "trunk");
  assert.equal(model.endpoints.get("trunk")!.context, "from-trunk");
});
