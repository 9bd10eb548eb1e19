// A fake cgroup v1 tree: one directory per hierarchy, described by a fake mountinfo.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkList, errno, FakeTree } from './fake-tree.js';

export interface FakeV1Options {
  /** Controllers per mounted hierarchy; co-mounting is a list with several entries. */
  hierarchies?: string[][];
  /** memory.memsw.* present (swap accounting on). Default true. */
  memsw?: boolean;
  /** Which proportional blkio weight files exist. Default 'none', as on this host. */
  blkioWeight?: 'cfq' | 'bfq' | 'none';
  cpus?: number;
}

export const DEFAULT_V1_HIERARCHIES = [
  ['cpu'], ['cpuacct'], ['cpuset'], ['memory'], ['devices'], ['freezer'], ['blkio'], ['pids'],
  ['hugetlb'], ['net_cls', 'net_prio'], ['name=systemd'],
];

const UNLIMITED_V1 = '9223372036854771712';

export class FakeV1Tree extends FakeTree {
  private readonly mountDirs = new Map<string, string[]>();
  private readonly opts: Required<FakeV1Options>;

  constructor(opts: FakeV1Options = {}) {
    super();
    this.opts = { hierarchies: DEFAULT_V1_HIERARCHIES, memsw: true, blkioWeight: 'none', cpus: 2, ...opts };
    for (const cs of this.opts.hierarchies) {
      const name = cs.map((c) => c.replace(/^name=/, '')).join(',');
      this.mountDirs.set(name, cs);
      fs.mkdirSync(path.join(this.root, name));
      this.populateFor(path.join(this.root, name), cs, true);
    }
  }

  /** What /proc/self/mountinfo would say about this tree. */
  mountinfo(): string {
    let id = 40;
    const lines = [`30 1 0:26 / ${this.root} rw,relatime - tmpfs tmpfs rw,mode=755`];
    for (const [name, cs] of this.mountDirs) {
      lines.push(`${id} 30 0:${id} / ${path.join(this.root, name)} rw,nosuid - cgroup cgroup rw,${cs.join(',')}`);
      id++;
    }
    return lines.join('\n') + '\n';
  }

  protected mountDepth(): number {
    return 1;
  }

  private controllersOf(p: string): string[] {
    return this.mountDirs.get(this.rel(p).split(path.sep)[0] ?? '') ?? [];
  }

  protected populate(dir: string): void {
    this.populateFor(dir, this.controllersOf(dir), false);
  }

  private populateFor(dir: string, controllers: string[], isRoot: boolean): void {
    this.files(dir, { 'cgroup.procs': '', tasks: '', 'notify_on_release': '0', 'cgroup.clone_children': '0' });
    for (const c of controllers) this.files(dir, this.controllerFiles(c, isRoot));
  }

