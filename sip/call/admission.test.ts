/**
 * CallAdmission (load shedding) on a virtual clock: the set-up bound, the event-loop lag
 * signal, recovery in the next window, one NOTICE per window, and recall.conf [calls].
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { VirtualClock } from "../../core/clock.js";
import { MemoryLogger } from "../../core/logger.js";
import { CallAdmission, DEFAULT_ADMISSION, loadAdmissionLimits } from "./admission.js";
import { tempDir } from "../../core/reap.js";

const SECOND = 1_000_000;

test("beyond max_setup_calls new calls are refused until one is answered or ends; the log has one line a window, not one a call", () => {
  const clock = new VirtualClock(), logger = new MemoryLogger();
  const a = new CallAdmission({ clock, logger, limits: { maxSetupCalls: 2, overloadDelayMs: 0, retryAfterSeconds: 3 } });
  assert.ok(a.admit());
  const first = a.started();
  assert.ok(a.admit());
  const second = a.started();
  for (let i = 0; i < 50; i++) assert.equal(a.admit(), false);
  assert.equal(a.retryAfter, "3");
  assert.equal(logger.lines.length, 1, "a flood of refusals is one line");
  assert.match(logger.lines[0], /NOTICE .*Overload: refusing new calls with 503 \(2 calls being set up of 2 allowed\)/);
  // At the bound, calls are admitted and refused in turn: still no line per call.
  first();
  first(); // a second report of the same call frees nothing more
  assert.equal(a.pending, 1);
  assert.ok(a.admit());
  const third = a.started();
  assert.equal(a.admit(), false);
  assert.equal(logger.lines.length, 1);
  clock.advance(SECOND);
  third();
  second();
  assert.equal(a.pending, 0);
  assert.ok(a.admit());
  assert.match(logger.lines.at(-1)!, /Overload: refused 51 new calls in the last second/);
  clock.advance(SECOND); // a window without a refusal: over
  assert.ok(a.admit());
  assert.match(logger.lines.at(-1)!, /Overload over: accepting new calls again \(51 refused with 503/);
  assert.equal(logger.lines.length, 3);
});

test("the event loop's lag sheds from the next window on, only with calls waiting, and recovers in the window after it drops", () => {
  const clock = new VirtualClock(), logger = new MemoryLogger();
  let lag = 0;
  const a = new CallAdmission({ clock, logger, limits: DEFAULT_ADMISSION, lag: () => lag });
  lag = 180;
  for (let i = 0; i < 10; i++) { assert.ok(a.admit(), "the lag is read once a window"); a.started(); }
  clock.advance(SECOND);
  assert.equal(a.admit(), false);
  assert.match(logger.lines.at(-1)!, /10 calls being set up of 1000 allowed, event loop lag 180 ms of 50 allowed/);
  for (let i = 0; i < 9; i++) a.admit();
  clock.advance(SECOND); // still lagging: a summary of the last window
  assert.equal(a.admit(), false);
  assert.match(logger.lines.at(-1)!, /refused 10 new calls in the last second/);
  lag = 5;
  clock.advance(SECOND);
  assert.ok(a.admit(), "the lag dropped: admitted at once");
  assert.match(logger.lines.at(-1)!, /refused 1 new calls in the last second/);
  clock.advance(SECOND);
  assert.ok(a.admit());
  assert.match(logger.lines.at(-1)!, /Overload over: accepting new calls again \(11 refused/);
  assert.equal(logger.lines.length, 4, "start, a line for each window of refusals, end");
});

test("a lagging event loop with few calls being set up sheds nothing (a Recall starved of CPU by other processes)", () => {
  const clock = new VirtualClock(), logger = new MemoryLogger();
  const a = new CallAdmission({ clock, logger, limits: DEFAULT_ADMISSION, lag: () => 500 });
  for (let i = 0; i < 9; i++) { a.admit(); a.started(); }
  clock.advance(SECOND);
  assert.ok(a.admit(), "9 set-ups: admitted");
  a.started();
  assert.equal(a.admit(), false, "10: shed");
});

test("recall.conf [calls]: options read, bad values named by file and line with the default kept", () => {
  const dir = tempDir("recall-admission-");
  writeFileSync(join(dir, "recall.conf"), "[calls]\nmax_setup_calls = 300\noverload_delay_ms = 0\noverload_retry_after = x\nmax_calls = 5\n");
  const { limits, errors } = loadAdmissionLimits(dir);
  assert.deepEqual(limits, { maxSetupCalls: 300, overloadDelayMs: 0, retryAfterSeconds: DEFAULT_ADMISSION.retryAfterSeconds });
  assert.deepEqual(errors.map((e) => e.message.replace(dir, "DIR")), [
    "DIR/recall.conf:4: [calls] overload_retry_after: a whole number, at least 1",
    "DIR/recall.conf:5: [calls] max_calls: unknown option",
  ]);
});
