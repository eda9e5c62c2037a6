/**
 * The transaction layer (RFC 3261 §17): matches what the transport layer delivers to
 * server and client transactions, absorbs retransmissions, answers CANCEL, tracks the
 * ACKs of the 2xx it sent, and hands the transaction user (registrar, dialogs) new
 * requests, ACKs of 2xx and responses to what it sent.
 *
 * Timers run on the injected Clock and branches and tags come from the injected Random,
 * so with a VirtualClock and a seeded Random (and the in-memory network) a run is
 * exactly reproducible.
 */
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { type Random, randomHex } from "../../core/random.js";
import { BRANCH_COOKIE, SipParseError, type SipRequest, type SipResponse, formatHost, serializeMessage } from "../message/index.js";
import { type Destination, type Route, type Source, type Target, type TransportLayer, viaTransport } from "../transport/index.js";
import { type AcceptedInvite, type ClientHandlers, ClientTransaction } from "./client.js";
import { type TransactionHost, type TransactionStats, emptyTransactionStats } from "./host.js";
import { ExpiryQueue } from "./expiry.js";
import { KeptBytes } from "./kept-bytes.js";
import { ackKey, clientKey, serverKey } from "./keys.js";
import { type AcknowledgedInvite, type CompletedTransaction, ServerTransaction } from "./server.js";
import { type TimerSettings, type TimerValues, timerValues } from "./timers.js";

export interface TransactionLayerOptions {
  readonly transports: TransportLayer;
  readonly clock: Clock;
  readonly random: Random;
  /** T1, T2, T4 and the transaction timeout in ms (pjsip.conf `[system]` timer_t1, timer_b). */
  readonly timers?: Partial<TimerSettings>;
  readonly logger?: Logger;
}

/** A new request (never a retransmission, an ACK or a CANCEL): answer it with `tx.respond`. */
export type RequestHandler = (tx: ServerTransaction) => void;

/**
 * An ACK that is not part of a transaction: the ACK of a 2xx we sent (`invite` is the
 * INVITE transaction that sent it, the first time only), or a stray one (`invite`
 * undefined). ACKs of non-2xx responses and retransmitted ACKs never come here.
 */
export type AckHandler = (ack: SipRequest, source: Source, invite: ServerTransaction | undefined) => void;

const LOG_SOURCE = "res_pjsip";

export class TransactionLayer {
  readonly transports: TransportLayer;
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly stats: TransactionStats = emptyTransactionStats();
  readonly #random: Random;
  readonly #logger: Logger | undefined;
  readonly #servers = new Map<string, ServerTransaction | CompletedTransaction | AcknowledgedInvite>();
  readonly #clients = new Map<string, ClientTransaction | AcceptedInvite>();
  /** Forgotten accepted INVITEs absorbing 2xx retransmissions until Timer M, oldest first. */
  readonly #accepted: ExpiryQueue<AcceptedInvite>;
  /** Answered non-INVITE transactions absorbing retransmissions until Timer J, oldest first. */
  readonly #completed: ExpiryQueue<CompletedTransaction>;
  /** INVITE server transactions answered 2xx, by the key of their ACK (acknowledged ones until Timer L). */
  readonly #acks = new Map<string, ServerTransaction | AcknowledgedInvite>();
  /** Acknowledged 2xx INVITEs absorbing retransmissions until Timer L, oldest first. */
  readonly #acknowledged: ExpiryQueue<AcknowledgedInvite>;
  /** The responses and ACKs the #completed and #accepted entries send again. */
  readonly #kept: KeptBytes;
  /**
   * Where they send them, one object per peer ("host port"): at 500 calls/s some 32,000
   * entries linger, nearly all for a handful of peers.
   */
  readonly #targets = new Map<string, Target>();
  #onRequest: RequestHandler | undefined;
  #onAck: AckHandler | undefined;
  #onStrayResponse: ((response: SipResponse, source: Source) => void) | undefined;
  readonly #host: TransactionHost;

