import { test } from "node:test";
import assert from "node:assert/strict";
import { SystemClock } from "./clock.js";

test("a system-clock timer never fires before its time, even when scheduled late in a long turn", async () => {
  const clock = new SystemClock();
  const early: number[] = [];
  const alive = setInterval(() => undefined, 1000); // the clock's timers do not hold the process open
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve) => setImmediate(() => {
      // A turn that has run for a while: setTimeout counts from the loop's older cached time.
      const busyUntil = clock.now() + 800;
      while (clock.now() < busyUntil) { /* spin */ }
      const at = clock.now() + 3_000;
      clock.schedule(at, () => { if (clock.now() < at) early.push(at - clock.now()); resolve(); });
    }));
  }
  clearInterval(alive);
  assert.deepEqual(early, [], "µs early");
});
