/** `recall simulate`: options checked, the day run, progress and the summary printed; exit 1 on a violation. */
import { join } from "node:path";
import { rebuildCommand } from "../interfaces/cli/rebuild.js";
import { queryCommand } from "../interfaces/cli/query.js";
import { formatSummary, simulate, type SimulationSummary } from "./simulation.js";
import { STRATEGIES, type Strategy } from "../actors/queue/config.js";

export interface SimulateArgs {
  seed?: string; data?: string; agents?: string; calls?: string; hours?: string; faults?: boolean; "disk-full"?: boolean; config?: string; strategy?: string; kafka?: boolean; "no-projections"?: boolean;
}

function count(name: string, value: string | undefined, fallback: number, o: { min: number; real?: boolean }): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < o.min || (!o.real && !Number.isInteger(n))) {
    throw new Error(`--${name} ${value}: expected ${o.real ? "a number" : "a whole number"} of at least ${o.min}`);
  }
  return n;
}

export async function simulateCommand(a: SimulateArgs, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (a.seed === undefined || a.data === undefined) {
    err("recall simulate: --seed N and --data DIR are required (the data directory must be new or empty)\n");
    return 2;
  }
  const seed = count("seed", a.seed, 0, { min: 0 });
  if (a.strategy !== undefined && !(STRATEGIES as readonly string[]).includes(a.strategy)) {
    err(`recall simulate: --strategy ${a.strategy}: expected one of ${STRATEGIES.join(", ")}\n`);
    return 2;
  }
  if (a.kafka && a.config !== undefined) {
    err("recall simulate: --kafka sets the generated configuration's log backend; with --config, set [log] backend = kafka in its recall.conf\n");
    return 2;
  }
  if (a.strategy !== undefined && a.config !== undefined) {
    err("recall simulate: --strategy changes the sample's queue; with --config, set the strategy in its queues.conf\n");
    return 2;
  }
  const options = {
    seed, dataDir: a.data,
    agents: count("agents", a.agents, 10, { min: 1 }),
    calls: count("calls", a.calls, 200, { min: 0 }),
    hours: count("hours", a.hours, 1, { min: 0.01, real: true }),
    faults: a.faults ?? false,
    diskFull: a["disk-full"] ?? false,
    kafka: a.kafka ?? false,
    ...(a.strategy ? { strategy: a.strategy as Strategy } : {}),
    ...(a.config ? { configDir: a.config } : {}),
    progress: (line: string) => out(`${line}\n`),
  };
  out(`simulating seed ${seed}: ${options.agents} agents, ${options.calls} calls over ${options.hours} h${options.faults ? ", with faults" : ""}, data in ${a.data}\n`);
  const t0 = process.hrtime.bigint();
  const summary = await simulate(options);
  out(formatSummary(summary, Number(process.hrtime.bigint() - t0) / 1e9));
  if (summary.violation || a["no-projections"]) return summary.violation ? 1 : 0;
  // The projections, as `recall rebuild` makes them, then CDR checked against what the phones saw
  // and CDR, CEL and queue_log against each other, call by call.
  const t1 = process.hrtime.bigint();
  const rebuilt = await rebuildCommand({ dataDir: a.data, configDir: a.config ?? join(a.data, "config"), sink: "chdb" }, out, err);
  if (rebuilt !== 0) return rebuilt;
  const agreement = await cdrAgreement(a.data, summary);
  out(`projections built in ${(Number(process.hrtime.bigint() - t1) / 1e9).toFixed(1)} s; ${agreement.text}\n`);
  const queueLog = summary.queue ? await queueLogAgreement(a.data, summary) : { ok: true };
  if ("text" in queueLog) out(`${queueLog.text}\n`);
  const calls = await callAgreement(a.data);
  out(`${calls.text}\n`);
  return agreement.ok && queueLog.ok && calls.ok ? 0 : 1;
}

/** The first column of a query's rows (`recall query --format csv` names the columns first). */
async function column(dataDir: string, sql: string): Promise<string[]> {
  let csv = "";
  const code = await queryCommand({ dataDir, format: "csv", sql }, (t) => { csv += t; }, () => undefined);
  if (code !== 0) throw new Error(`query failed: ${sql}`);
  return csv.split("\n").filter(Boolean).slice(1).map((line) => line.replace(/^"|"$/g, "")); // after the header
}

/**
 * CDR, CEL and queue_log agree about every call: every call (linkedid) CDR records is
 * one CEL ends (LINKEDID_END), every answered call CEL ends is in CDR, and every caller
 * queue_log connects to an agent has answered CDR and a CEL bridge entry under the same uniqueid.
 */
