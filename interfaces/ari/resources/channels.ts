/**
 * /channels: list, originate (to the dialplan or into an application), create + dial,
 * get, hangup, continue, move, answer, ring, progress, DTMF, music on hold, play,
 * record, variables. Status codes as ARI documents them: 400 bad parameters, 404 no
 * such channel, 409 the channel is not in an application, 412 wrong state.
 */
import { setImmediate as tick } from "node:timers/promises";
import { join } from "node:path";
import type { Channel } from "../../../calls/channel.js";
import { Cause, SOFTHANGUP_EXPLICIT } from "../../../calls/hangup-causes.js";
import { parseLocal } from "../../../calls/local.js";
import { AriError, noContent, ok, type AriCall, type Operation, type Param, type ResourceFamily } from "../rest.js";
import { channelView } from "../stasis.js";
import { liveChannel, newId, stasisChannel, type AriContext } from "../context.js";
import { AriPlayback, playTones, type PlaybackTarget } from "../playback.js";
import { channelRecordTarget, startRecording } from "./recordings.js";
import { channelMediaOperations } from "./channel-media.js";

const path = (name: string, description = ""): Param => ({ name, paramType: "path", dataType: "string", required: true, description });
const query = (name: string, dataType: Param["dataType"] = "string", extra: Partial<Param> = {}): Param => ({ name, paramType: "query", dataType, ...extra });
const channelId = path("channelId", "Channel's id");

/** ARI's hangup reasons (res_ari_channels). */
const REASONS: Record<string, number> = {
  normal: Cause.NORMAL_CLEARING, busy: Cause.USER_BUSY, congestion: Cause.SWITCH_CONGESTION, no_answer: Cause.NO_ANSWER,
  timeout: Cause.NO_USER_RESPONSE, rejected: Cause.CALL_REJECTED, unallocated: Cause.UNALLOCATED,
  normal_unspecified: Cause.NORMAL_UNSPECIFIED, number_incomplete: Cause.INVALID_NUMBER_FORMAT,
  codec_mismatch: Cause.BEARERCAPABILITY_NOTAVAIL, interworking: Cause.INTERWORKING, failure: Cause.NETWORK_OUT_OF_ORDER,
  answered_elsewhere: Cause.ANSWERED_ELSEWHERE,
};

/** `"Name" <num>`, `Name <num>`, `<num>` or a bare number. */
export function parseCallerId(text: string): { name: string; num: string } {
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(text);
  if (m) return { name: (m[1] ?? m[2] ?? "").trim(), num: m[3].trim() };
  return /^[+\d*#]+$/.test(text.trim()) ? { name: "", num: text.trim() } : { name: text.trim(), num: "" };
}

export function stringVariables(v: unknown): Record<string, string> {
  if (v === undefined) return {};
  const inner = (v as { variables?: unknown }).variables ?? v;
  if (!inner || typeof inner !== "object" || Array.isArray(inner)) throw new AriError(400, "variables: a JSON object of name: value");
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(inner as Record<string, unknown>)) out[k] = String(value);
  return out;
}

interface OriginateArgs {
  endpoint: string; extension?: string; context?: string; priority?: number; label?: string; app?: string; appArgs?: string;
  callerId?: string; timeout: number; variables: Record<string, string>; channelId?: string; otherChannelId?: string; originator?: string;
}

