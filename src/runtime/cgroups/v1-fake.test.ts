// The conformance suite and the exact v1 file writes, against a fake v1 tree.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { isBerthError } from '../../errors.js';
import { cgroupDriverSuite, type CgroupSuiteEnv } from './conformance-suite.js';
import { detectCgroupVersion, openCgroupManager, type CgroupManager } from './driver.js';
import { FakeV1Tree, type FakeV1Options } from './fake-v1-tree.js';

let fakePid = 4_000_000;

function fakeV1Env(opts: FakeV1Options = {}): CgroupSuiteEnv {
  const tree = new FakeV1Tree(opts);
  return {
    open: (o) => openCgroupManager({ ...o, root: tree.root, version: 1, fs: tree, mountinfo: tree.mountinfo() }),
    spawn() {
      const pid = fakePid++;
      return {
        pid,
        async work(mgr) {
          const p = mgr.paths();
          tree.set(path.join(p['cpuacct']!, 'cpuacct.usage'), '123456789\n');
          tree.set(path.join(p['cpuacct']!, 'cpuacct.usage_percpu'), '100000000 23456789 \n');
          tree.set(path.join(p['memory']!, 'memory.usage_in_bytes'), '4194304\n');
          tree.set(path.join(p['pids']!, 'pids.current'), '1\n');
        },
        async stop(mgr) {
          for (const d of new Set(Object.values(mgr.paths()))) {
            if (fs.existsSync(path.join(d, 'cgroup.procs'))) tree.set(path.join(d, 'cgroup.procs'), '');
          }
        },
      };
    },
    locations: (p) => fs.readdirSync(tree.root).map((h) => path.join(tree.root, h, p)),
    dispose: () => tree.dispose(),
  };
}

cgroupDriverSuite('v1 on a fake tree', () => fakeV1Env());
cgroupDriverSuite('v1 on a fake tree with cpu,cpuacct co-mounted and no swap accounting', () =>
  fakeV1Env({ hierarchies: [['cpu', 'cpuacct'], ['cpuset'], ['memory'], ['freezer'], ['pids'], ['devices']], memsw: false }));

