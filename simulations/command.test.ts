/**
 * `recall simulate` with its projections: after a short queue day, CDR, CEL and queue_log
 * are built as `recall rebuild` builds them and checked against each other call by call;
 * a CDR row taken away afterwards is caught.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { callAgreement, simulateCommand } from "./command.js";
import { openChdbSink } from "../projections/sinks/chdb.js";
import { tempDir } from "../core/reap.js";

test("a simulated queue day's CDR, CEL and queue_log agree about every call, and a CDR row taken away is caught", async () => {
  const data = tempDir("recall-sim-agree-");
  let out = "";
  const code = await simulateCommand({ seed: "3", data, agents: "4", calls: "40", hours: "0.5" }, (s) => { out += s; }, (s) => { out += s; });
  assert.equal(code, 0, out);
  assert.match(out, /invariants: 0 violations/);
  assert.match(out, /CDR, CEL and queue_log agree about every call: (\d+) calls in CDR/, out);
  const calls = Number(/agree about every call: (\d+) calls in CDR/.exec(out)![1]);
  assert.ok(calls >= 30, `a day of 40 calls puts most in CDR (${calls})`);
  assert.match(out, /[1-9]\d* callers connected in queue_log/);

  // Take one connected caller's CDR away: the check names it.
  const sink = await openChdbSink(data);
  const callid = (await sink.query("SELECT callid FROM queue_log WHERE event = 'CONNECT' ORDER BY time LIMIT 1", "TabSeparated")).trim();
  assert.ok(callid, "some caller was connected");
  await sink.query(`ALTER TABLE cdr DELETE WHERE uniqueid = '${callid}' SETTINGS mutations_sync = 2`, "CSV");
  await sink.close();
  const after = await callAgreement(data);
  assert.equal(after.ok, false);
  assert.match(after.text, new RegExp(`caller ${callid.replace(/\./g, "\\.")} connected in queue_log has no answered CDR`));
});
