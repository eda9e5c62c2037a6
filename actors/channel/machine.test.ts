import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { SeededRandom } from "../../core/random.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { ActorRuntime } from "../runtime.js";
import { verifyLog } from "../replay.js";
import { actorKinds } from "../kinds.js";
import { channelKind, type ChannelInput, type CreateChannelInput } from "./machine.js";
import { inputStep, persist, spawnStep } from "../step.js";
import type { ActorKindDef } from "../kind.js";
import { tempDir } from "../../core/reap.js";

const create = (direction: "in" | "out"): CreateChannelInput => ({
  source: "test", type: "create", name: "PJSIP/6001-00000001", uniqueid: "1700000000.1", linkedid: "1700000000.1", tech: "PJSIP",
  direction, endpoint: "6001", callerId: { num: "6001", name: "Alice" }, context: "from-internal", exten: "6002", vars: { __ACCOUNT: "x" },
});

async function setup() {
  const log = await SegmentLog.open(tempDir("recall-channel-"), { notice: () => undefined });
  const clock = new VirtualClock(1_700_000_000_000_000);
  return { log, clock, runtime: new ActorRuntime({ log, clock, random: new SeededRandom(3), kinds: actorKinds }) };
}

test("an incoming channel rings, runs applications, is answered, hangs up and is destroyed; the log replays", async () => {
  const { log, clock, runtime } = await setup();
  const id = "channel:1700000000.1";
  assert.equal(runtime.spawn("channel", id, create("in"), { linkedid: "1700000000.1" }).state.value, "ring");
  runtime.send(id, { source: "test", type: "newexten", context: "from-internal", exten: "6002", priority: 1 });
  runtime.send(id, { source: "test", type: "app.start", app: "Dial", data: "PJSIP/6002,20" });
  runtime.send(id, { source: "test", type: "ringing" });
  clock.advance(2e6);
  const up = runtime.send(id, { source: "test", type: "answer" })!;
  assert.equal(up.state.value, "up");
  assert.equal((up.state.context as { answeredAt: number }).answeredAt, 1_700_000_002_000_000);
  runtime.send(id, { source: "test", type: "cdr.set", field: "userfield", value: "vip" });
  runtime.send(id, { source: "test", type: "setvar", name: "FOO", value: "bar" });
  assert.equal(runtime.send(id, { source: "test", type: "ringing" })!.state.value, "up", "an Up channel does not go back to ringing");
  clock.advance(5e6);
  const down = runtime.send(id, { source: "test", type: "hangup", cause: 16, by: "PJSIP/6001-00000001" })!;
  assert.equal(down.state.value, "hungup");
  const ctx = down.state.context as Record<string, unknown>;
  assert.deepEqual([ctx.hangupCause, ctx.hangupSource, ctx.userfield, ctx.app], [16, "PJSIP/6001-00000001", "vip", "Dial"]);
  assert.deepEqual(ctx.vars, { __ACCOUNT: "x", FOO: "bar" });
  runtime.send(id, { source: "test", type: "app.start", app: "NoOp", data: "in h" });
  runtime.send(id, { source: "test", type: "destroy" });
  await runtime.settle();
  assert.equal(runtime.has(id), false, "a destroyed channel is no longer live");
  const result = await verifyLog(log, actorKinds);
  assert.equal(result.divergence, undefined);
  assert.equal(result.events, 11);
});

test("an outgoing channel starts Down and a busy callee hangs up from Busy", async () => {
  const { runtime } = await setup();
  const id = "channel:1700000000.2";
  assert.equal(runtime.spawn("channel", id, create("out")).state.value, "down");
  assert.equal(runtime.send(id, { source: "test", type: "dialing" })!.state.value, "dialing");
  assert.equal(runtime.send(id, { source: "test", type: "busy" })!.state.value, "busy");
  assert.equal(runtime.send(id, { source: "test", type: "answer" })!.state.value, "busy", "a busy callee cannot answer");
  assert.equal(runtime.send(id, { source: "test", type: "hangup", cause: 17 })!.state.value, "hungup");
});

