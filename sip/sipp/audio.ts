/**
 * Audio for the real-peer media tests, written apart from media-workers/ so that a test
 * does not check Recall's codec with Recall's own code: G.711 µ-law (ITU-T G.711, the
 * classic segment encoder with bias 0x84 and clip 32635, as Asterisk, baresip and sipp's
 * captures use), 16-bit mono WAV files, and the comparison of audio that went through a
 * call with the audio that was sent.
 */
import { readFileSync } from "node:fs";
import { createSocket } from "node:dgram";

export function ulawEncode(sample: number): number {
  let s = sample, sign = 0;
  if (s < 0) { s = -s; sign = 0x80; }
  s = Math.min(s, 32635) + 0x84;
  let exponent = 7;
  while (exponent > 0 && (s & (0x4000 >> (7 - exponent))) === 0) exponent--;
  return ~(sign | (exponent << 4) | ((s >> (exponent + 3)) & 0x0f)) & 0xff;
}

export function ulawDecode(byte: number): number {
  const u = ~byte & 0xff, exponent = (u >> 4) & 7;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

export const toUlaw = (pcm: Int16Array): Uint8Array => Uint8Array.from(pcm, ulawEncode);
export const fromUlaw = (ulaw: Uint8Array): Int16Array => Int16Array.from(ulaw, ulawDecode);

/** The samples of a 16-bit PCM mono WAV file (its `data` chunk), checking the format. */
export function readWav(path: string, rate = 8000): Int16Array {
  const b = readFileSync(path);
  if (b.toString("latin1", 0, 4) !== "RIFF" || b.toString("latin1", 8, 12) !== "WAVE") throw new Error(`${path}: not a WAV file`);
  let fmt = false;
  for (let at = 12; at + 8 <= b.length;) {
    const id = b.toString("latin1", at, at + 4), size = b.readUInt32LE(at + 4);
    if (id === "fmt ") {
      const [format, channels, r, bits] = [b.readUInt16LE(at + 8), b.readUInt16LE(at + 10), b.readUInt32LE(at + 12), b.readUInt16LE(at + 22)];
      if ((format !== 1 && format !== 0xfffe) || channels !== 1 || r !== rate || bits !== 16) {
        throw new Error(`${path}: format ${format}, ${channels} channels, ${r} Hz, ${bits} bits; want 16-bit mono ${rate} Hz`);
      }
      fmt = true;
    }
    if (id === "data") {
      if (!fmt) throw new Error(`${path}: data before fmt`);
      // A writer that died before patching the header leaves size 0 or too large: take what is there.
      const end = size === 0 || at + 8 + size > b.length ? b.length : at + 8 + size;
      const data = b.subarray(at + 8, end - ((end - at - 8) & 1));
      return new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
    }
    at += 8 + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

/** A 16-bit mono WAV file's bytes. */
export function wavFile(pcm: Int16Array, rate = 8000): Buffer {
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "latin1"); h.writeUInt32LE(36 + pcm.length * 2, 4); h.write("WAVEfmt ", 8, "latin1");
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34);
  h.write("data", 36, "latin1"); h.writeUInt32LE(pcm.length * 2, 40);
  return Buffer.concat([h, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)]);
}

/** `ulaw` cut in 160-byte (20 ms) frames, the last padded with µ-law silence. */
export function frames(ulaw: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < ulaw.length; at += 160) {
    const f = new Uint8Array(160).fill(0xff);
    f.set(ulaw.subarray(at, at + 160));
    out.push(f);
  }
  return out;
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Pearson correlation of two equally long signals (0 when either is constant). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let sa = 0, sb = 0;
  for (let i = 0; i < n; i++) { sa += a[i]; sb += b[i]; }
  const ma = sa / n, mb = sb / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) { const x = a[i] - ma, y = b[i] - mb; ab += x * y; aa += x * x; bb += y * y; }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

export interface ReceivedFrame {
  /** The RTP timestamp it came with. */
  readonly timestamp: number;
  readonly payload: Uint8Array;
}

export interface FrameMatch {
  /** Sent frame index of the first received frame (the alignment found). */
  readonly offset: number;
  /** Received frames compared (those that fall on a sent frame once aligned) and how many are byte for byte the sent one. */
  readonly compared: number;
  readonly identical: number;
  /** Correlation of the decoded received audio with the decoded sent audio at the same places. */
  readonly correlation: number;
}

/**
 * Lines up received µ-law frames with the frames sent: each received frame sits at its
 * RTP timestamp's distance (in 20 ms frames) from the first received one, which RTP
 * keeps through a relay even when packets are lost; the one offset into the sent frames
 * that makes the most frames identical wins. Only the timing (where the stream starts,
 * lost packets) may differ; the content is then compared sample for sample.
 */