describe('cgroup v1 driver: exact writes', () => {
  let tree: FakeV1Tree;
  let warnings: string[];
  const open = (opts: FakeV1Options = {}, cgroupsPath = '/berth-test/c1'): CgroupManager => {
    tree = new FakeV1Tree(opts);
    warnings = [];
    return openCgroupManager({ cgroupsPath, id: 'c1', root: tree.root, fs: tree, mountinfo: tree.mountinfo(), onWarning: (w) => warnings.push(w) });
  };
  const read = (mgr: CgroupManager, ctrl: string, file: string): string => tree.get(path.join(mgr.paths()[ctrl]!, file)).trim();
  const log = (prefix: string): string[] => tree.writes.filter((w) => path.basename(w.file).startsWith(prefix)).map((w) => `${path.basename(w.file)}=${w.value}`);
  afterEach(() => tree.dispose());

  it('detects v1 on a root without cgroup.controllers', () => {
    open();
    assert.equal(detectCgroupVersion(tree.root, tree), 1);
  });

  it('finds hierarchies from mountinfo and names paths per controller', () => {
    const mgr = open();
    const p = mgr.paths();
    assert.equal(p['memory'], path.join(tree.root, 'memory/berth-test/c1'));
    assert.equal(p['name=systemd'], path.join(tree.root, 'systemd/berth-test/c1'));
    assert.equal(p['net_prio'], path.join(tree.root, 'net_cls,net_prio/berth-test/c1'));
  });

  it('initialises cpuset.cpus and cpuset.mems at every level from the parent', () => {
    const mgr = open({}, '/berth-test/a/b');
    mgr.create(undefined);
    for (const rel of ['berth-test', 'berth-test/a', 'berth-test/a/b']) {
      assert.equal(tree.get(path.join(tree.root, 'cpuset', rel, 'cpuset.cpus')).trim(), '0-1');
      assert.equal(tree.get(path.join(tree.root, 'cpuset', rel, 'cpuset.mems')).trim(), '0');
    }
    mgr.update({ cpu: { cpus: '1', mems: '0' } });
    assert.equal(read(mgr, 'cpuset', 'cpuset.cpus'), '1');
  });

  it('denies all devices, then replays the rules in order', () => {
    const mgr = open();
    mgr.create({
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: true, type: 'c', major: 136, access: 'rw' },
        { allow: false, type: 'b', major: 8, minor: 0, access: 'm' },
        { allow: true, type: 'c', major: -1, minor: -1, access: 'm' },
      ],
    });
    assert.deepEqual(log('devices.'), [
      'devices.deny=a',
      'devices.deny=a *:* rwm',
      'devices.allow=c 1:3 rwm',
      'devices.allow=c 136:* rw',
      'devices.deny=b 8:0 m',
      'devices.allow=c *:* m',
    ]);
  });

  it('leaves devices alone when the spec has no device list', () => {
    const mgr = open();
    mgr.create({ pids: { limit: 3 } });
    assert.deepEqual(log('devices.'), []);
  });

  it('orders memory and memsw writes: memsw first when raising, limit first when lowering', () => {
    const mgr = open();
    mgr.create({ memory: { limit: 100, swap: 200 } });
    // From unlimited, 100 is a lowering.
    assert.deepEqual(log('memory.'), ['memory.limit_in_bytes=100', 'memory.memsw.limit_in_bytes=200']);
    tree.writes.length = 0;
    mgr.update({ memory: { limit: 300, swap: 600 } });
    assert.deepEqual(log('memory.'), ['memory.memsw.limit_in_bytes=600', 'memory.limit_in_bytes=300']);
    tree.writes.length = 0;
    mgr.update({ memory: { limit: 50, swap: 60 } });
    assert.deepEqual(log('memory.'), ['memory.limit_in_bytes=50', 'memory.memsw.limit_in_bytes=60']);
    tree.writes.length = 0;
    mgr.update({ memory: { limit: -1, swap: -1 } });
    assert.deepEqual(log('memory.'), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
  });

  it('writes reservation, swappiness, oom_control, kernelTCP; warns on kernel memory', () => {
    const mgr = open();
    mgr.create({ memory: { reservation: 1 << 20, swappiness: 0, disableOOMKiller: true, kernelTCP: 1 << 22, kernel: 1 << 23, useHierarchy: true } });
    assert.equal(read(mgr, 'memory', 'memory.soft_limit_in_bytes'), String(1 << 20));
    assert.equal(read(mgr, 'memory', 'memory.swappiness'), '0');
    assert.match(read(mgr, 'memory', 'memory.oom_control'), /^oom_kill_disable 1$/m);
    assert.equal(read(mgr, 'memory', 'memory.kmem.tcp.limit_in_bytes'), String(1 << 22));
    assert.equal(read(mgr, 'memory', 'memory.kmem.limit_in_bytes'), '9223372036854771712');
    assert.ok(warnings.some((w) => w.startsWith('memory.kernel ignored')));
  });

  it('skips swap with a warning when memsw is absent', () => {
    const mgr = open({ memsw: false });
    mgr.create({ memory: { limit: 100, swap: 200 } });
    assert.equal(read(mgr, 'memory', 'memory.limit_in_bytes'), '100');
    assert.ok(warnings.some((w) => w.includes('memory.memsw.limit_in_bytes is absent')));
  });

  it('refuses checkBeforeUpdate below current usage', () => {
    const mgr = open();
    mgr.create(undefined);
    tree.set(path.join(mgr.paths()['memory']!, 'memory.usage_in_bytes'), '5000\n');
    assert.throws(() => mgr.update({ memory: { limit: 4096, checkBeforeUpdate: true } }), (e) => isBerthError(e, 'BERTH_ECGROUP') && /below the current usage 5000/.test(e.message));
    mgr.update({ memory: { limit: 8192, checkBeforeUpdate: true } });
  });

  it('writes cpu shares, period before quota, burst, idle, rt period before runtime', () => {
    const mgr = open();
    mgr.create({ cpu: { shares: 2048, quota: -1, period: 50000, burst: 1000, idle: 1, realtimePeriod: 900000, realtimeRuntime: 1000 } });
    assert.deepEqual(log('cpu.'), [
      'cpu.shares=2048', 'cpu.cfs_period_us=50000', 'cpu.cfs_quota_us=-1', 'cpu.cfs_burst_us=1000',
      'cpu.rt_period_us=900000', 'cpu.rt_runtime_us=1000', 'cpu.idle=1',
    ]);
  });

  it('writes throttles and skips weights with a warning when no CFQ/BFQ files exist', () => {
    const mgr = open({ blkioWeight: 'none' });
    mgr.create({
      blockIO: {
        weight: 300,
        weightDevice: [{ major: 8, minor: 0, weight: 200 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
      },
    });
    assert.deepEqual(log('blkio.'), ['blkio.throttle.read_bps_device=8:0 1048576', 'blkio.throttle.write_iops_device=8:16 100']);
    assert.equal(warnings.filter((w) => w.includes('no CFQ/BFQ')).length, 2);
  });

  it('writes blkio.weight with CFQ and blkio.bfq.weight with BFQ', () => {
    let mgr = open({ blkioWeight: 'cfq' });
    mgr.create({ blockIO: { weight: 300, leafWeight: 400, weightDevice: [{ major: 8, minor: 0, weight: 200, leafWeight: 100 }] } });
    assert.deepEqual(log('blkio.'), ['blkio.weight=300', 'blkio.leaf_weight=400', 'blkio.weight_device=8:0 200', 'blkio.leaf_weight_device=8:0 100']);
    tree.dispose();
    mgr = open({ blkioWeight: 'bfq' });
    mgr.create({ blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } });
    assert.deepEqual(log('blkio.'), ['blkio.bfq.weight=300', 'blkio.bfq.weight_device=8:0 200']);
  });

  it('writes hugetlb, net_cls and net_prio when mounted, warns when not', () => {
    let mgr = open();
    mgr.create({ hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }], network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] } });
    assert.equal(read(mgr, 'hugetlb', 'hugetlb.2MB.limit_in_bytes'), '4194304');
    assert.equal(read(mgr, 'net_cls', 'net_cls.classid'), String(0x100001));
    assert.equal(read(mgr, 'net_prio', 'net_prio.ifpriomap'), 'eth0 5');
    tree.dispose();
    mgr = open({ hierarchies: [['memory'], ['pids']] });
    mgr.create({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }], network: { classID: 1 } });
    assert.equal(warnings.length, 2);
  });

  it('fails when a core controller a limit needs is not mounted', () => {
    const mgr = open({ hierarchies: [['memory']] });
    assert.throws(() => mgr.create({ pids: { limit: 3 } }), (e) => isBerthError(e, 'BERTH_EUNSUPPORTED') && e.message === 'cgroup pids: controller not mounted, cannot apply pids.limit');
    assert.throws(() => mgr.freeze(), (e) => isBerthError(e, 'BERTH_EUNSUPPORTED'));
    mgr.destroy();
  });

  it('names the key when unified is used on v1', () => {
    const mgr = open();
    assert.throws(() => mgr.create({ unified: { 'memory.high': '1G' } }), (e) =>
      isBerthError(e, 'BERTH_EUNSUPPORTED') && e.message === 'cgroup: unified resource "memory.high" needs cgroup v2, but this host\'s controllers are on cgroup v1');
  });

  it('writes a pid into every hierarchy once, even when co-mounted', () => {
    const mgr = open({ hierarchies: [['cpu', 'cpuacct'], ['memory']] });
    mgr.create(undefined);
    mgr.addProcess(77);
    assert.equal(tree.writesTo('cgroup.procs').length, 2);
    assert.deepEqual(mgr.pids(), [77]);
    assert.equal(mgr.paths()['cpu'], mgr.paths()['cpuacct']);
  });

  it('lists pids of nested cgroups and removes them on destroy', () => {
    const mgr = open();
    mgr.create(undefined);
    mgr.addProcess(10);
    const nested = path.join(mgr.paths()['freezer']!, 'inner');
    tree.mkdir(nested);
    tree.writeFile(path.join(nested, 'cgroup.procs'), '11');
    assert.deepEqual(mgr.pids(), [10, 11]);
    for (const d of new Set(Object.values(mgr.paths()))) tree.set(path.join(d, 'cgroup.procs'), '');
    tree.set(path.join(nested, 'cgroup.procs'), '');
    mgr.destroy();
    assert.deepEqual(tree.allCgroups(), []);
  });

  it('reports EBUSY from destroy when a process stays, after retrying', () => {
    const mgr = open({ hierarchies: [['pids']] });
    mgr.create(undefined);
    mgr.addProcess(5);
    const t0 = Date.now();
    assert.throws(() => mgr.destroy(), (e) => isBerthError(e, 'BERTH_ECGROUP') && /rmdir .*: device or resource busy$/.test(e.message));
    assert.ok(Date.now() - t0 >= 1500);
    tree.set(path.join(mgr.paths()['pids']!, 'cgroup.procs'), '');
    mgr.destroy();
  });

  it('reads stats from cpuacct, cpu.stat, memory, pids, blkio and hugetlb files', () => {
    const mgr = open();
    mgr.create(undefined);
    const p = mgr.paths();
    const set = (c: string, f: string, v: string): void => tree.set(path.join(p[c]!, f), v);
    set('cpuacct', 'cpuacct.usage', '3000000000\n');
    set('cpuacct', 'cpuacct.usage_percpu', '1000000000 2000000000 \n');
    fs.rmSync(path.join(p['cpuacct']!, 'cpuacct.usage_user'));
    fs.rmSync(path.join(p['cpuacct']!, 'cpuacct.usage_sys'));
    set('cpuacct', 'cpuacct.stat', 'user 150\nsystem 50\n');
    set('cpu', 'cpu.stat', 'nr_periods 10\nnr_throttled 3\nthrottled_time 4000\n');
    set('memory', 'memory.usage_in_bytes', '1000\n');
    set('memory', 'memory.max_usage_in_bytes', '2000\n');
    set('memory', 'memory.limit_in_bytes', '4096\n');
    set('memory', 'memory.memsw.limit_in_bytes', '8192\n');
    set('memory', 'memory.memsw.usage_in_bytes', '1500\n');
    set('memory', 'memory.stat', 'cache 10\nrss 20\ntotal_cache 30\ntotal_rss 40\n');
    set('pids', 'pids.current', '3\n');
    set('pids', 'pids.max', '10\n');
    set('blkio', 'blkio.throttle.io_service_bytes', '8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n');
    set('blkio', 'blkio.throttle.io_serviced', '8:0 Read 1\n8:0 Write 2\nTotal 3\n');
    set('hugetlb', 'hugetlb.2MB.usage_in_bytes', '2097152\n');
    set('hugetlb', 'hugetlb.2MB.failcnt', '1\n');
    const s = mgr.stats();
    assert.deepEqual(s.cpu, {
      usageTotal: 3e9, usagePerCpu: [1e9, 2e9], usageUser: 1.5e9, usageSystem: 0.5e9,
      throttling: { periods: 10, throttledPeriods: 3, throttledTime: 4000 },
    });
    assert.equal(s.memory.usage, 1000);
    assert.equal(s.memory.maxUsage, 2000);
    assert.equal(s.memory.limit, 4096);
    assert.equal(s.memory.cache, 30);
    assert.equal(s.memory.rss, 40);
    assert.equal(s.memory.swapUsage, 500);
    assert.equal(s.memory.swapLimit, 4096);
    assert.deepEqual(s.pids, { current: 3, limit: 10 });
    assert.deepEqual(s.blkio.ioServiceBytes, [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 8192 }]);
    assert.equal(s.blkio.ioServiced.length, 2);
    assert.deepEqual(s.hugetlb['2MB'], { usage: 2097152, maxUsage: 0, failcnt: 1 });
    assert.deepEqual(Object.keys(s.hugetlb).sort(), ['1GB', '2MB']);
  });

  it('reports an unlimited memory limit as undefined', () => {
    const mgr = open();
    mgr.create(undefined);
    const s = mgr.stats();
    assert.equal(s.memory.limit, undefined);
    assert.equal(s.pids.limit, undefined);
  });
});
