// `berth healthcheck run ID`, run by the monitor every interval: exec the check, keep the last five
// results, and move the status as docker does (starting → healthy on a pass; unhealthy after
// `retries` failures in a row, failures during the start period not counted).
import type { Engine } from './engine.js';
import { execCaptured } from './exec.js';
import { getContainer, tx, updateContainer, type HealthLogEntry, type HealthState } from './records.js';

const DEFAULT_TIMEOUT_NS = 30e9;
const DEFAULT_RETRIES = 3;
const KEEP = 5;

export function healthArgs(test: string[]): string[] | undefined {
  const [kind, ...rest] = test;
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  if (kind === 'NONE' || kind === undefined) return undefined;
  return test; // a bare command, as some tools write it
}

export function nextHealth(prev: HealthState | null, entry: HealthLogEntry, opts: { retries: number; inStartPeriod: boolean }): HealthState {
  const base: HealthState = prev ?? { Status: 'starting', FailingStreak: 0, Log: [] };
  const Log = [...base.Log, entry].slice(-KEEP);
  if (entry.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  if (opts.inStartPeriod && base.Status === 'starting') return { ...base, Log };
  const FailingStreak = base.FailingStreak + 1;
  return { Status: FailingStreak >= opts.retries ? 'unhealthy' : base.Status, FailingStreak, Log };
}

export async function runHealthcheck(engine: Engine, id: string): Promise<HealthState | null> {
  const rec = getContainer(engine.db, id);
  const hc = rec?.config.resolved.healthcheck;
  if (rec === undefined || hc === undefined || rec.state !== 'running') return null;
  const args = healthArgs(hc.test);
  if (args === undefined) return null;
  const timeoutNs = hc.timeout ?? DEFAULT_TIMEOUT_NS;
  const start = new Date();
  let result: { exitCode: number; output: string; timedOut: boolean };
  try {
    result = await execCaptured(engine, rec, { cmd: args, timeoutMs: Math.round(timeoutNs / 1e6) });
  } catch (e) {
    result = { exitCode: -1, output: (e as Error).message, timedOut: false };
  }
  const entry: HealthLogEntry = {
    Start: start.toISOString(),
    End: new Date().toISOString(),
    ExitCode: result.timedOut ? -1 : result.exitCode,
    Output: result.timedOut ? `Health check exceeded timeout (${timeoutNs / 1e9}s)` : result.output,
  };
  const startedMs = rec.startedAt === null ? 0 : Date.parse(rec.startedAt);
  const inStartPeriod = Date.now() - startedMs < (hc.startPeriod ?? 0) / 1e6;
  return tx(engine.db, () => {
    const cur = getContainer(engine.db, id);
    if (cur === undefined || cur.state !== 'running') return null;
    const health = nextHealth(cur.health, entry, { retries: hc.retries ?? DEFAULT_RETRIES, inStartPeriod });
    updateContainer(engine.db, id, { health });
    return health;
  });
}
