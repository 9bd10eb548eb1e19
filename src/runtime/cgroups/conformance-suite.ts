// The one behavioural suite every cgroup driver must pass, run against the real
// kernel and against fake trees. It speaks only the CgroupManager interface, plus a
// per-version map of which file shows a limit, so the same expectations hold for both.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, before, after } from 'node:test';
import { isBerthError } from '../../errors.js';
import { sharesToWeight } from './convert.js';
import type { CgroupManager } from './driver.js';
import type { WarningSink } from './fs.js';
import type { LinuxResources } from './resources.js';

export interface SuiteProcess {
  pid: number;
  /** Uses some CPU and memory from inside the cgroup (after addProcess). */
  work(mgr: CgroupManager): Promise<void>;
  /** Ends the process; the cgroup must be thawed first. */
  stop(mgr: CgroupManager): Promise<void>;
}

export interface CgroupSuiteEnv {
  open(opts: { cgroupsPath: string; id: string; onWarning?: WarningSink }): CgroupManager;
  spawn(): SuiteProcess;
  /** Whether a task is stopped by the freezer, for real processes. */
  processFrozen?(pid: number): boolean;
  /** Every directory (in every hierarchy) where a cgroup at `cgroupPath` would live. */
  locations(cgroupPath: string): string[];
  dispose(): void;
}

let seq = 0;
function uniqueTop(): string {
  return `berth-test-${process.pid}-${Date.now().toString(36)}-${seq++}`;
}

/** Which file shows a setting, per version: [v1 controller, v1 file, v2 file]. */
const FILES = {
  memLimit: ['memory', 'memory.limit_in_bytes', 'memory.max'],
  pidsMax: ['pids', 'pids.max', 'pids.max'],
} as const;

function readSetting(mgr: CgroupManager, key: keyof typeof FILES): string {
  const [ctrl, f1, f2] = FILES[key];
  const p = mgr.version === 1 ? path.join(mgr.paths()[ctrl]!, f1) : path.join(mgr.paths()['']!, f2);
  return fs.readFileSync(p, 'utf8').trim();
}

function readIn(mgr: CgroupManager, v1ctrl: string, file: string): string {
  const dir = mgr.version === 1 ? mgr.paths()[v1ctrl]! : mgr.paths()['']!;
  return fs.readFileSync(path.join(dir, file), 'utf8').trim();
}

function has(mgr: CgroupManager, v1ctrl: string, file: string): boolean {
  const dir = mgr.version === 1 ? mgr.paths()[v1ctrl] : mgr.paths()[''];
  return dir !== undefined && fs.existsSync(path.join(dir, file));
}

/** Memory and swap as the OCI states them (swap = memory+swap), read from either version. */
function memoryAndSwap(mgr: CgroupManager): { limit: number; swap: number | undefined } {
  const limit = Number(readSetting(mgr, 'memLimit'));
  if (mgr.version === 1) {
    return { limit, swap: has(mgr, 'memory', 'memory.memsw.limit_in_bytes') ? Number(readIn(mgr, 'memory', 'memory.memsw.limit_in_bytes')) : undefined };
  }
  return { limit, swap: has(mgr, 'memory', 'memory.swap.max') ? limit + Number(readIn(mgr, 'memory', 'memory.swap.max')) : undefined };
}

const MiB = 1024 * 1024;

