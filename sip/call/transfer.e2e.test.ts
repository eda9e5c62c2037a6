/**
 * Transfers end to end: a real `recall start` and sipp phones 6001 (A), 6002 (B, also
 * 6005 with allow_transfer=no) and 6003 (C) on 127.0.0.1. B transfers A with REFER
 * (blind, to a missing extension, refused, attended with Replaces), A transfers B with
 * DTMF (# and *2, Dial option T); then the CDR and CEL rows each transfer left, and
 * `recall replay --verify` on the whole log.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, assertLogged, startRecall, type RecallProcess } from "../../interfaces/cli/recall-process.js";
import { phoneCredentials, phonesPjsip } from "./test-phones.js";
import { packageRoot } from "../../interfaces/cli/paths.js";
import { runSipp, sippLogLine, startSipp, type SippResult } from "../sipp/sipp.js";
import { uacCall, uasCall } from "../sipp/call-scenarios.js";
import { uacSecondLine, uasRefer } from "../sipp/transfer-scenarios.js";
import { tempDir } from "../../core/reap.js";

const run = promisify(execFile);
let recall: RecallProcess;
let port: number, phoneA: number, phoneB: number, phoneB2: number, phoneC: number;
const credentials = phoneCredentials;

before(async () => {
  [port, phoneA, phoneB, phoneB2, phoneC] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const pjsip = phonesPjsip(port, { context: "from-internal", endpoint: "direct_media = no" }, [
    { name: "6001", port: phoneA }, { name: "6002", port: phoneB }, { name: "6003", port: phoneC }, { name: "6005", port: phoneB, extra: "allow_transfer = no" },
  ]);
  // 6010: TRANSFER_CONTEXT (inherited by B) sends B's blind transfers to [transfers].
  const extensions = `
[from-internal]
exten => _600X,1,Dial(PJSIP/\${EXTEN},20,tT)
 same => n,Hangup()
exten => 6010,1,Set(__TRANSFER_CONTEXT=transfers)
 same => n,Dial(PJSIP/6002,20)
exten => 6011,1,Dial(PJSIP/6002,20,H)
[transfers]
exten => 100,1,Dial(PJSIP/6003,20)
`;
  const features = "[general]\ntransferdigittimeout = 3\n[featuremap]\nblindxfer => #\natxfer => *2\n";
  recall = await startRecall({ "pjsip.conf": pjsip, "extensions.conf": extensions, "features.conf": features });
});
after(async () => { await recall?.stop(); });

/** Linkedids already looked at: each test reads the rows of the calls it made. */
const seen = new Set<string>();

async function query(sql: string): Promise<Record<string, unknown>[]> {
  let channels = "";
  for (let i = 0; i < 100 && !/\b0 active channels/.test(channels = await recall.cli("core show channels count")); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(channels, /\b0 active channels/, "every channel of the transfer is gone");
  for (let i = 0; i < 100 && /lag [1-9]|^(?![\s\S]*lag 0 events)/.test(await recall.cli("recall show projections")); i++) await new Promise((r) => setTimeout(r, 100));
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "query", "--data", recall.dataDir, "--format", "json", sql]);
  return stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The CDR and CEL rows of calls that started since the last call to this. */
async function newRows(): Promise<{ cdr: Record<string, unknown>[]; cel: Record<string, unknown>[] }> {
  const cel = await query("SELECT * FROM cel ORDER BY log_offset, log_index");
  const cdr = await query("SELECT * FROM cdr ORDER BY log_offset, log_index");
  const fresh = new Set(cel.map((r) => String(r.linkedid)).filter((l) => !seen.has(l)));
  for (const l of fresh) seen.add(l);
  return { cdr: cdr.filter((r) => fresh.has(String(r.linkedid))), cel: cel.filter((r) => fresh.has(String(r.linkedid))) };
}

const ok = (r: SippResult, who: string) => assert.equal(r.code, 0, `${who}: ${r.errors || r.stdout.slice(-2000)}`);
const A = () => uacCall({ exten: "6002", from: "6001", auth: true });
const runA = (scenario: string) => runSipp({ scenario, target: `127.0.0.1:${port}`, localPort: phoneA, calls: 1, inject: credentials("6001"), timeoutMs: 30_000 });