async function originate(ctx: AriContext, a: OriginateArgs): Promise<Record<string, unknown>> {
  if (!a.app && !a.extension) throw new AriError(400, "Application or extension must be specified");
  if (a.app && a.extension) throw new AriError(400, "Application and extension are mutually exclusive");
  const slash = a.endpoint.indexOf("/");
  if (slash <= 0 || slash === a.endpoint.length - 1) throw new AriError(400, "endpoint: TECH/resource, not \"" + a.endpoint + "\"");
  const tech = a.endpoint.slice(0, slash);
  if (!parseLocal(a.endpoint) && !ctx.core.driver(tech)) throw new AriError(400, `endpoint: no channel technology '${tech}'`);
  const id = a.channelId ?? newId(ctx.random);
  if (ctx.core.byUniqueid(id) || ctx.stasis.created.has(id)) throw new AriError(409, "Channel with given unique ID already exists");
  if (a.originator && !ctx.core.byUniqueid(a.originator)) throw new AriError(400, "originator: no such channel");
  const callerId = a.callerId !== undefined ? parseCallerId(a.callerId) : undefined;
  if (a.app) ctx.stasis.application(a.app, true)!.channels.add(id);
  let settled = false;
  let problem: string | undefined;
  const linked = a.originator ? ctx.core.byUniqueid(a.originator)?.context().linkedid : undefined;
  const outcome = ctx.core.originate({
    channel: a.endpoint, uniqueid: id, timeoutMs: a.timeout > 0 ? a.timeout * 1000 : 24 * 3600 * 1000,
    ...(callerId ? { callerId } : {}),
    variables: { ...a.variables, ...(linked ? { __ARI_ORIGINATOR: a.originator! } : {}) },
    ...(a.app
      ? { application: "Stasis", data: [a.app, ...(a.appArgs ? [a.appArgs] : [])].join(",") }
      : { context: a.context ?? "default", exten: a.extension!, priority: a.priority ?? 1 }),
  }).then((o) => { settled = true; if (o.reason !== 4 && !o.channel) problem = o.problem; return o; });
  // The channel is made at once, or after the dialplan said the extension exists: wait for either.
  for (let i = 0; i < 200 && !settled && !ctx.core.byUniqueid(id); i++) await tick();
  const channel = ctx.core.byUniqueid(id);
  if (!channel) {
    await outcome;
    if (a.app) ctx.stasis.apps.get(a.app)?.channels.delete(id);
    throw new AriError(400, problem ?? "Allocation failed");
  }
  return channelView(channel);
}

function originateParams(withId: boolean): Param[] {
  return [
    ...(withId ? [channelId] : [query("endpoint", "string", { required: true })]),
    ...(withId ? [query("endpoint", "string", { required: true })] : []),
    query("extension"), query("context"), query("priority", "long"), query("label"), query("app"), query("appArgs"),
    query("callerId"), query("timeout", "int", { defaultValue: 30 }),
    { name: "variables", paramType: "body", dataType: "containers" },
    ...(withId ? [] : [query("channelId")]), query("otherChannelId"), query("originator"), query("formats"),
  ];
}

function originateArgs(p: AriCall["params"], id?: string): OriginateArgs {
  return {
    endpoint: p.endpoint as string,
    ...(p.extension !== undefined ? { extension: p.extension as string } : {}),
    ...(p.context !== undefined ? { context: p.context as string } : {}),
    ...(p.priority !== undefined ? { priority: p.priority as number } : {}),
    ...(p.app !== undefined ? { app: p.app as string } : {}),
    ...(p.appArgs !== undefined ? { appArgs: p.appArgs as string } : {}),
    ...(p.callerId !== undefined ? { callerId: p.callerId as string } : {}),
    timeout: p.timeout as number,
    variables: stringVariables(p.variables),
    ...(id ?? p.channelId ? { channelId: (id ?? p.channelId) as string } : {}),
    ...(p.otherChannelId !== undefined ? { otherChannelId: p.otherChannelId as string } : {}),
    ...(p.originator !== undefined ? { originator: p.originator as string } : {}),
  };
}

async function play(ctx: AriContext, channel: Channel, media: string[], lang: string | undefined, playbackId: string | undefined) {
  const uniqueid = channel.context().uniqueid;
  const target: PlaybackTarget = {
    uri: `channel:${uniqueid}`,
    play: (files, _lang, signal) => channel.play(files, { noAnswer: true, signal }),
    tone: async (list, signal) => {
      if (channel.state() !== "up") channel.progress();
      return playTones(ctx.core.media.service, await channel.anchorMedia(), list, signal, channel.signal);
    },
  };
  return startPlayback(ctx, target, ctx.stasis.appsOfChannelFromNow(uniqueid), media, lang ?? channel.language, playbackId);
}

