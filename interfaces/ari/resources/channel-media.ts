/**
 * /channels operations on a channel's media and destination: snoop (a Snoop channel in
 * an application that hears and may whisper to another channel), externalMedia (a
 * channel whose far end is an RTP peer or an AudioSocket service), mute/unmute and
 * redirect. Status codes as ARI 22 documents and res_ari_channels answers them.
 */
import type { Channel } from "../../../calls/channel.js";
import { Cause } from "../../../calls/hangup-causes.js";
import { createMediaChannel, unicastRemote } from "../../../calls/media-channels.js";
import { RedirectError } from "../../../calls/driver.js";
import { AriError, noContent, ok, type Operation, type Param } from "../rest.js";
import { channelView } from "../stasis.js";
import { liveChannel, newId, stasisChannel, type AriContext } from "../context.js";
import { stringVariables } from "./channels.js";

const path = (name: string): Param => ({ name, paramType: "path", dataType: "string", required: true });
const query = (name: string, extra: Partial<Param> = {}): Param => ({ name, paramType: "query", dataType: "string", ...extra });
const DIRECTIONS = ["none", "both", "out", "in"];
type Direction = "none" | "both" | "out" | "in";

/** The channel runs in `app` (StasisStart with `args`) until it leaves; then it is hung up and destroyed. */
function runInApplication(ctx: AriContext, channel: Channel, app: string, args: string | undefined): void {
  ctx.stasis.application(app, true)!.channels.add(channel.context().uniqueid);
  void ctx.core.runApplication(channel, "Stasis", [app, ...(args ? [args] : [])].join(","))
    .catch((e: Error) => ctx.logger.log("ERROR", "res_stasis.c", `${channel.name} in ${app}: ${e.message}`))
    .finally(() => { if (!channel.hungUp) channel.hangup(Cause.NORMAL_CLEARING); channel.destroy(); });
}

function freshId(ctx: AriContext, id: string | undefined): string {
  const uid = id ?? newId(ctx.random);
  if (ctx.core.byUniqueid(uid) || ctx.stasis.created.has(uid)) throw new AriError(409, "Channel with given unique ID already exists");
  return uid;
}

async function snoop(ctx: AriContext, targetId: string, p: Record<string, unknown>, snoopId: string | undefined) {
  const spy = (p.spy as Direction | undefined) ?? "none", whisper = (p.whisper as Direction | undefined) ?? "none";
  if (spy === "none" && whisper === "none") throw new AriError(400, "Direction must be specified for at least spy or whisper");
  const target = liveChannel(ctx, targetId);
  const id = freshId(ctx, snoopId);
  // The snooped channel's media must run through Recall (a leg with direct media is re-INVITEd).
  const session = await target.anchorMedia().catch((e: Error) => { throw new AriError(500, `Snoop channel could not be created: ${e.message}`); });
  const channel = await createMediaChannel(ctx.core, { tech: "Snoop", resource: target.context().uniqueid, uniqueid: id, codec: "slin", near: session },
    (s) => ctx.core.media.service.snoop(session, s.id, spy, whisper)).catch((e: Error) => { throw new AriError(500, `Snoop channel could not be created: ${e.message}`); });
  // A snoop lasts as long as what it snoops on.
  const end = () => channel.hangup(Cause.NORMAL_CLEARING, target.name);
  target.onHangup.add(end);
  channel.onHangup.add(() => target.onHangup.delete(end));
  runInApplication(ctx, channel, p.app as string, p.appArgs as string | undefined);
  return ok(channelView(channel));
}

/** `host:port` (IPv6 in brackets), or a 400 naming external_host. */
function hostPort(text: string): { host: string; port: number } {
  const m = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new AriError(400, "external_host must be <host>:<port> for all transports other than websocket");
  return { host: m[1], port };
}

const FORMATS: Record<string, "ulaw" | "alaw" | "slin"> = { ulaw: "ulaw", alaw: "alaw", slin: "slin", slin16: "slin" };

