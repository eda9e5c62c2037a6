/**
 * queue_log as a fold of the queue and queue-member events: one row per line Asterisk's
 * app_queue writes to `queue_log` (`epoch|callid|queue|agent|EVENT|data1|data2|...`).
 * Every input that makes a line carries the line's data, so the fold keeps no state:
 * each record gives its lines alone, and a resume needs no earlier record.
 *
 * Where Recall writes what Asterisk 22 does not (REFERENCE.md): RINGCANCELED for the
 * ringall members that lost to another, and a line for a caller refused at the door:
 * JOINEMPTY, JOINUNAVAIL or FULL (no data).
 *
 * Transfers are Asterisk 22's lines (app_queue since Asterisk 12; older ones wrote
 * TRANSFER): BLINDTRANSFER `exten|context|holdtime|calltime|origposition` and
 * ATTENDEDTRANSFER `BRIDGE|bridge|holdtime|calltime|origposition`, and no COMPLETE line
 * after them.
 */
import type { EventRecord, Input } from "../../events/record.js";
import { StoredRecord } from "../../events/codec.js";
import type { Projection } from "../projection.js";
import type { RowOrigin } from "../rows.js";

/** One queue_log line, with the columns of Asterisk's SQL queue_log (data and data1..data5). */
export interface QueueLogRow extends RowOrigin {
  /** µs since the epoch (the file prints whole seconds). */
  readonly time: number;
  readonly callid: string;
  readonly queuename: string;
  readonly agent: string;
  readonly event: string;
  /** Every data field joined by `|`, as in the file. */
  readonly data: string;
  readonly data1: string;
  readonly data2: string;
  readonly data3: string;
  readonly data4: string;
  readonly data5: string;
}

/** The line as Asterisk's queue_log file holds it (no newline). */
export function queueLogLine(r: QueueLogRow): string {
  return `${Math.floor(r.time / 1e6)}|${r.callid}|${r.queuename}|${r.agent}|${r.event}|${r.data}`;
}

type Fields = readonly (string | number)[];

function row(rec: EventRecord, index: number, callid: string, queue: string, agent: string, event: string, fields: Fields): QueueLogRow {
  const d = fields.map(String);
  return {
    log_offset: rec.offset, log_index: index, time: rec.time, callid, queuename: queue, agent, event, data: d.join("|"),
    data1: d[0] ?? "", data2: d[1] ?? "", data3: d[2] ?? "", data4: d[3] ?? "", data5: d[4] ?? "",
  };
}

const EXIT_EVENTS: Readonly<Record<string, string>> = {
  timeout: "EXITWITHTIMEOUT", empty: "EXITEMPTY", leaveunavail: "EXITEMPTY", key: "EXITWITHKEY",
  joinempty: "JOINEMPTY", joinunavail: "JOINUNAVAIL", full: "FULL", withdraw: "WITHDRAW",
};

type In = Record<string, unknown> & { type: string };

/**
 * A record's input without decoding its state where the log allows: most queue records
 * (selects with their candidates, calls' connects and completes, members' call
 * changes) need only their input, and their state is the larger part of the body.
 */
const inputOf = (rec: EventRecord): Input => (rec instanceof StoredRecord ? rec.inputOnly() : rec.input);

/** Member inputs that write a line (and so need the member's context). */
const MEMBER_LINES = new Set(["add", "remove", "pause", "unpause"]);
/** Queue inputs that never write a line: their bodies (a select carries every candidate) are not decoded at all. */
const QUEUE_SILENT = new Set(["select", "reset"]);

/** The input's type read from the stored bytes where it can be, without decoding the input. */
const typeOf = (rec: EventRecord): string | undefined => (rec instanceof StoredRecord ? rec.inputType() : rec.input.type);

export class QueueLogProjection implements Projection<QueueLogRow> {
  readonly name = "queue_log" as const;

  apply(rec: EventRecord): readonly QueueLogRow[] {
    if (rec.type === "queue.transition") return this.queue(rec);
    if (rec.type === "queue-member.transition") return this.member(rec);
    return [];
  }

