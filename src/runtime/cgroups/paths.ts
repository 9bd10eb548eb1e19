// Where a container's cgroup lives: the OCI cgroupsPath rules, and which v1
// hierarchies are mounted where (read from mountinfo, never assumed).

import * as path from 'node:path';
import { BerthError } from '../../errors.js';

/**
 * Normalises an OCI cgroupsPath to "/a/b/c" relative to each hierarchy's root.
 * Absolute and relative paths both land under the root (berth does not nest under its
 * own cgroup); empty means "/berth/<id>". A ".." segment could reach another
 * container's or the host's cgroup, so it is refused rather than resolved.
 */
export function resolveCgroupPath(cgroupsPath: string | undefined, id: string): string {
  const raw = cgroupsPath === undefined || cgroupsPath === '' ? `/berth/${id}` : cgroupsPath;
  if (raw.includes('\0')) throw new BerthError('BERTH_EINVAL', `cgroupsPath ${JSON.stringify(raw)} contains a NUL byte`);
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw new BerthError('BERTH_EINVAL', `cgroupsPath ${JSON.stringify(raw)} escapes the cgroup root with ".."`);
  }
  if (segments.length === 0) {
    throw new BerthError('BERTH_EINVAL', `cgroupsPath ${JSON.stringify(raw)} names the root cgroup, which a container cannot own`);
  }
  return '/' + segments.join('/');
}

export interface CgroupMount {
  mountPoint: string;
  fsType: 'cgroup' | 'cgroup2';
  /** v1: the controllers (and "name=…" for named hierarchies) bound to this mount. */
  controllers: string[];
}

/** v1 controller names that may appear among a cgroup mount's super options. */
const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio',
  'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
]);

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo text, keeping cgroup and cgroup2 mounts. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const fsType = post[0];
    const mountPoint = pre[4];
    if (mountPoint === undefined || (fsType !== 'cgroup' && fsType !== 'cgroup2')) continue;
    const superOpts = (post[2] ?? '').split(',');
    const controllers = fsType === 'cgroup' ? superOpts.filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name=')) : [];
    out.push({ mountPoint: unescapeMountField(mountPoint), fsType, controllers });
  }
  return out;
}

/**
 * controller → mount point for the v1 hierarchies. When a controller is mounted more
 * than once (bind mounts, a second mount elsewhere), the one under `root` wins.
 */
export function v1Hierarchies(mounts: readonly CgroupMount[], root: string): Map<string, string> {
  const out = new Map<string, string>();
  const under = (p: string): boolean => p === root || p.startsWith(root.endsWith('/') ? root : root + '/');
  for (const m of mounts) {
    if (m.fsType !== 'cgroup') continue;
    for (const c of m.controllers) {
      const prev = out.get(c);
      if (prev === undefined || (!under(prev) && under(m.mountPoint))) out.set(c, m.mountPoint);
    }
  }
  return out;
}

export function joinCgroup(mountPoint: string, cgroupPath: string): string {
  return path.join(mountPoint, cgroupPath);
}