test("blind REFER: B refers A to 6003: 202, NOTIFY 100 Trying then 200 OK, B gets BYE, A is bridged with C", async () => {
  const b = startSipp({ scenario: uasRefer({ referTo: `sip:6003@127.0.0.1:${port}`, afterMs: 300, outcome: { notify: "200 OK" } }), localPort: phoneB, calls: 1, timeoutMs: 30_000 });
  const c = startSipp({ scenario: uasCall({ status: 200, ringMs: 100, holdMs: 1000 }), localPort: phoneC, calls: 1, timeoutMs: 30_000 });
  const a = await runA(A());
  ok(a, "A"); ok(await b.done, "B"); ok(await c.done, "C");
  const { cdr, cel } = await newRows();
  // CDR: seed 003's four records, one linkedid; A→B and B's end at the transfer, C's as C hangs up, then A's.
  const linkedid = String(cdr[0].linkedid);
  const [a1, b1, c1, a2] = cdr;
  assert.equal(cdr.length, 4);
  assert.ok(cdr.every((r) => r.linkedid === linkedid));
  const nameA = String(a1.channel), nameB = String(b1.channel), nameC = String(c1.channel);
  assert.match(nameA, /^PJSIP\/6001-[0-9a-f]{8}$/); assert.match(nameB, /^PJSIP\/6002-[0-9a-f]{8}$/); assert.match(nameC, /^PJSIP\/6003-[0-9a-f]{8}$/);
  const pick = (r: Record<string, unknown>) => [r.channel, r.dstchannel, r.src, r.dst, r.dcontext, r.clid, r.lastapp, r.lastdata, r.disposition, r.amaflags, r.sequence];
  assert.deepEqual(cdr.map(pick), [
    [nameA, nameB, "6001", "6002", "from-internal", '"Phone 6001" <6001>', "Dial", "PJSIP/6002,20,tT", "ANSWERED", 3, 1],
    [nameB, nameA, "6001", "6002", "from-internal", '"Phone 6001" <6001>', "AppDial", "(Outgoing Line)", "ANSWERED", 3, 1],
    [nameC, nameA, "6001", "6003", "from-internal", '"Phone 6001" <6001>', "AppDial", "(Outgoing Line)", "ANSWERED", 3, 1],
    [nameA, nameC, "6001", "6003", "from-internal", '"Phone 6001" <6001>', "Dial", "PJSIP/6003,20,tT", "ANSWERED", 3, 2],
  ]);
  assert.equal(a1.uniqueid, a2.uniqueid, "A keeps its channel: its second record has the next sequence");
  assert.equal(a1.end, b1.end, "A→B and B end together, at the transfer");
  assert.ok(String(a2.start) >= String(a1.end), "A→C starts after the transfer");
  for (const r of cdr) assert.ok(Number(r.billsec) >= 0 && Number(r.billsec) <= Number(r.duration), `billsec within duration: ${String(r.channel)}`);
  // A↔C's two records span the same talk, up to a whole second of truncation.
  assert.ok(Math.abs(Number(a2.billsec) - Number(c1.billsec)) <= 1);
  // CEL: BLINDTRANSFER on B with Asterisk's extra, then both leave the bridge.
  const bt = cel.filter((r) => r.eventtype === "BLINDTRANSFER");
  assert.equal(bt.length, 1);
  assert.equal(bt[0].channame, nameB);
  const extra = JSON.parse(String(bt[0].extra)) as Record<string, string>;
  const enterB = cel.find((r) => r.eventtype === "BRIDGE_ENTER" && r.channame === nameB)!;
  const bridgeId = (JSON.parse(String(enterB.extra)) as { bridge_id: string }).bridge_id;
  assert.deepEqual(extra, { extension: "6003", context: "from-internal", bridge_id: bridgeId, transferee_channel_name: nameA, transferee_channel_uniqueid: String(a1.uniqueid) });
  assert.deepEqual(Object.keys(extra), ["extension", "context", "bridge_id", "transferee_channel_name", "transferee_channel_uniqueid"]);
  const i = cel.indexOf(bt[0]);
  assert.deepEqual(cel.slice(i, i + 3).map((r) => [r.eventtype, r.channame]), [["BLINDTRANSFER", nameB], ["BRIDGE_EXIT", nameA], ["BRIDGE_EXIT", nameB]]);
  const hangupB = cel.find((r) => r.eventtype === "HANGUP" && r.channame === nameB)!;
  assert.deepEqual(JSON.parse(String(hangupB.extra)), { hangupcause: 16, hangupsource: nameB, dialstatus: "" });
  assert.deepEqual(cel.filter((r) => r.eventtype === "BRIDGE_ENTER" && r.channame === nameA).map((r) => r.peer), [nameB, nameC]);
  assert.deepEqual(cel.filter((r) => r.eventtype === "LINKEDID_END").map((r) => r.channame), [nameA]);
  await assertLogged(recall.dataDir, /Blind transferring PJSIP\/6001-[0-9a-f]{8} to '6003@from-internal'/);
});

