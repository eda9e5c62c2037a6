/**
 * ARI's JSON objects as Asterisk 22 writes them (Channel, Bridge, Playback, Endpoint,
 * ...), made from the logged actor state, and their Swagger models.
 */
import type { ChannelContext } from "../../events/catalogue/channel.js";
import type { Model } from "./rest.js";

/** `2026-12-06T23:18:39.123+0000` from microseconds since the epoch (ast_json_timeval). */
export function ariTime(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  return d.toISOString().replace("Z", "+0000");
}

/** ast_state2str. */
export function channelStateName(value: string): string {
  switch (value) {
    case "down": case "destroyed": return "Down";
    case "reserved": return "Rsrvd";
    case "ring": return "Ring";
    case "ringing": case "progress": return "Ringing";
    case "busy": return "Busy";
    case "dialing": return "Dialing";
    case "up": case "hungup": return "Up";
    default: return "Unknown";
  }
}

export interface ChannelView { readonly context: ChannelContext; readonly state: string; readonly language?: string }

export function channelJson(view: ChannelView): Record<string, unknown> {
  const c = view.context;
  return {
    id: c.uniqueid,
    name: c.name,
    state: channelStateName(view.state),
    protocol_id: "",
    caller: { name: c.callerId.name, number: c.callerId.num },
    connected: { name: c.connected.name, number: c.connected.num },
    accountcode: c.accountcode,
    dialplan: { context: c.context, exten: c.exten, priority: c.priority || 1, app_name: c.app, app_data: c.appData },
    creationtime: ariTime(c.createdAt),
    language: view.language ?? "en",
  };
}

export interface BridgeView {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly channels: readonly string[];
  readonly createdAt: number;
  readonly creator: string;
  /** `none` unless given (Recall's own bridges); a Stasis bridge's is `talker` or `single`. */
  readonly videoMode?: string;
  readonly videoSource?: string;
}

export function bridgeJson(b: BridgeView): Record<string, unknown> {
  return {
    id: b.id, technology: "simple_bridge", bridge_type: b.type, bridge_class: "stasis", creator: b.creator,
    name: b.name, channels: [...b.channels], creationtime: ariTime(b.createdAt), video_mode: b.videoMode ?? "none",
    ...(b.videoMode === "single" && b.videoSource ? { video_source_id: b.videoSource } : {}),
  };
}

const prop = (type: string, required = true) => ({ type, required });

export const objectModels: Model[] = [
  { id: "CallerID", properties: { name: prop("string"), number: prop("string") } },
  { id: "DialplanCEP", properties: { context: prop("string"), exten: prop("string"), priority: prop("long"), app_name: prop("string"), app_data: prop("string") } },
  {
    id: "Channel", properties: {
      id: prop("string"), name: prop("string"), state: prop("string"), protocol_id: prop("string"), caller: prop("CallerID"), connected: prop("CallerID"),
      accountcode: prop("string"), dialplan: prop("DialplanCEP"), creationtime: prop("Date"), language: prop("string"), channelvars: prop("object", false),
    },
  },
  {
    id: "Bridge", properties: {
      id: prop("string"), technology: prop("string"), bridge_type: prop("string"), bridge_class: prop("string"), creator: prop("string"), name: prop("string"),
      channels: prop("List[string]"), creationtime: prop("Date"), video_mode: prop("string", false), video_source_id: prop("string", false),
    },
  },
  { id: "Playback", properties: { id: prop("string"), media_uri: prop("string"), next_media_uri: prop("string", false), target_uri: prop("string"), language: prop("string", false), state: prop("string") } },
  { id: "LiveRecording", properties: { name: prop("string"), format: prop("string"), target_uri: prop("string"), state: prop("string"), duration: prop("int", false),
    talking_duration: prop("int", false), silence_duration: prop("int", false), cause: prop("string", false) } },
  { id: "Endpoint", properties: { technology: prop("string"), resource: prop("string"), state: prop("string", false), channel_ids: prop("List[string]") } },
  { id: "TextMessage", properties: { from: prop("string"), to: prop("string"), body: prop("string"), variables: prop("object", false) } },
  { id: "Variable", properties: { value: prop("string") } },
  { id: "Application", properties: { name: prop("string"), channel_ids: prop("List[string]"), bridge_ids: prop("List[string]"), endpoint_ids: prop("List[string]"), device_names: prop("List[string]"), events_allowed: prop("List[object]"), events_disallowed: prop("List[object]") } },
  { id: "AsteriskInfo", properties: { build: prop("BuildInfo", false), system: prop("SystemInfo", false), config: prop("ConfigInfo", false), status: prop("StatusInfo", false) } },
  { id: "AsteriskPing", properties: { asterisk_id: prop("string"), ping: prop("string"), timestamp: prop("string") } },
  { id: "Sound", properties: { id: prop("string"), text: prop("string", false), formats: prop("List[FormatLangPair]") } },
  { id: "Mailbox", properties: { name: prop("string"), old_messages: prop("int"), new_messages: prop("int") } },
  { id: "DeviceState", properties: { name: prop("string"), state: prop("string") } },
  { id: "StoredRecording", properties: { name: prop("string"), format: prop("string") } },
];