  constructor(options: TransactionLayerOptions) {
    this.transports = options.transports;
    this.clock = options.clock;
    this.#random = options.random;
    this.#logger = options.logger;
    this.timers = timerValues(options.timers);
    const transports = this.transports;
    const servers = this.#servers, clients = this.#clients, acks = this.#acks;
    const kept = this.#kept = new KeptBytes(this.clock);
    this.#completed = new ExpiryQueue(this.clock, (entry) => { if (servers.get(entry.key) === entry) servers.delete(entry.key); kept.drop(); });
    this.#accepted = new ExpiryQueue(this.clock, (entry) => { if (clients.get(entry.key) === entry) clients.delete(entry.key); kept.drop(); });
    this.#acknowledged = new ExpiryQueue(this.clock, (entry) => {
      if (servers.get(entry.key) === entry) servers.delete(entry.key);
      if (acks.get(entry.ackKey) === entry) acks.delete(entry.ackKey);
    });
    this.#host = {
      clock: this.clock,
      timers: this.timers,
      stats: this.stats,
      kept,
      shareTarget: (target) => this.#shareTarget(target),
      send: (data, target, onError) => transports.send(data, target, onError),
      responseTarget: (via, source) => transports.responseTarget(via, source),
      newTag: () => this.newTag(),
      sendAck: (ack, destination) => this.#sendOutside(ack, destination),
      startClient: (request, route, branch, handlers) => this.#startClient(request, route, branch, handlers),
      serverDone: (key, tx) => { if (servers.get(key) === tx) servers.delete(key); },
      // An entry replaces its transaction under its own copy of the key: Map.set on a key it
      // has keeps the old key string, and with it the received message's text (message.ts ownString).
      keepCompleted: (entry) => {
        servers.delete(entry.key);
        servers.set(entry.key, entry);
        this.#completed.add(entry);
      },
      keepAcknowledged: (tx, entry) => {
        if (servers.get(entry.key) === tx) { servers.delete(entry.key); servers.set(entry.key, entry); }
        if (acks.get(entry.ackKey) === tx) { acks.delete(entry.ackKey); acks.set(entry.ackKey, entry); }
        this.#acknowledged.add(entry);
      },
      clientDone: (key, tx) => { if (clients.get(key) === tx) clients.delete(key); },
      keepAccepted: (tx, entry) => {
        if (clients.get(entry.key) !== tx) return;
        clients.delete(entry.key);
        clients.set(entry.key, entry);
        this.#accepted.add(entry);
      },
      awaitAck: (key, tx) => { acks.set(key, tx); },
      ackDone: (key, tx) => { if (acks.get(key) === tx) acks.delete(key); },
      handlerError: (error, what) => this.#handlerError(error, what),
    };
    transports.setHandler({
      request: (request, source) => this.#request(request, source),
      response: (response, source) => this.#response(response, source),
    });
  }

  /** Who answers new requests. Without one, requests are answered 503. */
  onRequest(handler: RequestHandler): void {
    this.#onRequest = handler;
  }

  onAck(handler: AckHandler): void {
    this.#onAck = handler;
  }

  /** Responses matching no client transaction (a 2xx retransmitted after Timer M...); dropped when unset. */
  onStrayResponse(handler: (response: SipResponse, source: Source) => void): void {
    this.#onStrayResponse = handler;
  }

  /** A new Via branch: the RFC 3261 magic cookie and 96 random bits. */
  newBranch(): string {
    return BRANCH_COOKIE + randomHex(this.#random, 12);
  }

  /** A new From/To tag: 64 random bits. */
  newTag(): string {
    return randomHex(this.#random, 8);
  }

  /** Live transactions. */
  get serverTransactions(): number {
    return this.#servers.size;
  }

  get clientTransactions(): number {
    return this.#clients.size;
  }

  /**
   * Send a request in a new client transaction: a Via with a fresh branch and the
   * transport's sent-by (with `rport`) goes on top, Max-Forwards 70 is added if absent.
   * Throws TransportError when no transport can reach `destination`; later failures
   * go to the handlers. Not for ACK (use `ClientTransaction.ack` or `sendAck`) nor
   * CANCEL (use `ClientTransaction.cancel`).
   */
  sendRequest(request: SipRequest, destination: Destination, handlers: ClientHandlers = {}): ClientTransaction {
    if (request.method === "ACK" || request.method === "CANCEL") {
      throw new TypeError(`${request.method} is not sent with sendRequest: use ClientTransaction.${request.method === "ACK" ? "ack" : "cancel"}()`);
    }
    const route = this.transports.route(destination);
    const branch = this.newBranch();
    this.#addVia(request, route, branch);
    return this.#startClient(request, route, branch, handlers);
  }

  /** Send an ACK (of a 2xx) or any request outside a transaction, with a fresh Via branch. Throws TransportError. */
  sendAck(ack: SipRequest, destination: Destination): void {
    this.#sendOutside(ack, destination);
  }

  /** Send a response outside any transaction (RFC 3261 §18.2.2 routing); false when it has no route. */
  sendStateless(response: SipResponse, source?: Source): boolean {
    return this.transports.sendResponse(response, source);
  }

  /** Stop every timer and forget every transaction (shutdown). */
  close(): void {
    for (const tx of [...this.#servers.values()]) if (tx instanceof ServerTransaction) tx.dispose();
    for (const tx of [...this.#clients.values()]) tx.dispose();
    this.#completed.clear();
    this.#acknowledged.clear();
    this.#accepted.clear();
    this.#kept.clear();
    this.#clients.clear();
    this.#servers.clear();
    this.#acks.clear();
  }

  #addVia(request: SipRequest, route: Route, branch: string): void {
    const sentBy = formatHost(route.sentBy.host) + ":" + route.sentBy.port;
    request.prepend("Via", "SIP/2.0/" + viaTransport(route.transport.protocol) + " " + sentBy + ";rport;branch=" + branch);
    if (!request.has("Max-Forwards")) request.set("Max-Forwards", "70");
  }

  #startClient(request: SipRequest, route: Route, branch: string, handlers: ClientHandlers): ClientTransaction {
    const key = clientKey(branch, request.method);
    const tx = new ClientTransaction(this.#host, key, request, route, branch, handlers);
    this.#clients.set(key, tx);
    tx.start();
    return tx;
  }

  #sendOutside(request: SipRequest, destination: Destination): { data: Buffer; target: Route } {
    const route = this.transports.route(destination);
    this.#addVia(request, route, this.newBranch());
    const data = serializeMessage(request);
    if (request.method === "ACK") this.stats.acksOut++;
    else this.stats.requestsOut++;
    this.transports.send(data, route);
    return { data, target: route };
  }

  #request(request: SipRequest, source: Source): void {
    const method = request.method;
    if (method === "ACK") return this.#ack(request, source);
    const key = serverKey(request, method);
    const existing = this.#servers.get(key);
    if (existing !== undefined) return existing.retransmitted(source);
    if (method === "CANCEL") return this.#cancel(request, source, key);

    const tx = new ServerTransaction(this.#host, key, request, source);
    this.#servers.set(key, tx);
    this.stats.requestsIn++;
    try {
      request.requestUri;
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      tx.respond(e.code === "unsupported-uri-scheme" ? 416 : 400, { headers: [["Warning", `399 recall "Bad Request-URI"`]] });
      return;
    }
    const handler = this.#onRequest;
    if (handler === undefined) {
      tx.respond(503);
      return;
    }
    try {
      handler(tx);
    } catch (e) {
      this.#handlerError(e, "onRequest");
      if (tx.state === "trying" || tx.state === "proceeding") tx.respond(500);
      return;
    }
    // RFC 3261 §17.2.1: a 100 keeps the client from retransmitting; sent at once when the TU has not answered.
    if (tx.isInvite && tx.lastStatus === 0 && tx.state === "proceeding") tx.respond(100);
  }

  #cancel(cancel: SipRequest, source: Source, key: string): void {
    this.stats.cancelsIn++;
    const invite = this.#servers.get(serverKey(cancel, "INVITE"));
    const tx = new ServerTransaction(this.#host, key, cancel, source);
    this.#servers.set(key, tx);
    if (!(invite instanceof ServerTransaction)) {
      tx.respond(481);
      return;
    }
    // RFC 3261 §9.2: the CANCEL is answered by us, with the To tag of the INVITE's responses.
    tx.respond(200, { toTag: invite.localTag });
    invite.cancelRequested(cancel);
  }

  #ack(ack: SipRequest, source: Source): void {
    this.stats.acksIn++;
    const found = this.#servers.get(serverKey(ack, "INVITE"));
    const invite = found instanceof ServerTransaction ? found : undefined;
    if (found !== undefined && invite === undefined) return; // an acknowledged INVITE's lingering entry absorbs it
    let acknowledged: ServerTransaction | undefined;
    if (invite !== undefined && invite.state !== "accepted") {
      invite.ackReceived();
      return;
    }
    if (invite !== undefined) {
      if (!invite.ackReceived()) return;
      acknowledged = invite;
    } else {
      const waiting = this.#acks.get(ackKey(ack.callId, ack.cseq.seq, ack.fromTag, ack.toTag));
      if (waiting !== undefined) {
        if (!(waiting instanceof ServerTransaction) || !waiting.acknowledged()) return;
        acknowledged = waiting;
      } else this.stats.strayAcks++;
    }
    if (acknowledged !== undefined) this.stats.acksOf2xx++;
    const handler = this.#onAck;
    if (handler === undefined) return;
    try {
      handler(ack, source, acknowledged);
    } catch (e) {
      this.#handlerError(e, "onAck");
    }
  }

  #response(response: SipResponse, source: Source): void {
    const branch = response.via.params.get("branch");
    const tx = branch ? this.#clients.get(clientKey(branch, response.cseq.method)) : undefined;
    if (tx !== undefined) return tx.receive(response);
    this.stats.strayResponses++;
    const handler = this.#onStrayResponse;
    if (handler === undefined) return;
    try {
      handler(response, source);
    } catch (e) {
      this.#handlerError(e, "onStrayResponse");
    }
  }

  #shareTarget(target: Target): Target {
    if (target.connection !== undefined) return target;
    const key = target.host + " " + target.port;
    let shared = this.#targets.get(key);
    if (shared === undefined) {
      if (this.#targets.size >= 4096) this.#targets.clear(); // many peers: share less, never grow without bound
      shared = { transport: target.transport, host: target.host, port: target.port };
      this.#targets.set(key, shared);
    }
    return shared.transport === target.transport ? shared : target;
  }

  #handlerError(error: unknown, what: string): void {
    this.stats.handlerErrors++;
    this.#logger?.log("ERROR", LOG_SOURCE, `${what} handler failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  }
}
