import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../errors.js';
import { digestOf } from '../../storage/digest.js';
import { applyLayer } from './apply-layer.js';
import { zstdAvailable } from './zstd.js';
import { chunked, tarBytes } from './test-tar.js';

const isRoot = process.getuid?.() === 0;

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-unpack-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function xattr(path: string, name: string): string | undefined {
  try {
    return execFileSync('getfattr', ['-h', '--only-values', '-n', name, path], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return undefined;
  }
}

test('regular files, dirs, modes, owners, mtimes, symlinks, hardlinks, fifo, device', { skip: !isRoot }, () =>
  inTemp(async (dir) => {
    const dest = join(dir, 'rootfs');
    mkdirSync(dest);
    const tar = tarBytes([
      { name: 'usr/', type: '5', mode: 0o755, mtime: 1_000_000 },
      { name: 'usr/bin/', type: '5', mode: 0o711, uid: 3, gid: 4, mtime: 1_000_001 },
      { name: 'usr/bin/su', data: '#!su', mode: 0o4755, uid: 1000, gid: 1000, mtime: 1_111_111 },
      { name: 'usr/bin/sg', data: 'sg', mode: 0o2755, gid: 50 },
      { name: 'usr/bin/link', type: '2', linkname: 'su', uid: 5, gid: 6, mtime: 1_222_222 },
      { name: 'usr/bin/hard', type: '1', linkname: 'usr/bin/su' },
      { name: 'run/', type: '5', mode: 0o1777 },
      { name: 'run/fifo', type: '6', mode: 0o640, uid: 9, mtime: 1_333_333 },
      { name: 'dev/', type: '5' },
      { name: 'dev/null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/loop9', type: '4', devmajor: 7, devminor: 9, mode: 0o660 },
      { name: 'implicit/parent/file', data: 'p' },
      { name: './dot/slash', data: 'ds' },
    ]);
    const r = await applyLayer(chunked(tar, 1000), dest, { whiteoutMode: 'overlay' });
    assert.equal(r.diffId, digestOf(tar));
    assert.equal(r.digest, digestOf(tar));
    assert.equal(r.size, tar.length);
    const su = statSync(join(dest, 'usr/bin/su'));
    assert.equal(readFileSync(join(dest, 'usr/bin/su'), 'utf8'), '#!su');
    assert.equal(su.mode & 0o7777, 0o4755, 'setuid survives chown');
    assert.equal(su.uid, 1000);
    assert.equal(su.mtimeMs, 1_111_111_000);
    assert.equal(statSync(join(dest, 'usr/bin/sg')).mode & 0o7777, 0o2755);
    assert.equal(statSync(join(dest, 'usr/bin/sg')).gid, 50);
    const bin = statSync(join(dest, 'usr/bin'));
    assert.equal(bin.mode & 0o7777, 0o711);
    assert.equal(bin.uid, 3);
    assert.equal(bin.mtimeMs, 1_000_001_000, 'directory mtimes are set after their content');
    assert.equal(statSync(join(dest, 'usr')).mtimeMs, 1_000_000_000);
    const link = lstatSync(join(dest, 'usr/bin/link'));
    assert.ok(link.isSymbolicLink());
    assert.equal(readlinkSync(join(dest, 'usr/bin/link')), 'su');
    assert.equal(link.uid, 5);
    assert.equal(link.mtimeMs, 1_222_222_000);
    assert.equal(statSync(join(dest, 'usr/bin/hard')).ino, su.ino);
    assert.equal(statSync(join(dest, 'run')).mode & 0o7777, 0o1777);
    const fifo = lstatSync(join(dest, 'run/fifo'));
    assert.ok(fifo.isFIFO());
    assert.equal(fifo.mode & 0o7777, 0o640);
    assert.equal(fifo.uid, 9);
    assert.equal(fifo.mtimeMs, 1_333_333_000);
    const nul = lstatSync(join(dest, 'dev/null'));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, statSync('/dev/null').rdev);
    assert.equal(nul.mode & 0o7777, 0o666);
    assert.ok(lstatSync(join(dest, 'dev/loop9')).isBlockDevice());
    assert.equal(readFileSync(join(dest, 'implicit/parent/file'), 'utf8'), 'p');
    assert.equal(readFileSync(join(dest, 'dot/slash'), 'utf8'), 'ds');
  }));

