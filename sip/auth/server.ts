/**
 * The UAS side of digest authentication: challenges for 401/407 and verification of
 * the credentials that come back. Nothing here draws time or randomness: the nonce is
 * made by the caller (createNonce with the injected clock and random) and `now` is given.
 */
import type { DigestChallenge, DigestCredentials } from "./header.js";
import { formatChallenge } from "./header.js";
import { type DigestAlgorithm, type DigestSecret, digestResponse, ha1Of, parseAlgorithm } from "./digest.js";
import { DEFAULT_NONCE_LIFETIME_SECONDS, checkNonce } from "./nonce.js";
import { timingSafeEqual } from "node:crypto";

export interface ChallengeOptions {
  realm: string;
  nonce: string;
  /** Default MD5. Send one challenge (one header) per algorithm offered. */
  algorithm?: DigestAlgorithm;
  /** Offer qop=auth (default true); false gives an RFC 2069 challenge. */
  qop?: boolean;
  opaque?: string;
  /** The credentials were right but the nonce had expired: the UA may retry without asking its user. */
  stale?: boolean;
}

export function buildChallenge(options: ChallengeOptions): DigestChallenge {
  return {
    realm: options.realm,
    nonce: options.nonce,
    opaque: options.opaque,
    algorithm: options.algorithm ?? "MD5",
    qop: options.qop === false ? undefined : ["auth"],
    stale: options.stale ?? false,
    domain: undefined,
    other: new Map(),
  };
}

/** The WWW-Authenticate (or Proxy-Authenticate) value of a challenge. */
export function challengeHeader(options: ChallengeOptions): string {
  return formatChallenge(buildChallenge(options));
}

export interface VerifyOptions {
  /** The request's method (CSeq method; ACK and CANCEL use INVITE's credentials). */
  method: string;
  /** Our realm: credentials for another realm are refused. */
  realm: string;
  secret: DigestSecret;
  /** The server secret nonces are signed with. */
  nonceSecret: string | Buffer;
  /** Current time from the injected clock, microseconds. */
  now: number;
  nonceLifetimeSeconds?: number;
  /** Algorithms we accept (default: all supported). */
  algorithms?: readonly DigestAlgorithm[];
  /** The body, needed for qop=auth-int. */
  body?: Buffer;
}

/**
 * - ok: authenticated.
 * - stale: right password, expired nonce: challenge again with stale=true.
 * - bad-nonce: a nonce we did not issue (or for another realm): challenge again.
 * - wrong-response: wrong password (or user): challenge again, count the failure.
 * - wrong-realm, unsupported (algorithm or qop), malformed (qop without nc/cnonce...): refuse.
 */
export type VerifyResult = "ok" | "stale" | "bad-nonce" | "wrong-response" | "wrong-realm" | "unsupported" | "malformed";

export function verifyCredentials(credentials: DigestCredentials, options: VerifyOptions): VerifyResult {
  if (credentials.realm !== options.realm) return "wrong-realm";
  const algorithm = parseAlgorithm(credentials.algorithm);
  if (algorithm === undefined || (options.algorithms && !options.algorithms.includes(algorithm))) return "unsupported";
  const qop = credentials.qop;
  if (qop !== undefined) {
    if (qop !== "auth" && qop !== "auth-int") return "unsupported";
    if (credentials.cnonce === undefined || credentials.nc === undefined || !/^[0-9a-fA-F]{8}$/.test(credentials.nc)) return "malformed";
  } else if (algorithm.endsWith("-sess") && credentials.cnonce === undefined) return "malformed";

  const ha1 = ha1Of(options.secret, algorithm, credentials.username, options.realm);
  if (ha1 === undefined) return "unsupported";

  const nonce = checkNonce(options.nonceSecret, credentials.nonce, options.now, options.realm, options.nonceLifetimeSeconds ?? DEFAULT_NONCE_LIFETIME_SECONDS);
  if (nonce === "invalid") return "bad-nonce";
  const expected = digestResponse({
    algorithm, ha1, nonce: credentials.nonce, method: options.method, uri: credentials.uri,
    qop, nc: credentials.nc, cnonce: credentials.cnonce, body: options.body,
  });
  const given = credentials.response.toLowerCase();
  if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given, "latin1"), Buffer.from(expected, "latin1"))) {
    return "wrong-response";
  }
  return nonce === "stale" ? "stale" : "ok";
}
