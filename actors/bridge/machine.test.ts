import { test } from "node:test";
import assert from "node:assert/strict";
import type { AnyMachineSnapshot } from "xstate";
import type { ActorKindDef } from "../kind.js";
import { inputStep, spawnStep } from "../step.js";
import { bridgeKind, type BridgeInput, type CreateBridgeInput } from "./machine.js";

const source = { now: 1_700_000_000_000_000, random32: () => 7 };
const slow: ActorKindDef = { ...bridgeKind, contextUpdates: undefined, stateChanges: undefined, spawnState: undefined };
const input = (type: BridgeInput["type"], field?: string): BridgeInput =>
  (type === "enter" || type === "leave" ? { source: "test", type, channel: field! }
    : type === "video.source" ? { source: "test", type, uniqueid: field ?? "" } : { source: "test", type }) as BridgeInput;

test("a bridge's members and video source, stepped without XState and by XState alike", () => {
  const steps: BridgeInput[] = [
    input("enter", "channel:1"), input("enter", "channel:2"), input("enter", "channel:1"), input("video.source", "2"),
    input("leave", "channel:2"), input("video.source"), input("leave", "channel:9"), input("destroy"), input("enter", "channel:3"),
  ];
  const create: CreateBridgeInput = { source: "test", type: "create", id: "b1", technology: "simple_bridge", name: "conf" };
  const spawned = spawnStep(bridgeKind, create, source), spawnWalked = spawnStep(slow, create, source);
  assert.deepEqual(spawned.state, spawnWalked.state);
  assert.deepEqual(spawned.outputs, spawnWalked.outputs);
  let fast: AnyMachineSnapshot = spawned.snapshot;
  let walked = spawnWalked.snapshot;
  const seen: unknown[] = [];
  for (const step of steps) {
    const a = inputStep(bridgeKind, fast, step, source), b = inputStep(slow, walked, step, source);
    assert.deepEqual(a.state, b.state, `${step.type} after ${seen.length} steps`);
    assert.deepEqual(a.outputs, b.outputs);
    // Each way goes on from the other's snapshot too.
    assert.deepEqual(inputStep(slow, a.snapshot, input("leave", "channel:1"), source).state, inputStep(slow, b.snapshot, input("leave", "channel:1"), source).state);
    fast = a.snapshot;
    walked = b.snapshot;
    const c = a.state.context as { channels: string[]; entered: number; videoMode?: string; videoSource?: string };
    seen.push([a.state.value, c.channels.join(","), c.entered, c.videoMode ?? "", c.videoSource ?? ""]);
  }
  assert.deepEqual(seen, [
    ["active", "channel:1", 1, "", ""],
    ["active", "channel:1,channel:2", 2, "", ""],
    ["active", "channel:1,channel:2", 2, "", ""], // already in: not entered twice
    ["active", "channel:1,channel:2", 2, "single", "2"],
    ["active", "channel:1", 2, "single", ""], // the source left: no source, the mode stays
    ["active", "channel:1", 2, "talker", ""],
    ["active", "channel:1", 2, "talker", ""],
    ["destroyed", "channel:1", 2, "talker", ""],
    ["destroyed", "channel:1", 2, "talker", ""], // done: takes nothing more
  ]);
  assert.equal(fast.status, "done");
});
