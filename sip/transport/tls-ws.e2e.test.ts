/**
 * TLS and WebSocket end to end: a real `recall start` with a `protocol=tls` transport
 * (certificates made by openssl for the test), a `protocol=ws` transport on the HTTP
 * server of http.conf, and the sample dialplan. Two baresip phones register over TLS
 * with digest auth and call each other; a WebSocket client (the `ws` library speaking
 * RFC 7118) registers with digest auth, then is called by a TLS phone and answers
 * 486 over its connection. The log then passes `recall replay --verify`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect as netConnect, type Socket } from "node:net";
import { promisify } from "node:util";
import { WebSocket } from "ws";
import { assertLogged, freePort, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { answerChallenge, formatCredentials, parseChallenge } from "../auth/index.js";
import { buildResponse, parseMessage, serializeMessage, SipRequest, type SipResponse } from "../message/index.js";
import { startBaresip } from "../baresip/baresip.js";
import { makeTestCertificates, type TestCertificates } from "./test-certs.js";

const run = promisify(execFile);
const sample = (file: string) => readFileSync(join(packageRoot, "infra", "sample-config", file), "utf8");
let recall: RecallProcess;
let certs: TestCertificates;
let tlsPort: number;
let httpPort: number;

before(async () => {
  certs = makeTestCertificates();
  const udp = await freePort();
  tlsPort = await freePort();
  httpPort = await freePort();
  const pjsip = sample("pjsip.conf").replace(/bind\s*=\s*[\d.]+:5060/g, `bind = 127.0.0.1:${udp}`).replace(/qualify_frequency = \d+/g, "qualify_frequency = 0") + `
[transport-tls]
type = transport
protocol = tls
bind = 127.0.0.1:${tlsPort}
cert_file = ${certs.serverCert}
priv_key_file = ${certs.serverKey}
method = tlsv1_2

[transport-ws]
type = transport
protocol = ws
bind = 127.0.0.1
`;
  const http = `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${httpPort}\n`;
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": sample("extensions.conf"), "http.conf": http });
});
after(async () => { await recall?.stop(); });

// No sound devices here: a core sound as the microphone, aubridge as a speaker that goes nowhere.
const media = ["module aufile.so", "module aubridge.so", "audio_source aufile,/usr/share/asterisk/sounds/en/hello-world.wav", "audio_player aubridge,nowhere"];
const tlsPhone = (user: string, password: string, extra: { commands?: string[]; quitAfterSeconds?: number; auto?: boolean } = {}) => freePort().then((localPort) => startBaresip({
  account: `<sip:${user}@127.0.0.1:${tlsPort};transport=tls>;auth_pass=${password};regint=300${extra.auto ? ";answermode=auto" : ""}`,
  // The phone listens for TLS too (Recall reaches a registered contact at its Contact address, as Asterisk does without rewrite_contact).
  localPort, config: [...media, `sip_cafile ${certs.caCert}`, `sip_certificate ${certs.serverPem}`],
  ...(extra.commands ? { commands: extra.commands } : {}), ...(extra.quitAfterSeconds ? { quitAfterSeconds: extra.quitAfterSeconds } : {}),
}));

test("two baresip phones register over TLS with digest auth and call each other", async () => {
  assert.match(await recall.cli("http show status"), /Server Enabled and Bound to 127\.0\.0\.1:\d+[^]*\/ws => Asterisk HTTP WebSocket/);
  const callee = await tlsPhone("6002", "supervisor-6002", { auto: true });
  try {
    await callee.waitFor(/200 OK .*\[1 binding\]/, 15_000);
    await assertLogged(recall.dataDir, /Added contact 'sip:6002[^@']*@127\.0\.0\.1:\d+;transport=tls' to AOR '6002'/);
    const caller = await tlsPhone("6001", "reception-6001", { commands: [`/dial sip:6002@127.0.0.1:${tlsPort};transport=tls`], quitAfterSeconds: 6 });
    try {
      await caller.waitFor(/200 OK .*\[1 binding\]/, 15_000);
      await recall.waitFor(/Executing \[6002@from-internal:3\] Dial\("PJSIP\/6001-[0-9a-f]{8}", "PJSIP\/6002,20"\)/, 15_000)
        .catch((e: Error) => { throw new Error(`${e.message}\n--- 6001 (baresip):\n${caller.output()}`); });
      await callee.waitFor(/call established|Call established/i, 15_000);
      await caller.exited;
      await recall.waitFor(/Executing \[h@from-internal:1\] NoOp\("PJSIP\/6001-[0-9a-f]{8}", "Call from 6001 ended: cause 16, dial status ANSWER"\)/, 15_000);
    } finally {
      await caller.stop();
    }
  } finally {
    await callee.stop();
  }
});

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
/** Half-open TLS handshakes held open through the next test, then closed. */
const halfOpen: Socket[] = [];
after(() => { for (const s of halfOpen) s.destroy(); });

