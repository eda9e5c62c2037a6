/** What transactions need from the layer that owns them, and the counters they keep. */
import type { Clock } from "../../core/clock.js";
import type { SipRequest, Via } from "../message/index.js";
import type { Destination, Route, Source, Target } from "../transport/index.js";
import type { AcceptedInvite, ClientHandlers, ClientTransaction } from "./client.js";
import type { KeptBytes } from "./kept-bytes.js";
import type { AcknowledgedInvite, CompletedTransaction, ServerTransaction } from "./server.js";
import type { TimerValues } from "./timers.js";

export interface TransactionStats {
  /** New server transactions for requests other than ACK and CANCEL. */
  requestsIn: number;
  cancelsIn: number;
  /** Every ACK received. */
  acksIn: number;
  /** ACKs of 2xx handed to onAck with their INVITE transaction (once per 2xx). */
  acksOf2xx: number;
  /** ACKs matching no transaction and no 2xx we sent (handed to onAck without a transaction). */
  strayAcks: number;
  /** Retransmitted requests (not ACKs) absorbed by a server transaction. So the transport's requestsIn = requestsIn + cancelsIn + acksIn + requestRetransmissionsIn. */
  requestRetransmissionsIn: number;
  /** Responses sent by server transactions (first transmissions). */
  responsesOut: number;
  /** Responses sent again: timer G, 2xx retransmission, or a retransmitted request. */
  responseRetransmissionsOut: number;
  /** Requests sent by client transactions (first transmissions), CANCEL included. */
  requestsOut: number;
  /** Timers A and E. */
  requestRetransmissionsOut: number;
  acksOut: number;
  /** Responses matched to a client transaction. */
  responsesIn: number;
  /** Responses matched but absorbed (retransmitted finals, retransmitted 2xx). */
  responseRetransmissionsIn: number;
  /** Responses matching no client transaction, dropped. */
  strayResponses: number;
  /** Client transactions that timed out (B, F, no answer after CANCEL) and INVITE server ones never ACKed (H, L). */
  timeouts: number;
  transportErrors: number;
  /** Non-INVITE server transactions the TU never answered, dropped after the transaction timeout. */
  abandoned: number;
  /** Exceptions thrown by the TU's handlers (answered 500 when still possible). */
  handlerErrors: number;
}

export function emptyTransactionStats(): TransactionStats {
  return {
    requestsIn: 0, cancelsIn: 0, acksIn: 0, acksOf2xx: 0, strayAcks: 0, requestRetransmissionsIn: 0, responsesOut: 0,
    responseRetransmissionsOut: 0, requestsOut: 0, requestRetransmissionsOut: 0, acksOut: 0, responsesIn: 0,
    responseRetransmissionsIn: 0, strayResponses: 0, timeouts: 0, transportErrors: 0, abandoned: 0, handlerErrors: 0,
  };
}

/** @internal The transaction layer as its transactions see it. */
export interface TransactionHost {
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly stats: TransactionStats;
  /** What lingering entries keep to send again (Timers J and M). */
  readonly kept: KeptBytes;
  /** The same target as one object per peer, for what lingers (a connection's target is its own). */
  shareTarget(target: Target): Target;
  send(data: Buffer, target: Target, onError?: (error: Error) => void): void;
  responseTarget(via: Via, source: Source): Target | undefined;
  newTag(): string;
  /** Send a request outside transactions (ACK to 2xx) with a fresh Via branch; returns its bytes and target for resending. */
  sendAck(ack: SipRequest, destination: Destination): { data: Buffer; target: Target };
  /** Start a client transaction for a request that already carries its Via (a CANCEL). */
  startClient(request: SipRequest, route: Route, branch: string, handlers: ClientHandlers): ClientTransaction;
  serverDone(key: string, tx: ServerTransaction | CompletedTransaction): void;
  /** Replace a non-INVITE transaction that answered over UDP by what absorbs its retransmissions. */
  keepCompleted(entry: CompletedTransaction): void;
  /** An acknowledged 2xx INVITE: `entry` stands in for `tx` until Timer L. */
  keepAcknowledged(tx: ServerTransaction, entry: AcknowledgedInvite): void;
  clientDone(key: string, tx: ClientTransaction): void;
  /** A forgotten accepted INVITE: `entry` stands in for `tx` until Timer M. */
  keepAccepted(tx: ClientTransaction, entry: AcceptedInvite): void;
  /** A 2xx to an INVITE was sent: its ACK (matched by `key`) goes to `tx`. */
  awaitAck(key: string, tx: ServerTransaction): void;
  ackDone(key: string, tx: ServerTransaction): void;
  handlerError(error: unknown, what: string): void;
}