export function cgroupDriverSuite(name: string, makeEnv: () => CgroupSuiteEnv): void {
  describe(`cgroup driver conformance: ${name}`, () => {
    let env: CgroupSuiteEnv;
    const managers: CgroupManager[] = [];
    const warnings: string[] = [];
    const open = (cgroupsPath: string, id = 'ctr'): CgroupManager => {
      const m = env.open({ cgroupsPath, id, onWarning: (w) => warnings.push(w) });
      managers.push(m);
      return m;
    };

    before(() => {
      env = makeEnv();
    });
    after(() => {
      // Best effort, so a failed test does not leave cgroups behind on the host.
      for (const m of managers) {
        try { if (m.isFrozen()) m.thaw(); } catch { /* gone */ }
        try { m.destroy(); } catch { /* reported by the test itself */ }
      }
      env.dispose();
    });

    it('creates a directory in every hierarchy, idempotently, and destroy removes them and the parents it made', () => {
      const top = uniqueTop();
      const mgr = open(`/${top}/a/ctr`);
      mgr.create(undefined);
      const dirs = Object.values(mgr.paths());
      assert.ok(dirs.length > 0);
      for (const d of dirs) assert.ok(fs.existsSync(d), `${d} exists`);
      mgr.create(undefined);
      mgr.create({ pids: { limit: 10 } });
      mgr.destroy();
      for (const d of dirs) assert.equal(fs.existsSync(d), false, `${d} removed`);
      for (const d of env.locations(`/${top}`)) assert.equal(fs.existsSync(d), false, `${d} removed`);
    });

    it('places an empty cgroupsPath at /berth/<id> and a relative one under the root', () => {
      const id = uniqueTop();
      const mgr = open('', id);
      for (const d of Object.values(mgr.paths())) assert.ok(d.endsWith(`/berth/${id}`), d);
      const rel = open(`${id}/x`);
      for (const d of Object.values(rel.paths())) assert.ok(d.endsWith(`/${id}/x`) && !d.includes('/berth/'), d);
    });

    it('refuses a cgroupsPath that escapes with ..', () => {
      assert.throws(() => open('/a/../../etc'), (e) => isBerthError(e, 'BERTH_EINVAL') && /escapes/.test(e.message));
      assert.throws(() => open('/'), (e) => isBerthError(e, 'BERTH_EINVAL'));
    });

    it('applies memory, swap, cpu and pids limits that read back from the files', () => {
      const mgr = open(`/${uniqueTop()}`);
      try {
        mgr.create({
          memory: { limit: 64 * MiB, swap: 128 * MiB },
          cpu: { shares: 512, quota: 50000, period: 100000 },
          pids: { limit: 100 },
        });
        const ms = memoryAndSwap(mgr);
        assert.equal(ms.limit, 64 * MiB);
        if (ms.swap !== undefined) assert.equal(ms.swap, 128 * MiB);
        assert.equal(readSetting(mgr, 'pidsMax'), '100');
        if (mgr.version === 1) {
          assert.equal(readIn(mgr, 'cpu', 'cpu.shares'), '512');
          assert.equal(readIn(mgr, 'cpu', 'cpu.cfs_quota_us'), '50000');
          assert.equal(readIn(mgr, 'cpu', 'cpu.cfs_period_us'), '100000');
        } else {
          assert.equal(readIn(mgr, 'cpu', 'cpu.weight'), String(sharesToWeight(512)));
          assert.equal(readIn(mgr, 'cpu', 'cpu.max'), '50000 100000');
        }
      } finally {
        mgr.destroy();
      }
    });

    it('raises and lowers memory+swap in either direction (kernel ordering rules)', () => {
      const mgr = open(`/${uniqueTop()}`);
      try {
        mgr.create({ memory: { limit: 64 * MiB, swap: 128 * MiB } });
        const check = (limit: number, swap: number): void => {
          const ms = memoryAndSwap(mgr);
          assert.equal(ms.limit, limit);
          if (ms.swap !== undefined) assert.equal(ms.swap, swap);
        };
        mgr.update({ memory: { limit: 256 * MiB, swap: 512 * MiB } });
        check(256 * MiB, 512 * MiB);
        mgr.update({ memory: { limit: 32 * MiB, swap: 48 * MiB } });
        check(32 * MiB, 48 * MiB);
        mgr.update({ memory: { limit: -1, swap: -1 } });
        assert.match(readSetting(mgr, 'memLimit'), /^(max|9223372036854\d+)$/);
      } finally {
        mgr.destroy();
      }
    });

    it('writes pids.max "max" for -1 and 0', () => {
      const mgr = open(`/${uniqueTop()}`);
      try {
        mgr.create({ pids: { limit: 5 } });
        mgr.update({ pids: { limit: -1 } });
        assert.equal(readSetting(mgr, 'pidsMax'), 'max');
        mgr.update({ pids: { limit: 7 } });
        mgr.update({ pids: { limit: 0 } });
        assert.equal(readSetting(mgr, 'pidsMax'), 'max');
      } finally {
        mgr.destroy();
      }
    });

    it('fails with one line naming the file and the value', () => {
      const mgr = open(`/${uniqueTop()}`);
      try {
        assert.throws(
          () => mgr.create({ cpu: { cpus: '99' } }),
          (e) => isBerthError(e, 'BERTH_ECGROUP') && e.message === 'cgroup cpuset: write cpuset.cpus = "99": numerical result out of range',
        );
      } finally {
        mgr.destroy();
      }
    });

    it('refuses bad input before writing anything', () => {
      const mgr = open(`/${uniqueTop()}`);
      assert.throws(() => mgr.create({ memory: { limit: 100 * MiB, swap: 50 * MiB } }), (e) => isBerthError(e, 'BERTH_EINVAL'));
      assert.throws(() => mgr.create({ hugepageLimits: [{ pageSize: '../2MB', limit: 1 }] }), (e) => isBerthError(e, 'BERTH_EINVAL'));
      for (const d of Object.values(mgr.paths())) assert.equal(fs.existsSync(d), false);
    });

    it('moves a process in, lists it, freezes and thaws it, reports stats, and cleans up', async () => {
      const mgr = open(`/${uniqueTop()}/ctr`);
      const proc = env.spawn();
      try {
        mgr.create({ memory: { limit: 256 * MiB }, pids: { limit: 64 } });
        mgr.addProcess(proc.pid);
        assert.ok(mgr.pids().includes(proc.pid), `pids() ${JSON.stringify(mgr.pids())} has ${proc.pid}`);
        await proc.work(mgr);

        const st = mgr.stats();
        assert.ok(st.cpu.usageTotal > 0, `cpu usage ${st.cpu.usageTotal}`);
        assert.ok(st.memory.usage > 0, `memory usage ${st.memory.usage}`);
        assert.equal(st.memory.limit, 256 * MiB);
        assert.ok(st.pids.current >= 1, `pids.current ${st.pids.current}`);
        assert.equal(st.pids.limit, 64);
        if (mgr.version === 1) assert.ok((st.cpu.usagePerCpu ?? []).length > 0);

        assert.equal(mgr.isFrozen(), false);
        mgr.freeze();
        assert.equal(mgr.isFrozen(), true);
        if (env.processFrozen) assert.equal(env.processFrozen(proc.pid), true, 'task is stopped by the freezer');
        mgr.freeze();
        mgr.thaw();
        assert.equal(mgr.isFrozen(), false);
        if (env.processFrozen) assert.equal(env.processFrozen(proc.pid), false);
      } finally {
        try { if (mgr.isFrozen()) mgr.thaw(); } catch { /* reported above */ }
        await proc.stop(mgr);
      }
      mgr.destroy();
      for (const d of Object.values(mgr.paths())) assert.equal(fs.existsSync(d), false, `${d} removed`);
    });

    it('refuses "unified" on v1 naming the key, applies it verbatim on v2', () => {
      const mgr = open(`/${uniqueTop()}`);
      try {
        const r: LinuxResources = { unified: { 'pids.max': '42' } };
        if (mgr.version === 1) {
          assert.throws(() => mgr.create(r), (e) => isBerthError(e, 'BERTH_EUNSUPPORTED') && e.message.includes('"pids.max"'));
        } else {
          mgr.create(r);
          assert.equal(readSetting(mgr, 'pidsMax'), '42');
        }
        assert.throws(() => mgr.update({ unified: { '../cgroup.procs': '1' } }), (e) => isBerthError(e, 'BERTH_EINVAL'));
      } finally {
        mgr.destroy();
      }
    });
  });
}
