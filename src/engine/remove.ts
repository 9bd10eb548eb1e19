// `rm`: the runtime container, the processes, the monitor, the rootfs mount and snapshot, the
// container and run directories (logs included), anonymous volumes with -v, and last the row.
// Claimed first (state `removing`, owner pid), so a crash half-way is finished by reconcile.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REMOVING_MARKER } from './start.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../errors.js';
import type { Engine } from './engine.js';
import { containerPaths } from './paths.js';
import { deleteContainerRecord, getContainer, listContainerRecords, tx, updateContainer, type ContainerRecord } from './records.js';
import { unmountAll } from './rootfs.js';
import { monitorAlive, pidAlive, reconcile } from './state.js';
import { getVolume, removeVolume } from './volumes.js';
import { waitExited } from './stop.js';
import { trace } from './trace.js';
import { releaseNetwork } from './network.js';

export interface RemoveOptions {
  force?: boolean;
  volumes?: boolean;
  /** Called by reconcile for a row whose owner died: take it over whatever its state. */
  reconciling?: boolean;
}

export async function removeContainer(engine: Engine, ref: string, opts: RemoveOptions = {}): Promise<void> {
  let rec = engine.find(ref);
  if (!opts.reconciling) rec = (await reconcile(engine, rec)) ?? rec;
  const id = rec.id;
  const live = ['running', 'paused', 'restarting', 'starting'];
  const claimed = tx(engine.db, () => {
    const cur = getContainer(engine.db, id);
    if (cur === undefined) return 'gone' as const;
    if (!opts.reconciling && (cur.state === 'removing' || cur.state === 'creating') && pidAlive(cur.runnerPid) && cur.runnerPid !== process.pid) return 'busy' as const;
    if (live.includes(cur.state) && !opts.force) return 'running' as const;
    updateContainer(engine.db, id, { state: 'removing', runnerPid: process.pid });
    return cur;
  });
  if (claimed === 'gone') return;
  if (claimed === 'running') {
    throw new BerthError('BERTH_ESTATE', `cannot remove container ${rec.name}: it is running: stop it first or use rm -f`);
  }
  if (claimed === 'busy') {
    // Someone else is removing it (e.g. the monitor's --rm cleanup): wait for them to finish.
    for (let i = 0; i < 300 && getContainer(engine.db, id) !== undefined; i++) await sleep(50);
    return;
  }
  await teardown(engine, claimed, opts.volumes === true);
}

async function teardown(engine: Engine, rec: ContainerRecord, volumes: boolean): Promise<void> {
  const paths = containerPaths(engine.paths, rec.id);
  const rt = engine.runtime(rec);
  // Tells the monitor's exit command that rm handles everything (no cleanup process is started).
  try {
    writeFileSync(join(paths.runDir, REMOVING_MARKER), '');
  } catch {
    /* no run dir: no monitor either */
  }
  if (monitorAlive(rec)) {
    await rt.resume(rec.id).catch(() => undefined);
    await rt.kill(rec.id, 'SIGKILL', true).catch(() => undefined);
    await waitExited(engine, rec, 10_000);
  }
  trace('rm: begin');
  // The monitor exits right after the exit file (its exit command sees the marker); once it is gone
  // the init is reaped and the cgroup is empty, so the runtime can remove it.
  for (let i = 0; i < 200 && monitorAlive(rec); i++) await sleep(10);
  if (monitorAlive(rec)) {
    try {
      process.kill(rec.monitorPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  let deleteError: unknown;
  await rt.delete(rec.id, true).catch((e: unknown) => {
    deleteError = e;
  });
  // The row must outlive a container the runtime could not delete, or nothing could reach it
  // again: it stays `removing`, and the next rm -f (or reconcile) tries anew.
  if (deleteError !== undefined && (await rt.state(rec.id).catch(() => null)) !== null) {
    throw new BerthError('BERTH_ESTATE', `cannot remove container ${rec.name}: the runtime could not delete it: ${(deleteError as Error).message}`, { cause: deleteError });
  }
  trace('rm: runtime delete done');
  // Before the row goes: a failure here leaves a `removing` row that reconcile retries.
  // Independent of each other, and each waits on a child process: side by side.
  await Promise.all([releaseNetwork(engine, rec.id, { force: true }), unmountAll(paths.rootfs)]);
  trace('rm: network released, rootfs unmounted');
  if (rec.snapshotKey !== null) {
    try {
      const snap = (await engine.images()).snapshotter();
      await snap.remove(rec.snapshotKey);
    } catch (e) {
      if (!(e instanceof BerthError && e.code === 'BERTH_ENOSNAPSHOT')) throw e;
    }
  }
  rmSync(paths.runDir, { recursive: true, force: true });
  rmSync(paths.dir, { recursive: true, force: true });
  tx(engine.db, () => deleteContainerRecord(engine.db, rec.id));
  trace('rm: done');
  if (volumes) {
    for (const m of rec.config.request.mounts) {
      if (m.type !== 'volume' || m.anonymous !== true) continue;
      const v = getVolume(engine.db, m.source);
      if (v?.anonymous) {
        try {
          removeVolume(engine.db, engine.paths, m.source);
        } catch {
          /* still used by another container (--volumes-from style sharing): keep it */
        }
      }
    }
  }
}

/** `container prune`: every stopped container; ids removed. */
export async function pruneContainers(engine: Engine): Promise<string[]> {
  const removed: string[] = [];
  for (const r of listContainerRecords(engine.db)) {
    const rec = await reconcile(engine, r);
    if (rec === undefined || (rec.state !== 'exited' && rec.state !== 'created' && rec.state !== 'dead')) continue;
    await removeContainer(engine, rec.id, {});
    removed.push(rec.id);
  }
  return removed;
}
