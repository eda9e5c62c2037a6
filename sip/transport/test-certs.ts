/**
 * Test certificates made at test time with openssl (never committed): a CA, a server
 * certificate for 127.0.0.1/localhost signed by it, a client certificate signed by it,
 * and a self-signed stranger no CA vouches for. Keys are unencrypted, in a fresh
 * temporary directory.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../core/reap.js";

export interface TestCertificates {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Self-signed, not from the CA. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  /** The server certificate and its key in one PEM file (what baresip's sip_certificate takes). */
  readonly serverPem: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore", timeout: 30_000 });
}

export function makeTestCertificates(): TestCertificates {
  const dir = tempDir("recall-certs-");
  const p = (f: string) => join(dir, f);
  const days = ["-days", "2"];
  openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", ...days, "-subj", "/CN=Recall Test CA"]);
  writeFileSync(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  writeFileSync(p("client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, cn] of [["server", "127.0.0.1"], ["client", "recall-test-client"]] as const) {
    openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, ...days, "-extfile", `${name}.ext`]);
  }
  openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "stranger.key", "-out", "stranger.crt", ...days, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
  writeFileSync(p("server.pem"), readFileSync(p("server.crt"), "utf8") + readFileSync(p("server.key"), "utf8"));
  return {
    dir, serverPem: p("server.pem"), caCert: p("ca.crt"), serverCert: p("server.crt"), serverKey: p("server.key"), clientCert: p("client.crt"), clientKey: p("client.key"),
    strangerCert: p("stranger.crt"), strangerKey: p("stranger.key"),
  };
}
