/**
 * SIP parser benchmark: messages per second on one core for parse, serialize, and
 * parse+serialize, over a mix of typical REGISTER, INVITE and 200 OK messages
 * (500-900 bytes), against the target of 200,000 messages/s.
 *
 *   node dist/sip/bench/parser.bench.js [seconds per measurement, default 2]
 */
import { type SipMessage, parseMessage, serializeMessage } from "../message/index.js";

const TARGET = 200_000;

const SDP = [
  "v=0", "o=- 3912340213 3912340213 IN IP4 192.0.2.10", "s=Recall", "c=IN IP4 192.0.2.10", "t=0 0",
  "m=audio 40000 RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv", "",
].join("\r\n");

function wire(lines: string[], body = ""): Buffer {
  return Buffer.from([...lines, `Content-Length: ${body.length}`, "", body].join("\r\n"), "latin1");
}

/** The messages of a digest-authenticated registration and a call set-up, varied by `i`. */
function sample(i: number): Buffer[] {
  const branch = `z9hG4bK${(0x5f3759df * (i + 1) >>> 0).toString(16)}`;
  const tag = (0x9e3779b9 * (i + 7) >>> 0).toString(16);
  const callId = `${(0x85ebca6b * (i + 3) >>> 0).toString(16)}-${i}@192.0.2.${i % 250}`;
  const user = `${6000 + (i % 1000)}`;
  const via = `Via: SIP/2.0/UDP 192.0.2.${i % 250}:5060;rport;branch=${branch}`;
  const register = wire([
    "REGISTER sip:pbx.example.com SIP/2.0", via, "Max-Forwards: 70",
    `From: <sip:${user}@pbx.example.com>;tag=${tag}`, `To: <sip:${user}@pbx.example.com>`,
    `Call-ID: ${callId}`, "CSeq: 2 REGISTER",
    `Contact: <sip:${user}@192.0.2.${i % 250}:5060;ob>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-00a0c9${(i % 1_000_000).toString(16).padStart(6, "0")}>"`,
    "Expires: 3600", "Allow: INVITE, ACK, CANCEL, BYE, REFER, NOTIFY, OPTIONS, INFO, MESSAGE", "Supported: path, outbound, gruu",
    "User-Agent: Yealink SIP-T46S 66.86.0.15",
    `Authorization: Digest username="${user}", realm="asterisk", nonce="1732516800/8b1cd4f5c0e2d9b7a6f3e1c2d4b5a697", uri="sip:pbx.example.com", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001`,
  ]);
  const invite = wire([
    `INVITE sip:${7000 + (i % 1000)}@pbx.example.com SIP/2.0`, via, "Max-Forwards: 70",
    `From: "Agent ${user}" <sip:${user}@pbx.example.com>;tag=${tag}`, `To: <sip:${7000 + (i % 1000)}@pbx.example.com>`,
    `Call-ID: ${callId}`, "CSeq: 102 INVITE", `Contact: <sip:${user}@192.0.2.${i % 250}:5060>`,
    "Allow: INVITE, ACK, CANCEL, BYE, REFER, NOTIFY, OPTIONS", "Supported: replaces, timer", "Content-Type: application/sdp",
    "User-Agent: Yealink SIP-T46S 66.86.0.15",
  ], SDP);
  const ok = wire([
    "SIP/2.0 200 OK", `${via};received=198.51.100.7`,
    `From: "Agent ${user}" <sip:${user}@pbx.example.com>;tag=${tag}`, `To: <sip:${7000 + (i % 1000)}@pbx.example.com>;tag=as5f1c2d3e`,
    `Call-ID: ${callId}`, "CSeq: 102 INVITE", "Server: Recall PBX", `Contact: <sip:${7000 + (i % 1000)}@203.0.113.5:5060>`,
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE",
    "Supported: replaces, timer", "Content-Type: application/sdp",
  ], SDP);
  return [register, invite, ok];
}

/**
 * Messages per second of `run` (which handles `batch` messages). The machine may be
 * shared, so the rate is given per second of this process's CPU time (one core), and
 * per second of wall-clock time.
 */
function measure(seconds: number, batch: number, run: () => void): { cpu: number; wall: number } {
  for (let i = 0; i < 3; i++) run(); // warm up the JIT
  let count = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    run();
    count += batch;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpu0);
  return { cpu: count / ((cpu.user + cpu.system) / 1e6), wall: count / (Number(now - start) / 1e9) };
}

const seconds = Number(process.argv[2] ?? 2);
const inputs = Array.from({ length: 300 }, (_, i) => sample(i)).flat();
const parsed: SipMessage[] = inputs.map((b) => parseMessage(b));
const sizes = inputs.map((b) => b.length);
let sink = 0;

const results: Array<[string, { cpu: number; wall: number }]> = [
  ["parse", measure(seconds, inputs.length, () => { for (const b of inputs) sink += parseMessage(b).headerFields.length; })],
  ["serialize", measure(seconds, parsed.length, () => { for (const m of parsed) sink += serializeMessage(m).length; })],
  ["parse+serialize", measure(seconds, inputs.length, () => { for (const b of inputs) sink += serializeMessage(parseMessage(b)).length; })],
];

const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(10);
console.log(`SIP parser, ${inputs.length} messages of ${Math.min(...sizes)}-${Math.max(...sizes)} bytes (REGISTER with digest, INVITE with SDP, 200 OK), ${seconds} s per run`);
console.log(`${"".padEnd(16)} ${"msg/s (CPU)".padStart(10)}  ${"vs target".padStart(9)}  ${"msg/s (wall)".padStart(12)}`);
for (const [name, rate] of results) {
  console.log(`${name.padEnd(16)} ${fmt(rate.cpu)}  ${(rate.cpu / TARGET).toFixed(2).padStart(8)}x  ${fmt(rate.wall).padStart(12)}`);
}
console.log(`target: ${TARGET.toLocaleString("en-US")} messages/s parsed and serialized on one core`);
if (sink === 0) console.log("(unreachable)");
