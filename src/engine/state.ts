// Keeping the record true: a container's row says what the monitor and the runtime say. Every read
// (ps, inspect, wait) reconciles first, so `ps` never reports a container whose monitor is gone as
// running, and rows left by a crashed berth (creating/removing with a dead owner) are finished.
import { readFileSync, rmSync } from 'node:fs';
import { processStartTime, isSameProcessAlive } from '../runtime/proc.js';
import { readExitFile } from './monitor/index.js';
import type { Engine } from './engine.js';
import { containerPaths } from './paths.js';
import { getContainer, tx, updateContainer, type ContainerRecord } from './records.js';

/** Exit code recorded when the monitor died without writing one (as docker reports a lost container). */
export const UNKNOWN_EXIT_CODE = 255;

export function pidAlive(pid: number): boolean {
  if (pid <= 0) return false;
  const start = processStartTime(pid);
  return start !== undefined && isSameProcessAlive(pid, start);
}

export function monitorAlive(rec: ContainerRecord): boolean {
  return rec.monitorPid > 0 && rec.monitorStart !== null && isSameProcessAlive(rec.monitorPid, rec.monitorStart);
}

/** cgroup v1 or v2: did the kernel OOM-kill anything in the container's cgroup? */
function oomKilled(id: string): boolean {
  for (const [file, re] of [
    [`/sys/fs/cgroup/memory/berth/${id}/memory.oom_control`, /oom_kill (\d+)/],
    [`/sys/fs/cgroup/berth/${id}/memory.events`, /oom_kill (\d+)/],
  ] as const) {
    try {
      const m = re.exec(readFileSync(file, 'utf8'));
      if (m !== null) return Number(m[1]) > 0;
    } catch {
      /* not this hierarchy */
    }
  }
  return false;
}

const LIVE = new Set(['starting', 'running', 'paused', 'restarting']);

/**
 * Records the exit the monitor wrote (or an unknown one when it could not). Idempotent: only a
 * container still marked live is changed, so the monitor's cleanup, stop and reconcile may race.
 */
export async function recordExit(engine: Engine, id: string, opts: { unknown?: string } = {}): Promise<ContainerRecord | undefined> {
  const paths = containerPaths(engine.paths, id);
  const exit = opts.unknown === undefined ? await readExitFile(paths.exitFile).catch(() => null) : null;
  if (exit === null && opts.unknown === undefined) return getContainer(engine.db, id);
  const oom = oomKilled(id);
  tx(engine.db, () => {
    const rec = getContainer(engine.db, id);
    if (rec === undefined || !LIVE.has(rec.state) || (rec.state === 'restarting' && exit !== null)) return;
    updateContainer(engine.db, id, {
      state: 'exited',
      exitCode: exit?.exitCode ?? UNKNOWN_EXIT_CODE,
      finishedAt: exit?.finishedAt ?? new Date().toISOString(),
      oomKilled: exit?.oomKilled === true || oom,
      pid: 0,
      ...(opts.unknown !== undefined ? { error: opts.unknown } : {}),
      ...(rec.health !== null ? { health: { ...rec.health, Status: 'unhealthy' as const } } : {}),
    });
  });
  return getContainer(engine.db, id);
}

async function releaseNetworkLazy(engine: Engine, id: string): Promise<void> {
  const { releaseNetwork } = await import('./network.js');
  await releaseNetwork(engine, id).catch(() => undefined);
}

export async function reconcile(engine: Engine, rec: ContainerRecord): Promise<ContainerRecord | undefined> {
  switch (rec.state) {
    case 'creating':
    case 'removing': {
      if (pidAlive(rec.runnerPid)) return rec;
      // Half-made or half-removed by a berth that died: finish the removal.
      const { removeContainer } = await import('./remove.js');
      await removeContainer(engine, rec.id, { force: true, volumes: true, reconciling: true }).catch(() => undefined);
      return getContainer(engine.db, rec.id);
    }
    case 'starting':
    case 'running':
    case 'paused':
    case 'restarting': {
      if (rec.state === 'starting' && pidAlive(rec.runnerPid)) return rec;
      if (!monitorAlive(rec)) {
        const paths = containerPaths(engine.paths, rec.id);
        let after = await recordExit(engine, rec.id);
        if (after !== undefined && LIVE.has(after.state)) {
          // No exit file: the monitor was killed. Nothing records this container's exit or output
          // any more, so it is stopped for good and reported exited with an unknown code.
          const rt = engine.runtime(rec);
          await rt.kill(rec.id, 'SIGKILL', true).catch(() => undefined);
          await rt.delete(rec.id, true).catch(() => undefined);
          after = await recordExit(engine, rec.id, { unknown: 'the container monitor exited unexpectedly' });
          rmSync(paths.runDir, { recursive: true, force: true });
        }
        await releaseNetworkLazy(engine, rec.id);
        return after;
      }
      if (rec.state === 'running' || rec.state === 'paused') {
        const s = await engine.runtime(rec).state(rec.id);
        const want = s?.status === 'paused' ? 'paused' : s?.status === 'running' ? 'running' : rec.state;
        if (want !== rec.state) {
          tx(engine.db, () => updateContainer(engine.db, rec.id, { state: want }));
          return getContainer(engine.db, rec.id);
        }
      }
      return rec;
    }
    case 'exited': {
      // An --rm container whose foreground `run` died before removing it.
      if (rec.config.request.autoRemove && rec.runnerPid > 0 && !pidAlive(rec.runnerPid)) {
        const { removeContainer } = await import('./remove.js');
        await removeContainer(engine, rec.id, { force: true, volumes: true, reconciling: true }).catch(() => undefined);
        return getContainer(engine.db, rec.id);
      }
      // A stop whose network release was interrupted (berth killed after the exit).
      await releaseNetworkLazy(engine, rec.id);
      return rec;
    }
    default:
      return rec;
  }
}

/** Reconciled record by id, name or prefix. */
export async function lookup(engine: Engine, ref: string): Promise<ContainerRecord> {
  const rec = engine.find(ref);
  const after = await reconcile(engine, rec);
  if (after === undefined) return engine.find(ref); // throws the usual not-found error
  return after;
}

export function monitorStartTime(pid: number): string | null {
  return processStartTime(pid) ?? null;
}
