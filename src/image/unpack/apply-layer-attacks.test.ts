// Hostile layers. Each test plants a target outside the layer root (in its own temp dir, or a
// uniquely named path under /etc) and checks afterwards that the host is exactly as before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../errors.js';
import { applyLayer, type WhiteoutMode } from './apply-layer.js';
import { chunked, tarBytes, type TestEntry } from './test-tar.js';

const isRoot = process.getuid?.() === 0;

interface Sandbox {
  /** The layer root: <tmp>/a/b/rootfs, so "../.." lands in <tmp>/a. */
  dest: string;
  /** A directory outside the root that attacks aim at. */
  outside: string;
  tmp: string;
}

async function sandbox(fn: (s: Sandbox) => Promise<void>): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'berth-attack-'));
  try {
    const dest = join(tmp, 'a', 'b', 'rootfs');
    const outside = join(tmp, 'outside');
    mkdirSync(dest, { recursive: true });
    mkdirSync(outside, { mode: 0o700 });
    writeFileSync(join(outside, 'precious'), 'precious');
    await fn({ dest, outside, tmp });
    // Whatever happened, the outside is as it was.
    assert.deepEqual(readdirSync(outside), ['precious']);
    assert.equal(readFileSync(join(outside, 'precious'), 'utf8'), 'precious');
    assert.equal(statSync(outside).mode & 0o7777, 0o700);
    assert.deepEqual(readdirSync(join(tmp, 'a')), ['b']);
    assert.deepEqual(readdirSync(join(tmp, 'a', 'b')), ['rootfs']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function apply(entries: TestEntry[], dest: string, mode: WhiteoutMode = 'vfs', extra: { allowDevices?: boolean } = {}) {
  return applyLayer(chunked(tarBytes(entries)), dest, { whiteoutMode: mode, ...extra });
}

/** Refused with BERTH_ELAYER, on one line, naming the entry. */
function refused(entry: string, why: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(isBerthError(e, 'BERTH_ELAYER'), String(e));
    assert.ok(!e.message.includes('\n'), e.message);
    assert.ok(e.message.includes(JSON.stringify(entry)), `${e.message} should name ${entry}`);
    assert.match(e.message, why);
    return true;
  };
}

test('"../../x" is refused', { skip: !isRoot }, () =>
  sandbox(async ({ dest }) => {
    await assert.rejects(apply([{ name: '../../x', data: 'pwn' }], dest), refused('../../x', /escapes the layer root/));
    await assert.rejects(apply([{ name: 'ok/../../../x', data: 'pwn' }], dest), refused('ok/../../../x', /escapes/));
  }));

test('"/etc/x" (absolute) is refused', { skip: !isRoot }, () =>
  sandbox(async ({ dest }) => {
    const name = `/etc/berth-attack-${randomBytes(6).toString('hex')}`;
    await assert.rejects(apply([{ name, data: 'pwn' }], dest), refused(name, /absolute path/));
    assert.ok(!existsSync(name));
  }));

test('evil -> /outside then evil/file writes inside the root, not through the link', { skip: !isRoot }, () =>
  sandbox(async ({ dest, outside }) => {
    await apply([{ name: 'evil', type: '2', linkname: outside }, { name: 'evil/file', data: 'pwn' }, { name: 'evil/precious', data: 'pwn' }], dest);
    assert.ok(!existsSync(join(outside, 'file')));
    assert.equal(readFileSync(join(dest, outside, 'file'), 'utf8'), 'pwn');
  }));

test('evil -> ../.. then evil/x stays at the root', { skip: !isRoot }, () =>
  sandbox(async ({ dest, tmp }) => {
    await apply([{ name: 'evil', type: '2', linkname: '../..' }, { name: 'evil/x', data: 'pwn' }, { name: 'evil/evil/../../y', data: 'pwn' }], dest);
    assert.ok(!existsSync(join(tmp, 'a', 'x')));
    assert.equal(readFileSync(join(dest, 'x'), 'utf8'), 'pwn');
  }));

test('chained links (a -> b, b -> /outside) and a link loop', { skip: !isRoot }, () =>
  sandbox(async ({ dest, outside }) => {
    await apply([
      { name: 'b', type: '2', linkname: outside },
      { name: 'a', type: '2', linkname: 'b' },
      { name: 'a/file', data: 'pwn' },
    ], dest);
    assert.ok(existsSync(join(dest, outside, 'file')));
    await assert.rejects(apply([{ name: 'l1', type: '2', linkname: 'l2' }, { name: 'l2', type: '2', linkname: 'l1' }, { name: 'l1/x', data: '' }], dest), refused('l1/x', /too many levels/));
  }));

test('a symlink from a lower layer is followed inside the root only', { skip: !isRoot }, () =>
  sandbox(async ({ dest, outside }) => {
    await apply([{ name: 'lib', type: '2', linkname: outside }, { name: 'up', type: '2', linkname: '../../../..' }], dest);
    await apply([{ name: 'lib/pwn', data: 'pwn' }, { name: 'lib/.wh.precious' }, { name: 'up/x', data: 'pwn' }], dest);
    assert.ok(existsSync(join(dest, outside, 'pwn')));
    assert.ok(existsSync(join(dest, 'x')));
    // An opaque marker behind the link only clears inside the root.
    await apply([{ name: 'lib/.wh..wh..opq' }], dest);
  }));

test('a regular file or directory over a planted symlink replaces the link', { skip: !isRoot }, () =>
  sandbox(async ({ dest, outside }) => {
    await apply([
      { name: 'f', type: '2', linkname: join(outside, 'precious') },
      { name: 'f', data: 'pwn', mode: 0o777 },
      { name: 'd', type: '2', linkname: outside },
      { name: 'd/', type: '5', mode: 0o777 },
      { name: 'h', type: '2', linkname: join(outside, 'precious') },
      { name: 'h2', type: '1', linkname: 'h' },
    ], dest);
    assert.ok(lstatSync(join(dest, 'f')).isFile());
    assert.ok(lstatSync(join(dest, 'd')).isDirectory());
    // A hardlink to a symlink links the symlink itself, never its target.
    assert.ok(lstatSync(join(dest, 'h2')).isSymbolicLink());
  }));

test('hardlinks to /etc/shadow, out of the root, or to what is not in the layer are refused', { skip: !isRoot }, () =>
  sandbox(async ({ dest, outside }) => {
    const before = statSync('/etc/shadow').nlink;
    await assert.rejects(apply([{ name: 'shadow', type: '1', linkname: '/etc/shadow' }], dest), refused('shadow', /absolute hardlink target "\/etc\/shadow"/));
    await assert.rejects(apply([{ name: 'shadow', type: '1', linkname: '../../../../../../etc/shadow' }], dest), refused('shadow', /hardlink target ".*" that escapes/));
    await assert.rejects(apply([{ name: 'e', type: '2', linkname: '/etc' }, { name: 'shadow', type: '1', linkname: 'e/shadow' }], dest), refused('shadow', /not in the layer|does not exist/));
    await assert.rejects(apply([{ name: 'o', type: '2', linkname: outside }, { name: 'p', type: '1', linkname: 'o/precious' }], dest), refused('p', /does not exist|not in the layer/));
    await assert.rejects(apply([{ name: 'dir/', type: '5' }, { name: 'dl', type: '1', linkname: 'dir' }], dest), refused('dl', /directory/));
    assert.equal(statSync('/etc/shadow').nlink, before);
    assert.ok(!existsSync(join(dest, 'shadow')));
  }));

test('a huge PAX header is refused without being buffered', { skip: !isRoot }, () =>
  sandbox(async ({ dest }) => {
    const tar = tarBytes([{ name: 'x', data: 'x', pax: { comment: 'A'.repeat(4 << 20) } }]);
    await assert.rejects(applyLayer(chunked(tar, 65536), dest, { whiteoutMode: 'vfs' }), (e: unknown) => isBerthError(e, 'BERTH_ELAYER') && /PAX header of \d+ bytes/.test(e.message));
    await assert.rejects(applyLayer(chunked(tar, 65536), dest, { whiteoutMode: 'vfs', maxMetaSize: 1024 }), /over the 1024-byte limit/);
    assert.deepEqual(readdirSync(dest), []);
  }));

test('device nodes are refused when not allowed; fifos still work', { skip: !isRoot }, () =>
  sandbox(async ({ dest }) => {
    await assert.rejects(apply([{ name: 'sda', type: '4', devmajor: 8, devminor: 0 }], dest, 'vfs', { allowDevices: false }), refused('sda', /device nodes are not allowed/));
    await assert.rejects(apply([{ name: 'mem', type: '3', devmajor: 1, devminor: 1 }], dest, 'vfs', { allowDevices: false }), refused('mem', /char device/));
    await apply([{ name: 'fifo', type: '6' }], dest, 'vfs', { allowDevices: false });
    assert.deepEqual(readdirSync(dest), ['fifo']);
  }));

test('whiteouts naming their own directory or parent are refused; a whiteout through a link stays inside', { skip: !isRoot }, () =>
  sandbox(async ({ dest, outside }) => {
    mkdirSync(join(dest, 'd'));
    await assert.rejects(apply([{ name: 'd/.wh..' }], dest), refused('d/.wh..', /parent/));
    await assert.rejects(apply([{ name: 'd/.wh.' }], dest), refused('d/.wh.', /own directory/));
    await assert.rejects(apply([{ name: 'd/.wh...' }], dest), refused('d/.wh...', /parent/));
    assert.ok(existsSync(join(dest, 'd')));
    await apply([{ name: 'o', type: '2', linkname: outside }, { name: 'o/.wh.precious' }], dest, 'overlay');
    await apply([{ name: 'o2', type: '2', linkname: outside }, { name: 'o2/.wh..wh..opq' }], dest, 'overlay');
  }));

test('a path through a regular file is refused', { skip: !isRoot }, () =>
  sandbox(async ({ dest }) => {
    await assert.rejects(apply([{ name: 'file', data: 'x' }, { name: 'file/child', data: 'y' }], dest), refused('file/child', /not a directory/));
  }));
