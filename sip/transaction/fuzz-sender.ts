/**
 * The load side of the network fuzz test (fuzz.net.test.ts), run as a child process
 * so that the server under test has a core of its own and its RSS is its own.
 *
 * UDP: fuzz cases go out in windows; after each window a well-formed OPTIONS probe
 * (retransmitted like Timer E until answered) must get its 200, which also tells that
 * the server has read the whole window (one socket each side, so order is kept).
 *
 * TCP: cases are written in random chunks. A mirror StreamFramer fed the same bytes
 * predicts exactly what the server's framer reads, so the sender knows when the
 * server will have closed the stream (lost framing) and how many items the server
 * must have seen. Cases that lose the framing on their own are sent one time in
 * eight (the rest are skipped and counted): otherwise every seventh case would cost a
 * connection. After each window the stream is padded with CRLF until the framer is
 * idle, then a probe OPTIONS must get its 200 on that connection.
 *
 * Non-2xx finals to INVITEs are ACKed, as a client would.
 */
import { createSocket } from "node:dgram";
import { type Socket, connect } from "node:net";
import { SipParseError, type SipResponse, StreamFramer, parseMessage } from "../message/index.js";
import { SipFuzzer } from "../message/fuzz.js";

export interface SenderConfig {
  host: string;
  udpPort: number;
  tcpPort: number;
  udpMessages: number;
  tcpMessages: number;
  seed: number;
  window: number;
}

export interface PhaseReport {
  /** Fuzz cases sent. */
  sent: number;
  /** Generated but not sent: too big for a datagram, or (TCP) one more stream-killing case. */
  skipped: number;
  bytes: number;
  probes: number;
  /** Probes answered after a retransmission (UDP). */
  probesRetransmitted: number;
  probesFailed: number;
  acksSent: number;
  /** Responses received, by status code; 0 counts those our own parser rejects (a Via near the line limit grown by received/rport). */
  statuses: Record<number, number>;
  seconds: number;
  /** TCP: connections the server closed for lost framing (as predicted), connections opened. */
  streamsLost: number;
  connections: number;
  /** TCP: messages and parse errors the server's framer must have produced (probes included). */
  predictedItems: number;
}

export type SenderMessage =
  | { type: "phase-done"; phase: "udp" | "tcp"; report: PhaseReport }
  | { type: "error"; message: string };

const MAX_DATAGRAM = 65_507;
const CRLF_PAD = Buffer.from("\r\n".repeat(40_000), "latin1");

function newReport(): PhaseReport {
  return {
    sent: 0, skipped: 0, bytes: 0, probes: 0, probesRetransmitted: 0, probesFailed: 0, acksSent: 0, statuses: {},
    seconds: 0, streamsLost: 0, connections: 0, predictedItems: 0,
  };
}

function probe(n: number, protocol: "UDP" | "TCP", host: string, port: number): Buffer {
  return Buffer.from([
    `OPTIONS sip:${host}:${port} SIP/2.0`, `Via: SIP/2.0/${protocol} ${host}:9;rport;branch=z9hG4bKprobe${protocol}${n}`,
    "Max-Forwards: 70", "From: <sip:probe@example.com>;tag=probe", `To: <sip:${host}>`, `Call-ID: probe-${protocol}-${n}`,
    "CSeq: 1 OPTIONS", "Content-Length: 0", "", "",
  ].join("\r\n"), "latin1");
}

/** The ACK of a non-2xx final to an INVITE (RFC 3261 §17.1.1.3), built from the response alone. */
function ackFor(response: SipResponse): Buffer | undefined {
  if (response.status < 300 || response.cseq.method !== "INVITE") return undefined;
  try {
    const uri = response.to.uri;
    const target = uri.scheme === "tel" ? "sip:x@example.com" : `sip:${uri.host.includes(":") ? "[" + uri.host + "]" : uri.host}`;
    return Buffer.from([
      `ACK ${target} SIP/2.0`, `Via: ${response.get("Via")}`, "Max-Forwards: 70", `From: ${response.get("From")}`,
      `To: ${response.get("To")}`, `Call-ID: ${response.callId}`, `CSeq: ${response.cseq.seq} ACK`, "Content-Length: 0", "", "",
    ].join("\r\n"), "latin1");
  } catch {
    return undefined;
  }
}

function countStatus(report: PhaseReport, response: SipResponse): void {
  report.statuses[response.status] = (report.statuses[response.status] ?? 0) + 1;
}

async function udpPhase(config: SenderConfig, fuzzer: SipFuzzer): Promise<PhaseReport> {
  const report = newReport();
  const socket = createSocket({ type: "udp4", recvBufferSize: 8 * 1024 * 1024, sendBufferSize: 8 * 1024 * 1024 });
  await new Promise<void>((resolve) => socket.bind(0, config.host, resolve));
  await new Promise<void>((resolve) => socket.connect(config.udpPort, config.host, resolve));
  socket.on("error", () => {});
  let waitingFor = "";
  let answered: (() => void) | undefined;
  socket.on("message", (data) => {
    let response: SipResponse;
    try {
      const m = parseMessage(data);
      if (m.isRequest) return;
      response = m;
    } catch {
      report.statuses[0] = (report.statuses[0] ?? 0) + 1;
      return;
    }
    countStatus(report, response);
    if (response.callId === waitingFor && response.status === 200) answered?.();
    const ack = ackFor(response);
    if (ack) {
      report.acksSent++;
      socket.send(ack);
    }
  });
  const started = process.hrtime.bigint();
  while (report.sent < config.udpMessages) {
    for (let k = 0; k < config.window && report.sent < config.udpMessages;) {
      const c = fuzzer.next();
      if (c.data.length > MAX_DATAGRAM) {
        report.skipped++;
        continue;
      }
      socket.send(c.data);
      report.sent++;
      report.bytes += c.data.length;
      k++;
    }
    const n = report.probes++;
    const message = probe(n, "UDP", config.host, config.udpPort);
    waitingFor = `probe-UDP-${n}`;
    const ok = await new Promise<boolean>((resolve) => {
      let tries = 0;
      const timer = setInterval(() => {
        if (++tries > 25) {
          clearInterval(timer);
          resolve(false);
          return;
        }
        if (tries === 1) report.probesRetransmitted++;
        socket.send(message);
      }, 200);
      answered = () => { clearInterval(timer); resolve(true); };
      socket.send(message);
    });
    answered = undefined;
    if (!ok) report.probesFailed++;
  }
  report.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await new Promise((resolve) => setTimeout(resolve, 200)); // late responses
  socket.close();
  return report;
}

