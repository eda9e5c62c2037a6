/**
 * Queue strategies as pure functions: given the members that may ring, in the
 * queue's member order, return the order in which to try them, as groups rung
 * together (ringall rings a whole penalty tier at once, every other strategy one
 * member at a time). Randomness comes in as a function so the queue actor can draw
 * it from the logged environment.
 *
 * As app_queue does, each member gets a metric and the lowest rings first; a higher
 * penalty always comes after a lower one (penalty × 1,000,000), except for random
 * (penalty × 1,000 plus a random 0–999) and wrandom (a random number below
 * (penalty + 1) × 1,000).
 */
import type { Strategy } from "./config.js";

export interface Candidate {
  /** The member's interface. */
  readonly id: string;
  readonly penalty: number;
  readonly callsTaken: number;
  /** µs since the epoch of the member's last completed call, 0 for never. */
  readonly lastCall: number;
  /** Index in the queue's member list (configuration order, then order added). */
  readonly index: number;
}

export interface StrategyContext {
  /** Round-robin position: index of the member to start from (rrmemory, rrordered). */
  readonly rrpos: number;
  /** linear: index of the member this caller's next try starts from (a caller's own, unlike rrpos); 0 by default. */
  readonly linpos?: number;
  /** µs now (leastrecent). */
  readonly now: number;
  /** A random integer in [0, n). */
  readonly random: (n: number) => number;
}

function metric(strategy: Strategy, c: Candidate, ctx: StrategyContext): number {
  const tier = c.penalty * 1_000_000;
  switch (strategy) {
    case "ringall": return tier;
    case "linear": return tier + (c.index < (ctx.linpos ?? 0) ? 1000 + c.index : c.index);
    case "rrmemory": case "rrordered": return tier + (c.index < ctx.rrpos ? 1000 + c.index : c.index);
    case "leastrecent": return tier + (c.lastCall ? 1_000_000 - Math.min(999_999, Math.floor((ctx.now - c.lastCall) / 1e6)) : 0);
    case "fewestcalls": return tier + Math.min(c.callsTaken, 999_999);
    case "random": return c.penalty * 1000 + ctx.random(1000);
    case "wrandom": return ctx.random((c.penalty + 1) * 1000);
  }
}

/** Groups of member ids in ring order. */
export function ringOrder(strategy: Strategy, candidates: readonly Candidate[], ctx: StrategyContext): string[][] {
  const scored = candidates.map((c) => ({ c, m: metric(strategy, c, ctx) }));
  scored.sort((a, b) => a.m - b.m || a.c.index - b.c.index);
  if (strategy !== "ringall") return scored.map((s) => [s.c.id]);
  const groups: string[][] = [];
  let last: number | undefined;
  for (const s of scored) {
    if (s.m !== last) groups.push([]);
    groups[groups.length - 1].push(s.c.id);
    last = s.m;
  }
  return groups;
}

/**
 * Where the next round robin starts after `index` rang (rrmemory, rrordered): the
 * member after it, wrapping at the end of the list.
 */
export function nextRoundRobin(index: number, memberCount: number): number {
  return memberCount === 0 ? 0 : (index + 1) % memberCount;
}
