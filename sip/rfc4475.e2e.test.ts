/**
 * RFC 4475 end to end: every torture message, sent over UDP to a running `recall start`
 * exactly as the RFC writes it (sip/message/rfc4475.ts), and Recall's answer checked
 * against what the RFC says an endpoint (a UAS, a registrar) does with it. After each
 * message an ordinary OPTIONS must still be answered 200; at the end no channel is left.
 *
 * The Via sent-by is not rewritten: Recall, like Asterisk (force_rport = yes), answers
 * a UDP request to the address and port it came from, whatever host, port or transport
 * its top Via names. One thing is: the RFC's messages reuse branches, and three of them
 * (novelsc after unkscm, cparam02 after cparam01, regescrt after escnull) have the
 * method, sent-by and branch of an earlier one, so within one run Recall rightly takes
 * them for retransmissions of that earlier transaction (RFC 3261 §17.2.3) and repeats
 * its answer. Those three get `-rfc4475-<name>` appended to their top Via's branch.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { freePort, messages, startRecall, type RecallProcess } from "../interfaces/cli/recall-process.js";
import { parseMessage, type SipRequest } from "./message/index.js";
import { RFC4475, type Rfc4475Name } from "./message/rfc4475.js";

let recall: RecallProcess;
let port: number;
let sock: Socket;
let localPort: number;
const received: Buffer[] = [];

before(async () => {
  port = await freePort();
  const pjsip = `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}
[caller]
type = endpoint
context = rfc4475
disallow = all
allow = ulaw,alaw
aors = watson, user
[caller]
type = identify
endpoint = caller
match = 127.0.0.1
[watson]
type = aor
max_contacts = 5
[user]
type = aor
max_contacts = 5
`;
  // No extension the RFC's requests name: an INVITE that gets through is answered 404 and leaves no call.
  const extensions = `
[rfc4475]
exten => 900,1,Hangup()
`;
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": extensions });
  sock = createSocket("udp4");
  sock.on("message", (m) => received.push(m));
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
  localPort = sock.address().port;
});
after(async () => { sock?.close(); await recall?.stop(); });

interface Answer { readonly status: number; readonly text: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const statusOf = (text: string) => Number(/^SIP\/2\.0 (\d{3}) /.exec(text)?.[1] ?? 0);

/** Responses received so far whose Call-ID is `callId` (as latin1 text). */
function answersTo(callId: string): string[] {
  return received.map((b) => b.toString("latin1")).filter((t) => t.startsWith("SIP/2.0 ") && new RegExp(`^(Call-ID|i)\\s*:\\s*${callId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\r$`, "mi").test(t));
}

/**
 * Send `bytes`; resolve with the first final response naming `callId`, or status 0 when
 * none came within `ms` (what "dropped" looks like from outside).
 */
async function send(bytes: Buffer, callId: string, ms: number): Promise<Answer> {
  sock.send(bytes, port, "127.0.0.1");
  const until = Date.now() + ms;
  for (;;) {
    const final = answersTo(callId).find((t) => statusOf(t) >= 200);
    if (final) return { status: statusOf(final), text: final };
    if (Date.now() >= until) return { status: 0, text: "" };
    await sleep(20);
  }
}

/** ACK a non-2xx final response to an INVITE, in its transaction (RFC 3261 §17.1.1.3), so it is not retransmitted. */
function ackFailure(invite: SipRequest, answer: Answer): void {
  const to = /^(?:To|t)\s*:\s*(.*)\r$/mi.exec(answer.text)?.[1] ?? invite.get("To")!;
  const ack = [
    `ACK ${invite.uri} SIP/2.0`, `Via: ${invite.getAll("Via")[0]}`, "Max-Forwards: 70", `From: ${invite.get("From")}`, `To: ${to}`,
    `Call-ID: ${invite.callId}`, `CSeq: ${invite.cseq.seq} ACK`, "Content-Length: 0", "", "",
  ].join("\r\n");
  sock.send(Buffer.from(ack, "latin1"), port, "127.0.0.1");
}

let probes = 0;
/** An ordinary OPTIONS, which a live Recall answers 200. */
async function alive(after: string): Promise<void> {
  const id = `alive-${++probes}-${process.pid}`;
  const options = [
    `OPTIONS sip:127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${id};rport`, "Max-Forwards: 70",
    `From: <sip:probe@127.0.0.1:${localPort}>;tag=${id}`, `To: <sip:127.0.0.1:${port}>`, `Call-ID: ${id}`, "CSeq: 1 OPTIONS", "Content-Length: 0", "", "",
  ].join("\r\n");
  const a = await send(Buffer.from(options, "latin1"), id, 5000);
  assert.equal(a.status, 200, `Recall still answers OPTIONS after ${after}`);
}

/**
 * Remove every binding of an AOR (RFC 3261 §10.2.2). cparam02's contact equals cparam01's
 * binding under RFC 3261 §19.1.4 (a parameter only one URI has is ignored), so it would
 * only refresh that binding; the RFC means each REGISTER for a registrar without it.
 */