  private queue(rec: EventRecord): QueueLogRow[] {
    const type = typeOf(rec);
    if (type !== undefined && QUEUE_SILENT.has(type)) return [];
    const i = inputOf(rec) as In;
    // The stream is `queue:<name>`: the queue's name without its state.
    const q = rec.stream.startsWith("queue:") ? rec.stream.slice(6) : (rec.state.context as { name: string }).name;
    const s = (k: string) => String(i[k] ?? "");
    switch (i.type) {
      case "configure": return i.start !== undefined ? [row(rec, 0, "NONE", "NONE", "NONE", "QUEUESTART", [""])] : [];
      case "join": {
        const caller = (rec.state.context as { callers: readonly { uniqueid: string; position: number }[] }).callers.find((c) => c.uniqueid === i.uniqueid);
        return [row(rec, 0, s("uniqueid"), q, "NONE", "ENTERQUEUE", [s("url"), s("callerIdNum"), caller?.position ?? 0])];
      }
      case "connect": return [row(rec, 0, s("uniqueid"), q, s("agent"), "CONNECT", [s("holdtime"), s("peerUniqueid"), s("ringtime")])];
      case "complete": return [row(rec, 0, s("uniqueid"), q, s("agent"), i.by === "agent" ? "COMPLETEAGENT" : "COMPLETECALLER", [s("holdtime"), s("talktime"), s("position")])];
      case "transfer": {
        const times = [s("holdtime"), s("talktime"), s("position")];
        return [i.kind === "blind"
          ? row(rec, 0, s("uniqueid"), q, s("agent"), "BLINDTRANSFER", [s("exten"), s("context"), ...times])
          : row(rec, 0, s("uniqueid"), q, s("agent"), "ATTENDEDTRANSFER", ["BRIDGE", s("bridge"), ...times])];
      }
      case "agentdump": return [row(rec, 0, s("uniqueid"), q, s("agent"), "AGENTDUMP", [""])];
      case "abandon": return [row(rec, 0, s("uniqueid"), q, "NONE", "ABANDON", [s("position"), s("origposition"), s("waittime")])];
      case "exit": {
        const event = EXIT_EVENTS[s("reason")] ?? "EXITEMPTY";
        if (event === "JOINEMPTY" || event === "JOINUNAVAIL" || event === "FULL") return [row(rec, 0, s("uniqueid"), q, "NONE", event, [""])];
        const where = [s("position"), s("origposition"), s("waittime")];
        return [row(rec, 0, s("uniqueid"), q, "NONE", event, event === "EXITWITHKEY" ? [s("key"), ...where] : where)];
      }
      case "ringnoanswer": return [row(rec, 0, s("uniqueid"), q, s("agent"), "RINGNOANSWER", [s("ms")])];
      case "ringcanceled": return [row(rec, 0, s("uniqueid"), q, s("agent"), "RINGCANCELED", [s("ms")])];
      case "log": return [row(rec, 0, s("uniqueid"), q, s("agent"), s("event"), (i.data as string[] | undefined)?.length ? i.data as string[] : [""])];
      default: return [];
    }
  }

  private member(rec: EventRecord): QueueLogRow[] {
    const type = typeOf(rec);
    if (type !== undefined && !MEMBER_LINES.has(type)) return [];
    const i = inputOf(rec) as In;
    if (!MEMBER_LINES.has(i.type)) return [];
    const m = rec.state.context as { queue: string; name: string; dynamic: boolean };
    switch (i.type) {
      case "add": return m.dynamic ? [row(rec, 0, String(i.callid ?? "NONE"), m.queue, m.name, "ADDMEMBER", [""])] : [];
      case "remove": return m.dynamic ? [row(rec, 0, String(i.callid ?? "NONE"), m.queue, m.name, "REMOVEMEMBER", [""])] : [];
      case "pause": case "unpause": {
        const event = i.type === "pause" ? "PAUSE" : "UNPAUSE";
        // As set_member_paused: PAUSEALL/UNPAUSEALL (with the reason) before the first queue's own line.
        const reason = String(i.reason ?? "");
        if (!i.all) return [row(rec, 0, "NONE", m.queue, m.name, event, [reason])];
        return [row(rec, 0, "NONE", "NONE", m.name, `${event}ALL`, [reason]), row(rec, 1, "NONE", m.queue, m.name, event, [reason])];
      }
      default: return [];
    }
  }

  lowWater(next: number): number { return next; }
}
