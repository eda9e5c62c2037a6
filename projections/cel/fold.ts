/**
 * CEL as a fold of the log: channel.transition and bridge.transition records in,
 * Asterisk's Channel Event Logging rows out (seed 003 "CEL Specification", with the
 * order and `extra` contents of real Asterisk 22 in REFERENCE.md).
 *
 * Inputs map to events as Asterisk raises them:
 *   create → CHAN_START · answer → ANSWER · app.start/app.end → APP_START/APP_END
 *   user.event → USER_DEFINED · bridge.enter/exit → BRIDGE_ENTER/EXIT
 *   local.optimize → LOCAL_OPTIMIZE · destroy → HANGUP, CHAN_END, then LINKEDID_END
 *   once the last channel of the linkedid has ended.
 *   transfer.blind → BLINDTRANSFER on the transferer, extra {extension, context,
 *   bridge_id, transferee_channel_name, transferee_channel_uniqueid} ·
 *   transfer.attended → ATTENDEDTRANSFER on the transferer's leg in the transferee's
 *   bridge, extra {bridge1_id, channel2_name, channel2_uniqueid, bridge2_id,
 *   transferee_channel_name/uniqueid, transfer_target_channel_name/uniqueid}, keys in
 *   the order Asterisk's cel.c packs them ("N/A" for a channel the log does not know).
 * HANGUP is raised at destruction, not at the `hangup` input: Asterisk logs it when
 * the channel is torn down (after the bridge is left and `h` has run), which is why
 * its dialstatus is the final DIALSTATUS. Its eventtime is the destruction's.
 * Park, pickup and forward inputs (not emitted yet) are mapped too, so the rows appear
 * as soon as the call layer reports them.
 */
import type { ChannelContext } from "../../events/catalogue/channel.js";
import type { BridgeContext } from "../../events/catalogue/bridge.js";
import type { EventRecord } from "../../events/record.js";
import { UnexpectedEvent, type Projection } from "../projection.js";
import { amaFlags, type CelEventType, type CelRow } from "../rows.js";
import { allCel, type CelSettings } from "../config.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** What most records return: no rows (shared, never changed). */
const NONE: readonly CelRow[] = Object.freeze([]) as readonly CelRow[];

interface Chan {
  readonly first: number;
  seq: number;
  ctx: ChannelContext;
  /** The bridge id the channel is in, as its own inputs say. */
  bridge?: string;
}

interface Bridge {
  readonly first: number;
  technology: string;
  /** Channel stream ids in the order they entered. */
  members: string[];
  /** BRIDGE_ENTER/EXIT extra for the present technology, made on first use. */
  extra?: string;
}

/**
 * Inputs that become one CEL event each, their other fields its extra (pickup: PICKUP with
 * {"pickup_channel": name}); forward and park are reserved for features the call layer
 * does not report yet.
 */
const FUTURE: Readonly<Record<string, CelEventType>> = {
  forward: "FORWARD", "park.start": "PARK_START", "park.end": "PARK_END", pickup: "PICKUP",
};

export class CelProjection implements Projection<CelRow> {
  readonly name = "cel" as const;
  private readonly channels = new Map<string, Chan>();
  private readonly bridges = new Map<string, Bridge>();
  /** Live channels per linkedid: LINKEDID_END when it drops to zero. */
  private readonly linked = new Map<string, number>();

  constructor(private readonly settings: CelSettings = allCel) {}

  lowWater(next: number): number {
    let low = next;
    for (const c of this.channels.values()) if (c.first < low) low = c.first;
    for (const b of this.bridges.values()) if (b.first < low) low = b.first;
    return low;
  }