export async function callAgreement(dataDir: string): Promise<{ ok: boolean; text: string }> {
  const cdr = new Set(await column(dataDir, "SELECT DISTINCT linkedid FROM cdr"));
  const ended = new Set(await column(dataDir, "SELECT DISTINCT linkedid FROM cel WHERE eventtype = 'LINKEDID_END'"));
  // cdr.conf's unanswered=no leaves out calls nobody answered (an agent's *45 login): those CEL keeps alone.
  const answeredCalls = new Set(await column(dataDir, "SELECT DISTINCT linkedid FROM cel WHERE eventtype = 'ANSWER'"));
  const connected = await column(dataDir, "SELECT DISTINCT callid FROM queue_log WHERE event = 'CONNECT'");
  const answered = new Set(await column(dataDir, "SELECT DISTINCT uniqueid FROM cdr WHERE disposition = 'ANSWERED'"));
  const bridged = new Set(await column(dataDir, "SELECT DISTINCT uniqueid FROM cel WHERE eventtype = 'BRIDGE_ENTER'"));
  const problems: string[] = [];
  for (const id of cdr) if (!ended.has(id)) problems.push(`call ${id} in CDR has no CEL LINKEDID_END`);
  for (const id of ended) if (answeredCalls.has(id) && !cdr.has(id)) problems.push(`answered call ${id} ended in CEL has no CDR`);
  for (const id of connected) {
    if (!answered.has(id)) problems.push(`caller ${id} connected in queue_log has no answered CDR`);
    if (!bridged.has(id)) problems.push(`caller ${id} connected in queue_log has no CEL BRIDGE_ENTER`);
  }
  const ok = problems.length === 0;
  return {
    ok,
    text: `CDR, CEL and queue_log ${ok ? "agree" : "DISAGREE"} about every call: ${cdr.size} calls in CDR, ${ended.size} ended in CEL (${answeredCalls.size} answered), ${connected.length} callers connected in queue_log` +
      (ok ? "" : `; ${problems.length} disagreements, first: ${problems.slice(0, 3).join("; ")}`),
  };
}

/** queue_log (the projection) and the queue actors' events (the log) count the same joins and ends. */
async function queueLogAgreement(dataDir: string, s: SimulationSummary): Promise<{ ok: boolean; text: string }> {
  let csv = "";
  await queryCommand({ dataDir, format: "csv", sql: "SELECT countIf(event = 'ENTERQUEUE'), countIf(event = 'CONNECT'), countIf(event = 'ABANDON'), countIf(event LIKE 'EXIT%') FROM queue_log" }, (t) => { csv += t; }, () => undefined);
  const [entered, connected, abandoned, exited] = (csv.trim().split("\n").at(-1) ?? "").replace(/"/g, "").split(",").map(Number);
  const q = s.queue!;
  const ok = entered === q.entered && connected === q.connected && abandoned === q.abandoned && exited === q.exited;
  return { ok, text: `queue_log ${ok ? "agrees" : "DISAGREES"} with the log: ${entered} ENTERQUEUE, ${connected} CONNECT, ${abandoned} ABANDON, ${exited} EXIT* (log: ${q.entered}, ${q.connected}, ${q.abandoned}, ${q.exited})` };
}

/** CDR and the phones agree: one call (linkedid) in CDR for each call that reached the PBX, and as many answered by an agent. */
async function cdrAgreement(dataDir: string, s: SimulationSummary): Promise<{ ok: boolean; text: string }> {
  let csv = "";
  const code = await queryCommand({ dataDir, format: "csv", sql: "SELECT count(DISTINCT linkedid) FROM cdr WHERE channel LIKE 'PJSIP/trunk-%'" }, (t) => { csv += t; }, () => undefined);
  const calls = Number(csv.trim().split("\n").at(-1)?.replace(/"/g, ""));
  const reached = s.offered - s.other; // INVITEs that timed out never reached a living PBX
  // Calls out through the carrier: CDR's answered ones are the ones the carrier answered, and none the 503s refused.
  let out = "";
  const outCode = await queryCommand({ dataDir, format: "csv", sql: "SELECT countIf(disposition = 'ANSWERED'), countIf(disposition = 'FAILED'), count() FROM cdr WHERE lastapp = 'Dial' AND dst LIKE '9%' AND dstchannel LIKE 'PJSIP/trunk-%'" }, (t) => { out += t; }, () => undefined);
  const [outAnswered, outFailed, outAll] = (out.trim().split("\n").at(-1) ?? "").replace(/"/g, "").split(",").map(Number);
  const ok = code === 0 && calls >= reached && calls <= s.offered && outCode === 0 && outAnswered === s.outbound.answered && outFailed >= s.outbound.refused && outAll >= s.outbound.offered;
  return { ok, text: `CDR ${ok ? "agrees" : "DISAGREES"} with the phones: ${calls} calls from the trunk in CDR, ${reached} reached the PBX of ${s.offered} offered; ${outAll} calls out through the carrier in CDR, ${outAnswered} answered, ${outFailed} failed (the carrier saw ${s.outbound.offered}, answered ${s.outbound.answered}, refused ${s.outbound.refused} with 503)` };
}
