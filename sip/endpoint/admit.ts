/**
 * Who sent a new out-of-dialog request (SUBSCRIBE, MESSAGE): the endpoint identified,
 * allowed by its ACL and authenticated, exactly as an INVITE is; otherwise the request
 * is answered (401 with a challenge, 403) and the failure logged for fail2ban.
 * Returns undefined when the request has been answered or is ignored (a blocked source).
 */
import { randomHex, type Random } from "../../core/random.js";
import type { Endpoint, PjsipModel } from "../config/model.js";
import { aclAllows } from "../config/acl.js";
import type { ServerTransaction } from "../transaction/index.js";
import { artificialChallenge, authenticate, type AuthContext } from "./authenticate.js";
import { identifyEndpoint } from "./identify.js";
import type { AuthSecurity } from "./security.js";

export interface AdmitDeps {
  readonly model: () => PjsipModel;
  readonly security: AuthSecurity;
  readonly nonceSecret: string;
  readonly random: Random;
}

export function admitRequest(tx: ServerTransaction, deps: AdmitDeps, now: number): Endpoint | undefined {
  const { security } = deps;
  const req = tx.request, source = tx.source;
  if (security.blocked(source.host, now)) return undefined;
  const model = deps.model();
  const authContext = (): AuthContext => ({ model, nonceSecret: deps.nonceSecret, now, salt: () => randomHex(deps.random, 8) });
  const identified = identifyEndpoint(model, req, source);
  if (!identified) {
    security.failed(req, source.host, source.port, "No matching endpoint found", now);
    tx.respond(401, { headers: artificialChallenge(authContext()).map((v) => ["WWW-Authenticate", v] as [string, string]) });
    return undefined;
  }
  const endpoint = identified.endpoint;
  if ((endpoint.acl.rules.length || endpoint.acl.named.length) && !aclAllows(endpoint.acl, model.namedAcls, source.host)) {
    security.failed(req, source.host, source.port, "Not match Endpoint ACL", now);
    tx.respond(403);
    return undefined;
  }
  const outcome = authenticate(authContext(), endpoint, req);
  if (!outcome.ok) {
    if (outcome.failure === "wrong-password" || outcome.failure === "unknown-user" || outcome.failure === "malformed") {
      security.failed(req, source.host, source.port, "Failed to authenticate", now);
    }
    tx.respond(401, { headers: outcome.challenges.map((v) => ["WWW-Authenticate", v] as [string, string]) });
    return undefined;
  }
  return endpoint;
}
