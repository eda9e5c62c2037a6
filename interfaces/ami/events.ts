/**
 * AMI events as a projection of the event log: records in (in offset order), Asterisk
 * 22's events out, with its names and field order. The fold keeps only what later
 * events need (each live channel's last snapshot, each bridge, contact counts per
 * endpoint, device states); everything else comes from the record itself, so the
 * same records always give the same events. Each event carries the offset of the
 * record it came from: a client that reconnects asks for events from an offset
 * (server.ts), and gets them again exactly.
 *
 *   channel create → Newchannel · state change → Newstate · newexten/app.start → Newexten
 *   setvar(s) → VarSet · callerid → NewCallerid · connected → NewConnectedLine
 *   dial.begin/dial.end → DialBegin/DialEnd · hangup → HangupRequest (SoftHangupRequest when
 *   asked from outside the call) · destroy → Hangup
 *   local.bridge → LocalBridge · local.optimize → LocalOptimizationBegin + LocalOptimizationEnd
 *   transfer.blind → BlindTransfer · transfer.attended → AttendedTransfer
 *   bridge create/enter/leave/destroy → BridgeCreate/BridgeEnter/BridgeLeave/BridgeDestroy
 *   contact → ContactStatus, PeerStatus (first contact / last contact of an endpoint)
 *   hold/unhold → Hold/Unhold · dtmf → DTMFBegin + DTMFEnd (Direction Received or Sent)
 *   outbound registration → Registry · endpoint device state, and a Custom: device's
 *   (AstDB CustomDevstate) → DeviceStateChange, and
 *   ExtensionStatus for each hint naming the device whose extension state changed
 *   queue and queue-member records → app_queue's events (queue-events.ts)
 *   CEL and CDR rows (projections/) → CEL and Cdr events
 */
import type { EventRecord } from "../../events/record.js";
import type { ChannelContext, ChannelStateValue } from "../../events/catalogue/channel.js";
import type { BridgeContext } from "../../events/catalogue/bridge.js";
import type { ContactContext } from "../../events/catalogue/contact.js";
import type { OutboundRegistrationContext } from "../../events/catalogue/outbound-registration.js";
import { CelProjection } from "../../projections/cel/fold.js";
import { CdrProjection } from "../../projections/cdr/fold.js";
import type { CelRow, CdrRow } from "../../projections/rows.js";
import type { AmiClass } from "./classes.js";
import { QueueEventFold } from "./queue-events.js";
import { aggregateDeviceStates, channelDeviceState, extensionStateName, extensionStateOf, isDeviceState, type DeviceState } from "../../calls/device-state.js";

/** A dialplan hint: `exten@context` and the devices it names. */
export interface HintView { readonly context: string; readonly exten: string; readonly devices: readonly string[] }

export interface AmiEvent {
  readonly name: string;
  readonly classes: readonly AmiClass[];
  /** Headers after `Event:` and `Privilege:`, in Asterisk's order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Offset of the log record it came from (undefined for events not in the log, like UserEvent). */
  readonly offset?: number;
  /** Wall time of that record, µs (manager.conf timestampevents). */
  readonly time?: number;
}

type H = [string, string][];

const STATE: Readonly<Record<string, readonly [number, string]>> = {
  // A called leg waiting for its first answer is Down in Asterisk (Dialing is for analog lines).
  down: [0, "Down"], reserved: [1, "Rsrvd"], dialing: [0, "Down"], ring: [4, "Ring"], ringing: [5, "Ringing"],
  progress: [5, "Ringing"], up: [6, "Up"], busy: [7, "Busy"],
};

/** Q.850 cause texts as Asterisk prints them in Cause-txt. */
const CAUSE_TEXT: Readonly<Record<number, string>> = {
  0: "Unknown", 1: "Unallocated (unassigned) number", 3: "No route to destination", 16: "Normal Clearing", 17: "User busy",
  18: "No user responding", 19: "User alerting, no answer", 21: "Call Rejected", 22: "Number changed", 26: "Answered elsewhere",
  27: "Destination out of order", 28: "Invalid number format", 34: "Circuit/channel congestion", 38: "Network out of order",
  41: "Temporary failure", 42: "Switching equipment congestion", 102: "Recover on timer expiry", 127: "Interworking, unspecified",
};
export const causeText = (cause: number) => CAUSE_TEXT[cause] ?? "Unknown";

