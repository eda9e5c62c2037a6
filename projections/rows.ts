/**
 * The rows the projections produce: Asterisk's CDR and CEL records with every field
 * of seed 003's tables, plus where in the log each row came from.
 *
 * `log_offset` and `log_index` (the event's offset, and the row's place among the rows
 * that event produced) identify a row for ever: a rebuild produces the same pair for
 * the same row, so a sink can tell a row it already holds from a new one.
 *
 * Times are integer microseconds since the Unix epoch, as in the event log; each sink
 * formats them (ClickHouse DateTime64(6), Asterisk's CSV date strings).
 */

/** Where a row came from in the event log. */
export interface RowOrigin {
  /** Offset of the event whose fold produced the row. */
  readonly log_offset: number;
  /** 0, 1, 2...: the row's position among the rows that event produced. */
  readonly log_index: number;
}

/** CDR disposition, as Asterisk prints it. */
export type Disposition = "NO ANSWER" | "FAILED" | "BUSY" | "ANSWERED" | "CONGESTION";
export const dispositions: readonly Disposition[] = ["NO ANSWER", "FAILED", "BUSY", "ANSWERED", "CONGESTION"];

/**
 * AMA flags by name. Seed 003 gives the default as the integer 3 ("DEFAULT"); in
 * Asterisk 3 is DOCUMENTATION, the default flag: SQL tables hold the number, CSV
 * prints the name.
 */
export type AmaFlags = "OMIT" | "BILLING" | "DOCUMENTATION";
/** Asterisk's numbers for the flags (what a numeric amaflags column holds). */
export const amaFlagCodes: Readonly<Record<AmaFlags, number>> = { OMIT: 1, BILLING: 2, DOCUMENTATION: 3 };

/** Set(CDR(amaflags)=...) takes a name or Asterisk's number; anything else keeps the default. */
export function amaFlags(value: string): AmaFlags {
  // Every row asks, nearly always with a channel's unchanged default: answer those without new strings.
  if (value === "DOCUMENTATION" || value === "BILLING" || value === "OMIT") return value;
  const v = value.trim().toUpperCase();
  if (v === "OMIT" || v === "1") return "OMIT";
  if (v === "BILLING" || v === "2") return "BILLING";
  return "DOCUMENTATION";
}

/** One CDR (seed 003, "CDR 字段"): one per party and call segment. */
export interface CdrRow extends RowOrigin {
  readonly accountcode: string;
  readonly src: string;
  readonly dst: string;
  readonly dcontext: string;
  /** `"Name" <number>`. */
  readonly clid: string;
  readonly channel: string;
  readonly dstchannel: string;
  readonly lastapp: string;
  readonly lastdata: string;
  /** µs since the epoch. */
  readonly start: number;
  /** µs since the epoch; null when never answered. */
  readonly answer: number | null;
  /** µs since the epoch. */
  readonly end: number;
  /** Whole seconds from start to end (truncated unless cdr.conf initiatedseconds). */
  readonly duration: number;
  /** Whole seconds from answer to end; 0 when unanswered. */
  readonly billsec: number;
  readonly disposition: Disposition;
  readonly amaflags: AmaFlags;
  readonly userfield: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly peeraccount: string;
  readonly sequence: number;
}

/** CEL event types (seed 003, "CEL Specification"), as Asterisk names them in records. */
export type CelEventType =
  | "CHAN_START" | "CHAN_END" | "ANSWER" | "HANGUP" | "APP_START" | "APP_END" | "USER_DEFINED" | "LINKEDID_END"
  | "BRIDGE_ENTER" | "BRIDGE_EXIT" | "FORWARD" | "PARK_START" | "PARK_END" | "PICKUP"
  | "BLINDTRANSFER" | "ATTENDEDTRANSFER" | "LOCAL_OPTIMIZE";

/**
 * One CEL record. Seed 003 calls the caller-ID fields `callerid` and `calleridname`;
 * the rows use the column names of Asterisk's SQL backends (cel_odbc, cel_pgsql):
 * `cid_num` and `cid_name`. `amaflags` is not in the seed's table but is in every
 * Asterisk CEL record and in the default CEL CSV.
 */
export interface CelRow extends RowOrigin {
  readonly eventtype: CelEventType;
  /** µs since the epoch. */
  readonly eventtime: number;
  /** The name given to CELGenUserEvent (USER_DEFINED only). */
  readonly userdeftype: string;
  readonly cid_name: string;
  readonly cid_num: string;
  readonly cid_ani: string;
  readonly cid_rdnis: string;
  readonly cid_dnid: string;
  readonly exten: string;
  readonly context: string;
  readonly channame: string;
  readonly appname: string;
  readonly appdata: string;
  readonly amaflags: AmaFlags;
  readonly accountcode: string;
  readonly peeraccount: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly userfield: string;
  readonly peer: string;
  /** JSON text, e.g. `{"hangupcause":16,"hangupsource":"...","dialstatus":"ANSWER"}`; "" when none. */
  readonly extra: string;
}

/** Rows by projection; queue_log rows come with the queue issue. */
export interface RowsByProjection {
  readonly cdr: CdrRow;
  readonly cel: CelRow;
}
