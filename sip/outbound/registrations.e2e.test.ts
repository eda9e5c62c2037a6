/**
 * Outbound registrations end to end: Recall registers to sipp registrars that answer
 * as each test needs, with Asterisk's failure rules checked against what sipp saw and
 * what `pjsip show registrations` reports.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { freePort, messages, assertLogged, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { startSipp, type SippResult } from "../sipp/sipp.js";
import { registrarUas } from "../sipp/scenarios.js";

const run = promisify(execFile);

interface Case { name: string; responses: number[]; options: string; expires?: number; expectAuthorization?: boolean }
const cases: Case[] = [
  { name: "ok", responses: [200, 200], options: "", expires: 4 },
  { name: "auth", responses: [401, 200], options: "outbound_auth = provider-auth", expectAuthorization: true },
  { name: "perm401", responses: [401], options: "auth_rejection_permanent = yes" },
  { name: "temp401", responses: [401, 200], options: "auth_rejection_permanent = no\nretry_interval = 1" },
  { name: "forbidden", responses: [403, 200], options: "forbidden_retry_interval = 1" },
  { name: "busy", responses: [503, 503, 503], options: "retry_interval = 1\nmax_retries = 2" },
];

let recall: RecallProcess;
const sipps = new Map<string, Promise<SippResult>>();

before(async () => {
  const sip = await freePort();
  let conf = `
[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${sip}

[provider-auth]
type = auth
auth_type = userpass
username = provider-user
password = provider-secret
`;
  for (const c of cases) {
    const port = await freePort();
    sipps.set(c.name, startSipp({ scenario: registrarUas(c.responses, { ...(c.expires ? { expires: c.expires } : {}), ...(c.expectAuthorization ? { expectAuthorization: true } : {}) }), localPort: port, calls: 1, timeoutMs: 30_000 }).done);
    conf += `
[${c.name}]
type = registration
server_uri = sip:registrar@127.0.0.1:${port}
client_uri = sip:${c.name}@127.0.0.1:${port}
contact_user = inbound-${c.name}
max_random_initial_delay = 0
${c.options}
`;
  }
  await new Promise((r) => setTimeout(r, 300)); // let the sipp registrars bind
  recall = await startRecall({ "pjsip.conf": conf });
});
after(async () => { await recall?.stop(); });

async function status(name: string): Promise<string> {
  const out = await recall.cli(`pjsip show registration ${name}`);
  return /\s(Registered|Unregistered|Rejected|Stopped)\b/.exec(out)?.[1] ?? out;
}

async function eventually(name: string, wanted: string, ms = 8000): Promise<void> {
  const until = Date.now() + ms;
  let last = "";
  while (Date.now() < until) {
    last = await status(name);
    if (last === wanted) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(last, wanted);
}

test("registers, then refreshes before the granted expiration", async () => {
  const r = await sipps.get("ok")!;
  assert.equal(r.code, 0, r.errors);
  await eventually("ok", "Registered");
});

test("a 401 is answered with outbound_auth credentials", async () => {
  const r = await sipps.get("auth")!;
  assert.equal(r.code, 0, r.errors);
  await eventually("auth", "Registered");
});

test("401 without credentials and auth_rejection_permanent=yes: Rejected, not retried", async () => {
  const r = await sipps.get("perm401")!;
  assert.equal(r.code, 0, r.errors);
  await eventually("perm401", "Rejected");
  await assertLogged(recall.dataDir, /ERROR\[\d+\] res_pjsip_outbound_registration.c: Fatal response '401' received from 'sip:registrar@127\.0\.0\.1:\d+' on registration attempt to 'sip:perm401@127\.0\.0\.1:\d+', stopping outbound registration/);
});

test("401 with auth_rejection_permanent=no is temporary: retried after retry_interval", async () => {
  const r = await sipps.get("temp401")!;
  assert.equal(r.code, 0, r.errors);
  await eventually("temp401", "Registered");
  await assertLogged(recall.dataDir, /Temporal response '401' received from .*temp401.* retrying in '1'/);
});

test("403 with forbidden_retry_interval is retried", async () => {
  const r = await sipps.get("forbidden")!;
  assert.equal(r.code, 0, r.errors);
  await eventually("forbidden", "Registered");
  await assertLogged(recall.dataDir, /403 Forbidden fatal response received from .*forbidden.* retrying in '1' seconds/);
});

test("503 is retried max_retries times, then Rejected", async () => {
  const r = await sipps.get("busy")!;
  assert.equal(r.code, 0, r.errors);
  await eventually("busy", "Rejected");
  const log = messages(recall.dataDir);
  assert.equal((log.match(/Temporal response '503' received from .*busy/g) ?? []).length, 2);
  assert.match(log, /Maximum retries reached when attempting outbound registration to 'sip:registrar@127\.0\.0\.1:\d+' with client 'sip:busy@/);
});

test("every scenario's log replays with no divergence", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /^\d+ events, 0 divergences/);
});
