/**
 * Randomness as a service. Tags, branches, Call-IDs, nonces and unique ids reach actors
 * only through an injected Random, so a replay can hand back the recorded values.
 */
import * as Context from "effect/Context";
import { randomBytes } from "node:crypto";

export interface Random {
  /** A uniformly distributed unsigned 32-bit integer. */
  next32(): number;
}

export class RandomService extends Context.Tag("recall/Random")<RandomService, Random>() {}

/** Cryptographic randomness, buffered to keep the per-call cost low. */
export class SystemRandom implements Random {
  private buf = Buffer.alloc(0);
  private pos = 0;
  next32(): number {
    if (this.pos + 4 > this.buf.length) { this.buf = randomBytes(4096); this.pos = 0; }
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
}

/** A seeded generator (xorshift128+ folded to 32 bits) for tests and simulations. */
export class SeededRandom implements Random {
  private s0: bigint;
  private s1: bigint;
  constructor(seed = 1) {
    this.s0 = BigInt(seed) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn || 1n;
    this.s1 = (this.s0 ^ 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  }
  next32(): number {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= (x << 23n) & 0xffffffffffffffffn;
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return Number(((this.s1 + y) & 0xffffffffffffffffn) >> 32n);
  }
}

/** Hex string of `bytes` random bytes drawn from `random`. */
export function randomHex(random: Random, bytes: number): string {
  let s = "";
  for (let i = 0; i < bytes; i += 4) s += random.next32().toString(16).padStart(8, "0");
  return s.slice(0, bytes * 2);
}
