/**
 * Stasis() as the dialplan sees it, on the executor's virtual-time test channel, with
 * scripted StasisServices: STASISSTATUS, continue to a position, move, the absolute
 * timeout. ARI itself is tested in interfaces/ari/ (end to end with ari-client).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDialplan } from "../parser.js";
import { runDialplan, globalsFromDialplan } from "../executor.js";
import { TestChannel, testDeps } from "../test-support.js";
import type { StasisExit, StasisServices } from "./stasis.js";

async function run(text: string, stasis?: StasisServices) {
  const plan = parseDialplan(text).dialplan;
  const ch = new TestChannel({});
  await runDialplan(ch, plan, { context: "test", exten: "s", priority: 1 }, testDeps({ globals: globalsFromDialplan(plan), ...(stasis ? { stasis } : {}) }));
  return ch;
}

function scripted(exits: StasisExit[], seen: string[]): StasisServices {
  return {
    enter: (_channel, app, args) => { seen.push(`${app}(${args.join("|")})`); return Promise.resolve(exits.shift() ?? { status: "SUCCESS" }); },
  };
}

test("Stasis: SUCCESS goes on at the next priority; continue to a position goes there", async () => {
  const seen: string[] = [];
  const ch = await run(`[test]
exten => s,1,Stasis(app,a,b c)
 same => n,NoOp(after \${STASISSTATUS})
 same => n,Stasis(app)
 same => n,NoOp(not here)
exten => 500,1,NoOp(jumped \${STASISSTATUS})
`, scripted([{ status: "SUCCESS" }, { status: "SUCCESS", next: { exten: "500", priority: 1 } }], seen));
  assert.deepEqual(seen, ["app(a|b c)", "app()"]);
  const apps = ch.apps();
  assert.ok(apps.includes("NoOp(after SUCCESS)"), apps.join("\n"));
  assert.ok(apps.includes("NoOp(jumped SUCCESS)"), apps.join("\n"));
  assert.ok(!apps.includes("NoOp(not here)"));
});

test("Stasis: no ARI or no application name is FAILED and the dialplan goes on; KILLED ends it", async () => {
  const none = await run(`[test]
exten => s,1,Stasis(app)
 same => n,NoOp(status \${STASISSTATUS})
`);
  assert.ok(none.apps().includes("NoOp(status FAILED)"), none.apps().join("\n"));
  const killed = await run(`[test]
exten => s,1,Stasis(app)
 same => n,NoOp(not reached)
`, scripted([{ status: "KILLED" }], []));
  assert.ok(!killed.apps().includes("NoOp(not reached)"));
});

test("Stasis: move logs the end of one application and the start of the next", async () => {
  const seen: string[] = [];
  const ch = await run(`[test]
exten => s,1,Stasis(first,x)
 same => n,NoOp(done \${STASISSTATUS})
`, scripted([{ status: "SUCCESS", move: { app: "second", args: ["y"] } }, { status: "SUCCESS" }], seen));
  assert.deepEqual(seen, ["first(x)", "second(y)"]);
  assert.ok(ch.apps().includes("NoOp(done SUCCESS)"));
  const starts = ch.events.filter((e) => /stasis/i.test(e));
  assert.ok(starts.length >= 2, ch.events.join("\n"));
});

test("Stasis: an application that never lets go loses the channel at its absolute timeout, and T runs", async () => {
  let aborted = false;
  const ch = await run(`[test]
exten => s,1,Set(TIMEOUT(absolute)=3)
 same => n,Stasis(app)
 same => n,NoOp(not reached)
exten => T,1,NoOp(timed out)
`, { enter: (_c, _a, _args, signal) => new Promise((resolve) => signal?.addEventListener("abort", () => { aborted = true; resolve({ status: "FAILED" }); })) });
  assert.ok(aborted);
  assert.ok(ch.apps().includes("NoOp(timed out)"), ch.apps().join("\n"));
  assert.ok(!ch.apps().includes("NoOp(not reached)"));
});
