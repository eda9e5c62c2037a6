/**
 * /bridges: list, create (mixing, holding, dtmf_events, proxy_media), create with an
 * id, get, destroy, addChannel (role), removeChannel, music on hold. 400 a channel
 * that does not exist, 404 no such bridge, 409 the bridge is not ARI's, 422 a channel
 * not in an application; play, record and music on hold to every member (bridge.ts
 * says how); videoSource, kept by the bridge actor (Recall carries no video).
 */
import { AriError, noContent, ok, type Operation, type Param, type ResourceFamily, type Values } from "../rest.js";
import { newId, type AriContext } from "../context.js";
import { AriBridge } from "../bridge.js";
import { bridgeJson } from "../json.js";
import type { Channel } from "../../../calls/channel.js";
import type { MixMonitorStarted } from "../../../calls/channel-api.js";
import { startPlayback } from "./channels.js";
import { startRecording, type RecordTarget } from "./recordings.js";
import { playTones, type PlaybackTarget } from "../playback.js";

/** Applications that hear of a bridge's playbacks and recordings: those subscribed to it. */
const bridgeApps = (ctx: AriContext, b: AriBridge) => () => [...new Set([...ctx.stasis.bridge(b.id), ...ctx.stasis.all()])];

function bridgePlayback(ctx: AriContext, b: AriBridge): PlaybackTarget {
  const media = ctx.core.media;
  return {
    uri: `bridge:${b.id}`,
    play: async (files, language, signal) => {
      const session = await b.ownSession("announcer");
      const stop = () => { void media.stopPlayback(session).catch(() => undefined); };
      signal.addEventListener("abort", stop, { once: true });
      try {
        const r = await media.play(session, files, { language });
        return { status: r.status };
      } finally {
        signal.removeEventListener("abort", stop);
        b.release(session);
      }
    },
    tone: async (list, signal) => {
      const session = await b.ownSession("announcer");
      try { return await playTones(media.service, session, list, signal); } finally { b.release(session); }
    },
  };
}

function bridgeRecording(ctx: AriContext, b: AriBridge): RecordTarget {
  const sessions = new Map<string, string>();
  return {
    uri: `bridge:${b.id}`, apps: bridgeApps(ctx, b),
    linkedid: () => b.members[0]?.context().linkedid,
    // What the bridge plays, every member hears (Asterisk's recorder channel plays its beep into the bridge).
    beep: async () => {
      const session = await b.ownSession("announcer");
      try { await ctx.core.media.play(session, ["beep"], {}); } finally { b.release(session); }
    },
    start: async (file, o): Promise<MixMonitorStarted> => {
      const session = await b.ownSession("recorder");
      const id = `bridge-${b.id}-${session}`;
      try {
        const { done } = await ctx.core.media.record(session, file, { recId: id, ...(o.append ? { append: true } : {}), ...(o.maxSilenceMs ? { maxSilenceMs: o.maxSilenceMs } : {}) });
        sessions.set(id, session);
        return { id, file, done: done.then((r) => { sessions.delete(id); b.release(session); return r; }) };
      } catch (e) {
        b.release(session);
        throw e;
      }
    },
    stop: async (id, trim) => { const s = sessions.get(id); if (s) await ctx.core.media.stopRecord(s, id, trim); },
    control: async (id, change) => {
      const s = sessions.get(id);
      if (!s) return false;
      await ctx.core.media.controlRecord(s, id, change);
      return true;
    },
    hears: (channel) => b.has(channel),
  };
}

const TYPES = ["mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label"];
const bridgeId: Param = { name: "bridgeId", paramType: "path", dataType: "string", required: true };
const q = (name: string, extra: Partial<Param> = {}): Param => ({ name, paramType: "query", dataType: "string", ...extra });

export function bridgeView(_ctx: AriContext, b: AriBridge): Record<string, unknown> {
  return bridgeJson({ id: b.id, type: b.type, name: b.name, channels: b.members.map((m) => m.context().uniqueid), createdAt: b.createdAt, creator: "Stasis",
    videoMode: b.video.mode, ...(b.video.source ? { videoSource: b.video.source } : {}) });
}

function create(ctx: AriContext, p: Values, id?: string) {
  const types = (p.type as string[] | undefined) ?? ["mixing"];
  const bid = id ?? (p.bridgeId as string | undefined) ?? newId(ctx.random);
  const existing = ctx.stasis.bridges.get(bid);
  if (existing) return ok(bridgeView(ctx, existing));
  const type = types.includes("holding") ? "holding" : "mixing";
  const bridge = new AriBridge(ctx.core, bid, type, (p.name as string | undefined) ?? "");
  ctx.stasis.bridges.set(bid, bridge);
  return ok(bridgeView(ctx, bridge));
}

function get(ctx: AriContext, id: string): AriBridge {
  const b = ctx.stasis.bridges.get(id);
  if (!b || b.destroyed) throw new AriError(404, "Bridge not found");
  return b;
}

