// Moving a process into a cgroup (a write to cgroup.procs, v1 or v2) takes the kernel's global
// cgroup_threadgroup_rwsem for writing. When nobody has taken it for a while, the first writer
// waits for an RCU grace period (rcu_sync_enter): 6 to 18 ms on the test VM, the largest single
// cost of `create` outside the helper. While writers keep coming within a grace period of each
// other, the lock stays on its fast path and a move takes microseconds.
//
// So berth-nsexec, while it waits for the plan, moves itself into the cgroup it is already in
// every 2 ms (native/main.c, cgroup_warmup): a write that changes nothing, on another core, while
// TypeScript builds the plan. Node cannot do this itself: its timers do not fire while the main
// thread compiles the plan. Here we only choose the file.
import { existsSync, readFileSync } from 'node:fs';
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

let cached: string | null | undefined;

/**
 * The file berth-nsexec writes its pid to while it waits for the plan (its $BERTH_CGROUP_WARMUP),
 * or undefined where there is none. berth-nsexec runs in our cgroups (the monitor in between
 * keeps them), so ours is its own. Only for the host's cgroup tree.
 */
export function attachWarmupFile(root: string = DEFAULT_CGROUP_ROOT): string | undefined {
  if (cached === undefined) {
    try {
      const file = ownProcsFile(readFileSync('/proc/self/cgroup', 'utf8'), root);
      // Only a file that lists us: where the mount does not match /proc/self/cgroup (a container
      // given a subtree), the path could name another cgroup, and the helper must not move there.
      const ours = file !== undefined && readFileSync(file, 'utf8').split('\n').includes(String(process.pid));
      cached = ours ? file : null;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
