/** `recall simulate`: options checked, the day run, progress and the summary printed; exit 1 on a violation. */
import { formatSummary, simulate } from "./simulation.js";

export interface SimulateArgs {
  seed?: string; data?: string; agents?: string; calls?: string; hours?: string; faults?: boolean; config?: string;
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
  const options = {
    seed, dataDir: a.data,
    agents: count("agents", a.agents, 10, { min: 1 }),
    calls: count("calls", a.calls, 200, { min: 0 }),
    hours: count("hours", a.hours, 1, { min: 0.01, real: true }),
    faults: a.faults ?? false,
    ...(a.config ? { configDir: a.config } : {}),
    progress: (line: string) => out(`${line}\n`),
  };
  out(`simulating seed ${seed}: ${options.agents} agents, ${options.calls} calls over ${options.hours} h${options.faults ? ", with faults" : ""}, data in ${a.data}\n`);
  const t0 = process.hrtime.bigint();
  const summary = await simulate(options);
  out(formatSummary(summary, Number(process.hrtime.bigint() - t0) / 1e9));
  return summary.violation ? 1 : 0;
}
