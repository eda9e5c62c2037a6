/** What a kafkajs failure means for shipping, in words an operator can act on. */

export interface FailureInfo {
  /** The underlying error's message (and Kafka error code). */
  readonly reason: string;
  /** Kafka can't be reached at all (as opposed to a broker-side hiccup). */
  readonly unreachable: boolean;
}

/** A failure reported by the producer thread, already classified. */
export class ShipError extends Error implements FailureInfo {
  constructor(readonly reason: string, readonly unreachable: boolean) {
    super(reason);
    this.name = "ShipError";
  }
}

/** kafkajs wraps the error that matters in retry and non-retriable errors. */
function rootCause(e: unknown): Error & { type?: string } {
  let err = e as Error & { cause?: unknown; type?: string };
  while (err?.cause instanceof Error && (err.name === "KafkaJSNumberOfRetriesExceeded" || err.name === "KafkaJSNonRetriableError")) err = err.cause as typeof err;
  return err instanceof Error ? err : new Error(String(e));
}

export function classify(e: unknown): FailureInfo {
  if (e instanceof ShipError) return e;
  const c = rootCause(e);
  return {
    reason: c.type ? `${c.message} (${c.type})` : c.message,
    unreachable: /Connection|Timeout/.test(c.name) || /ECONNREFUSED|EHOSTUNREACH|ETIMEDOUT|ECONNRESET/.test(c.message),
  };
}