test("bad input: 200 half-open TLS handshakes and a WebSocket frame flood leave Recall serving, its memory bounded", async () => {
  const before = rssMiB(recall.child.pid!);
  for (let i = 0; i < 200; i++) {
    const s = netConnect({ host: "127.0.0.1", port: tlsPort });
    s.on("error", () => {});
    if (i % 2 === 0) s.once("connect", () => s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))); // a ClientHello that never ends
    halfOpen.push(s);
  }
  const flooder = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, ["sip"]);
  await new Promise((resolve, reject) => flooder.once("open", resolve).once("error", reject));
  flooder.on("error", () => {});
  flooder.on("message", () => {}); // it reads its 400s
  for (let i = 0; i < 20_000; i++) flooder.send(i % 2 ? "garbage\r\n\r\n" : `OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bKflood${i}\r\nContent-Length: 9\r\n\r\n`);
  const big = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, ["sip"]);
  await new Promise((resolve, reject) => big.once("open", resolve).once("error", reject));
  big.on("error", () => {});
  const closed = new Promise<number>((r) => big.once("close", (code) => r(code)));
  big.send("x".repeat(200_000));
  assert.equal(await closed, 1009, "an oversized message closes its connection");
  await new Promise<void>((r) => { if (flooder.bufferedAmount === 0) r(); else setTimeout(r, 500); });
  flooder.close();
  assert.match(await recall.cli("core show version"), /Recall/, "the console answers");
  const grown = rssMiB(recall.child.pid!) - before;
  assert.ok(grown < 150, `RSS grew ${grown.toFixed(0)} MiB`);
});

/** A WebSocket SIP client: sends requests, answers what Recall sends it with `answer`. */
async function wsPhone(answer: (request: SipRequest) => number) {
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, ["sip"]);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const responses: SipResponse[] = [];
  const requests: SipRequest[] = [];
  const waiters: Array<() => void> = [];
  ws.on("message", (data) => {
    const message = parseMessage(Buffer.from(data as Buffer));
    if (message.isRequest) {
      const request = message as SipRequest;
      requests.push(request);
      if (request.method !== "ACK") ws.send(serializeMessage(buildResponse(request, answer(request), { toTag: "wsphone" })).toString("latin1"));
    } else responses.push(message as SipResponse);
    for (const w of waiters.splice(0)) w();
  });
  const until = async (pred: () => boolean, what: string, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`ws phone: no ${what} within ${ms} ms`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 100); });
    }
  };
  return { ws, responses, requests, until };
}

test("a WebSocket client registers with digest auth (half-open TLS sockets still held); a TLS phone calls it and the INVITE reaches it over its connection", async () => {
  const phone = await wsPhone((r) => (r.method === "INVITE" ? 486 : 200));
  try {
    const register = (cseq: number, authorization?: string) => {
      const r = new SipRequest("REGISTER", "sip:127.0.0.1");
      r.set("Via", `SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKws${cseq}`);
      r.set("Max-Forwards", "70");
      r.set("From", "<sip:6003@127.0.0.1>;tag=wsreg");
      r.set("To", "<sip:6003@127.0.0.1>");
      r.set("Call-ID", "ws-register-1");
      r.set("CSeq", `${cseq} REGISTER`);
      r.set("Contact", "<sip:kj3h4ab@df7jal23ls0d.invalid;transport=ws>;expires=300");
      r.set("User-Agent", "ws test phone");
      if (authorization) r.set("Authorization", authorization);
      phone.ws.send(serializeMessage(r).toString("latin1"));
    };
    register(1);
    await phone.until(() => phone.responses.length >= 1, "401");
    assert.equal(phone.responses[0].status, 401);
    const challenge = parseChallenge(phone.responses[0].get("WWW-Authenticate")!);
    const credentials = answerChallenge(challenge, { username: "6003", secret: { password: "backoffice-6003" }, method: "REGISTER", uri: "sip:127.0.0.1", cnonce: "0a4f113b", nc: 1 });
    register(2, formatCredentials(credentials));
    await phone.until(() => phone.responses.length >= 2, "200");
    assert.equal(phone.responses[1].status, 200, phone.responses[1].startLine());
    assert.match(phone.responses[1].get("Contact") ?? "", /<sip:kj3h4ab@127\.0\.0\.1:\d+;transport=ws>;expires=\d+/);
    await assertLogged(recall.dataDir, /Added contact 'sip:kj3h4ab@127\.0\.0\.1:\d+;transport=ws' to AOR '6003'/);

    const caller = await tlsPhone("6001", "reception-6001", { commands: [`/dial sip:6003@127.0.0.1:${tlsPort};transport=tls`], quitAfterSeconds: 8 });
    try {
      await phone.until(() => phone.requests.some((r) => r.method === "INVITE"), "INVITE", 15_000);
      const invite = phone.requests.find((r) => r.method === "INVITE")!;
      assert.match(invite.get("Via")!, /^SIP\/2\.0\/WS 127\.0\.0\.1:\d+;/);
      assert.match(invite.get("Contact")!, /;transport=ws>/);
      await phone.until(() => phone.requests.some((r) => r.method === "ACK"), "ACK of the 486");
      await recall.waitFor(/Call from 6001 ended: cause \d+, dial status BUSY/, 15_000);
    } finally {
      await caller.stop();
    }
  } finally {
    phone.ws.close();
  }
});

test("every scenario's log passes recall replay --verify", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, / 0 divergences/);
});
