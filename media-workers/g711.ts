/**
 * G.711 µ-law and A-law (ITU-T G.711) with lookup tables: decoding is one table read,
 * encoding one read in a 64 Ki table indexed by the 16-bit sample, so transcoding a
 * 160-sample frame costs a few hundred nanoseconds.
 */

function ulawEncodeSample(s: number): number {
  const BIAS = 0x84, CLIP = 32635;
  let sign = 0;
  if (s < 0) { s = -s; sign = 0x80; }
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
  const mant = (s >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

function ulawDecodeSample(u: number): number {
  u = ~u & 0xff;
  const sign = u & 0x80, exp = (u >> 4) & 7, mant = u & 0x0f;
  const s = (((mant << 3) + 0x84) << exp) - 0x84;
  return sign ? -s : s;
}

function alawEncodeSample(s: number): number {
  let sign = 0x80;
  if (s < 0) { s = -s - 1; sign = 0; }
  if (s > 32767) s = 32767;
  let out: number;
  if (s < 256) out = s >> 4;
  else {
    let exp = 1;
    for (let v = s >> 8; v > 1; v >>= 1) exp++;
    out = (exp << 4) | ((s >> (exp + 3)) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

function alawDecodeSample(a: number): number {
  a ^= 0x55;
  const sign = a & 0x80, exp = (a >> 4) & 7, mant = a & 0x0f;
  let s = exp === 0 ? (mant << 4) + 8 : ((mant << 4) + 0x108) << (exp - 1);
  return sign ? s : -s;
}

export const ULAW_DECODE = new Int16Array(256);
export const ALAW_DECODE = new Int16Array(256);
const ULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
const ULAW_TO_ALAW = new Uint8Array(256);
const ALAW_TO_ULAW = new Uint8Array(256);
for (let i = 0; i < 256; i++) { ULAW_DECODE[i] = ulawDecodeSample(i); ALAW_DECODE[i] = alawDecodeSample(i); }
for (let i = 0; i < 65536; i++) { const s = (i << 16) >> 16; ULAW_ENCODE[i] = ulawEncodeSample(s); ALAW_ENCODE[i] = alawEncodeSample(s); }
for (let i = 0; i < 256; i++) { ULAW_TO_ALAW[i] = ALAW_ENCODE[ULAW_DECODE[i] & 0xffff]; ALAW_TO_ULAW[i] = ULAW_ENCODE[ALAW_DECODE[i] & 0xffff]; }

export type Codec = "ulaw" | "alaw" | "slin";
export const MEDIA_CODECS: readonly Codec[] = ["ulaw", "alaw", "slin"];
export function isCodec(c: string): c is Codec { return (MEDIA_CODECS as readonly string[]).includes(c); }

/** Bytes one 20 ms frame of 8 kHz audio takes in `codec`. */
export function frameBytes(codec: Codec, samples = 160): number { return codec === "slin" ? samples * 2 : samples; }

/** RTP payload → linear samples. L16 on the wire is big-endian (RFC 3551 §4.5.11). */
export function decode(codec: Codec, payload: Uint8Array, out?: Int16Array): Int16Array {
  const n = codec === "slin" ? payload.length >> 1 : payload.length;
  const pcm = out && out.length >= n ? out.subarray(0, n) : new Int16Array(n);
  if (codec === "ulaw") for (let i = 0; i < n; i++) pcm[i] = ULAW_DECODE[payload[i]];
  else if (codec === "alaw") for (let i = 0; i < n; i++) pcm[i] = ALAW_DECODE[payload[i]];
  else for (let i = 0; i < n; i++) pcm[i] = (payload[2 * i] << 24 >> 16) | payload[2 * i + 1];
  return pcm;
}

/** Linear samples → RTP payload written into `out` at `offset`; returns bytes written. */
export function encodeInto(codec: Codec, pcm: Int16Array, out: Uint8Array, offset: number): number {
  const n = pcm.length;
  if (codec === "ulaw") { for (let i = 0; i < n; i++) out[offset + i] = ULAW_ENCODE[pcm[i] & 0xffff]; return n; }
  if (codec === "alaw") { for (let i = 0; i < n; i++) out[offset + i] = ALAW_ENCODE[pcm[i] & 0xffff]; return n; }
  for (let i = 0; i < n; i++) { out[offset + 2 * i] = (pcm[i] >> 8) & 0xff; out[offset + 2 * i + 1] = pcm[i] & 0xff; }
  return 2 * n;
}

export function encode(codec: Codec, pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(frameBytes(codec, pcm.length));
  encodeInto(codec, pcm, out, 0);
  return out;
}

/** Payload in one codec → the other, in place when both are one byte per sample. */
export function transcode(from: Codec, to: Codec, payload: Uint8Array): Uint8Array {
  if (from === to) return payload;
  if (from === "ulaw" && to === "alaw") { const o = new Uint8Array(payload.length); for (let i = 0; i < o.length; i++) o[i] = ULAW_TO_ALAW[payload[i]]; return o; }
  if (from === "alaw" && to === "ulaw") { const o = new Uint8Array(payload.length); for (let i = 0; i < o.length; i++) o[i] = ALAW_TO_ULAW[payload[i]]; return o; }
  return encode(to, decode(from, payload));
}
