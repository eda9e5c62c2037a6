/**
 * A playback (POST /channels/{id}/play): a list of media URIs played one after the
 * other on a channel, with PlaybackStarted, PlaybackContinuing (between URIs) and
 * PlaybackFinished. `stop` ends it (state `done`); control `restart` starts the list
 * again. A URI that names nothing playable is `failed`.
 *
 * Media URIs: `sound:NAME` (a file of the sounds directory, in the channel's
 * language), `recording:NAME` (a stored recording), `digits:123`, `characters:abc`,
 * `number:42` (spoken with the say files), `tone:ring|busy|...` or `tone:<tone list>`
 * (indications.conf's `us` tones; `;tonezone=` is accepted and ignored), played until
 * the playback is stopped or a list of `!` elements ends.
 */
import { HangupError, type MediaResult } from "../../calls/channel-api.js";
import { toneList, type MediaService } from "../../media-workers/index.js";

export type PlaybackState = "queued" | "playing" | "continuing" | "done" | "failed" | "cancelled";

/** The files one media URI plays, or undefined when it is not one Recall plays. */
export function mediaFiles(uri: string, recordingDir: string): string[] | undefined {
  const colon = uri.indexOf(":");
  if (colon < 0) return undefined;
  const scheme = uri.slice(0, colon), value = uri.slice(colon + 1);
  if (value === "") return undefined;
  switch (scheme) {
    case "sound": return [value];
    case "recording": return [`${recordingDir}/${value}`];
    case "digits": return [...value].filter((d) => /[0-9*#]/.test(d)).map((d) => `digits/${d === "*" ? "star" : d === "#" ? "pound" : d}`);
    case "characters": return [...value.toLowerCase()].map((c) => /[a-z]/.test(c) ? `letters/${c}` : /[0-9]/.test(c) ? `digits/${c}` : undefined).filter((f): f is string => f !== undefined);
    case "number": {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) return undefined;
      return numberFiles(n);
    }
    default: return undefined;
  }
}

/** English numbers as Asterisk's say.c builds them (digits/N, digits/hundred, digits/thousand). */
function numberFiles(n: number): string[] {
  if (n < 20) return [`digits/${n}`];
  if (n < 100) return [`digits/${Math.floor(n / 10) * 10}`, ...(n % 10 ? [`digits/${n % 10}`] : [])];
  if (n < 1000) return [`digits/${Math.floor(n / 100)}`, "digits/hundred", ...(n % 100 ? numberFiles(n % 100) : [])];
  if (n < 1_000_000) return [...numberFiles(Math.floor(n / 1000)), "digits/thousand", ...(n % 1000 ? numberFiles(n % 1000) : [])];
  return [...numberFiles(Math.floor(n / 1_000_000)), "digits/million", ...(n % 1_000_000 ? numberFiles(n % 1_000_000) : [])];
}

/** What a playback plays on: a channel, or a bridge (every member hears it). */
export interface PlaybackTarget {
  /** `channel:<id>` or `bridge:<id>`. */
  readonly uri: string;
  /** Plays files in order; resolves when they end or `signal` stops them; HangupError when the target goes. */
  play(files: string[], language: string, signal: AbortSignal): Promise<MediaResult>;
  /** Plays a tone list until `signal` stops it or it ends by itself; HangupError when the target goes. */
  tone(list: string, signal: AbortSignal): Promise<MediaResult>;
}

/** The tone list a `tone:` URI's value names (`busy`, `busy;tonezone=us`, `480+620/500,0/500`). */
export function toneOf(value: string): string | undefined {
  return toneList(value.split(";")[0]);
}

/**
 * Tones on a media session until `signal` aborts or the list ends by itself; `gone`
 * (the channel's own signal) aborting means the target hung up (HangupError).
 */
export function playTones(service: MediaService, session: string, list: string, signal: AbortSignal, gone?: AbortSignal): Promise<MediaResult> {
  return new Promise<MediaResult>((resolve, reject) => {
    let over = false;
    const end = (r: MediaResult | Error) => {
      if (over) return;
      over = true;
      off();
      signal.removeEventListener("abort", stop);
      gone?.removeEventListener("abort", hungUp);
      if (r instanceof Error) reject(r); else resolve(r);
    };
    const off = service.onEvent((e) => { if (e.type === "tonesFinished" && e.session === session) end({ status: "SUCCESS" }); });
    const stop = () => { void service.stopTones(session).catch(() => undefined); end({ status: "SUCCESS" }); };
    const hungUp = () => end(new HangupError());
    signal.addEventListener("abort", stop, { once: true });
    gone?.addEventListener("abort", hungUp, { once: true });
    if (signal.aborted) return stop();
    if (gone?.aborted) return hungUp();
    service.tones(session, list).catch(() => end({ status: "FAILED" }));
  });
}

export interface PlaybackEvents {
  started(p: AriPlayback): void;
  continuing(p: AriPlayback): void;
  finished(p: AriPlayback): void;
}

export class AriPlayback {
  state: PlaybackState = "queued";
  private index = 0;
  private aborter = new AbortController();
  private restarting = false;

  constructor(readonly id: string, readonly media: readonly string[], readonly target: PlaybackTarget, readonly language: string,
    private readonly recordingDir: string, private readonly events: PlaybackEvents) {}

  get targetUri(): string { return this.target.uri; }

  json(): Record<string, unknown> {
    return {
      id: this.id, media_uri: this.media[this.index] ?? this.media[this.media.length - 1],
      ...(this.index + 1 < this.media.length ? { next_media_uri: this.media[this.index + 1] } : {}),
      target_uri: this.targetUri, language: this.language, state: this.state,
    };
  }

  /** Plays the list; resolves when it is over however it ended. */
  async run(): Promise<void> {
    for (;;) {
      this.restarting = false;
      for (this.index = 0; this.index < this.media.length; this.index++) {
        const uri = this.media[this.index];
        const tone = uri.startsWith("tone:") ? toneOf(uri.slice(5)) : undefined;
        const files = tone ? [] : mediaFiles(uri, this.recordingDir);
        if (this.index === 0) { this.state = "playing"; this.events.started(this); }
        else { this.state = "continuing"; this.events.continuing(this); this.state = "playing"; }
        if (!tone && (!files || files.length === 0)) { this.state = "failed"; this.events.finished(this); return; }
        try {
          const r = tone ? await this.target.tone(tone, this.aborter.signal) : await this.target.play(files!, this.language, this.aborter.signal);
          if (r.status === "FAILED" && !this.aborter.signal.aborted) { this.state = "failed"; this.events.finished(this); return; }
        } catch (e) {
          this.state = e instanceof HangupError ? "done" : "failed";
          this.events.finished(this);
          return;
        }
        if (this.aborter.signal.aborted) break;
      }
      if (this.restarting) { this.aborter = new AbortController(); continue; }
      this.state = "done";
      this.index = Math.min(this.index, this.media.length - 1);
      this.events.finished(this);
      return;
    }
  }

  stop(): void {
    this.aborter.abort();
  }

  restart(): void {
    this.restarting = true;
    this.aborter.abort();
  }
}
