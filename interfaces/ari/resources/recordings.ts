/**
 * /recordings: live recordings (stop, the file kept; cancel, the file removed) made by
 * POST /channels/{id}/record and POST /bridges/{id}/record, and stored ones in the recording directory (list, get,
 * the file itself, copy, delete). A channel's recording is its audio, both directions,
 * as MixMonitor records it; a bridge's is what every member says, mixed; `wav` is WAV, `sln` raw signed linear.
 * A live recording can be paused (nothing written meanwhile: the file is shorter by the pause) and muted (silence
 * written in place of the audio), as Asterisk's: pause only while recording, unpause only while paused (else 409),
 * mute and unmute in either state. Not done: maxSilenceSeconds, terminateOn, beep.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { Channel } from "../../../calls/channel.js";
import type { MixMonitorStarted } from "../../../calls/channel-api.js";
import { AriError, noContent, ok, type Operation, type Param, type ResourceFamily, type Values } from "../rest.js";
import type { AriContext } from "../context.js";

/** What a live recording records: a channel or a bridge. */
export interface RecordTarget {
  /** `channel:<id>` or `bridge:<id>`. */
  readonly uri: string;
  /** The applications that hear its Recording events. */
  apps(): string[];
  start(file: string, append: boolean): Promise<MixMonitorStarted>;
  stop(recId: string): Promise<unknown>;
  /** Pause/resume, mute/unmute in the media worker; false if the recording has already ended there. */
  control(recId: string, change: { paused?: boolean; muted?: boolean }): Promise<boolean>;
}

export function channelRecordTarget(ctx: AriContext, channel: Channel): RecordTarget {
  const uniqueid = channel.context().uniqueid;
  return {
    uri: `channel:${uniqueid}`, apps: ctx.stasis.appsOfChannelFromNow(uniqueid),
    start: (file, append) => channel.startMixMonitor({ file, ...(append ? { append: true } : {}) }),
    stop: (recId) => channel.stopMixMonitor(recId),
    control: (recId, change) => channel.controlMixMonitor(recId, change),
  };
}

interface Live {
  readonly name: string;
  readonly format: string;
  readonly target: RecordTarget;
  readonly targetUri: string;
  readonly file: string;
  readonly recId: string;
  state: "recording" | "paused" | "done" | "failed" | "canceled";
  readonly startedAt: number;
  cancel?: boolean;
  timer?: { cancel(): void };
}

const live = new WeakMap<AriContext, Map<string, Live>>();
function lives(ctx: AriContext): Map<string, Live> {
  let m = live.get(ctx);
  if (!m) { m = new Map(); live.set(ctx, m); }
  return m;
}

const FORMATS = new Set(["wav", "sln", "raw"]);
const safeName = (name: string) => /^[A-Za-z0-9_.\-/]+$/.test(name) && !name.split("/").includes("..");

function json(r: Live, ctx: AriContext): Record<string, unknown> {
  return { name: r.name, format: r.format, target_uri: r.targetUri, state: r.state, duration: Math.floor((ctx.core.clock.now() - r.startedAt) / 1e6) };
}

export async function startRecording(ctx: AriContext, target: RecordTarget, p: Values) {
  const name = p.name as string, format = p.format as string;
  if (!safeName(name)) throw new AriError(400, `name: letters, digits, _ . - and / only, not "${name}"`);
  if (!FORMATS.has(format)) throw new AriError(422, `format: ${[...FORMATS].join(", ")}, not "${format}"`);
  const all = lives(ctx);
  if (all.has(name)) throw new AriError(409, "Recording with the same name already in progress");
  const file = join(ctx.recordingDir, `${name}.${format}`);
  if (existsSync(file) && p.ifExists === "fail") throw new AriError(422, "Recording with the same name already exists on the system");
  mkdirSync(join(file, ".."), { recursive: true });
  let started;
  try {
    started = await target.start(file, p.ifExists === "append");
  } catch (e) {
    throw new AriError(409, `${target.uri.startsWith("bridge:") ? "Bridge" : "Channel"} cannot be recorded: ${(e as Error).message}`);
  }
  const r: Live = { name, format, target, targetUri: target.uri, file, recId: started.id, state: "recording", startedAt: ctx.core.clock.now() };
  all.set(name, r);
  const apps = () => target.apps();
  ctx.stasis.emit(apps(), "RecordingStarted", { recording: json(r, ctx) });
  const max = p.maxDurationSeconds as number;
  if (max > 0) r.timer = ctx.core.clock.schedule(ctx.core.clock.now() + max * 1e6, () => void target.stop(r.recId));
  void started.done.then(() => {
    r.timer?.cancel();
    all.delete(name);
    if (r.cancel) { try { unlinkSync(file); } catch { /* already gone */ } r.state = "canceled"; }
    else r.state = existsSync(file) ? "done" : "failed";
    ctx.stasis.emit(apps(), r.state === "failed" ? "RecordingFailed" : "RecordingFinished", { recording: json(r, ctx) });
  });
  return { status: 201, body: json(r, ctx) };
}

const path = (name: string): Param => ({ name, paramType: "path", dataType: "string", required: true });

