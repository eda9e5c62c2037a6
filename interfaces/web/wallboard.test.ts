import { test } from "node:test";
import assert from "node:assert/strict";
import { midnightOf, Wallboard, type QueueActors } from "./wallboard.js";

/** The runtime's observer interface, fed by hand: the fold is what is under test. */
function actors() {
  const observers = new Map<string, ((id: string, s: { value: unknown; context: unknown; done?: boolean }, outputs: readonly unknown[]) => void)[]>();
  const api: QueueActors = {
    ids: () => [], state: () => undefined,
    observe: (kind, o) => observers.set(kind, [...(observers.get(kind) ?? []), o]),
  };
  const emit = (kind: string, id: string, value: unknown, context: unknown, done = false) => { for (const o of observers.get(kind) ?? []) o(id, { value, context, done }, []); };
  return { api, emit };
}

const queue = (over: object = {}) => ({ name: "support", strategy: "ringall", servicelevel: 20, maxlen: 0, weight: 0, callers: [], rrpos: 0, selection: [],
  completed: 0, abandoned: 0, completedInSl: 0, holdtimeTotal: 0, talktimeTotal: 0, connected: 0, ...over });
const member = (over: object = {}) => ({ queue: "support", interface: "PJSIP/6001", name: "Alice", stateInterface: "PJSIP/6001", penalty: 0, dynamic: false,
  paused: false, reason: "", addedAt: 0, lastPause: 0, callsTaken: 0, lastCall: 0, call: "", leaving: false, wrapupUntil: 0, ...over });

test("members' states: idle, ringing (their device), in call, wrap-up, paused with reason; removed ones go", async () => {
  const { api, emit } = actors();
  let device = "NOT_INUSE";
  const board = new Wallboard(api, { state: () => device, onChange: () => () => undefined }, () => 1_000_000);
  emit("queue", "queue:support", "active", queue());
  emit("queue-member", "queue-member:support/PJSIP/6001", "available", member());
  assert.equal(board.members("support")[0].status, "idle");
  device = "RINGING";
  assert.equal(board.members("support")[0].status, "ringing");
  emit("queue-member", "queue-member:support/PJSIP/6001", "incall", member({ call: "1.1" }));
  assert.equal(board.members("support")[0].status, "in call");
  emit("queue-member", "queue-member:support/PJSIP/6001", "wrapup", member({ callsTaken: 1 }));
  assert.deepEqual([board.members("support")[0].status, board.members("support")[0].callsTaken], ["wrap-up", 1]);
  emit("queue-member", "queue-member:support/PJSIP/6001", "available", member({ paused: true, reason: "lunch" }));
  assert.deepEqual([board.members("support")[0].status, board.members("support")[0].reason], ["paused", "lunch"]);
  emit("queue-member", "queue-member:support/PJSIP/6001", "removed", member(), true);
  assert.equal(board.members("support").length, 0);
});

test("calls offered, answered and abandoned are counted in the interval they happen; listeners hear a turn's changes once", async () => {
  const { api, emit } = actors();
  const board = new Wallboard(api, undefined, () => 3_600_000);
  let heard = 0;
  board.onChange(() => heard++);
  const caller = (uniqueid: string) => ({ uniqueid, channel: "PJSIP/x", callerIdNum: "100", callerIdName: "", enteredAt: 0, position: 1 });
  emit("queue", "queue:support", "active", queue());
  emit("queue", "queue:support", "active", queue({ callers: [caller("a")] }));
  emit("queue", "queue:support", "active", queue({ callers: [caller("a"), caller("b")] }));
  emit("queue", "queue:support", "active", queue({ callers: [caller("b")], connected: 1 }));
  emit("queue", "queue:support", "active", queue({ callers: [], connected: 1, abandoned: 1 }));
  await Promise.resolve();
  assert.equal(heard, 1);
  const [interval] = board.intervals();
  assert.deepEqual({ ...interval }, { start: 3_600_000, offered: 2, answered: 1, abandoned: 1 });
  assert.equal(board.queues()[0].abandoned, 1);
});

