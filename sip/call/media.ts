/**
 * The media a call leg needs before the media workers carry audio: an SDP answer that
 * accepts the caller's offer, and prompts that take as long as their sound file lasts.
 * This is signalling-true and silent: no RTP is sent yet (see the README). The
 * media workers replace it behind the same interface.
 */
import { existsSync, openSync, readSync, closeSync } from "node:fs";
import { join } from "node:path";

export interface CallMedia {
  /** Our SDP answer to `offer` (or an offer of our own when there is none). */
  answer(offer: Buffer | undefined, sessionId: number): Buffer;
  /** Milliseconds one prompt lasts, or undefined when the file does not exist. */
  promptMs(file: string, language: string): number | undefined;
}

const CODECS: Readonly<Record<string, { pt: number; rtpmap: string }>> = {
  ulaw: { pt: 0, rtpmap: "PCMU/8000" },
  alaw: { pt: 8, rtpmap: "PCMA/8000" },
};

/** WAV data length / byte rate, or undefined when it is not a readable WAV. */
function wavMs(path: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n < 44 || head.toString("latin1", 0, 4) !== "RIFF" || head.toString("latin1", 8, 12) !== "WAVE") return undefined;
    let byteRate = 16000;
    for (let pos = 12; pos + 8 <= n;) {
      const id = head.toString("latin1", pos, pos + 4), size = head.readUInt32LE(pos + 4);
      if (id === "fmt ") byteRate = head.readUInt32LE(pos + 12) || byteRate;
      if (id === "data") return Math.round((size / byteRate) * 1000);
      pos += 8 + size + (size & 1);
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export class SilentMedia implements CallMedia {
  constructor(private readonly address: string, private readonly codecs: readonly string[], private readonly soundsDir: string) {}

  answer(offer: Buffer | undefined, sessionId: number): Buffer {
    const text = offer?.toString("latin1") ?? "";
    const m = /^m=audio \d+ RTP\/AVP ([\d ]+)/m.exec(text);
    const offered = m ? m[1].trim().split(/\s+/).map(Number) : undefined;
    const ours = this.codecs.map((c) => CODECS[c]).filter((c) => c !== undefined);
    const chosen = offered ? ours.filter((c) => offered.includes(c.pt)) : ours;
    const pick = chosen.length ? chosen : ours.slice(0, 1);
    const dtmf = /^a=rtpmap:(\d+) telephone-event\/8000/m.exec(text)?.[1] ?? (offered ? undefined : "101");
    const pts = [...pick.map((c) => c.pt), ...(dtmf ? [Number(dtmf)] : [])];
    const lines = [
      "v=0", `o=- ${sessionId} ${sessionId} IN IP4 ${this.address}`, "s=Recall", `c=IN IP4 ${this.address}`, "t=0 0",
      `m=audio ${10000 + (sessionId % 5000) * 2} RTP/AVP ${pts.join(" ")}`,
      ...pick.map((c) => `a=rtpmap:${c.pt} ${c.rtpmap}`),
      ...(dtmf ? [`a=rtpmap:${dtmf} telephone-event/8000`, `a=fmtp:${dtmf} 0-16`] : []),
      "a=ptime:20", "a=sendrecv", "",
    ];
    return Buffer.from(lines.join("\r\n"), "latin1");
  }

  promptMs(file: string, language: string): number | undefined {
    const base = file.startsWith("/") ? file : join(this.soundsDir, language, file);
    for (const path of [`${base}.wav`, base]) if (existsSync(path)) return wavMs(path);
    return undefined;
  }
}
