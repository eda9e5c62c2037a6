import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../core/clock.js";
import { MemoryLogger } from "../core/logger.js";
import { DEFAULT_FEATURES } from "./features.js";
import { Transfers, type TransferHost } from "./transfer.js";
import type { TwoPartyBridge } from "./bridge.js";

/** Just enough of a bridged leg for the DTMF feature detection: digits in, hang-ups out. */
function leg(name: string) {
  const hangups: string[] = [];
  const ch = {
    name, hungUp: false, onDigit: undefined as ((d: string) => boolean) | undefined, onHangup: new Set<() => void>(), bridge: {} as unknown,
    hangup(_cause: number, by: string) { hangups.push(by); ch.hungUp = true; for (const l of [...ch.onHangup]) l(); },
  };
  return { ch, hangups, press: (digits: string) => [...digits].map((d) => ch.onDigit?.(d) ?? false) };
}

function armed(options: Record<string, string>, featuremap: Partial<typeof DEFAULT_FEATURES.featuremap> = {}) {
  const clock = new VirtualClock();
  const features = { ...DEFAULT_FEATURES, featuremap: { ...DEFAULT_FEATURES.featuremap, ...featuremap } };
  const transfers = new Transfers({ clock, logger: new MemoryLogger(), features: () => features } as unknown as TransferHost);
  const caller = leg("PJSIP/6001-00000001"), callee = leg("PJSIP/6002-00000002");
  transfers.bridged({ members: [caller.ch, callee.ch] } as unknown as TwoPartyBridge, options);
  return { clock, caller, callee };
}

test("DTMF features: only the side Dial enabled them for takes its digits; other digits pass", () => {
  const { caller, callee } = armed({ H: "" });
  assert.deepEqual(callee.press("*"), [false], "h was not given: the called party's * is ordinary DTMF");
  assert.deepEqual(caller.press("5*"), [false, true]);
  assert.deepEqual(caller.hangups, ["PJSIP/6001-00000001"], "disconnect hangs up the one who pressed it");
  assert.equal(caller.ch.onDigit, undefined, "no more feature detection on a leg that hung up");
});

test("DTMF features: a code that begins a longer one waits featuredigittimeout, then runs; a digit that breaks a prefix starts afresh", () => {
  const { clock, caller } = armed({ T: "", H: "" }, { atxfer: "*2" });
  assert.deepEqual(caller.press("*"), [true]);
  clock.advance(999_000);
  assert.deepEqual(caller.hangups, [], "still waiting: *2 could follow");
  clock.advance(1_000);
  assert.deepEqual(caller.hangups, ["PJSIP/6001-00000001"], "no digit within 1000 ms: * is disconnect");
  const other = armed({ T: "" }, { blindxfer: "#1", atxfer: "*2" });
  assert.deepEqual(other.caller.press("#5"), [true, false], "#5 is no code: the 5 passes");
  assert.deepEqual(other.caller.press("#"), [true]);
  other.clock.advance(1_000_000);
  assert.deepEqual(other.caller.press("1"), [false], "a prefix is forgotten after featuredigittimeout");
});
