/**
 * The Swagger models of the events sent on the WebSocket (events.json). ari-client
 * looks each received event's type up here and wraps the fields typed Channel,
 * Bridge, Playback, LiveRecording... as objects, so every event type sent must be here.
 */
import type { Model, ModelProperty } from "./rest.js";

const r = (type: string): ModelProperty => ({ type, required: true });
const o = (type: string): ModelProperty => ({ type, required: false });

const EVENTS: Record<string, Record<string, ModelProperty>> = {
  ApplicationReplaced: {},
  StasisStart: { args: r("List[string]"), channel: r("Channel"), replace_channel: o("Channel") },
  StasisEnd: { channel: r("Channel") },
  ChannelCreated: { channel: r("Channel") },
  ChannelDestroyed: { cause: r("int"), cause_txt: r("string"), channel: r("Channel") },
  ChannelStateChange: { channel: r("Channel") },
  ChannelDtmfReceived: { digit: r("string"), duration_ms: r("int"), channel: r("Channel") },
  ChannelHangupRequest: { cause: o("int"), soft: o("boolean"), channel: r("Channel") },
  ChannelVarset: { variable: r("string"), value: r("string"), channel: o("Channel") },
  ChannelCallerId: { caller_presentation: r("int"), caller_presentation_txt: r("string"), channel: r("Channel") },
  ChannelConnectedLine: { channel: r("Channel") },
  ChannelDialplan: { channel: r("Channel"), dialplan_app: r("string"), dialplan_app_data: r("string") },
  ChannelUserevent: { eventname: r("string"), channel: o("Channel"), bridge: o("Bridge"), endpoint: o("Endpoint"), userevent: r("object") },
  ChannelEnteredBridge: { bridge: r("Bridge"), channel: o("Channel") },
  ChannelLeftBridge: { bridge: r("Bridge"), channel: r("Channel") },
  BridgeCreated: { bridge: r("Bridge") },
  BridgeDestroyed: { bridge: r("Bridge") },
  BridgeMerged: { bridge: r("Bridge"), bridge_from: r("Bridge") },
  BridgeVideoSourceChanged: { bridge: r("Bridge"), old_video_source_id: o("string") },
  BridgeBlindTransfer: { channel: r("Channel"), replace_channel: o("Channel"), transferee: o("Channel"), exten: r("string"), context: r("string"), result: r("string"), is_external: r("boolean"), bridge: o("Bridge") },
  BridgeAttendedTransfer: {
    transferer_first_leg: r("Channel"), transferer_second_leg: r("Channel"), transferee: o("Channel"), transfer_target: o("Channel"),
    result: r("string"), is_external: r("boolean"), destination_type: r("string"), destination_bridge: o("string"),
  },
  PlaybackStarted: { playback: r("Playback") },
  PlaybackContinuing: { playback: r("Playback") },
  PlaybackFinished: { playback: r("Playback") },
  RecordingStarted: { recording: r("LiveRecording") },
  RecordingFinished: { recording: r("LiveRecording") },
  RecordingFailed: { recording: r("LiveRecording") },
  Dial: { caller: o("Channel"), peer: r("Channel"), forward: o("string"), forwarded: o("Channel"), dialstring: o("string"), dialstatus: r("string") },
  EndpointStateChange: { endpoint: r("Endpoint") },
  DeviceStateChanged: { device_state: r("DeviceState") },
  ContactStatusChange: { endpoint: r("Endpoint"), contact_info: r("ContactInfo") },
  PeerStatusChange: { endpoint: r("Endpoint"), peer: r("Peer") },
  TextMessageReceived: { message: r("TextMessage"), endpoint: o("Endpoint") },
};

export const EVENT_TYPES = Object.keys(EVENTS);

export const eventModels: Model[] = [
  { id: "Message", description: "Base type for errors and events", properties: { type: r("string"), asterisk_id: o("string") }, subTypes: ["MissingParams", "Event"] },
  { id: "MissingParams", extends: "Message", properties: { params: r("List[string]") } },
  { id: "Event", extends: "Message", properties: { application: r("string"), timestamp: r("Date") }, subTypes: EVENT_TYPES },
  ...Object.entries(EVENTS).map(([id, properties]): Model => ({ id, extends: "Event", properties: { type: r("string"), application: r("string"), timestamp: r("Date"), ...properties } })),
];
