/**
 * The TLS transport on real sockets with certificates made by openssl at test time:
 * requests in and responses back over the accepted connection, outgoing connections
 * with and without verify_server, client certificates (verify_client,
 * require_client_cert), and half-open handshakes that must not starve real clients.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import { SeededRandom } from "../../core/random.js";
import { type SipRequest, buildResponse } from "../message/index.js";
import { rawRequest } from "../transaction/test-support.js";
import { TransportLayer } from "./layer.js";
import { makeTestCertificates, type TestCertificates } from "./test-certs.js";
import { type Source, type TlsSettings, TransportError, type TransportLimits } from "./types.js";

let certs: TestCertificates;
before(() => { certs = makeTestCertificates(); });
const layers: TransportLayer[] = [];
after(async () => { await Promise.all(layers.map((l) => l.stop())); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function serveTls(tls: Partial<TlsSettings> = {}, limits: Partial<TransportLimits> = {}) {
  const layer = TransportLayer.create(
    [{ name: "tls", protocol: "tls", bind: { host: "127.0.0.1", port: 0 }, tls: { certFile: certs.serverCert, privKeyFile: certs.serverKey, ...tls } }],
    { random: new SeededRandom(5), limits },
  );
  layers.push(layer);
  const requests: Array<{ request: SipRequest; source: Source }> = [];
  layer.setHandler({
    request: (request, source) => {
      requests.push({ request, source });
      layer.sendResponse(buildResponse(request, 200, { toTag: "srv" }), source);
    },
    response: () => {},
  });
  await layer.start();
  return { layer, requests, port: layer.find("tls")!.local.port };
}

/** A TLS client trusting the test CA; `cert` picks the client certificate it presents, if any. */
function tlsClient(port: number, cert?: "client" | "stranger"): Promise<{ socket: TLSSocket; data: () => string; closed: Promise<void>; until(text: string, ms?: number): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: "127.0.0.1", port, ca: readFileSync(certs.caCert),
      ...(cert === "client" ? { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } : {}),
      ...(cert === "stranger" ? { cert: readFileSync(certs.strangerCert), key: readFileSync(certs.strangerKey) } : {}),
    });
    let data = "";
    socket.on("data", (d) => { data += d.toString("latin1"); });
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.once("error", reject);
    after(() => socket.destroy());
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve({
        socket, data: () => data, closed,
        until: async (text, ms = 3000) => {
          const end = Date.now() + ms;
          while (!data.includes(text)) {
            if (Date.now() > end) throw new Error(`no ${JSON.stringify(text)} within ${ms} ms; got ${JSON.stringify(data.slice(0, 200))}`);
            await sleep(10);
          }
        },
      });
    });
  });
}

