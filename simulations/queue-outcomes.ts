/**
 * What the queues did, read back from the log: each caller's join and how it left.
 * The invariant: every join (ENTERQUEUE) ends in exactly one CONNECT, ABANDON or EXIT*
 * (a restart's recovery included), read from the queue actors' own events.
 */
import type { EventLog } from "../events/log.js";
import type { QueueOrder } from "./queue-order.js";

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

/** Counts the joins and their ends; `order`, when given, sees every record of the same read. */
export async function queueOutcomes(log: EventLog, order?: QueueOrder): Promise<QueueOutcomes | undefined> {
  const joins = new Map<string, { ends: number; offset: number; stream: string }>();
  let entered = 0, connected = 0, abandoned = 0, exited = 0, within20 = 0, any = false;
  for await (const batch of log.read(0)) {
    for (const r of batch) {
      order?.add(r);
      if (r.kind !== "queue") continue;
      any = true;
      const input = r.input as { type: string; uniqueid?: string; holdtime?: number };
      if (input.type === "join" && input.uniqueid) { entered++; joins.set(`${r.stream} ${input.uniqueid}`, { ends: 0, offset: r.offset, stream: r.stream }); continue; }
      if (input.type !== "connect" && input.type !== "abandon" && input.type !== "exit") continue;
      const j = joins.get(`${r.stream} ${input.uniqueid}`);
      if (!j) continue; // refused at the door (joinempty, full): it never joined
      j.ends++;
      if (input.type === "connect") { connected++; if ((input.holdtime ?? Infinity) <= 20) within20++; }
      else if (input.type === "abandon") abandoned++;
      else exited++;
    }
  }
  order?.finish();
  if (!any) return undefined;
  let broken: QueueOutcomes["broken"];
  for (const [key, j] of joins) if (j.ends !== 1) { broken = { uniqueid: key.split(" ")[1], ends: j.ends, offset: j.offset, stream: j.stream }; break; }
  return { entered, connected, abandoned, exited, within20, ...(broken ? { broken } : {}) };
}
