/**
 * Time specifications of `include => ctx,times,weekdays,mdays,months[,timezone]` (and
 * later GotoIfTime/ExecIfTime): `*` or a list joined by `&` of single values or cyclic
 * ranges (`mon-fri`, `fri-mon`, `9:00-17:00`, `22:00-06:00`). The end of a range is
 * included, to the minute. Checking needs the time as a parameter: the dialplan never
 * reads the clock itself.
 */

export interface Timing {
  /** The text it was read from, for listings. */
  readonly spec: string;
  /** Minutes of the day (0..1439) that are in. */
  readonly minutes: ReadonlySet<number>;
  /** Bit i: weekday i (0 = Sunday). */
  readonly weekdays: number;
  /** Bit i: day of month i + 1. */
  readonly monthDays: number;
  /** Bit i: month i (0 = January). */
  readonly months: number;
  /** IANA zone name; absent means the zone the runtime passes (default: the process's). */
  readonly timezone?: string;
}

/** Broken-down local time, as C's struct tm gives it. */
export interface LocalTime {
  readonly month: number; // 0..11
  readonly monthDay: number; // 1..31
  readonly weekday: number; // 0 = Sunday
  readonly hour: number;
  readonly minute: number;
}

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

function lookupName(s: string, names: readonly string[] | undefined, max: number): number {
  if (names && s > "9") {
    const i = names.indexOf(s.toLowerCase());
    if (i >= 0) return i;
  }
  const m = /^\s*([+-]?\d{1,2})/.exec(s);
  const n = m ? Number(m[1]) : NaN;
  return n >= 1 && n <= max ? n - 1 : -1;
}

function range(src: string, max: number, names: readonly string[] | undefined, what: string, warn: (m: string) => void): number {
  if (src === "" || src === "*") return 2 ** max - 1;
  let mask = 0;
  for (const part of src.split("&")) {
    const [first, last] = part.split(/-(.*)/s);
    const start = lookupName(first, names, max);
    if (start < 0) { warn(`Invalid ${what} '${first}', skipping element`); continue; }
    const end = last === undefined ? start : lookupName(last, names, max);
    if (end < 0) { warn(`Invalid end ${what} '${last}', skipping element`); continue; }
    for (let i = start; ; i = (i + 1) % max) { mask |= 1 << i; if (i === end) break; }
  }
  return mask >>> 0;
}

function clock(s: string): number | undefined {
  const m = /^\s*(\d{1,2}):(\d{1,2})/.exec(s);
  if (!m) return undefined;
  const h = Number(m[1]), min = Number(m[2]);
  return h <= 23 && min <= 59 ? h * 60 + min : undefined;
}

function timeRanges(src: string, warn: (m: string) => void): Set<number> {
  const minutes = new Set<number>();
  if (src === "" || src === "*") { for (let i = 0; i < 1440; i++) minutes.add(i); return minutes; }
  for (const part of src.split("&")) {
    const dash = part.indexOf("-");
    const start = clock(dash < 0 ? part : part.slice(0, dash));
    if (start === undefined) { warn(`'${part}' isn't a valid time`); continue; }
    if (dash < 0) { minutes.add(start); continue; }
    const end = clock(part.slice(dash + 1).replace(/^\D*/, ""));
    if (end === undefined) { warn(`'${part.slice(dash + 1)}' isn't a valid end time`); continue; }
    for (let m = start; ; m = (m + 1) % 1440) { minutes.add(m); if (m === end) break; }
  }
  return minutes;
}

/** Reads a time specification (fields separated by `,` or `|`). Bad elements are skipped with a warning. */
export function parseTiming(spec: string, warn: (message: string) => void = () => {}): Timing {
  const fields = spec.split(/[|,]/);
  return {
    spec,
    minutes: timeRanges(fields[0] ?? "", warn),
    weekdays: fields.length > 1 ? range(fields[1], 7, DAYS, "day of week", warn) : 0x7f,
    monthDays: fields.length > 2 ? range(fields[2], 31, undefined, "day", warn) : 0x7fffffff,
    months: fields.length > 3 ? range(fields[3], 12, MONTHS, "month", warn) : 0xfff,
    ...(fields.length === 5 && fields[4] !== "" ? { timezone: fields[4] } : {}),
  };
}

export function timingMatches(t: Timing, at: LocalTime): boolean {
  return (t.months & (1 << at.month)) !== 0
    && (t.monthDays & (1 << (at.monthDay - 1))) !== 0
    && (t.weekdays & (1 << at.weekday)) !== 0
    && t.minutes.has(at.hour * 60 + at.minute);
}

/** Local time of an instant (microseconds since the epoch) in a zone (default: the process's zone). */
export function localTimeAt(epochMicros: number, timezone?: string): LocalTime {
  const date = new Date(Math.floor(epochMicros / 1000));
  if (!timezone) {
    return { month: date.getMonth(), monthDay: date.getDate(), weekday: date.getDay(), hour: date.getHours(), minute: date.getMinutes() };
  }
  const parts: Record<string, string> = {};
  const format = new Intl.DateTimeFormat("en-US", { timeZone: timezone, hourCycle: "h23", month: "numeric", day: "numeric", weekday: "short", hour: "numeric", minute: "numeric" });
  for (const p of format.formatToParts(date)) parts[p.type] = p.value;
  return {
    month: Number(parts.month) - 1,
    monthDay: Number(parts.day),
    weekday: DAYS.indexOf(parts.weekday.toLowerCase().slice(0, 3)),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
  };
}

/** Whether the spec holds at an instant; an unknown zone name falls back to the default zone, then the process's. */
export function timingHoldsAt(t: Timing, epochMicros: number, defaultZone?: string): boolean {
  for (const zone of [t.timezone ?? defaultZone, defaultZone, undefined]) {
    try { return timingMatches(t, localTimeAt(epochMicros, zone)); } catch { /* unknown zone: try the next */ }
  }
  return false;
}
