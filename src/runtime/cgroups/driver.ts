// The one cgroup interface the runtime uses, and the choice between its two drivers.

import * as path from 'node:path';
import type { BlkioStatEntry } from './convert.js';
import { hostCgroupFs, stderrWarning, type CgroupFs, type WarningSink } from './fs.js';
import type { LinuxResources } from './resources.js';
import { CgroupV1Manager } from './v1.js';
import { CgroupV2Manager } from './v2.js';

export type { BlkioStatEntry } from './convert.js';
export type { CgroupFs, WarningSink } from './fs.js';

/** Times are nanoseconds, sizes bytes. A limit left undefined means "unlimited". */
export interface CgroupStats {
  cpu: {
    usageTotal: number;
    /** v1 only (cpuacct.usage_percpu); v2 has no per-cpu counter. */
    usagePerCpu?: number[];
    usageUser: number;
    usageSystem: number;
    throttling: { periods: number; throttledPeriods: number; throttledTime: number };
  };
  memory: {
    usage: number;
    /** v1 max_usage_in_bytes, v2 memory.peak (kernel ≥ 5.19). */
    maxUsage?: number;
    limit?: number;
    /** Page cache (v1 "cache", v2 "file"). */
    cache?: number;
    /** Anonymous memory (v1 "rss", v2 "anon"). */
    rss?: number;
    /** Swap alone, not memory+swap, on both versions. */
    swapUsage?: number;
    swapLimit?: number;
    /** The raw memory.stat counters. */
    stat: Record<string, number>;
  };
  pids: { current: number; limit?: number };
  blkio: { ioServiceBytes: BlkioStatEntry[]; ioServiced: BlkioStatEntry[] };
  /** Keyed by page size as the kernel names it ("2MB"). */
  hugetlb: Record<string, { usage: number; maxUsage?: number; failcnt: number }>;
}

export interface CgroupManager {
  readonly version: 1 | 2;
  /** Create the cgroup(s) for this path and apply resources. Idempotent. */
  create(resources: LinuxResources | undefined): void;
  addProcess(pid: number): void;
  update(resources: LinuxResources): void;
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  /** Every pid in the cgroup and the cgroups nested in it (for `ps`, `kill --all`). */
  pids(): number[];
  stats(): CgroupStats;
  /**
   * Removes the container's cgroup (and any nested in it) from every hierarchy, plus
   * the parents this instance created if they are empty. A fresh instance (another
   * CLI process) knows only the leaf, so only the leaf is removed then. Call after
   * the processes are gone; EBUSY is retried briefly.
   */
  destroy(): void;
  /** controller → directory, to store in state ("" is the v2 unified directory, as in runc). */
  paths(): Record<string, string>;
}

export interface CgroupManagerOptions {
  cgroupsPath: string;
  id: string;
  /** Default /sys/fs/cgroup. */
  root?: string;
  /** Default: detected from `root`. */
  version?: 1 | 2;
  /** Default: `berth-runtime: warning: …` on stderr. */
  onWarning?: WarningSink;
  /** Default: the host filesystem. Tests pass a fake tree. */
  fs?: CgroupFs;
  /** v1 only: mountinfo text to find hierarchies in; default /proc/self/mountinfo. */
  mountinfo?: string;
}

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * v2 only when `root` itself is a cgroup2 mount (it has cgroup.controllers). A hybrid
 * host, with cgroup2 at root/unified and the controllers on v1, counts as v1.
 */
export function detectCgroupVersion(root: string = DEFAULT_CGROUP_ROOT, fs: CgroupFs = hostCgroupFs): 1 | 2 {
  return fs.exists(path.join(root, 'cgroup.controllers')) ? 2 : 1;
}

export function openCgroupManager(opts: CgroupManagerOptions): CgroupManager {
  const fs = opts.fs ?? hostCgroupFs;
  const root = opts.root ?? DEFAULT_CGROUP_ROOT;
  const version = opts.version ?? detectCgroupVersion(root, fs);
  const common = { cgroupsPath: opts.cgroupsPath, id: opts.id, root, fs, warn: opts.onWarning ?? stderrWarning };
  if (version === 2) return new CgroupV2Manager(common);
  return new CgroupV1Manager({ ...common, mountinfo: opts.mountinfo ?? fs.readFile('/proc/self/mountinfo') });
}
