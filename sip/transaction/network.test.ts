/**
 * Transactions over real sockets on 127.0.0.1: our UAC against our UAS over UDP and
 * TCP, Timer A driven by a VirtualClock over a real UDP socket, and sipp (Debian
 * `sip-tester`) against us in both directions.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Clock, SystemClock, VirtualClock } from "../../core/clock.js";
import { SeededRandom, SystemRandom } from "../../core/random.js";
import { type SipResponse } from "../message/index.js";
import { TransportLayer } from "../transport/index.js";
import { TransactionLayer } from "./layer.js";
import { makeRequest, rawRequest } from "./test-support.js";
import { tempDir } from "../../core/reap.js";

const layers: TransactionLayer[] = [];
after(async () => {
  for (const l of layers) l.close();
  await Promise.all(layers.map((l) => l.transports.stop()));
});

async function endpoint(clock: Clock = new SystemClock()): Promise<{ layer: TransactionLayer; udp: number; tcp: number }> {
  const random = new SystemRandom();
  const transports = TransportLayer.create([
    { name: "udp", protocol: "udp", bind: { host: "127.0.0.1", port: 0 } },
    { name: "tcp", protocol: "tcp", bind: { host: "127.0.0.1", port: 0 } },
  ], { random });
  await transports.start();
  const layer = new TransactionLayer({ transports, clock, random });
  layers.push(layer);
  return { layer, udp: transports.find("udp")!.local.port, tcp: transports.find("tcp")!.local.port };
}

/** A minimal UAS: INVITE → 180, 200; BYE and the rest → 200. Counts what it saw. */
function tinyUas(layer: TransactionLayer, port: () => number) {
  const seen = { invites: 0, acks: 0, byes: 0, others: 0 };
  layer.onRequest((tx) => {
    if (tx.method === "INVITE") {
      seen.invites++;
      tx.respond(180);
      tx.respond(200, { headers: [["Contact", `<sip:uas@127.0.0.1:${port()}>`]] });
    } else {
      if (tx.method === "BYE") seen.byes++;
      else seen.others++;
      tx.respond(200);
    }
  });
  layer.onAck((_ack, _source, invite) => { if (invite) seen.acks++; });
  return seen;
}

function finalOf(send: (handlers: { onFinal: (r: SipResponse) => void; onTimeout: () => void; onTransportError: (e: Error) => void }) => void): Promise<SipResponse> {
  return new Promise((resolve, reject) => send({
    onFinal: resolve, onTimeout: () => reject(new Error("timeout")), onTransportError: reject,
  }));
}

/** One call from our UAC: INVITE, ACK of the 2xx (to its Contact), BYE. */
async function call(uac: TransactionLayer, destination: { host: string; port: number; protocol: "udp" | "tcp" }, callId: string): Promise<number[]> {
  const statuses: number[] = [];
  const invite = makeRequest("INVITE", `sip:service@${destination.host}:${destination.port}`, {
    callId, fromTag: "uac" + callId, headers: [["Contact", "<sip:uac@127.0.0.1>"], ["Content-Type", "application/sdp"]],
    body: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n",
  });
  const ok = await finalOf((h) => uac.sendRequest(invite, destination, {
    ...h,
    onProvisional: (r) => statuses.push(r.status),
    onFinal: (r, tx) => {
      statuses.push(r.status);
      if (r.status < 300) {
        const remote = (r.contacts() as Array<{ uri: { host: string; port?: number } }>)[0].uri;
        const target = `sip:${remote.host}:${remote.port ?? 5060}`;
        tx.ack(makeRequest("ACK", target, { callId, fromTag: "uac" + callId, toTag: r.toTag, to: `<sip:service@${destination.host}>`, seq: 1 }), destination);
      }
      h.onFinal(r);
    },
  }));
  const bye = makeRequest("BYE", `sip:service@${destination.host}:${destination.port}`, {
    callId, fromTag: "uac" + callId, toTag: ok.toTag, to: `<sip:service@${destination.host}>`, seq: 2,
  });
  const byeOk = await finalOf((h) => uac.sendRequest(bye, destination, h));
  statuses.push(byeOk.status);
  return statuses;
}

