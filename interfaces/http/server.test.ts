/**
 * The HTTP server of http.conf on real sockets: http.conf options, routes under the
 * prefix, 404/405, bad clients (oversized heads get 431, slow ones 408 and closed,
 * sessions over sessionlimit refused), HTTPS with an openssl-made certificate, and SIP
 * over WebSocket mounted at /ws as `recall start` mounts it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { WebSocket } from "ws";
import { ConfError } from "../../conf/tokenizer.js";
import { SeededRandom } from "../../core/random.js";
import { buildResponse } from "../../sip/message/index.js";
import { makeTestCertificates, type TestCertificates } from "../../sip/transport/test-certs.js";
import { TransportLayer } from "../../sip/transport/index.js";
import { rawRequest } from "../../sip/transaction/test-support.js";
import { CommandTable } from "../../core/commands.js";
import { startHttp } from "../cli/http-service.js";
import { loadHttpConf } from "./http-conf.js";
import { HttpServer } from "./server.js";
import { tempDir } from "../../core/reap.js";

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });
let certs: TestCertificates;
before(() => { certs = makeTestCertificates(); });

function confDir(text: string): string {
  const dir = tempDir("recall-http-");
  writeFileSync(join(dir, "http.conf"), text);
  return dir;
}

function fetchText(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d) => { body += d; }).on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** A raw TCP client: what it reads, and when it is closed. */
function raw(port: number): Promise<{ socket: Socket; data: () => string; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    socket.on("data", (d) => { data += d.toString("latin1"); }).on("error", () => {});
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    cleanups.push(() => { socket.destroy(); });
    socket.once("connect", () => resolve({ socket, data: () => data, closed }));
  });
}

describe("http.conf", () => {
  it("reads Asterisk's options and defaults; no bindaddr or enabled=no means no server; bad values name file and line", () => {
    const conf = loadHttpConf(confDir("[general]\nenabled = yes\nbindaddr = 127.0.0.1\nprefix = /asterisk/\ntlsenable = yes\ntlsbindaddr = 127.0.0.1\ntlscertfile = /k/a.pem\n"));
    assert.deepEqual(conf.http, { host: "127.0.0.1", port: 8088 });
    assert.deepEqual(conf.https, { host: "127.0.0.1", port: 8089, certFile: "/k/a.pem", keyFile: "/k/a.pem" });
    assert.equal(conf.prefix, "asterisk");
    assert.equal(loadHttpConf(confDir("[general]\nenabled = no\nbindaddr = 127.0.0.1\n")).http, undefined);
    assert.equal(loadHttpConf(confDir("[general]\nenabled = yes\n")).http, undefined);
    assert.equal(loadHttpConf(tempDir("recall-http-none-")).http, undefined);
    assert.deepEqual(loadHttpConf(confDir("[general]\nenabled=yes\nbindaddr=::1\ntlsenable=yes\ntlsbindaddr=[::1]:9443\ntlscertfile=c\ntlsprivatekey=k\n")).https, { host: "::1", port: 9443, certFile: "c", keyFile: "k" });
    assert.throws(() => loadHttpConf(confDir("[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = 99999\n")),
      (e: Error) => e instanceof ConfError && /http\.conf:4.*bindport: a port from 1 to 65535, not "99999"/.test(`${(e as ConfError).file}:${(e as ConfError).line} ${e.message}`));
    assert.throws(() => loadHttpConf(confDir("[general]\nbindaddr = pbx.example.com\n")), /bindaddr: an IP address, not "pbx\.example\.com"/);
  });
});

