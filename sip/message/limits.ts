/**
 * Bounds the parser enforces so that hostile input costs bounded memory and time.
 * Exceeding any of them is a SipParseError, never a crash or an unbounded allocation.
 */
export interface ParseLimits {
  /** Whole message (start line, headers, blank line and body), in bytes. */
  readonly maxMessageSize: number;
  /** Header fields, counting each value of a split address list (Via, Contact, Route...). */
  readonly maxHeaders: number;
  /** One header field after unfolding (name, colon and value), and the start line, in characters. */
  readonly maxLineLength: number;
  /** Via values in one message. */
  readonly maxVia: number;
}

/** Defaults sized for real traffic: UDP tops out near 64 KiB and Max-Forwards at 70 hops. */
export const DEFAULT_LIMITS: ParseLimits = Object.freeze({
  maxMessageSize: 65_535,
  maxHeaders: 256,
  maxLineLength: 8_192,
  maxVia: 72,
});

/** The default limits with some of them overridden (build once, reuse for every message). */
export function parseLimits(overrides: Partial<ParseLimits> = {}): ParseLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`parse limit ${name} must be a positive integer, got ${value}`);
  }
  return Object.freeze(limits);
}