describe("transactions over sockets", () => {
  for (const protocol of ["udp", "tcp"] as const) {
    it(`runs OPTIONS and a whole call over ${protocol.toUpperCase()}`, async () => {
      const uas = await endpoint();
      const uac = await endpoint();
      const seen = tinyUas(uas.layer, () => uas[protocol]);
      const destination = { host: "127.0.0.1", port: uas[protocol], protocol };
      const options = await finalOf((h) => uac.layer.sendRequest(makeRequest("OPTIONS", "sip:127.0.0.1"), destination, h));
      assert.equal(options.status, 200);
      assert.deepEqual(await call(uac.layer, destination, "c-" + protocol), [180, 200, 200], "180 and 200 to the INVITE, 200 to the BYE");
      for (let i = 0; i < 100 && seen.acks === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(seen, { invites: 1, acks: 1, byes: 1, others: 1 });
      assert.equal(uac.layer.stats.requestRetransmissionsOut, 0);
      if (protocol === "tcp") {
        assert.equal(uac.layer.transports.transportStats().connectionsOpened, 1, "one connection for everything");
        assert.equal(uas.layer.transports.transportStats().connectionsOpened, 0, "responses and ACK came back on it");
      }
    });
  }

  it("reports a refused TCP connection as a transport error", async () => {
    const uac = await endpoint();
    const closed = await freePort();
    const error = await new Promise<Error>((resolve, reject) => uac.layer.sendRequest(makeRequest("OPTIONS", "sip:127.0.0.1"),
      { host: "127.0.0.1", port: closed, protocol: "tcp" }, { onTransportError: resolve, onFinal: () => reject(new Error("answered")) }));
    assert.match(error.message, /ECONNREFUSED|closed/);
    assert.equal(uac.layer.clientTransactions, 0);
    assert.equal(uac.layer.stats.transportErrors, 1);
  });

  it("answers a retransmission that comes on a new TCP connection on that connection, not by reconnecting", async () => {
    const uas = await endpoint();
    uas.layer.onRequest((tx) => tx.respond(486));
    const invite = rawRequest("INVITE", "sip:bob@127.0.0.1", "SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKre1", { callId: "re1" });
    const exchange = (close: boolean) => new Promise<string>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: uas.tcp });
      let data = "";
      socket.on("error", reject);
      socket.on("data", (d) => {
        data += d.toString("latin1");
        if (!data.includes("486 Busy Here")) return;
        if (close) socket.destroy();
        else after(() => socket.destroy());
        resolve(data);
      });
      socket.write(invite);
    });
    assert.match(await exchange(true), /^SIP\/2\.0 486 Busy Here\r\n/);
    assert.match(await exchange(false), /^SIP\/2\.0 486 Busy Here\r\n/);
    assert.equal(uas.layer.stats.requestsIn, 1);
    assert.equal(uas.layer.stats.requestRetransmissionsIn, 1);
    assert.equal(uas.layer.transports.transportStats().connectionsOpened, 0);
  });

  it("retransmits an INVITE over a real UDP socket when the VirtualClock says so (Timer A), and stops at a 100", async () => {
    const clock = new VirtualClock(0);
    const random = new SeededRandom(5);
    const transports = TransportLayer.create([{ name: "udp", protocol: "udp", bind: { host: "127.0.0.1", port: 0 } }], { random });
    await transports.start();
    const uac = new TransactionLayer({ transports, clock, random });
    layers.push(uac);
    const peer = createSocket("udp4");
    const got: Buffer[] = [];
    peer.on("message", (m) => got.push(m));
    await new Promise<void>((r) => peer.bind(0, "127.0.0.1", r));
    after(() => peer.close());
    const settle = () => new Promise((r) => setTimeout(r, 40));
    uac.sendRequest(makeRequest("INVITE", "sip:bob@127.0.0.1"), { host: "127.0.0.1", port: peer.address().port });
    await settle();
    assert.equal(got.length, 1);
    clock.advance(499_000);
    await settle();
    assert.equal(got.length, 1, "not before T1");
    clock.advance(1_000);
    await settle();
    assert.equal(got.length, 2, "at T1");
    clock.advance(1_000_000);
    await settle();
    assert.equal(got.length, 3, "2*T1 later");
    assert.ok(got[2].equals(got[0]), "the same bytes");
    const invite = got[0].toString("latin1");
    const header = (name: string) => new RegExp(`\r\n${name}: ([^\r]*)`).exec(invite)![1];
    peer.send(Buffer.from(["SIP/2.0 100 Trying", `Via: ${header("Via")}`, `From: ${header("From")}`, `To: ${header("To")}`,
      `Call-ID: ${header("Call-ID")}`, `CSeq: ${header("CSeq")}`, "Content-Length: 0", "", ""].join("\r\n")), transports.find("udp")!.local.port, "127.0.0.1");
    await settle();
    clock.advance(10_000_000);
    await settle();
    assert.equal(got.length, 3, "no retransmission once proceeding");
  });
});

const sippAvailable = spawnSync("sipp", ["-v"]).status !== null;

function runSipp(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("sipp", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => { output += d; });
    child.stderr.on("data", (d) => { output += d; });
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** A free UDP port on 127.0.0.1 (for sipp's own socket). */
async function freePort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function errorsOf(dir: string): string {
  return readdirSync(dir).filter((f) => f.endsWith("_errors.log")).map((f) => readFileSync(join(dir, f), "latin1")).join("\n");
}

describe("sipp", { skip: !sippAvailable && "sipp is not installed (apt-get install sip-tester)" }, () => {
  const dir = tempDir("recall-sipp-");
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [transport, flag] of [["udp", "u1"], ["tcp", "t1"]] as const) {
    it(`sipp's uac scenario completes 20 calls against a UAS on our layer over ${transport.toUpperCase()}`, async () => {
      const uas = await endpoint();
      const seen = tinyUas(uas.layer, () => uas[transport]);
      const result = await runSipp([
        "-sn", "uac", `127.0.0.1:${uas[transport]}`, "-t", flag, "-i", "127.0.0.1", "-p", String(await freePort()),
        "-m", "20", "-r", "20", "-l", "20", "-trace_err", "-nostdin", "-timeout", "30s", "-timeout_error",
      ], dir);
      assert.equal(result.code, 0, `sipp failed:\n${result.output.slice(-2000)}\n${errorsOf(dir)}`);
      assert.deepEqual(seen, { invites: 20, acks: 20, byes: 20, others: 0 });
      assert.equal(uas.layer.stats.responseRetransmissionsOut, 0, "every 200 was ACKed at once");
    });
  }

  it("our UAC completes calls against sipp's uas scenario", async () => {
    const port = await freePort();
    const sipp = runSipp(["-sn", "uas", "-i", "127.0.0.1", "-p", String(port), "-m", "5", "-trace_err", "-nostdin", "-timeout", "30s", "-timeout_error"], dir);
    await new Promise((r) => setTimeout(r, 300));
    const uac = await endpoint();
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await call(uac.layer, { host: "127.0.0.1", port, protocol: "udp" }, `sipp-${i}`), [180, 200, 200]);
    }
    const result = await sipp;
    assert.equal(result.code, 0, `sipp failed:\n${result.output.slice(-2000)}\n${errorsOf(dir)}`);
  });
});
