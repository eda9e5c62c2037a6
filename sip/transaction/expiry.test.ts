import { it } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { ExpiryQueue } from "./expiry.js";

it("expires items in order, on time, with one clock timer for all of them", () => {
  const clock = new VirtualClock(0);
  const expired: Array<[number, number]> = [];
  const queue = new ExpiryQueue<{ id: number; expires: number }>(clock, (item) => expired.push([item.id, clock.now()]));
  for (let id = 0; id < 5000; id++) {
    queue.add({ id, expires: clock.now() + 32_000 });
    clock.advance(5);
  }
  assert.equal(clock.pendingTimers, 1);
  assert.equal(queue.size, 5000);
  clock.advanceTo(32_000 + 5 * 2999);
  assert.equal(queue.size, 2000);
  assert.deepEqual(expired.slice(0, 3), [[0, 32_000], [1, 32_005], [2, 32_010]]);
  assert.deepEqual(expired.map(([id]) => id), [...Array(3000).keys()]);
  assert.ok(expired.every(([id, at]) => at === 32_000 + 5 * id), "each at its own time");
  clock.advance(1_000_000);
  assert.equal(queue.size, 0);
  assert.equal(clock.pendingTimers, 0);
  queue.add({ id: 9, expires: clock.now() + 5 });
  queue.clear();
  clock.advance(10);
  assert.equal(expired.length, 5000, "cleared items never expire");
});
