/**
 * The TLS side of a `protocol=tls` transport: pjsip.conf's `cert_file`, `priv_key_file`,
 * `password`, `ca_list_file`/`ca_list_path`, `method`, `cipher`, `verify_client`,
 * `require_client_cert` and `verify_server` turned into node:tls options. Files are
 * read once, when the transport is created; a missing or unreadable one is a
 * TransportError naming the option and the file.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { SecureVersion, TlsOptions as NodeTlsOptions } from "node:tls";
import { type TlsSettings, TransportError } from "./types.js";

const VERSIONS: Readonly<Record<string, SecureVersion>> = { tlsv1: "TLSv1", tlsv1_1: "TLSv1.1", tlsv1_2: "TLSv1.2", tlsv1_3: "TLSv1.3" };

function read(name: string, option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TransportError(`transport '${name}': cannot read ${option} '${path}': ${(e as Error).message}`);
  }
}

/** The certificates of a CA directory (`ca_list_path`): every .pem, .crt and .cer file in it. */
function caDirectory(name: string, dir: string): Buffer[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.(pem|crt|cer)$/i.test(f)).sort();
  } catch (e) {
    throw new TransportError(`transport '${name}': cannot read ca_list_path '${dir}': ${(e as Error).message}`);
  }
  return files.map((f) => read(name, "ca_list_path file", join(dir, f)));
}

/** Options shared by the server and outgoing connections; throws TransportError. */
export function secureOptions(name: string, settings: TlsSettings): NodeTlsOptions {
  const method = (settings.method ?? "default").toLowerCase();
  if (method === "sslv2" || method === "sslv3") throw new TransportError(`transport '${name}': method ${method} is not supported (insecure; Node.js refuses it)`);
  const version = VERSIONS[method];
  if (version === undefined && !["default", "unspecified", "sslv23", ""].includes(method)) {
    throw new TransportError(`transport '${name}': unknown method '${settings.method}'`);
  }
  const ca = [
    ...(settings.caListFile ? [read(name, "ca_list_file", settings.caListFile)] : []),
    ...(settings.caListPath ? caDirectory(name, settings.caListPath) : []),
  ];
  return {
    ...(settings.certFile ? { cert: read(name, "cert_file", settings.certFile) } : {}),
    ...(settings.privKeyFile ? { key: read(name, "priv_key_file", settings.privKeyFile) } : {}),
    ...(settings.password ? { passphrase: settings.password } : {}),
    ...(ca.length > 0 ? { ca } : {}),
    ...(settings.cipher ? { ciphers: settings.cipher } : {}),
    // `method` pins one version, as pjsip's method does.
    ...(version ? { minVersion: version, maxVersion: version } : {}),
  };
}

/** A server needs its certificate and key. */
export function checkServerSettings(name: string, settings: TlsSettings): void {
  if (!settings.certFile) throw new TransportError(`transport '${name}': a TLS transport needs cert_file`);
  if (!settings.privKeyFile) throw new TransportError(`transport '${name}': a TLS transport needs priv_key_file`);
}
