/**
 * The registrar end to end: a real `recall start` process and real sipp user agents
 * on 127.0.0.1, then `recall replay --verify` on the log they produced.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { assertLogged, freePort, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { runSipp } from "../sipp/sipp.js";
import { registerExpecting, registerWithAuth } from "../sipp/scenarios.js";
import { startBaresip } from "../baresip/baresip.js";

const run = promisify(execFile);
let recall: RecallProcess;
let port: number;
let ipPhonePort: number;

const config = (p: number) => `
[ipphone]
type = endpoint
context = from-internal
aors = front-desk
[front-desk]
type = aor
max_contacts = 1
[ipphone-identify]
type = identify
endpoint = ipphone
match = 127.0.0.1:${ipPhonePort}

[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${p}

[phone](!)
type = endpoint
context = from-internal
disallow = all
allow = ulaw

[6001](phone)
auth = 6001
aors = 6001
[6001]
type = auth
auth_type = userpass
username = 6001
password = right-6001
[6001]
type = aor
max_contacts = 2

[6002](phone)
auth = 6002
aors = 6002
[6002]
type = auth
auth_type = userpass
username = 6002
password = right-6002
[6002]
type = aor
max_contacts = 1
remove_existing = yes
`;

before(async () => {
  port = await freePort();
  ipPhonePort = await freePort();
  recall = await startRecall({ "pjsip.conf": config(port) });
});
after(async () => { await recall?.stop(); });

const target = () => `127.0.0.1:${port}`;
const user = (name: string, password: string) => `SEQUENTIAL\n${name};${password}\n`;

test("a phone registers with digest auth, refreshes, and unregisters", async () => {
  const r = await runSipp({ scenario: registerWithAuth({ expires: 300, refreshAfterMs: 300, unregisterAfterMs: 300 }), target: target(), calls: 1, inject: user("6001", "right-6001"), timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.errors);
  assert.equal(r.successful, 1);
  // The log file is written off the event loop: the last line can land after the 200 that ends sipp's run.
  await assertLogged(recall.dataDir, /VERBOSE\[\d+\] res_pjsip_registrar.c: Added contact 'sip:6001@127\.0\.0\.1:\d+' to AOR '6001' with expiration of 300 seconds/);
  await assertLogged(recall.dataDir, /Removed contact 'sip:6001@127\.0\.0\.1:\d+' from AOR '6001' due to request/);
  assert.match(await recall.cli("pjsip show contacts"), /No objects found/);
});

test("baresip registers with digest auth and unregisters when it quits", async () => {
  const localPort = await freePort();
  const phone = startBaresip({ account: `<sip:6001@127.0.0.1:${port};transport=udp>;auth_pass=right-6001;regint=300`, localPort });
  try {
    await phone.waitFor(/200 OK .*\[1 binding\]/);
    const listing = await recall.cli("pjsip show contacts");
    const name = new RegExp(`Contact:  (6001/sip:\\S+@127\\.0\\.0\\.1:${localPort}\\S*)`).exec(listing)?.[1];
    assert.ok(name, listing);
    assert.match(await recall.cli(`pjsip show contact ${name}`), /user_agent\s*:\s*baresip/i);
  } finally {
    await phone.stop();
  }
  await recall.waitFor(/Removed contact 'sip:6001@127\.0\.0\.1:\d+' from AOR '6001' due to request/);
});

test("a wrong password gets a second 401 and a security log line fail2ban can match", async () => {
  const r = await runSipp({ scenario: registerWithAuth({ finalStatus: 401 }), target: target(), calls: 1, inject: user("6001", "wrong"), timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.errors);
  await assertLogged(recall.dataDir, /NOTICE\[\d+\] res_pjsip\/pjsip_distributor.c: Request 'REGISTER' from '<sip:6001@127\.0\.0\.1>;tag=[^']+' failed for '127\.0\.0\.1:\d+' \(callid: [^)]+\) - Failed to authenticate/);
});

test("an unknown user is challenged like a real one (no user enumeration)", async () => {
  const r = await runSipp({ scenario: registerExpecting(401), target: target(), calls: 1, inject: user("nobody", "x"), timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.errors);
});

test("max_contacts=2: two phones register to one AOR, a third is refused with 403 and the seed's warning", async () => {
  for (const localPort of [await freePort(), await freePort()]) {
    const r = await runSipp({ scenario: registerWithAuth(), target: target(), calls: 1, localPort, inject: user("6001", "right-6001"), timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.errors);
  }
  const third = await runSipp({ scenario: registerWithAuth({ finalStatus: 403 }), target: target(), calls: 1, localPort: await freePort(), inject: user("6001", "right-6001"), timeoutMs: 20_000 });
  assert.equal(third.code, 0, third.errors);
  await assertLogged(recall.dataDir, /WARNING\[\d+\] res_pjsip_registrar.c: Registration attempt from endpoint '6001' \(127\.0\.0\.1:\d+\) to AOR '6001' will exceed max contacts of 2/);
  const contacts = await recall.cli("pjsip show contacts");
  assert.equal((contacts.match(/Contact:  6001\/sip:6001@127\.0\.0\.1:/g) ?? []).length, 2, contacts);
});

test("remove_existing=yes: a new phone replaces the old binding", async () => {
  const first = await freePort(), second = await freePort();
  for (const localPort of [first, second]) {
    const r = await runSipp({ scenario: registerWithAuth(), target: target(), calls: 1, localPort, inject: user("6002", "right-6002"), timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.errors);
  }
  const contacts = await recall.cli("pjsip show contacts");
  assert.match(contacts, new RegExp(`6002/sip:6002@127\\.0\\.0\\.1:${second}`));
  assert.doesNotMatch(contacts, new RegExp(`6002/sip:6002@127\\.0\\.0\\.1:${first}`));
  await assertLogged(recall.dataDir, new RegExp(`Removed contact 'sip:6002@127\\.0\\.0\\.1:${first}' from AOR '6002' due to remove existing`));
});

test("an endpoint identified by source address through identify registers without a challenge", async () => {
  const r = await runSipp({ scenario: registerExpecting(200), target: target(), calls: 1, localPort: ipPhonePort, inject: user("front-desk", ""), timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.errors);
  assert.match(await recall.cli("pjsip show contacts"), new RegExp(`front-desk/sip:front-desk@127\\.0\\.0\\.1:${ipPhonePort}`));
  // The same user from another port is not that endpoint: challenged, then unknown.
  const other = await runSipp({ scenario: registerExpecting(401), target: target(), calls: 1, inject: user("front-desk", ""), timeoutMs: 20_000 });
  assert.equal(other.code, 0, other.errors);
});

test("registrations survive a restart, and the log replays with no divergence", async () => {
  const before = await recall.cli("pjsip show contacts");
  assert.equal(await recall.stop(), 0);
  recall = await startRecall({ "pjsip.conf": config(port) }, { dataDir: recall.dataDir });
  assert.equal(await recall.cli("pjsip show contacts"), before);
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /^\d+ events, 0 divergences/);
});
