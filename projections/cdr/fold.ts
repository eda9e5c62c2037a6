/**
 * CDR as a fold of the log (seed 003 "CDR 生命周期"): every channel gets a record
 * (A and B each one, sharing linkedid), finalised when its bridge breaks, when it
 * hangs up, or when its Dial fails. A channel that goes on after that (leaves a
 * bridge alive, dials again, is bridged with someone new as in a transfer) starts a
 * new record with the next `sequence`, lazily: only when it dials, is bridged or
 * answered, so a channel that just plays a prompt and hangs up after a failed Dial
 * leaves one record, not two.
 *
 * cdr.conf: enable, unanswered (dialled legs nobody answered and NO ANSWER records
 * without a party B are left out unless yes), congestion (CONGESTION, else FAILED),
 * endbeforehexten (records end at hang-up, before `h`; no: at destruction, with `h`'s
 * applications as lastapp), initiatedseconds (billsec rounds half up), and Recall's
 * recall_layout=pair (Asterisk 12+'s one record per A/B pair: the dialled leg's own
 * record is folded into its caller's).
 *
 * Local channels: both halves of a pair that optimised itself away leave no record;
 * whoever was talking to `;1` is shown talking to the party that took its place.
 *
 * Transfers (seed 003's transfer example): at `transfer.blind` the transferer's record
 * and the transferee's (A→B) end; at `transfer.attended` so do those of the
 * transferer's two legs and of both their partners. The parties that go on (A dialled
 * on to C, or C joined with A) start new records, with the next `sequence` and the
 * same linkedid, when they are bridged again: four records for a blind transfer, six
 * for an attended one (the consultation call B→C has its own two).
 */
import type { ChannelContext } from "../../events/catalogue/channel.js";
import type { EventRecord } from "../../events/record.js";
import { UnexpectedEvent, type Projection } from "../projection.js";
import { amaFlags, type CdrRow, type Disposition } from "../rows.js";
import { defaultCdr, type CdrSettings } from "../config.js";

/** One open record. */
interface Segment {
  readonly sequence: number;
  readonly start: number;
  answer: number | null;
  /** Party B: a channel stream id, and its name as last seen. */
  peer?: string;
  peerName: string;
  /** queues.conf updatecdr: the queue member's name shown as dstchannel instead of party B's channel name. */
  dstchannel?: string;
  /** Whether party B is a bridge partner (talk), not just a dial target. */
  bridged: boolean;
  dialStatus?: string;
  lastapp: string;
  lastdata: string;
  dst: string;
  dcontext: string;
}

interface Chan {
  readonly first: number;
  seq: number;
  ctx: ChannelContext;
  seg: Segment | null;
  sequence: number;
  /** Half of a Local pair that optimised itself away: no records. */
  optimised: boolean;
  /** Being moved into another bridge by a Local optimisation: the next exit/enter is no bridge break. */
  moving: boolean;
  hungup: boolean;
  /** Dialled by another channel (an outbound leg of Dial): lastapp AppDial until it runs an application. */
  readonly dialled: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** What most records return: no rows (shared, never changed). */
const NONE: readonly CdrRow[] = Object.freeze([]) as readonly CdrRow[];

const CONGESTION_CAUSES = new Set([34, 42, 44]);
const NO_ANSWER_CAUSES = new Set([0, 16, 18, 19, 26, 31]);

export class CdrProjection implements Projection<CdrRow> {
  readonly name = "cdr" as const;
  private readonly channels = new Map<string, Chan>();

  constructor(private readonly settings: CdrSettings = defaultCdr) {}

  lowWater(next: number): number {
    let low = next;
    for (const c of this.channels.values()) if (c.first < low) low = c.first;
    return low;
  }

