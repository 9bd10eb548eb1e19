import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBerthError } from '../../errors.js';
import { parseCgroupMounts, resolveCgroupPath, v1Hierarchies } from './paths.js';

describe('cgroup path rules', () => {
  it('normalises absolute, relative and empty paths', () => {
    assert.equal(resolveCgroupPath('/a/b', 'x'), '/a/b');
    assert.equal(resolveCgroupPath('a/b/', 'x'), '/a/b');
    assert.equal(resolveCgroupPath('//a/./b', 'x'), '/a/b');
    assert.equal(resolveCgroupPath('', 'ctr1'), '/berth/ctr1');
    assert.equal(resolveCgroupPath(undefined, 'ctr1'), '/berth/ctr1');
    assert.equal(resolveCgroupPath('/machine.slice/libpod-1.scope', 'x'), '/machine.slice/libpod-1.scope');
  });

  it('refuses escapes, the root itself and NUL bytes', () => {
    for (const p of ['/a/../b', '..', '../x', '/a/b/..']) {
      assert.throws(() => resolveCgroupPath(p, 'x'), (e) => isBerthError(e, 'BERTH_EINVAL') && e.message === `cgroupsPath ${JSON.stringify(p)} escapes the cgroup root with ".."`);
    }
    assert.throws(() => resolveCgroupPath('', '..'), (e) => isBerthError(e, 'BERTH_EINVAL'));
    assert.throws(() => resolveCgroupPath('/', 'x'), (e) => isBerthError(e, 'BERTH_EINVAL') && /root cgroup/.test(e.message));
    assert.throws(() => resolveCgroupPath('/a\0b', 'x'), (e) => isBerthError(e, 'BERTH_EINVAL'));
  });
});

describe('mountinfo parsing', () => {
  const mountinfo = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate',
    '50 1 0:32 / /mnt/my\\040mem rw - cgroup cgroup rw,memory',
    '51 1 0:40 / /srv/pids rw - cgroup cgroup rw,pids,clone_children',
  ].join('\n');

  it('keeps cgroup mounts, their controllers, and unescapes mount points', () => {
    const m = parseCgroupMounts(mountinfo);
    assert.equal(m.length, 6);
    assert.deepEqual(m[0], { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', fsType: 'cgroup', controllers: ['cpu', 'cpuacct'] });
    assert.deepEqual(m[2]!.controllers, ['name=systemd']);
    assert.deepEqual(m[3], { mountPoint: '/sys/fs/cgroup/unified', fsType: 'cgroup2', controllers: [] });
    assert.equal(m[4]!.mountPoint, '/mnt/my mem');
    assert.deepEqual(m[5]!.controllers, ['pids']);
  });

  it('prefers the mount under the root when a controller is mounted twice, and uses others otherwise', () => {
    const h = v1Hierarchies(parseCgroupMounts(mountinfo), '/sys/fs/cgroup');
    assert.equal(h.get('memory'), '/sys/fs/cgroup/memory');
    assert.equal(h.get('cpuacct'), '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(h.get('pids'), '/srv/pids');
    assert.equal(h.has('unified'), false);
    const other = v1Hierarchies(parseCgroupMounts(mountinfo), '/mnt');
    assert.equal(other.get('memory'), '/mnt/my mem');
  });
});
