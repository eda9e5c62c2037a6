/**
 * /recordings: live recordings (stop, the file kept; cancel, the file removed) made by
 * POST /channels/{id}/record and POST /bridges/{id}/record, and stored ones in the recording directory (list, get,
 * the file itself, copy, delete). A channel's recording is its audio, both directions,
 * as MixMonitor records it; a bridge's is what every member says, mixed; `wav` is WAV, `sln` raw signed linear.
 *
 * Each live recording is a recording actor (actors/recording), so what the application did
 * to it and why it ended replay and show in the call's history. As Asterisk's
 * res_stasis_recording and app.c:
 * - `beep`: the beep is played first (to the channel, or to every member of the bridge);
 *   the answer is then 201 `queued` and RecordingStarted follows the beep; stopped or
 *   cancelled meanwhile, it never starts (canceled);
 * - `terminateOn` (#, *, any): that digit from the channel (or from any member of the
 *   bridge) ends the recording, after its ChannelDtmfReceived; the file is kept;
 * - `maxSilenceSeconds`: more silence than that (mean level under 256, dsp.conf's
 *   default) ends it; with silence detection on, a recording that ends on silence, a digit
 *   or its time keeps 200 ms of its trailing silence, and RecordingFinished carries
 *   `talking_duration` and `silence_duration`;
 * - `maxDurationSeconds`: a logged timer that stops while the recording is paused;
 * - `ifExists`: fail (409 when a recording of that name is stored, in any format),
 *   overwrite, append;
 * - pause (nothing written: the file is shorter by the pause) only while recording,
 *   unpause only while paused (else 409); mute (silence written) in either state.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import type { Channel } from "../../../calls/channel.js";
import type { MixMonitorResult, MixMonitorStarted } from "../../../calls/channel-api.js";
import type { RecordingContext } from "../../../events/catalogue/recording.js";
import type { StartRecordingInput, RecordingInput } from "../../../actors/recording/machine.js";
import { AriError, noContent, ok, type Operation, type Param, type ResourceFamily, type Values } from "../rest.js";
import type { AriContext } from "../context.js";

/** What a live recording records: a channel or a bridge. */
export interface RecordTarget {
  /** `channel:<id>` or `bridge:<id>`. */
  readonly uri: string;
  /** The applications that hear its Recording events. */
  apps(): string[];
  /** The call whose history shows the recording (the channel's linkedid, a bridge member's). */
  linkedid(): string | undefined;
  /** Plays the beep to whoever is recorded. */
  beep(): Promise<void>;
  start(file: string, options: { append: boolean; maxSilenceMs: number }): Promise<MixMonitorStarted>;
  /** Ends it in the media worker; `trim` cuts its trailing silence. */
  stop(recId: string, trim: boolean): Promise<unknown>;
  /** Pause/resume, mute/unmute in the media worker; false if the recording has already ended there. */
  control(recId: string, change: { paused?: boolean; muted?: boolean }): Promise<boolean>;
  /** Whether a digit from this channel is the target's (terminateOn): the channel itself, a bridge's member. */
  hears(channel: Channel): boolean;
}

export function channelRecordTarget(ctx: AriContext, channel: Channel): RecordTarget {
  const uniqueid = channel.context().uniqueid;
  return {
    uri: `channel:${uniqueid}`, apps: ctx.stasis.appsOfChannelFromNow(uniqueid),
    linkedid: () => channel.context().linkedid,
    beep: async () => { await channel.play(["beep"]); },
    // As Asterisk's record_file, an unanswered channel is answered first.
    start: async (file, o) => {
      if (channel.state() !== "up") await channel.answer();
      return channel.startMixMonitor({ file, ...(o.append ? { append: true } : {}), ...(o.maxSilenceMs ? { maxSilenceMs: o.maxSilenceMs } : {}) });
    },
    stop: (recId, trim) => channel.stopMixMonitor(recId, trim),
    control: (recId, change) => channel.controlMixMonitor(recId, change),
    hears: (c) => c === channel,
  };
}

interface Live {
  readonly actor: string;
  readonly target: RecordTarget;
  readonly file: string;
  recId?: string;
}

/** Digits a `terminateOn` value stops on (Asterisk's acceptdtmf). */
const TERMINATORS: Record<string, string> = { none: "", any: "#*0123456789abcd", "#": "#", "*": "*" };
const FORMATS = new Set(["wav", "sln", "raw"]);
const safeName = (name: string) => /^[A-Za-z0-9_.\-/]+$/.test(name) && !name.split("/").includes("..");

/**
 * The live recordings of one ARI, by name, and what ends them from outside a request:
 * a terminating digit (Stasis's digit taps) and the actor's maximum-duration timer.
 */