test("blind REFER to a missing extension: NOTIFY 404 Not Found, the call stays until B hangs up", async () => {
  const b = startSipp({ scenario: uasRefer({ referTo: `sip:7999@127.0.0.1:${port}`, afterMs: 200, outcome: { notify: "404 Not Found" }, hangUpAfterMs: 300 }), localPort: phoneB, calls: 1, timeoutMs: 30_000 });
  const a = await runA(A());
  ok(a, "A"); ok(await b.done, "B");
  await assertLogged(recall.dataDir, /attempted blind transfer to '7999@from-internal' but target does not exist/);
  const { cdr, cel } = await newRows();
  assert.equal(cel.filter((r) => r.eventtype === "BLINDTRANSFER").length, 0);
  // B hung up: its record ends first, then A's.
  assert.deepEqual(cdr.map((r) => [String(r.channel).slice(0, 10), r.disposition, r.sequence]), [["PJSIP/6002", "ANSWERED", 1], ["PJSIP/6001", "ANSWERED", 1]]);
});

test("allow_transfer=no: the REFER is refused 603 and the call goes on", async () => {
  const b = startSipp({ scenario: uasRefer({ referTo: `sip:6003@127.0.0.1:${port}`, afterMs: 200, outcome: { status: 603 }, hangUpAfterMs: 300 }), localPort: phoneB, calls: 1, timeoutMs: 30_000 });
  const a = await runA(uacCall({ exten: "6005", from: "6001", auth: true }));
  ok(a, "A"); ok(await b.done, "B");
  await assertLogged(recall.dataDir, /Endpoint 6005 transfer attempt blocked due to configuration/);
  await newRows();
});

test("TRANSFER_CONTEXT on the transferer picks the context a blind REFER's target is looked up in", async () => {
  const b = startSipp({ scenario: uasRefer({ referTo: `sip:100@127.0.0.1:${port}`, afterMs: 200, outcome: { notify: "200 OK" } }), localPort: phoneB, calls: 1, timeoutMs: 30_000 });
  const c = startSipp({ scenario: uasCall({ status: 200, holdMs: 300 }), localPort: phoneC, calls: 1, timeoutMs: 30_000 });
  const a = await runA(uacCall({ exten: "6010", from: "6001", auth: true }));
  ok(a, "A"); ok(await b.done, "B"); ok(await c.done, "C");
  const { cel } = await newRows();
  const extra = JSON.parse(String(cel.find((r) => r.eventtype === "BLINDTRANSFER")!.extra)) as Record<string, string>;
  assert.deepEqual([extra.extension, extra.context], ["100", "transfers"]);
  assert.ok(cel.some((r) => r.eventtype === "APP_START" && r.context === "transfers" && r.appdata === "PJSIP/6003,20"), "A went on at 100@transfers");
});

