// stop, kill, pause, unpause, restart. `stop` sends the stop signal, waits up to the timeout for the
// monitor's exit file, then SIGKILLs every process of the container.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../errors.js';
import type { Engine } from './engine.js';
import { containerPaths } from './paths.js';
import { getContainer, tx, updateContainer, type ContainerRecord } from './records.js';
import { lookup, monitorAlive, recordExit } from './state.js';
import { startContainer } from './start.js';
import { releaseNetwork } from './network.js';

/** Waits until the exit file exists or the monitor is gone; true if it happened in time. */
export async function waitExited(engine: Engine, rec: ContainerRecord, timeoutMs: number): Promise<boolean> {
  const exitFile = containerPaths(engine.paths, rec.id).exitFile;
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 50)) {
    if (existsSync(exitFile) || !monitorAlive(rec)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
  }
}

export async function stopContainer(engine: Engine, ref: string, timeoutSec?: number): Promise<ContainerRecord> {
  let rec = await lookup(engine, ref);
  tx(engine.db, () => updateContainer(engine.db, rec.id, { stoppedByUser: true }));
  if (rec.state === 'restarting') {
    // The cleanup waiting out the backoff sees stoppedByUser and gives up.
    tx(engine.db, () => updateContainer(engine.db, rec.id, { state: 'exited' }));
    return getContainer(engine.db, rec.id)!;
  }
  if (rec.state !== 'running' && rec.state !== 'paused' && rec.state !== 'starting') return getContainer(engine.db, rec.id)!;
  const rt = engine.runtime(rec);
  const timeout = timeoutSec ?? rec.config.resolved.stopTimeout;
  if (rec.state === 'paused') await rt.resume(rec.id).catch(() => undefined);
  if (timeout > 0) {
    await rt.kill(rec.id, rec.config.resolved.stopSignal).catch(() => undefined);
  }
  if (!(await waitExited(engine, rec, timeout * 1000))) {
    await rt.kill(rec.id, 'SIGKILL', true).catch(() => undefined);
    await waitExited(engine, rec, 10_000);
  }
  rec = (await recordExit(engine, rec.id)) ?? rec;
  // The monitor's cleanup frees the network too; doing it here means `stop` returns with the
  // host ports and addresses already free, as docker's does.
  await releaseNetwork(engine, rec.id);
  return rec;
}

export async function killContainer(engine: Engine, ref: string, signal = 'SIGKILL'): Promise<ContainerRecord> {
  const rec = await lookup(engine, ref);
  if (rec.state !== 'running' && rec.state !== 'paused') {
    throw new BerthError('BERTH_ESTATE', `cannot kill container ${rec.name}: it is not running`);
  }
  const { parseSignal } = await import('../runtime/lifecycle/kill.js');
  const num = parseSignal(signal);
  // docker: a kill that stops the container counts as stopped by the user for restart policies.
  if (num === 9 || num === 15) tx(engine.db, () => updateContainer(engine.db, rec.id, { stoppedByUser: true }));
  await engine.runtime(rec).kill(rec.id, String(num));
  if (num === 9) {
    await waitExited(engine, rec, 10_000);
    const after = (await recordExit(engine, rec.id)) ?? rec;
    await releaseNetwork(engine, rec.id);
    return after;
  }
  return rec;
}

export async function pauseContainer(engine: Engine, ref: string): Promise<void> {
  const rec = await lookup(engine, ref);
  if (rec.state !== 'running') throw new BerthError('BERTH_ESTATE', `container ${rec.name} is not running`);
  await engine.runtime(rec).pause(rec.id);
  tx(engine.db, () => updateContainer(engine.db, rec.id, { state: 'paused' }));
}

export async function unpauseContainer(engine: Engine, ref: string): Promise<void> {
  const rec = await lookup(engine, ref);
  if (rec.state !== 'paused') throw new BerthError('BERTH_ESTATE', `container ${rec.name} is not paused`);
  await engine.runtime(rec).resume(rec.id);
  tx(engine.db, () => updateContainer(engine.db, rec.id, { state: 'running' }));
}

export async function restartContainer(engine: Engine, ref: string, timeoutSec?: number): Promise<ContainerRecord> {
  const rec = await stopContainer(engine, ref, timeoutSec);
  // The previous run's cleanup may still be deleting the runtime container: start waits for it.
  const deadline = Date.now() + 10_000;
  while (monitorAlive(getContainer(engine.db, rec.id) ?? rec) && Date.now() < deadline) await sleep(20);
  return startContainer(engine, rec.id);
}

/** Waits for the container to exit; its exit code (docker `wait`). */
export async function waitContainer(engine: Engine, ref: string, signal?: AbortSignal): Promise<number> {
  let rec = await lookup(engine, ref);
  for (;;) {
    if (rec.state === 'exited' || rec.state === 'created' || rec.state === 'dead') return rec.exitCode;
    if (signal?.aborted) throw new BerthError('BERTH_EINTERNAL', 'wait aborted');
    await sleep(50);
    const cur = getContainer(engine.db, rec.id);
    if (cur === undefined) {
      // Removed meanwhile (--rm): the exit code it had, read from the exit file if still there.
      const exit = await import('./monitor/index.js').then((m) => m.readExitFile(containerPaths(engine.paths, rec.id).exitFile)).catch(() => null);
      return exit?.exitCode ?? rec.exitCode;
    }
    rec = (await import('./state.js').then((m) => m.reconcile(engine, cur))) ?? cur;
  }
}