async function unregisterAll(aor: string): Promise<void> {
  const id = `unregister-${aor}-${process.pid}`;
  const register = [
    `REGISTER sip:127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${id};rport`, "Max-Forwards: 70",
    `From: <sip:${aor}@example.com>;tag=${id}`, `To: <sip:${aor}@example.com>`, `Call-ID: ${id}`, "CSeq: 1 REGISTER",
    "Contact: *", "Expires: 0", "Content-Length: 0", "", "",
  ].join("\r\n");
  const a = await send(Buffer.from(register, "latin1"), id, 5000);
  assert.equal(a.status, 200, `${aor}'s bindings removed`);
  assert.doesNotMatch(a.text, /^Contact:/m);
}

/** The Call-ID the message carries (also for messages the parser refuses), for matching its answers. */
function callIdOf(name: Rfc4475Name): string {
  const text = RFC4475[name].bytes.toString("latin1");
  return /^(?:Call-ID|i)\s*:\s*(\S+)\r$/mi.exec(text)?.[1] ?? name;
}

/**
 * Send one RFC message; return Recall's final answer (status 0: none within `silence` ms).
 * An INVITE refused with a final answer is ACKed.
 */
async function deliver(name: Rfc4475Name, bytes: Buffer, silence: number): Promise<Answer> {
  const a = await send(bytes, callIdOf(name), silence);
  if (a.status >= 300) {
    try {
      const m = parseMessage(bytes);
      if (m.isRequest && m.method === "INVITE") ackFailure(m, a);
    } catch { /* refused by the parser: a stateless 400 needs no ACK */ }
  }
  return a;
}

/** Method, sent-by and branch of a request's top Via: what a server transaction is matched by. */
function transactionKey(bytes: Buffer): string | undefined {
  const text = bytes.toString("latin1");
  if (text.startsWith("SIP/")) return undefined;
  const via = /^(?:Via|v)\s*:\s*(.*)\r$/mi.exec(text)?.[1] ?? "";
  return `${text.slice(0, text.indexOf(" "))} ${via.split(";")[0].trim().split(/\s+/).pop()} ${/branch\s*=\s*([^;,\s]+)/.exec(via)?.[1]}`;
}

const seenKeys = new Set<string>();
/** The message as the RFC writes it; only a branch an earlier message used is made unique (see the top of the file). */
function wire(name: Rfc4475Name): Buffer {
  const bytes = RFC4475[name].bytes;
  const key = transactionKey(bytes);
  if (key === undefined || !seenKeys.has(key)) {
    if (key !== undefined) seenKeys.add(key);
    return bytes;
  }
  const text = bytes.toString("latin1").replace(/^((?:Via|v)\s*:[^\r]*?branch\s*=\s*[^;,\s\r]+)/mi, `$1-rfc4475-${name}`);
  return Buffer.from(text, "latin1");
}

/** A final status (or 0: silence, as for a dropped message or a response), and what the RFC says of it. */
type Expect = readonly [status: number, why: string];