test("attended REFER with Replaces: A↔B and B2↔C become A↔C; both of B's legs get BYE; C joins A's linkedid", async () => {
  const logs = tempDir("recall-xfer-");
  const line1Log = join(logs, "line1.log"), line2Log = join(logs, "line2.log");
  const b = startSipp({
    scenario: uasRefer({ referTo: `sip:6003@127.0.0.1:${port}?Replaces=[$replaces]`, replacesFromMessage: true, outcome: { notify: "200 OK" } }),
    localPort: phoneB, calls: 1, timeoutMs: 30_000, extraArgs: ["-trace_logs", "-log_file", line1Log],
  });
  const c = startSipp({ scenario: uasCall({ status: 200, holdMs: 2500 }), localPort: phoneC, calls: 1, timeoutMs: 30_000 });
  const a = runA(A());
  const [, call1] = await sippLogLine(line1Log, /CALLID (\S+)/);
  // B's second line calls C; the phone would remember that dialog: the test tells line 1 about it.
  const b2 = startSipp({
    scenario: uacSecondLine({ exten: "6003", from: "6002" }), target: `127.0.0.1:${port}`, localPort: phoneB2, calls: 1,
    inject: credentials("6002"), timeoutMs: 30_000, extraArgs: ["-trace_logs", "-log_file", line2Log],
  });
  const [, callId, toTag, fromTag] = await sippLogLine(line2Log, /DIALOG (\S+) (\S+) (\S+)/);
  const replaces = encodeURIComponent(`${callId};to-tag=${toTag};from-tag=${fromTag}`);
  const harness = createSocket("udp4");
  await new Promise<void>((resolve) => harness.bind(0, "127.0.0.1", () => resolve()));
  const message = [
    `MESSAGE sip:uas@127.0.0.1:${phoneB} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${harness.address().port};branch=z9hG4bKharness${Date.now()}`,
    "From: <sip:test@127.0.0.1>;tag=harness", "To: <sip:uas@127.0.0.1>", `Call-ID: ${call1}`, "CSeq: 1 MESSAGE", `X-Replaces: ${replaces}`, "Content-Length: 0", "", "",
  ].join("\r\n");
  harness.send(message, phoneB, "127.0.0.1");
  try {
    ok(await a, "A"); ok(await b.done, "B line 1"); ok(await b2.done, "B line 2"); ok(await c.done, "C");
  } finally {
    harness.close();
  }
  const { cdr, cel } = await newRows();
  const at = cel.find((r) => r.eventtype === "ATTENDEDTRANSFER");
  assert.ok(at, "one ATTENDEDTRANSFER row");
  const names = { A: "", B: "", B2: "", C: "" };
  for (const r of cel.filter((x) => x.eventtype === "CHAN_START")) {
    const n = String(r.channame);
    if (n.startsWith("PJSIP/6001")) names.A = n;
    else if (n.startsWith("PJSIP/6003")) names.C = n;
    else if (!names.B) names.B = n; else names.B2 = n;
  }
  const uid = (name: string) => String(cel.find((r) => r.eventtype === "CHAN_START" && r.channame === name)!.uniqueid);
  const bridgeOf = (name: string) => (JSON.parse(String(cel.find((r) => r.eventtype === "BRIDGE_ENTER" && r.channame === name)!.extra)) as { bridge_id: string }).bridge_id;
  assert.equal(at.channame, names.B);
  assert.deepEqual(JSON.parse(String(at.extra)), {
    bridge1_id: bridgeOf(names.B), channel2_name: names.B2, channel2_uniqueid: uid(names.B2), bridge2_id: bridgeOf(names.B2),
    transferee_channel_name: names.A, transferee_channel_uniqueid: uid(names.A), transfer_target_channel_name: names.C, transfer_target_channel_uniqueid: uid(names.C),
  });
  const i = cel.indexOf(at);
  assert.deepEqual(cel.slice(i, i + 5).map((r) => [r.eventtype, r.channame, r.peer]), [
    ["ATTENDEDTRANSFER", names.B, ""], ["BRIDGE_EXIT", names.C, names.B2], ["BRIDGE_EXIT", names.B2, ""], ["BRIDGE_EXIT", names.B, names.A], ["BRIDGE_ENTER", names.C, names.A],
  ]);
  const linkedA = uid(names.A), linkedB2 = uid(names.B2);
  assert.deepEqual(cel.filter((r) => r.eventtype === "LINKEDID_END").map((r) => [r.linkedid, r.channame]), [[linkedB2, names.B2], [linkedA, names.A]]);
  // CDR: A→B and B2→C end at the transfer; A↔C go on as new records on A's linkedid.
  assert.deepEqual(cdr.map((r) => [r.channel, r.dstchannel, r.disposition, r.sequence, r.linkedid]), [
    [names.A, names.B, "ANSWERED", 1, linkedA],
    [names.B, names.A, "ANSWERED", 1, linkedA],
    [names.B2, names.C, "ANSWERED", 1, linkedB2],
    [names.C, names.B2, "ANSWERED", 1, linkedB2],
    [names.C, names.A, "ANSWERED", 2, linkedA], // C hangs up: its record ends first
    [names.A, names.C, "ANSWERED", 2, linkedA],
  ]);
  assert.equal(cdr[0].end, cdr[2].end, "both calls' records end at the transfer");
});