const orUnknown = (s: string) => s || "<unknown>";

interface ChannelView { ctx: ChannelContext; state: readonly [number, string]; value?: ChannelStateValue }

const SNAPSHOT_KEYS = ["Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
  "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid"] as const;
/** The snapshot's header names per prefix, made once (every channel event has fourteen). */
const snapshotKeys = new Map<string, readonly string[]>();
const keysFor = (prefix: string): readonly string[] => {
  let k = snapshotKeys.get(prefix);
  if (!k) snapshotKeys.set(prefix, k = SNAPSHOT_KEYS.map((n) => prefix + n));
  return k;
};

/** A channel's snapshot fields, as every channel event starts them (prefix for Dest*, Transferee*...). */
export function channelFields(v: ChannelView, prefix = ""): H {
  const c = v.ctx, k = keysFor(prefix);
  return [
    [k[0], c.name], [k[1], String(v.state[0])], [k[2], v.state[1]],
    [k[3], orUnknown(c.callerId.num)], [k[4], orUnknown(c.callerId.name)],
    [k[5], orUnknown(c.connected.num)], [k[6], orUnknown(c.connected.name)],
    [k[7], "en"], [k[8], c.accountcode], [k[9], c.context], [k[10], c.exten],
    [k[11], String(c.priority)], [k[12], c.uniqueid], [k[13], c.linkedid],
  ];
}

function bridgeFields(b: BridgeContext, prefix = "Bridge"): H {
  return [
    [`${prefix}Uniqueid`, b.id], [`${prefix}Type`, "basic"], [`${prefix}Technology`, b.technology],
    [`${prefix}Creator`, "<unknown>"], [`${prefix}Name`, orUnknown(b.name)], [`${prefix}NumChannels`, String(b.channels.length)],
    [`${prefix}VideoSourceMode`, "none"],
  ];
}


export class AmiEventProjection {
  private readonly channels = new Map<string, ChannelView>();
  private readonly bridges = new Map<string, BridgeContext>();
  /** Live contact ids per endpoint (for PeerStatus and device state). */
  private readonly contacts = new Map<string, Set<string>>();
  private readonly devices = new Map<string, DeviceState>();
  private readonly registrations = new Map<string, string>();
  private readonly cel?: CelProjection;
  private readonly cdr?: CdrProjection;
  /** Each hint's last extension state (`exten@context`), for ExtensionStatus on change. */
  private readonly extensions = new Map<string, number>();
  private readonly hints: () => readonly HintView[];
  /** `Custom:` device states by name (AstDB CustomDevstate). */
  private readonly custom = new Map<string, DeviceState>();
  /** Each live PJSIP channel's contribution to its endpoint's device state, and the counts per endpoint. */
  private readonly contributions = new Map<string, DeviceState>();
  private readonly deviceCounts = new Map<string, Map<DeviceState, number>>();
  /** Live channels by uniqueid (queue records name callers by it). */
  private readonly byUniqueid = new Map<string, ChannelView>();
  private readonly queues = new QueueEventFold({
    snapshot: (uniqueid, prefix = "") => { const v = this.byUniqueid.get(uniqueid); return v && channelFields(v, prefix); },
    deviceState: (device) => this.deviceState(device),
  });

  /**
   * CEL and Cdr events only when asked (cel.conf `[manager] enabled`, cdr_manager.conf `enabled`), as in Asterisk.
   * `hints`: the dialplan's hints now (ExtensionStatus); the states themselves come from the log.
   */
  constructor(options: { readonly cel?: boolean; readonly cdr?: boolean; readonly hints?: () => readonly HintView[] } = {}) {
    if (options.cel) this.cel = new CelProjection();
    if (options.cdr) this.cdr = new CdrProjection();
    this.hints = options.hints ?? (() => []);
  }

