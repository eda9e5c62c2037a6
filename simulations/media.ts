/**
 * Media in a simulation: no worker threads and no audio. Simulated phones send no RTP,
 * so sessions are only names and ports; a prompt "plays" for a fixed virtual time per
 * file (the sound files' real lengths are not read), music on hold and tones last until
 * stopped. What the call core sees (offers, answers, playback results) is real SDP and
 * real timing on the virtual clock, so dialplan applications behave as in production.
 */
import type { Clock, Timer } from "../core/clock.js";
import type { MediaService, PlayResult, SessionEvent } from "../media-workers/index.js";

/** Virtual time one sound file takes to play. */
export const PROMPT_MICROS = 2_000_000;

export class SimMediaService {
  private next = 0;
  private readonly playing = new Map<string, { timer?: Timer; done: (r: PlayResult) => void }>();
  readonly sessions = new Set<string>();

  constructor(private readonly clock: Clock) {}

  /** As the media workers' MediaService, for CallMedia. */
  asService(): MediaService { return this as unknown as MediaService; }

  onEvent(_listener: (e: SessionEvent) => void): () => void { return () => undefined; }
  onDtmf(_id: string, _listener: (e: { digit: string }) => void): () => void { return () => undefined; }

  async createSession(_o: { codecs: string[] }): Promise<{ id: string; localPort: number; localAddress: string }> {
    const n = this.next++;
    const id = `sim-${n}`;
    this.sessions.add(id);
    return { id, localPort: 20_000 + 2 * (n % 20_000), localAddress: "10.0.0.1" };
  }

  async setRemote(): Promise<void> {}

  play(id: string, files: string[]): Promise<PlayResult> {
    return this.hold(id, PROMPT_MICROS * Math.max(1, files.length));
  }

  startMoh(id: string): Promise<PlayResult> { return this.hold(id); }

  async stopPlayback(id: string): Promise<void> { this.finish(id, { status: "SUCCESS", stopped: true }); }
  async stopMoh(id: string): Promise<void> { return this.stopPlayback(id); }
  async tones(): Promise<void> {}
  async stopTones(): Promise<void> {}
  async bridge(): Promise<void> {}
  async joinMix(): Promise<void> {}
  async unbridge(): Promise<void> {}
  async echo(): Promise<void> {}
  async sendDtmf(): Promise<void> {}
  async record(): Promise<void> { throw new Error("recording is not simulated"); }
  async stopRecord(_id: string, recId = ""): Promise<{ recId: string; path: string; durationMs: number }> { return { recId, path: "", durationMs: 0 }; }
  async controlRecord(): Promise<void> {}
  async audioSocket(): Promise<never> { throw new Error("AudioSocket is not simulated"); }
  async stopAudioSocket(): Promise<void> {}
  async stats(): Promise<unknown> { return {}; }

  async destroySession(id: string): Promise<void> {
    this.finish(id, { status: "SUCCESS", stopped: true });
    this.sessions.delete(id);
  }

  async stop(): Promise<void> {}

  private hold(id: string, micros?: number): Promise<PlayResult> {
    this.finish(id, { status: "SUCCESS", stopped: true });
    return new Promise<PlayResult>((resolve) => {
      const entry: { timer?: Timer; done: (r: PlayResult) => void } = { done: resolve };
      if (micros !== undefined) entry.timer = this.clock.schedule(this.clock.now() + micros, () => this.finish(id, { status: "SUCCESS" }));
      this.playing.set(id, entry);
    });
  }

  private finish(id: string, result: PlayResult): void {
    const p = this.playing.get(id);
    if (!p) return;
    this.playing.delete(id);
    p.timer?.cancel();
    p.done(result);
  }
}
