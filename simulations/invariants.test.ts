/** A violation names the invariant, the seed, the log offset, the actor and the command that reproduces it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../core/clock.js";
import { Invariants, InvariantViolation } from "./invariants.js";
import type { SimPbx } from "./pbx.js";
import type { CallerTrunk } from "./phones.js";
import { QueueOrder } from "./queue-order.js";
import type { EventRecord } from "../events/record.js";

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

/** Queue records as the queue actor logs them (only what QueueOrder reads). */
const queueLog = () => {
  let offset = 0;
  const callers: { uniqueid: string }[] = [];
  const q = (input: Record<string, unknown>, context: Record<string, unknown> = {}, draws?: number[]) => ({
    offset: offset++, stream: "queue:support", kind: "queue", seq: offset, time: 1e15, type: "queue.transition", v: 1, outputs: [],
    input: { source: "dialplan", ...input }, state: { value: "active", context: { strategy: "linear", rrpos: 0, selection: [], callers: [...callers], ...context } },
    ...(draws ? { draws } : {}),
  }) as unknown as EventRecord;
  const dial = (uniqueid: string, dialstring: string) => ({ offset: offset++, stream: `channel:${uniqueid}`, kind: "channel", seq: 9, time: 1e15, type: "channel.transition", v: 1, outputs: [], input: { source: "dialplan", type: "dial.begin", dialstring }, state: { value: "up", context: {} } }) as unknown as EventRecord;
  const join = (uniqueid: string) => { callers.push({ uniqueid }); return q({ type: "join", uniqueid }); };
  const candidates = (ids: string[]) => ids.map((id, index) => ({ id, penalty: 0, callsTaken: 0, lastCall: 0, index }));
  return { q, dial, join, candidates };
};

test("queue order: a caller ringing out of turn, a ring order the strategy would not give, and legs other than the chosen group are violations", () => {
  const good = new QueueOrder(true), l = queueLog();
  for (const r of [l.join("1.1"), l.join("1.2"), l.q({ type: "select", uniqueid: "1.2", candidates: l.candidates(["PJSIP/a", "PJSIP/b"]) }, { selection: [["PJSIP/a"], ["PJSIP/b"]] }), l.dial("1.2", "PJSIP/a")]) good.add(r);
  good.finish();
  assert.equal(good.violation, undefined, "with autofill and two members free the second caller may ring");

  const turn = new QueueOrder(true), t = queueLog();
  for (const r of [t.join("1.1"), t.join("1.2"), t.q({ type: "select", uniqueid: "1.2", candidates: t.candidates(["PJSIP/a"]) }, { selection: [["PJSIP/a"]] })]) turn.add(r);
  assert.match(turn.violation?.detail ?? "", /caller 1\.2 rang members at position 2 of 2 with 1 members free/);

  const order = new QueueOrder(true), o = queueLog();
  for (const r of [o.join("1.1"), o.q({ type: "select", uniqueid: "1.1", candidates: o.candidates(["PJSIP/a", "PJSIP/b"]) }, { selection: [["PJSIP/b"], ["PJSIP/a"]] })]) order.add(r);
  assert.match(order.violation?.detail ?? "", /linear ordered \[\["PJSIP\/b"\],\["PJSIP\/a"\]\] for caller 1\.1; the strategy's function gives \[\["PJSIP\/a"\],\["PJSIP\/b"\]\]/);

  // A linear caller's retry starts after the member its last try rang (the select carries its linpos).
  const retry = new QueueOrder(true), rl = queueLog();
  for (const r of [rl.join("1.1"), rl.q({ type: "select", uniqueid: "1.1", linpos: 1, candidates: rl.candidates(["PJSIP/a", "PJSIP/b"]) }, { selection: [["PJSIP/b"], ["PJSIP/a"]] }), rl.dial("1.1", "PJSIP/b")]) retry.add(r);
  retry.finish();
  assert.equal(retry.violation, undefined, "linpos 1 puts b first");

  const legs = new QueueOrder(true), g = queueLog();
  for (const r of [g.join("1.1"), g.q({ type: "select", uniqueid: "1.1", candidates: g.candidates(["PJSIP/a", "PJSIP/b"]) }, { selection: [["PJSIP/a"], ["PJSIP/b"]] }), g.dial("1.1", "PJSIP/b"), g.q({ type: "ringnoanswer", uniqueid: "1.1" })]) legs.add(r);
  assert.match(legs.violation?.detail ?? "", /the strategy chose \[PJSIP\/a\] but the caller dialled \[PJSIP\/b\]/);

  const strict = new QueueOrder(false), s = queueLog();
  for (const r of [s.join("1.1"), s.join("1.2"), s.q({ type: "connect", uniqueid: "1.2" })]) strict.add(r);
  assert.match(strict.violation?.detail ?? "", /caller 1\.2 was connected from position 2 \(autofill = no/);
});