  /** The AMI events of one record, in the order Asterisk raises them. */
  apply(r: EventRecord): AmiEvent[] {
    const out: AmiEvent[] = [];
    const emit = (name: string, classes: readonly AmiClass[], headers: H) => out.push({ name, classes, headers, offset: r.offset, time: r.time });
    switch (r.kind) {
      case "channel": this.channel(r, emit); break;
      case "bridge": this.bridge(r, emit); break;
      case "contact": this.contact(r, emit); break;
      case "outbound-registration": this.registration(r, emit); break;
      case "astdb": this.customDevice(r, emit); break;
      case "queue": this.queues.queue(r, emit); break;
      case "queue-member": this.queues.member(r, emit); break;
      default: break;
    }
    if (r.kind === "channel" || r.kind === "bridge") {
      if (this.cel) for (const row of this.cel.apply(r)) emit("CEL", ["call"], celFields(row));
      if (this.cdr) for (const row of this.cdr.apply(r)) emit("Cdr", ["cdr"], cdrFields(row));
    }
    return out;
  }

  private channel(r: EventRecord, emit: (name: string, classes: readonly AmiClass[], headers: H) => void): void {
    const ctx = r.state.context as ChannelContext;
    const input = r.input as Record<string, unknown> & { type: string };
    const before = this.channels.get(r.stream);
    const value = String(r.state.value);
    const state = STATE[value] ?? before?.state ?? STATE.down;
    const view: ChannelView = { ctx, state, value: value as ChannelStateValue };
    if (value === "destroyed") { this.channels.delete(r.stream); this.byUniqueid.delete(ctx.uniqueid); }
    else { this.channels.set(r.stream, view); this.byUniqueid.set(ctx.uniqueid, view); }
    if (ctx.tech === "PJSIP" && ctx.endpoint) this.count(r.stream, ctx.endpoint, value === "destroyed" || ctx.hungupAt !== undefined ? undefined : channelDeviceState(view.value!, ctx.direction, !!ctx.heldBy));
    const snap = () => channelFields(view);
    const peerView = (id: unknown) => (typeof id === "string" ? this.channels.get(id) : undefined);
    switch (input.type) {
      case "create": emit("Newchannel", ["call"], snap()); break;
      case "newexten": case "app.start":
        emit("Newexten", ["dialplan"], [...snap(), ["Extension", ctx.exten], ["Application", ctx.app], ["AppData", ctx.appData]]);
        break;
      case "setvar": emit("VarSet", ["dialplan"], [...snap(), ["Variable", String(input.name)], ["Value", String(input.value)]]); break;
      case "setvars":
        for (const [name, v] of Object.entries(input.vars as Record<string, string>)) emit("VarSet", ["dialplan"], [...snap(), ["Variable", name], ["Value", v]]);
        break;
      case "callerid": emit("NewCallerid", ["call"], [...snap(), ["CID-CallingPres", "0 (Presentation Allowed, Not Screened)"]]); break;
      case "connected": emit("NewConnectedLine", ["call"], snap()); break;
      case "dial.begin": {
        const dest = peerView(input.peer);
        emit("DialBegin", ["call"], [...snap(), ...(dest ? channelFields(dest, "Dest") : []), ["DialString", String(input.dialstring ?? "")]]);
        if (dest) this.queues.dialBegin(ctx.uniqueid, dest.ctx.uniqueid, String(input.dialstring ?? ""), emit);
        break;
      }
      case "dial.end": {
        const dest = peerView(ctx.peer);
        emit("DialEnd", ["call"], [...snap(), ...(dest ? channelFields(dest, "Dest") : []), ["DialStatus", String(input.status)]]);
        break;
      }
      // A hang-up asked for from outside the call is Asterisk's ast_softhangup: SoftHangupRequest with the soft reason as Cause.
      case "hangup":
        if (input.soft) emit("SoftHangupRequest", ["call"], [...snap(), ["Cause", String(input.soft)]]);
        else emit("HangupRequest", ["call"], [...snap(), ["Cause", String(input.cause)]]);
        break;
      case "hold": emit("Hold", ["call"], [...snap(), ...(input.musicclass ? [["MusicClass", String(input.musicclass)] as [string, string]] : [])]); break;
      case "unhold": emit("Unhold", ["call"], snap()); break;
      case "dtmf": {
        const direction = input.direction === "sent" ? "Sent" : "Received";
        emit("DTMFBegin", ["dtmf"], [...snap(), ["Digit", String(input.digit)], ["Direction", direction]]);
        emit("DTMFEnd", ["dtmf"], [...snap(), ["Digit", String(input.digit)], ["DurationMs", String(input.durationMs ?? 0)], ["Direction", direction]]);
        break;
      }
      case "destroy": {
        const cause = ctx.hangupCause ?? 16;
        emit("Hangup", ["call"], [...snap(), ["Cause", String(cause)], ["Cause-txt", causeText(cause)]]);
        break;
      }
      case "local.bridge": {
        const two = peerView(input.other);
        if (two) emit("LocalBridge", ["call"], [...channelFields(view, "LocalOne"), ...channelFields(two, "LocalTwo"),
          ["Context", two.ctx.context], ["Exten", two.ctx.exten], ["LocalOptimization", input.optimize ? "Yes" : "No"]]);
        break;
      }
      case "local.optimize": {
        const two = peerView(input.other);
        const fields: H = [...channelFields(view, "LocalOne"), ...(two ? channelFields(two, "LocalTwo") : [])];
        const source = peerView(input.peer);
        emit("LocalOptimizationBegin", ["call"], [...fields, ...(source ? channelFields(source, "Source") : []), ["DestUniqueId", two?.ctx.uniqueid ?? ""], ["Id", String(r.offset)]]);
        emit("LocalOptimizationEnd", ["call"], [...fields, ["Success", "Yes"], ["Id", String(r.offset)]]);
        break;
      }
      case "transfer.blind": {
        const transferee = peerView(input.transferee);
        const bridge = this.bridges.get(`bridge:${String(input.bridge)}`) ?? this.bridges.get(String(input.bridge));
        emit("BlindTransfer", ["call"], [["Result", "Success"], ...channelFields(view, "Transferer"), ...(transferee ? channelFields(transferee, "Transferee") : []),
          ...(bridge ? bridgeFields(bridge) : [["BridgeUniqueid", String(input.bridge)]] as H), ["IsExternal", "No"], ["Context", String(input.context)], ["Extension", String(input.exten)]]);
        break;
      }
      case "transfer.attended": {
        const second = peerView(input.channel2), target = peerView(input.target), transferee = peerView(input.transferee);
        emit("AttendedTransfer", ["call"], [["Result", "Success"], ...channelFields(view, "OrigTransferer"), ["OrigBridgeUniqueid", String(input.bridge1)],
          ...(second ? channelFields(second, "SecondTransferer") : []), ["SecondBridgeUniqueid", String(input.bridge2)],
          ["DestType", "Bridge"], ["DestBridgeUniqueid", String(input.bridge1)],
          ...(transferee ? channelFields(transferee, "Transferee") : []), ...(target ? channelFields(target, "TransferTarget") : []), ["IsExternal", "No"]]);
        break;
      }
      default: break;
    }
    if (before && before.state[0] !== state[0] && value !== "destroyed" && value !== "hungup") emit("Newstate", ["call"], snap());
    if (ctx.tech === "PJSIP" && ctx.endpoint) this.device(ctx.endpoint, emit);
  }

