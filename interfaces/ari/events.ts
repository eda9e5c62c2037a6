/**
 * ARI events from the event log: a pure fold over log records (channel and bridge
 * transitions) that says, for each record, which ARI events go to which application.
 * Live state enters only through `Subscriptions` (which applications watch a channel
 * or bridge besides the one it is in); everything else comes from the records, so a
 * client that reconnects gets the same events again by folding the log from an offset.
 *
 * Which application hears of a channel: the one it is in by `Stasis()` (from the
 * `app.start` of Stasis with data `app[,args]`, until the channel is destroyed), and
 * any that subscribed to it (originate with `app`, `applications/{app}/subscription`).
 *
 * Each event carries `recall_offset`, the log offset of the record it comes from (a
 * Recall addition ARI clients ignore): a client that reconnects with
 * `/ari/events?...&since=<last offset + 1>` gets what it missed, then the live stream.
 */
import type { EventRecord } from "../../events/record.js";
import type { ChannelContext } from "../../events/catalogue/channel.js";
import type { BridgeContext } from "../../events/catalogue/bridge.js";
import type { ContactContext } from "../../events/catalogue/contact.js";
import { splitArguments } from "../../dialplan/functions.js";
import { causeText } from "../../calls/hangup-causes.js";
import { ariTime, bridgeJson, channelJson } from "./json.js";

export interface Subscriptions {
  /** Applications subscribed to the channel with this unique id (besides its Stasis application). */
  channel(uniqueid: string): readonly string[];
  /** Applications that watch the bridge (its creator's application, subscribers). */
  bridge(bridgeId: string): readonly string[];
  /** The bridge's ARI type (mixing, holding), when ARI made it. */
  bridgeType(bridgeId: string): string | undefined;
  /** Applications subscribed to an endpoint (`PJSIP/6001`) or its whole technology (`PJSIP`). */
  endpoint(technology: string, resource: string): readonly string[];
  /** Applications subscribed to every event source (subscribeAll). */
  all(): readonly string[];
}

export interface AriEvent { readonly type: string; readonly timestamp: string; readonly [field: string]: unknown }
export interface Delivery { readonly app: string; readonly event: AriEvent }

interface ChannelSnap { readonly context: ChannelContext; readonly value: string }

export class AriEventFold {
  readonly channels = new Map<string, ChannelSnap>();
  /** channel actor id → its Stasis application. */
  readonly stasis = new Map<string, string>();
  readonly bridges = new Map<string, BridgeContext>();
  /** PJSIP endpoint → its live contacts (contact actor ids): online while there is one. */
  readonly contacts = new Map<string, Set<string>>();

  constructor(private readonly subs: Subscriptions, seed?: AriEventFold) {
    // A fold that starts part-way through the log knows which live channels are in which application.
    // (Only membership: channel snapshots come from the records, so state changes are seen as changes.)
    if (seed) for (const [k, v] of seed.stasis) this.stasis.set(k, v);
  }

  /** The deliveries one record makes, folding it in. */
  apply(record: EventRecord): Delivery[] {
    if (record.kind === "channel") return this.channel(record);
    if (record.kind === "bridge") return this.bridge(record);
    if (record.kind === "contact") return this.contact(record);
    if (record.kind === "message") return this.message(record);
    return [];
  }

  private appsOfChannel(actorId: string, uniqueid: string): string[] {
    const apps = new Set<string>(this.subs.all());
    const stasis = this.stasis.get(actorId);
    if (stasis) apps.add(stasis);
    for (const a of this.subs.channel(uniqueid)) apps.add(a);
    return [...apps];
  }

