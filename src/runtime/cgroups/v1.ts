// The cgroup v1 driver: one directory per mounted hierarchy, found through mountinfo.

import * as path from 'node:path';
import { BerthError } from '../../errors.js';
import { checkResources } from './convert.js';
import type { CgroupManager, CgroupStats } from './driver.js';
import { CgroupDir, makeDirs, readProcsTree, removeCgroupTree, removeEmptyParents, sleepSync, writeProc, type CgroupFs, type WarningSink } from './fs.js';
import { joinCgroup, parseCgroupMounts, resolveCgroupPath, v1Hierarchies } from './paths.js';
import type { LinuxResources } from './resources.js';
import { applyV1, checkV1 } from './v1-apply.js';
import { statsV1 } from './v1-stats.js';

export interface V1Options {
  cgroupsPath: string;
  id: string;
  root: string;
  fs: CgroupFs;
  warn: WarningSink;
  mountinfo: string;
}

const FREEZE_TIMEOUT_MS = 10_000;

export class CgroupV1Manager implements CgroupManager {
  readonly version = 1 as const;
  private readonly fs: CgroupFs;
  private readonly warn: WarningSink;
  private readonly rel: string;
  /** controller → mount point */
  private readonly hierarchies: Map<string, string>;
  /** mount point → directories create() made there, shallowest first */
  private readonly created = new Map<string, string[]>();

  constructor(o: V1Options) {
    this.fs = o.fs;
    this.warn = o.warn;
    this.rel = resolveCgroupPath(o.cgroupsPath, o.id);
    this.hierarchies = v1Hierarchies(parseCgroupMounts(o.mountinfo), o.root);
    if (this.hierarchies.size === 0) throw new BerthError('BERTH_EUNSUPPORTED', 'cgroup: no cgroup v1 hierarchy is mounted');
  }

  /** Co-mounted controllers (cpu,cpuacct) share one mount point; each is visited once. */
  private mounts(): Array<{ mountPoint: string; label: string }> {
    const by = new Map<string, string[]>();
    for (const [c, mp] of this.hierarchies) by.set(mp, [...(by.get(mp) ?? []), c]);
    return [...by].map(([mountPoint, cs]) => ({ mountPoint, label: cs.join(',') }));
  }

  private dir(controller: string): CgroupDir | undefined {
    const mp = this.hierarchies.get(controller);
    return mp === undefined ? undefined : new CgroupDir(this.fs, controller, joinCgroup(mp, this.rel));
  }

  create(resources: LinuxResources | undefined): void {
    const r = resources ?? {};
    checkResources(r);
    checkV1(r);
    for (const { mountPoint, label } of this.mounts()) {
      const made = makeDirs(this.fs, label, mountPoint, this.rel);
      if (made.length > 0) this.created.set(mountPoint, [...(this.created.get(mountPoint) ?? []), ...made]);
    }
    this.initCpuset();
    this.apply(r);
  }

  /**
   * A new cpuset cgroup starts with empty cpus and mems and then refuses tasks; every
   * level on the way down needs them, so each inherits from its parent.
   */
  private initCpuset(): void {
    const mp = this.hierarchies.get('cpuset');
    if (mp === undefined) return;
    let parent = new CgroupDir(this.fs, 'cpuset', mp);
    for (const seg of this.rel.split('/').filter((s) => s !== '')) {
      const cur = new CgroupDir(this.fs, 'cpuset', path.join(parent.dir, seg));
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if (cur.read(f) === '') cur.write(f, parent.read(f));
      }
      parent = cur;
    }
  }

  private apply(r: LinuxResources): void {
    applyV1({ dir: (c) => this.dir(c), warn: this.warn }, r);
  }

  update(resources: LinuxResources): void {
    checkResources(resources);
    this.apply(resources);
  }

  addProcess(pid: number): void {
    for (const { mountPoint, label } of this.mounts()) {
      writeProc(new CgroupDir(this.fs, label, joinCgroup(mountPoint, this.rel)), pid);
    }
  }

  private freezer(): CgroupDir {
    const d = this.dir('freezer');
    if (d === undefined) throw new BerthError('BERTH_EUNSUPPORTED', 'cgroup freezer: controller not mounted, cannot pause');
    return d;
  }

  /**
   * Tasks can be caught mid-syscall, leaving the state at FREEZING; writing FROZEN
   * again retries them, so the write repeats until the state reads back.
   */
  private setFreezer(want: 'FROZEN' | 'THAWED'): void {
    const d = this.freezer();
    const deadline = Date.now() + FREEZE_TIMEOUT_MS;
    let state = '';
    for (let i = 0; ; i++) {
      if (i % 10 === 0) d.write('freezer.state', want);
      state = d.read('freezer.state');
      if (state === want) return;
      if (Date.now() > deadline) break;
      sleepSync(Math.min(1 + i, 20));
    }
    if (want === 'FROZEN') d.write('freezer.state', 'THAWED');
    throw new BerthError('BERTH_ECGROUP', `cgroup freezer: freezer.state still reads ${state} after ${FREEZE_TIMEOUT_MS / 1000}s waiting for ${want}`);
  }

  freeze(): void {
    this.setFreezer('FROZEN');
  }

  thaw(): void {
    this.setFreezer('THAWED');
  }

  isFrozen(): boolean {
    return this.freezer().read('freezer.state') === 'FROZEN';
  }

  pids(): number[] {
    const d = this.dir('freezer') ?? this.dir('pids') ?? this.dir('memory') ?? this.dir([...this.hierarchies.keys()][0]!);
    if (d === undefined || !this.fs.exists(d.dir)) return [];
    return readProcsTree(this.fs, d);
  }

  stats(): CgroupStats {
    return statsV1((c) => this.dir(c));
  }

  destroy(): void {
    for (const { mountPoint, label } of this.mounts()) {
      const leaf = joinCgroup(mountPoint, this.rel);
      removeCgroupTree(this.fs, label, leaf);
      removeEmptyParents(this.fs, this.created.get(mountPoint) ?? [], leaf);
    }
    this.created.clear();
  }

  paths(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [c, mp] of this.hierarchies) out[c] = joinCgroup(mp, this.rel);
    return out;
  }
}
