/**
 * npm run bench:sip — the registrar under sipp load on 127.0.0.1 (issue #3's figures):
 *   1. digest-authenticated REGISTERs/s sustained (target ≥ 3,000/s for 60 s, < 0.1 % failures,
 *      every registration logged): 1,000 phones re-registering with challenge + credentials;
 *   2. 100,000 registered contacts held in under 2 GiB of resident memory;
 *   3. TLS REGISTERs with digest auth/s sustained (target ≥ 1,000/s, issue 16) from a Node TLS
 *      load generator (sipp here has no TLS): 4,000 phones on 100 TLS connections, each
 *      registered once first (warm-up), then re-registering at the offered rate (1,100/s);
 *   4. the parser figure comes from `npm run bench:sip:parser`.
 * Both rates are offered 10 % over their targets: an open-loop load offered at exactly the
 * target, timed from the generator's start, can only show less.
 * BENCH_SECONDS (default 60), BENCH_RATE (3300), BENCH_TLS_RATE (1100) and BENCH_CONTACTS
 * (100000) scale it down; BENCH_ONLY=udp|capacity|tls runs one part.
 */
import { freePort, startRecall } from "../../interfaces/cli/recall-process.js";
import { runSipp } from "../sipp/sipp.js";
import { registerWithAuth } from "../sipp/scenarios.js";
import { makeTestCertificates } from "../transport/test-certs.js";
import { runTlsRegisterLoad } from "./tls-register-load.js";
import { cpuSeconds, rssMiB } from "../../interfaces/cli/process-stats.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const RATE = Number(process.env.BENCH_RATE ?? 3300);
const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 100_000);
/** Offered a tenth above the target: an open-loop load offered at exactly 1,000/s can only show less. */
const TLS_RATE = Number(process.env.BENCH_TLS_RATE ?? 1100);
const ONLY = process.env.BENCH_ONLY;
/** Enough phones that one slow answer does not leave the open-loop generator without an idle phone. */
const TLS_PHONES = 4000;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function pjsipConf(port: number, users: number): string {
  const out = [`[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${port}\n`,
    "[ep](!)\ntype = endpoint\ncontext = from-internal\nallow = ulaw\n",
    "[au](!)\ntype = auth\nauth_type = userpass\n",
    "[ao](!)\ntype = aor\nmax_contacts = 1\nremove_existing = yes\nmaximum_expiration = 86400\n"];
  for (let i = 0; i < users; i++) {
    const u = 100000 + i;
    out.push(`[${u}](ep)\nauth = ${u}\naors = ${u}\n[${u}](au)\nusername = ${u}\npassword = pw${u}\n[${u}](ao)\n`);
  }
  return out.join("\n");
}

const users = (n: number) => "SEQUENTIAL\n" + Array.from({ length: n }, (_, i) => `${100000 + i};pw${100000 + i}`).join("\n") + "\n";

/** CPU seconds (user + system) a process has used: with other work on the machine, what one registration costs. */

async function throughput() {
  const port = await freePort();
  const recall = await startRecall({ "pjsip.conf": pjsipConf(port, 1000) });
  try {
    const calls = RATE * SECONDS;
    const started = Date.now();
    const r = await runSipp({
      scenario: registerWithAuth({ expires: 3600 }), target: `127.0.0.1:${port}`, calls, rate: RATE, limit: RATE * 2,
      inject: users(1000), timeoutMs: (SECONDS + 60) * 1000,
    });
    const elapsed = (Date.now() - started) / 1000;
    const rate = r.successful / elapsed;
    const failures = (r.failed / Math.max(1, r.successful + r.failed)) * 100;
    console.log(`authenticated REGISTERs: ${fmt(r.successful)} ok, ${fmt(r.failed)} failed (${failures.toFixed(3)} %), ${fmt(r.retransmissions)} retransmissions in ${elapsed.toFixed(1)} s`);
    console.log(`  rate ${fmt(rate)}/s (each is a 401 challenge + an authenticated REGISTER), target ≥ 3,000/s: ratio ${(rate / 3000).toFixed(2)}${rate >= 3000 && failures < 0.1 ? "  ok" : "  BELOW TARGET"}`);
    console.log(`  recall RSS ${fmt(rssMiB(recall.child.pid!))} MiB`);
    const log = await recall.cli("recall show log");
    console.log(`  ${log.trim().split("\n").join("; ")}`);
  } finally {
    await recall.stop();
  }
}