test("transfer inputs are logged in Up and after hang-up, leave the leg's state as it was, and replay", async () => {
  const { log, runtime } = await setup();
  const id = "channel:1700000000.3";
  runtime.spawn("channel", id, create("out"));
  runtime.send(id, { source: "test", type: "answer" });
  const before = runtime.state(id)!;
  const blind = runtime.send(id, { source: "sip", type: "transfer.blind", exten: "6003", context: "from-internal", bridge: "b1", transferee: "channel:1700000000.1" })!;
  assert.equal(blind.state.value, "up");
  assert.deepEqual(blind.state.context, before.context);
  runtime.send(id, { source: "test", type: "hangup", cause: 16, by: "PJSIP/6001-00000001" });
  const attended = runtime.send(id, {
    source: "dtmf", type: "transfer.attended", bridge1: "b1", bridge2: "b2", channel2: id, transferee: "channel:1700000000.1", target: "channel:1700000000.4",
  })!;
  assert.equal(attended.state.value, "hungup", "an atxfer completes as the transferer hangs up");
  runtime.send(id, { source: "test", type: "destroy" });
  await runtime.settle();
  const result = await verifyLog(log, actorKinds);
  assert.equal(result.divergence, undefined);
});

test("agi.command inputs are logged while the leg rings, is up and after hang-up (DeadAGI in h), change nothing, and replay", async () => {
  const { log, runtime } = await setup();
  const id = "channel:1700000000.5";
  runtime.spawn("channel", id, create("in"));
  const ringing = runtime.state(id)!;
  const first = runtime.send(id, { source: "agi", type: "agi.command", command: "GET VARIABLE FOO", result: "200 result=0" })!;
  assert.equal(first.state.value, "ring");
  assert.deepEqual(first.state.context, ringing.context);
  runtime.send(id, { source: "agi", type: "answer" });
  assert.equal(runtime.send(id, { source: "agi", type: "agi.command", command: "STREAM FILE beep \"\"", result: "200 result=0 endpos=1600" })!.state.value, "up");
  runtime.send(id, { source: "test", type: "hangup", cause: 16 });
  const dead = runtime.send(id, { source: "agi", type: "agi.command", command: "STREAM FILE beep \"\"", result: "511 Command Not Permitted on a dead channel or intercept routine" })!;
  assert.equal(dead.state.value, "hungup");
  runtime.send(id, { source: "test", type: "destroy" });
  await runtime.settle();
  const result = await verifyLog(log, actorKinds);
  assert.equal(result.divergence, undefined);
  assert.equal(result.events, 7);
});

