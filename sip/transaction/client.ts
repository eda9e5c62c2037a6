/**
 * Client transactions (RFC 3261 §17.1, with RFC 6026's Accepted state for INVITE).
 *
 * INVITE: Calling (Timer A retransmits over UDP at T1, 2T1, 4T1...; Timer B gives up
 * after 64*T1) → Proceeding (1xx) → Completed (3xx-6xx: the ACK is sent here, and
 * resent for each retransmitted final during Timer D, 32 s over UDP) or Accepted (2xx:
 * the TU sends the ACK with `ack()`; for Timer M, 64*T1, a retransmitted 2xx gets that
 * ACK again and a 2xx from another fork goes to the TU).
 *
 * non-INVITE: Trying (Timer E retransmits over UDP at T1 doubling up to T2; Timer F
 * gives up after 64*T1) → Proceeding (1xx; Timer E now every T2) → Completed (final;
 * Timer K, T4 over UDP, absorbs retransmitted responses).
 */
import type { Timer } from "../../core/clock.js";
import { type HeaderField, SipRequest, type SipResponse, header, ownString, serializeMessage } from "../message/index.js";
import type { Destination, Route, Target } from "../transport/index.js";
import type { TransactionHost } from "./host.js";

export type ClientState = "calling" | "trying" | "proceeding" | "completed" | "accepted" | "terminated";

export interface ClientHandlers {
  /** A 1xx response. */
  onProvisional?(response: SipResponse, tx: ClientTransaction): void;
  /**
   * The final response. For an INVITE, also each 2xx with a To tag not seen before
   * (forking); retransmitted finals are absorbed.
   */
  onFinal?(response: SipResponse, tx: ClientTransaction): void;
  /** No final response: Timer B or F, or none within 64*T1 of a CANCEL. */
  onTimeout?(tx: ClientTransaction): void;
  /** The request could not be sent (connection refused, no route...). */
  onTransportError?(error: Error, tx: ClientTransaction): void;
}

const NO_HANDLERS: ClientHandlers = Object.freeze({});

/**
 * A response to an INVITE already accepted (RFC 6026): its 2xx again ("again"), the 2xx
 * of another fork ("fork", its To tag now known), or a late 1xx or non-2xx that says
 * nothing new (undefined). Counted either way.
 */
function afterAccept(host: TransactionHost, tags: string[], response: SipResponse): "again" | "fork" | undefined {
  const status = response.status, tag = response.toTag ?? "";
  if (status >= 200 && status < 300 && !tags.includes(tag)) {
    tags.push(ownString(tag));
    host.stats.responsesIn++;
    return "fork";
  }
  host.stats.responseRetransmissionsIn++;
  return status >= 200 && status < 300 ? "again" : undefined;
}

/** Send a kept ACK again (a retransmitted final or 2xx asks for it), if there is one. */
function resendAck(host: TransactionHost, ack: { readonly text: string; readonly target: Target } | undefined): void {
  if (ack === undefined) return;
  host.stats.acksOut++;
  host.send(Buffer.from(ack.text, "latin1"), ack.target);
}

/**
 * An accepted INVITE its TU has forgotten (ClientTransaction.forget), in the layer's map
 * until Timer M: it sends the TU's ACK again for each retransmitted 2xx and absorbs the
 * rest (a 2xx of another fork has no TU to go to any more). At 500 calls/s some 16,000
 * such INVITEs linger; this keeps their tags and ACK (off the heap, in KeptBytes) and drops the rest.
 */
export class AcceptedInvite {
  readonly key: string;

  constructor(
    private readonly host: TransactionHost, key: string, private readonly tags: string[],
    /** The ACK's handle in the layer's KeptBytes, and where it went. */
    private readonly sentAck: { readonly handle: number; readonly target: Target } | undefined, private readonly ackTag: string | undefined,
    readonly expires: number,
  ) {
    this.key = ownString(key);
  }

  receive(response: SipResponse): void {
    if (afterAccept(this.host, this.tags, response) !== "again" || this.ackTag !== response.toTag || this.sentAck === undefined) return;
    const data = this.host.kept.get(this.sentAck.handle);
    if (data === undefined) return;
    this.host.stats.acksOut++;
    this.host.send(data, this.sentAck.target);
  }

  dispose(): void { /* no timer of its own: the layer's expiry queue holds it */ }
}

export class ClientTransaction {
  #request: SipRequest | undefined;
  readonly branch: string;
  /** Transport, address and the sent-by advertised in our Via. */
  readonly route: Route;
  readonly isInvite: boolean;
  readonly #host: TransactionHost;
  readonly #key: string;
  /** Emptied once no handler can be called any more, so a lingering transaction does not keep its call alive. */
  #handlers: ClientHandlers;
  /** The request's bytes, while it may be retransmitted. */
  #data: Buffer | undefined;
  #state: ClientState;
  #retransmit: Timer | undefined;
  #timeout: Timer | undefined;
  #interval = 0;
  /**
   * The ACK of a non-2xx final, or the TU's ACK of the 2xx with To tag #ackTag; resent when the response is
   * retransmitted. Kept as a byte string: a kept Buffer would pin the 8 KiB pool slab it was cut from for 32 s.
   */
  #ack: { text: string; target: Target } | undefined;
  #ackTag: string | undefined;
  /** To tags of the 2xx seen (forks): one but for a forked INVITE. */
  #tags: string[] | undefined;
  #cancelWanted = false;
  #cancelReason: string | undefined;
  #cancelSent = false;

