/**
 * SIP over WebSocket (RFC 7118) with the `ws` library as the client, on a plain
 * node:http server that hands its upgrades to the transport (as the HTTP server of
 * http.conf does in `recall start`): registration-shaped traffic, Contact rewriting,
 * requests back over the client's connection, the subprotocol check, and floods.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { WebSocket } from "ws";
import { SeededRandom } from "../../core/random.js";
import { type SipRequest, buildResponse } from "../message/index.js";
import { rawRequest } from "../transaction/test-support.js";
import { TransportLayer } from "./layer.js";
import type { Source, TransportLimits } from "./types.js";
import type { WebSocketTransport } from "./websocket.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => { for (const c of cleanups) await c(); });

async function serveWs(limits: Partial<TransportLimits> = {}) {
  const layer = TransportLayer.create([{ name: "ws", protocol: "ws", bind: { host: "127.0.0.1", port: 0 } }], { random: new SeededRandom(7), limits });
  const requests: Array<{ request: SipRequest; source: Source }> = [];
  layer.setHandler({
    request: (request, source) => {
      requests.push({ request, source });
      layer.sendResponse(buildResponse(request, 200, { toTag: "srv" }), source);
    },
    response: () => {},
  });
  await layer.start();
  const transport = layer.webSocket(false) as WebSocketTransport;
  const http = createServer((_req, res) => res.writeHead(404).end());
  http.on("upgrade", (req, socket, head) => transport.upgrade(req, socket, head));
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const port = (http.address() as { port: number }).port;
  transport.served({ host: "127.0.0.1", port });
  cleanups.push(() => layer.stop(), () => new Promise<void>((r) => http.close(() => r())));
  return { layer, transport, requests, port };
}

/** A WebSocket client speaking `protocols`, collecting what it reads. */
function client(port: number, protocols: string[] = ["sip"]): Promise<{ ws: WebSocket; got: string[]; next(ms?: number): Promise<string>; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, protocols);
    const got: string[] = [];
    const waiters: Array<(s: string) => void> = [];
    ws.on("message", (data) => {
      const text = data.toString();
      got.push(text);
      waiters.shift()?.(text);
    });
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    cleanups.push(() => ws.terminate());
    ws.once("error", reject);
    ws.once("open", () => {
      ws.off("error", reject);
      ws.on("error", () => {});
      resolve({
        ws, got, closed,
        next: (ms = 3000) => new Promise((res, rej) => {
          const timer = setTimeout(() => rej(new Error(`no message within ${ms} ms`)), ms);
          waiters.push((s) => { clearTimeout(timer); res(s); });
        }),
      });
    });
  });
}

const register = (branch: string) => rawRequest("REGISTER", "sip:127.0.0.1", `SIP/2.0/WS df7jal23ls0d.invalid;branch=${branch}`, {
  headers: [["Contact", "<sip:kj3h4@df7jal23ls0d.invalid;transport=ws>;expires=300"]],
});

