import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SessionTimer, type SessionTimerTerms } from "./session-timer.js";

const S = 1_000_000;

function timer(terms: SessionTimerTerms, refreshStatus: () => number) {
  const clock = new VirtualClock();
  const start = clock.now();
  const events: string[] = [];
  const t = new SessionTimer({
    clock,
    refresh: async () => { events.push(`refresh@${(clock.now() - start) / S}`); return refreshStatus(); },
    expire: (reason) => events.push(`expire@${(clock.now() - start) / S}: ${reason}`),
  }, terms);
  return { clock, events, t, at: (seconds: number) => clock.advanceTo(start + seconds * S) };
}

const settle = () => new Promise((r) => setImmediate(r));

test("caller refreshes: a lapse is declared interval − min(32, interval/3) after the last refresh", async () => {
  const { events, t, at } = timer({ interval: 1800, refresher: "uac", callerSupports: true }, () => 200);
  t.start();
  at(1000);
  t.refreshed();
  at(1767);
  assert.deepEqual(events, [], "1000 + 1768 is the deadline");
  at(2768);
  assert.deepEqual(events, ["expire@2768: no session refresh within 1800 s"]);
  const short = timer({ interval: 90, refresher: "uac", callerSupports: true }, () => 200);
  short.t.start();
  short.at(59);
  assert.deepEqual(short.events, []);
  short.at(60);
  assert.deepEqual(short.events, ["expire@60: no session refresh within 90 s"], "90 − 90/3");
});

test("Recall refreshes at half the interval, again after each success, and ends the call on a failure", async () => {
  const statuses = [200, 200, 408];
  const { events, t, at } = timer({ interval: 90, refresher: "uas", callerSupports: true }, () => statuses.shift()!);
  t.start();
  at(45); await settle();
  at(90); await settle();
  at(135); await settle();
  assert.deepEqual(events, ["refresh@45", "refresh@90", "refresh@135", "expire@135: session refresh failed (408)"]);
});

test("a stopped timer does nothing", async () => {
  const { events, t, at } = timer({ interval: 90, refresher: "uac", callerSupports: false }, () => 200);
  t.start();
  t.stop();
  at(1000);
  assert.deepEqual(events, []);
});