class LiveRecordings {
  readonly byName = new Map<string, Live>();
  constructor(private readonly ctx: AriContext) {
    ctx.stasis.digitTaps.add((channel, digit) => {
      for (const r of this.byName.values()) {
        const c = this.state(r)?.context;
        if (c && r.recId && c.reason === undefined && TERMINATORS[c.terminateOn]?.includes(digit) && r.target.hears(channel)) {
          this.send(r, { source: "dtmf", type: "stop", reason: "dtmf", digit });
          void r.target.stop(r.recId, c.maxSilenceSeconds > 0).catch(() => undefined);
        }
      }
    });
    ctx.core.runtime.onOutput("recording.stop", (actor) => {
      for (const r of this.byName.values()) {
        if (r.actor === actor && r.recId) void r.target.stop(r.recId, (this.state(r)?.context.maxSilenceSeconds ?? 0) > 0).catch(() => undefined);
      }
    });
  }
  state(r: Live): { value: string; context: RecordingContext } | undefined {
    return this.ctx.core.runtime.state(r.actor) as { value: string; context: RecordingContext } | undefined;
  }
  send(r: Live, input: RecordingInput): { value: string; context: RecordingContext } | undefined {
    const t = this.ctx.core.runtime.send(r.actor, input);
    return t && (t.state as { value: string; context: RecordingContext });
  }
}

const registries = new WeakMap<AriContext, LiveRecordings>();
function lives(ctx: AriContext): LiveRecordings {
  let m = registries.get(ctx);
  if (!m) { m = new LiveRecordings(ctx); registries.set(ctx, m); }
  return m;
}

/** A recording as ARI shows it (LiveRecording): durations in whole seconds once it has ended. */
function json(state: { value: string; context: RecordingContext }, now: number): Record<string, unknown> {
  const c = state.context;
  const out: Record<string, unknown> = { name: c.name, format: c.format, target_uri: c.target, state: state.value };
  if (c.durationMs === undefined) return { ...out, duration: Math.floor((now - c.createdAt) / 1e6) };
  const duration = Math.floor(c.durationMs / 1000);
  out.duration = duration;
  if (c.talkingMs !== undefined) {
    const talking = Math.min(duration, Math.floor(c.talkingMs / 1000));
    out.talking_duration = talking;
    out.silence_duration = duration - talking;
  }
  if (c.cause) out.cause = c.cause;
  return out;
}

/** A stored recording of that name, in any format (Asterisk's ast_fileexists). */
function storedAnyFormat(file: string): boolean {
  const dir = dirname(file), name = basename(file, extname(file));
  return existsSync(dir) && readdirSync(dir).some((f) => basename(f, extname(f)) === name && statSync(join(dir, f)).isFile());
}