/** A playback on a channel or a bridge, with its events to `apps`; 201 with the Playback. */
export function startPlayback(ctx: AriContext, target: PlaybackTarget, apps: () => string[], media: string[], lang: string, playbackId: string | undefined) {
  const id = playbackId ?? newId(ctx.random);
  if (ctx.stasis.playbacks.has(id)) throw new AriError(409, "Playback with given id already exists");
  const playback = new AriPlayback(id, media, target, lang, join(ctx.recordingDir), {
    started: (p) => ctx.stasis.emit(apps(), "PlaybackStarted", { playback: p.json() }),
    continuing: (p) => ctx.stasis.emit(apps(), "PlaybackContinuing", { playback: p.json() }),
    finished: (p) => ctx.stasis.emit(apps(), "PlaybackFinished", { playback: p.json() }),
  });
  ctx.stasis.playbacks.set(id, playback);
  const body = playback.json();
  void playback.run().finally(() => ctx.stasis.playbacks.delete(id));
  return { status: 201, body };
}

export function channelsResource(ctx: AriContext): ResourceFamily {
  const op = (o: Operation) => o;
  const operations: Operation[] = [
    op({ method: "GET", path: "/channels", nickname: "list", summary: "List all active channels.", responseClass: "List[Channel]", params: [],
      handler: () => ok(ctx.core.list().filter((c) => !c.hungUp).map(channelView)) }),
    op({ method: "POST", path: "/channels", nickname: "originate", summary: "Create a new channel (originate).", responseClass: "Channel", params: originateParams(false),
      errors: [{ code: 400, reason: "Invalid parameters for originating a channel." }, { code: 409, reason: "Channel with given unique ID already exists." }],
      handler: async ({ params }) => ok(await originate(ctx, originateArgs(params))) }),
    op({ method: "POST", path: "/channels/create", nickname: "create", summary: "Create channel.", responseClass: "Channel",
      params: [query("endpoint", "string", { required: true }), query("app", "string", { required: true }), query("appArgs"), query("channelId"), query("otherChannelId"), query("originator"), query("formats"), { name: "variables", paramType: "body", dataType: "containers" }],
      handler: ({ params }) => {
        const id = (params.channelId as string | undefined) ?? newId(ctx.random);
        if (ctx.core.byUniqueid(id) || ctx.stasis.created.has(id)) throw new AriError(409, "Channel with given unique ID already exists");
        const endpoint = params.endpoint as string;
        if (!/^[^/]+\/.+/.test(endpoint)) throw new AriError(400, `endpoint: TECH/resource, not "${endpoint}"`);
        ctx.stasis.created.set(id, { endpoint, app: params.app as string, appArgs: (params.appArgs as string | undefined) ?? "", variables: stringVariables(params.variables) });
        ctx.stasis.application(params.app as string, true)!.channels.add(id);
        const now = ctx.core.clock.now();
        return ok({ id, name: `${endpoint}-pending`, state: "Down", protocol_id: "", caller: { name: "", number: "" }, connected: { name: "", number: "" }, accountcode: "",
          dialplan: { context: "default", exten: "s", priority: 1, app_name: "", app_data: "" }, creationtime: new Date(Math.floor(now / 1000)).toISOString().replace("Z", "+0000"), language: "en" });
      } }),
    op({ method: "POST", path: "/channels/{channelId}/dial", nickname: "dial", summary: "Dial a created channel.", responseClass: "void",
      params: [channelId, query("caller"), query("timeout", "int", { defaultValue: 0 })],
      errors: [{ code: 404, reason: "Channel cannot be found." }, { code: 409, reason: "Channel cannot be dialed." }],
      handler: async ({ params }) => {
        const id = params.channelId as string;
        const created = ctx.stasis.created.get(id);
        if (!created) { if (ctx.core.byUniqueid(id)) throw new AriError(409, "Channel cannot be dialed"); throw new AriError(404, "Channel not found"); }
        ctx.stasis.created.delete(id);
        await originate(ctx, { endpoint: created.endpoint, app: created.app, appArgs: created.appArgs, timeout: params.timeout as number, variables: created.variables, channelId: id,
          ...(params.caller ? { originator: params.caller as string } : {}) });
        return noContent;
      } }),
    op({ method: "GET", path: "/channels/{channelId}", nickname: "get", summary: "Channel details.", responseClass: "Channel", params: [channelId],
      handler: ({ params }) => ok(channelView(liveChannel(ctx, params.channelId as string))) }),
    op({ method: "POST", path: "/channels/{channelId}", nickname: "originateWithId", summary: "Create a new channel (originate with id).", responseClass: "Channel", params: originateParams(true),
      handler: async ({ params }) => ok(await originate(ctx, originateArgs(params, params.channelId as string))) }),
    op({ method: "DELETE", path: "/channels/{channelId}", nickname: "hangup", summary: "Delete (i.e. hangup) a channel.", responseClass: "void",
      params: [channelId, query("reason_code"), query("reason", "string", { allowed: Object.keys(REASONS) })],
      errors: [{ code: 400, reason: "Invalid reason for hangup provided" }, { code: 404, reason: "Channel not found" }],
      handler: ({ params }) => {
        const channel = liveChannel(ctx, params.channelId as string);
        if (params.reason_code !== undefined && params.reason !== undefined) throw new AriError(400, "reason and reason_code are mutually exclusive");
        const code = params.reason_code !== undefined ? Number(params.reason_code) : REASONS[(params.reason as string | undefined) ?? "normal"];
        if (!Number.isInteger(code) || code < 0) throw new AriError(400, "reason_code: a Q.850 cause number");
        return { status: 204, afterwards: () => channel.hangup(code, "ARI", SOFTHANGUP_EXPLICIT) };
      } }),
    op({ method: "POST", path: "/channels/{channelId}/continue", nickname: "continueInDialplan", summary: "Exit application; continue execution in the dialplan.", responseClass: "void",
      params: [channelId, query("context"), query("extension"), query("priority", "int"), query("label")],
      handler: ({ params }) => {
        stasisChannel(ctx, params.channelId as string);
        const context = params.context as string | undefined, exten = params.extension as string | undefined;
        const priority = (params.priority as number | undefined) ?? (params.label as string | undefined);
        // Any of context/extension given without a priority starts at 1, as Asterisk's continue does.
        const given = context !== undefined || exten !== undefined || priority !== undefined;
        return { status: 204, afterwards: () => ctx.stasis.leave(params.channelId as string, {
          status: "SUCCESS",
          ...(given ? { next: { ...(context ? { context } : {}), ...(exten ? { exten } : {}), priority: priority ?? 1 } } : {}),
        }) };
      } }),
    op({ method: "POST", path: "/channels/{channelId}/move", nickname: "move", summary: "Move the channel from one Stasis application to another.", responseClass: "void",
      params: [channelId, query("app", "string", { required: true }), query("appArgs")],
      handler: ({ params }) => {
        stasisChannel(ctx, params.channelId as string);
        const app = ctx.stasis.apps.get(params.app as string);
        if (!app || app.sinks.size === 0) throw new AriError(400, `app: no application '${params.app}' is registered`);
        const args = params.appArgs ? (params.appArgs as string).split(",") : [];
        ctx.stasis.leave(params.channelId as string, { status: "SUCCESS", move: { app: params.app as string, args } });
        return noContent;
      } }),
    op({ method: "POST", path: "/channels/{channelId}/answer", nickname: "answer", summary: "Answer a channel.", responseClass: "void", params: [channelId],
      errors: [{ code: 404, reason: "Channel not found" }, { code: 409, reason: "Channel not in a Stasis application" }, { code: 412, reason: "Channel in invalid state" }],
      handler: async ({ params }) => {
        const channel = stasisChannel(ctx, params.channelId as string);
        try { await channel.answer(); } catch { throw new AriError(412, "Channel in invalid state"); }
        return noContent;
      } }),
    op({ method: "POST", path: "/channels/{channelId}/ring", nickname: "ring", summary: "Indicate ringing to a channel.", responseClass: "void", params: [channelId],
      handler: ({ params }) => { stasisChannel(ctx, params.channelId as string).ringing(); return noContent; } }),
    op({ method: "DELETE", path: "/channels/{channelId}/ring", nickname: "ringStop", summary: "Stop ringing indication on a channel.", responseClass: "void", params: [channelId],
      handler: ({ params }) => { stasisChannel(ctx, params.channelId as string); return noContent; } }),
    op({ method: "POST", path: "/channels/{channelId}/progress", nickname: "progress", summary: "Indicate progress to a channel.", responseClass: "void", params: [channelId],
      handler: ({ params }) => { stasisChannel(ctx, params.channelId as string).progress(); return noContent; } }),
    op({ method: "POST", path: "/channels/{channelId}/dtmf", nickname: "sendDTMF", summary: "Send provided DTMF to a given channel.", responseClass: "void",
      params: [channelId, query("dtmf", "string", { required: true }), query("before", "int"), query("between", "int"), query("duration", "int", { defaultValue: 100 }), query("after", "int")],
      handler: async ({ params }) => {
        const channel = stasisChannel(ctx, params.channelId as string);
        const digits = params.dtmf as string;
        if (!/^[0-9A-D*#,]+$/i.test(digits)) throw new AriError(400, `dtmf: digits 0-9, A-D, * and #, not "${digits}"`);
        if (!channel.media) throw new AriError(412, "Channel in invalid state");
        await ctx.core.media.service.sendDtmf(channel.media, digits.replace(/,/g, ""), params.duration as number).catch(() => { throw new AriError(412, "Channel in invalid state"); });
        return noContent;
      } }),
    op({ method: "POST", path: "/channels/{channelId}/moh", nickname: "startMoh", summary: "Play music on hold to a channel.", responseClass: "void", params: [channelId, query("mohClass")],
      handler: async ({ params }) => {
        const channel = stasisChannel(ctx, params.channelId as string);
        await channel.startMusicOnHold((params.mohClass as string | undefined) ?? "default").catch(() => { throw new AriError(412, "Channel in invalid state"); });
        return noContent;
      } }),
    op({ method: "DELETE", path: "/channels/{channelId}/moh", nickname: "stopMoh", summary: "Stop playing music on hold to a channel.", responseClass: "void", params: [channelId],
      handler: ({ params }) => { stasisChannel(ctx, params.channelId as string).stopMusicOnHold(); return noContent; } }),
    // As chan_pjsip indicates HOLD: music on hold to the channel (its default class).
    op({ method: "POST", path: "/channels/{channelId}/hold", nickname: "hold", summary: "Hold a channel.", responseClass: "void", params: [channelId],
      handler: async ({ params }) => {
        const channel = stasisChannel(ctx, params.channelId as string);
        await channel.startMusicOnHold("default").catch(() => { throw new AriError(412, "Channel in invalid state"); });
        return noContent;
      } }),
    op({ method: "DELETE", path: "/channels/{channelId}/hold", nickname: "unhold", summary: "Remove a channel from hold.", responseClass: "void", params: [channelId],
      handler: ({ params }) => { stasisChannel(ctx, params.channelId as string).stopMusicOnHold(); return noContent; } }),
    // Asterisk's silence generator: silence is sent while nothing else is (a "0" tone until stopped).
    op({ method: "POST", path: "/channels/{channelId}/silence", nickname: "startSilence", summary: "Play silence to a channel.", responseClass: "void", params: [channelId],
      errors: [{ code: 404, reason: "Channel not found" }, { code: 409, reason: "Channel not in a Stasis application" }, { code: 412, reason: "Channel in invalid state" }],
      handler: async ({ params }) => {
        const channel = stasisChannel(ctx, params.channelId as string);
        try { await ctx.core.media.service.tones(await channel.anchorMedia(), "0"); } catch { throw new AriError(412, "Channel in invalid state"); }
        return noContent;
      } }),
    op({ method: "DELETE", path: "/channels/{channelId}/silence", nickname: "stopSilence", summary: "Stop playing silence to a channel.", responseClass: "void", params: [channelId],
      errors: [{ code: 404, reason: "Channel not found" }, { code: 409, reason: "Channel not in a Stasis application" }, { code: 412, reason: "Channel in invalid state" }],
      handler: ({ params }) => { stasisChannel(ctx, params.channelId as string).stopTones(); return noContent; } }),
    op({ method: "POST", path: "/channels/{channelId}/play", nickname: "play", summary: "Start playback of media.", responseClass: "Playback",
      params: [channelId, query("media", "string", { required: true, allowMultiple: true }), query("lang"), query("offsetms", "int"), query("skipms", "int", { defaultValue: 3000 }), query("playbackId")],
      handler: ({ params }) => play(ctx, stasisChannel(ctx, params.channelId as string), params.media as string[], params.lang as string | undefined, params.playbackId as string | undefined) }),
    op({ method: "POST", path: "/channels/{channelId}/play/{playbackId}", nickname: "playWithId", summary: "Start playback of media and specify the playbackId.", responseClass: "Playback",
      params: [channelId, path("playbackId"), query("media", "string", { required: true, allowMultiple: true }), query("lang"), query("offsetms", "int"), query("skipms", "int", { defaultValue: 3000 })],
      handler: ({ params }) => play(ctx, stasisChannel(ctx, params.channelId as string), params.media as string[], params.lang as string | undefined, params.playbackId as string) }),
    op({ method: "POST", path: "/channels/{channelId}/record", nickname: "record", summary: "Start a recording.", responseClass: "LiveRecording",
      params: [channelId, query("name", "string", { required: true }), query("format", "string", { required: true }), query("maxDurationSeconds", "int", { defaultValue: 0 }),
        query("maxSilenceSeconds", "int", { defaultValue: 0 }), query("ifExists", "string", { defaultValue: "fail", allowed: ["fail", "overwrite", "append"] }),
        query("beep", "boolean", { defaultValue: false }), query("terminateOn", "string", { defaultValue: "none", allowed: ["none", "any", "*", "#"] })],
      handler: ({ params }) => startRecording(ctx, channelRecordTarget(ctx, stasisChannel(ctx, params.channelId as string)), params) }),
    op({ method: "GET", path: "/channels/{channelId}/variable", nickname: "getChannelVar", summary: "Get the value of a channel variable or function.", responseClass: "Variable",
      params: [channelId, query("variable", "string", { required: true })],
      handler: ({ params }) => {
        const channel = liveChannel(ctx, params.channelId as string);
        const value = channel.context().vars[params.variable as string];
        if (value === undefined) throw new AriError(404, "Provided variable was not found");
        return ok({ value });
      } }),
    op({ method: "POST", path: "/channels/{channelId}/variable", nickname: "setChannelVar", summary: "Set the value of a channel variable or function.", responseClass: "void",
      params: [channelId, query("variable", "string", { required: true }), query("value")],
      handler: ({ params }) => {
        liveChannel(ctx, params.channelId as string).setVariable(params.variable as string, (params.value as string | undefined) ?? "");
        return noContent;
      } }),
  ];
  // externalMedia before /channels/{channelId}: the router takes the first path that fits.
  return { name: "channels", description: "Channel resources", operations: [...operations.slice(0, 2), ...channelMediaOperations(ctx), ...operations.slice(2)] };
}
