/**
 * `switch => PJSIP/<endpoint>`: extensions this node does not have are looked up on
 * the node behind a PJSIP endpoint (another Recall, or an Asterisk), the way an IAX2
 * switch asks its server. The question is an OPTIONS to `<exten>@<endpoint's contact>`:
 * 200 means the extension exists there, 484 (Address Incomplete) that more digits could
 * match, anything else (404, no answer) that it is not there. Answers are cached for
 * `cacheSeconds` on the injected clock. An extension found there runs as
 * `Dial(PJSIP/<exten>@<endpoint>)` at priority 1.
 */
import { randomHex } from "../../core/random.js";
import type { FoundPriority, Position } from "../../dialplan/search.js";
import { SipRequest } from "../message/index.js";
import type { PjsipDriverDeps, Presence } from "./pjsip.js";
import { destinationOfUri } from "./dialog.js";

export type RemoteSwitchDeps = Pick<PjsipDriverDeps, "transactions" | "model" | "registrar" | "clock" | "random" | "logger" | "userAgent"> & {
  /** How long an answer is trusted (default 60 s). */
  readonly cacheSeconds?: number;
};

export class RemoteSwitch {
  private readonly cache = new Map<string, { presence: Presence; until: number } | Promise<void>>();

  constructor(private readonly deps: RemoteSwitchDeps) {}

  /** The executor's switch answer for `endpoint` at `position`. */
  answer(endpoint: string, position: Position, mode: "match" | "matchmore"): FoundPriority | undefined | Promise<unknown> {
    const presence = this.presence(endpoint, position.exten);
    if (presence instanceof Promise) return presence;
    if (mode === "matchmore") return presence === "more" ? { app: "NoOp", appData: "" } : undefined;
    if (presence !== "exists" || position.priority !== 1) return undefined;
    return { app: "Dial", appData: `PJSIP/${position.exten}@${endpoint}` };
  }

  private presence(endpoint: string, exten: string): Presence | Promise<void> {
    const key = `${endpoint}|${exten}`;
    const known = this.cache.get(key);
    if (known instanceof Promise) return known;
    if (known && known.until > this.deps.clock.now()) return known.presence;
    const asked = this.ask(endpoint, exten).then((presence) => {
      const now = this.deps.clock.now();
      if (this.cache.size > 10_000) for (const [k, v] of this.cache) if (!(v instanceof Promise) && v.until <= now) this.cache.delete(k);
      this.cache.set(key, { presence, until: now + (this.deps.cacheSeconds ?? 60) * 1e6 });
    });
    this.cache.set(key, asked);
    return asked;
  }

  private ask(endpointName: string, exten: string): Promise<Presence> {
    const { model, registrar, transactions, random, logger } = this.deps;
    const endpoint = model().endpoints.get(endpointName);
    if (!endpoint) {
      logger.log("WARNING", "pbx.c", `switch => PJSIP/${endpointName}: no such endpoint`);
      return Promise.resolve("none");
    }
    const contact = endpoint.aors.flatMap((aor) => registrar.contacts(aor))[0];
    if (!contact) return Promise.resolve("none");
    const uri = contact.uri.replace(/^(sips?:)(?:[^@]*@)?/i, `$1${encodeURIComponent(exten)}@`);
    return new Promise<Presence>((resolve) => {
      const request = new SipRequest("OPTIONS", uri);
      request.set("From", `<sip:${endpoint.from_user || "recall"}@${endpoint.from_domain || "recall"}>;tag=${randomHex(random, 8)}`);
      request.set("To", `<${uri}>`);
      request.set("Call-ID", randomHex(random, 16));
      request.set("CSeq", "1 OPTIONS");
      request.set("User-Agent", this.deps.userAgent);
      request.set("Accept", "application/sdp");
      try {
        transactions.sendRequest(request, destinationOfUri(uri), {
          onFinal: (r) => resolve(r.status >= 200 && r.status < 300 ? "exists" : r.status === 484 ? "more" : "none"),
          onTimeout: () => resolve("none"),
          onTransportError: () => resolve("none"),
        });
      } catch (e) {
        logger.log("WARNING", "pbx.c", `switch => PJSIP/${endpointName}: ${(e as Error).message}`);
        resolve("none");
      }
    });
  }
}
