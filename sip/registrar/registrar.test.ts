import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { MemoryLogger } from "../../core/logger.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { ActorRuntime } from "../../actors/runtime.js";
import { actorKinds } from "../../actors/kinds.js";
import { contactId } from "../../actors/contact/machine.js";
import { loadTexts } from "../config/fixtures.js";
import { AuthSecurity } from "../endpoint/security.js";
import { Registrar } from "./registrar.js";
import { tempDir } from "../../core/reap.js";

const conf = `
[phone1]
type = endpoint
aors = phone1
[phone1]
type = aor
max_contacts = 4
contact = sip:phone1@192.168.1.99:5060
`;

test("PJSIP_DIAL_CONTACTS joins every contact of the endpoint's AORs with &, as seed 000 shows", async () => {
  const { model, errors } = loadTexts({ pjsip: conf });
  assert.deepEqual(errors, []);
  const log = await SegmentLog.open(tempDir("recall-dial-"), { notice: () => undefined });
  const clock = new VirtualClock();
  const runtime = new ActorRuntime({ log, clock, random: new SeededRandom(1), kinds: actorKinds });
  const reg = (uri: string) => ({ source: "test" as const, type: "register" as const, aor: "phone1", uri, expires: 3600, callId: uri, cseq: 1, userAgent: "x", received: "udp:192.168.1.27:5060", endpoint: "phone1" });
  runtime.spawn("contact", contactId("phone1", "sip:phone1@192.168.1.27:5060"), reg("sip:phone1@192.168.1.27:5060"));
  clock.advance(1e6);
  runtime.spawn("contact", contactId("phone1", "sip:phone1@192.168.1.14:60614;rinstance=1b2883b26cbc3051"), reg("sip:phone1@192.168.1.14:60614;rinstance=1b2883b26cbc3051"));
  await runtime.settle();
  const logger = new MemoryLogger();
  const registrar = new Registrar({ model: () => model, runtime, clock, random: new SeededRandom(2), nonceSecret: "s", logger, security: new AuthSecurity(logger) });
  assert.equal(
    registrar.dialContacts("phone1", "phone1"),
    "PJSIP/phone1/sip:phone1@192.168.1.99:5060&PJSIP/phone1/sip:phone1@192.168.1.27:5060&PJSIP/phone1/sip:phone1@192.168.1.14:60614;rinstance=1b2883b26cbc3051",
  );
  assert.equal(registrar.dialContacts("phone1"), registrar.dialContacts("phone1", "phone1"));
  assert.match(registrar.dialContacts("phone1", "phone1", "6001"), /^PJSIP\/phone1\/sip:6001@192\.168\.1\.99:5060&PJSIP\/phone1\/sip:6001@192\.168\.1\.27:5060&/);
  assert.equal(registrar.dialContacts("nobody"), "");
  runtime.send(contactId("phone1", "sip:phone1@192.168.1.27:5060"), { source: "test", type: "qualify", status: "Unavail" });
  assert.doesNotMatch(registrar.dialContacts("phone1"), /192\.168\.1\.27/);
  await runtime.settle();
  await log.close();
});
