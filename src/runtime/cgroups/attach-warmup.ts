// Moving a process into a cgroup (a write to cgroup.procs, v1 or v2) takes the kernel's global
// cgroup_threadgroup_rwsem for writing. When nobody has taken it for a while, the first writer
// waits for an RCU grace period (rcu_sync_enter): 6 to 18 ms on the test VM, the largest single
// cost of `create` outside the helper. While writers keep coming within a grace period of each
// other, the lock stays on its fast path and a move takes microseconds.
//
// So berth-nsexec, while it waits for the plan, moves itself into the cgroup it is already in
// every 2 ms (native/main.c, cgroup_warmup): a write that changes nothing, on another core, while
// TypeScript builds the plan. That alone starts too late to hide a whole grace period (the helper
// exists only a few ms before the runtime makes the cgroups, and a mkdir there waits for the
// cgroup_mutex the warming writer holds), so the engine also warms from its own process from the
// start of create or start (warmAttachFor), on libuv's thread pool: a `run` then meets a warm lock.
import { existsSync, readFileSync, writeFile } from 'node:fs';
import { DEFAULT_CGROUP_ROOT } from './driver.js';

/** The cgroup.procs file of this process's own cgroup: the pids hierarchy on v1, else v2's. */
export function ownProcsFile(procSelfCgroup: string, root: string, exists: (p: string) => boolean = existsSync): string | undefined {
  const candidates: string[] = [];
  for (const line of procSelfCgroup.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined || path.includes('..')) continue;
    const rel = path === '/' ? '' : path;
    if (controllers!.split(',').includes('pids')) candidates.unshift(`${root}/pids${rel}/cgroup.procs`);
    else if (controllers === '') candidates.push(`${root}${rel}/cgroup.procs`, `${root}/unified${rel}/cgroup.procs`);
  }
  return candidates.find((p) => exists(p));
}

const cached = new Map<string, string | null>();

/**
 * The file berth-nsexec writes its pid to while it waits for the plan (its $BERTH_CGROUP_WARMUP),
 * or undefined where there is none. berth-nsexec runs in our cgroups (the monitor in between
 * keeps them), so ours is its own. Only for the host's cgroup tree.
 */
export function attachWarmupFile(root: string = DEFAULT_CGROUP_ROOT): string | undefined {
  let file = cached.get(root);
  if (file === undefined) {
    try {
      const found = ownProcsFile(readFileSync('/proc/self/cgroup', 'utf8'), root);
      // Only a file that lists us: where the mount does not match /proc/self/cgroup (a container
      // given a subtree), the path could name another cgroup, and the helper must not move there.
      const ours = found !== undefined && readFileSync(found, 'utf8').split('\n').includes(String(process.pid));
      file = ours ? found : null;
    } catch {
      file = null;
    }
    cached.set(root, file);
  }
  return file ?? undefined;
}

let warming: { timer: NodeJS.Timeout; until: number } | undefined;

/**
 * The same warm-up from this process, for callers that know a container is coming well before its
 * helper exists (`berth run` while it creates the container): a no-op move of ourselves every 3 ms
 * on libuv's thread pool, for at most `ms` or until stopAttachWarmup(). The timer does not keep
 * the process alive, and a write only goes out when the previous one is done.
 */
export function warmAttachFor(ms: number, root: string = DEFAULT_CGROUP_ROOT): void {
  const file = attachWarmupFile(root);
  if (file === undefined) return;
  const until = Date.now() + ms;
  if (warming !== undefined) {
    warming.until = Math.max(warming.until, until);
    return;
  }
  let busy = false;
  const tick = (): void => {
    if (warming === undefined) return;
    if (Date.now() > warming.until) {
      stopAttachWarmup();
      return;
    }
    if (busy) return;
    busy = true;
    writeFile(file, String(process.pid), () => {
      busy = false;
    });
  };
  warming = { timer: setInterval(tick, 3), until };
  warming.timer.unref();
  tick();
}

export function stopAttachWarmup(): void {
  if (warming === undefined) return;
  clearInterval(warming.timer);
  warming = undefined;
}
