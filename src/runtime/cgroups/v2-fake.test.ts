// The conformance suite and the exact v2 file writes, against a fake cgroup2 tree.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { isBerthError } from '../../errors.js';
import { cgroupDriverSuite, type CgroupSuiteEnv } from './conformance-suite.js';
import { detectCgroupVersion, openCgroupManager, type CgroupManager } from './driver.js';
import { compileDeviceFilter } from './device-bpf.js';
import { deviceFilterError } from './device-filter-attach.js';
import { FakeV2Tree, type FakeV2Options } from './fake-v2-tree.js';
import type { CgroupFs } from './fs.js';

let fakePid = 5_000_000;

function fakeV2Env(opts: FakeV2Options = {}): CgroupSuiteEnv {
  const tree = new FakeV2Tree(opts);
  return {
    open: (o) => openCgroupManager({ ...o, root: tree.root, fs: tree }),
    spawn() {
      const pid = fakePid++;
      return {
        pid,
        async work(mgr) {
          const d = mgr.paths()['']!;
          tree.set(path.join(d, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n');
          tree.set(path.join(d, 'memory.current'), '4194304\n');
          tree.set(path.join(d, 'pids.current'), '1\n');
        },
        async stop(mgr) {
          tree.set(path.join(mgr.paths()['']!, 'cgroup.procs'), '');
        },
      };
    },
    locations: (p) => [path.join(tree.root, p)],
    dispose: () => tree.dispose(),
  };
}

cgroupDriverSuite('v2 on a fake tree', () => fakeV2Env());
cgroupDriverSuite('v2 on a fake tree with BFQ and no swap', () => fakeV2Env({ bfq: true, swap: false }));

describe('cgroup v2 driver: exact writes', () => {
  let tree: FakeV2Tree;
  let warnings: string[];
  const open = (opts: FakeV2Options = {}, cgroupsPath = '/berth-test/c1'): CgroupManager => {
    tree = new FakeV2Tree(opts);
    warnings = [];
    return openCgroupManager({ cgroupsPath, id: 'c1', root: tree.root, fs: tree, onWarning: (w) => warnings.push(w) });
  };
  const read = (mgr: CgroupManager, file: string): string => tree.get(path.join(mgr.paths()['']!, file)).trim();
  const at = (rel: string, file: string): string => tree.get(path.join(tree.root, rel, file)).trim();
  afterEach(() => tree.dispose());

  it('detects v2 when the root has cgroup.controllers', () => {
    const mgr = open();
    assert.equal(detectCgroupVersion(tree.root, tree), 2);
    assert.equal(mgr.version, 2);
    assert.deepEqual(mgr.paths(), { '': path.join(tree.root, 'berth-test/c1') });
  });

  it('enables only available controllers in every ancestor, none in the leaf', () => {
    const mgr = open({ controllers: ['cpu', 'memory', 'pids'] }, '/berth-test/a/c1');
    mgr.create(undefined);
    assert.equal(at('', 'cgroup.subtree_control'), 'cpu memory pids');
    assert.equal(at('berth-test', 'cgroup.subtree_control'), 'cpu memory pids');
    assert.equal(at('berth-test/a', 'cgroup.subtree_control'), 'cpu memory pids');
    assert.equal(read(mgr, 'cgroup.subtree_control'), '');
    assert.equal(read(mgr, 'cgroup.controllers'), 'cpu memory pids');
    // One write per controller; a second create writes nothing new.
    const n = tree.writesTo('cgroup.subtree_control').length;
    assert.equal(n, 9);
    mgr.create(undefined);
    assert.equal(tree.writesTo('cgroup.subtree_control').length, n);
  });

  it('writes cpu.weight from shares with the current runc/crun formula', () => {
    const mgr = open();
    mgr.create({ cpu: { shares: 1024 } });
    assert.equal(read(mgr, 'cpu.weight'), '100');
    mgr.update({ cpu: { shares: 2 } });
    assert.equal(read(mgr, 'cpu.weight'), '1');
    mgr.update({ cpu: { shares: 262144 } });
    assert.equal(read(mgr, 'cpu.weight'), '10000');
  });

  it('writes cpu.max as "quota period", "max period" for -1, and keeps the missing half', () => {
    const mgr = open();
    mgr.create({ cpu: { quota: 50000, period: 100000 } });
    assert.equal(read(mgr, 'cpu.max'), '50000 100000');
    mgr.update({ cpu: { quota: -1 } });
    assert.equal(read(mgr, 'cpu.max'), 'max 100000');
    mgr.update({ cpu: { quota: 20000 } });
    mgr.update({ cpu: { period: 40000 } });
    assert.equal(read(mgr, 'cpu.max'), '20000 40000');
    assert.deepEqual(tree.writesTo('cpu.max'), ['50000 100000', 'max 100000', '20000 100000', '20000 40000']);
    mgr.update({ cpu: { burst: 5000, idle: 1 } });
    assert.equal(read(mgr, 'cpu.max.burst'), '5000');
    assert.equal(read(mgr, 'cpu.idle'), '1');
  });

  it('refuses realtime cpu settings', () => {
    const mgr = open();
    assert.throws(() => mgr.create({ cpu: { realtimeRuntime: 1000 } }), (e) => isBerthError(e, 'BERTH_EUNSUPPORTED'));
  });

  it('converts OCI memory+swap into memory.swap.max', () => {
    const mgr = open();
    mgr.create({ memory: { limit: 100 << 20, swap: 300 << 20, reservation: 50 << 20 } });
    assert.equal(read(mgr, 'memory.max'), String(100 << 20));
    assert.equal(read(mgr, 'memory.swap.max'), String(200 << 20));
    assert.equal(read(mgr, 'memory.low'), String(50 << 20));
    // swap alone: derived from the memory.max in force
    mgr.update({ memory: { swap: 150 << 20 } });
    assert.equal(read(mgr, 'memory.swap.max'), String(50 << 20));
    mgr.update({ memory: { swap: -1 } });
    assert.equal(read(mgr, 'memory.swap.max'), 'max');
    mgr.update({ memory: { limit: 200 << 20, swap: 200 << 20 } });
    assert.equal(read(mgr, 'memory.swap.max'), '0');
    // unlimited memory with swap unset: both unlimited, as on v1
    mgr.update({ memory: { limit: -1 } });
    assert.equal(read(mgr, 'memory.max'), 'max');
    assert.equal(read(mgr, 'memory.swap.max'), 'max');
    assert.throws(() => mgr.update({ memory: { swap: 100 } }), (e) => isBerthError(e, 'BERTH_EINVAL') && /needs a memory limit/.test(e.message));
  });

  it('warns about v1-only memory settings instead of failing', () => {
    const mgr = open();
    mgr.create({ memory: { swappiness: 10, kernel: 1, kernelTCP: 1, disableOOMKiller: true } });
    assert.equal(warnings.length, 4);
  });

  it('converts blkio weight for io.weight and passes it through to io.bfq.weight', () => {
    let mgr = open();
    mgr.create({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 1000 }] } });
    assert.equal(read(mgr, 'io.weight'), 'default 4950\n8:0 10000'.trim());
    tree.dispose();
    mgr = open({ bfq: true });
    mgr.create({ blockIO: { weight: 500, leafWeight: 10, weightDevice: [{ major: 8, minor: 0, weight: 1000 }] } });
    assert.deepEqual(tree.writesTo('io.bfq.weight'), ['500', '8:0 1000']);
    assert.deepEqual(tree.writesTo('io.weight'), []);
    assert.ok(warnings.some((w) => w.includes('leafWeight')));
  });

  it('writes one io.max line per device', () => {
    const mgr = open();
    mgr.create({
      blockIO: {
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
        throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
        throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 0 }],
      },
    });
    assert.deepEqual(tree.writesTo('io.max'), ['8:0 rbps=1048576 wbps=2097152 wiops=max', '8:16 riops=100']);
  });

  it('writes hugetlb.<size>.max, pids.max, cpuset and rdma.max', () => {
    const mgr = open();
    mgr.create({
      hugepageLimits: [{ pageSize: '2MB', limit: 8 << 20 }],
      pids: { limit: 32 },
      cpu: { cpus: '0-1', mems: '0' },
      rdma: { mlx5_0: { hcaHandles: 3, hcaObjects: 1000 } },
    });
    assert.equal(read(mgr, 'hugetlb.2MB.max'), String(8 << 20));
    assert.equal(read(mgr, 'pids.max'), '32');
    assert.equal(read(mgr, 'cpuset.cpus'), '0-1');
    assert.equal(read(mgr, 'rdma.max'), 'mlx5_0 hca_handle=3 hca_object=1000');
  });

  it('writes unified keys verbatim and last, so they override converted values', () => {
    const mgr = open();
    mgr.create({ cpu: { shares: 1024 }, unified: { 'cpu.weight': '321', 'memory.high': '1073741824' } });
    assert.equal(read(mgr, 'cpu.weight'), '321');
    assert.equal(read(mgr, 'memory.high'), '1073741824');
    assert.throws(() => mgr.update({ unified: { 'cpu/../x.y': '1' } }), (e) => isBerthError(e, 'BERTH_EINVAL') && e.message.includes('"cpu/../x.y"'));
    assert.throws(() => mgr.update({ unified: { 'a..b': '1' } }), (e) => isBerthError(e, 'BERTH_EINVAL'));
    assert.throws(() => mgr.update({ unified: { 'nosuch.file': '1' } }), (e) => isBerthError(e, 'BERTH_EUNSUPPORTED') && e.message.includes('"nosuch.file"'));
  });

  it('attaches the compiled eBPF device filter, replaces it on update, drops it with the cgroup', () => {
    const mgr = open();
    const dir = mgr.paths()['']!;
    mgr.create(undefined);
    assert.equal(tree.deviceFilters.size, 0);
    const rules = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
    mgr.update({ devices: rules });
    assert.deepEqual(tree.deviceFilters.get(dir), compileDeviceFilter(rules).program);
    // loads r2..r5 from the context, one block for c 1:3, then "deny"
    assert.equal(tree.deviceFilters.get(dir)!.toString('hex'), [
      '6112000000000000', '6113000000000000', '7403000010000000', '54020000ffff0000', '6114040000000000', '6115080000000000',
      '5602040002000000', '5604030001000000', '5605020003000000', 'b400000001000000', '9500000000000000',
      'b400000000000000', '9500000000000000',
    ].join(''));
    mgr.update({ devices: [{ allow: true, type: 'a' }] });
    assert.deepEqual(tree.deviceFilters.get(dir), compileDeviceFilter([{ allow: true }]).program);
    assert.deepEqual(warnings, []);
    mgr.destroy();
    assert.equal(tree.deviceFilters.size, 0);
  });

  it('warns about a device rule that cannot take effect, as on v1', () => {
    const mgr = open();
    mgr.create({ devices: [{ allow: true, type: 'c', access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    assert.deepEqual(warnings, ['device rule "deny c 1:3 rwm" has no full effect, as on cgroup v1: it cannot cut into the exception "c *:* rwm"']);
  });

  it('fails with one line when no eBPF program can be attached', () => {
    tree = new FakeV2Tree();
    const noBpf: CgroupFs = { ...tree, readFile: (f) => tree.readFile(f), writeFile: (f, d) => tree.writeFile(f, d), exists: (p) => tree.exists(p),
      mkdir: (d) => tree.mkdir(d), rmdir: (d) => tree.rmdir(d), listDirs: (d) => tree.listDirs(d), listFiles: (d) => tree.listFiles(d), attachDeviceFilter: undefined };
    const mgr = openCgroupManager({ cgroupsPath: '/x', id: 'x', root: tree.root, fs: noBpf, onWarning: () => {} });
    assert.throws(() => mgr.create({ devices: [] }), (e) => isBerthError(e, 'BERTH_EUNSUPPORTED') && /^cgroup v2 devices: cannot attach an eBPF device filter to /.test(e.message));
    assert.throws(() => mgr.update({ devices: [{ allow: true, type: 'q' }] }), (e) => isBerthError(e, 'BERTH_EINVAL') && e.message.includes('type "q"'));
  });

  it('turns the helper\'s failure line into one line naming what is missing', () => {
    const msg = (line: string): string => deviceFilterError('/sys/fs/cgroup/x', line, 1).message;
    assert.equal(msg('load\t1\t\n'), 'cgroup v2 devices: loading the eBPF device filter failed: operation not permitted (needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)');
    assert.equal(msg('load\t38\t\n'), 'cgroup v2 devices: loading the eBPF device filter failed: function not implemented (the kernel has no bpf(2): needs CONFIG_BPF_SYSCALL)');
    assert.equal(msg('load\t22\t\n'), 'cgroup v2 devices: loading the eBPF device filter failed: invalid argument (the kernel lacks CONFIG_CGROUP_BPF, or is older than 5.1)');
    assert.equal(msg('load\t13\tR7 !read_ok\n'), 'cgroup v2 devices: loading the eBPF device filter failed: permission denied: verifier: R7 !read_ok');
    assert.equal(msg('attach\t9\t\n'), 'cgroup v2 devices: attaching the eBPF device filter to /sys/fs/cgroup/x failed: bad file descriptor (not a cgroup2 directory, or the kernel lacks CONFIG_CGROUP_BPF)');
    assert.equal(msg('open\t2\t\n'), 'cgroup v2 devices: opening the cgroup /sys/fs/cgroup/x failed: no such file or directory');
    assert.match(msg('garbage'), /^cgroup v2 devices: berth-nsexec --device-filter \/sys\/fs\/cgroup\/x failed \(status 1\): garbage$/);
  });

  it('warns on stderr with the berth-runtime prefix by default', () => {
    tree = new FakeV2Tree();
    const mgr = openCgroupManager({ cgroupsPath: '/x', id: 'x', root: tree.root, fs: tree });
    const orig = process.stderr.write.bind(process.stderr);
    const seen: string[] = [];
    process.stderr.write = ((s: string) => { seen.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      mgr.create({ network: { classID: 7 } });
    } finally {
      process.stderr.write = orig;
    }
    assert.deepEqual(seen, ['berth-runtime: warning: network classID/priorities ignored: cgroup v2 has no net_cls/net_prio controller\n']);
  });

  it('freezes through cgroup.freeze and waits for cgroup.events', () => {
    const mgr = open();
    mgr.create(undefined);
    mgr.freeze();
    assert.equal(read(mgr, 'cgroup.freeze'), '1');
    assert.match(read(mgr, 'cgroup.events'), /^frozen 1$/m);
    assert.equal(mgr.isFrozen(), true);
    mgr.thaw();
    assert.equal(read(mgr, 'cgroup.freeze'), '0');
    assert.equal(mgr.isFrozen(), false);
  });

  it('fails naming the file when a controller is not available', () => {
    const mgr = open({ controllers: ['cpu', 'pids'] });
    assert.throws(() => mgr.create({ memory: { limit: 1 << 20 } }), (e) => isBerthError(e, 'BERTH_EUNSUPPORTED') && /memory\.max is missing/.test(e.message));
  });

  it('reports a kernel error as one line naming the file and value', () => {
    const mgr = open();
    mgr.create(undefined);
    assert.throws(() => mgr.update({ unified: { 'cpu.weight': '0' } }), (e) =>
      isBerthError(e, 'BERTH_ECGROUP') && e.message === 'cgroup cpu: write cpu.weight = "0": numerical result out of range');
  });

  it('reads stats from cpu.stat, memory.*, pids.*, io.stat and hugetlb files', () => {
    const mgr = open();
    mgr.create({ memory: { limit: 4096, swap: 8192 }, pids: { limit: 10 } });
    const d = mgr.paths()['']!;
    const set = (f: string, v: string): void => tree.set(path.join(d, f), v);
    set('cpu.stat', 'usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\nnr_periods 10\nnr_throttled 3\nthrottled_usec 4\n');
    set('memory.current', '1000\n');
    set('memory.peak', '2000\n');
    set('memory.stat', 'anon 40\nfile 30\n');
    set('memory.swap.current', '500\n');
    set('pids.current', '3\n');
    set('io.stat', '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n');
    set('hugetlb.2MB.current', '2097152\n');
    set('hugetlb.2MB.events', 'max 1\n');
    const s = mgr.stats();
    assert.deepEqual(s.cpu, { usageTotal: 3e6, usageUser: 2e6, usageSystem: 1e6, throttling: { periods: 10, throttledPeriods: 3, throttledTime: 4000 } });
    assert.equal(s.memory.usage, 1000);
    assert.equal(s.memory.maxUsage, 2000);
    assert.equal(s.memory.limit, 4096);
    assert.equal(s.memory.cache, 30);
    assert.equal(s.memory.rss, 40);
    assert.equal(s.memory.swapUsage, 500);
    assert.equal(s.memory.swapLimit, 4096);
    assert.deepEqual(s.pids, { current: 3, limit: 10 });
    assert.deepEqual(s.blkio.ioServiceBytes, [
      { major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 8192 }, { major: 8, minor: 0, op: 'Discard', value: 0 },
    ]);
    assert.equal(s.blkio.ioServiced.length, 3);
    assert.deepEqual(s.hugetlb['2MB'], { usage: 2097152, failcnt: 1 });
  });

  it('removes nested cgroups and the parents it created, but not a shared parent in use', () => {
    const a = open({}, '/berth-test/a');
    const b = openCgroupManager({ cgroupsPath: '/berth-test/b', id: 'b', root: tree.root, fs: tree, onWarning: () => {} });
    a.create(undefined);
    b.create(undefined);
    fs.mkdirSync(path.join(a.paths()['']!, 'nested'));
    a.destroy();
    assert.equal(fs.existsSync(path.join(tree.root, 'berth-test/a')), false);
    assert.equal(fs.existsSync(path.join(tree.root, 'berth-test')), true);
    b.destroy();
    assert.equal(fs.existsSync(path.join(tree.root, 'berth-test')), true, 'b did not create the parent, so it stays');
  });
});