test("DTMF blind transfer: A presses # 6003 (Dial option T); B goes to 6003 and talks to C; A is hung up", async () => {
  const b = startSipp({ scenario: uasCall({ status: 200 }), localPort: phoneB, calls: 1, timeoutMs: 30_000 });
  const c = startSipp({ scenario: uasCall({ status: 200, holdMs: 1000 }), localPort: phoneC, calls: 1, timeoutMs: 30_000 });
  const a = await runA(uacCall({ exten: "6002", from: "6001", auth: true, dtmf: "#6003" }));
  ok(a, "A"); ok(await b.done, "B"); ok(await c.done, "C");
  const { cdr, cel } = await newRows();
  const bt = cel.find((r) => r.eventtype === "BLINDTRANSFER")!;
  const nameOf = (prefix: string) => String(cel.find((r) => r.eventtype === "CHAN_START" && String(r.channame).startsWith(prefix))!.channame);
  const nameA = nameOf("PJSIP/6001"), nameB = nameOf("PJSIP/6002");
  assert.equal(bt.channame, nameA, "the transferer is A");
  const extra = JSON.parse(String(bt.extra)) as Record<string, string>;
  assert.deepEqual([extra.extension, extra.context, extra.transferee_channel_name], ["6003", "from-internal", nameB]);
  // At the transfer the transferee's record (B) and the transferer's (A) end; B, a called leg, now runs the
  // dialplan at 6003: its second record is B→C with Dial, ending after C's as C hangs up.
  assert.deepEqual(cdr.map((r) => [String(r.channel).slice(0, 10), String(r.dstchannel).slice(0, 10), r.dst, r.lastapp, r.sequence]), [
    ["PJSIP/6002", "PJSIP/6001", "6002", "AppDial", 1],
    ["PJSIP/6001", "PJSIP/6002", "6002", "Dial", 1],
    ["PJSIP/6003", "PJSIP/6002", "6003", "AppDial", 1],
    ["PJSIP/6002", "PJSIP/6003", "6003", "Dial", 2],
  ]);
  assert.equal(cel.find((r) => r.eventtype === "APP_START" && r.channame === nameB)?.appdata, "PJSIP/6003,20,tT");
});

test("DTMF attended transfer: A presses *2 6003, talks to C, hangs up: B and C are bridged", async () => {
  const b = startSipp({ scenario: uasCall({ status: 200 }), localPort: phoneB, calls: 1, timeoutMs: 30_000 });
  const c = startSipp({ scenario: uasCall({ status: 200, holdMs: 3000 }), localPort: phoneC, calls: 1, timeoutMs: 30_000 });
  const a = await runA(uacCall({ exten: "6002", from: "6001", auth: true, dtmf: "*26003", holdMs: 1200 }));
  ok(a, "A"); ok(await b.done, "B"); ok(await c.done, "C");
  const { cdr, cel } = await newRows();
  const at = cel.find((r) => r.eventtype === "ATTENDEDTRANSFER")!;
  assert.ok(at, "one ATTENDEDTRANSFER row");
  const nameA = String(cel.find((r) => r.eventtype === "CHAN_START")!.channame);
  const nameB = String(cel.find((r) => r.eventtype === "CHAN_START" && String(r.channame).startsWith("PJSIP/6002"))!.channame);
  const nameC = String(cel.find((r) => r.eventtype === "CHAN_START" && String(r.channame).startsWith("PJSIP/6003"))!.channame);
  const extra = JSON.parse(String(at.extra)) as Record<string, string>;
  assert.equal(at.channame, nameA);
  assert.deepEqual([extra.channel2_name, extra.transferee_channel_name, extra.transfer_target_channel_name], [nameA, nameB, nameC]);
  assert.notEqual(extra.bridge1_id, extra.bridge2_id);
  // C ends up in B's bridge (bridge 1) with B as its peer.
  const enters = cel.filter((r) => r.eventtype === "BRIDGE_ENTER" && r.channame === nameC);
  assert.deepEqual([enters.at(-1)!.peer, (JSON.parse(String(enters.at(-1)!.extra)) as { bridge_id: string }).bridge_id], [nameB, extra.bridge1_id]);
  assert.ok(cel.some((r) => r.eventtype === "LOCAL_OPTIMIZE"), "the target was dialled through a Local channel, optimised away");
  const last = cdr.filter((r) => r.channel === nameB || r.channel === nameC).at(-1)!;
  assert.deepEqual([last.disposition, new Set([last.channel, last.dstchannel])], ["ANSWERED", new Set([nameB, nameC])]);
});

test("Dial option H: the caller's * (disconnect) hangs the call up", async () => {
  const b = startSipp({ scenario: uasCall({ status: 200 }), localPort: phoneB, calls: 1, timeoutMs: 30_000 });
  const a = await runA(uacCall({ exten: "6011", from: "6001", auth: true, dtmf: "*" }));
  ok(a, "A"); ok(await b.done, "B");
  const { cel } = await newRows();
  const hangupA = cel.find((r) => r.eventtype === "HANGUP" && String(r.channame).startsWith("PJSIP/6001"))!;
  assert.equal((JSON.parse(String(hangupA.extra)) as { hangupsource: string }).hangupsource, hangupA.channame);
});

test("every transfer's log passes recall replay --verify", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /\d+ events, 0 divergences/);
});
