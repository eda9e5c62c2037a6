/**
 * Qualify (res_pjsip's OPTIONS pings): every `qualify_frequency` seconds each contact
 * of an AOR gets an OPTIONS; a final response within `qualify_timeout` makes it
 * Avail (with its round trip), none makes it Unavail. Only changes of reachability
 * reach the contact actors, so a healthy phone costs the log nothing.
 */
import type { Clock, Timer } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { randomHex, type Random } from "../../core/random.js";
import type { ActorRuntime } from "../../actors/runtime.js";
import type { PjsipModel } from "../config/model.js";
import { SipRequest, parseUri, uriTransport } from "../message/index.js";
import type { TransactionLayer } from "../transaction/index.js";
import type { Destination, TransportProtocol } from "../transport/index.js";
import type { ContactInfo, Registrar } from "./registrar.js";

export type QualifyStatus = "Unknown" | "Avail" | "Unavail";

export interface QualifierDeps {
  readonly model: () => PjsipModel;
  readonly registrar: Registrar;
  readonly runtime: ActorRuntime;
  readonly transactions: TransactionLayer;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
}

export class Qualifier {
  private readonly timers = new Map<string, Timer>();
  /** Results by contact id (static contacts have no actor to hold them). */
  private readonly results = new Map<string, { status: QualifyStatus; rttMs?: number }>();

  constructor(private readonly deps: QualifierDeps) {
    deps.registrar.onContactAdded((contact) => {
      const aor = deps.model().aors.get(contact.aor);
      if (aor && aor.qualify_frequency > 0) this.ping(contact, aor.qualify_timeout);
    });
  }

  /** (Re)start the pings of every AOR with a qualify_frequency. */
  start(): void {
    this.stop();
    for (const aor of this.deps.model().aors.values()) {
      if (aor.qualify_frequency > 0) this.schedule(aor.name, 0);
    }
  }

  stop(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  status(contact: ContactInfo): { status: QualifyStatus; rttMs?: number } {
    return this.results.get(contact.id) ?? { status: "Unknown" };
  }

  private schedule(aorName: string, delaySeconds: number): void {
    const { clock } = this.deps;
    this.timers.set(aorName, clock.schedule(clock.now() + delaySeconds * 1e6, () => {
      const aor = this.deps.model().aors.get(aorName);
      if (!aor || aor.qualify_frequency <= 0) return;
      for (const contact of this.deps.registrar.contacts(aorName)) this.ping(contact, aor.qualify_timeout);
      this.schedule(aorName, aor.qualify_frequency);
    }));
  }

  private destination(contact: ContactInfo): Destination {
    const received = contact.context?.received;
    if (received) {
      const [protocol, ...rest] = received.split(":");
      const port = Number(rest.pop());
      return { host: rest.join(":"), port, protocol: protocol as TransportProtocol };
    }
    const uri = parseUri(contact.uri);
    const protocol = uriTransport(uri) as TransportProtocol | undefined;
    return { host: uri.host, ...(uri.port !== undefined ? { port: uri.port } : {}), ...(protocol ? { protocol } : {}) };
  }

  private ping(contact: ContactInfo, timeoutSeconds: number): void {
    const { clock, transactions, random } = this.deps;
    const sent = clock.now();
    let settled = false;
    const settle = (status: QualifyStatus, rttMs?: number) => {
      if (settled) return;
      settled = true;
      guard.cancel();
      this.record(contact, status, rttMs);
    };
    const guard = clock.schedule(sent + timeoutSeconds * 1e6, () => settle("Unavail"));
    try {
      const request = new SipRequest("OPTIONS", contact.uri);
      request.set("From", `<sip:qualify@recall>;tag=${randomHex(random, 8)}`);
      request.set("To", `<${contact.uri}>`);
      request.set("Call-ID", randomHex(random, 16));
      request.set("CSeq", "1 OPTIONS");
      request.set("Accept", "application/sdp");
      transactions.sendRequest(request, this.destination(contact), {
        onFinal: () => settle("Avail", (clock.now() - sent) / 1000),
        onTimeout: () => settle("Unavail"),
        onTransportError: () => settle("Unavail"),
      });
    } catch {
      settle("Unavail");
    }
  }

  private record(contact: ContactInfo, status: QualifyStatus, rttMs?: number): void {
    const before = this.results.get(contact.id)?.status ?? "Unknown";
    this.results.set(contact.id, rttMs === undefined ? { status } : { status, rttMs });
    if (before === status) return;
    this.deps.logger.log("VERBOSE", "res_pjsip/pjsip_options.c", `Contact ${contact.aor}/${contact.uri} is now ${status === "Avail" ? "Reachable" : "Unreachable"}.${rttMs !== undefined ? ` RTT: ${rttMs.toFixed(3)} msec` : ""}`);
    if (status !== "Unknown" && !contact.static && this.deps.runtime.has(contact.id)) {
      this.deps.runtime.send(contact.id, { source: "sip", type: "qualify", status, ...(rttMs !== undefined ? { rttMs } : {}) });
    }
  }
}
