/**
 * The digest computation of RFC 2617 / RFC 7616 (qop auth and auth-int, -sess
 * variants, and the qop-less RFC 2069 form). All strings are byte strings, as in SIP
 * headers: text from configuration goes through utf8ToBytes first.
 */
import { createHash } from "node:crypto";

export const DIGEST_ALGORITHMS = ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess"] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const NODE_HASH: Record<DigestAlgorithm, string> = {
  "MD5": "md5", "MD5-sess": "md5",
  "SHA-256": "sha256", "SHA-256-sess": "sha256",
  "SHA-512-256": "sha512-256", "SHA-512-256-sess": "sha512-256",
};

/** An algorithm name as found in a header (case-insensitive); absent means MD5; undefined if not supported. */
export function parseAlgorithm(name: string | undefined): DigestAlgorithm | undefined {
  if (name === undefined) return "MD5";
  const upper = name.toUpperCase();
  return DIGEST_ALGORITHMS.find((a) => a.toUpperCase() === upper);
}

/** The algorithm without its -sess suffix: the one a stored HA1 (md5_cred, password_digest) belongs to. */
export function baseAlgorithm(algorithm: DigestAlgorithm): "MD5" | "SHA-256" | "SHA-512-256" {
  return algorithm.replace(/-sess$/, "") as "MD5" | "SHA-256" | "SHA-512-256";
}

/** H(data) as lowercase hex. */
export function digestHash(algorithm: DigestAlgorithm, data: string | Buffer): string {
  const hash = createHash(NODE_HASH[algorithm]);
  if (typeof data === "string") hash.update(data, "latin1");
  else hash.update(data);
  return hash.digest("hex");
}

/** H(username:realm:password), what Asterisk's md5_cred / password_digest store. */
export function credentialsHash(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

/**
 * What is known of a user's secret: the password, or a stored H(username:realm:password)
 * for one realm and base algorithm (Asterisk's md5_cred, password_digest).
 */
export type DigestSecret =
  | { readonly password: string }
  | { readonly ha1: string; readonly algorithm?: "MD5" | "SHA-256" | "SHA-512-256" };

/** HA1 for `algorithm` (without the -sess step); undefined when a stored hash is of another algorithm. */
export function ha1Of(secret: DigestSecret, algorithm: DigestAlgorithm, username: string, realm: string): string | undefined {
  const base = baseAlgorithm(algorithm);
  if ("password" in secret) return credentialsHash(base, username, realm, secret.password);
  return (secret.algorithm ?? "MD5") === base ? secret.ha1.toLowerCase() : undefined;
}

export interface ResponseInput {
  algorithm: DigestAlgorithm;
  /** H(username:realm:password), of the base algorithm; the -sess step is applied here. */
  ha1: string;
  nonce: string;
  method: string;
  uri: string;
  /** "auth", "auth-int", or undefined for RFC 2069 (no qop). */
  qop?: string;
  /** Eight hex digits, e.g. "00000001"; required with qop. */
  nc?: string;
  /** Required with qop and with -sess algorithms. */
  cnonce?: string;
  /** Message body, for auth-int. */
  body?: Buffer;
}

/** The `response` value of an Authorization header. */
export function digestResponse(input: ResponseInput): string {
  const { algorithm, nonce, method, uri, qop } = input;
  const cnonce = input.cnonce ?? "";
  const ha1 = algorithm.endsWith("-sess") ? digestHash(algorithm, `${input.ha1}:${nonce}:${cnonce}`) : input.ha1;
  const a2 = qop === "auth-int" ? `${method}:${uri}:${digestHash(algorithm, input.body ?? Buffer.alloc(0))}` : `${method}:${uri}`;
  const ha2 = digestHash(algorithm, a2);
  if (qop === undefined) return digestHash(algorithm, `${ha1}:${nonce}:${ha2}`);
  return digestHash(algorithm, `${ha1}:${nonce}:${input.nc ?? ""}:${cnonce}:${qop}:${ha2}`);
}
