// The monitor's exit command (`berth container cleanup ID`): record the exit, release the runtime
// container (and with it the cgroup), then --rm or the restart policy with docker's backoff (100ms,
// doubling, back to 100ms once a run lasted 10s; at most a minute). A restart gets a new monitor;
// the old one waits for this command and then exits.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Engine } from './engine.js';
import { getContainer, tx, updateContainer, type ContainerRecord } from './records.js';
import { pidAlive, recordExit } from './state.js';
import { releaseNetwork } from './network.js';
import { trace } from './trace.js';

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
const RESET_AFTER_MS = 10_000;

export function shouldRestart(rec: ContainerRecord): boolean {
  if (rec.stoppedByUser || rec.error !== '' || rec.state !== 'exited') return false;
  const p = rec.config.request.restart;
  switch (p.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return rec.exitCode !== 0 && (p.maximumRetryCount === 0 || rec.restartCount < p.maximumRetryCount);
    default:
      return false;
  }
}

export function nextDelay(rec: ContainerRecord): number {
  const ran = rec.startedAt !== null && rec.finishedAt !== null ? Date.parse(rec.finishedAt) - Date.parse(rec.startedAt) : 0;
  if (ran >= RESET_AFTER_MS || rec.restartDelayMs === 0) return FIRST_DELAY_MS;
  return Math.min(rec.restartDelayMs * 2, MAX_DELAY_MS);
}

export async function containerExited(engine: Engine, id: string): Promise<void> {
  let rec = getContainer(engine.db, id);
  if (rec === undefined || rec.state === 'removing' || rec.state === 'creating') return;
  trace('exited: begin');
  rec = (await recordExit(engine, id)) ?? rec;
  trace('exited: recorded');
  await engine.runtime(rec).delete(id, true).catch(() => undefined);
  trace('exited: runtime deleted');
  rec = getContainer(engine.db, id);
  if (rec === undefined || rec.state !== 'exited') return;
  if (rec.config.request.autoRemove) {
    // rm releases the network too. A foreground `run --rm` removes the container itself once it
    // has read the exit code.
    if (pidAlive(rec.runnerPid) && rec.runnerPid !== process.pid) return;
    const { removeContainer } = await import('./remove.js');
    await removeContainer(engine, id, { force: true, volumes: true });
    return;
  }
  // docker keeps the endpoint while the container runs and frees it at exit; a restart attaches anew.
  await releaseNetwork(engine, id);
  trace('exited: network released');
  if (!shouldRestart(rec)) return;
  const delay = nextDelay(rec);
  const claimed = tx(engine.db, () => {
    const cur = getContainer(engine.db, id);
    if (cur === undefined || !shouldRestart(cur)) return false;
    updateContainer(engine.db, id, { state: 'restarting', restartDelayMs: delay, restartCount: cur.restartCount + 1, restartAt: new Date(Date.now() + delay).toISOString() });
    return true;
  });
  if (!claimed) return;
  await sleep(delay);
  const cur = getContainer(engine.db, id);
  if (cur === undefined || cur.state !== 'restarting' || cur.stoppedByUser) return;
  const { startContainer } = await import('./start.js');
  await startContainer(engine, id, { restarting: true });
}

/** `start --all-restartable` (for boot): `always` containers, and `unless-stopped` ones not stopped by hand. */
export async function startRestartable(engine: Engine): Promise<string[]> {
  const { listContainerRecords } = await import('./records.js');
  const { reconcileContainerNetworks } = await import('./network.js');
  // After a reboot: namespaces are gone, leases and cached results are not.
  await reconcileContainerNetworks(engine, { always: true });
  const { reconcile } = await import('./state.js');
  const { startContainer } = await import('./start.js');
  const started: string[] = [];
  for (const r of listContainerRecords(engine.db)) {
    const rec = await reconcile(engine, r);
    if (rec === undefined || (rec.state !== 'exited' && rec.state !== 'created')) continue;
    const p = rec.config.request.restart.name;
    if (p === 'always' || (p === 'unless-stopped' && !rec.stoppedByUser)) {
      await startContainer(engine, rec.id);
      started.push(rec.id);
    }
  }
  return started;
}
