/**
 * Live state as a fold of the log: for each actor, its last state, sequence, linkedid
 * and the timers it has pending. Recovery on start, `recall replay --until` and the
 * replay benchmark all use this one fold.
 */
import type { ActorKind, ActorState, EventRecord } from "../events/record.js";

export interface ActorView {
  readonly stream: string;
  readonly kind: ActorKind;
  state: ActorState;
  seq: number;
  linkedid?: string;
  /** Last event's offset and time. */
  offset: number;
  time: number;
  /** Pending timers by name: when they fire, microseconds. */
  timers: Map<string, number>;
}

export class StateFold {
  readonly actors = new Map<string, ActorView>();
  events = 0;

  apply(r: EventRecord): void {
    let view = this.actors.get(r.stream);
    if (!view) {
      view = { stream: r.stream, kind: r.kind, state: r.state, seq: 0, offset: r.offset, time: r.time, timers: new Map() };
      if (r.linkedid !== undefined) view.linkedid = r.linkedid;
      this.actors.set(r.stream, view);
    }
    view.state = r.state;
    view.seq = r.seq;
    view.offset = r.offset;
    view.time = r.time;
    for (const o of r.outputs) {
      if (o.type === "timer.set") view.timers.set(o.name as string, o.at as number);
      else if (o.type === "timer.cancel") view.timers.delete(o.name as string);
    }
    if (r.state.done) this.actors.delete(r.stream);
    this.events++;
  }

  applyAll(batch: readonly EventRecord[]): void {
    for (const r of batch) this.apply(r);
  }
}
