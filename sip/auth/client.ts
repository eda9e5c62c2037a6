/**
 * The UAC side: answer a 401/407 challenge (outbound registration, outbound calls).
 * The cnonce and nonce count come from the caller, so the answer is reproducible.
 */
import type { DigestChallenge, DigestCredentials } from "./header.js";
import { type DigestAlgorithm, type DigestSecret, digestResponse, ha1Of, parseAlgorithm } from "./digest.js";

export interface AnswerOptions {
  username: string;
  /** The password, or a stored H(username:realm:password) for the challenge's realm and base algorithm. */
  secret: DigestSecret;
  method: string;
  /** The Request-URI of the request being authorised. */
  uri: string;
  /** Client nonce (e.g. randomHex(random, 8)). */
  cnonce: string;
  /** How many times this nonce has been used, from 1. */
  nc: number;
  /** The body, used if only qop=auth-int is offered. */
  body?: Buffer;
}

/** Thrown when a challenge cannot be answered (unknown algorithm, stored HA1 of another algorithm, no usable qop). */
export class DigestChallengeError extends Error {
  override readonly name = "DigestChallengeError";
}

/**
 * Of several challenges (one per algorithm), the one to answer: the first algorithm of
 * `preferred` that is offered (Asterisk's supported_algorithms_uac order).
 */
export function chooseChallenge(challenges: readonly DigestChallenge[], preferred: readonly DigestAlgorithm[] = ["SHA-256", "MD5"]): DigestChallenge | undefined {
  for (const algorithm of preferred) {
    const found = challenges.find((c) => parseAlgorithm(c.algorithm) === algorithm);
    if (found) return found;
  }
  return undefined;
}

/** Credentials answering `challenge`, to be written with formatCredentials. */
export function answerChallenge(challenge: DigestChallenge, options: AnswerOptions): DigestCredentials {
  const algorithm = parseAlgorithm(challenge.algorithm);
  if (algorithm === undefined) throw new DigestChallengeError(`unsupported digest algorithm ${challenge.algorithm}`);
  let qop: string | undefined;
  if (challenge.qop !== undefined) {
    if (challenge.qop.includes("auth")) qop = "auth";
    else if (challenge.qop.includes("auth-int")) qop = "auth-int";
    else throw new DigestChallengeError(`no supported qop in ${challenge.qop.join(",")}`);
  }
  if (!Number.isInteger(options.nc) || options.nc < 1 || options.nc > 0xffffffff) throw new RangeError(`nonce count ${options.nc} out of range`);
  const ha1 = ha1Of(options.secret, algorithm, options.username, challenge.realm);
  if (ha1 === undefined) throw new DigestChallengeError(`stored credentials of another algorithm cannot answer a ${algorithm} challenge`);
  const useCnonce = qop !== undefined || algorithm.endsWith("-sess");
  const nc = qop === undefined ? undefined : options.nc.toString(16).padStart(8, "0");
  const response = digestResponse({
    algorithm, ha1, nonce: challenge.nonce, method: options.method, uri: options.uri,
    qop, nc, cnonce: useCnonce ? options.cnonce : undefined, body: options.body,
  });
  return {
    username: options.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: options.uri,
    response,
    algorithm: challenge.algorithm === undefined ? undefined : algorithm,
    cnonce: useCnonce ? options.cnonce : undefined,
    opaque: challenge.opaque,
    qop,
    nc,
    other: new Map(),
  };
}
