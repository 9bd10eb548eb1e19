// `delete`: remove a stopped (or, with --force, any) container: processes, cgroups, state, fifo.
import { BerthError, isBerthError } from '../../errors.js';
import { runHooks } from '../hooks/run-hooks.js';
import { lockContainer } from '../state/lock.js';
import { Container, destroyCgroupQuietly } from './container.js';
import { storeOf, sleepMs, type RuntimeContext } from './context.js';

export function deleteContainer(ctx: RuntimeContext, id: string, force: boolean): void {
  const lock = lockContainer(ctx.root, id);
  try {
    let c: Container;
    try {
      c = Container.load(ctx, id);
    } catch (e) {
      // As runc: deleting what is already gone is not an error under --force.
      if (force && isBerthError(e, 'BERTH_ENOTFOUND')) return;
      throw e;
    }
    const status = c.status();
    if ((status === 'running' || status === 'paused') && !force) {
      throw new BerthError('BERTH_ESTATE', `cannot delete container "${id}": it is ${status} (use --force)`);
    }
    if (status !== 'stopped') killEverything(c);
    let cgroupPids: number[] = [];
    try { cgroupPids = c.cgroup().pids(); } catch { /* cgroup already gone */ }
    if (cgroupPids.length > 0) killEverything(c);
    destroyCgroupQuietly(c.cgroup(), ctx.logger);
    try {
      runHooks('poststop', c.spec().hooks?.poststop, c.hookState('stopped'));
    } catch (e) {
      // runtime.md: poststop failures are logged, and deletion goes on.
      ctx.logger.warn((e as Error).message);
    }
    storeOf(ctx).remove(id);
  } finally {
    lock.release();
  }
}

function killEverything(c: Container): void {
  const cg = c.cgroup();
  let pids: number[] = [];
  try { pids = cg.pids(); } catch { /* no cgroup */ }
  if (c.isAlive() && !pids.includes(c.state.pid)) pids.push(c.state.pid);
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  try { cg.thaw(); } catch { /* no freezer */ }
  for (let i = 0; i < 500; i++) {
    let left: number[] = [];
    try { left = cg.pids(); } catch { /* gone */ }
    if (left.length === 0 && !c.isAlive()) return;
    for (const pid of left) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    sleepMs(Math.min(1 + i, 20));
  }
}