test('GNU and PAX long names, PAX owners, fractional mtimes and xattrs', { skip: !isRoot }, () =>
  inTemp(async (dir) => {
    const dest = join(dir, 'rootfs');
    mkdirSync(dest);
    const longDir = 'd'.repeat(100) + '/' + 'e'.repeat(100);
    const tar = tarBytes([
      { name: `${longDir}/gnu-${'g'.repeat(120)}`, data: 'gnu', gnuLong: true },
      { name: 'paxfile', data: 'pax', pax: { path: `${longDir}/pax-${'p'.repeat(120)}`, uid: '300000', gid: '300001', mtime: '1700000000.25' } },
      { name: 'sym', type: '2', pax: { linkpath: 'l'.repeat(200) } },
      { name: 'cap', data: 'c', pax: { 'SCHILY.xattr.user.note': 'hello', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } },
    ]);
    const r = await applyLayer(chunked(tar), dest, { whiteoutMode: 'overlay' });
    assert.equal(r.diffId, digestOf(tar));
    assert.equal(readFileSync(join(dest, longDir, `gnu-${'g'.repeat(120)}`), 'utf8'), 'gnu');
    const p = statSync(join(dest, longDir, `pax-${'p'.repeat(120)}`));
    assert.equal(p.uid, 300000);
    assert.equal(p.gid, 300001);
    assert.equal(p.mtimeMs, 1700000000250);
    assert.equal(readlinkSync(join(dest, 'sym')), 'l'.repeat(200));
    assert.equal(xattr(join(dest, 'cap'), 'user.note'), 'hello');
    assert.equal(xattr(join(dest, 'cap'), 'trusted.overlay.redirect'), undefined, 'layers may not set overlay xattrs');
  }));

test('gzip: digest over the blob, diffID equal to sha256sum of the tar, checked against expectations', { skip: !isRoot }, () =>
  inTemp(async (dir) => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'etc'), { recursive: true });
    writeFileSync(join(src, 'etc/hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(src, 'big'), Buffer.alloc(3 << 20, 7));
    execFileSync('tar', ['-C', src, '-cf', join(dir, 'layer.tar'), '.']);
    const tar = readFileSync(join(dir, 'layer.tar'));
    const gz = gzipSync(tar);
    writeFileSync(join(dir, 'layer.tar.gz'), gz);
    const sum = execFileSync('sha256sum', [join(dir, 'layer.tar')]).toString().split(' ')[0];
    const dest = join(dir, 'out');
    mkdirSync(dest);
    const r = await applyLayer(createReadStream(join(dir, 'layer.tar.gz')), dest, {
      whiteoutMode: 'vfs', expectedDiffId: `sha256:${sum}`, expectedDigest: digestOf(gz),
    });
    assert.equal(r.diffId, `sha256:${sum}`);
    assert.equal(r.digest, digestOf(gz));
    assert.equal(r.size, gz.length);
    assert.equal(r.uncompressedSize, tar.length);
    execFileSync('diff', ['-r', src, dest]);
    rmSync(dest, { recursive: true });
    mkdirSync(dest);
    await assert.rejects(applyLayer(chunked(gz), dest, { whiteoutMode: 'vfs', expectedDiffId: digestOf('x') }), (e: unknown) => isBerthError(e, 'BERTH_EDIGEST') && /diffID/.test(e.message));
    await assert.rejects(applyLayer(chunked(gz), dest, { whiteoutMode: 'vfs', expectedDigest: digestOf('x') }), (e: unknown) => isBerthError(e, 'BERTH_EDIGEST') && /digest/.test(e.message));
    const corrupt = Buffer.from(gz);
    corrupt[corrupt.length - 5] ^= 0xff;
    await assert.rejects(applyLayer(chunked(corrupt), dest, { whiteoutMode: 'vfs' }), (e: unknown) => isBerthError(e, 'BERTH_ELAYER'));
  }));