  private bridge(r: EventRecord, emit: (name: string, classes: readonly AmiClass[], headers: H) => void): void {
    const b = r.state.context as BridgeContext;
    const input = r.input as { type: string; channel?: string };
    if (String(r.state.value) === "destroyed") this.bridges.delete(r.stream); else this.bridges.set(r.stream, b);
    this.bridges.set(b.id, b);
    const chan = input.channel ? this.channels.get(input.channel) : undefined;
    switch (input.type) {
      case "create": emit("BridgeCreate", ["call"], bridgeFields(b)); break;
      case "enter": if (chan) emit("BridgeEnter", ["call"], [...bridgeFields(b), ...channelFields(chan)]); break;
      case "leave": if (chan) emit("BridgeLeave", ["call"], [...bridgeFields(b), ...channelFields(chan)]); break;
      case "destroy": emit("BridgeDestroy", ["call"], bridgeFields(b)); this.bridges.delete(b.id); break;
      default: break;
    }
  }

  private contact(r: EventRecord, emit: (name: string, classes: readonly AmiClass[], headers: H) => void): void {
    const c = r.state.context as ContactContext;
    const value = String(r.state.value);
    const input = r.input as { type: string };
    const endpoint = c.endpoint || c.aor;
    const live = this.contacts.get(endpoint) ?? new Set<string>();
    const had = live.size;
    const isNew = !live.has(r.stream);
    let status: string;
    if (value !== "registered") { live.delete(r.stream); status = "Removed"; }
    else {
      live.add(r.stream);
      status = isNew ? "Created" : input.type === "qualify" || c.qualifyStatus !== undefined && input.type !== "register"
        ? (c.qualifyStatus === "Unavail" ? "Unreachable" : "Reachable") : "Updated";
    }
    this.contacts.set(endpoint, live);
    emit("ContactStatus", ["system"], [["URI", c.uri], ["ContactStatus", status], ["AOR", c.aor], ["EndpointName", endpoint],
      ["RoundtripUsec", String(Math.round((c.rttMs ?? 0) * 1000))]]);
    if (had === 0 && live.size > 0) emit("PeerStatus", ["system"], [["ChannelType", "PJSIP"], ["Peer", `PJSIP/${endpoint}`], ["PeerStatus", "Reachable"]]);
    if (had > 0 && live.size === 0) emit("PeerStatus", ["system"], [["ChannelType", "PJSIP"], ["Peer", `PJSIP/${endpoint}`], ["PeerStatus", "Unreachable"]]);
    this.device(endpoint, emit);
  }

