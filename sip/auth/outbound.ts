/**
 * Answering a 401/407 with an endpoint's `outbound_auth` objects: pick the challenge,
 * the auth whose realm matches (or the first), and build the header to resend with.
 */
import type { Auth } from "../config/model.js";
import type { SipResponse } from "../message/index.js";
import { answerChallenge, chooseChallenge } from "./client.js";
import { formatCredentials, parseChallenge, type DigestChallenge } from "./header.js";

export interface ChallengeAnswer {
  readonly header: "Authorization" | "Proxy-Authorization";
  readonly value: string;
}

/** The challenges a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate) carries, unparseable ones skipped. */
export function challengesOf(response: SipResponse): DigestChallenge[] {
  const key = response.status === 401 ? "www-authenticate" : "proxy-authenticate";
  const out: DigestChallenge[] = [];
  for (const f of response.headerFields) {
    if (f.key !== key) continue;
    try { out.push(parseChallenge(f.value)); } catch { /* skip a bad one */ }
  }
  return out;
}

/** Credentials answering `response` for `method uri`, or undefined when no auth fits. */
export function answerWithAuths(response: SipResponse, auths: readonly Auth[], request: { method: string; uri: string; cnonce: string; nc: number }): ChallengeAnswer | undefined {
  const challenge = chooseChallenge(challengesOf(response));
  if (!challenge || !auths.length) return undefined;
  const auth = auths.find((a) => a.realm && a.realm === challenge.realm) ?? auths[0];
  const digest = auth.password_digest[0];
  try {
    const creds = answerChallenge(challenge, {
      username: auth.username,
      secret: auth.password || !digest ? { password: auth.password } : { ha1: digest.digest, algorithm: digest.algorithm },
      method: request.method, uri: request.uri, cnonce: request.cnonce, nc: request.nc,
    });
    return { header: response.status === 401 ? "Authorization" : "Proxy-Authorization", value: formatCredentials(creds) };
  } catch {
    return undefined;
  }
}
