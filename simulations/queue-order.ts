/**
 * Queue order, checked from the log: callers ring in their turn and members ring in the
 * strategy's order, for every strategy. Fed every record in offset order (the one read
 * of the log that also counts queue outcomes); it decodes only queue records and the
 * dial legs of callers that joined a queue.
 *
 * - Turn: a caller's first ring after it joins happens only in its turn, as Queue()
 *   decides it: position 1, or with autofill any position up to the number of members
 *   free then (the first select's candidates are exactly those). Recall has no caller
 *   priorities (QUEUE_PRIO), so "within priority" is the whole queue.
 * - Without autofill callers are connected in the order they joined: only the caller at
 *   the head is ever connected.
 * - Member order: each select's recorded ring order is what the strategy's pure function
 *   (actors/queue/strategy.ts) gives for its candidates, round-robin position, time and
 *   recorded random draws; and the legs the caller then dials are exactly its first group.
 */
import type { EventRecord } from "../events/record.js";
import type { QueueCaller, QueueContext } from "../events/catalogue/queue.js";
import type { Strategy } from "../actors/queue/config.js";
import { ringOrder, type Candidate } from "../actors/queue/strategy.js";

export const QUEUE_ORDER = "queue order is respected per strategy (turns, connects, members rung)";

export interface OrderViolation { readonly detail: string; readonly offset: number; readonly stream: string }

/** A caller's ring in progress: the group its last select chose and the legs dialled since. */
interface Ringing { readonly group: readonly string[]; readonly dialled: string[]; readonly offset: number; readonly stream: string }

export class QueueOrder {
  violation: OrderViolation | undefined;
  /** Selects checked (a day with none checked nothing). */
  selects = 0;
  private readonly rrpos = new Map<string, number>();
  /** Each queue's callers as its last record left them. */
  private readonly callers = new Map<string, readonly QueueCaller[]>();
  /** Callers (uniqueid) that joined and have not rung yet. */
  private readonly fresh = new Set<string>();
  /** Callers in a queue now, by their channel's stream. */
  private readonly ringing = new Map<string, Ringing | undefined>();

  constructor(private readonly autofill: boolean) {}

  add(r: EventRecord): void {
    if (this.violation) return;
    if (r.kind === "queue") this.queueRecord(r);
    else if (r.kind === "channel" && this.ringing.has(r.stream)) {
      const input = r.input as { type: string; dialstring?: string };
      if (input.type === "dial.begin") this.ringing.get(r.stream)?.dialled.push(input.dialstring ?? "");
    }
  }

  /** At the end: a ring whose legs were never checked (no outcome logged) is checked now. */
  finish(): void {
    for (const ring of this.ringing.values()) if (ring) this.checkRung(ring);
  }

  private fail(detail: string, r: { offset: number; stream: string }): void {
    this.violation ??= { detail, offset: r.offset, stream: r.stream };
  }

  private queueRecord(r: EventRecord): void {
    const input = r.input as { type: string; uniqueid?: string; candidates?: readonly Candidate[]; linpos?: number };
    const state = r.state.context as QueueContext;
    const caller = input.uniqueid ? `channel:${input.uniqueid}` : undefined;
    const before = this.rrpos.get(r.stream) ?? 0;
    const waiting = this.callers.get(r.stream) ?? [];
    this.rrpos.set(r.stream, state.rrpos);
    this.callers.set(r.stream, state.callers);
    if (!caller) return;
    const position = (callers: readonly QueueCaller[]) => callers.findIndex((c) => c.uniqueid === input.uniqueid) + 1;
    switch (input.type) {
      case "join":
        this.fresh.add(input.uniqueid!);
        this.ringing.set(caller, undefined);
        return;
      case "select": {
        this.selects++;
        const previous = this.ringing.get(caller);
        if (previous) this.checkRung(previous);
        const candidates = input.candidates ?? [];
        const p = position(state.callers);
        if (this.fresh.delete(input.uniqueid!)) {
          const turn = this.autofill ? Math.max(1, candidates.length) : 1;
          if (p < 1 || p > turn) this.fail(`caller ${input.uniqueid} rang members at position ${p} of ${state.callers.length} with ${candidates.length} members free (its turn: position ${turn} at most)`, r);
        }
        const draws = r.draws ?? [];
        let used = 0;
        const expected = ringOrder(state.strategy as Strategy, candidates, { rrpos: before, linpos: input.linpos ?? 0, now: r.time, random: (n) => (n <= 1 ? 0 : (draws[used++] ?? 0) % n) });
        if (JSON.stringify(expected) !== JSON.stringify(state.selection)) {
          this.fail(`${state.strategy} ordered ${JSON.stringify(state.selection)} for caller ${input.uniqueid}; the strategy's function gives ${JSON.stringify(expected)}`, r);
        }
        this.ringing.set(caller, { group: state.selection[0] ?? [], dialled: [], offset: r.offset, stream: r.stream });
        return;
      }
      case "connect":
        if (!this.autofill && position(waiting) !== 1) {
          this.fail(`caller ${input.uniqueid} was connected from position ${position(waiting)} (autofill = no: only the head of the queue is)`, r);
        }
        this.settle(caller);
        this.ringing.delete(caller);
        return;
      case "ringnoanswer": case "ringcanceled":
        this.settle(caller);
        return;
      case "abandon": case "exit":
        this.settle(caller);
        this.fresh.delete(input.uniqueid!);
        this.ringing.delete(caller);
        return;
    }
  }

  /** The ring's outcome is logged: its legs were all dialled by now. */
  private settle(caller: string): void {
    const ring = this.ringing.get(caller);
    if (!ring) return;
    this.checkRung(ring);
    this.ringing.set(caller, undefined);
  }

  private checkRung(ring: Ringing): void {
    const want = [...ring.group].sort().join(","), got = [...ring.dialled].sort().join(",");
    if (want !== got) this.fail(`the strategy chose [${want}] but the caller dialled [${got}]`, ring);
  }
}
