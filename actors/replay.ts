/**
 * Replay: re-run every recorded input through the machines with the recorded time and
 * random values, and compare each result with what the log says happened. The first
 * divergence names the offset, the actor and what differs.
 */
import type { AnyMachineSnapshot } from "xstate";
import { firstDifference } from "../core/diff.js";
import type { EventLog } from "../events/log.js";
import type { EventRecord } from "../events/record.js";
import type { ActorKindDef } from "./kind.js";
import { inputStep, pendingTimers, spawnStep, type StepResult } from "./step.js";

export interface Divergence {
  readonly offset: number;
  readonly stream: string;
  readonly seq: number;
  /** What differs: "state.context.expiresAt", "outputs[0].at", "random draws", ... */
  readonly what: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

export interface VerifyResult {
  readonly events: number;
  readonly divergence?: Divergence;
}

export class Replayer {
  private readonly kinds = new Map<string, ActorKindDef>();
  private readonly live = new Map<string, { snapshot: AnyMachineSnapshot; timers: Record<string, number> }>();
  events = 0;

  constructor(kinds: readonly ActorKindDef[]) {
    for (const k of kinds) this.kinds.set(k.kind, k);
  }

  /** Re-run one record; returns the divergence if the machines disagree with it. */
  step(r: EventRecord): Divergence | undefined {
    const at = (what: string, expected: unknown, actual: unknown): Divergence => ({ offset: r.offset, stream: r.stream, seq: r.seq, what, expected, actual });
    this.events++;
    const def = this.kinds.get(r.kind);
    if (!def) return at("actor kind", r.kind, "no such kind in this build");
    const recorded = r.draws ?? [];
    let used = 0;
    const source = {
      now: r.time,
      // Past the recorded values the machine gets 0; the count check below reports it.
      random32: () => recorded[used++] ?? 0,
    };
    let result: StepResult;
    try {
      if (r.seq === 1) {
        if (this.live.has(r.stream)) return at("spawn", "a new actor", "an actor of that id is already live");
        result = spawnStep(def, r.input, source);
      } else {
        const from = this.live.get(r.stream);
        if (!from) return at("actor", `live actor at seq ${r.seq - 1}`, "no such live actor");
        result = inputStep(def, from.snapshot, r.input, source);
      }
    } catch (e) {
      return at("transition", "a transition", `an error: ${(e as Error).message}`);
    }
    if (used !== recorded.length) return at("random draws", recorded.length, used);
    const stateDiff = firstDifference(r.state, result.state, "state");
    if (stateDiff) return at(stateDiff.path, stateDiff.expected, stateDiff.actual);
    const outDiff = firstDifference(r.outputs, result.outputs, "outputs");
    if (outDiff) return at(outDiff.path, outDiff.expected, outDiff.actual);
    const timers = pendingTimers(this.live.get(r.stream)?.timers ?? {}, result.outputs, result.state.done === true);
    const timerDiff = firstDifference(r.timers ?? {}, timers, "timers");
    if (timerDiff) return at(timerDiff.path, timerDiff.expected, timerDiff.actual);
    if (result.state.done) this.live.delete(r.stream); else this.live.set(r.stream, { snapshot: result.snapshot, timers });
    return undefined;
  }
}

export async function verifyLog(
  log: EventLog,
  kinds: readonly ActorKindDef[],
  options: { until?: (r: EventRecord) => boolean; progress?: (events: number) => void; observe?: (r: EventRecord) => void } = {},
): Promise<VerifyResult> {
  const replayer = new Replayer(kinds);
  for await (const batch of log.read(0)) {
    for (const r of batch) {
      if (options.until?.(r)) return { events: replayer.events };
      const divergence = replayer.step(r);
      if (divergence) return { events: replayer.events, divergence };
      // Another fold of the log in the same read (its bodies are decoded already).
      options.observe?.(r);
    }
    options.progress?.(replayer.events);
  }
  return { events: replayer.events };
}
