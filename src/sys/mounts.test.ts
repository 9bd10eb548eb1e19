import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MS } from './mount-options.js';
import { mountAt, mountOps, parseMountInfo } from './mounts.js';
import { MNT_DETACH, RecordingSys } from './native-sys.js';

test('mountOps: an overlay passes its fstab options as flags and data', () => {
  assert.deepEqual(mountOps({ type: 'overlay', source: 'overlay', options: ['ro', 'lowerdir=/a:/b'] }, '/t'), [
    { op: 'mount', source: 'overlay', target: '/t', fstype: 'overlay', flags: MS.RDONLY, data: 'lowerdir=/a:/b' },
  ]);
  const ops = mountOps({ type: 'overlay', source: 'overlay', options: ['lowerdir=/a', 'upperdir=/u', 'workdir=/w'] }, '/t', { readonly: true });
  assert.equal(ops.length, 1);
  assert.equal((ops[0] as { flags: bigint }).flags, MS.RDONLY);
  assert.equal((ops[0] as { data: string }).data, 'lowerdir=/a,upperdir=/u,workdir=/w');
});

test('mountOps: a read-only bind is a recursive bind, then a remount that keeps nosuid', () => {
  assert.deepEqual(mountOps({ type: 'bind', source: '/src', options: ['rbind', 'ro', 'nosuid'] }, '/t'), [
    { op: 'mount', source: '/src', target: '/t', fstype: '', flags: MS.BIND | MS.REC, data: '' },
    { op: 'mount', source: '', target: '/t', fstype: '', flags: MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID, data: '' },
  ]);
  assert.equal(mountOps({ type: 'bind', source: '/src', options: ['rbind'] }, '/t').length, 1);
});

test('mountAt refuses a description list it cannot carry out, and names the mount that failed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sys-'));
  try {
    await assert.rejects(mountAt([], join(dir, 'x'), { what: 'mount rootfs' }, new RecordingSys()), /mount rootfs: expected one mount/);
    const sys = new RecordingSys(() => 22);
    await assert.rejects(mountAt([{ type: 'overlay', source: 'overlay', options: [] }], join(dir, 'y'), {}, sys), (e: Error) =>
      e.message === `mount at ${join(dir, 'y')}: mount ${join(dir, 'y')}: invalid argument (EINVAL)`);
    assert.equal(sys.calls.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseMountInfo decodes escaped mount points and keeps the propagation fields', () => {
  const text = [
    '36 35 98:0 /mnt1 /mnt\\040with\\040space rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue',
    '37 35 0:4 / /run/berth/netns/x rw - nsfs nsfs rw',
    '',
  ].join('\n');
  assert.deepEqual(parseMountInfo(text), [
    { mountPoint: '/mnt with space', propagation: ['master:1', 'shared:7'], fsType: 'ext3' },
    { mountPoint: '/run/berth/netns/x', propagation: [], fsType: 'nsfs' },
  ]);
});

test('MNT_DETACH is umount2 flag 2', () => {
  assert.equal(MNT_DETACH, 2);
});
