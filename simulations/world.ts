/**
 * The simulated world's physics. Contract: everything that happens in a simulation is
 * caused by one seeded Random and one VirtualClock, and the world only moves on when the
 * system under test has nothing left to do at the current instant (`World.step`), so the
 * same seed gives the same sequence of events, the same log, byte for byte.
 */
import { VirtualClock } from "../core/clock.js";
import { type Random, SeededRandom } from "../core/random.js";
import { MemoryNetwork, type MemoryPacket } from "../sip/transport/index.js";

/** Draws from distributions on one seeded source. */
export class Dice {
  constructor(readonly random: Random) {}
  /** Uniform in [0, 1). */
  unit(): number { return this.random.next32() / 2 ** 32; }
  chance(p: number): boolean { return p > 0 && this.unit() < p; }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.unit() * (hi - lo + 1)); }
  /** Exponential with this mean (arrivals of a Poisson process). */
  exponential(mean: number): number { return -Math.log(1 - this.unit()) * mean; }
  /** Log-normal-ish positive value around `median` (talk and think times have long tails). */
  around(median: number, spread = 0.5): number {
    const n = (this.unit() + this.unit() + this.unit() - 1.5) * 2; // ~N(0,1)-shaped, bounded
    return median * Math.exp(n * spread);
  }
  pick<T>(items: readonly T[]): T { return items[Math.floor(this.unit() * items.length)]; }
}

/** How the simulated network misbehaves: per-packet latency (µs), loss, duplication, jitter that reorders. */
export interface NetworkConditions {
  readonly latencyMicros: number;
  readonly jitterMicros: number;
  readonly loss: number;
  readonly duplicate: number;
}

export const CALM_NETWORK: NetworkConditions = { latencyMicros: 2_000, jitterMicros: 1_000, loss: 0, duplicate: 0 };

/**
 * The real in-memory transport's network with seeded misbehaviour: loss, duplicates,
 * jitter (so packets overtake each other), and partitions of hosts. UDP only: SIP's own
 * retransmissions must cope, as on a real network.
 */
export class SimNetwork {
  readonly network: MemoryNetwork;
  conditions: NetworkConditions = CALM_NETWORK;
  /** Hosts cut off from everyone (a phone that vanished, a partition). */
  readonly partitioned = new Set<string>();
  readonly stats = { sent: 0, lost: 0, duplicated: 0 };

  constructor(clock: VirtualClock, private readonly dice: Dice) {
    this.network = new MemoryNetwork(clock);
    this.network.drop = (p) => this.drop(p);
    this.network.delays = () => this.delays();
  }

  private drop(p: MemoryPacket): boolean {
    this.stats.sent++;
    const lost = this.partitioned.has(p.from.host) || this.partitioned.has(p.to.host) || this.dice.chance(this.conditions.loss);
    if (lost) this.stats.lost++;
    return lost;
  }

  private delays(): number[] {
    const { latencyMicros, jitterMicros, duplicate } = this.conditions;
    const one = () => latencyMicros + Math.floor(this.dice.unit() * jitterMicros);
    if (!this.dice.chance(duplicate)) return [one()];
    this.stats.duplicated++;
    return [one(), one()];
  }
}

/** Clock, randomness and network of one simulation, and the loop that moves time. */
export class World {
  readonly clock: VirtualClock;
  readonly dice: Dice;
  readonly net: SimNetwork;
  steps = 0;

  constructor(readonly seed: number, start = Date.UTC(2026, 0, 5, 8, 0, 0) * 1000) {
    this.clock = new VirtualClock(start);
    this.dice = new Dice(new SeededRandom(seed));
    this.net = new SimNetwork(this.clock, this.dice);
  }

  /** A seeded source derived from the world's, for one component (so adding draws elsewhere does not shift it). */
  derive(salt: number): SeededRandom {
    return new SeededRandom((this.seed * 7919 + salt) >>> 0 || 1);
  }

  /**
   * Fire the timers of the next instant, then let the system finish everything that
   * follows from them (promises, log appends) before anything else may happen.
   * Returns false when nothing is scheduled up to `until`.
   */
  async step(until: number, quiesce: () => Promise<void>): Promise<boolean> {
    await quiesce();
    const next = this.clock.nextAt();
    if (next === undefined || next > until) return false;
    this.clock.advanceTo(next);
    this.steps++;
    await quiesce();
    return true;
  }
}

/** Let every pending promise and immediate run: the system is idle at this instant. */
export async function drain(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
