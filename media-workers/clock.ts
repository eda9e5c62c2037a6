/**
 * The 20 ms media clock. Each tick is scheduled against an absolute deadline
 * (start + n × period on the monotonic clock), so timer lateness never accumulates
 * into drift; when the thread was stalled the clock catches up a few frames at once
 * and, past that, skips ahead and counts the frames it lost.
 */
import { performance } from "node:perf_hooks";

/** How early a timer is aimed, and how early a tick may run (ms). */
const EARLY_MS = 0.5;

export interface ClockStats { ticks: number; skipped: number; lateMeanMs: number; lateP99Ms: number; lateMaxMs: number }

/** Lateness histogram: 0.1 ms buckets up to 50 ms, the last one for anything later. */
const BUCKET_MS = 0.1, BUCKETS = 501;

export class MediaClock {
  private timer: NodeJS.Timeout | undefined;
  private start = 0;
  private n = 0;
  private lateSum = 0;
  private lateMax = 0;
  private ticks = 0;
  private skipped = 0;
  private readonly lateHist = new Uint32Array(BUCKETS);
  constructor(private readonly periodMs: number, private readonly onTick: (now: number) => void, private readonly maxCatchUp = 5) {}

  /** `phaseMs` shifts this clock against others (workers tick at different moments, not all at once). */
  begin(phaseMs = 0): void {
    this.start = performance.now() + phaseMs;
    this.n = 0;
    this.schedule();
  }

  private schedule(): void {
    const due = this.start + (this.n + 1) * this.periodMs;
    // Timers fire no earlier than asked and usually ~1 ms late; aim a little early.
    const wait = Math.max(0, due - performance.now() - EARLY_MS);
    this.timer = setTimeout(this.fire, wait);
  }

  private readonly fire = (): void => {
    let now = performance.now();
    let due = this.start + (this.n + 1) * this.periodMs;
    let caught = 0;
    // A tick up to EARLY_MS before its deadline counts as on time (the timer was aimed
    // that early): spinning the rest away would cost a fifth of a core per worker.
    while (now >= due - EARLY_MS) {
      if (caught === this.maxCatchUp) {
        const behind = Math.floor((now - due) / this.periodMs) + 1;
        this.skipped += behind; this.n += behind;
        break;
      }
      const late = Math.max(0, now - due);
      this.lateSum += late; this.ticks++;
      if (late > this.lateMax) this.lateMax = late;
      this.lateHist[Math.min(BUCKETS - 1, Math.floor(late / BUCKET_MS))]++;
      this.n++; caught++;
      try { this.onTick(now); } catch { /* a tick's failure must not stop the clock */ }
      now = performance.now();
      due = this.start + (this.n + 1) * this.periodMs;
    }
    if (this.timer !== undefined) this.schedule();
  };

  stop(): void { if (this.timer) clearTimeout(this.timer); this.timer = undefined; }

  stats(reset = false): ClockStats {
    let p99 = 0;
    for (let i = 0, seen = 0; i < BUCKETS; i++) { seen += this.lateHist[i]; if (seen >= this.ticks * 0.99) { p99 = (i + 1) * BUCKET_MS; break; } }
    const s = { ticks: this.ticks, skipped: this.skipped, lateMeanMs: this.ticks ? this.lateSum / this.ticks : 0, lateP99Ms: p99, lateMaxMs: this.lateMax };
    if (reset) { this.ticks = 0; this.lateSum = 0; this.lateMax = 0; this.skipped = 0; this.lateHist.fill(0); }
    return s;
  }
}
