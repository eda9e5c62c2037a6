/** A violation names the invariant, the seed, the log offset, the actor and the command that reproduces it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../core/clock.js";
import { Invariants, InvariantViolation } from "./invariants.js";
import type { SimPbx } from "./pbx.js";
import type { CallerTrunk } from "./phones.js";

test("a channel left at the end of the day is a leak, reported with seed, offset, actor and reproduction", () => {
  const clock = new VirtualClock();
  const pbx = {
    runtime: { ids: (kind: string) => (kind === "channel" ? ["channel:PJSIP/trunk-00000007"] : []) },
    core: { list: () => [] }, media: { sessions: new Set() }, log: { nextOffset: 4242 },
  } as unknown as SimPbx;
  const trunk = { records: [], active: 0, calls: new Map() } as unknown as CallerTrunk;
  const invariants = new Invariants({ pbx: () => pbx, trunk, agents: [], seed: 17, clock, reproduce: "recall simulate --seed 17 --data NEW_DIR --agents 3" });
  invariants.afterStep();
  assert.throws(() => invariants.atEnd(), (e: unknown) => {
    assert.ok(e instanceof InvariantViolation);
    assert.equal(e.invariant, "no channel, bridge or media session leaks");
    assert.deepEqual([e.seed, e.offset, e.actor], [17, 4242, "channel:PJSIP/trunk-00000007"]);
    assert.match(e.message, /reproduce with: recall simulate --seed 17 --data NEW_DIR --agents 3$/);
    return true;
  });
});

test("more channels than two per call in progress, for longer than the grace, is a leak seen while running", () => {
  const clock = new VirtualClock();
  const pbx = { runtime: { ids: () => ["channel:a", "channel:b", "channel:c"] }, log: { nextOffset: 9 } } as unknown as SimPbx;
  const trunk = { records: [], active: 1, calls: new Map() } as unknown as CallerTrunk;
  const invariants = new Invariants({ pbx: () => pbx, trunk, agents: [], seed: 1, clock, reproduce: "x" });
  invariants.afterStep();
  clock.advance(60e6);
  invariants.afterStep();
  clock.advance(5e6);
  assert.throws(() => invariants.afterStep(), /a call never holds more channels than its legs: 3 channels live for 1 calls/);
});