function members(ctx: AriContext, ids: readonly string[]): Channel[] {
  return ids.map((id) => {
    const c = ctx.core.byUniqueid(id);
    if (!c || c.hungUp) throw new AriError(400, `channel: channel '${id}' not found`);
    if (!ctx.stasis.inStasis.has(id)) throw new AriError(422, `Channel '${id}' not in Stasis application`);
    return c;
  });
}

export function bridgesResource(ctx: AriContext): ResourceFamily {
  const createParams = [q("type", { allowMultiple: true, allowed: TYPES }), q("bridgeId"), q("name")];
  const operations: Operation[] = [
    { method: "GET", path: "/bridges", nickname: "list", summary: "List all active bridges.", responseClass: "List[Bridge]", params: [],
      handler: () => ok([...ctx.stasis.bridges.values()].filter((b) => !b.destroyed).map((b) => bridgeView(ctx, b))) },
    { method: "POST", path: "/bridges", nickname: "create", summary: "Create a new bridge.", responseClass: "Bridge", params: createParams,
      handler: ({ params }) => create(ctx, params) },
    { method: "POST", path: "/bridges/{bridgeId}", nickname: "createWithId", summary: "Create a new bridge or update an existing one.", responseClass: "Bridge",
      params: [bridgeId, q("type", { allowMultiple: true, allowed: TYPES }), q("name")],
      handler: ({ params }) => create(ctx, params, params.bridgeId as string) },
    { method: "GET", path: "/bridges/{bridgeId}", nickname: "get", summary: "Get bridge details.", responseClass: "Bridge", params: [bridgeId],
      handler: ({ params }) => ok(bridgeView(ctx, get(ctx, params.bridgeId as string))) },
    { method: "DELETE", path: "/bridges/{bridgeId}", nickname: "destroy", summary: "Shut down a bridge.", responseClass: "void", params: [bridgeId],
      handler: ({ params }) => {
        const b = get(ctx, params.bridgeId as string);
        b.destroy();
        ctx.stasis.bridges.delete(b.id); // its subscriptions go with its BridgeDestroyed
        return noContent;
      } },
    { method: "POST", path: "/bridges/{bridgeId}/addChannel", nickname: "addChannel", summary: "Add a channel to a bridge.", responseClass: "void",
      params: [bridgeId, q("channel", { required: true, allowMultiple: true }), q("role"), { name: "absorbDTMF", paramType: "query", dataType: "boolean", defaultValue: false },
        { name: "mute", paramType: "query", dataType: "boolean", defaultValue: false }, { name: "inhibitConnectedLineUpdates", paramType: "query", dataType: "boolean", defaultValue: false }],
      errors: [{ code: 400, reason: "Channel not found" }, { code: 404, reason: "Bridge not found" }, { code: 409, reason: "Bridge not in Stasis application; Channel currently recording" }, { code: 422, reason: "Channel not in Stasis application" }],
      handler: ({ params }) => {
        const b = get(ctx, params.bridgeId as string);
        const channels = members(ctx, params.channel as string[]);
        for (const c of channels) {
          // A channel is in one bridge at a time: adding it elsewhere moves it.
          for (const other of ctx.stasis.bridges.values()) if (other !== b && other.has(c)) other.remove(c);
          // The channel's applications follow the bridge from now on (as Asterisk subscribes them).
          for (const app of ctx.stasis.appsOfChannel(c.context().uniqueid)) ctx.stasis.application(app)?.bridges.add(b.id);
          b.add(c);
        }
        return noContent;
      } },
    { method: "POST", path: "/bridges/{bridgeId}/removeChannel", nickname: "removeChannel", summary: "Remove a channel from a bridge.", responseClass: "void",
      params: [bridgeId, q("channel", { required: true, allowMultiple: true })],
      errors: [{ code: 400, reason: "Channel not found" }, { code: 404, reason: "Bridge not found" }, { code: 422, reason: "Channel not in this bridge" }],
      handler: ({ params }) => {
        const b = get(ctx, params.bridgeId as string);
        for (const id of params.channel as string[]) {
          const c = ctx.core.byUniqueid(id);
          if (!c) throw new AriError(400, `channel: channel '${id}' not found`);
          if (!b.has(c)) throw new AriError(422, `Channel '${id}' not in this bridge`);
        }
        for (const id of params.channel as string[]) b.remove(ctx.core.byUniqueid(id)!);
        return noContent;
      } },
    { method: "POST", path: "/bridges/{bridgeId}/videoSource/{channelId}", nickname: "setVideoSource", summary: "Set a channel as the video source in a multi-party mixing bridge. This operation has no effect on bridges with two or fewer participants.", responseClass: "void",
      params: [bridgeId, { name: "channelId", paramType: "path", dataType: "string", required: true }],
      errors: [{ code: 400, reason: "Channel not found" }, { code: 404, reason: "Bridge not found" }, { code: 422, reason: "Channel not in Stasis application; Channel not in this Bridge" }],
      // Asterisk's own answers, which differ from its Swagger text: an unknown channel is 400, as for addChannel.
      handler: ({ params }) => {
        const b = get(ctx, params.bridgeId as string);
        const id = params.channelId as string;
        const c = ctx.core.byUniqueid(id);
        if (!c || c.hungUp) throw new AriError(400, "Channel not found");
        if (!ctx.stasis.inStasis.has(id)) throw new AriError(422, "Channel not in Stasis application");
        if (!b.has(c)) throw new AriError(422, "Channel not in this bridge");
        b.setVideoSource(id);
        return noContent;
      } },
    { method: "DELETE", path: "/bridges/{bridgeId}/videoSource", nickname: "clearVideoSource", summary: "Removes any explicit video source in a multi-party mixing bridge. This operation has no effect on bridges with two or fewer participants. When no explicit video source is set, talk detection will be used to determine the active video stream.", responseClass: "void",
      params: [bridgeId], errors: [{ code: 404, reason: "Bridge not found" }],
      handler: ({ params }) => {
        const b = get(ctx, params.bridgeId as string);
        b.setVideoSource("");
        return noContent;
      } },
    ...mediaOperations(ctx),
  ];
  return { name: "bridges", description: "Bridge resources", operations };
}