async function externalMedia(ctx: AriContext, p: Record<string, unknown>) {
  const encapsulation = (p.encapsulation as string | undefined) ?? "rtp", transport = (p.transport as string | undefined) ?? "udp";
  if (transport === "websocket") throw new AriError(501, "The encapsulation and/or transport is not supported");
  if (encapsulation === "rtp" && transport !== "udp") throw new AriError(400, "transport must be 'udp' for rtp encapsulation");
  if (encapsulation === "audiosocket" && transport !== "tcp") throw new AriError(400, "transport must be 'tcp' for audiosocket encapsulation");
  if (p.connection_type === "server") throw new AriError(400, "'server' connection_type can only be used with the websocket transport");
  if (!p.external_host) throw new AriError(400, "external_host is required for all but websocket server connections");
  const far = hostPort(p.external_host as string);
  const format = p.format as string;
  const app = p.app as string, data = p.data as string | undefined;
  const id = freshId(ctx, p.channelId as string | undefined);
  const vars = stringVariables(p.variables);
  if (encapsulation === "audiosocket") {
    if (!data) throw new AriError(400, "data can not be empty");
    if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(data)) throw new AriError(400, `data: a UUID for audiosocket, not "${data}"`);
    if (format !== "slin") throw new AriError(400, `format: AudioSocket carries slin, not "${format}"`);
    let ended: Promise<{ status: string; error?: string }> | undefined;
    // The channel exists once the service took the connection (as chan_audiosocket connects when the channel is requested).
    const channel = await createMediaChannel(ctx.core, { tech: "AudioSocket", resource: `${far.host}:${far.port}`, uniqueid: id, codec: "slin", vars },
      async (s) => {
        const link = ctx.core.media.service.externalAudioSocket(s.id, data, `${far.host}:${far.port}`);
        const failed = await link.connected;
        if (failed) {
          ctx.logger.log("WARNING", "chan_audiosocket.c", `Failed to connect to AudioSocket server ${far.host}:${far.port}: ${failed.error ?? failed.status}`);
          throw new AriError(500, `An internal error prevented this request from being handled: no connection to ${far.host}:${far.port} (${failed.error ?? failed.status})`);
        }
        ended = link.done;
      });
    // The service hanging up ends the channel.
    void ended!.then((r) => {
      if (r.status === "ERROR") ctx.logger.log("WARNING", "chan_audiosocket.c", `${channel.name}: ${r.error ?? "connection failed"}`);
      if (r.status !== "STOPPED") channel.remoteHangup(r.status === "ERROR" ? Cause.NETWORK_OUT_OF_ORDER : Cause.NORMAL_CLEARING, channel.name);
    });
    runInApplication(ctx, channel, app, data);
    return ok(channelView(channel));
  }
  if (encapsulation !== "rtp") throw new AriError(501, "The encapsulation and/or transport is not supported");
  const codec = FORMATS[format];
  if (!codec) throw new AriError(400, `format: ulaw, alaw or slin, not "${format}"`);
  const channel = await createMediaChannel(ctx.core, { tech: "UnicastRTP", resource: `${far.host}:${far.port}`, uniqueid: id, codec, vars },
    async (s) => {
      await ctx.core.media.service.setRemote(s.id, unicastRemote(far.host, far.port, codec));
      return { UNICASTRTP_LOCAL_ADDRESS: s.localAddress, UNICASTRTP_LOCAL_PORT: String(s.localPort) };
    });
  runInApplication(ctx, channel, app, data);
  const vars2 = channel.context().vars;
  return ok({ ...channelView(channel), channelvars: { UNICASTRTP_LOCAL_ADDRESS: vars2.UNICASTRTP_LOCAL_ADDRESS, UNICASTRTP_LOCAL_PORT: vars2.UNICASTRTP_LOCAL_PORT } });
}

async function mute(ctx: AriContext, id: string, direction: string, on: boolean) {
  const channel = stasisChannel(ctx, id);
  const state = ctx.stasis.muted.get(id) ?? { rx: false, tx: false };
  const next = { rx: direction === "in" || direction === "both" ? on : state.rx, tx: direction === "out" || direction === "both" ? on : state.tx };
  let session: string;
  try { session = await channel.anchorMedia(); } catch { throw new AriError(412, "Channel in invalid state"); }
  await ctx.core.media.service.mute(session, next.rx, next.tx).catch(() => { throw new AriError(412, "Channel in invalid state"); });
  if (next.rx || next.tx) ctx.stasis.muted.set(id, next); else ctx.stasis.muted.delete(id);
  return noContent;
}