  apply(r: EventRecord, report: (problem: UnexpectedEvent) => void = () => undefined): readonly CdrRow[] {
    if (r.type !== "channel.transition") return NONE;
    if (r.v !== 1) throw new UnexpectedEvent(r.offset, `${r.type} v${r.v} is not a version CDR knows`);
    const ctx = r.state.context as ChannelContext;
    const input = r.input;
    const t = r.time;
    const out: Mutable<CdrRow>[] = [];
    let c = this.channels.get(r.stream);
    if (input.type === "create") {
      if (c) throw new UnexpectedEvent(r.offset, `${r.stream} created twice`);
      const dialled = ctx.parent !== undefined;
      c = { first: r.offset, seq: r.seq, ctx, seg: null, sequence: 0, optimised: false, moving: false, hungup: false, dialled };
      this.channels.set(r.stream, c);
      const seg = this.open(c, t, null);
      if (dialled) this.setPeer(c, seg, ctx.parent!);
      return out;
    }
    if (!c) throw new UnexpectedEvent(r.offset, `${r.stream} has no create before ${input.type}`);
    if (r.seq !== c.seq + 1) report(new UnexpectedEvent(r.offset, `${r.stream} seq ${r.seq} after ${c.seq}: records missing or out of order (folded anyway)`));
    c.seq = r.seq;
    c.ctx = ctx;
    const inH = c.hungup && this.settings.endbeforehexten;
    switch (input.type) {
      case "answer":
        if (inH) break;
        if (!c.seg) this.open(c, t, t);
        else if (c.seg.answer === null) c.seg.answer = t;
        break;
      case "newexten":
        if (c.seg && ctx.exten !== "h" && !c.hungup) { c.seg.dst = ctx.exten; c.seg.dcontext = ctx.context; }
        if (input.app !== undefined && c.seg && !inH) { c.seg.lastapp = String(input.app); c.seg.lastdata = String(input.data ?? ""); }
        break;
      case "app.start":
        if (c.seg && !inH) { c.seg.lastapp = String(input.app); c.seg.lastdata = String(input.data ?? ""); }
        break;
      case "dial.begin": {
        if (inH) break;
        const seg = c.seg ?? this.open(c, t, null);
        if (seg.sequence > 1 && !seg.bridged && seg.peer === undefined) seg.answer = null; // a new segment's talk starts when the dial is answered
        if (seg.peer === undefined || !seg.bridged) {
          if (seg.peer === undefined) this.setPeer(c, seg, String(input.peer));
        }
        break;
      }
      case "dial.end":
        if (!c.seg || inH) break;
        c.seg.dialStatus = String(input.status);
        if (input.status !== "ANSWER" && !c.hungup) this.finish(c, t, out);
        break;
      case "bridge.enter": {
        if (inH) break;
        const peer = typeof input.peer === "string" ? input.peer : undefined;
        if (c.moving) {
          // Local optimisation: same conversation, a new party B (the far end of the Local pair).
          c.moving = false;
          if (c.seg && peer) { this.setPeer(c, c.seg, peer); c.seg.bridged = true; }
          break;
        }
        if (c.seg && c.seg.bridged && peer && c.seg.peer !== peer) this.finish(c, t, out); // bridged with someone new: a new record
        const seg = c.seg ?? this.open(c, t, null);
        if (peer) this.setPeer(c, seg, peer);
        seg.bridged = true;
        if (seg.answer === null && ctx.answeredAt !== undefined) seg.answer = t;
        // A party already in the bridge whose record ended (its partner left, as in a transfer) starts one with the newcomer.
        const p = peer ? this.channels.get(peer) : undefined;
        if (p && !p.seg && !p.hungup && !p.optimised) {
          const ps = this.open(p, t, t);
          this.setPeer(p, ps, r.stream, ctx.name); ps.bridged = true;
        }
        break;
      }
      case "bridge.exit": {
        if (c.moving) break;
        if (c.seg && !c.hungup) this.finish(c, t, out); // left the bridge alive: this record ends here
        // Whoever was talking to this channel has lost its party B: their records end too.
        for (const other of this.partiesOf(r.stream)) {
          if (other !== c && other.seg?.bridged && other.seg.peer === r.stream && !other.moving) this.finish(other, t, out);
        }
        break;
      }
      case "local.optimize": {
        const other = this.channels.get(String(input.other));
        c.optimised = true;
        if (other) other.optimised = true;
        const far = typeof input.peer === "string" ? input.peer : undefined;
        if (far) {
          const farChan = this.channels.get(far);
          if (farChan) farChan.moving = true;
          // Whoever talked to ;1 now talks to the far party.
          for (const o of this.partiesOf(r.stream)) {
            if (o.seg && o.seg.peer === r.stream) this.setPeer(o, o.seg, far);
          }
        }
        break;
      }
      case "transfer.blind":
      case "transfer.attended": {
        // The conversations the transfer breaks up end now; the parties' next bridges start new records.
        const parties = input.type === "transfer.blind"
          ? [input.transferee, r.stream]
          : [input.transferee, r.stream, input.channel2, input.target];
        for (const id of parties) {
          const p = typeof id === "string" ? this.channels.get(id) : undefined;
          if (p?.seg && !p.moving) this.finish(p, t, out);
        }
        break;
      }
      case "hangup":
        c.hungup = true;
        if (this.settings.endbeforehexten && c.seg) this.finish(c, t, out);
        break;
      case "destroy":
        if (c.seg) this.finish(c, t, out);
        this.channels.delete(r.stream);
        this.parties.delete(r.stream);
        break;
      case "cdr.set":
        if (input.field === "dstchannel" && c.seg && !inH) c.seg.dstchannel = String(input.value);
        break; // the other fields are read from the context when the record is finalised
      default:
        break; // setvar, callerid...: read from the context when the record is finalised
    }
    for (let i = 0; i < out.length; i++) { out[i].log_offset = r.offset; out[i].log_index = i; }
    return out;
  }

