// The cgroup v2 driver: one directory in the unified hierarchy.

import * as path from 'node:path';
import { BerthError } from '../../errors.js';
import { checkResources } from './convert.js';
import type { CgroupManager, CgroupStats } from './driver.js';
import { CgroupDir, makeDirs, readProcsTree, removeCgroupTree, removeEmptyParents, sleepSync, writeProc, type CgroupFs, type WarningSink } from './fs.js';
import { resolveCgroupPath } from './paths.js';
import type { LinuxResources } from './resources.js';
import { applyV2, checkV2 } from './v2-apply.js';
import { statsV2 } from './v2-stats.js';

export interface V2Options {
  cgroupsPath: string;
  id: string;
  root: string;
  fs: CgroupFs;
  warn: WarningSink;
}

/** Controllers berth delegates down to a container; whichever the kernel offers. */
const WANTED_CONTROLLERS = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'];

const FREEZE_TIMEOUT_MS = 10_000;

export class CgroupV2Manager implements CgroupManager {
  readonly version = 2 as const;
  private readonly fs: CgroupFs;
  private readonly warn: WarningSink;
  private readonly root: string;
  private readonly leaf: CgroupDir;
  private created: string[] = [];

  constructor(o: V2Options) {
    this.fs = o.fs;
    this.warn = o.warn;
    this.root = o.root;
    this.leaf = new CgroupDir(o.fs, '', path.join(o.root, resolveCgroupPath(o.cgroupsPath, o.id)));
  }

  create(resources: LinuxResources | undefined): void {
    const r = resources ?? {};
    checkResources(r);
    checkV2(r);
    const rel = path.relative(this.root, this.leaf.dir);
    // Controllers must be enabled in every ancestor's subtree_control before the child
    // gets their files; the leaf's own subtree stays empty, since a cgroup with
    // controllers enabled for children may not hold processes.
    this.created.push(...makeDirs(this.fs, 'v2', this.root, rel, (parent) => this.enableControllers(parent)));
    this.apply(r);
  }

  private enableControllers(dir: string): void {
    const d = new CgroupDir(this.fs, '', dir);
    const available = new Set(d.read('cgroup.controllers').split(/\s+/));
    const enabled = new Set(d.read('cgroup.subtree_control').split(/\s+/));
    for (const c of WANTED_CONTROLLERS) {
      // One controller per write, so one that fails does not block the others.
      if (available.has(c) && !enabled.has(c)) d.write('cgroup.subtree_control', `+${c}`);
    }
  }

  private apply(r: LinuxResources): void {
    applyV2(this.leaf, r, this.warn);
  }

  update(resources: LinuxResources): void {
    checkResources(resources);
    this.apply(resources);
  }

  addProcess(pid: number): void {
    writeProc(this.leaf, pid);
  }

  private frozenState(): boolean {
    return /^frozen 1$/m.test(this.leaf.read('cgroup.events'));
  }

  private setFrozen(want: boolean): void {
    const d = this.leaf;
    d.write('cgroup.freeze', want ? '1' : '0');
    const deadline = Date.now() + FREEZE_TIMEOUT_MS;
    for (let i = 0; this.frozenState() !== want; i++) {
      if (Date.now() > deadline) {
        if (want) d.write('cgroup.freeze', '0');
        throw new BerthError('BERTH_ECGROUP', `cgroup: cgroup.events did not report frozen ${want ? 1 : 0} within ${FREEZE_TIMEOUT_MS / 1000}s`);
      }
      sleepSync(Math.min(1 + i, 20));
    }
  }

  freeze(): void {
    this.setFrozen(true);
  }

  thaw(): void {
    this.setFrozen(false);
  }

  isFrozen(): boolean {
    return this.frozenState();
  }

  pids(): number[] {
    if (!this.fs.exists(this.leaf.dir)) return [];
    return readProcsTree(this.fs, this.leaf);
  }

  stats(): CgroupStats {
    return statsV2(this.leaf);
  }

  destroy(): void {
    removeCgroupTree(this.fs, 'v2', this.leaf.dir);
    removeEmptyParents(this.fs, this.created, this.leaf.dir);
    this.created = [];
  }

  paths(): Record<string, string> {
    return { '': this.leaf.dir };
  }
}