export async function startRecording(ctx: AriContext, target: RecordTarget, p: Values) {
  const name = p.name as string, format = p.format as string;
  const maxDurationSeconds = p.maxDurationSeconds as number, maxSilenceSeconds = p.maxSilenceSeconds as number;
  if (maxDurationSeconds < 0) throw new AriError(400, "maxDurationSeconds cannot be negative");
  if (maxSilenceSeconds < 0) throw new AriError(400, "maxSilenceSeconds cannot be negative");
  if (!safeName(name)) throw new AriError(400, `name: letters, digits, _ . - and / only, not "${name}"`);
  if (!FORMATS.has(format)) throw new AriError(422, `format: ${[...FORMATS].join(", ")}, not "${format}"`);
  const all = lives(ctx);
  if (all.byName.has(name)) throw new AriError(409, `Recording '${name}' already exists and can not be overwritten`);
  const file = join(ctx.recordingDir, `${name}.${format}`);
  if (p.ifExists === "fail" && storedAnyFormat(file)) throw new AriError(409, `Recording '${name}' already exists and can not be overwritten`);
  mkdirSync(dirname(file), { recursive: true });

  const now = ctx.core.clock.now();
  const r: Live = { actor: `recording:${name}@${now}`, target, file };
  const spawn: StartRecordingInput = {
    source: "ari", type: "start", name, format, target: target.uri, file, ifExists: p.ifExists as string,
    maxDurationSeconds, maxSilenceSeconds, terminateOn: p.terminateOn as string, beep: p.beep === true,
  };
  const linkedid = target.linkedid();
  const queued = ctx.core.runtime.spawn("recording", r.actor, spawn, linkedid ? { linkedid } : {}).state as { value: string; context: RecordingContext };
  all.byName.set(name, r);
  const apps = () => target.apps();
  const emit = (type: string, state: { value: string; context: RecordingContext } | undefined) => {
    if (state) ctx.stasis.emit(apps(), type, { recording: json(state, ctx.core.clock.now()) });
  };

  const begin = async (): Promise<{ value: string; context: RecordingContext } | undefined> => {
    if (spawn.beep) await target.beep();
    // Stopped or cancelled while the beep played: disregarded, as Asterisk does a queued recording.
    if (all.state(r)?.context.reason !== undefined) { finish({ durationMs: 0 }); return undefined; }
    const started = await target.start(file, { append: p.ifExists === "append", maxSilenceMs: maxSilenceSeconds * 1000 });
    r.recId = started.id;
    void started.done.then((result) => finish(result));
    const recording = all.send(r, { source: "ari", type: "record" });
    emit("RecordingStarted", recording);
    return recording;
  };
  const finish = (result: MixMonitorResult) => {
    all.byName.delete(name);
    const canceled = all.state(r)?.context.reason === "cancel";
    // A cancelled recording's file goes (one never started leaves a stored one of that name alone).
    if (canceled && r.recId) { try { unlinkSync(file); } catch { /* already gone */ } }
    const error = result.error ?? (!canceled && !existsSync(file) ? "the file was not written" : undefined);
    const end = all.send(r, {
      source: "media", type: "finish", durationMs: result.durationMs,
      ...(result.talkingMs !== undefined ? { talkingMs: result.talkingMs } : {}), ...(result.silence ? { silence: true } : {}), ...(error ? { error } : {}),
    });
    emit(end?.value === "failed" ? "RecordingFailed" : "RecordingFinished", end);
  };
  const failed = (e: Error) => {
    all.byName.delete(name);
    return all.send(r, { source: "ari", type: "fail", cause: e.message });
  };

  if (spawn.beep) {
    // The answer does not wait for the beep: the recording is queued until it has played.
    void begin().catch((e: Error) => emit("RecordingFailed", failed(e)));
    return { status: 201, body: json(queued, now) };
  }
  try {
    const recording = await begin();
    return { status: 201, body: recording ? json(recording, ctx.core.clock.now()) : {} };
  } catch (e) {
    failed(e as Error);
    throw new AriError(409, `${target.uri.startsWith("bridge:") ? "Bridge" : "Channel"} cannot be recorded: ${(e as Error).message}`);
  }
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
  const all = lives(ctx);
  const liveOne = (name: string) => {
    const r = all.byName.get(name);
    const state = r && all.state(r);
    if (!r || !state) throw new AriError(404, "Recording not found");
    return { r, state };
  };
  // Pausing while paused, or resuming while recording, is Asterisk's 409; muting is allowed in either state.
  const control = (method: "POST" | "DELETE", suffix: string, nickname: string, summary: string, input: "pause" | "unpause" | "mute" | "unmute"): Operation => ({
    method, path: `/recordings/live/{recordingName}${suffix}`, nickname, summary, responseClass: "void", params: [path("recordingName")],
    errors: [{ code: 404, reason: "Recording not found" }, { code: 409, reason: "Recording not in session" }],
    handler: async ({ params }) => {
      const { r, state } = liveOne(params.recordingName as string);
      const change = input === "pause" || input === "unpause" ? { paused: input === "pause" } : { muted: input === "mute" };
      if (change.paused !== undefined && state.value !== (change.paused ? "recording" : "paused")) throw new AriError(409, "Recording not in session");
      if (!r.recId || !await r.target.control(r.recId, change).catch(() => false)) throw new AriError(409, "Recording not in session");
      all.send(r, { source: "ari", type: input });
      return noContent;
    },
  });
  const stop = async (name: string, reason: "stop" | "cancel") => {
    const { r, state } = liveOne(name);
    all.send(r, { source: "ari", type: "stop", reason: state.value === "queued" ? "cancel" : reason });
    if (r.recId) await r.target.stop(r.recId, false).catch(() => undefined);
    return noContent;
  };
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
      handler: ({ params }) => ok(json(liveOne(params.recordingName as string).state, ctx.core.clock.now())) },
    control("POST", "/pause", "pause", "Pause a live recording.", "pause"),
    control("DELETE", "/pause", "unpause", "Unpause a live recording.", "unpause"),
    control("POST", "/mute", "mute", "Mute a live recording.", "mute"),
    control("DELETE", "/mute", "unmute", "Unmute a live recording.", "unmute"),
    { method: "POST", path: "/recordings/live/{recordingName}/stop", nickname: "stop", summary: "Stop a live recording and store it.", responseClass: "void", params: [path("recordingName")],
      handler: ({ params }) => stop(params.recordingName as string, "stop") },
    { method: "DELETE", path: "/recordings/live/{recordingName}", nickname: "cancel", summary: "Stop a live recording and discard it.", responseClass: "void", params: [path("recordingName")],
      handler: ({ params }) => stop(params.recordingName as string, "cancel") },
  ];
  return { name: "recordings", description: "Recording resources", operations };
}