  private channel(record: EventRecord): Delivery[] {
    const input = record.input as { type: string; [k: string]: unknown };
    const context = record.state.context as ChannelContext;
    const value = String(record.state.value);
    const before = this.channels.get(record.stream);
    this.channels.set(record.stream, { context, value });
    const timestamp = ariTime(record.time);
    const json = channelJson({ context, state: value });
    const out: Delivery[] = [];
    const to = (apps: readonly string[], type: string, fields: Record<string, unknown>) => {
      for (const app of apps) out.push({ app, event: { type, timestamp, ...fields, application: app, recall_offset: record.offset } });
    };
    let apps = this.appsOfChannel(record.stream, context.uniqueid);
    const app = typeof input.app === "string" ? input.app : undefined;
    switch (input.type) {
      case "create":
        to(apps, "ChannelCreated", { channel: json });
        break;
      case "newexten": case "app.start":
        if (app && app.toLowerCase() === "stasis") {
          const [name = "", ...args] = splitArguments(String(input.data ?? ""));
          this.stasis.set(record.stream, name.trim());
          to([name.trim()], "StasisStart", { args, channel: json });
        } else if (app) {
          to(apps, "ChannelDialplan", { dialplan_app: app, dialplan_app_data: String(input.data ?? ""), channel: json });
        }
        break;
      case "app.end":
        if (app && app.toLowerCase() === "stasis") {
          const name = this.stasis.get(record.stream);
          if (name) to([name], "StasisEnd", { channel: json });
        }
        break;
      case "setvar":
        to(apps, "ChannelVarset", { variable: input.name, value: input.value, channel: json });
        break;
      case "setvars":
        for (const [variable, v] of Object.entries(input.vars as Record<string, string>)) to(apps, "ChannelVarset", { variable, value: v, channel: json });
        break;
      case "callerid":
        to(apps, "ChannelCallerId", { caller_presentation: 0, caller_presentation_txt: "Presentation Allowed, Not Screened", channel: json });
        break;
      case "connected":
        to(apps, "ChannelConnectedLine", { channel: json });
        break;
      case "user.event":
        to(apps, "ChannelUserevent", { eventname: input.name, userevent: {}, channel: json });
        break;
      case "dial.begin": case "dial.end": {
        const peer = this.channels.get(String(input.peer ?? context.peer ?? ""));
        if (peer) {
          const peerApps = this.appsOfChannel(String(input.peer ?? context.peer), peer.context.uniqueid);
          apps = [...new Set([...apps, ...peerApps])];
          to(apps, "Dial", {
            caller: json, peer: channelJson({ context: peer.context, state: peer.value }),
            dialstring: String(input.dialstring ?? ""), dialstatus: input.type === "dial.end" ? String(input.status ?? "") : "",
          });
        }
        break;
      }
      case "transfer.blind": {
        const transferee = this.channels.get(String(input.transferee ?? ""));
        const targets = transferee ? [...new Set([...apps, ...this.appsOfChannel(String(input.transferee), transferee.context.uniqueid)])] : apps;
        to(targets, "BridgeBlindTransfer", {
          channel: json, ...(transferee ? { transferee: channelJson({ context: transferee.context, state: transferee.value }) } : {}),
          exten: String(input.exten ?? ""), context: String(input.context ?? ""), result: "Success", is_external: false,
        });
        break;
      }
      case "transfer.attended": {
        const view = (id: unknown) => { const c = this.channels.get(String(id ?? "")); return c ? channelJson({ context: c.context, state: c.value }) : undefined; };
        const second = view(input.channel2), transferee = view(input.transferee), target = view(input.target);
        const targets = new Set(apps);
        for (const id of [input.channel2, input.transferee, input.target]) {
          const c = this.channels.get(String(id ?? ""));
          if (c) for (const a of this.appsOfChannel(String(id), c.context.uniqueid)) targets.add(a);
        }
        to([...targets], "BridgeAttendedTransfer", {
          transferer_first_leg: json, ...(second ? { transferer_second_leg: second } : {}), ...(transferee ? { transferee } : {}),
          ...(target ? { transfer_target: target } : {}), result: "Success", is_external: false, destination_type: "bridge",
          destination_bridge: String(input.bridge2 ?? ""),
        });
        break;
      }
      case "hangup":
        // A soft hang-up (DELETE /channels, the console) carries Asterisk's soft reason as its cause, as ast_softhangup publishes it.
        to(apps, "ChannelHangupRequest", input.soft ? { cause: Number(input.soft), soft: true, channel: json } : { cause: Number(input.cause ?? 16), channel: json });
        break;
      case "destroy": {
        const cause = context.hangupCause ?? 16;
        to(apps, "ChannelDestroyed", { cause, cause_txt: causeText(cause), channel: json });
        this.channels.delete(record.stream);
        this.stasis.delete(record.stream);
        break;
      }
      default:
        break;
    }
    if (before && before.value !== value && value !== "hungup" && value !== "destroyed" && input.type !== "create") {
      to(apps, "ChannelStateChange", { channel: json });
    }
    return out;
  }