async function capacity() {
  const port = await freePort();
  const recall = await startRecall({ "pjsip.conf": pjsipConf(port, CONTACTS) });
  try {
    const before = rssMiB(recall.child.pid!);
    const started = Date.now();
    const r = await runSipp({
      scenario: registerWithAuth({ expires: 86400 }), target: `127.0.0.1:${port}`, calls: CONTACTS, rate: 3000, limit: 6000,
      inject: users(CONTACTS), timeoutMs: 600_000,
    });
    const elapsed = (Date.now() - started) / 1000;
    const contacts = (await recall.cli("recall show log")).match(/contact (\d+)/)?.[1] ?? "?";
    const rss = rssMiB(recall.child.pid!);
    console.log(`capacity: ${fmt(r.successful)} registered (${fmt(r.failed)} failed) in ${elapsed.toFixed(1)} s; live contacts ${contacts}`);
    console.log(`  recall RSS ${fmt(rss)} MiB with ${contacts} contacts (${fmt(before)} MiB with the config loaded, none registered); target < 2,048 MiB: ${rss < 2048 ? "ok" : "ABOVE TARGET"}`);
  } finally {
    await recall.stop();
  }
}

async function tlsThroughput() {
  const port = await freePort();
  const certs = makeTestCertificates();
  const tls = `[tls]\ntype = transport\nprotocol = tls\nbind = 127.0.0.1:${port}\ncert_file = ${certs.serverCert}\npriv_key_file = ${certs.serverKey}\n`;
  const recall = await startRecall({ "pjsip.conf": pjsipConf(await freePort(), TLS_PHONES) + "\n" + tls });
  try {
    // Warm-up: every phone registers once (its contact actor is created, the JIT warms), as phones are before they refresh.
    const warm = await runTlsRegisterLoad({ port, caFile: certs.caCert, connections: 100, first: 100000, users: TLS_PHONES, rate: 400, seconds: TLS_PHONES / 400, timeoutMs: 30_000 });
    console.log(`TLS warm-up: ${fmt(warm.ok)} phones registered, ${fmt(warm.failed)} failed`);
    const cpuBefore = cpuSeconds(recall.child.pid!);
    const r = await runTlsRegisterLoad({ port, caFile: certs.caCert, connections: 100, first: 100000, users: TLS_PHONES, rate: TLS_RATE, seconds: SECONDS });
    const cpuMs = ((cpuSeconds(recall.child.pid!) - cpuBefore) * 1000) / Math.max(1, r.ok);
    const rate = r.ok / r.elapsedSeconds;
    const failures = (r.failed / Math.max(1, r.ok + r.failed)) * 100;
    const sorted = r.latenciesMs.sort((a, b) => a - b);
    const pct = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN).toFixed(1);
    console.log(`TLS authenticated REGISTERs: ${fmt(r.ok)} ok, ${fmt(r.failed)} failed (${failures.toFixed(3)} %), ${fmt(r.behind)} not sent (no idle phone) in ${r.elapsedSeconds.toFixed(1)} s${r.failed ? ` (failures: ${JSON.stringify(r.failures)})` : ""}`);
    console.log(`  rate ${fmt(rate)}/s offered ${fmt(TLS_RATE)}/s (each is a 401 challenge + an authenticated REGISTER over TLS), target ≥ 1,000/s: ratio ${(rate / 1000).toFixed(2)}${rate >= 1000 && failures < 0.1 ? "  ok" : "  BELOW TARGET"}`);
    console.log(`  latency REGISTER → 200 OK: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms; recall RSS ${fmt(rssMiB(recall.child.pid!))} MiB`);
    console.log(`  recall CPU per registration (both REGISTERs, TLS included): ${cpuMs.toFixed(2)} ms, i.e. at most ${fmt(1000 / cpuMs)}/s per core`);
  } finally {
    await recall.stop();
  }
}

console.log(`SIP registrar benchmark: ${SECONDS} s at ${RATE}/s, then ${fmt(CONTACTS)} contacts, then TLS at ${fmt(TLS_RATE)}/s (Node ${process.version}, load generators on the same 2 cores)`);
if (!ONLY || ONLY === "udp") await throughput();
if (!ONLY || ONLY === "capacity") await capacity();
if (!ONLY || ONLY === "tls") await tlsThroughput();
