/**
 * Inbound digest authentication of an identified endpoint (`auth=` on the endpoint),
 * for REGISTER and INVITE alike. Stateless nonces (signed with a per-process secret
 * and the injected clock) mean nothing is stored per challenge.
 */
import type { Auth, Endpoint, PjsipModel } from "../config/model.js";
import type { SipRequest } from "../message/index.js";
import {
  type DigestAlgorithm, type DigestSecret, challengeHeader, createNonce, parseCredentials, verifyCredentials,
} from "../auth/index.js";

export type AuthOutcome =
  | { readonly ok: true; readonly auth?: Auth }
  /** Answer 401 with these WWW-Authenticate values; `failure` says why, for the security log. */
  | { readonly ok: false; readonly challenges: readonly string[]; readonly failure?: "wrong-password" | "unknown-user" | "bad-nonce" | "malformed" };

export interface AuthContext {
  readonly model: PjsipModel;
  /** Server secret nonces are signed with. */
  readonly nonceSecret: string;
  /** Microseconds, from the injected clock. */
  readonly now: number;
  /** A fresh salt for a nonce, from the injected random. */
  readonly salt: () => string;
}

const realmOf = (ctx: AuthContext, auth: Auth | undefined) => auth?.realm || ctx.model.global.default_realm;

function secretsOf(auth: Auth): { secret: DigestSecret; algorithm: DigestAlgorithm }[] {
  const out: { secret: DigestSecret; algorithm: DigestAlgorithm }[] = [];
  for (const d of auth.password_digest) out.push({ secret: { ha1: d.digest, algorithm: d.algorithm }, algorithm: d.algorithm });
  if (auth.password !== "" || !out.length) out.push({ secret: { password: auth.password }, algorithm: "MD5" });
  return out;
}

/** The challenges for an endpoint: one per realm and algorithm its auths accept. */
export function challengesFor(ctx: AuthContext, auths: readonly (Auth | undefined)[], stale = false): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const auth of auths.length ? auths : [undefined]) {
    const realm = realmOf(ctx, auth);
    const algorithms: readonly DigestAlgorithm[] = auth?.supported_algorithms_uas.length ? auth.supported_algorithms_uas : ["MD5"];
    for (const algorithm of algorithms) {
      const key = `${realm}/${algorithm}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(challengeHeader({ realm, nonce: createNonce(ctx.nonceSecret, ctx.now, ctx.salt(), realm), algorithm, stale }));
    }
  }
  return out;
}

/** Check the request's credentials against the endpoint's auths. Endpoints without `auth=` pass. */
export function authenticate(ctx: AuthContext, endpoint: Endpoint, req: SipRequest): AuthOutcome {
  const auths = endpoint.auth.map((name) => ctx.model.auths.get(name)).filter((a): a is Auth => a !== undefined);
  if (!endpoint.auth.length) return { ok: true };
  const header = req.get("Authorization");
  if (!header) return { ok: false, challenges: challengesFor(ctx, auths) };
  let creds;
  try { creds = parseCredentials(header); } catch { return { ok: false, challenges: challengesFor(ctx, auths), failure: "malformed" }; }
  const candidates = auths.filter((a) => a.username === creds.username && realmOf(ctx, a) === creds.realm);
  if (!candidates.length) return { ok: false, challenges: challengesFor(ctx, auths), failure: "unknown-user" };
  let stale = false, badNonce = false;
  for (const auth of candidates) {
    for (const { secret } of secretsOf(auth)) {
      const result = verifyCredentials(creds, {
        method: req.method, realm: realmOf(ctx, auth), secret, nonceSecret: ctx.nonceSecret, now: ctx.now,
        nonceLifetimeSeconds: auth.nonce_lifetime, body: req.body,
      });
      if (result === "ok") return { ok: true, auth };
      if (result === "stale") stale = true;
      if (result === "bad-nonce") badNonce = true;
    }
  }
  if (stale) return { ok: false, challenges: challengesFor(ctx, auths, true) };
  if (badNonce) return { ok: false, challenges: challengesFor(ctx, auths), failure: "bad-nonce" };
  return { ok: false, challenges: challengesFor(ctx, auths), failure: "wrong-password" };
}

/** An artificial challenge for requests from no known endpoint, so a scanner cannot tell users apart. */
export function artificialChallenge(ctx: AuthContext): string[] {
  return challengesFor(ctx, []);
}
