/**
 * A call's actor transitions from the log: every record carrying its linkedid (the
 * channel and bridge machines, dialplan steps, SIP dialog inputs, DTMF, queue and
 * member events), each with the actor's state after it — what `recall replay
 * --linkedid` prints and, stepped through, the `--until` view of the call's actors.
 * The call's CEL rows give the stretch of log to read (their first and last offsets),
 * so a page reads that stretch, not the whole log; at most MAX_STEPS records.
 */
import { isAbsolute, join, relative, resolve } from "node:path";
import type { EventLog } from "../../events/log.js";
import type { CelRecord } from "./call-page.js";

export const MAX_STEPS = 5000;
/** Records read past the last CEL row (the channel's final transitions follow it). */
const TAIL = 2000;

export interface LogStep {
  readonly offset: number;
  readonly time: number;
  readonly stream: string;
  readonly kind: string;
  readonly input: string;
  readonly detail: string;
  readonly state: string;
  readonly outputs: string;
}

const short = (v: unknown, max = 160) => {
  const t = typeof v === "string" ? v : JSON.stringify(v) ?? "";
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

export async function callLog(log: EventLog, linkedid: string, cel: readonly CelRecord[]): Promise<LogStep[]> {
  const offsets = cel.map((c) => Number(c.log_offset)).filter(Number.isFinite);
  if (!offsets.length) return [];
  const from = Math.min(...offsets), to = Math.max(...offsets) + TAIL;
  // Queue and member actors outlive calls and carry no linkedid: theirs are the inputs naming one of the call's channels.
  const channels = new Set(cel.map((c) => c.uniqueid));
  const ofCall = (r: { linkedid?: string; kind: string; input: { readonly [k: string]: unknown }; state: { context: unknown } }) =>
    r.linkedid === linkedid || ((r.kind === "queue" || r.kind === "queue-member") &&
      (channels.has(String(r.input.uniqueid)) || channels.has(String((r.state.context as { call?: unknown } | null)?.call))));
  const steps: LogStep[] = [];
  for await (const batch of log.read(from)) {
    for (const r of batch) {
      if (r.offset > to || steps.length >= MAX_STEPS) return steps;
      if (!ofCall(r)) continue;
      const { source, type, ...rest } = r.input;
      steps.push({
        offset: r.offset, time: r.time, stream: r.stream, kind: r.kind, input: `${source}:${type}`, detail: short(rest),
        state: short(r.state.value, 80), outputs: r.outputs.map((o) => o.type).join(", "),
      });
    }
  }
  return steps;
}

/**
 * The files the call's MixMonitor applications wrote, from their CEL APP_START rows:
 * a relative name under `monitorDir`; an absolute one only when it lies inside it.
 */
export function recordings(cel: readonly CelRecord[], monitorDir: string): { path: string; name: string }[] {
  const out: { path: string; name: string }[] = [];
  for (const e of cel) {
    if (e.eventtype !== "APP_START" || e.appname.toLowerCase() !== "mixmonitor") continue;
    const name = e.appdata.split(",")[0].trim();
    if (!name) continue;
    const path = resolve(monitorDir, name);
    const inside = relative(resolve(monitorDir), path);
    if (inside.startsWith("..") || isAbsolute(inside)) continue;
    out.push({ path: join(path), name });
  }
  return out;
}
