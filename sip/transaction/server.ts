/**
 * Server transactions (RFC 3261 §17.2, with RFC 6026's Accepted state for INVITE).
 *
 * non-INVITE: Trying → Proceeding (1xx) → Completed (final; Timer J absorbs
 * retransmitted requests, 64*T1 over UDP, none over TCP) → Terminated. In Completed
 * the layer holds only the response (CompletedTransaction), not the request.
 *
 * INVITE: Proceeding → Completed (3xx-6xx; Timer G retransmits the response over UDP,
 * T1 doubling up to T2, until the ACK; Timer H gives up after 64*T1) → Confirmed (ACK;
 * Timer I, T4 over UDP) → Terminated. A 2xx leads to Accepted instead: the 2xx is
 * retransmitted over UDP (T1 doubling up to T2) until its ACK arrives, and the state
 * lasts 64*T1 (Timer L) to absorb retransmitted INVITEs.
 */
import type { Timer } from "../../core/clock.js";
import { type ResponseOptions, type SipRequest, SipResponse, buildResponse, ownString, serializeMessage } from "../message/index.js";
import type { Source, Target } from "../transport/index.js";
import type { TransactionHost } from "./host.js";
import { ackKey } from "./keys.js";

export type ServerState = "trying" | "proceeding" | "completed" | "confirmed" | "accepted" | "terminated";

/** Why an INVITE server transaction ended badly: no ACK (Timer H, or 64*T1 after a 2xx), or a response could not be sent. */
export type ServerFailure = "timeout" | "transport-error";

/**
 * What the layer keeps of a non-INVITE server transaction once its final response went
 * out over an unreliable transport: that response (off the heap, in KeptBytes), sent again
 * for each retransmitted request until Timer J (64*T1) ends it. The transaction object itself stays in state
 * `completed` for whoever still holds it.
 */
export class CompletedTransaction {
  readonly key: string;

  constructor(
    private readonly host: TransactionHost,
    key: string,
    /** The response, in the layer's KeptBytes. */
    private readonly response: number,
    private readonly target: Target,
    /** When Timer J ends it (Clock time). */
    readonly expires: number,
  ) {
    this.key = ownString(key);
  }

  retransmitted(_source: Source): void {
    this.host.stats.requestRetransmissionsIn++;
    const data = this.host.kept.get(this.response);
    if (data === undefined) return;
    this.host.stats.responseRetransmissionsOut++;
    this.host.send(data, this.target);
  }
}

/**
 * What the layer keeps of an INVITE answered 2xx once its ACK came, until Timer L (64*T1
 * after the ACK): it absorbs retransmitted INVITEs and ACKs (RFC 6026 §7.1). The transaction
 * object, with its request and whatever its TU's handlers close over, can go; it stays
 * `accepted` for whoever still holds it.
 */
export class AcknowledgedInvite {
  readonly key: string;
  readonly ackKey: string;

  constructor(private readonly host: TransactionHost, key: string, ackKey: string, readonly expires: number) {
    this.key = ownString(key);
    this.ackKey = ownString(ackKey);
  }

  retransmitted(_source: Source): void {
    this.host.stats.requestRetransmissionsIn++;
  }

  acknowledged(): boolean {
    return false;
  }
}

/** Thrown by respond() when the transaction cannot send that response any more. */
export class TransactionStateError extends Error {
  override readonly name = "TransactionStateError";
}

export class ServerTransaction {
  readonly request: SipRequest;
  readonly source: Source;
  readonly isInvite: boolean;
  /** True once a CANCEL for this INVITE arrived before its final response. */
  cancelled = false;
  readonly #host: TransactionHost;
  readonly #key: string;
  #state: ServerState;
  #target: Target | undefined;
  /**
   * The last response sent, for retransmissions: the provisional's bytes, or the final's as a
   * byte string (kept until Timer H or L, 32 s: a Buffer would pin its 8 KiB pool slab).
   */
  #last: Buffer | string | undefined;
  #lastStatus = 0;
  #localTag: string | undefined;
  #retransmit: Timer | undefined;
  #timeout: Timer | undefined;
  #interval = 0;
  #ackKey: string | undefined;
  #acked = false;
  #onCancel: ((cancel: SipRequest) => void) | undefined;
  #onFailure: ((reason: ServerFailure, error?: Error) => void) | undefined;