describe("TLS", () => {
  it("takes requests over TLS, answers on the same connection, and sends requests back over it", async () => {
    const { layer, requests, port } = await serveTls();
    const phone = await tlsClient(port);
    phone.socket.write(rawRequest("REGISTER", "sip:127.0.0.1", "SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bKtls1"));
    await phone.until("SIP/2.0 200 OK");
    assert.equal(requests.length, 1);
    const { source } = requests[0];
    assert.deepEqual([source.protocol, source.host, source.port], ["tls", "127.0.0.1", phone.socket.localPort]);
    assert.match(requests[0].request.get("Via")!, /^SIP\/2\.0\/TLS 127\.0\.0\.1:5099;branch=z9hG4bKtls1;received=127\.0\.0\.1;rport=\d+$/);
    const route = layer.route({ host: "127.0.0.1", port: phone.socket.localPort!, protocol: "tls" });
    assert.deepEqual(route.sentBy, { host: "127.0.0.1", port });
    layer.send(Buffer.from("OPTIONS back over the phone's connection\r\n"), route);
    await phone.until("OPTIONS back over the phone's connection");
    assert.equal(layer.transportStats().connectionsOpened, 0, "no new connection to reach the phone");
  });

  it("connects out over TLS; verify_server refuses a certificate the CA list does not vouch for", async () => {
    const received: string[] = [];
    const peer = (cert: string, key: string) => new Promise<number>((resolve) => {
      const server = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (s) => s.on("data", (d) => received.push(d.toString())).on("error", () => {}));
      server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
      after(() => server.close());
    });
    const trusted = await peer(certs.serverCert, certs.serverKey);
    const stranger = await peer(certs.strangerCert, certs.strangerKey);
    const { layer } = await serveTls({ verifyServer: true, caListFile: certs.caCert });
    const errors: Error[] = [];
    layer.send(Buffer.from("OPTIONS to the trusted peer\r\n"), layer.route({ host: "127.0.0.1", port: trusted, protocol: "tls" }), (e) => errors.push(e));
    layer.send(Buffer.from("OPTIONS to the stranger\r\n"), layer.route({ host: "127.0.0.1", port: stranger, protocol: "tls" }), (e) => errors.push(e));
    for (let i = 0; i < 300 && (errors.length === 0 || received.length === 0); i++) await sleep(10);
    assert.deepEqual(received, ["OPTIONS to the trusted peer\r\n"]);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /self[- ]signed|unable to verify|certificate/i);

    // verify_server = no (the default) talks to the stranger too.
    const lax = await serveTls();
    lax.layer.send(Buffer.from("OPTIONS unverified\r\n"), lax.layer.route({ host: "127.0.0.1", port: stranger, protocol: "tls" }));
    for (let i = 0; i < 300 && received.length < 2; i++) await sleep(10);
    assert.deepEqual(received, ["OPTIONS to the trusted peer\r\n", "OPTIONS unverified\r\n"]);
  });

  it("verify_client refuses a client certificate that does not verify; require_client_cert refuses a client without one", async () => {
    const verifying = await serveTls({ verifyClient: true, caListFile: certs.caCert });
    const request = rawRequest("OPTIONS", "sip:127.0.0.1", "SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bKcert");
    const good = await tlsClient(verifying.port, "client");
    good.socket.write(request);
    await good.until("SIP/2.0 200 OK");
    const none = await tlsClient(verifying.port);
    none.socket.write(request);
    await none.until("SIP/2.0 200 OK"); // no certificate is fine without require_client_cert
    const stranger = await tlsClient(verifying.port, "stranger").catch(() => undefined);
    if (stranger) await stranger.closed;
    assert.equal(verifying.requests.length, 2);

    const requiring = await serveTls({ requireClientCert: true, verifyClient: true, caListFile: certs.caCert });
    const without = await tlsClient(requiring.port).catch(() => undefined);
    if (without) {
      without.socket.write(request);
      await without.closed;
    }
    assert.equal(requiring.requests.length, 0);
    assert.ok(requiring.layer.transportStats().tlsHandshakeFailures >= 1);
  });

  it("drops half-open handshakes after tlsHandshakeTimeoutMs, bounds how many are held, and real clients get through after", async () => {
    const { layer, requests, port } = await serveTls({}, { tlsHandshakeTimeoutMs: 300, maxConnections: 20 });
    const sockets: Socket[] = [];
    const closed: Array<Promise<void>> = [];
    for (let i = 0; i < 40; i++) {
      const s = netConnect({ host: "127.0.0.1", port });
      s.on("error", () => {});
      // Half of them start a handshake and stop; half send nothing.
      if (i % 2 === 0) s.once("connect", () => s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])));
      closed.push(new Promise((r) => s.once("close", () => r())));
      sockets.push(s);
    }
    after(() => { for (const s of sockets) s.destroy(); });
    const started = Date.now();
    await Promise.all(closed);
    assert.ok(Date.now() - started < 5000, "every half-open socket is gone within the handshake timeout");
    const stats = layer.transportStats();
    assert.equal(stats.connectionsRejected, 20, "beyond maxConnections, sockets are refused at once");
    assert.equal(stats.tlsHandshakeFailures, 20, "the admitted ones time out");
    assert.equal(stats.connectionsOpen, 0);
    const phone = await tlsClient(port);
    phone.socket.write(rawRequest("OPTIONS", "sip:127.0.0.1", "SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bKafter"));
    await phone.until("SIP/2.0 200 OK");
    assert.equal(requests.length, 1);
  });

  it("names the option and file of a certificate it cannot read, and refuses an unknown or insecure method", () => {
    const create = (tls: TlsSettings) => TransportLayer.create([{ name: "t", protocol: "tls", bind: { host: "127.0.0.1", port: 0 }, tls }], { random: new SeededRandom(1) });
    assert.throws(() => create({ certFile: "/nonexistent/cert.pem", privKeyFile: certs.serverKey }), (e: Error) => e instanceof TransportError && /transport 't': cannot read cert_file '\/nonexistent\/cert\.pem'/.test(e.message));
    assert.throws(() => create({ certFile: certs.serverCert }), /needs priv_key_file/);
    assert.throws(() => create({ certFile: certs.serverCert, privKeyFile: certs.serverKey, method: "sslv3" }), /method sslv3 is not supported/);
    assert.doesNotThrow(() => create({ certFile: certs.serverCert, privKeyFile: certs.serverKey, method: "tlsv1_2" }));
  });
});
