/** SIP transactions (RFC 3261 §17, RFC 6026): client and server state machines, their timers, matching, CANCEL. */
export { type AckHandler, type RequestHandler, TransactionLayer, type TransactionLayerOptions } from "./layer.js";
export { type ServerFailure, type ServerState, ServerTransaction, TransactionStateError } from "./server.js";
export { type ClientHandlers, type ClientState, ClientTransaction } from "./client.js";
export { type TransactionStats } from "./host.js";
export { DEFAULT_TIMERS, type TimerSettings, type TimerValues, timerValues } from "./timers.js";
export { ackKey, clientKey, serverKey } from "./keys.js";
