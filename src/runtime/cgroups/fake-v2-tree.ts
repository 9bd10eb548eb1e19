// A fake cgroup2 tree: subtree_control decides which files a child gets.

import * as path from 'node:path';
import { checkList, errno, FakeTree, INT_OR_MAX } from './fake-tree.js';

export interface FakeV2Options {
  controllers?: string[];
  /** io.bfq.weight present. Default false (io.weight only). */
  bfq?: boolean;
  /** memory.swap.* present. Default true. */
  swap?: boolean;
  cpus?: number;
}

export class FakeV2Tree extends FakeTree {
  private readonly opts: Required<FakeV2Options>;

  constructor(opts: FakeV2Options = {}) {
    super();
    this.opts = { controllers: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'], bfq: false, swap: true, cpus: 2, ...opts };
    this.files(this.root, {
      'cgroup.controllers': this.opts.controllers.join(' ') + '\n', 'cgroup.subtree_control': '\n', 'cgroup.procs': '',
      'cgroup.max.depth': 'max\n', 'cgroup.stat': 'nr_descendants 0\n', 'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
      'cpuset.cpus.effective': `0-${this.opts.cpus - 1}\n`, 'cpuset.mems.effective': '0\n',
    });
  }

  protected mountDepth(): number {
    return 0;
  }

  private tokens(file: string): string[] {
    return this.get(file).split(/\s+/).filter((t) => t !== '');
  }

  protected populate(dir: string): void {
    const enabled = this.tokens(path.join(path.dirname(dir), 'cgroup.subtree_control'));
    this.files(dir, {
      'cgroup.controllers': enabled.join(' ') + '\n', 'cgroup.subtree_control': '\n', 'cgroup.procs': '', 'cgroup.threads': '',
      'cgroup.freeze': '0\n', 'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.type': 'domain\n',
      'cgroup.max.depth': 'max\n', 'cgroup.max.descendants': 'max\n', 'cgroup.stat': 'nr_descendants 0\n',
      'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
    });
    for (const c of enabled) this.files(dir, this.controllerFiles(c));
  }

  private controllerFiles(c: string): Record<string, string> {
    const o = this.opts;
    switch (c) {
      case 'cpu':
        return {
          'cpu.weight': '100\n', 'cpu.weight.nice': '0\n', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0\n', 'cpu.idle': '0\n',
          'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n',
        };
      case 'cpuset':
        return { 'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.cpus.effective': `0-${o.cpus - 1}\n`, 'cpuset.mems.effective': '0\n' };
      case 'memory':
        return {
          'memory.max': 'max\n', 'memory.high': 'max\n', 'memory.low': '0\n', 'memory.min': '0\n', 'memory.current': '0\n',
          'memory.peak': '0\n', 'memory.oom.group': '0\n', 'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
          'memory.stat': 'anon 0\nfile 0\nkernel 0\nsock 0\nshmem 0\n',
          ...(o.swap ? { 'memory.swap.max': 'max\n', 'memory.swap.current': '0\n', 'memory.swap.high': 'max\n' } : {}),
        };
      case 'io':
        return { 'io.max': '', 'io.stat': '', 'io.weight': 'default 100\n', ...(o.bfq ? { 'io.bfq.weight': 'default 100\n' } : {}) };
      case 'pids':
        return { 'pids.max': 'max\n', 'pids.current': '0\n', 'pids.events': 'max 0\n' };
      case 'hugetlb':
        return Object.fromEntries(['2MB', '1GB'].flatMap((s) => [
          [`hugetlb.${s}.max`, 'max\n'], [`hugetlb.${s}.current`, '0\n'], [`hugetlb.${s}.events`, 'max 0\n'],
          [`hugetlb.${s}.rsvd.max`, 'max\n'], [`hugetlb.${s}.rsvd.current`, '0\n'],
        ]));
      case 'rdma':
        return { 'rdma.max': '', 'rdma.current': '' };
      case 'misc':
        return { 'misc.max': '', 'misc.current': '' };
      default:
        return {};
    }
  }

  /** Keyed lines ("8:0 rbps=1", "default 100"): a write updates the line with its key. */
  private mergeKeyed(file: string, value: string, merge: (old: string[], neu: string[]) => string[]): void {
    const lines = this.get(file).split('\n').filter((l) => l !== '');
    const [key, ...rest] = value.trim().split(/\s+/);
    const i = lines.findIndex((l) => l.split(/\s+/)[0] === key);
    if (i < 0) lines.push([key, ...rest].join(' '));
    else lines[i] = [key, ...merge(lines[i]!.split(/\s+/).slice(1), rest)].join(' ');
    this.set(file, lines.join('\n') + '\n');
  }

  /** cgroup directory → the eBPF device program attached there (the kernel drops it on rmdir). */
  readonly deviceFilters = new Map<string, Buffer>();

  attachDeviceFilter(dir: string, program: Buffer): void {
    if (!this.exists(path.join(dir, 'cgroup.procs'))) throw errno('EBADF');
    this.deviceFilters.set(dir, Buffer.from(program));
  }

  override rmdir(dir: string): void {
    super.rmdir(dir);
    this.deviceFilters.delete(dir);
  }

  protected onWrite(file: string, value: string): boolean {
    const dir = path.dirname(file);
    const base = path.basename(file);
    const v = value.trim();
    switch (base) {
      case 'cgroup.subtree_control': {
        const available = this.tokens(path.join(dir, 'cgroup.controllers'));
        const enabled = new Set(this.tokens(file));
        for (const t of v.split(/\s+/)) {
          const c = t.slice(1);
          if (!available.includes(c)) throw errno('ENOENT');
          if (t.startsWith('+')) enabled.add(c);
          else if (t.startsWith('-')) enabled.delete(c);
          else throw errno('EINVAL');
        }
        // A cgroup holding processes cannot hand controllers to children (no internal processes).
        if (dir !== this.root && this.get(path.join(dir, 'cgroup.procs')).trim() !== '' && enabled.size > 0) throw errno('EBUSY');
        this.set(file, [...enabled].join(' ') + '\n');
        for (const child of this.listDirs(dir)) {
          this.set(path.join(dir, child, 'cgroup.controllers'), [...enabled].join(' ') + '\n');
          for (const c of enabled) this.files(path.join(dir, child), this.controllerFiles(c));
        }
        return true;
      }
      case 'cgroup.procs':
        if (dir !== this.root && this.get(path.join(dir, 'cgroup.subtree_control')).trim() !== '') throw errno('EBUSY');
        this.appendProc(file, value);
        return true;
      case 'cgroup.freeze': {
        if (v !== '0' && v !== '1') throw errno('EINVAL');
        this.set(file, v + '\n');
        const events = this.get(path.join(dir, 'cgroup.events')).replace(/^frozen \d$/m, `frozen ${v}`);
        this.set(path.join(dir, 'cgroup.events'), events);
        return true;
      }
      case 'cpu.max': {
        const [q, p] = v.split(/\s+/);
        if (q === undefined || !INT_OR_MAX.test(q) || (p !== undefined && !/^[0-9]+$/.test(p))) throw errno('EINVAL');
        const cur = this.tokens(file);
        this.set(file, `${q} ${p ?? cur[1] ?? '100000'}\n`);
        return true;
      }
      case 'cpu.weight': {
        const n = Number(v);
        if (!Number.isInteger(n)) throw errno('EINVAL');
        if (n < 1 || n > 10000) throw errno('ERANGE');
        return false;
      }
      case 'cpuset.cpus':
        checkList(value, this.opts.cpus);
        return false;
      case 'cpuset.mems':
        checkList(value, 1);
        return false;
      case 'memory.max': case 'memory.low': case 'memory.high': case 'memory.swap.max': case 'pids.max':
        if (!INT_OR_MAX.test(v) || v.startsWith('-')) throw errno('EINVAL');
        return false;
      case 'io.max':
        if (!/^\d+:\d+( (rbps|wbps|riops|wiops)=(\d+|max))+$/.test(v)) throw errno('EINVAL');
        this.mergeKeyed(file, v, (old, neu) => {
          const m = new Map(old.map((kv) => kv.split('=') as [string, string]));
          for (const kv of neu) m.set(...(kv.split('=') as [string, string]));
          return [...m].map(([k, x]) => `${k}=${x}`);
        });
        return true;
      case 'io.weight': case 'io.bfq.weight': {
        const m = /^(?:(default|\d+:\d+) )?(\d+)$/.exec(v);
        if (m === null) throw errno('EINVAL');
        this.mergeKeyed(file, `${m[1] ?? 'default'} ${m[2]}`, (_o, n) => n);
        return true;
      }
      default:
        return false;
    }
  }
}
