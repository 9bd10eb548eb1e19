import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, linkSync, mkdirSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { VfsSnapshotter } from './vfs.js';
import { snapshotterSuite } from './snapshotter-suite.js';

snapshotterSuite('vfs', (root) => new VfsSnapshotter(root));

const isRoot = process.getuid?.() === 0;

test('vfs prepare copies modes, owners, symlinks, hardlinks, fifos and devices', { skip: !isRoot }, async () => {
  const root = mkdtempSync('/tmp/bs-');
  try {
    const s = new VfsSnapshotter(root);
    await s.prepare('a');
    const fs = await s.dir('a');
    writeFileSync(join(fs, 'f'), 'x', { mode: 0o4750 });
    chownSync(join(fs, 'f'), 1000, 1001);
    execFileSync('chmod', ['4750', join(fs, 'f')]);
    linkSync(join(fs, 'f'), join(fs, 'hard'));
    symlinkSync('/nowhere', join(fs, 'sym'));
    mkdirSync(join(fs, 'd'), { mode: 0o711 });
    execFileSync('mknod', [join(fs, 'fifo'), 'p']);
    execFileSync('mknod', [join(fs, 'null'), 'c', '1', '3']);
    await s.commit('A', 'a');
    await s.prepare('b', 'A');
    const b = await s.dir('b');
    const st = statSync(join(b, 'f'));
    assert.equal(st.mode & 0o7777, 0o4750);
    assert.equal(st.uid, 1000);
    assert.equal(st.gid, 1001);
    assert.equal(statSync(join(b, 'hard')).ino, st.ino);
    assert.equal(readlinkSync(join(b, 'sym')), '/nowhere');
    assert.equal(statSync(join(b, 'd')).mode & 0o777, 0o711);
    assert.ok(lstatSync(join(b, 'fifo')).isFIFO());
    const dev = lstatSync(join(b, 'null'));
    assert.ok(dev.isCharacterDevice());
    assert.equal(dev.rdev, statSync('/dev/null').rdev);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
