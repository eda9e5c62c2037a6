/** Child process for the kill -9 test: appends forever, printing each acknowledged offset. */
import { SegmentLog } from "./segment-log.js";
import { sampleDraft } from "../testing.js";

const log = await SegmentLog.open(process.argv[2], { notice: () => undefined });
let seq = 0;
for (;;) {
  const batch = Array.from({ length: 50 }, () => sampleDraft("contact:k", ++seq));
  const records = await log.append(batch);
  process.stdout.write(`${records[records.length - 1].offset}\n`);
}