function mediaOperations(ctx: AriContext): Operation[] {
  const media = [q("media", { required: true, allowMultiple: true }), q("lang"), { name: "offsetms", paramType: "query", dataType: "int" } as Param,
    { name: "skipms", paramType: "query", dataType: "int", defaultValue: 3000 } as Param];
  const errors = [{ code: 404, reason: "Bridge not found" }, { code: 409, reason: "Bridge not in a Stasis application" }];
  const play = (p: Values, id: string | undefined) => {
    const b = get(ctx, p.bridgeId as string);
    return startPlayback(ctx, bridgePlayback(ctx, b), bridgeApps(ctx, b), p.media as string[], (p.lang as string | undefined) ?? "en", id);
  };
  return [
    { method: "POST", path: "/bridges/{bridgeId}/play", nickname: "play", summary: "Start playback of media on a bridge.", responseClass: "Playback",
      params: [bridgeId, ...media, q("playbackId")], errors, handler: ({ params }) => play(params, params.playbackId as string | undefined) },
    { method: "POST", path: "/bridges/{bridgeId}/play/{playbackId}", nickname: "playWithId", summary: "Start playback of media on a bridge.", responseClass: "Playback",
      params: [bridgeId, { name: "playbackId", paramType: "path", dataType: "string", required: true }, ...media], errors,
      handler: ({ params }) => play(params, params.playbackId as string) },
    { method: "POST", path: "/bridges/{bridgeId}/record", nickname: "record", summary: "Start a recording.", responseClass: "LiveRecording",
      params: [bridgeId, q("name", { required: true }), q("format", { required: true }), { name: "maxDurationSeconds", paramType: "query", dataType: "int", defaultValue: 0 },
        { name: "maxSilenceSeconds", paramType: "query", dataType: "int", defaultValue: 0 }, q("ifExists", { defaultValue: "fail", allowed: ["fail", "overwrite", "append"] }),
        { name: "beep", paramType: "query", dataType: "boolean", defaultValue: false }, q("terminateOn", { defaultValue: "none", allowed: ["none", "any", "*", "#"] })],
      errors: [{ code: 400, reason: "Invalid parameters" }, { code: 404, reason: "Bridge not found" }, { code: 409, reason: "Bridge is not in a Stasis application; A recording with the same name already exists on the system and can not be overwritten because it is in progress or ifExists=fail" },
        { code: 422, reason: "The format specified is unknown on this system" }],
      handler: ({ params }) => startRecording(ctx, bridgeRecording(ctx, get(ctx, params.bridgeId as string)), params) },
    { method: "POST", path: "/bridges/{bridgeId}/moh", nickname: "startMoh", summary: "Play music on hold to a bridge or change the MOH class that is playing.", responseClass: "void",
      params: [bridgeId, q("mohClass")], errors,
      handler: async ({ params }) => {
        const b = get(ctx, params.bridgeId as string);
        const session = b.moh ?? await b.ownSession("announcer");
        b.moh = session;
        void ctx.core.media.moh(session, (params.mohClass as string | undefined) ?? "default").then((r) => {
          if (r.error) ctx.logger.log("WARNING", "res_musiconhold.c", `Unable to start music on hold on bridge ${b.id}: ${r.error}`);
        });
        return noContent;
      } },
    { method: "DELETE", path: "/bridges/{bridgeId}/moh", nickname: "stopMoh", summary: "Stop playing music on hold to a bridge.", responseClass: "void",
      params: [bridgeId], errors,
      handler: ({ params }) => {
        const b = get(ctx, params.bridgeId as string);
        const session = b.moh;
        b.moh = undefined;
        if (session) b.release(session);
        return noContent;
      } },
  ];
}
