// Finds a process's cgroup files from the host side, for cgroup v1 (per-controller hierarchies)
// and v2 (one unified hierarchy).
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

interface CgroupMount { dir: string; controllers: string[]; v2: boolean }

function cgroupMounts(): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const [fstype, , superOpts = ''] = post.split(' ');
    const dir = pre.split(' ')[4] ?? '';
    if (fstype === 'cgroup') out.push({ dir, controllers: superOpts.split(',').map((o) => o.replace(/^name=/, '')), v2: false });
    if (fstype === 'cgroup2') out.push({ dir, controllers: [], v2: true });
  }
  return out;
}

/** Every cgroup mount point (to look for leftovers in each hierarchy). */
export function cgroupMountDirs(): string[] {
  return cgroupMounts().map((m) => m.dir);
}

/**
 * The host directory of `pid`'s cgroup for a controller. A v1 hierarchy that has the controller
 * wins; on a pure v2 host the unified one is used.
 */
export function cgroupDirOf(pid: number, controller: string): { dir: string; v2: boolean } {
  const mounts = cgroupMounts();
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  for (const line of lines) {
    const [, list = '', path = ''] = line.split(':');
    if (list.split(',').includes(controller)) {
      const m = mounts.find((mm) => !mm.v2 && mm.controllers.includes(controller));
      if (m) return { dir: join(m.dir, path), v2: false };
    }
  }
  const unified = lines.find((l) => l.startsWith('0::'));
  const m2 = mounts.find((mm) => mm.v2);
  if (unified && m2) return { dir: join(m2.dir, unified.slice(3)), v2: true };
  throw new Error(`pid ${pid}: no cgroup found for ${controller}`);
}

/** A cgroup file by its v1 name, translated for v2 when the host is v2. */
export function readCgroupFile(pid: number, controller: string, v1File: string): string {
  const { dir, v2 } = cgroupDirOf(pid, controller);
  const v2Names: Record<string, string> = { 'memory.limit_in_bytes': 'memory.max', 'pids.max': 'pids.max', 'cpu.cfs_quota_us': 'cpu.max' };
  const file = v2 ? v2Names[v1File] ?? v1File : v1File;
  const text = readFileSync(join(dir, file), 'utf8').trim();
  // cpu.max is "quota period" on v2; v1's quota file holds the quota alone.
  return v2 && v1File === 'cpu.cfs_quota_us' ? text.split(' ')[0] ?? text : text;
}

/** Paths of `relPath` (e.g. "/berth-x/id") that still exist in any hierarchy. */
export function existingCgroupDirs(relPath: string): string[] {
  return cgroupMountDirs().map((d) => join(d, relPath)).filter((p) => existsSync(p));
}

/**
 * Removes an (empty) parent cgroup in every hierarchy, children first. A cgroup stays busy for a
 * moment after its last process exits (conmon, say, still on its way out): EBUSY is retried for
 * up to 5 s before it counts as a leak.
 */
export function removeCgroupTree(relPath: string): void {
  const rmdirPatiently = (dir: string): void => {
    for (let waited = 0; ; waited += 50) {
      try {
        rmdirSync(dir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || waited >= 5000) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      }
    }
  };
  const rm = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(join(dir, e.name));
    rmdirPatiently(dir);
  };
  for (const dir of existingCgroupDirs(relPath)) rm(dir);
}