export function channelMediaOperations(ctx: AriContext): Operation[] {
  const snoopParams = [query("spy", { defaultValue: "none", allowed: DIRECTIONS }), query("whisper", { defaultValue: "none", allowed: DIRECTIONS }),
    query("app", { required: true }), query("appArgs")];
  const snoopErrors = [{ code: 400, reason: "Invalid parameters" }, { code: 404, reason: "Channel not found" }];
  const direction = query("direction", { defaultValue: "both", allowed: ["both", "in", "out"] });
  const muteErrors = [{ code: 404, reason: "Channel not found" }, { code: 409, reason: "Channel not in a Stasis application" }, { code: 412, reason: "Channel in invalid state" }];
  return [
    { method: "POST", path: "/channels/externalMedia", nickname: "externalMedia", summary: "Start an External Media session.", responseClass: "Channel",
      params: [query("channelId"), query("app", { required: true }), { name: "variables", paramType: "body", dataType: "containers" }, query("external_host"),
        query("encapsulation", { defaultValue: "rtp", allowed: ["rtp", "audiosocket", "none"] }), query("transport", { defaultValue: "udp", allowed: ["udp", "tcp", "websocket"] }),
        query("connection_type", { defaultValue: "client", allowed: ["client", "server"] }), query("format", { required: true }),
        query("direction", { defaultValue: "both", allowed: ["both"] }), query("data"), query("transport_data")],
      errors: [{ code: 400, reason: "Invalid parameters" }, { code: 409, reason: "Channel is not in a Stasis application; Channel is already bridged" }],
      handler: ({ params }) => externalMedia(ctx, params as Record<string, unknown>) },
    { method: "POST", path: "/channels/{channelId}/snoop", nickname: "snoopChannel", summary: "Start snooping.", responseClass: "Channel",
      params: [path("channelId"), ...snoopParams, query("snoopId")], errors: snoopErrors,
      handler: ({ params }) => snoop(ctx, params.channelId as string, params as Record<string, unknown>, params.snoopId as string | undefined) },
    { method: "POST", path: "/channels/{channelId}/snoop/{snoopId}", nickname: "snoopChannelWithId", summary: "Start snooping.", responseClass: "Channel",
      params: [path("channelId"), path("snoopId"), ...snoopParams], errors: snoopErrors,
      handler: ({ params }) => snoop(ctx, params.channelId as string, params as Record<string, unknown>, params.snoopId as string) },
    { method: "POST", path: "/channels/{channelId}/mute", nickname: "mute", summary: "Mute a channel.", responseClass: "void", params: [path("channelId"), direction], errors: muteErrors,
      handler: ({ params }) => mute(ctx, params.channelId as string, params.direction as string, true) },
    { method: "DELETE", path: "/channels/{channelId}/mute", nickname: "unmute", summary: "Unmute a channel.", responseClass: "void", params: [path("channelId"), direction], errors: muteErrors,
      handler: ({ params }) => mute(ctx, params.channelId as string, params.direction as string, false) },
    { method: "POST", path: "/channels/{channelId}/redirect", nickname: "redirect", summary: "Redirect the channel to a different location.", responseClass: "void",
      params: [path("channelId"), query("endpoint", { required: true })],
      errors: [{ code: 400, reason: "Endpoint parameter not provided" }, { code: 404, reason: "Channel or endpoint not found" }, { code: 409, reason: "Channel not in a Stasis application" },
        { code: 422, reason: "Endpoint is not the same type as the channel" }, { code: 412, reason: "Channel in invalid state" }],
      handler: ({ params }) => {
        const channel = stasisChannel(ctx, params.channelId as string);
        const endpoint = params.endpoint as string;
        const slash = endpoint.indexOf("/");
        if (slash <= 0) throw new AriError(422, `Endpoint parameter '${endpoint}' does not contain tech/resource`);
        const tech = endpoint.slice(0, slash), resource = endpoint.slice(slash + 1);
        if (!resource) throw new AriError(422, `No resource provided in endpoint parameter '${endpoint}'`);
        if (tech.toLowerCase() !== channel.tech.toLowerCase()) throw new AriError(422, `Endpoint technology '${tech}' does not match channel technology '${channel.tech}'`);
        if (!channel.signalling?.redirect) throw new AriError(412, "Channel in invalid state");
        try { channel.signalling.redirect(resource); } catch (e) {
          if (e instanceof RedirectError) throw new AriError(e.reason === "unknown-target" ? 404 : 412, e.reason === "unknown-target" ? `Endpoint not found: ${e.message}` : "Channel in invalid state");
          throw e;
        }
        return noContent;
      } },
  ];
}
