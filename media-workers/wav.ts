/**
 * WAV (RIFF) reading for prompts and writing for recordings. Prompts must be 8 kHz
 * mono: 16-bit PCM (Asterisk's "wav" format, which is slin) or G.711 in a WAV
 * container. Anything else is a WavError naming what is wrong.
 */
import { ALAW_DECODE, ULAW_DECODE } from "./g711.js";

export class WavError extends Error {
  override readonly name = "WavError";
}

export function parseWav(buf: Uint8Array): Int16Array {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.toString("latin1", 0, 4) !== "RIFF" || b.toString("latin1", 8, 12) !== "WAVE") throw new WavError("not a RIFF/WAVE file");
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  for (let pos = 12; pos + 8 <= b.length;) {
    const id = b.toString("latin1", pos, pos + 4);
    const size = b.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > b.length) throw new WavError("truncated fmt chunk");
      fmt = { format: b.readUInt16LE(body), channels: b.readUInt16LE(body + 2), rate: b.readUInt32LE(body + 4), bits: b.readUInt16LE(body + 14) };
    } else if (id === "data") {
      if (!fmt) throw new WavError("data chunk before fmt chunk");
      if (fmt.channels !== 1 || fmt.rate !== 8000) throw new WavError(`need 8000 Hz mono, got ${fmt.rate} Hz × ${fmt.channels}`);
      // A writer that died before fixing the header leaves a size past the end: take what is there.
      const end = Math.min(b.length, body + size);
      if (fmt.format === 1 && fmt.bits === 16) {
        const n = (end - body) >> 1, out = new Int16Array(n);
        for (let i = 0; i < n; i++) out[i] = b.readInt16LE(body + 2 * i);
        return out;
      }
      if ((fmt.format === 7 || fmt.format === 6) && fmt.bits === 8) {
        const table = fmt.format === 7 ? ULAW_DECODE : ALAW_DECODE, out = new Int16Array(end - body);
        for (let i = 0; i < out.length; i++) out[i] = table[b[body + i]];
        return out;
      }
      throw new WavError(`unsupported WAV encoding (format ${fmt.format}, ${fmt.bits} bits)`);
    }
    if (size > b.length) break;
    pos = body + size + (size & 1);
  }
  throw new WavError("no data chunk");
}

/** The 44-byte header of a 16-bit 8 kHz mono WAV holding `dataBytes` of samples. */
export function wavHeader(dataBytes: number, rate = 8000): Buffer {
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "latin1"); h.writeUInt32LE(36 + dataBytes, 4); h.write("WAVE", 8, "latin1");
  h.write("fmt ", 12, "latin1"); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24); h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34);
  h.write("data", 36, "latin1"); h.writeUInt32LE(dataBytes, 40);
  return h;
}

/**
 * Where the samples of an existing recording start and how many bytes they take, for
 * MixMonitor's append option. Only the format Recall writes (8 kHz mono 16-bit PCM) can
 * be appended to; anything else is a WavError.
 */
export function wavDataChunk(head: Uint8Array, fileBytes: number): { dataAt: number; dataBytes: number } {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < 12 || b.toString("latin1", 0, 4) !== "RIFF" || b.toString("latin1", 8, 12) !== "WAVE") throw new WavError("not a RIFF/WAVE file");
  let pcm16 = false;
  for (let pos = 12; pos + 8 <= b.length;) {
    const id = b.toString("latin1", pos, pos + 4), size = b.readUInt32LE(pos + 4), body = pos + 8;
    if (id === "fmt ") {
      if (body + 16 > b.length) throw new WavError("truncated fmt chunk");
      pcm16 = b.readUInt16LE(body) === 1 && b.readUInt16LE(body + 2) === 1 && b.readUInt32LE(body + 4) === 8000 && b.readUInt16LE(body + 14) === 16;
    } else if (id === "data") {
      if (!pcm16) throw new WavError("can only append to 8000 Hz mono 16-bit PCM");
      // A recording cut short keeps a size of 0 or one past the end: the file's length decides.
      const dataBytes = Math.min(size === 0 ? Infinity : size, fileBytes - body) & ~1;
      return { dataAt: body, dataBytes: Math.max(0, dataBytes) };
    }
    pos = body + size + (size & 1);
  }
  throw new WavError("no data chunk");
}
