import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadRtpConf } from "./rtp-conf.js";
import { ConfError } from "../../conf/tokenizer.js";
import { tempDir } from "../../core/reap.js";

const dirWith = (text?: string) => {
  const dir = tempDir("recall-rtpconf-");
  if (text !== undefined) writeFileSync(join(dir, "rtp.conf"), text);
  return dir;
};

test("rtp.conf: Asterisk's defaults without the file; rtpstart, rtpend, strictrtp (seqno is yes) and probation when given", () => {
  assert.deepEqual(loadRtpConf(dirWith()), { rtpStart: 10000, rtpEnd: 20000, strictRtp: true, probation: 4 });
  assert.deepEqual(loadRtpConf(dirWith("[general]\nrtpstart = 16384\nrtpend = 32767\nstrictrtp = no\nprobation = 8\n")),
    { rtpStart: 16384, rtpEnd: 32767, strictRtp: false, probation: 8 });
  assert.equal(loadRtpConf(dirWith("[general]\nstrictrtp = seqno\n")).strictRtp, true);
});

test("rtp.conf: a bad value names the file, the line and what is wanted", () => {
  for (const [text, line, want] of [
    ["[general]\nrtpstart = 80\n", 2, /rtpstart: a port from 1024/],
    ["[general]\n\nstrictrtp = maybe\n", 3, /strictrtp: yes, no or seqno, not "maybe"/],
    ["[general]\nprobation = 0\n", 2, /probation: a number of packets from 1 up/],
  ] as const) {
    const dir = dirWith(text);
    assert.throws(() => loadRtpConf(dir), (e: unknown) => e instanceof ConfError && e.message.includes(`rtp.conf`) && e.message.includes(`:${line}`) && want.test(e.message), text);
  }
});
