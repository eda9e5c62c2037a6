/**
 * AudioSocket framing: 1 byte type, 2 bytes big-endian length, payload. Shared by the
 * worker's client and by test servers.
 */
export const AS_HANGUP = 0x00, AS_UUID = 0x01, AS_DTMF = 0x03, AS_AUDIO = 0x10, AS_ERROR = 0xff;
const KNOWN = new Set([AS_HANGUP, AS_UUID, AS_DTMF, AS_AUDIO, AS_ERROR]);

export interface AsFrame { type: number; payload: Buffer }

export function asFrame(type: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.allocUnsafe(3 + payload.length);
  b[0] = type; b.writeUInt16BE(payload.length, 1); b.set(payload, 3);
  return b;
}

/** 16-byte binary UUID from its text form. */
export function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`bad UUID "${uuid}"`);
  return Buffer.from(hex, "hex");
}

/** Incremental parser over a TCP byte stream; unknown types are a protocol error. */
export class AsParser {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): AsFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: AsFrame[] = [];
    while (this.buf.length >= 3) {
      const type = this.buf[0], len = this.buf.readUInt16BE(1);
      if (!KNOWN.has(type)) throw new Error(`AudioSocket: unknown frame type 0x${type.toString(16)}`);
      if (this.buf.length < 3 + len) break;
      out.push({ type, payload: this.buf.subarray(3, 3 + len) });
      this.buf = this.buf.subarray(3 + len);
    }
    return out;
  }
}