  /** @internal Created by the TransactionLayer, which has already put the Via on the request. */
  constructor(host: TransactionHost, key: string, request: SipRequest, route: Route, branch: string, handlers: ClientHandlers) {
    this.#host = host;
    this.#key = key;
    this.#request = request;
    this.route = route;
    this.branch = branch;
    this.isInvite = request.method === "INVITE";
    this.#handlers = handlers;
    this.#state = this.isInvite ? "calling" : "trying";
    this.#data = serializeMessage(request);
  }

  /** The request as sent, with our Via on top; gone once the TU has forgotten the transaction, or a non-INVITE's final response has been handled. */
  get request(): SipRequest {
    if (this.#request === undefined) throw new TypeError("the transaction was forgotten or answered: its request is gone");
    return this.#request;
  }

  get state(): ClientState {
    return this.#state;
  }

  /** @internal Send the request and arm Timers A/B or E/F. */
  start(): void {
    const host = this.#host;
    host.stats.requestsOut++;
    host.send(this.#data!, this.route, this.#sendFailed);
    if (this.#state === "terminated") return; // failed synchronously
    if (!this.route.transport.reliable) this.#retransmitEvery(host.timers.t1);
    this.#timeout = this.#at(host.timers.timeout, () => this.#timedOut()); // Timer B or F
  }

  /**
   * Cancel a pending INVITE (RFC 3261 §9.1): the CANCEL goes out at once if a
   * provisional response came, else as soon as one does. The INVITE then normally ends
   * with 487 through onFinal; if no final response comes within 64*T1, onTimeout.
   * Returns false when there is nothing left to cancel (final response received).
   * `reason`: a Reason header value for the CANCEL (RFC 3326).
   */
  cancel(reason?: string): boolean {
    if (!this.isInvite) throw new TypeError(`only an INVITE can be cancelled, not ${this.request.method}`);
    if (this.#state !== "calling" && this.#state !== "proceeding") return false;
    this.#cancelWanted = true;
    this.#cancelReason = reason;
    if (this.#state === "proceeding") this.#sendCancel();
    return true;
  }

  /**
   * Send the ACK for a 2xx (built by the dialog: new CSeq method ACK, the 2xx's To tag,
   * the route set) to `destination`, outside any transaction; it is sent again each
   * time that 2xx is retransmitted while the transaction lasts.
   */
  ack(ack: SipRequest, destination: Destination): void {
    if (ack.method !== "ACK") throw new TypeError(`ack() sends an ACK, not ${ack.method}`);
    const sent = this.#host.sendAck(ack, destination);
    this.#ack = { text: sent.data.toString("latin1"), target: sent.target };
    this.#ackTag = ack.toTag === undefined ? undefined : ownString(ack.toTag);
  }

  /**
   * The TU wants no more 2xx of other forks (its call is over): drop its handlers and the
   * request. What is left lingers until Timer M only to absorb retransmissions and resend the ACK.
   */
  forget(): void {
    if (this.#state === "calling" || this.#state === "proceeding" || this.#state === "trying") return; // still sending
    this.#handlers = NO_HANDLERS;
    this.#request = undefined;
    if (this.#state !== "accepted") return;
    // A small entry takes over until Timer M (counted from now): this object, its timer and closures can go.
    this.#cancelTimers();
    const host = this.#host;
    const expires = host.clock.now() + host.timers.timeout;
    const ack = this.#ack && { handle: host.kept.put(this.#ack.text, expires), target: host.shareTarget(this.#ack.target) };
    host.keepAccepted(this, new AcceptedInvite(host, this.#key, this.#tags!, ack, this.#ackTag, expires));
  }

  /** @internal A response with this transaction's branch and method. */
  receive(response: SipResponse): void {
    const host = this.#host;
    const status = response.status;
    const state = this.#state;
    if (state === "terminated") return;
    if (state === "completed") {
      host.stats.responseRetransmissionsIn++;
      if (this.isInvite && status >= 300) resendAck(host, this.#ack);
      return;
    }
    if (state === "accepted") {
      const seen = afterAccept(host, this.#tags!, response);
      if (seen === "fork") this.#call("onFinal", response);
      else if (seen === "again" && this.#ackTag === response.toTag) resendAck(host, this.#ack);
      return;
    }
    host.stats.responsesIn++;
    if (status < 200) {
      this.#state = "proceeding";
      if (this.isInvite) {
        // Proceeding: no more retransmissions nor Timer B (RFC 3261 §17.1.1.2).
        this.#cancelTimers();
        if (this.#cancelWanted && !this.#cancelSent) this.#sendCancel();
      }
      this.#call("onProvisional", response);
      return;
    }
    this.#cancelTimers();
    this.#data = undefined; // never sent again
    const timers = host.timers;
    const reliable = this.route.transport.reliable;
    if (!this.isInvite) {
      this.#state = "completed";
      if (reliable) this.#terminate();
      else this.#timeout = this.#at(timers.t4, () => this.#terminate()); // Timer K
    } else if (status >= 300) {
      this.#state = "completed";
      this.#sendNon2xxAck(response);
      if (reliable) this.#terminate();
      else this.#timeout = this.#at(timers.d, () => this.#terminate()); // Timer D
    } else {
      this.#state = "accepted";
      this.#tags = [ownString(response.toTag ?? "")]; // kept until Timer M
      this.#timeout = this.#at(timers.timeout, () => this.#terminate()); // Timer M
    }
    this.#call("onFinal", response);
    if (this.#state === "accepted") return; // only a fork's 2xx is told later
    this.#handlers = NO_HANDLERS;
    // Timer K only absorbs retransmitted responses: the request can go (a BYE's, 2,500 of them at 500 calls/s).
    if (!this.isInvite) this.#request = undefined;
  }

  /** @internal Stop timers and forget the transaction (layer shutdown). */
  dispose(): void {
    this.#terminate();
  }

  readonly #sendFailed = (error: Error): void => {
    const state = this.#state;
    if (state !== "calling" && state !== "trying" && state !== "proceeding") return;
    this.#host.stats.transportErrors++;
    this.#terminate();
    this.#call("onTransportError", error);
  };

  #timedOut(): void {
    this.#host.stats.timeouts++;
    this.#terminate();
    this.#call("onTimeout");
  }

  #call(name: "onProvisional" | "onFinal", response: SipResponse): void;
  #call(name: "onTimeout"): void;
  #call(name: "onTransportError", error: Error): void;
  #call(name: keyof ClientHandlers, arg?: SipResponse | Error): void {
    const handler = this.#handlers[name];
    if (handler === undefined) return;
    try {
      if (name === "onTimeout") (handler as (tx: ClientTransaction) => void).call(this.#handlers, this);
      else (handler as (a: unknown, tx: ClientTransaction) => void).call(this.#handlers, arg, this);
    } catch (e) {
      this.#host.handlerError(e, name);
    }
  }

  /** RFC 3261 §9.1: same Request-URI, Call-ID, From, To, CSeq number and top Via as the INVITE, and its Route. */
  #sendCancel(): void {
    this.#cancelSent = true;
    const fields = this.#headers("CANCEL", this.request.get("To")!);
    for (const route of this.request.getAll("Route")) fields.push(header("Route", route));
    if (this.#cancelReason) fields.push(header("Reason", this.#cancelReason));
    const cancel = new SipRequest("CANCEL", this.request.uri, fields);
    this.#host.startClient(cancel, this.route, this.branch, {});
    // Proceeding has no timer of its own: give the INVITE 64*T1 to end after the CANCEL.
    this.#timeout = this.#at(this.#host.timers.timeout, () => this.#timedOut());
  }

  /** RFC 3261 §17.1.1.3: the ACK of a non-2xx final is part of the transaction and goes where the INVITE went. */
  #sendNon2xxAck(response: SipResponse): void {
    const fields = this.#headers("ACK", response.get("To")!);
    for (const route of this.request.getAll("Route")) fields.push(header("Route", route));
    const ack = new SipRequest("ACK", this.request.uri, fields);
    const data = serializeMessage(ack);
    this.#ack = { text: data.toString("latin1"), target: this.route };
    this.#host.stats.acksOut++;
    this.#host.send(data, this.route);
  }

  /** The request's top Via, From, Call-ID and CSeq number, with `method`, Max-Forwards 70 and the given To. */
  #headers(method: string, to: string): HeaderField[] {
    const r = this.request;
    return [
      header("Via", r.get("Via")!), header("Max-Forwards", "70"), header("From", r.get("From")!), header("To", to),
      header("Call-ID", r.callId), header("CSeq", r.cseq.seq + " " + method),
    ];
  }


  #at(delay: number, fn: () => void): Timer {
    const clock = this.#host.clock;
    return clock.schedule(clock.now() + delay, fn);
  }

  /** Timer A (doubling without bound, RFC 3261 §17.1.1.2) or E (doubling up to T2; every T2 once proceeding). */
  #retransmitEvery(interval: number): void {
    this.#interval = interval;
    this.#retransmit = this.#at(interval, () => {
      const host = this.#host;
      host.stats.requestRetransmissionsOut++;
      host.send(this.#data!, this.route, this.#sendFailed);
      const t2 = host.timers.t2;
      const next = this.isInvite ? 2 * this.#interval : this.#state === "proceeding" ? t2 : Math.min(2 * this.#interval, t2);
      this.#retransmitEvery(next);
    });
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
    this.#data = this.#ack = undefined;
    this.#host.clientDone(this.#key, this);
  }
}