  /** @internal Created by the TransactionLayer. */
  constructor(host: TransactionHost, key: string, request: SipRequest, source: Source) {
    this.#host = host;
    this.#key = key;
    this.request = request;
    this.source = source;
    this.isInvite = request.method === "INVITE";
    this.#state = this.isInvite ? "proceeding" : "trying";
    if (!this.isInvite) {
      // A TU that never answers must not leak the transaction: the client gives up after 64*T1 too.
      this.#timeout = host.clock.schedule(host.clock.now() + host.timers.timeout, () => {
        host.stats.abandoned++;
        this.#terminate();
      });
    }
  }

  get state(): ServerState {
    return this.#state;
  }

  get method(): string {
    return this.request.method;
  }

  /** Status of the last response sent, 0 before any. */
  get lastStatus(): number {
    return this.#lastStatus;
  }

  /** The To tag responses carry when the request had none (drawn once, so 180 and 200 agree). */
  get localTag(): string {
    return (this.#localTag ??= this.request.toTag ?? this.#host.newTag());
  }

  /**
   * Send a response: a status (built from the request with `localTag` as To tag, plus
   * `options`) or a complete SipResponse. Returns what was sent. Throws
   * TransactionStateError once a final response has been sent.
   */
  respond(status: number, options?: ResponseOptions): SipResponse;
  respond(response: SipResponse): SipResponse;
  respond(what: number | SipResponse, options: ResponseOptions = {}): SipResponse {
    const state = this.#state;
    if (state !== "trying" && state !== "proceeding") {
      throw new TransactionStateError(`${this.request.method} transaction already answered ${this.#lastStatus} (${state})`);
    }
    let response: SipResponse;
    if (what instanceof SipResponse) response = what;
    else {
      const toTag = options.toTag ?? (what === 100 || this.request.toTag !== undefined ? undefined : this.localTag);
      response = buildResponse(this.request, what, toTag === options.toTag ? options : { ...options, toTag });
    }
    const status = response.status;
    if (this.isInvite && status === 100 && this.#lastStatus > 100) return response; // a 100 after 18x says nothing
    const host = this.#host;
    const data = serializeMessage(response);
    // A non-INVITE's final is resent by the layer's entry (UDP) or never (reliable transports).
    this.#last = status < 200 ? data : this.isInvite ? data.toString("latin1") : undefined;
    this.#lastStatus = status;
    if (this.#target === undefined) {
      this.#target = host.responseTarget(response.via, this.source);
      if (this.#target === undefined) {
        this.#fail("transport-error", new Error("no route for the response (top Via)"));
        return response;
      }
    }
    host.stats.responsesOut++;
    host.send(data, this.#target, this.#sendFailed);
    if (status < 200) {
      this.#state = "proceeding";
      return response;
    }
    const reliable = this.#target.transport.reliable;
    const timers = host.timers;
    this.#cancelTimers();
    this.#onCancel = undefined; // nothing left to cancel
    if (!this.isInvite) {
      if (reliable) this.#terminate();
      else {
        // Timer J: the layer keeps only the response; the request (and the datagram it was read from) can go.
        this.#state = "completed";
        host.serverDone(this.#key, this);
        const expires = host.clock.now() + timers.timeout;
        host.keepCompleted(new CompletedTransaction(host, this.#key, host.kept.put(data, expires), host.shareTarget(this.#target), expires));
      }
    } else if (status >= 300) {
      this.#state = "completed";
      if (!reliable) this.#retransmitEvery(timers.t1); // Timer G
      this.#timeout = this.#at(timers.timeout, () => this.#fail("timeout")); // Timer H
    } else {
      this.#state = "accepted";
      this.#ackKey = ackKey(response.callId, response.cseq.seq, response.fromTag, response.toTag);
      host.awaitAck(this.#ackKey, this);
      if (!reliable) this.#retransmitEvery(timers.t1); // 2xx retransmission (RFC 3261 §13.3.1.4)
      this.#timeout = this.#at(timers.timeout, () => (this.#acked ? this.#terminate() : this.#fail("timeout"))); // Timer L
    }
    return response;
  }

  /**
   * For an INVITE: called when a CANCEL for it arrives before the final response (the
   * CANCEL itself has been answered 200). Answer the INVITE, normally 487. Without a
   * handler the layer answers 487 itself.
   */
  onCancel(handler: (cancel: SipRequest) => void): void {
    this.#onCancel = handler;
  }

  /** For an INVITE: no ACK came (to a 2xx: the dialog should be ended with BYE), or a response could not be sent. */
  onFailure(handler: (reason: ServerFailure, error?: Error) => void): void {
    this.#onFailure = handler;
  }

  /**
   * @internal The same request again: resend the last response (nothing before the
   * first one, or once confirmed). A retransmission that came on another open
   * connection is answered, from now on, on that connection.
   */
  retransmitted(source: Source): void {
    const host = this.#host;
    host.stats.requestRetransmissionsIn++;
    const target = this.#target;
    if (this.#state === "confirmed" || this.#last === undefined || target === undefined) return;
    const connection = source.connection;
    const to = connection?.open && connection !== target.connection && connection.transport === target.transport
      ? (this.#target = { transport: target.transport, host: target.host, port: target.port, connection })
      : target;
    host.stats.responseRetransmissionsOut++;
    this.#resend(to);
  }

  /** @internal An ACK with this INVITE's branch: the end of a non-2xx exchange. True if it should go on to the TU (it acknowledges a 2xx). */
  ackReceived(): boolean {
    if (this.#state === "accepted") return this.acknowledged();
    if (this.#state !== "completed") return false;
    this.#state = "confirmed";
    this.#onFailure = undefined; // acknowledged: it can no longer fail
    this.#cancelTimers();
    if (this.#target?.transport.reliable) this.#terminate();
    else this.#timeout = this.#at(this.#host.timers.t4, () => this.#terminate()); // Timer I
    return false;
  }

  /** @internal The ACK of our 2xx: stop retransmitting; true the first time. */
  acknowledged(): boolean {
    if (this.#acked) return false;
    this.#acked = true;
    this.#onFailure = undefined;
    this.#cancelTimers();
    this.#last = undefined;
    // Timer L now only absorbs retransmissions: the layer keeps a small entry for that.
    const host = this.#host;
    host.keepAcknowledged(this, new AcknowledgedInvite(host, this.#key, this.#ackKey!, host.clock.now() + host.timers.timeout));
    return true;
  }

  /** @internal A CANCEL matched this INVITE (and has been answered 200). */
  cancelRequested(cancel: SipRequest): void {
    if (this.#state !== "proceeding" || this.cancelled) return;
    this.cancelled = true;
    const handler = this.#onCancel;
    if (handler === undefined) {
      this.respond(487);
      return;
    }
    try {
      handler(cancel);
    } catch (e) {
      this.#host.handlerError(e, "onCancel");
      if (this.#state === "proceeding") this.respond(487);
    }
  }

  /** @internal Stop timers and forget the transaction (layer shutdown). */
  dispose(): void {
    this.#terminate();
  }

  readonly #sendFailed = (error: Error): void => {
    this.#fail("transport-error", error);
  };

  #fail(reason: ServerFailure, error?: Error): void {
    if (this.#state === "terminated") return;
    const host = this.#host;
    if (reason === "timeout") host.stats.timeouts++;
    else host.stats.transportErrors++;
    this.#terminate();
    const handler = this.#onFailure;
    if (handler) {
      try {
        handler(reason, error);
      } catch (e) {
        host.handlerError(e, "onFailure");
      }
    }
  }

  #at(delay: number, fn: () => void): Timer {
    const clock = this.#host.clock;
    return clock.schedule(clock.now() + delay, fn);
  }

  /** Resend the last response after `interval`, doubling up to T2 (Timer G and the 2xx retransmission). */
  #retransmitEvery(interval: number): void {
    this.#interval = interval;
    this.#retransmit = this.#at(interval, () => {
      const host = this.#host;
      host.stats.responseRetransmissionsOut++;
      this.#resend(this.#target!);
      this.#retransmitEvery(Math.min(2 * this.#interval, host.timers.t2));
    });
  }

  #resend(to: Target): void {
    const last = this.#last!;
    this.#host.send(typeof last === "string" ? Buffer.from(last, "latin1") : last, to);
  }

  #cancelTimers(): void {
    this.#retransmit?.cancel();
    this.#timeout?.cancel();
    this.#retransmit = this.#timeout = undefined;
  }

  #terminate(): void {
    if (this.#state === "terminated") return;
    this.#state = "terminated";
    this.#cancelTimers();
    this.#host.serverDone(this.#key, this);
    if (this.#ackKey !== undefined) this.#host.ackDone(this.#ackKey, this);
  }
}