test("the inputs a step takes without walking the machine leave the state XState's own transition gives, in every state", () => {
  const slow: ActorKindDef = { ...channelKind, contextUpdates: undefined, stateChanges: undefined, spawnState: undefined };
  const source = { now: 1_700_000_000_000_000, random32: () => 7 };
  const updates: ChannelInput[] = [
    { source: "test", type: "newexten", context: "c", exten: "s", priority: 2, app: "Dial", data: "PJSIP/6002" },
    { source: "test", type: "newexten", context: "c", exten: "s", priority: 3 },
    { source: "test", type: "app.start", app: "Queue", data: "sales" }, { source: "test", type: "app.end", app: "Queue" },
    { source: "test", type: "setvar", name: "FOO", value: "bar" }, { source: "test", type: "setvar", name: "__ACCOUNT", value: "" },
    { source: "test", type: "setvars", vars: { A: "1", __ACCOUNT: "" } },
    { source: "test", type: "cdr.set", field: "userfield", value: "vip" }, { source: "test", type: "cdr.set", field: "dstchannel", value: "x" },
    { source: "test", type: "callerid", num: "100" }, { source: "test", type: "connected", name: "Bob" },
    { source: "test", type: "dial.begin", peer: "channel:2", dialstring: "PJSIP/6002" }, { source: "test", type: "dial.end", status: "ANSWER" },
    { source: "test", type: "bridge.enter", bridge: "b1", peer: "channel:2" }, { source: "test", type: "bridge.exit", bridge: "b1" },
    { source: "test", type: "linkedid", linkedid: "1.2" }, { source: "test", type: "user.event", name: "E" },
    { source: "test", type: "pickup", pickup_channel: "channel:3" }, { source: "test", type: "agi.command", command: "ANSWER", result: "200 result=0" },
    { source: "test", type: "local.optimize", other: "channel:4", peer: "channel:5" }, { source: "test", type: "local.bridge", other: "channel:4", optimize: true },
    { source: "test", type: "transfer.blind", exten: "6003", context: "c", bridge: "b1", transferee: "channel:2" },
    { source: "test", type: "transfer.attended", bridge1: "b1", bridge2: "b2", channel2: "channel:6", transferee: "channel:2", target: "channel:7" },
    { source: "test", type: "hold", musicclass: "default" }, { source: "test", type: "unhold" },
    { source: "test", type: "held", by: "channel:2" }, { source: "test", type: "unheld" },
    { source: "test", type: "dtmf", digit: "5", direction: "received", durationMs: 120 },
  ];
  assert.deepEqual(new Set(updates.map((u) => u.type)), channelKind.contextUpdates!.types, "every fast input is tried");
  const changes: ChannelInput[] = [
    ...(["ring", "ringing", "progress", "busy", "dialing", "answer", "destroy"] as const).map((type) => ({ source: "test", type }) as ChannelInput),
    { source: "test", type: "hangup", cause: 17, by: "PJSIP/6001-00000001" }, { source: "test", type: "hangup", cause: 16 },
  ];
  const paths: ChannelInput[][] = [
    [], [{ source: "test", type: "ringing" }], [{ source: "test", type: "progress" }], [{ source: "test", type: "busy" }],
    [{ source: "test", type: "answer" }], [{ source: "test", type: "answer" }, { source: "test", type: "hangup", cause: 16 }],
  ];
  for (const direction of ["in", "out"] as const) {
    for (const path of [...paths, [{ source: "test", type: "dialing" } as ChannelInput]]) {
      const spawned = spawnStep(channelKind, create(direction), source), spawnWalked = spawnStep(slow, create(direction), source);
      assert.deepEqual(spawned.state, spawnWalked.state, `spawned ${direction}`);
      assert.deepEqual(spawned.outputs, spawnWalked.outputs);
      assert.deepEqual(spawned.snapshot.value, direction === "in" ? "ring" : "down");
      let snapshot = spawned.snapshot, walkedFromSpawn = spawnWalked.snapshot;
      for (const input of path) {
        snapshot = inputStep(channelKind, snapshot, input, source).snapshot;
        walkedFromSpawn = inputStep(slow, walkedFromSpawn, input, source).snapshot;
        assert.deepEqual(persist(snapshot), persist(walkedFromSpawn), `${input.type} after spawning ${direction}`);
      }
      for (const input of updates) {
        const fast = inputStep(channelKind, snapshot, input, source);
        const walked = inputStep(slow, snapshot, input, source);
        assert.deepEqual(fast.state, walked.state, `${input.type} in ${String(snapshot.value)}`);
        assert.deepEqual(fast.outputs, walked.outputs);
        snapshot = fast.snapshot;
      }
      // State changes (and inputs a state ignores), each from here, then every other input after it from either snapshot.
      for (const input of changes) {
        const fast = inputStep(channelKind, snapshot, input, source);
        const walked = inputStep(slow, snapshot, input, source);
        const where = `${input.type} in ${String(snapshot.value)}`;
        assert.deepEqual(fast.state, walked.state, where);
        assert.deepEqual(fast.outputs, walked.outputs, where);
        for (const next of changes) {
          assert.deepEqual(inputStep(slow, fast.snapshot, next, source).state, inputStep(slow, walked.snapshot, next, source).state, `${next.type} after ${where}`);
        }
      }
    }
  }
  const taken = (state: string) => changes.filter((i) => channelKind.stateChanges!.next(state, {} as never, { ...i, env: source } as never) !== undefined).length;
  assert.deepEqual([taken("down"), taken("up"), taken("hungup"), taken("destroyed")], [8, 2, 1, 0], "the state changes are taken without XState");
});
