import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectHostCgroups, expandCgroupMount, type HostCgroups } from './cgroup-mount.js';
import { MS } from '../../sys/mount-options.js';

const HYBRID_MOUNTINFO = [
  '25 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '26 25 0:23 / /sys/fs/cgroup rw,relatime shared:8 - tmpfs tmpfs rw,mode=755',
  '27 26 0:24 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate',
  '28 26 0:25 / /sys/fs/cgroup/systemd rw,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd',
  '29 26 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct',
  '30 26 0:27 / /sys/fs/cgroup/memory rw,relatime shared:12 - cgroup cgroup rw,memory,release_agent=/x',
  '31 26 0:28 / /sys/fs/cgroup/memory/nested rw - cgroup cgroup rw,memory',
  '',
].join('\n');

const V2_MOUNTINFO = '26 25 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate\n';

test('detects a hybrid host\'s hierarchies with only their naming options', () => {
  const h = detectHostCgroups(HYBRID_MOUNTINFO);
  assert.equal(h.unified, false);
  assert.deepEqual(h.hierarchies, [
    { mountpoint: '/sys/fs/cgroup/unified', fstype: 'cgroup2', controllers: '' },
    { mountpoint: '/sys/fs/cgroup/systemd', fstype: 'cgroup', controllers: 'name=systemd' },
    { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', fstype: 'cgroup', controllers: 'cpu,cpuacct' },
    { mountpoint: '/sys/fs/cgroup/memory', fstype: 'cgroup', controllers: 'memory' },
  ]);
});

test('detects a cgroup v2 host', () => {
  const h = detectHostCgroups(V2_MOUNTINFO);
  assert.equal(h.unified, true);
  assert.deepEqual(h.hierarchies, []);
});

const RO = MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY;

test('v2 host: one cgroup2 mount with the spec\'s flags', () => {
  const p = expandCgroupMount({ destination: '/sys/fs/cgroup', flags: RO, data: '' }, { unified: true, hierarchies: [], symlinks: [] }, { newCgroupNs: true });
  assert.deepEqual(p.mounts, [{ source: 'cgroup', target: '/sys/fs/cgroup', fstype: 'cgroup2', flags: RO, propagation: 0n, data: '', remountFlags: 0n, targetKind: 'dir' }]);
  assert.deepEqual(p.readonlyPaths, []);
});

const HYBRID: HostCgroups = {
  unified: false,
  hierarchies: [
    { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', fstype: 'cgroup', controllers: 'cpu,cpuacct' },
    { mountpoint: '/sys/fs/cgroup/unified', fstype: 'cgroup2', controllers: '' },
  ],
  symlinks: [{ name: 'cpu', target: 'cpu,cpuacct' }],
};

test('v1 host without a cgroup namespace: rw tmpfs, read-only binds, symlinks, tmpfs made ro last', () => {
  const p = expandCgroupMount({ destination: '/sys/fs/cgroup', flags: RO, data: '' }, HYBRID, {
    newCgroupNs: false,
    cgroupPaths: { 'cpu,cpuacct': '/berth/c1' },
  });
  assert.equal(p.mounts.length, 3);
  assert.deepEqual(p.mounts[0], { source: 'tmpfs', target: '/sys/fs/cgroup', fstype: 'tmpfs', flags: RO & ~MS.RDONLY, propagation: 0n, data: 'mode=755', remountFlags: 0n, targetKind: 'dir' });
  assert.equal(p.mounts[1]!.source, '/sys/fs/cgroup/cpu,cpuacct/berth/c1');
  assert.equal(p.mounts[1]!.target, '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(p.mounts[1]!.flags, RO | MS.BIND | MS.REC);
  assert.equal(p.mounts[1]!.remountFlags, RO);
  assert.equal(p.mounts[2]!.source, '/sys/fs/cgroup/unified');
  assert.deepEqual(p.symlinks, [{ target: 'cpu,cpuacct', path: '/sys/fs/cgroup/cpu' }]);
  assert.deepEqual(p.readonlyPaths, ['/sys/fs/cgroup']);
});

test('v1 host with a cgroup namespace: fresh cgroup mounts named by their controllers', () => {
  const p = expandCgroupMount({ destination: '/sys/fs/cgroup', flags: RO, data: '' }, HYBRID, { newCgroupNs: true });
  assert.deepEqual(p.mounts.slice(1).map((m) => [m.fstype, m.data, m.target, m.flags]), [
    ['cgroup', 'cpu,cpuacct', '/sys/fs/cgroup/cpu,cpuacct', RO],
    ['cgroup2', '', '/sys/fs/cgroup/unified', RO],
  ]);
});

test('a rw cgroup mount leaves the tmpfs writable', () => {
  const p = expandCgroupMount({ destination: '/sys/fs/cgroup', flags: MS.NOSUID, data: '' }, HYBRID, { newCgroupNs: false });
  assert.deepEqual(p.readonlyPaths, []);
  assert.equal(p.mounts[1]!.remountFlags, MS.NOSUID);
});