test('bytes after the end-of-archive blocks count in the diffID', { skip: !isRoot }, () =>
  inTemp(async (dir) => {
    const tar = Buffer.concat([tarBytes([{ name: 'a', data: 'x' }]), Buffer.alloc(8192)]);
    const r = await applyLayer(chunked(tar), dir, { whiteoutMode: 'vfs' });
    assert.equal(r.diffId, digestOf(tar));
  }));

test('overlay whiteouts and opaque directories work under a real overlay mount', { skip: !isRoot }, () =>
  inTemp(async (dir) => {
    const lower = join(dir, 'lower');
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    const merged = join(dir, 'merged');
    for (const d of [lower, upper, work, merged]) mkdirSync(d);
    mkdirSync(join(lower, 'opq'));
    writeFileSync(join(lower, 'opq/old'), 'old');
    writeFileSync(join(lower, 'gone'), 'gone');
    mkdirSync(join(lower, 'sub/dir'), { recursive: true });
    writeFileSync(join(lower, 'sub/dir/x'), 'x');
    writeFileSync(join(lower, 'kept'), 'kept');
    const tar = tarBytes([
      { name: 'opq/', type: '5', mode: 0o755 },
      { name: 'opq/new', data: 'new' },
      { name: 'opq/.wh..wh..opq' },
      { name: '.wh.gone' },
      { name: 'sub/', type: '5', mode: 0o755 },
      { name: 'sub/.wh.dir' },
      { name: 'mine', data: 'mine' },
      { name: '.wh.mine' },
      { name: '.wh..wh.plnk' },
    ]);
    await applyLayer(chunked(tar), upper, { whiteoutMode: 'overlay' });
    const wh = lstatSync(join(upper, 'gone'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.ok(lstatSync(join(upper, 'sub/dir')).isCharacterDevice());
    assert.equal(xattr(join(upper, 'opq'), 'trusted.overlay.opaque'), 'y');
    assert.equal(readFileSync(join(upper, 'mine'), 'utf8'), 'mine', "a whiteout never hides the layer's own file");
    assert.ok(!existsSync(join(upper, '.wh.gone')));
    assert.ok(!existsSync(join(upper, '.wh..wh.plnk')));
    execFileSync('mount', ['-t', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, 'overlay', merged]);
    try {
      assert.deepEqual(readdirSync(join(merged, 'opq')), ['new']);
      assert.ok(!existsSync(join(merged, 'gone')));
      assert.ok(!existsSync(join(merged, 'sub/dir')));
      assert.equal(readFileSync(join(merged, 'kept'), 'utf8'), 'kept');
    } finally {
      execFileSync('umount', [merged]);
    }
  }));

test('vfs whiteouts delete lower content, opaque keeps only this layer, regardless of entry order', { skip: !isRoot }, () =>
  inTemp(async (dir) => {
    const root = join(dir, 'rootfs');
    mkdirSync(join(root, 'opq/sub'), { recursive: true });
    writeFileSync(join(root, 'opq/old'), 'old');
    writeFileSync(join(root, 'opq/sub/old'), 'old');
    writeFileSync(join(root, 'gone'), 'gone');
    mkdirSync(join(root, 'tree/deep'), { recursive: true });
    writeFileSync(join(root, 'tree/deep/f'), 'f');
    writeFileSync(join(root, 'kept'), 'kept');
    const tar = tarBytes([
      { name: 'opq/sub/new', data: 'new' }, // before the marker: still kept
      { name: 'opq/.wh..wh..opq' },
      { name: 'opq/top', data: 'top' },
      { name: '.wh.gone' },
      { name: '.wh.tree' },
      { name: 'mine', data: 'mine' },
      { name: '.wh.mine' },
    ]);
    await applyLayer(chunked(tar), root, { whiteoutMode: 'vfs' });
    assert.deepEqual(readdirSync(join(root, 'opq')).sort(), ['sub', 'top']);
    assert.deepEqual(readdirSync(join(root, 'opq/sub')), ['new']);
    assert.ok(!existsSync(join(root, 'gone')));
    assert.ok(!existsSync(join(root, 'tree')));
    assert.equal(readFileSync(join(root, 'mine'), 'utf8'), 'mine');
    assert.equal(readFileSync(join(root, 'kept'), 'utf8'), 'kept');
  }));

test('an entry replaces what is there: file over dir, dir over file, file over symlink', { skip: !isRoot }, () =>
  inTemp(async (dir) => {
    mkdirSync(join(dir, 'was-dir/inner'), { recursive: true });
    writeFileSync(join(dir, 'was-file'), 'f');
    const tar = tarBytes([
      { name: 'was-dir', data: 'now a file' },
      { name: 'was-file/', type: '5' },
      { name: 'was-file/child', data: 'c' },
      { name: 'l', type: '2', linkname: 'target' },
      { name: 'l', data: 'replaced' },
      { name: 'dup', data: 'first' },
      { name: 'dup', data: 'second' },
    ]);
    await applyLayer(chunked(tar), dir, { whiteoutMode: 'vfs' });
    assert.equal(readFileSync(join(dir, 'was-dir'), 'utf8'), 'now a file');
    assert.equal(readFileSync(join(dir, 'was-file/child'), 'utf8'), 'c');
    assert.ok(lstatSync(join(dir, 'l')).isFile());
    assert.ok(!existsSync(join(dir, 'target')));
    assert.equal(readFileSync(join(dir, 'dup'), 'utf8'), 'second');
  }));

test('symlinks in parents resolve inside the root (merged-/usr images)', { skip: !isRoot }, () =>
  inTemp(async (dir) => {
    const tar = tarBytes([
      { name: 'usr/lib/', type: '5' },
      { name: 'lib', type: '2', linkname: 'usr/lib' },
      { name: 'lib64', type: '2', linkname: '/usr/lib' },
      { name: 'lib/a.so', data: 'a' },
      { name: 'lib64/b.so', data: 'b' },
      { name: 'lib/../etc-via-dotdot', data: 'c' },
    ]);
    await applyLayer(chunked(tar), dir, { whiteoutMode: 'vfs' });
    assert.equal(readFileSync(join(dir, 'usr/lib/a.so'), 'utf8'), 'a');
    assert.equal(readFileSync(join(dir, 'usr/lib/b.so'), 'utf8'), 'b');
    assert.equal(readFileSync(join(dir, 'etc-via-dotdot'), 'utf8'), 'c');
  }));

test('zstd layers unpack once fzstd is installed, and fail clearly until then', { skip: !isRoot }, () =>
  inTemp(async (dir) => {
    const tar = tarBytes([{ name: 'z', data: 'zstd!'.repeat(1000) }]);
    writeFileSync(join(dir, 'l.tar'), tar);
    execFileSync('zstd', ['-q', join(dir, 'l.tar'), '-o', join(dir, 'l.tar.zst')]);
    const zst = readFileSync(join(dir, 'l.tar.zst'));
    const dest = join(dir, 'out');
    mkdirSync(dest);
    if (await zstdAvailable()) {
      const r = await applyLayer(chunked(zst, 4096), dest, { whiteoutMode: 'vfs' });
      assert.equal(r.diffId, digestOf(tar));
      assert.equal(r.digest, digestOf(zst));
      assert.equal(readFileSync(join(dest, 'z'), 'utf8'), 'zstd!'.repeat(1000));
    } else {
      await assert.rejects(applyLayer(chunked(zst), dest, { whiteoutMode: 'vfs' }), (e: unknown) => isBerthError(e, 'BERTH_EUNSUPPORTED') && /zstd support missing/.test(e.message));
    }
  }));

test('bzip2 and xz are refused by name', () =>
  inTemp(async (dir) => {
    await assert.rejects(applyLayer(chunked(Buffer.from('BZh91AY&SY')), dir, { whiteoutMode: 'vfs' }), /bzip2/);
    await assert.rejects(applyLayer(chunked(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])), dir, { whiteoutMode: 'vfs' }), /xz/);
  }));
