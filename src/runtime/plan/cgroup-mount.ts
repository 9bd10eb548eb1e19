// A `cgroup` mount in the spec means "the container's view of the cgroup filesystem", which is a
// different set of mounts on a cgroup v2 host and on a v1/hybrid host.
//
// v2 host: one cgroup2 mount. With a new cgroup namespace the kernel roots it at the container's
// cgroup; without one it shows the whole tree, like runc (mount it "ro" to keep the host safe).
//
// v1/hybrid host (what runc does, in plan form): a tmpfs at the destination, then one mount per
// hierarchy the host has under /sys/fs/cgroup, named like the host's (cpu, memory, systemd, unified),
// plus the host's co-mount symlinks (cpuacct → cpu,cpuacct). With a new cgroup namespace each
// hierarchy is a fresh cgroup/cgroup2 mount, which the kernel roots at the namespace; without one it
// is a bind of the host hierarchy, narrowed to the container's own cgroup when the caller passes
// `cgroupPaths`. The tmpfs is made read-only at the end (readonlyPaths) when the mount asked for "ro",
// because the symlinks must be created in it first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MountOp } from './launch-plan.js';
import { bindRemountFlags, MS } from '../../sys/mount-options.js';

export interface HostCgroupMount {
  /** Absolute host path, e.g. /sys/fs/cgroup/memory. */
  mountpoint: string;
  fstype: 'cgroup' | 'cgroup2';
  /** Controller options to mount the same hierarchy again: "cpu,cpuacct", "name=systemd", "". */
  controllers: string;
}

export interface HostCgroups {
  unified: boolean;
  /** v1/hybrid only: the hierarchies directly under /sys/fs/cgroup. */
  hierarchies: HostCgroupMount[];
  /** v1/hybrid only: symlinks directly under /sys/fs/cgroup (name → target). */
  symlinks: { name: string; target: string }[];
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Reads the host layout from /proc/self/mountinfo and /sys/fs/cgroup. */
export function detectHostCgroups(mountinfo?: string): HostCgroups {
  const text = mountinfo ?? fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const hierarchies: HostCgroupMount[] = [];
  let unified = false;
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const mountpoint = left[4];
    const fstype = right[0];
    if (mountpoint === undefined || (fstype !== 'cgroup' && fstype !== 'cgroup2')) continue;
    if (mountpoint === CGROUP_ROOT && fstype === 'cgroup2') unified = true;
    if (path.dirname(mountpoint) !== CGROUP_ROOT) continue;
    const controllers = fstype === 'cgroup' ? (right[2] ?? '').split(',').filter(isControllerOption).join(',') : '';
    hierarchies.push({ mountpoint, fstype, controllers });
  }
  const symlinks: { name: string; target: string }[] = [];
  if (!unified && mountinfo === undefined) {
    for (const name of safeReaddir(CGROUP_ROOT)) {
      try {
        const full = path.join(CGROUP_ROOT, name);
        if (fs.lstatSync(full).isSymbolicLink()) symlinks.push({ name, target: fs.readlinkSync(full) });
      } catch {
        // raced with an unmount: nothing to mirror
      }
    }
  }
  return { unified, hierarchies: unified ? [] : hierarchies, symlinks };
}

// Only what names the hierarchy: re-mounting with the host's release_agent= (or any other setting)
// would hand the container a knob it must not have.
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'xattr', 'clone_children', 'noprefix', 'cpuset_v2_mode', 'favordynmods', '']);
function isControllerOption(o: string): boolean {
  if (NOT_CONTROLLERS.has(o)) return false;
  return !o.includes('=') || o.startsWith('name=');
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

export interface CgroupMountPlan {
  mounts: MountOp[];
  symlinks: { target: string; path: string }[];
  readonlyPaths: string[];
}

export function expandCgroupMount(
  m: { destination: string; flags: bigint; data: string },
  host: HostCgroups,
  opts: { newCgroupNs: boolean; cgroupPaths?: Readonly<Record<string, string>> },
): CgroupMountPlan {
  const dest = m.destination;
  const flags = m.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
  if (host.unified) {
    return {
      mounts: [{ source: 'cgroup', target: dest, fstype: 'cgroup2', flags, propagation: 0n, data: m.data, remountFlags: 0n, targetKind: 'dir' }],
      symlinks: [],
      readonlyPaths: [],
    };
  }
  const readonly = (flags & MS.RDONLY) !== 0n;
  const mounts: MountOp[] = [{
    source: 'tmpfs', target: dest, fstype: 'tmpfs', flags: flags & ~MS.RDONLY, propagation: 0n,
    data: 'mode=755', remountFlags: 0n, targetKind: 'dir',
  }];
  for (const h of host.hierarchies) {
    const name = path.basename(h.mountpoint);
    const target = path.posix.join(dest, name);
    if (opts.newCgroupNs) {
      mounts.push({ source: 'cgroup', target, fstype: h.fstype, flags, propagation: 0n, data: h.controllers, remountFlags: 0n, targetKind: 'dir' });
    } else {
      const sub = opts.cgroupPaths?.[name] ?? '';
      const bindFlags = flags | MS.BIND | MS.REC;
      mounts.push({
        source: path.posix.join(h.mountpoint, sub), target, fstype: '', flags: bindFlags, propagation: 0n, data: '',
        remountFlags: bindRemountFlags(bindFlags), targetKind: 'dir',
      });
    }
  }
  const symlinks = host.symlinks.map((s) => ({ target: s.target, path: path.posix.join(dest, s.name) }));
  return { mounts, symlinks, readonlyPaths: readonly ? [dest] : [] };
}