describe("HTTP server", () => {
  it("serves routes under the prefix, 404 elsewhere, 405 for other methods, with its Server header", async () => {
    const http = new HttpServer({ http: { host: "127.0.0.1", port: 0 }, prefix: "asterisk", serverName: "Recall/test", sessionLimit: 10, sessionInactivityMs: 1000, sessionKeepAliveMs: 1000 });
    http.route("/hello", "Hello", ["GET"], (_req, res) => res.writeHead(200).end("hello\n"));
    await http.start();
    cleanups.push(() => http.stop());
    const port = http.plain!.port;
    const ok = await fetchText(port, "/asterisk/hello");
    assert.deepEqual([ok.status, ok.body, ok.headers.server], [200, "hello\n", "Recall/test"]);
    assert.equal((await fetchText(port, "/hello")).status, 404);
    assert.equal((await fetchText(port, "/asterisk/nothing")).status, 404);
    const post = await new Promise<number>((resolve) => httpRequest({ host: "127.0.0.1", port, path: "/asterisk/hello", method: "POST", agent: false }, (r) => { r.resume(); resolve(r.statusCode ?? 0); }).end());
    assert.equal(post, 405);
    assert.match(http.status(), /^HTTP Server Status:\nPrefix: \/asterisk\nServer: Recall\/test\nServer Enabled and Bound to 127\.0\.0\.1:\d+\n\nEnabled URI's:\n\/asterisk\/hello => Hello\n/);
  });

  it("answers an oversized request head 431, a client too slow to send its head 408, and closes both; sessions over sessionlimit are refused", async () => {
    const http = new HttpServer({ http: { host: "127.0.0.1", port: 0 }, prefix: "", sessionLimit: 3, sessionInactivityMs: 300, sessionKeepAliveMs: 300 }, { maxHeaderBytes: 4096 });
    http.route("/hello", "Hello", ["GET"], (_req, res) => res.writeHead(200).end("hello\n"));
    await http.start();
    cleanups.push(() => http.stop());
    const port = http.plain!.port;
    const big = await fetchText(port, "/hello", { "X-Padding": "a".repeat(10_000) });
    assert.equal(big.status, 431);

    const slow = await raw(port);
    slow.socket.write("GET /hello HTTP/1.1\r\nHost: x\r\n"); // and never the blank line
    const t0 = Date.now();
    await slow.closed;
    assert.ok(Date.now() - t0 < 3000);
    assert.match(slow.data(), /^HTTP\/1\.1 408 /);

    const held = [await raw(port), await raw(port), await raw(port)];
    const refused = await raw(port);
    await refused.closed;
    assert.equal(refused.data(), "");
    assert.ok(http.stats.refusedSessions >= 1);
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await fetchText(port, "/hello")).status, 200, "normal requests work after");
  });

  it("serves HTTPS with tlscertfile/tlsprivatekey", async () => {
    const dir = confDir(`[general]\nenabled=yes\ntlsenable=yes\ntlsbindaddr=127.0.0.1:8089\ntlscertfile=${certs.serverCert}\ntlsprivatekey=${certs.serverKey}\n`);
    const conf = loadHttpConf(dir);
    const http = new HttpServer({ ...conf, https: { ...conf.https!, port: 0 } });
    http.route("/hello", "Hello", ["GET"], (_req, res) => res.writeHead(200).end("hello over tls\n"));
    await http.start();
    cleanups.push(() => http.stop());
    const { request } = await import("node:https");
    const { readFileSync } = await import("node:fs");
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: "127.0.0.1", port: http.secure!.port, path: "/hello", ca: readFileSync(certs.caCert), agent: false }, (res) => {
        let b = ""; res.setEncoding("utf8").on("data", (d) => { b += d; }).on("end", () => resolve(b));
      }).on("error", reject).end();
    });
    assert.equal(body, "hello over tls\n");
    assert.equal(http.plain, undefined, "no bindaddr: no plain listener");
  });

  it("mounts SIP over WebSocket at /ws (as recall start does): a REGISTER over ws is answered over it; other paths are 404", async () => {
    const layer = TransportLayer.create([{ name: "transport-ws", protocol: "ws", bind: { host: "0.0.0.0", port: 0 } }], { random: new SeededRandom(1) });
    layer.setHandler({ request: (r, source) => layer.sendResponse(buildResponse(r, 200, { toTag: "t" }), source), response: () => {} });
    await layer.start();
    cleanups.push(() => layer.stop());
    const conf = loadHttpConf(confDir("[general]\nenabled=yes\nbindaddr=127.0.0.1\n"));
    const table = new CommandTable();
    const http = await startHttp({ ...conf, http: { ...conf.http!, port: 0 } }, layer, table, { log: () => {} } as never, "Recall/test");
    cleanups.push(() => http.stop());
    const port = http.plain!.port;
    assert.deepEqual(layer.webSocket(false)!.local, { host: "127.0.0.1", port });
    assert.match(http.status(), /\/ws => Asterisk HTTP WebSocket/);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ["sip"]);
    cleanups.push(() => ws.terminate());
    await new Promise((r, j) => ws.once("open", r).once("error", j));
    const answer = new Promise<string>((r) => ws.once("message", (d) => r(d.toString())));
    ws.send(rawRequest("REGISTER", "sip:127.0.0.1", "SIP/2.0/WS abc.invalid;branch=z9hG4bKhttpws"));
    assert.match(await answer, /^SIP\/2\.0 200 OK\r\n/);
    const other = new WebSocket(`ws://127.0.0.1:${port}/other`, ["sip"]);
    await assert.rejects(new Promise((r, j) => other.once("open", r).once("error", j)), /Unexpected server response: 404/);
  });

  it("serves SIP over secure WebSocket on the HTTPS listener: the wss transport takes it, Via and Source say WSS", async () => {
    const layer = TransportLayer.create([
      { name: "transport-ws", protocol: "ws", bind: { host: "0.0.0.0", port: 0 } },
      { name: "transport-wss", protocol: "wss", bind: { host: "0.0.0.0", port: 0 } },
    ], { random: new SeededRandom(1) });
    const protocols: string[] = [];
    layer.setHandler({ request: (r, source) => { protocols.push(source.protocol); layer.sendResponse(buildResponse(r, 200, { toTag: "t" }), source); }, response: () => {} });
    await layer.start();
    cleanups.push(() => layer.stop());
    const conf = { prefix: "", sessionLimit: 10, sessionInactivityMs: 5000, sessionKeepAliveMs: 5000, https: { host: "127.0.0.1", port: 0, certFile: certs.serverCert, keyFile: certs.serverKey } };
    const http = await startHttp(conf, layer, new CommandTable(), { log: () => {} } as never, "Recall/test");
    cleanups.push(() => http.stop());
    const port = http.secure!.port;
    assert.deepEqual(layer.find("transport-wss")!.local, { host: "127.0.0.1", port });
    const { readFileSync } = await import("node:fs");
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, ["sip"], { ca: readFileSync(certs.caCert) });
    cleanups.push(() => ws.terminate());
    await new Promise((r, j) => ws.once("open", r).once("error", j));
    const answer = new Promise<string>((r) => ws.once("message", (d) => r(d.toString())));
    ws.send(rawRequest("REGISTER", "sip:127.0.0.1", "SIP/2.0/WSS abc.invalid;branch=z9hG4bKwss"));
    assert.match(await answer, /^SIP\/2\.0 200 OK\r\nVia: SIP\/2\.0\/WSS abc\.invalid;branch=z9hG4bKwss;received=127\.0\.0\.1/);
    assert.deepEqual(protocols, ["wss"]);
  });

  it("a listener that cannot bind is logged and SIP carries on (as Asterisk does)", async () => {
    const holder = new HttpServer({ http: { host: "127.0.0.1", port: 0 }, prefix: "", sessionLimit: 10, sessionInactivityMs: 1000, sessionKeepAliveMs: 1000 });
    await holder.start();
    cleanups.push(() => holder.stop());
    const layer = TransportLayer.create([{ name: "ws", protocol: "ws", bind: { host: "0.0.0.0", port: 0 } }], { random: new SeededRandom(1) });
    const logged: string[] = [];
    const conf = { prefix: "", sessionLimit: 10, sessionInactivityMs: 1000, sessionKeepAliveMs: 1000, http: holder.plain! };
    const http = await startHttp(conf, layer, new CommandTable(), { log: (level: string, _source: string, text: string) => logged.push(`${level} ${text}`) } as never, "Recall/test");
    assert.match(logged.join("\n"), /^ERROR http\.conf: cannot listen on HTTP 127\.0\.0\.1:\d+: .*EADDRINUSE.*; the HTTP server is not running$/m);
    assert.match(http.status(), /Server Enabled but not running/);
  });
});