  /**
   * A registration: ContactStatusChange (NonQualified when created without qualify,
   * Updated on a refresh, Reachable/Unreachable from qualify, Removed at its end),
   * PeerStatusChange, and EndpointStateChange when its endpoint goes online or offline.
   */
  private contact(record: EventRecord): Delivery[] {
    const input = record.input as { type: string; status?: string };
    const c = record.state.context as ContactContext;
    const value = String(record.state.value);
    const endpoint = c.endpoint;
    if (!endpoint) return [];
    const live = this.contacts.get(endpoint) ?? new Set<string>();
    const wasOnline = live.size > 0;
    const first = !live.has(record.stream);
    if (value === "registered") live.add(record.stream); else live.delete(record.stream);
    if (live.size) this.contacts.set(endpoint, live); else this.contacts.delete(endpoint);
    const online = live.size > 0;
    const status = value !== "registered" ? "Removed"
      : input.type === "qualify" ? (input.status === "Avail" ? "Reachable" : "Unreachable")
      : first ? "NonQualified" : "Updated";
    const peerStatus = value !== "registered" || status === "Unreachable" ? "Unreachable" : "Reachable";
    const json = this.endpointJson(endpoint);
    const timestamp = ariTime(record.time);
    const apps = new Set<string>([...this.subs.all(), ...this.subs.endpoint("PJSIP", endpoint)]);
    const out: Delivery[] = [];
    const to = (type: string, fields: Record<string, unknown>) => {
      for (const app of apps) out.push({ app, event: { type, timestamp, ...fields, application: app, recall_offset: record.offset } });
    };
    to("ContactStatusChange", { endpoint: json, contact_info: { uri: c.uri, contact_status: status, aor: c.aor, ...(c.rttMs !== undefined ? { roundtrip_usec: String(Math.round(c.rttMs * 1000)) } : {}) } });
    to("PeerStatusChange", { endpoint: json, peer: { peer_status: peerStatus, address: c.received.replace(/^[a-z]+:/, ""), time: String(Math.floor(record.time / 1e6)) } });
    if (online !== wasOnline) to("EndpointStateChange", { endpoint: json });
    return out;
  }

  private endpointJson(endpoint: string): Record<string, unknown> {
    return {
      technology: "PJSIP", resource: endpoint, state: this.contacts.has(endpoint) ? "online" : "offline",
      channel_ids: [...this.channels.values()].filter((ch) => ch.context.endpoint === endpoint).map((ch) => ch.context.uniqueid),
    };
  }

  /**
   * A MESSAGE received from an endpoint: TextMessageReceived to the applications subscribed to
   * that endpoint (or its technology, or everything), as res_stasis's messaging. `variables`
   * is, as Asterisk writes it, a list of one-name objects.
   */
  private message(record: EventRecord): Delivery[] {
    const input = record.input as { type: string; endpoint?: string; from?: string; to?: string; body?: string; variables?: [string, string][] };
    if (input.type !== "receive" || !input.endpoint) return [];
    const apps = new Set<string>([...this.subs.all(), ...this.subs.endpoint("PJSIP", input.endpoint)]);
    const timestamp = ariTime(record.time);
    const message = { from: input.from ?? "", to: input.to ?? "", body: input.body ?? "", variables: (input.variables ?? []).map(([k, v]) => ({ [k]: v })) };
    const endpoint = this.endpointJson(input.endpoint);
    return [...apps].map((app) => ({ app, event: { type: "TextMessageReceived", timestamp, message, endpoint, application: app, recall_offset: record.offset } }));
  }

  private bridge(record: EventRecord): Delivery[] {
    const input = record.input as { type: string; channel?: string };
    const context = record.state.context as BridgeContext;
    const before = this.bridges.get(record.stream);
    this.bridges.set(record.stream, context);
    const timestamp = ariTime(record.time);
    const json = bridgeJson({
      id: context.id, type: this.subs.bridgeType(context.id) ?? "mixing", name: context.name,
      channels: context.channels.map((id) => this.channels.get(id)?.context.uniqueid ?? id.replace(/^channel:/, "")),
      createdAt: context.createdAt, creator: this.subs.bridgeType(context.id) ? "Stasis" : "Recall",
      ...(this.subs.bridgeType(context.id) ? { videoMode: context.videoMode ?? "talker", ...(context.videoSource ? { videoSource: context.videoSource } : {}) } : {}),
    });
    const apps = new Set<string>([...this.subs.all(), ...this.subs.bridge(context.id)]);
    const out: Delivery[] = [];
    const to = (targets: Iterable<string>, type: string, fields: Record<string, unknown>) => {
      for (const app of targets) out.push({ app, event: { type, timestamp, ...fields, application: app, recall_offset: record.offset } });
    };
    // Asterisk's app.c: a bridge snapshot whose video source differs from the last one (set, cleared, the source left).
    const oldSource = before?.videoSource ?? "";
    if (before && oldSource !== (context.videoSource ?? "")) {
      to(apps, "BridgeVideoSourceChanged", { bridge: json, ...(oldSource ? { old_video_source_id: oldSource } : {}) });
    }
    switch (input.type) {
      case "create": to(apps, "BridgeCreated", { bridge: json }); break;
      case "enter": case "leave": {
        const ch = input.channel ? this.channels.get(input.channel) : undefined;
        if (!ch) break;
        for (const a of this.appsOfChannel(input.channel!, ch.context.uniqueid)) apps.add(a);
        to(apps, input.type === "enter" ? "ChannelEnteredBridge" : "ChannelLeftBridge", { bridge: json, channel: channelJson({ context: ch.context, state: ch.value }) });
        break;
      }
      case "destroy":
        to(apps, "BridgeDestroyed", { bridge: json });
        this.bridges.delete(record.stream);
        break;
      default: break;
    }
    return out;
  }
}