/** Whether a case, alone on a fresh stream and padded, loses the framing. */
function losesFraming(data: Buffer): boolean {
  const framer = new StreamFramer();
  framer.push(data);
  pad(framer, () => {});
  return framer.failed;
}

/** Feed CRLF until the framer holds nothing (or fails); `write` gets the same bytes. Returns the items produced. */
function pad(framer: StreamFramer, write: (b: Buffer) => void): number {
  let items = 0;
  for (let n = 2; framer.buffered > 0 && !framer.failed; n = Math.min(2 * n, CRLF_PAD.length)) {
    const bytes = CRLF_PAD.subarray(0, n);
    write(bytes);
    items += framer.push(bytes).length;
  }
  return items;
}

interface Stream {
  socket: Socket;
  mirror: StreamFramer;
  closed: Promise<void>;
}

async function tcpPhase(config: SenderConfig, fuzzer: SipFuzzer): Promise<PhaseReport> {
  const report = newReport();
  let waitingFor = "";
  let answered: (() => void) | undefined;
  let pendingAcks: Buffer[] = [];

  const open = async (): Promise<Stream> => {
    const socket = connect({ host: config.host, port: config.tcpPort, noDelay: true });
    socket.on("error", () => {});
    const inbound = new StreamFramer();
    socket.on("data", (chunk: Buffer) => {
      for (const item of inbound.push(chunk)) {
        if (item instanceof SipParseError) report.statuses[0] = (report.statuses[0] ?? 0) + 1;
        if (item instanceof SipParseError || item.isRequest) continue;
        countStatus(report, item);
        if (item.callId === waitingFor && item.status === 200) answered?.();
        const ack = ackFor(item);
        if (ack) pendingAcks.push(ack);
      }
    });
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await new Promise<void>((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
    report.connections++;
    return { socket, mirror: new StreamFramer(), closed };
  };
  const write = async (stream: Stream, bytes: Buffer): Promise<void> => {
    if (!stream.socket.write(bytes)) await new Promise((resolve) => stream.socket.once("drain", resolve));
  };
  /** The server closes a stream whose framing is lost: wait for that, then start another. */
  const replace = async (stream: Stream): Promise<Stream> => {
    report.streamsLost++;
    const gone = await Promise.race([stream.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!gone) throw new Error("the server did not close a stream whose framing was lost");
    return open();
  };

  let stream = await open();
  let fatalSeen = 0;
  const started = process.hrtime.bigint();
  while (report.sent < config.tcpMessages) {
    const c = fuzzer.next();
    if (losesFraming(c.data) && fatalSeen++ % 8 !== 0) {
      report.skipped++;
      continue;
    }
    report.sent++;
    report.bytes += c.data.length;
    for (const chunk of fuzzer.chunks(c.data)) {
      await write(stream, chunk);
      report.predictedItems += stream.mirror.push(chunk).length;
      if (stream.mirror.failed) break;
    }
    if (!stream.mirror.failed && report.sent % config.window === 0) {
      const padding: Buffer[] = [];
      report.predictedItems += pad(stream.mirror, (b) => padding.push(b));
      for (const b of padding) await write(stream, b);
      if (!stream.mirror.failed) {
        for (const ack of pendingAcks) report.predictedItems += stream.mirror.push(ack).length;
        for (const ack of pendingAcks) await write(stream, ack);
        report.acksSent += pendingAcks.length;
        pendingAcks = [];
        const n = report.probes++;
        const message = probe(n, "TCP", config.host, config.tcpPort);
        waitingFor = `probe-TCP-${n}`;
        report.predictedItems += stream.mirror.push(message).length;
        const ok = new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 5000);
          answered = () => { clearTimeout(timer); resolve(true); };
        });
        await write(stream, message);
        if (!(await ok)) report.probesFailed++;
        answered = undefined;
      }
    }
    if (stream.mirror.failed) {
      pendingAcks = [];
      stream = await replace(stream);
    }
  }
  report.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await new Promise((resolve) => setTimeout(resolve, 200));
  stream.socket.end();
  await stream.closed;
  return report;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]) as SenderConfig;
  const send = (m: SenderMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  try {
    const fuzzer = new SipFuzzer(config.seed);
    // The parent reads the server's counters between the phases, then says go on.
    const resumed = new Promise<void>((resolve) => process.once("message", () => resolve()));
    await send({ type: "phase-done", phase: "udp", report: await udpPhase(config, fuzzer) });
    await resumed;
    await send({ type: "phase-done", phase: "tcp", report: await tcpPhase(config, fuzzer) });
  } catch (e) {
    await send({ type: "error", message: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
  process.disconnect();
}

if (process.send) void main();