test("today: queue_log's history before the start plus what the counters grow by, afresh at local midnight; queue reset stats does not zero it", async () => {
  const { api, emit } = actors();
  const midnight = midnightOf(Date.UTC(2026, 11, 7, 12));
  let now = midnight + 9 * 3600_000;
  const board = new Wallboard(api, undefined, () => now);
  emit("queue", "queue:support", "active", queue());
  board.seed({ day: midnight, today: new Map([["support", { offered: 10, answered: 8, abandoned: 2, answeredInSl: 6, holdtimeTotal: 80 }]]), intervals: [] });
  const caller = { uniqueid: "a", channel: "PJSIP/x", callerIdNum: "100", callerIdName: "", enteredAt: 0, position: 1 };
  emit("queue", "queue:support", "active", queue({ callers: [caller] }));
  emit("queue", "queue:support", "active", queue({ callers: [], connected: 1, holdtimeTotal: 30 }));
  assert.deepEqual(board.today("support"), { offered: 11, answered: 9, abandoned: 2, answeredInSl: 6, holdtimeTotal: 110 }, "30 s is over the 20 s service level");
  emit("queue", "queue:support", "active", queue()); // queue reset stats
  assert.equal(board.today("support").answered, 9);
  now = midnight + 24 * 3600_000 + 1000;
  assert.deepEqual(board.today("support"), { offered: 0, answered: 0, abandoned: 0, answeredInSl: 0, holdtimeTotal: 0 });
  // A history from yesterday (a board started just before midnight, seeded after it) adds nothing to today.
  board.seed({ day: midnight, today: new Map([["support", { offered: 5, answered: 5, abandoned: 0, answeredInSl: 5, holdtimeTotal: 5 }]]), intervals: [] });
  assert.equal(board.today("support").offered, 0);
});

test("at local midnight (the server's time zone; Asia/Kolkata here, UTC+5:30) an open board is sent again with the day at zero; calls either side count on their own day", async () => {
  const tz = process.env.TZ;
  process.env.TZ = "Asia/Kolkata";
  try {
    const midnight = midnightOf(Date.UTC(2026, 11, 7, 12));
    assert.equal(midnight, Date.UTC(2026, 11, 6, 18, 30), "midnight of 7 December in Kolkata is 18:30 UTC the day before");
    let now = midnight + 24 * 3600_000 - 30_000; // 23:59:30 on the 7th
    const timers: { due: number; fn: () => void }[] = [];
    const { api, emit } = actors();
    const board = new Wallboard(api, undefined, () => now, (ms, fn) => timers.push({ due: now + ms, fn }));
    let sent = 0;
    board.onChange(() => sent++);
    const caller = { uniqueid: "a", channel: "PJSIP/x", callerIdNum: "100", callerIdName: "", enteredAt: 0, position: 1 };
    emit("queue", "queue:support", "active", queue());
    emit("queue", "queue:support", "active", queue({ callers: [caller] }));
    emit("queue", "queue:support", "active", queue({ callers: [], connected: 1, holdtimeTotal: 5 }));
    assert.equal(board.today("support").answered, 1);
    await Promise.resolve();
    sent = 0;
    // Nothing happens in the queue; the clock passes midnight and the timer set for it fires.
    const next = timers.shift()!;
    assert.ok(next.due > midnight + 24 * 3600_000 && next.due < midnight + 24 * 3600_000 + 1000, "the timer is set for midnight");
    now = next.due;
    next.fn();
    await Promise.resolve();
    assert.equal(sent, 1, "the open board was sent again");
    assert.deepEqual(board.today("support"), { offered: 0, answered: 0, abandoned: 0, answeredInSl: 0, holdtimeTotal: 0 });
    assert.equal(timers.length, 1, "the next boundary is set");
    // 00:00:35 on the 8th: a caller waits 3 s and abandons; the 7th's call stays on the 7th.
    now += 30_000;
    emit("queue", "queue:support", "active", queue({ connected: 1, holdtimeTotal: 5, callers: [{ ...caller, uniqueid: "b" }] }));
    emit("queue", "queue:support", "active", queue({ connected: 1, holdtimeTotal: 5, abandoned: 1 }));
    assert.deepEqual(board.today("support"), { offered: 1, answered: 0, abandoned: 1, answeredInSl: 0, holdtimeTotal: 0 });
  } finally {
    if (tz === undefined) delete process.env.TZ; else process.env.TZ = tz;
  }
});
