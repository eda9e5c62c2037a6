import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { AdmitDeps } from "./endpoint/admit.js";
import type { TransactionLayer } from "./transaction/index.js";

/** What the SIP server hands each of its request handlers (calls, messages, subscriptions). */
export interface SipServices extends AdmitDeps {
  readonly transactions: TransactionLayer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly userAgent: string;
}