const EXPECT: Record<Rfc4475Name, Expect> = {
  // §3.1.1 valid messages: each handled as a well-formed request (the RFC's responses: parsed, and dropped as strays).
  wsinv: [481, "well formed; its To tag names no dialog of Recall's (RFC 3261 §12.2.2)"],
  intmeth: [501, "RFC: \"Endpoints will generate a 501 listing the methods they understand in an Allow header field\""],
  esc01: [404, "well formed; no such extension"],
  escnull: [404, "well formed; no such AOR"],
  esc02: [501, "RFC: \"An endpoint would reject this message with a 501\""],
  lwsdisp: [404, "well formed; OPTIONS to a user that is no extension of the caller's context"],
  longreq: [404, "well formed; no such extension"],
  dblreq: [404, "the REGISTER handled (no such AOR); the INVITE after it ignored"],
  semiuri: [404, "well formed; user part \"user;par=u@example.net\" is no extension"],
  transports: [404, "well formed; no such extension"],
  mpart01: [415, "well formed: a MESSAGE whose body is multipart, not text (Recall takes text/plain, as Asterisk's res_pjsip_messaging does)"],
  unreason: [0, "a response matching no transaction: dropped"],
  noreason: [0, "a response matching no transaction: dropped"],
  // §3.1.2 invalid messages: 400 where the parts a response copies are readable, otherwise dropped.
  badinv01: [0, "RFC: 400; its only Via is the malformed one, so no response can be addressed"],
  clerr: [400, "RFC: \"should respond with a 400 Bad Request error\""],
  ncl: [400, "RFC: \"should respond with an error\""],
  scalar02: [0, "RFC: 400 \"due to the CSeq error\"; the CSeq a response must copy is the bad one: dropped"],
  scalarlg: [0, "RFC: \"An element receiving this response will simply discard it\""],
  quotbal: [0, "RFC: 400; the To a response must copy is the bad one: dropped"],
  ltgtruri: [400, "RFC: \"It is reasonable always to reject a request with this error with a 400\""],
  lwsruri: [400, "RFC: \"should respond with a 400 Bad Request\""],
  lwsstart: [400, "RFC: \"It is acceptable to reject this request as malformed\""],
  trws: [400, "RFC: \"It is acceptable to reject this request as malformed\""],
  escruri: [404, "RFC: \"could choose to be liberal in what it accepts and ignore the escaped headers\"; no such extension"],
  baddate: [404, "RFC: could \"ignore this value altogether if it wasn't going to use the Date header field\"; no such extension"],
  regbadct: [200, "RFC: \"could infer the angle brackets since there is no ambiguity\"; registered"],
  badaspec: [0, "RFC: \"reasonable to reject ... with a 400\"; the To a response must copy is the bad one: dropped"],
  baddn: [0, "RFC: \"reasonable always to reject ... with a 400\"; From and To are the bad ones: dropped"],
  badvers: [505, "RFC: \"should respond to the request with a 505 Version Not Supported\""],
  mismatch01: [400, "RFC: \"Any element receiving this request will respond with a 400 Bad Request\""],
  mismatch02: [400, "RFC: 501 preferred, \"A 400 Bad Request is also acceptable\""],
  bigcode: [0, "RFC: \"An element receiving this response should simply drop it\""],
  // §3.2 transaction layer, §3.3 application layer, §3.4 backward compatibility.
  badbranch: [404, "RFC: may \"fall back to the RFC 2543-style transaction identifier\"; handled, no such extension"],
  insuf: [0, "RFC: must not break, ideally 400; no From, To or Call-ID to copy into one: dropped"],
  unkscm: [416, "RFC: \"will reject it with a 416 Unsupported URI Scheme response\""],
  novelsc: [416, "RFC: \"appropriate to treat it as unknown and return a 416\""],
  unksm2: [400, "RFC: \"A registrar would reject this request with a 400 Bad Request response\""],
  bext01: [420, "RFC: \"Any element receiving this request will respond with a 420 Bad Extension\""],
  invut: [415, "RFC: \"An endpoint receiving this request would reject it with a 415\""],
  regaut01: [404, "RFC: a registrar may \"ignore the Authorization header field\"; no such AOR"],
  multi01: [400, "RFC: \"would respond with a 400 Bad Request error\""],
  mcl01: [400, "RFC: \"should respond with an error\""],
  bcast: [0, "RFC: \"an endpoint receiving this message should simply discard it\""],
  zeromf: [404, "RFC: an endpoint processes it \"as if the Max-Forwards field value were still positive\" (not 483)"],
  cparam01: [200, "RFC: \"This REGISTER should succeed\""],
  cparam02: [200, "RFC: \"The register should succeed\""],
  regescrt: [200, "RFC: \"The register should succeed\""],
  sdp01: [404, "RFC: \"could respond with a 406\"; Recall does not look at Accept: no such extension"],
  inv2543: [404, "RFC: \"should be accepted by RFC 3261 elements that want to maintain backwards compatibility\"; no such extension"],
};

const header = (a: Answer, name: string) => new RegExp(`^${name}:\\s*(.*)\\r$`, "mi").exec(a.text)?.[1];

for (const name of Object.keys(RFC4475) as Rfc4475Name[]) {
  const [status, why] = EXPECT[name];
  test(`${RFC4475[name].section} ${name} (${RFC4475[name].title}): ${status || "no answer"}: ${why}`, async () => {
    const bytes = wire(name);
    if (name === "cparam02") await unregisterAll("watson");
    const a = await deliver(name, bytes, status === 0 ? 1500 : 8000);
    assert.equal(a.status, status, `${name}: ${a.text.split("\r\n")[0] || "no answer"}`);
    switch (name) {
      case "intmeth":
      case "esc02":
        assert.match(header(a, "Allow") ?? "", /INVITE/);
        break;
      case "dblreq":
        assert.deepEqual(answersTo("dblreq.0ha0isnda977644900765@192.0.2.15"), [], "the octets after the REGISTER are not a request");
        break;
      case "bext01":
        assert.equal(header(a, "Unsupported"), "nothingSupportsThis, nothingSupportsThisEither", "the Require tags (Recall answers as a UAS)");
        break;
      case "cparam01":
        assert.match(a.text, /^Contact: <sip:\+19725552222@gw1\.example\.net>;expires=\d+\r$/m, "unknownparam is a contact-param, not part of the binding");
        break;
      case "cparam02":
        assert.match(a.text, /^Contact: <sip:\+19725552222@gw1\.example\.net;unknownparam>;expires=\d+\r$/m, "unknownparam is a url-parameter of the binding");
        break;
      case "regescrt":
        assert.match(a.text, /^Contact: <sip:user@example\.com\?Route=%3Csip:sip\.example\.com%3E>;expires=\d+\r$/m, "the escaped Route stays in the binding");
        break;
    }
    await alive(name);
  });
}

test("no channel is left, and no message caused an internal error", async () => {
  assert.match(await recall.cli("core show channels"), /0 active channels/);
  assert.doesNotMatch(messages(recall.dataDir), /Error handling a message|TypeError|RangeError/);
});