  private nameOf(id: string | undefined): string {
    return (id && this.channels.get(id)?.ctx.name) || "";
  }

  /**
   * Channels whose record has named `id` as party B (some may have moved on since: check
   * `seg.peer` again). Saves scanning every open channel when a bridge breaks.
   */
  private readonly parties = new Map<string, Set<Chan>>();

  private partiesOf(id: string): Iterable<Chan> {
    return this.parties.get(id) ?? [];
  }

  private setPeer(c: Chan, seg: Segment, peer: string, name = this.nameOf(peer)): void {
    seg.peer = peer;
    seg.peerName = name;
    let set = this.parties.get(peer);
    if (!set) this.parties.set(peer, set = new Set());
    set.add(c);
  }

  private open(c: Chan, start: number, answer: number | null): Segment {
    c.sequence++;
    const first = c.sequence === 1;
    const seg: Segment = {
      sequence: c.sequence, start,
      answer: first ? (c.ctx.answeredAt ?? answer) : (answer ?? (c.ctx.answeredAt !== undefined ? start : null)),
      peerName: "", bridged: false,
      lastapp: !first && c.ctx.app ? c.ctx.app : c.dialled ? "AppDial" : "",
      lastdata: !first && c.ctx.app ? c.ctx.appData : c.dialled ? "(Outgoing Line)" : "",
      dst: c.ctx.exten, dcontext: c.ctx.context,
    };
    if (!first && c.ctx.exten === "h") { seg.dst = ""; }
    c.seg = seg;
    return seg;
  }

  /** Close the channel's open record at `end` and emit it unless cdr.conf says otherwise. */
  private finish(c: Chan, end: number, out: Mutable<CdrRow>[]): void {
    const seg = c.seg;
    if (!seg) return;
    c.seg = null;
    const s = this.settings;
    if (!s.enable || c.optimised) return;
    const disposition = this.disposition(c, seg);
    const answered = seg.answer !== null;
    if (!s.unanswered && !answered) {
      if (c.dialled) return; // a leg rung and not answered: Asterisk's unanswered=no leaves it out
      if (!seg.peerName && disposition === "NO ANSWER") return;
    }
    if (s.layout === "pair" && c.dialled && seg.peer === c.ctx.parent) return; // its caller's record holds the pair
    const x = c.ctx;
    const ms = answered ? Math.max(0, Math.floor((end - seg.answer!) / 1000)) : 0;
    out.push({
      accountcode: x.accountcode, src: x.callerId.num, dst: seg.dst, dcontext: seg.dcontext, clid: clid(x.callerId.name, x.callerId.num),
      channel: x.name, dstchannel: seg.dstchannel ?? seg.peerName, lastapp: seg.lastapp, lastdata: seg.lastdata,
      start: seg.start, answer: seg.answer, end,
      duration: Math.max(0, Math.floor((end - seg.start) / 1e6)),
      billsec: !answered ? 0 : s.initiatedseconds && ms % 1000 >= 500 ? Math.floor(ms / 1000) + 1 : Math.floor(ms / 1000),
      disposition, amaflags: amaFlags(x.amaflags), userfield: x.userfield, uniqueid: x.uniqueid, linkedid: x.linkedid,
      peeraccount: x.peeraccount || (seg.peer ? this.channels.get(seg.peer)?.ctx.accountcode ?? "" : ""),
      sequence: seg.sequence, log_offset: 0, log_index: 0,
    });
  }

  private disposition(c: Chan, seg: Segment): Disposition {
    const congestion: Disposition = this.settings.congestion ? "CONGESTION" : "FAILED";
    // A failed Dial decides, even on a channel answered before it dialled.
    switch (seg.dialStatus) {
      case undefined: case "ANSWER": break;
      case "BUSY": return "BUSY";
      case "NOANSWER": case "CANCEL": return seg.answer !== null && seg.bridged ? "ANSWERED" : "NO ANSWER";
      case "CONGESTION": return congestion;
      default: return "FAILED"; // CHANUNAVAIL, DONTCALL, TORTURE, INVALIDARGS
    }
    if (seg.answer !== null) return "ANSWERED";
    const cause = c.ctx.hangupCause;
    if (cause === undefined || NO_ANSWER_CAUSES.has(cause)) return "NO ANSWER";
    if (cause === 17) return "BUSY";
    if (CONGESTION_CAUSES.has(cause)) return congestion;
    return "FAILED";
  }
}

/** `"Name" <num>`, or the number alone without a name (Asterisk's ast_callerid_merge). */
export function clid(name: string, num: string): string {
  if (name) return num ? `"${name}" <${num}>` : name;
  return num;
}