  /** A channel's contribution to its endpoint's device state changed (undefined: it no longer counts). Counts, so a device costs O(1) per record. */
  private count(stream: string, endpoint: string, state: DeviceState | undefined): void {
    const before = this.contributions.get(stream);
    if (before === state) return;
    let counts = this.deviceCounts.get(endpoint);
    if (!counts) this.deviceCounts.set(endpoint, counts = new Map());
    if (before) {
      const n = (counts.get(before) ?? 1) - 1;
      if (n > 0) counts.set(before, n); else counts.delete(before);
    }
    if (state) { counts.set(state, (counts.get(state) ?? 0) + 1); this.contributions.set(stream, state); } else this.contributions.delete(stream);
  }

  /**
   * An endpoint's device state (as chan_pjsip computes it: channels first, each as the
   * call core counts it (calls/device-state.ts), then reachability); an event on change.
   */
  private device(endpoint: string, emit: (name: string, classes: readonly AmiClass[], headers: H) => void): void {
    const counts = this.deviceCounts.get(endpoint);
    const state: DeviceState = counts?.size ? aggregateDeviceStates(counts.keys())
      : (this.contacts.get(endpoint)?.size ?? 0) > 0 ? "NOT_INUSE" : "UNAVAILABLE";
    const before = this.devices.get(endpoint);
    if (before === state) return;
    this.devices.set(endpoint, state);
    if (before === undefined && state === "UNAVAILABLE") return;
    emit("DeviceStateChange", ["call"], [["Device", `PJSIP/${endpoint}`], ["State", state]]);
    this.extensionStatus(`PJSIP/${endpoint}`, emit);
    this.queues.deviceChanged(`PJSIP/${endpoint}`, emit);
  }

  /** A `Custom:` device's state is AstDB's CustomDevstate/<name> (calls/custom-devices.ts): DeviceStateChange and ExtensionStatus on change. */
  private customDevice(r: EventRecord, emit: (name: string, classes: readonly AmiClass[], headers: H) => void): void {
    const c = r.state.context as { family: string; key: string; value: string };
    if (c.family !== "CustomDevstate") return;
    const state: DeviceState = String(r.state.value) === "deleted" || !isDeviceState(c.value) ? "UNKNOWN" : c.value;
    if ((this.custom.get(c.key) ?? "UNKNOWN") === state) return;
    if (state === "UNKNOWN") this.custom.delete(c.key); else this.custom.set(c.key, state);
    emit("DeviceStateChange", ["call"], [["Device", `Custom:${c.key}`], ["State", state]]);
    this.extensionStatus(`Custom:${c.key}`, emit);
    this.queues.deviceChanged(`Custom:${c.key}`, emit);
  }

