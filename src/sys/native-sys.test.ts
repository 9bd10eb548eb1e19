// berth-nsexec --sys against the real kernel (root): mounts, a busy unmount, a namespace file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MS } from './mount-options.js';
import { isMountPoint, mountAt, unmountAll } from './mounts.js';
import { MNT_DETACH, nativeSys, parseFailure, SysCallError, type SysOp } from './native-sys.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;

test('parseFailure names the operation that failed, by index, with the errno name', () => {
  const ops: SysOp[] = [
    { op: 'mount', source: 'a', target: '/one', fstype: 'tmpfs', flags: 0n, data: '' },
    { op: 'umount', target: '/two', flags: 0 },
  ];
  const e = parseFailure(ops, '1\t16\tumount\n');
  assert.ok(e instanceof SysCallError);
  assert.equal(e.code, 'EBUSY');
  assert.equal(e.message, 'umount /two: resource busy or locked (EBUSY)');
  assert.equal(parseFailure(ops, 'usage: ...'), undefined);
  assert.equal(parseFailure(ops, '7\t16\tumount\n'), undefined);
});

test('nativeSys: tmpfs mounted read-only, a busy unmount refused, then detached', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sys-'));
  const target = join(dir, 'm');
  try {
    await mountAt([{ type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=700'] }], target);
    assert.ok(isMountPoint(target));
    assert.equal(statSync(target).mode & 0o777, 0o700, 'data (mode=700) reached the filesystem');
    writeFileSync(join(target, 'f'), 'x');
    await nativeSys.run([{ op: 'mount', source: '', target, fstype: '', flags: MS.REMOUNT | MS.RDONLY, data: '' }]);
    assert.throws(() => writeFileSync(join(target, 'g'), 'x'), /EROFS/);

    const fd = openSync(join(target, 'f'), 'r');
    try {
      await assert.rejects(nativeSys.run([{ op: 'umount', target, flags: 0 }]), (e: unknown) => e instanceof SysCallError && e.code === 'EBUSY');
      assert.ok(isMountPoint(target));
      await unmountAll(dir); // busy: detached instead
      assert.ok(!isMountPoint(target));
    } finally {
      closeSync(fd);
    }
    await unmountAll(dir); // nothing left: fine
  } finally {
    spawnSync('umount', ['-l', target]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nativeSys: the first failing operation stops the rest', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sys-'));
  try {
    const ops: SysOp[] = [
      { op: 'umount', target: join(dir, 'missing'), flags: 0 },
      { op: 'mount', source: 'tmpfs', target: dir, fstype: 'tmpfs', flags: 0n, data: '' },
    ];
    await assert.rejects(nativeSys.run(ops), (e: unknown) => e instanceof SysCallError && e.code === 'ENOENT' && e.op === ops[0]);
    assert.ok(!isMountPoint(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nativeSys: a network namespace bound to a file, with only lo, up', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sys-'));
  const file = join(dir, 'ns');
  try {
    closeSync(openSync(file, 'wx'));
    await nativeSys.run([{ op: 'netns', target: file, loopbackUp: true }]);
    const r = spawnSync('nsenter', [`--net=${file}`, 'ip', '-j', 'link', 'show'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const links = JSON.parse(r.stdout) as Array<{ ifname: string; flags: string[] }>;
    assert.deepEqual(links.map((l) => l.ifname), ['lo']);
    assert.ok(links[0]!.flags.includes('UP'));
    assert.notEqual(statSync(file).ino, statSync('/proc/self/ns/net').ino);
    await nativeSys.run([{ op: 'umount', target: file, flags: MNT_DETACH }]);
    assert.ok(!isMountPoint(file));
  } finally {
    spawnSync('umount', ['-l', file]);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(readdirSync(tmpdir()).filter((n) => n === dir), []);
});
