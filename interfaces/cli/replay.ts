/**
 * `recall replay`: read the log of a data directory (read-only, so it works while
 * Recall runs) to verify determinism, show every live actor at a point, or print
 * one call's timeline.
 */
import { join } from "node:path";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { actorKinds } from "../../actors/kinds.js";
import { StateFold } from "../../actors/fold.js";
import { verifyLog } from "../../actors/replay.js";
import { CallHistory } from "./call-history.js";

export interface ReplayOptions {
  readonly dataDir: string;
  readonly verify?: boolean;
  readonly until?: string;
  readonly linkedid?: string;
}

const iso = (micros: number) => {
  const d = new Date(Math.floor(micros / 1000)).toISOString();
  return `${d.slice(0, 19)}.${String(micros % 1_000_000).padStart(6, "0")}Z`;
};

const json = (v: unknown) => JSON.stringify(v);

/** `--until` takes an offset (a number) or a time (ISO 8601); returns "stop before this record". */
export function parseUntil(text: string): (r: { readonly offset: number; readonly time: number }) => boolean {
  if (/^\d+$/.test(text)) {
    const offset = Number(text);
    return (r) => r.offset > offset;
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`--until takes a log offset or an ISO time, not '${text}'`);
  return (r) => r.time > ms * 1000;
}

export async function replay(options: ReplayOptions, out: (s: string) => void): Promise<number> {
  const log = await SegmentLog.open(join(options.dataDir, "log"), { readOnly: true, notice: (m) => out(`${m}\n`) });
  try {
    const until = options.until !== undefined ? parseUntil(options.until) : undefined;
    if (options.verify) {
      const started = process.hrtime.bigint();
      const result = await verifyLog(log, actorKinds, until ? { until } : {});
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const d = result.divergence;
      if (!d) {
        out(`${result.events} events, 0 divergences (${seconds.toFixed(2)} s, ${Math.round(result.events / Math.max(seconds, 1e-9))} events/s)\n`);
        return 0;
      }
      out(`Divergence at offset ${d.offset}: actor ${d.stream}, event ${d.seq}, ${d.what}\n  recorded: ${json(d.expected)}\n  replayed: ${json(d.actual)}\n`);
      out(`${result.events} events replayed, stopped at the first divergence\n`);
      return 1;
    }
    if (options.linkedid) {
      let n = 0;
      const call = new CallHistory(options.linkedid);
      for await (const batch of log.read(0)) for (const r of batch) {
        if (until?.(r)) break;
        if (!call.has(r)) continue;
        n++;
        out(`${String(r.offset).padStart(8)}  ${iso(r.time)}  ${r.stream}  #${r.seq}  ${r.input.source}:${r.input.type}${agiExchange(r.input)} -> ${json(r.state.value)}${r.outputs.length ? `  => ${r.outputs.map((o) => o.type).join(", ")}` : ""}\n`);
      }
      out(`${n} events for linkedid ${options.linkedid}\n`);
      return n ? 0 : 1;
    }
    const fold = await StateFold.of(log, until);
    const last = fold.latest;
    const live = (await fold.liveRecords(log)).sort((x, y) => x.kind.localeCompare(y.kind) || x.stream.localeCompare(y.stream));
    out(`State after ${fold.events} events${last ? ` (offset ${last.offset}, ${iso(last.time)})` : ""}: ${live.length} live actors\n`);
    for (const a of live) {
      out(`${a.kind.padEnd(12)} ${a.stream}  ${json(a.state.value)}  since ${iso(a.time)} (offset ${a.offset})\n    ${json(a.state.context)}\n`);
    }
    return 0;
  } finally {
    await log.close();
  }
}

/** An AGI command and the first line of its answer, for the timeline (`  "GET DATA beep" → 200 result=12`). */
function agiExchange(input: { readonly type: string; readonly [k: string]: unknown }): string {
  if (input.type !== "agi.command") return "";
  return `  ${JSON.stringify(input.command)} → ${String(input.result).split("\n")[0]}`;
}
