/**
 * Call-progress tones from indications.conf tone lists:
 *   element = [!]freq[+|*freq2][/duration] ; tonelist = element[,element]*
 * "+" mixes two frequencies, "*" modulates the first by the second (90 % depth);
 * elements marked "!" play once, the others repeat, so a list of only "!" elements
 * ends by itself. An element without a duration lasts for ever.
 */

export class ToneError extends Error { override readonly name = "ToneError"; }

export interface ToneElement { f1: number; f2: number; modulate: boolean; ms: number | undefined; once: boolean }

export function parseToneList(list: string): ToneElement[] {
  const out: ToneElement[] = [];
  for (const raw of list.split(",")) {
    const s = raw.trim();
    if (!s) continue;
    const m = /^(!)?(\d+(?:\.\d+)?)(?:([+*])(\d+(?:\.\d+)?))?(?:\/(\d+))?$/.exec(s);
    if (!m) throw new ToneError(`bad tone element "${s}"`);
    const f1 = Number(m[2]), f2 = m[4] ? Number(m[4]) : 0;
    if (f1 > 4000 || f2 > 4000) throw new ToneError(`frequency above 4000 Hz in "${s}"`);
    out.push({ once: !!m[1], f1, f2, modulate: m[3] === "*", ms: m[5] !== undefined ? Number(m[5]) : undefined });
  }
  if (!out.length) throw new ToneError("empty tone list");
  return out;
}

/**
 * The call-progress tones of indications.conf's `us` zone (Asterisk's default country),
 * by name: what `tone:busy` and Playtones(busy) play. The frequencies and cadences are
 * those of the North American call-progress standard.
 */
export const US_TONES: Readonly<Record<string, string>> = {
  dial: "350+440",
  busy: "480+620/500,0/500",
  ring: "440+480/2000,0/4000",
  congestion: "480+620/250,0/250",
  callwaiting: "440/300,0/10000",
  dialrecall: "!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440",
  record: "1400/500,0/15000",
  info: "!950/330,!1400/330,!1800/330,0",
  stutter: "!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440",
};

/** A tone by name (`busy`) or a tone list as written (`!950/330,...`); undefined when it is neither. */
export function toneList(nameOrList: string): string | undefined {
  const named = US_TONES[nameOrList.trim().toLowerCase()];
  if (named) return named;
  try { parseToneList(nameOrList); return nameOrList.trim(); } catch { return undefined; }
}

/** indications.conf ringcadence (on,off,on,off... ms) as a tone list over `freq`. */
export function ringCadenceToneList(cadence: string, freq = "440+480"): string {
  const parts = cadence.split(",").map((x) => x.trim()).filter(Boolean);
  if (!parts.length || parts.some((p) => !/^\d+$/.test(p))) throw new ToneError(`bad ringcadence "${cadence}"`);
  return parts.map((ms, i) => (i % 2 === 0 ? `${freq}/${ms}` : `0/${ms}`)).join(",");
}

const AMPLITUDE = 0.22 * 32767; // each component near -16 dBm0: two of them never clip

/** Produces 8 kHz frames of a tone list, phase-continuous across frames. */
export class ToneGenerator {
  private idx = 0;
  private left: number;
  private t = 0;
  private firstPass = true;
  done = false;
  constructor(private readonly elements: ToneElement[]) {
    this.left = this.samplesOf(elements[0]);
  }

  private samplesOf(e: ToneElement): number { return e.ms === undefined ? Infinity : Math.round(e.ms * 8); }

  private advance(): void {
    for (let guard = 0; guard <= this.elements.length * 2; guard++) {
      this.idx++;
      if (this.idx >= this.elements.length) { this.idx = 0; this.firstPass = false; }
      const e = this.elements[this.idx];
      if (this.firstPass || !e.once) { this.left = this.samplesOf(e); this.t = 0; return; }
    }
    this.done = true; // every element was "!" and all have played
  }

  /** Fills `out` (160 samples); returns false once the list has ended. */
  fill(out: Int16Array): boolean {
    for (let i = 0; i < out.length; i++) {
      while (!this.done && this.left <= 0) this.advance();
      if (this.done) { out.fill(0, i); return i > 0; }
      const e = this.elements[this.idx], x = this.t / 8000;
      let v: number;
      if (e.f1 === 0 && e.f2 === 0) v = 0;
      else if (e.modulate) v = AMPLITUDE * Math.sin(2 * Math.PI * e.f1 * x) * (1 + 0.9 * Math.sin(2 * Math.PI * e.f2 * x)) / 1.9;
      else v = AMPLITUDE * (Math.sin(2 * Math.PI * e.f1 * x) + (e.f2 ? Math.sin(2 * Math.PI * e.f2 * x) : 0));
      out[i] = Math.round(v);
      this.t++; this.left--;
    }
    return true;
  }
}
