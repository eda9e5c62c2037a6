/** rtp.conf `[general]` rtpstart / rtpend: the RTP port range (Asterisk's default 10000-20000). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfError, parseConfFile } from "../../conf/tokenizer.js";

export function loadRtpConf(configDir: string): { rtpStart: number; rtpEnd: number } {
  const range = { rtpStart: 10000, rtpEnd: 20000 };
  const path = join(configDir, "rtp.conf");
  if (!existsSync(path)) return range;
  for (const section of parseConfFile(path).sections) {
    if (section.name !== "general") continue;
    for (const e of section.entries) {
      if (e.key !== "rtpstart" && e.key !== "rtpend") continue;
      const n = Number(e.value);
      if (!Number.isInteger(n) || n < 1024 || n > 65535) throw new ConfError(e.file, e.line, `[general] ${e.key}: a port from 1024 to 65535`);
      if (e.key === "rtpstart") range.rtpStart = n; else range.rtpEnd = n;
    }
  }
  if (range.rtpEnd <= range.rtpStart) throw new ConfError(path, 0, `rtpend (${range.rtpEnd}) must be above rtpstart (${range.rtpStart})`);
  return range;
}