  private controllerFiles(c: string, isRoot: boolean): Record<string, string> {
    const o = this.opts;
    switch (c) {
      case 'cpu':
        return {
          'cpu.shares': '1024\n', 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_burst_us': '0\n',
          'cpu.rt_period_us': '1000000\n', 'cpu.rt_runtime_us': '0\n', 'cpu.idle': '0\n',
          'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n',
        };
      case 'cpuacct':
        return {
          'cpuacct.usage': '0\n', 'cpuacct.usage_percpu': '0 '.repeat(o.cpus) + '\n', 'cpuacct.usage_user': '0\n',
          'cpuacct.usage_sys': '0\n', 'cpuacct.stat': 'user 0\nsystem 0\n',
        };
      case 'cpuset':
        return { 'cpuset.cpus': isRoot ? `0-${o.cpus - 1}\n` : '\n', 'cpuset.mems': isRoot ? '0\n' : '\n' };
      case 'memory':
        return {
          'memory.limit_in_bytes': `${UNLIMITED_V1}\n`, 'memory.soft_limit_in_bytes': `${UNLIMITED_V1}\n`,
          'memory.usage_in_bytes': '0\n', 'memory.max_usage_in_bytes': '0\n', 'memory.swappiness': '60\n',
          'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', 'memory.use_hierarchy': '1\n',
          'memory.stat': 'cache 0\nrss 0\ntotal_cache 0\ntotal_rss 0\n', 'memory.kmem.limit_in_bytes': `${UNLIMITED_V1}\n`,
          'memory.kmem.tcp.limit_in_bytes': `${UNLIMITED_V1}\n`,
          ...(o.memsw ? { 'memory.memsw.limit_in_bytes': `${UNLIMITED_V1}\n`, 'memory.memsw.usage_in_bytes': '0\n' } : {}),
        };
      case 'devices':
        return { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' };
      case 'freezer':
        return isRoot ? {} : { 'freezer.state': 'THAWED\n', 'freezer.self_freezing': '0\n', 'freezer.parent_freezing': '0\n' };
      case 'blkio':
        return {
          'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '',
          'blkio.throttle.read_iops_device': '', 'blkio.throttle.write_iops_device': '',
          'blkio.throttle.io_service_bytes': 'Total 0\n', 'blkio.throttle.io_serviced': 'Total 0\n',
          ...(o.blkioWeight === 'cfq' ? { 'blkio.weight': '500\n', 'blkio.weight_device': '', 'blkio.leaf_weight': '500\n', 'blkio.leaf_weight_device': '' } : {}),
          ...(o.blkioWeight === 'bfq' ? { 'blkio.bfq.weight': '100\n', 'blkio.bfq.weight_device': '' } : {}),
        };
      case 'pids':
        return isRoot ? {} : { 'pids.max': 'max\n', 'pids.current': '0\n' };
      case 'hugetlb':
        return Object.fromEntries(['2MB', '1GB'].flatMap((s) => [
          [`hugetlb.${s}.limit_in_bytes`, `${UNLIMITED_V1}\n`], [`hugetlb.${s}.usage_in_bytes`, '0\n'],
          [`hugetlb.${s}.max_usage_in_bytes`, '0\n'], [`hugetlb.${s}.failcnt`, '0\n'],
        ]));
      case 'net_cls':
        return { 'net_cls.classid': '0\n' };
      case 'net_prio':
        return { 'net_prio.ifpriomap': 'lo 0\n', 'net_prio.prioidx': '1\n' };
      default:
        return {};
    }
  }

  protected onWrite(file: string, value: string): boolean {
    const dir = path.dirname(file);
    const base = path.basename(file);
    const num = (f: string): number => Number(this.get(path.join(dir, f)));
    const bytes = (v: string): string => (v.trim() === '-1' ? UNLIMITED_V1 : v.trim());
    switch (base) {
      case 'cgroup.procs':
      case 'tasks':
        this.appendProc(file, value);
        return true;
      case 'memory.limit_in_bytes': {
        const v = Number(bytes(value));
        if (!Number.isFinite(v)) throw errno('EINVAL');
        if (fs.existsSync(path.join(dir, 'memory.memsw.limit_in_bytes')) && v > num('memory.memsw.limit_in_bytes')) throw errno('EINVAL');
        this.set(file, bytes(value) + '\n');
        return true;
      }
      case 'memory.memsw.limit_in_bytes': {
        const v = Number(bytes(value));
        if (!Number.isFinite(v) || v < num('memory.limit_in_bytes')) throw errno('EINVAL');
        this.set(file, bytes(value) + '\n');
        return true;
      }
      case 'memory.oom_control': {
        if (!/^[01]$/.test(value.trim())) throw errno('EINVAL');
        this.set(file, `oom_kill_disable ${value.trim()}\nunder_oom 0\noom_kill 0\n`);
        return true;
      }
      case 'memory.use_hierarchy':
        if (value.trim() !== '1') throw errno('EINVAL');
        return false;
      case 'cpuset.cpus':
        checkList(value, this.opts.cpus);
        return false;
      case 'cpuset.mems':
        checkList(value, 1);
        return false;
      case 'freezer.state':
        if (value.trim() !== 'FROZEN' && value.trim() !== 'THAWED') throw errno('EINVAL');
        return false;
      case 'pids.max':
        if (!/^(max|[0-9]+)$/.test(value.trim())) throw errno('EINVAL');
        return false;
      default:
        return false;
    }
  }
}