describe("WebSocket", () => {
  it("takes one SIP message per WebSocket message, answers over the connection, and rewrites a ws Contact to the connection's address", async () => {
    const { layer, requests, port } = await serveWs();
    const phone = await client(port);
    assert.equal(phone.ws.protocol, "sip");
    const answer = phone.next();
    phone.ws.send(register("z9hG4bKws1"));
    assert.match(await answer, /^SIP\/2\.0 200 OK\r\nVia: SIP\/2\.0\/WS df7jal23ls0d\.invalid;branch=z9hG4bKws1;received=127\.0\.0\.1;rport=\d+\r\n/);
    assert.equal(requests.length, 1);
    const { request, source } = requests[0];
    assert.equal(source.protocol, "ws");
    assert.equal(request.get("Contact"), `<sip:kj3h4@127.0.0.1:${source.port};transport=ws>;expires=300`);

    // A request to the rewritten contact goes back over the client's connection.
    const route = layer.route({ host: "127.0.0.1", port: source.port, protocol: "ws" });
    assert.deepEqual(route.sentBy, { host: "127.0.0.1", port });
    const notify = phone.next();
    layer.send(Buffer.from("OPTIONS sip:kj3h4@127.0.0.1 SIP/2.0\r\n\r\n"), route);
    assert.equal(await notify, "OPTIONS sip:kj3h4@127.0.0.1 SIP/2.0\r\n\r\n");

    // CRLF keep-alives are ignored; once the client is gone, sending there fails.
    phone.ws.send("\r\n\r\n");
    phone.ws.close();
    await phone.closed;
    await sleep(50);
    const errors: Error[] = [];
    layer.send(Buffer.from("OPTIONS again\r\n"), route, (e) => errors.push(e));
    await sleep(10);
    assert.match(errors[0]?.message ?? "", /no WebSocket connection from 127\.0\.0\.1:\d+/);
    assert.equal(layer.transportStats().keepAlives, 1);
  });

  it("a lone ws transport also reaches clients whose contacts say wss", () => {
    const layer = TransportLayer.create([{ name: "only-ws", protocol: "ws", bind: { host: "0.0.0.0", port: 0 } }], { random: new SeededRandom(1) });
    assert.equal(layer.select({ host: "127.0.0.1", protocol: "wss" }).name, "only-ws");
    assert.equal(layer.webSocket(true)?.name, "only-ws");
    assert.throws(() => layer.select({ host: "127.0.0.1", protocol: "tls" }), /no TLS transport/);
  });

  it("refuses a handshake without the sip subprotocol", async () => {
    const { layer, port } = await serveWs();
    await assert.rejects(client(port, ["chat"]), /Unexpected server response: 400/);
    assert.equal(layer.transportStats().connectionsRejected, 1);
  });

  it("survives a frame flood: an oversized message closes that connection, thousands of garbage frames are answered or dropped, other clients keep working", async () => {
    const { layer, requests, port } = await serveWs({ maxConnectionsPerSource: 3 });
    const big = await client(port);
    big.ws.send("x".repeat(70_000));
    assert.equal(await big.closed, 1009, "Message Too Big");

    const flooder = await client(port);
    for (let i = 0; i < 5000; i++) flooder.ws.send(i % 2 ? "garbage\r\n\r\n" : rawRequest("OPTIONS", "sip:127.0.0.1", `SIP/2.0/WS x.invalid;branch=z9hG4bKf${i}`, { contentLength: "9" }));
    const phone = await client(port);
    const answer = phone.next(10_000);
    phone.ws.send(register("z9hG4bKafter"));
    assert.match(await answer, /^SIP\/2\.0 200 OK\r\n/);
    assert.ok(requests.some((r) => r.request.via.params.get("branch") === "z9hG4bKafter"));
    const stats = layer.stats;
    assert.ok(stats.malformedOther + stats.malformedRequests >= 1000, JSON.stringify(stats));
    // The oversized one's place was given back; with three open, a fourth from the same address is refused.
    await client(port);
    await assert.rejects(client(port), /Unexpected server response: 503/);
  });

  it("closes a connection that sends no SIP message within firstMessageTimeoutMs", async () => {
    const { layer, port } = await serveWs({ firstMessageTimeoutMs: 200 });
    const silent = await client(port);
    const talker = await client(port);
    const started = Date.now();
    talker.ws.send(register("z9hG4bKtalk"));
    await talker.next();
    await silent.closed;
    assert.ok(Date.now() - started < 3000);
    assert.equal(talker.ws.readyState, WebSocket.OPEN, "a connection that spoke stays");
    assert.equal(layer.transportStats().connectionsTimedOut, 1);
  });

  it("drops a flooder that does not read its answers once maxWriteBuffer is queued for it", async () => {
    const { layer, port } = await serveWs({ maxWriteBuffer: 64 * 1024 });
    const flooder = await client(port);
    flooder.ws.pause(); // reads nothing more: our 400s pile up
    const bad = (i: number) => rawRequest("OPTIONS", "sip:127.0.0.1", `SIP/2.0/WS x.invalid;branch=z9hG4bKw${i}`, { contentLength: "9" });
    for (let i = 0; i < 20_000 && flooder.ws.readyState === WebSocket.OPEN; i++) {
      flooder.ws.send(bad(i));
      if (i % 500 === 0) await sleep(1);
    }
    for (let i = 0; i < 200 && layer.transportStats().writeOverflows === 0; i++) await sleep(10);
    assert.ok(layer.transportStats().writeOverflows >= 1, JSON.stringify(layer.transportStats()));
    for (let i = 0; i < 200 && layer.transportStats().connectionsOpen > 0; i++) await sleep(10);
    assert.equal(layer.transportStats().connectionsOpen, 0);
  });
});
