/**
 * Penalty windows and queuerules.conf, as app_queue applies them to a waiting caller.
 *
 * A caller carries a window: QUEUE_MAX_PENALTY (members above it do not ring),
 * QUEUE_MIN_PENALTY (members below it do not ring) and QUEUE_RAISE_PENALTY (members
 * below it count as that penalty; with an `r` prefix, not those already below the
 * minimum). Each bound is read from the channel at join; unset it is unbounded
 * (Infinity, Asterisk's INT_MAX). A rule (`penaltychange => seconds,[+|-]max[,[+|-]min[,[r][+|-]raise]]`)
 * moves the bounds once the caller has waited its seconds; a relative step moves the
 * bound by that much, an absolute one sets it; empty is "no change". As in Asterisk,
 * a step only moves a bound the caller had: an unbounded maximum stays unbounded.
 */

/** One bound change of a step: `relative` adds `value`, otherwise the bound becomes `value`. */
export interface BoundChange {
  readonly relative: boolean;
  readonly value: number;
}

/** A queuerules.conf step: after `time` seconds of waiting the window changes. */
export interface PenaltyRule {
  readonly time: number;
  readonly max: BoundChange;
  readonly min: BoundChange;
  readonly raise: BoundChange & { readonly respectMin: boolean };
}

export interface PenaltyWindow {
  readonly max: number;
  readonly min: number;
  readonly raise: number;
  /** QUEUE_RAISE_PENALTY=rN: members already below the minimum are not raised. */
  readonly raiseRespectMin: boolean;
}

export const OPEN_WINDOW: PenaltyWindow = { max: Infinity, min: Infinity, raise: Infinity, raiseRespectMin: false };

const NO_CHANGE: BoundChange = { relative: true, value: 0 };

/** One `penaltychange` value; a string is why it was refused. */
export function parsePenaltyChange(value: string): PenaltyRule | string {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.length < 2) return `penaltychange '${value}': expected seconds,max[,min[,raise]]`;
  const [t, max = "", min = "", raiseText = ""] = parts;
  const time = Number(t);
  if (t === "" || !Number.isInteger(time) || time < 0) return `penaltychange '${value}': time '${t}' is not a whole number of seconds`;
  const bound = (text: string, what: string): BoundChange | string => {
    if (text === "") return NO_CHANGE;
    const n = Number(text);
    if (!Number.isInteger(n)) return `penaltychange '${value}': ${what} '${text}' is not a whole number`;
    return { relative: text[0] === "+" || text[0] === "-", value: n };
  };
  const respectMin = raiseText.startsWith("r");
  const maxB = bound(max, "max"), minB = bound(min, "min"), raiseB = bound(respectMin ? raiseText.slice(1) : raiseText, "raise");
  for (const b of [maxB, minB, raiseB]) if (typeof b === "string") return b;
  return { time, max: maxB as BoundChange, min: minB as BoundChange, raise: { ...(raiseB as BoundChange), respectMin } };
}

/** The window after `step` (Asterisk's update_qe_rule): bounds stay at 0 or above, min and raise under max. */
export function applyStep(w: PenaltyWindow, step: PenaltyRule): PenaltyWindow {
  const moved = (current: number, c: BoundChange) => Math.max(0, c.relative ? current + c.value : c.value);
  const max = Number.isFinite(w.max) ? moved(w.max, step.max) : Infinity;
  const min = Number.isFinite(w.min) ? Math.min(moved(w.min, step.min), max) : Infinity;
  const raise = Number.isFinite(w.raise) ? Math.min(moved(w.raise, step.raise), max) : Infinity;
  return { max, min, raise, raiseRespectMin: Number.isFinite(w.raise) ? step.raise.respectMin : w.raiseRespectMin };
}

/** The penalty a member counts with for this window, or undefined when it may not ring. */
export function effectivePenalty(w: PenaltyWindow, penalty: number): number | undefined {
  let p = penalty;
  const belowMin = (n: number) => Number.isFinite(w.min) && n < w.min;
  if (Number.isFinite(w.raise) && p < w.raise && !(w.raiseRespectMin && belowMin(p))) p = w.raise;
  if (p > w.max || belowMin(p)) return undefined;
  return p;
}

/** A bound read from a channel variable (QUEUE_MAX_PENALTY...): Infinity when unset, a string when malformed. */
export function readBound(text: string | undefined): { value: number; respectMin: boolean } | string {
  if (text === undefined || text === "") return { value: Infinity, respectMin: false };
  const respectMin = text.startsWith("r");
  const m = /^\s*([+-]?\d+)/.exec(respectMin ? text.slice(1) : text);
  if (!m) return `Invalid value (${text})`;
  return { value: Number(m[1]), respectMin };
}

/** A bound as the channel variable shows it. */
export const boundText = (n: number, respectMin = false) => `${respectMin ? "r" : ""}${n}`;

/** `queue show rules`' line for one step. */
export function describeStep(s: PenaltyRule): string {
  const how = (c: BoundChange) => `${c.relative ? "by" : "to"} ${c.value}`;
  return `\tAfter ${s.time} seconds, adjust QUEUE_MAX_PENALTY ${how(s.max)}, adjust QUEUE_MIN_PENALTY ${how(s.min)} and adjust QUEUE_RAISE_PENALTY ${how(s.raise)}`;
}
