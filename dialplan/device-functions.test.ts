import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDialplan } from "./parser.js";
import { runDialplan, globalsFromDialplan } from "./executor.js";
import { TestChannel, testDeps } from "./test-support.js";
import { MemoryAstDb } from "./astdb.js";
import { deviceFunctions, showHints } from "./device-functions.js";
import { messageApplications, messageFunctions } from "./message-functions.js";
import { DeviceStates } from "../calls/device-state.js";
import { CustomDevices } from "../calls/custom-devices.js";

const plan = parseDialplan(`
[internal]
exten => 100,hint,PJSIP/6001&Custom:dnd
exten => _2XX,hint,Custom:lamp\${EXTEN}
exten => s,1,Set(DEVICE_STATE(Custom:dnd)=BUSY)
 same => n,Set(D=\${DEVICE_STATE(Custom:dnd)})
 same => n,Set(P=\${DEVICE_STATE(PJSIP/6001)})
 same => n,Set(E=\${EXTENSION_STATE(100)})
 same => n,Set(F=\${EXTENSION_STATE(201@internal)})
 same => n,Set(G=\${EXTENSION_STATE(999)})
 same => n,Set(H=\${HINT(100)})
 same => n,Set(DEVICE_STATE(PJSIP/6001)=INUSE)
 same => n,Set(M=\${MESSAGE(body)})
 same => n,MessageSend(pjsip:6001)
`).dialplan;

test("DEVICE_STATE, EXTENSION_STATE and HINT read the device states; only Custom: devices are written, into AstDB; MESSAGE needs a message", async () => {
  const devices = new DeviceStates();
  devices.driver("PJSIP", "PJSIP/6001", { reachable: true });
  const astdb = new MemoryAstDb();
  const custom = new CustomDevices(devices, astdb);
  const ch = new TestChannel();
  const functions = new Map([...messageFunctions, ...deviceFunctions(devices, custom, () => plan)]);
  await runDialplan(ch, plan, { context: "internal", exten: "s", priority: 1 }, testDeps({ globals: globalsFromDialplan(plan), functions, applications: messageApplications }));
  const v = ch.context().vars;
  assert.deepEqual([v.D, v.P, v.E, v.F, v.G, v.H], ["BUSY", "NOT_INUSE", "BUSY", "NOT_INUSE", "UNKNOWN", "PJSIP/6001&Custom:dnd"]);
  assert.equal(astdb.get("CustomDevstate", "dnd"), "BUSY");
  assert.equal(devices.state("PJSIP/6001"), "NOT_INUSE", "a PJSIP device is not written from the dialplan");
  assert.equal(v.MESSAGE_SEND_STATUS, "FAILURE");
  assert.deepEqual(ch.warnings().filter((w) => /Custom:|message/i.test(w)), [
    "DEVICE_STATE function can only be used to set 'Custom:' device state!", "No message data found on channel", "No message data found on channel",
  ]);
  // A restart reads the Custom: states back from AstDB.
  const again = new DeviceStates();
  new CustomDevices(again, astdb);
  assert.equal(again.state("Custom:dnd"), "BUSY");
  assert.match(showHints(plan, devices, () => 2), /100@internal\s+: PJSIP\/6001&Custom:dnd\s+State:Busy\s+Presence:not_set\s+Watchers  2/);
});
