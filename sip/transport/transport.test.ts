/** UDP and TCP transports on real sockets (127.0.0.1, port 0), and the transport layer's routing rules. */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Socket as UdpSocket, createSocket } from "node:dgram";
import { type Socket, connect, createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { SeededRandom } from "../../core/random.js";
import { type SipRequest, buildResponse, parseLimits, parseMessage } from "../message/index.js";
import { rawRequest } from "../transaction/test-support.js";
import { Advertiser } from "./address.js";
import { type MessageHandler, TransportLayer } from "./layer.js";
import { type Source, type TransportLimits, TransportError } from "./types.js";

const layers: TransportLayer[] = [];
after(async () => { await Promise.all(layers.map((l) => l.stop())); });

interface Received { request: SipRequest; source: Source }

/** A layer on 127.0.0.1 with UDP and TCP on free ports, recording requests and answering each with `status` unless told not to. */
async function serve(options: { forceRport?: boolean; status?: number; limits?: Partial<TransportLimits>; host?: string } = {}) {
  const host = options.host ?? "127.0.0.1";
  const layer = TransportLayer.create(
    [{ name: "udp", protocol: "udp", bind: { host, port: 0 } }, { name: "tcp", protocol: "tcp", bind: { host, port: 0 } }],
    { random: new SeededRandom(3), forceRport: options.forceRport, limits: options.limits },
  );
  layers.push(layer);
  const requests: Received[] = [];
  const handler: MessageHandler = {
    request: (request, source) => {
      requests.push({ request, source });
      if (options.status) layer.sendResponse(buildResponse(request, options.status, { toTag: "srv" }), source);
    },
    response: () => {},
  };
  layer.setHandler(handler);
  await layer.start();
  return { layer, requests, udpPort: layer.find("udp")!.local.port, tcpPort: layer.find("tcp")!.local.port };
}

/** A UDP socket that collects what it receives. */
async function udpPeer(host = "127.0.0.1"): Promise<{ socket: UdpSocket; port: number; got: string[]; send(text: string | Buffer, port: number): void; next(ms?: number): Promise<string> }> {
  const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
  const got: string[] = [];
  const waiters: Array<(s: string) => void> = [];
  socket.on("message", (m) => {
    const text = m.toString("latin1");
    got.push(text);
    waiters.shift()?.(text);
  });
  await new Promise<void>((r) => socket.bind(0, host, r));
  after(() => socket.close());
  return {
    socket, got, port: socket.address().port,
    send: (text, port) => socket.send(typeof text === "string" ? Buffer.from(text, "latin1") : text, port, host),
    next: (ms = 2000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no datagram within " + ms + " ms")), ms);
      waiters.push((s) => { clearTimeout(timer); resolve(s); });
    }),
  };
}