  /** A device's state as this fold knows it: PJSIP endpoints from their channels and contacts, Custom: from AstDB, others UNKNOWN. */
  private deviceState(device: string): DeviceState {
    if (/^pjsip\//i.test(device)) return this.devices.get(device.slice(6)) ?? "UNAVAILABLE";
    if (/^custom:/i.test(device)) return this.custom.get(device.slice(7)) ?? "UNKNOWN";
    return "UNKNOWN";
  }

  /** The hints naming each device (lower case), made again only when the dialplan gives a new hint list. */
  private hintIndex: { readonly of: readonly HintView[]; readonly byDevice: Map<string, HintView[]> } | undefined;

  private hintsNaming(device: string): readonly HintView[] {
    const hints = this.hints();
    if (this.hintIndex?.of !== hints) {
      const byDevice = new Map<string, HintView[]>();
      for (const h of hints) for (const d of h.devices) {
        const key = d.toLowerCase();
        const list = byDevice.get(key);
        if (list) list.push(h); else byDevice.set(key, [h]);
      }
      this.hintIndex = { of: hints, byDevice };
    }
    return this.hintIndex.byDevice.get(device.toLowerCase()) ?? [];
  }

  /** ExtensionStatus for every hint naming `device` whose extension state changed (devices not in the log count UNKNOWN). */
  private extensionStatus(device: string, emit: (name: string, classes: readonly AmiClass[], headers: H) => void): void {
    for (const h of this.hintsNaming(device)) {
      const state = extensionStateOf(aggregateDeviceStates(h.devices.map((d) => this.deviceState(d))));
      const key = `${h.exten}@${h.context}`;
      if (this.extensions.get(key) === state) continue;
      this.extensions.set(key, state);
      emit("ExtensionStatus", ["call"], [["Exten", h.exten], ["Context", h.context], ["Hint", h.devices.join("&")],
        ["Status", String(state)], ["StatusText", extensionStateName(state)]]);
    }
  }

  private registration(r: EventRecord, emit: (name: string, classes: readonly AmiClass[], headers: H) => void): void {
    const c = r.state.context as OutboundRegistrationContext;
    const value = String(r.state.value);
    const status = value === "registered" ? "Registered" : value === "rejected" ? "Rejected" : "Unregistered";
    if (this.registrations.get(r.stream) === status) return;
    const first = !this.registrations.has(r.stream);
    this.registrations.set(r.stream, status);
    if (first && status === "Unregistered") return;
    emit("Registry", ["system"], [["ChannelType", "PJSIP"], ["Username", c.clientUri], ["Domain", c.serverUri], ["Status", status],
      ...(status === "Rejected" ? [["Cause", c.lastStatus ? String(c.lastStatus) : "No response"] as [string, string]] : [])]);
  }
}

const time = (us: number) => {
  const d = new Date(Math.floor(us / 1000));
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
};

/** cel_manager's field order. */
function celFields(row: CelRow): H {
  return [
    ["EventName", row.eventtype === "USER_DEFINED" ? row.userdeftype : row.eventtype], ["AccountCode", row.accountcode],
    ["CallerIDnum", row.cid_num], ["CallerIDname", row.cid_name], ["CallerIDani", row.cid_ani], ["CallerIDrdnis", row.cid_rdnis],
    ["CallerIDdnid", row.cid_dnid], ["Exten", row.exten], ["Context", row.context], ["Channel", row.channame],
    ["Application", row.appname], ["AppData", row.appdata], ["EventTime", `${time(row.eventtime)}.${String(row.eventtime % 1e6).padStart(6, "0")}`],
    ["AMAFlags", row.amaflags], ["UniqueID", row.uniqueid], ["LinkedID", row.linkedid], ["Userfield", row.userfield],
    ["Peer", row.peer], ["PeerAccount", row.peeraccount], ["Extra", row.extra],
  ];
}

/** cdr_manager's field order. */
function cdrFields(row: CdrRow): H {
  return [
    ["AccountCode", row.accountcode], ["Source", row.src], ["Destination", row.dst], ["DestinationContext", row.dcontext],
    ["CallerID", row.clid], ["Channel", row.channel], ["DestinationChannel", row.dstchannel], ["LastApplication", row.lastapp],
    ["LastData", row.lastdata], ["StartTime", time(row.start)], ["AnswerTime", row.answer === null ? "" : time(row.answer)],
    ["EndTime", time(row.end)], ["Duration", String(row.duration)], ["BillableSeconds", String(row.billsec)],
    ["Disposition", row.disposition], ["AMAFlags", row.amaflags], ["UniqueID", row.uniqueid], ["UserField", row.userfield],
  ];
}
