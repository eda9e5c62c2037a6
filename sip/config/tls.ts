/** A `protocol=tls` transport's TLS options from the pjsip.conf model, for the transport layer. */
import type { TlsSettings } from "../transport/types.js";
import type { Transport } from "./model.js";

export function tlsSettings(t: Transport): TlsSettings {
  const text = (v: string) => (v === "" ? undefined : v);
  const settings: Record<string, unknown> = {
    certFile: text(t.cert_file), privKeyFile: text(t.priv_key_file), password: text(t.password),
    caListFile: text(t.ca_list_file), caListPath: text(t.ca_list_path), method: t.method, cipher: text(t.cipher),
    verifyClient: t.verify_client, requireClientCert: t.require_client_cert, verifyServer: t.verify_server,
  };
  for (const k of Object.keys(settings)) if (settings[k] === undefined) delete settings[k];
  return settings as TlsSettings;
}