  apply(r: EventRecord, report: (problem: UnexpectedEvent) => void = () => undefined): readonly CelRow[] {
    if (r.type === "bridge.transition") { this.bridge(r); return NONE; }
    if (r.type !== "channel.transition") return NONE;
    if (r.v !== 1) throw new UnexpectedEvent(r.offset, `${r.type} v${r.v} is not a version CEL knows`);
    const ctx = r.state.context as ChannelContext;
    const input = r.input;
    let chan = this.channels.get(r.stream);
    if (input.type === "create") {
      if (chan) throw new UnexpectedEvent(r.offset, `${r.stream} created twice`);
      chan = { first: r.offset, seq: r.seq, ctx };
      this.channels.set(r.stream, chan);
      this.linked.set(ctx.linkedid, (this.linked.get(ctx.linkedid) ?? 0) + 1);
      return this.rows(r, [this.row("CHAN_START", r.time, ctx)]);
    }
    if (!chan) throw new UnexpectedEvent(r.offset, `${r.stream} has no create before ${input.type}`);
    if (r.seq !== chan.seq + 1) report(new UnexpectedEvent(r.offset, `${r.stream} seq ${r.seq} after ${chan.seq}: records missing or out of order (folded anyway)`));
    chan.seq = r.seq;
    const before = chan.ctx;
    chan.ctx = ctx;
    const out: Mutable<CelRow>[] = [];
    switch (input.type) {
      case "answer":
        if (before.answeredAt === undefined && ctx.answeredAt !== undefined) out.push(this.row("ANSWER", r.time, ctx));
        break;
      case "newexten": // with an app: the position and the application that starts there
      case "app.start":
        if (input.app !== undefined && this.tracksApp(String(input.app))) {
          const row = this.row("APP_START", r.time, ctx);
          row.appname = String(input.app); row.appdata = String(input.data ?? "");
          out.push(row);
        }
        break;
      case "app.end":
        if (this.tracksApp(String(input.app))) {
          const row = this.row("APP_END", r.time, ctx);
          row.appname = String(input.app); row.appdata = before.app === input.app ? before.appData : "";
          out.push(row);
        }
        break;
      case "user.event":
        const row = this.row("USER_DEFINED", r.time, ctx);
        row.userdeftype = String(input.name);
        row.extra = input.extra === undefined || input.extra === "" ? "" : JSON.stringify({ extra: String(input.extra) });
        out.push(row);
        break;
      case "bridge.enter": {
        const id = String(input.bridge);
        const b = this.bridgeOf(id, r.offset);
        const peers = b.members.filter((m) => m !== r.stream);
        if (!b.members.includes(r.stream)) b.members.push(r.stream);
        chan.bridge = id;
        const row = this.row("BRIDGE_ENTER", r.time, ctx);
        row.peer = this.names(peers); row.extra = bridgeExtra(id, b);
        out.push(row);
        break;
      }
      case "bridge.exit": {
        const id = String(input.bridge);
        const b = this.bridgeOf(id, r.offset);
        b.members = b.members.filter((m) => m !== r.stream);
        if (chan.bridge === id) chan.bridge = undefined;
        const row = this.row("BRIDGE_EXIT", r.time, ctx);
        row.peer = this.names(b.members); row.extra = bridgeExtra(id, b);
        out.push(row);
        break;
      }
      case "linkedid":
        if (before.linkedid !== ctx.linkedid) {
          // The channel now counts toward its new call; the old one may have ended with it leaving.
          this.linked.set(ctx.linkedid, (this.linked.get(ctx.linkedid) ?? 0) + 1);
          if (this.release(before.linkedid)) out.push(this.row("LINKEDID_END", r.time, before));
        }
        break;
      case "local.optimize": {
        const other = this.channels.get(String(input.other));
        const row = this.row("LOCAL_OPTIMIZE", r.time, ctx);
        row.peer = other?.ctx.name ?? "";
        row.extra = JSON.stringify({ local_two: other?.ctx.name ?? "", local_two_uniqueid: other?.ctx.uniqueid ?? "" });
        out.push(row);
        break;
      }
      case "transfer.blind": {
        const row = this.row("BLINDTRANSFER", r.time, ctx);
        const transferee = this.channels.get(String(input.transferee))?.ctx;
        row.extra = `{"extension":${JSON.stringify(String(input.exten ?? ""))},"context":${JSON.stringify(String(input.context ?? ""))},` +
          `"bridge_id":${JSON.stringify(String(input.bridge ?? ""))},` +
          `"transferee_channel_name":${JSON.stringify(transferee?.name ?? "N/A")},"transferee_channel_uniqueid":${JSON.stringify(transferee?.uniqueid ?? "N/A")}}`;
        out.push(row);
        break;
      }
      case "transfer.attended": {
        const row = this.row("ATTENDEDTRANSFER", r.time, ctx);
        const other = (id: unknown) => this.channels.get(String(id))?.ctx;
        const channel2 = other(input.channel2), transferee = other(input.transferee), target = other(input.target);
        row.extra = `{"bridge1_id":${JSON.stringify(String(input.bridge1 ?? ""))},` +
          `"channel2_name":${JSON.stringify(channel2?.name ?? "N/A")},"channel2_uniqueid":${JSON.stringify(channel2?.uniqueid ?? "N/A")},` +
          `"bridge2_id":${JSON.stringify(String(input.bridge2 ?? ""))},` +
          `"transferee_channel_name":${JSON.stringify(transferee?.name ?? "N/A")},"transferee_channel_uniqueid":${JSON.stringify(transferee?.uniqueid ?? "N/A")},` +
          `"transfer_target_channel_name":${JSON.stringify(target?.name ?? "N/A")},"transfer_target_channel_uniqueid":${JSON.stringify(target?.uniqueid ?? "N/A")}}`;
        out.push(row);
        break;
      }
      case "destroy": {
        const row = this.row("HANGUP", r.time, ctx);
        row.extra = `{"hangupcause":${JSON.stringify(ctx.hangupCause ?? 0)},"hangupsource":${JSON.stringify(ctx.hangupSource ?? "")},"dialstatus":${JSON.stringify(ctx.dialStatus ?? "")}}`;
        out.push(row);
        out.push(this.row("CHAN_END", r.time, ctx));
        this.channels.delete(r.stream);
        if (this.release(ctx.linkedid)) out.push(this.row("LINKEDID_END", r.time, ctx));
        break;
      }
      default: {
        const future = FUTURE[input.type];
        if (future) {
          // Fields naming channels (stream ids) are written as channel names, as Asterisk does.
          const extra: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(input)) {
            if (k !== "source" && k !== "type") extra[k] = typeof v === "string" && this.channels.has(v) ? this.channels.get(v)!.ctx.name : v;
          }
          const row = this.row(future, r.time, ctx);
          row.extra = Object.keys(extra).length ? JSON.stringify(extra) : "";
          row.peer = typeof input.peer === "string" ? this.names([input.peer]) : "";
          out.push(row);
        }
      }
    }
    return this.rows(r, out);
  }

  /** Drop the call's count by one; true when it was the last channel. */
  private release(linkedid: string): boolean {
    const n = (this.linked.get(linkedid) ?? 0) - 1;
    if (n > 0) { this.linked.set(linkedid, n); return false; }
    this.linked.delete(linkedid);
    return true;
  }

  private bridge(r: EventRecord): void {
    const ctx = r.state.context as BridgeContext;
    if (r.input.type === "create") { this.bridges.set(ctx.id, { first: r.offset, technology: ctx.technology, members: [] }); return; }
    const b = this.bridges.get(ctx.id);
    if (b && b.technology !== ctx.technology) { b.technology = ctx.technology; b.extra = undefined; }
    if (r.state.done) this.bridges.delete(ctx.id);
  }

  private bridgeOf(id: string, offset: number): Bridge {
    let b = this.bridges.get(id);
    if (!b) { b = { first: offset, technology: "", members: [] }; this.bridges.set(id, b); }
    return b;
  }

  private names(ids: readonly string[]): string {
    return ids.map((id) => this.channels.get(id)?.ctx.name ?? "").filter(Boolean).join(",");
  }

  private tracksApp(app: string): boolean {
    const apps = this.settings.apps;
    return apps === "all" || apps.has(app.toLowerCase());
  }

  /** Apply enable/events and number the rows of one record (in place: the rows are this record's own). */
  private rows(r: EventRecord, rows: Mutable<CelRow>[]): readonly CelRow[] {
    const { enable, events } = this.settings;
    if (!enable) return NONE;
    const kept = events === "ALL" ? rows : rows.filter((row) => events.has(row.eventtype));
    for (let i = 0; i < kept.length; i++) { kept[i].log_offset = r.offset; kept[i].log_index = i; }
    return kept;
  }

  /** A row with the channel's fields; the caller sets the event's own (appname, peer, extra...). */
  private row(eventtype: CelEventType, time: number, c: ChannelContext): Mutable<CelRow> {
    return {
      eventtype, eventtime: time, userdeftype: "",
      cid_name: c.callerId.name, cid_num: c.callerId.num, cid_ani: c.ani, cid_rdnis: c.rdnis, cid_dnid: c.dnid,
      exten: c.exten, context: c.context, channame: c.name, appname: c.app, appdata: c.appData,
      amaflags: amaFlags(c.amaflags), accountcode: c.accountcode, peeraccount: c.peeraccount,
      uniqueid: c.uniqueid, linkedid: c.linkedid, userfield: c.userfield, peer: "", extra: "",
      log_offset: 0, log_index: 0,
    };
  }
}

/** BRIDGE_ENTER/EXIT extra, as Asterisk 22 writes it (JSON.stringify's text, built without the object). */
function bridgeExtra(id: string, b: Bridge): string {
  return (b.extra ??= `{"bridge_id":${JSON.stringify(id)},"bridge_technology":${JSON.stringify(b.technology)}}`);
}
