/**
 * rtp.conf `[general]`: rtpstart / rtpend, the RTP port range (Asterisk's default
 * 10000-20000), and strictrtp / probation, how a session picks whose packets it takes
 * (default yes, 4; `seqno` is taken as yes).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfError, parseConfFile } from "../../conf/tokenizer.js";
import { parseBool } from "../../sip/config/values.js";

export interface RtpConf { rtpStart: number; rtpEnd: number; strictRtp: boolean; probation: number }

export function loadRtpConf(configDir: string): RtpConf {
  const conf: RtpConf = { rtpStart: 10000, rtpEnd: 20000, strictRtp: true, probation: 4 };
  const path = join(configDir, "rtp.conf");
  if (!existsSync(path)) return conf;
  for (const section of parseConfFile(path).sections) {
    if (section.name !== "general") continue;
    for (const e of section.entries) {
      const value = e.value.trim().toLowerCase();
      if (e.key === "rtpstart" || e.key === "rtpend") {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1024 || n > 65535) throw new ConfError(e.file, e.line, `[general] ${e.key}: a port from 1024 to 65535`);
        if (e.key === "rtpstart") conf.rtpStart = n; else conf.rtpEnd = n;
      } else if (e.key === "strictrtp") {
        try { conf.strictRtp = value === "seqno" || parseBool(value); }
        catch { throw new ConfError(e.file, e.line, `[general] strictrtp: yes, no or seqno, not "${e.value}"`); }
      } else if (e.key === "probation") {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new ConfError(e.file, e.line, `[general] probation: a number of packets from 1 up, not "${e.value}"`);
        conf.probation = n;
      }
    }
  }
  if (conf.rtpEnd <= conf.rtpStart) throw new ConfError(path, 0, `rtpend (${conf.rtpEnd}) must be above rtpstart (${conf.rtpStart})`);
  return conf;
}
