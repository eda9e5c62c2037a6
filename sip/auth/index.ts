/** Digest authentication (RFC 2617, RFC 7616) for SIP: challenges, credentials, stateless nonces. */
export {
  DIGEST_ALGORITHMS, type DigestAlgorithm, type DigestSecret, type ResponseInput, baseAlgorithm, credentialsHash, digestHash, digestResponse,
  ha1Of, parseAlgorithm,
} from "./digest.js";
export { type DigestChallenge, type DigestCredentials, formatChallenge, formatCredentials, parseAuthParams, parseChallenge, parseCredentials } from "./header.js";
export { DEFAULT_NONCE_LIFETIME_SECONDS, type NonceStatus, checkNonce, createNonce, nonceIssuedAt } from "./nonce.js";
export {
  type ChallengeOptions, type VerifyOptions, type VerifyResult, buildChallenge, challengeHeader, verifyCredentials,
} from "./server.js";
export { type AnswerOptions, DigestChallengeError, answerChallenge, chooseChallenge } from "./client.js";