function stored(ctx: AriContext, name: string): string {
  if (!safeName(name)) throw new AriError(404, "Recording not found");
  if (existsSync(ctx.recordingDir)) {
    for (const f of readdirSync(ctx.recordingDir)) if (basename(f, extname(f)) === name) return join(ctx.recordingDir, f);
  }
  throw new AriError(404, "Recording not found");
}

export function recordingsResource(ctx: AriContext): ResourceFamily {
  const liveOne = (name: string) => {
    const r = lives(ctx).get(name);
    if (!r) throw new AriError(404, "Recording not found");
    return r;
  };
  // Pausing while paused, or resuming while recording, is Asterisk's 409; muting is allowed in either state.
  const control = (method: "POST" | "DELETE", suffix: string, nickname: string, summary: string, change: { paused?: boolean; muted?: boolean }): Operation => ({
    method, path: `/recordings/live/{recordingName}${suffix}`, nickname, summary, responseClass: "void", params: [path("recordingName")],
    errors: [{ code: 404, reason: "Recording not found" }, { code: 409, reason: "Recording not in session" }],
    handler: async ({ params }) => {
      const r = liveOne(params.recordingName as string);
      if (change.paused !== undefined && r.state !== (change.paused ? "recording" : "paused")) throw new AriError(409, "Recording not in session");
      if (!await r.target.control(r.recId, change).catch(() => false)) throw new AriError(409, "Recording not in session");
      if (change.paused !== undefined) r.state = change.paused ? "paused" : "recording";
      return noContent;
    },
  });
  const operations: Operation[] = [
    { method: "GET", path: "/recordings/stored", nickname: "listStored", summary: "List recordings that are complete.", responseClass: "List[StoredRecording]", params: [],
      handler: () => ok(existsSync(ctx.recordingDir) ? readdirSync(ctx.recordingDir).filter((f) => statSync(join(ctx.recordingDir, f)).isFile())
        .map((f) => ({ name: basename(f, extname(f)), format: extname(f).slice(1) })) : []) },
    { method: "GET", path: "/recordings/stored/{recordingName}", nickname: "getStored", summary: "Get a stored recording's details.", responseClass: "StoredRecording", params: [path("recordingName")],
      handler: ({ params }) => { const f = stored(ctx, params.recordingName as string); return ok({ name: params.recordingName, format: extname(f).slice(1) }); } },
    { method: "DELETE", path: "/recordings/stored/{recordingName}", nickname: "deleteStored", summary: "Delete a stored recording.", responseClass: "void", params: [path("recordingName")],
      handler: ({ params }) => { unlinkSync(stored(ctx, params.recordingName as string)); return noContent; } },
    { method: "GET", path: "/recordings/stored/{recordingName}/file", nickname: "getStoredFile", summary: "Get the file associated with the stored recording.", responseClass: "binary", params: [path("recordingName")],
      handler: ({ params }) => {
        const f = stored(ctx, params.recordingName as string);
        return { status: 200, binary: { type: extname(f) === ".wav" ? "audio/wav" : "application/octet-stream", data: readFileSync(f) } };
      } },
    { method: "POST", path: "/recordings/stored/{recordingName}/copy", nickname: "copyStored", summary: "Copy a stored recording.", responseClass: "StoredRecording",
      params: [path("recordingName"), { name: "destinationRecordingName", paramType: "query", dataType: "string", required: true }],
      handler: ({ params }) => {
        const from = stored(ctx, params.recordingName as string);
        const to = params.destinationRecordingName as string;
        if (!safeName(to)) throw new AriError(400, `destinationRecordingName: letters, digits, _ . - and / only`);
        const dest = join(ctx.recordingDir, `${to}${extname(from)}`);
        if (existsSync(dest)) throw new AriError(409, "A recording with the same name already exists on the system");
        mkdirSync(join(dest, ".."), { recursive: true });
        copyFileSync(from, dest);
        return ok({ name: to, format: extname(from).slice(1) });
      } },
    { method: "GET", path: "/recordings/live/{recordingName}", nickname: "getLive", summary: "List live recordings.", responseClass: "LiveRecording", params: [path("recordingName")],
      handler: ({ params }) => ok(json(liveOne(params.recordingName as string), ctx)) },
    control("POST", "/pause", "pause", "Pause a live recording.", { paused: true }),
    control("DELETE", "/pause", "unpause", "Unpause a live recording.", { paused: false }),
    control("POST", "/mute", "mute", "Mute a live recording.", { muted: true }),
    control("DELETE", "/mute", "unmute", "Unmute a live recording.", { muted: false }),
    { method: "POST", path: "/recordings/live/{recordingName}/stop", nickname: "stop", summary: "Stop a live recording and store it.", responseClass: "void", params: [path("recordingName")],
      handler: async ({ params }) => { const r = liveOne(params.recordingName as string); await r.target.stop(r.recId); return noContent; } },
    { method: "DELETE", path: "/recordings/live/{recordingName}", nickname: "cancel", summary: "Stop a live recording and discard it.", responseClass: "void", params: [path("recordingName")],
      handler: async ({ params }) => { const r = liveOne(params.recordingName as string); r.cancel = true; await r.target.stop(r.recId); return noContent; } },
  ];
  return { name: "recordings", description: "Recording resources", operations };
}
