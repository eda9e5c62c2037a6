/**
 * What the queues did, read back from the log: each caller's join and how it left.
 * The invariant: every join (ENTERQUEUE) ends in exactly one CONNECT, ABANDON or EXIT*
 * (a restart's recovery included), read from the queue actors' own events.
 */
import type { EventRecord } from "../events/record.js";

export interface QueueOutcomes {
  readonly entered: number;
  readonly connected: number;
  readonly abandoned: number;
  readonly exited: number;
  /** Connected within 20 s of joining. */
  readonly within20: number;
  /** The first join that did not end exactly once: uniqueid, how many ends, and the offset of its join. */
  readonly broken?: { readonly uniqueid: string; readonly ends: number; readonly offset: number; readonly stream: string };
}

/** Counts the joins and their ends from the records it is fed, in offset order. */
export class QueueOutcomeFold {
  private readonly joins = new Map<string, { ends: number; offset: number; stream: string }>();
  private entered = 0; private connected = 0; private abandoned = 0; private exited = 0; private within20 = 0; private any = false;

  add(r: EventRecord): void {
    if (r.kind !== "queue") return;
    this.any = true;
    const input = r.input as { type: string; uniqueid?: string; holdtime?: number };
    if (input.type === "join" && input.uniqueid) { this.entered++; this.joins.set(`${r.stream} ${input.uniqueid}`, { ends: 0, offset: r.offset, stream: r.stream }); return; }
    if (input.type !== "connect" && input.type !== "abandon" && input.type !== "exit") return;
    const j = this.joins.get(`${r.stream} ${input.uniqueid}`);
    if (!j) return; // refused at the door (joinempty, full): it never joined
    j.ends++;
    if (input.type === "connect") { this.connected++; if ((input.holdtime ?? Infinity) <= 20) this.within20++; }
    else if (input.type === "abandon") this.abandoned++;
    else this.exited++;
  }

  /** Undefined when the log holds no queue. */
  result(): QueueOutcomes | undefined {
    if (!this.any) return undefined;
    let broken: QueueOutcomes["broken"];
    for (const [key, j] of this.joins) if (j.ends !== 1) { broken = { uniqueid: key.split(" ")[1], ends: j.ends, offset: j.offset, stream: j.stream }; break; }
    const { entered, connected, abandoned, exited, within20 } = this;
    return { entered, connected, abandoned, exited, within20, ...(broken ? { broken } : {}) };
  }
}