/** A TCP client collecting everything it reads. */
async function tcpPeer(port: number): Promise<{ socket: Socket; data: () => string; closed: Promise<void>; until(pred: (s: string) => boolean, ms?: number): Promise<string> }> {
  const socket = connect({ host: "127.0.0.1", port, noDelay: true });
  let data = "";
  const listeners: Array<() => void> = [];
  socket.on("data", (chunk) => { data += chunk.toString("latin1"); for (const l of [...listeners]) l(); });
  socket.on("error", () => {});
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  await new Promise<void>((r) => socket.once("connect", () => r()));
  after(() => socket.destroy());
  return {
    socket, data: () => data, closed,
    until: (pred, ms = 2000) => new Promise((resolve, reject) => {
      const check = () => {
        if (!pred(data)) return;
        clearTimeout(timer);
        listeners.splice(listeners.indexOf(check), 1);
        resolve(data);
      };
      const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(data.slice(0, 300))}`)), ms);
      listeners.push(check);
      check();
    }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("UDP", () => {
  it("delivers a request with its source, stamps received and rport, and answers at the source port", async () => {
    const { requests, udpPort } = await serve({ forceRport: false, status: 200 });
    const peer = await udpPeer();
    peer.send(rawRequest("OPTIONS", "sip:127.0.0.1", "SIP/2.0/UDP 192.0.2.7:5099;rport;branch=z9hG4bKa1"), udpPort);
    const answer = await peer.next();
    assert.equal(requests.length, 1);
    const { request, source } = requests[0];
    assert.deepEqual([source.protocol, source.host, source.port, source.transport.name], ["udp", "127.0.0.1", peer.port, "udp"]);
    assert.equal(request.via.params.get("received"), "127.0.0.1");
    assert.equal(request.via.params.get("rport"), String(peer.port));
    assert.match(answer, new RegExp(`^SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.7:5099;rport=${peer.port};branch=z9hG4bKa1;received=127.0.0.1\r\n`));
  });

  it("without rport answers at `received` and the Via port (RFC 3261 §18.2.2); force_rport answers at the source port", async () => {
    const strict = await serve({ forceRport: false, status: 200 });
    const sender = await udpPeer();
    const viaPort = await udpPeer();
    sender.send(rawRequest("OPTIONS", "sip:127.0.0.1", `SIP/2.0/UDP 192.0.2.7:${viaPort.port};branch=z9hG4bKb1`), strict.udpPort);
    const atViaPort = await viaPort.next();
    assert.match(atViaPort, /received=127\.0\.0\.1/);
    assert.doesNotMatch(atViaPort, /rport/);
    assert.equal(sender.got.length, 0);

    const forced = await serve({ status: 200 });
    sender.send(rawRequest("OPTIONS", "sip:127.0.0.1", `SIP/2.0/UDP 192.0.2.7:${viaPort.port};branch=z9hG4bKb2`), forced.udpPort);
    const atSource = await sender.next();
    assert.match(atSource, new RegExp(`;branch=z9hG4bKb2;received=127\\.0\\.0\\.1;rport=${sender.port}\r\n`));
  });

  it("adds nothing to a Via that names the source address, without rport", async () => {
    const { requests, udpPort } = await serve({ forceRport: false, status: 200 });
    const peer = await udpPeer();
    peer.send(rawRequest("OPTIONS", "sip:127.0.0.1", `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKc1`), udpPort);
    await peer.next();
    assert.equal(requests[0].request.get("Via"), `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKc1`);
  });

  it("answers malformed requests 400 (with a Warning), drops malformed responses, garbage, malformed ACKs and what cannot be answered", async () => {
    const { layer, requests, udpPort } = await serve();
    const peer = await udpPeer();
    const via = "SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad1";
    peer.send(rawRequest("INVITE", "sip:bob@127.0.0.1", via, { callId: "bad-1", body: "v=0\r\n", contentLength: "50" }), udpPort);
    const answer = await peer.next();
    const response = parseMessage(Buffer.from(answer, "latin1"));
    assert.ok(!response.isRequest);
    assert.equal(response.status, 400);
    assert.equal(response.callId, "bad-1");
    assert.equal(response.via.params.get("branch"), "z9hG4bKbad1");
    assert.equal(response.cseq.method, "INVITE");
    assert.ok(response.toTag, "a To tag");
    assert.match(response.get("Warning")!, /^399 recall "Content-Length 50 is larger than the 5 bytes received"$/);

    peer.send("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKr\r\nCSeq: x\r\n\r\n", udpPort);
    peer.send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0d, 0x0a, 0x0d, 0x0a]), udpPort);
    peer.send(rawRequest("ACK", "sip:bob@127.0.0.1", via, { contentLength: "99" }), udpPort);
    peer.send(rawRequest("OPTIONS", "sip:127.0.0.1", via, { contentLength: "99" }).replace(/Call-ID: [^\r]*\r\n/, ""), udpPort);
    peer.send("\r\n\r\n", udpPort);
    peer.send(rawRequest("OPTIONS", "sip:127.0.0.1", "SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKgood"), udpPort);
    await sleep(150);
    assert.equal(peer.got.length, 1, "only the first message was answered");
    assert.equal(requests.length, 1, "the well-formed OPTIONS went through");
    assert.deepEqual(
      { ...layer.stats },
      { requestsIn: 1, responsesIn: 0, malformedRequests: 3, badRequestsAnswered: 1, malformedResponses: 1, malformedOther: 1, unroutable: 0, internalErrors: 0 },
    );
  });

  it("answers 513 to a request over the size limit", async () => {
    const { udpPort } = await serve({ limits: { parse: parseLimits({ maxMessageSize: 1000 }) } });
    const peer = await udpPeer();
    peer.send(rawRequest("MESSAGE", "sip:bob@127.0.0.1", "SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbig", { body: "x".repeat(2000) }), udpPort);
    assert.match(await peer.next(), /^SIP\/2\.0 513 Message Too Large\r\n/);
  });

  it("works over IPv6", { skip: !Object.values(networkInterfaces()).flat().some((i) => i?.address === "::1") }, async () => {
    const { requests, udpPort } = await serve({ host: "::1", status: 200 });
    const peer = await udpPeer("::1");
    peer.send(rawRequest("OPTIONS", "sip:[::1]", "SIP/2.0/UDP [::1]:9;branch=z9hG4bKv6"), udpPort);
    const answer = await peer.next();
    assert.match(answer, /^SIP\/2\.0 200 OK\r\nVia: SIP\/2\.0\/UDP \[::1\]:9;branch=z9hG4bKv6;received=::1;rport=\d+\r\n/);
    assert.equal(requests[0].source.host, "::1");
  });
});

describe("TCP", () => {
  it("reassembles a request written byte by byte, answers on the same connection, and pongs keep-alives", async () => {
    const { requests, tcpPort } = await serve({ status: 200 });
    const peer = await tcpPeer(tcpPort);
    const request = rawRequest("REGISTER", "sip:127.0.0.1", "SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKt1", { body: "hello", headers: [["Content-Type", "text/plain"]] });
    for (const byte of Buffer.from(request, "latin1")) {
      peer.socket.write(Buffer.from([byte]));
      if (byte === 0x0a) await sleep(1);
    }
    await peer.until((d) => d.includes("SIP/2.0 200 OK"));
    assert.equal(requests.length, 1);
    assert.equal(requests[0].request.body.toString(), "hello");
    assert.equal(requests[0].source.port, peer.socket.localPort);
    assert.ok(requests[0].source.connection?.open);

    // Two requests and a ping in one write, then a ping alone.
    const two = rawRequest("OPTIONS", "sip:127.0.0.1", "SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKt2") + "\r\n\r\n" +
      rawRequest("OPTIONS", "sip:127.0.0.1", "SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKt3");
    peer.socket.write(two);
    await peer.until((d) => d.split("SIP/2.0 200 OK").length === 4);
    const before = peer.data().length;
    peer.socket.write("\r\n\r\n");
    await peer.until((d) => d.length > before);
    assert.equal(peer.data().slice(before), "\r\n", "RFC 5626 pong");
    assert.equal(requests.length, 3);
  });

  it("answers a stream that lost its framing with 400 and closes it", async () => {
    const { layer, tcpPort } = await serve({ status: 200 });
    const peer = await tcpPeer(tcpPort);
    peer.socket.write(rawRequest("OPTIONS", "sip:127.0.0.1", "SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKnolen", { contentLength: "" }));
    await peer.closed;
    assert.match(peer.data(), /^SIP\/2\.0 400 Bad Request\r\n[^]*Warning: 399 recall "Content-Length is required on a stream"/);
    assert.equal(layer.transportStats().framingErrors, 1);
  });

  it("reuses one connection for requests to a peer, and a connection the peer opened to reach it", async () => {
    const { layer, requests, tcpPort } = await serve();
    let accepted = 0;
    let received = "";
    const server = createServer((s) => { accepted++; s.on("data", (d) => { received += d.toString("latin1"); }); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    after(() => server.close());
    const port = (server.address() as { port: number }).port;
    const route = layer.route({ host: "127.0.0.1", port, protocol: "tcp" });
    assert.equal(route.transport.name, "tcp");
    assert.deepEqual(route.sentBy, { host: "127.0.0.1", port: tcpPort });
    layer.send(Buffer.from("OPTIONS one\r\n"), route);
    layer.send(Buffer.from("OPTIONS two\r\n"), route);
    for (let i = 0; i < 100 && !received.includes("two"); i++) await sleep(10);
    assert.equal(received, "OPTIONS one\r\nOPTIONS two\r\n");
    assert.equal(accepted, 1);

    const phone = await tcpPeer(tcpPort);
    phone.socket.write(rawRequest("REGISTER", "sip:127.0.0.1", "SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKreg"));
    for (let i = 0; i < 100 && requests.length === 0; i++) await sleep(10);
    layer.send(Buffer.from("NOTIFY over the phone's connection\r\n"), layer.route({ host: "127.0.0.1", port: phone.socket.localPort!, protocol: "tcp" }));
    await phone.until((d) => d.includes("NOTIFY over the phone's connection"));
    assert.equal(layer.transportStats().connectionsOpened, 1, "no new connection for the phone");
  });

  it("limits connections per source and closes a connection that sends nothing", async () => {
    const { layer, tcpPort } = await serve({ limits: { maxConnectionsPerSource: 2, firstMessageTimeoutMs: 200 } });
    const a = await tcpPeer(tcpPort);
    const b = await tcpPeer(tcpPort);
    const c = await tcpPeer(tcpPort);
    const started = Date.now();
    await c.closed;
    assert.ok(Date.now() - started < 150, "the third connection is refused at once");
    await Promise.all([a.closed, b.closed]);
    assert.ok(Date.now() - started >= 150, "the others after the first-message timeout");
    for (let i = 0; i < 50 && layer.transportStats().connectionsOpen > 0; i++) await sleep(5);
    const stats = layer.transportStats();
    assert.equal(stats.connectionsRejected, 1);
    assert.equal(stats.connectionsTimedOut, 2);
    assert.equal(stats.connectionsOpen, 0);
  });
});

describe("routing and addresses", () => {
  it("refuses to start on a port in use, naming the transport", async () => {
    const { udpPort } = await serve();
    const clash = TransportLayer.create([{ name: "clash", protocol: "udp", bind: { host: "127.0.0.1", port: udpPort } }], { random: new SeededRandom(1) });
    await assert.rejects(clash.start(), (e: Error) => e instanceof TransportError && /transport 'clash'.*EADDRINUSE/.test(e.message));
  });

  it("selects a transport by name, protocol and address family", () => {
    const layer = TransportLayer.create([
      { name: "v4", protocol: "udp", bind: { host: "0.0.0.0", port: 5060 } },
      { name: "v6", protocol: "udp", bind: { host: "::", port: 5060 } },
      { name: "t4", protocol: "tcp", bind: { host: "0.0.0.0", port: 5060 } },
    ], { random: new SeededRandom(1) });
    assert.equal(layer.select({ host: "192.0.2.1" }).name, "v4");
    assert.equal(layer.select({ host: "2001:db8::1" }).name, "v6");
    assert.equal(layer.select({ host: "[2001:db8::1]" }).name, "v6");
    assert.equal(layer.select({ host: "sip.example.com", protocol: "tcp" }).name, "t4");
    assert.equal(layer.select({ host: "192.0.2.1", transport: "v6" }).name, "v6");
    assert.throws(() => layer.select({ host: "2001:db8::1", protocol: "tcp" }), /no TCP transport for 2001:db8::1/);
    assert.throws(() => layer.select({ host: "192.0.2.1", transport: "nope" }), /no transport named 'nope'/);
    assert.throws(() => TransportLayer.create([{ name: "t", protocol: "tls", bind: { host: "0.0.0.0", port: 0 } }], { random: new SeededRandom(1) }), /transport 't': a TLS transport needs cert_file/);
    assert.throws(() => TransportLayer.create([{ name: "b", protocol: "udp", bind: { host: "example.com", port: 0 } }], { random: new SeededRandom(1) }), /bind address 'example\.com' is not an IP address/);
  });

  it("advertises external_signaling_address outside local_net, and the bound address inside", () => {
    const natted = new Advertiser({
      name: "t", protocol: "udp", bind: { host: "192.168.1.10", port: 0 },
      externalSignalingAddress: "198.51.100.5", externalSignalingPort: 15060, localNet: ["192.168.0.0/16", "10.0.0.0/255.0.0.0"],
    }, 4);
    natted.bound(5060);
    assert.deepEqual(natted.advertised("203.0.113.9"), { host: "198.51.100.5", port: 15060 });
    assert.deepEqual(natted.advertised("sip.provider.example"), { host: "198.51.100.5", port: 15060 });
    assert.deepEqual(natted.advertised("192.168.7.7"), { host: "192.168.1.10", port: 5060 });
    assert.deepEqual(natted.advertised("10.1.2.3"), { host: "192.168.1.10", port: 5060 });

    const noLocalNet = new Advertiser({ name: "t", protocol: "udp", bind: { host: "192.168.1.10", port: 0 }, externalSignalingAddress: "198.51.100.5" }, 4);
    noLocalNet.bound(5070);
    assert.deepEqual(noLocalNet.advertised("192.168.1.20"), { host: "198.51.100.5", port: 5070 }, "without local_net every destination is external");

    const wildcard = new Advertiser({ name: "t", protocol: "udp", bind: { host: "0.0.0.0", port: 0 } }, 4);
    wildcard.bound(5080);
    assert.deepEqual(wildcard.advertised("127.0.0.1"), { host: "127.0.0.1", port: 5080 });
    assert.notEqual(wildcard.advertised("203.0.113.9").host, "0.0.0.0", "a real interface address");
    assert.throws(() => new Advertiser({ name: "t", protocol: "udp", bind: { host: "0.0.0.0", port: 0 }, localNet: ["10.0.0.0/33"] }, 4), /transport 't': bad local_net '10\.0\.0\.0\/33'/);
  });

  it("routes responses by Via when there is no source: received/rport, maddr, sent-by, default port", () => {
    const layer = TransportLayer.create([{ name: "u", protocol: "udp", bind: { host: "127.0.0.1", port: 0 } }], { random: new SeededRandom(1) });
    const target = (via: string) => {
      const r = layer.responseTarget(parseMessage(Buffer.from(`SIP/2.0 200 OK\r\nVia: ${via}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n`)).via);
      return r && `${r.transport.name} ${r.host}:${r.port}`;
    };
    assert.equal(target("SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1;received=198.51.100.1;rport=3333"), "u 198.51.100.1:3333");
    assert.equal(target("SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1;received=198.51.100.1"), "u 198.51.100.1:5070");
    assert.equal(target("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;maddr=239.1.1.1"), "u 239.1.1.1:5060");
    assert.equal(target("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1"), "u 192.0.2.1:5060");
    assert.equal(target("SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1"), undefined, "no TCP transport");
  });
});