export function matchFrames(sent: readonly Uint8Array[], received: readonly ReceivedFrame[]): FrameMatch {
  if (received.length === 0) return { offset: 0, compared: 0, identical: 0, correlation: 0 };
  const t0 = received[0].timestamp;
  const at = received.map((r) => Math.round((((r.timestamp - t0) | 0)) / 160));
  let best = { offset: 0, compared: 0, identical: -1 };
  for (let offset = -at[at.length - 1]; offset < sent.length; offset++) {
    let compared = 0, identical = 0;
    received.forEach((r, i) => {
      const s = sent[at[i] + offset];
      if (!s) return;
      compared++;
      if (equal(s, r.payload)) identical++;
    });
    if (identical > best.identical) best = { offset, compared, identical };
  }
  const a: number[] = [], b: number[] = [];
  received.forEach((r, i) => {
    const s = sent[at[i] + best.offset];
    if (!s) return;
    for (let k = 0; k < Math.min(s.length, r.payload.length); k++) { a.push(ulawDecode(s[k])); b.push(ulawDecode(r.payload[k])); }
  });
  return { ...best, identical: Math.max(0, best.identical), correlation: correlation(a, b) };
}

export interface PcmMatch {
  /** 20 ms frames of the received audio that are not silent. */
  readonly voiced: number;
  /** Of those, how many equal (sample for sample) a frame of the reference at one common offset. */
  readonly identical: number;
  /** Sample offset of the received audio into the reference. */
  readonly lag: number;
  /** Correlation of the received audio with the reference at that offset, over the voiced frames. */
  readonly correlation: number;
}

/**
 * Finds where linear audio that went through a call (e.g. a softphone's dump of what it
 * decoded) sits in the reference it should be, and how much of it is exactly that
 * reference. The received audio's frames need not start on the reference's frame
 * boundaries: each voiced received frame is looked up by its content among every
 * 160-sample window of the reference; the most common offset wins. "Identical" means
 * the same µ-law codes (what went over the wire), whichever way each side decoded them.
 */
export function matchPcm(reference: Int16Array, received: Int16Array, silence = 64): PcmMatch {
  // Frames are compared as G.711 µ-law codes, +0 and -0 as one: decoders differ there (baresip's gives ±2).
  const codes = (pcm: Int16Array) => Uint8Array.from(pcm, (x) => { const u = ulawEncode(x); return u === 0x7f ? 0xff : u; });
  const [ref, got] = [codes(reference), codes(received)];
  const key = (c: Uint8Array, at: number) => Buffer.from(c.buffer, c.byteOffset + at, 160).toString("latin1");
  const index = new Map<string, number[]>();
  for (let at = 0; at + 160 <= reference.length; at++) {
    const k = key(ref, at);
    const list = index.get(k);
    if (list) list.push(at); else index.set(k, [at]);
  }
  const votes = new Map<number, number>();
  let voiced = 0;
  const voicedAt: number[] = [];
  for (let at = 0; at + 160 <= received.length; at += 160) {
    let peak = 0;
    for (let k = at; k < at + 160; k++) peak = Math.max(peak, Math.abs(received[k]));
    if (peak <= silence) continue;
    voiced++;
    voicedAt.push(at);
    for (const r of index.get(key(got, at)) ?? []) votes.set(r - at, (votes.get(r - at) ?? 0) + 1);
  }
  let lag = 0, identical = 0;
  for (const [l, n] of votes) if (n > identical) { lag = l; identical = n; }
  const a: number[] = [], b: number[] = [];
  for (const at of voicedAt) {
    for (let k = at; k < at + 160; k++) {
      const r = k + lag;
      if (r >= 0 && r < reference.length) { a.push(reference[r]); b.push(received[k]); }
    }
  }
  return { voiced, identical, lag, correlation: correlation(a, b) };
}

/** How much of the signal's energy is at `hz` (Goertzel): about 1 for a pure tone, 0.5 for each of two equal tones, 0 for silence or another tone. */
export function toneShare(pcm: Int16Array, hz: number): number {
  const k = (2 * Math.PI * hz) / 8000, c = 2 * Math.cos(k);
  let s1 = 0, s2 = 0, energy = 0;
  for (const x of pcm) { const s = x + c * s1 - s2; s2 = s1; s1 = s; energy += x * x; }
  const power = s1 * s1 + s2 * s2 - c * s1 * s2;
  return energy === 0 ? 0 : (2 * power) / (pcm.length * energy);
}

export const rms = (pcm: Int16Array): number => Math.sqrt(pcm.reduce((a, x) => a + x * x, 0) / Math.max(1, pcm.length));

/** A socket a phone's SDP can name: every µ-law RTP packet it gets, decoded, with its arrival time (ms). */
export interface UlawListener {
  readonly port: number;
  readonly frames: { readonly at: number; readonly pcm: Int16Array }[];
  close(): void;
}

export async function listenUlaw(): Promise<UlawListener> {
  const sock = createSocket("udp4");
  const frames: { at: number; pcm: Int16Array }[] = [];
  sock.on("message", (m) => {
    if (m.length < 12 || m[0] >> 6 !== 2 || (m[1] & 0x7f) !== 0) return;
    let start = 12 + 4 * (m[0] & 0x0f);
    if (m[0] & 0x10 && m.length >= start + 4) start += 4 + 4 * m.readUInt16BE(start + 2);
    frames.push({ at: Date.now(), pcm: fromUlaw(new Uint8Array(m.subarray(start))) });
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  return { port: sock.address().port, frames, close: () => sock.close() };
}
