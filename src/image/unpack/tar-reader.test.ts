import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../errors.js';
import { readTar, type TarEntry } from './tar-reader.js';
import { chunked, header, tarBytes } from './test-tar.js';

async function entries(tar: Buffer, chunk = 333): Promise<Array<TarEntry & { data: string }>> {
  const out: Array<TarEntry & { data: string }> = [];
  for await (const { entry, body } of readTar(chunked(tar, chunk))) {
    const parts: Buffer[] = [];
    for await (const b of body) parts.push(Buffer.from(b));
    out.push({ ...entry, data: Buffer.concat(parts).toString() });
  }
  return out;
}

test('ustar entries of every type, across odd chunk boundaries', async () => {
  const tar = tarBytes([
    { name: 'd/', type: '5', mode: 0o755 },
    { name: 'd/f', data: 'hello', mode: 0o4755, uid: 7, gid: 8, mtime: 1234 },
    { name: 'd/l', type: '2', linkname: 'f' },
    { name: 'd/h', type: '1', linkname: 'd/f' },
    { name: 'd/c', type: '3', devmajor: 1, devminor: 3 },
    { name: 'd/b', type: '4', devmajor: 7, devminor: 0 },
    { name: 'd/p', type: '6' },
    { name: 'old-dir/', type: '0' },
  ]);
  for (const chunk of [1, 7, 512, 100000]) {
    const es = await entries(tar, chunk);
    assert.deepEqual(es.map((e) => [e.path, e.type]), [
      ['d/', 'dir'], ['d/f', 'file'], ['d/l', 'symlink'], ['d/h', 'hardlink'], ['d/c', 'char'], ['d/b', 'block'], ['d/p', 'fifo'], ['old-dir/', 'dir'],
    ]);
    const f = es[1];
    assert.equal(f?.data, 'hello');
    assert.equal(f?.mode, 0o4755);
    assert.equal(f?.uid, 7);
    assert.equal(f?.mtime, 1234);
    assert.equal(es[4]?.devminor, 3);
  }
});

test('unread bodies are skipped', async () => {
  const tar = tarBytes([{ name: 'a', data: 'x'.repeat(3000) }, { name: 'b', data: 'y' }]);
  const names = [];
  for await (const { entry } of readTar(chunked(tar))) names.push(entry.path);
  assert.deepEqual(names, ['a', 'b']);
});

test('GNU long names and links, PAX path/linkpath/size/uid/gid/mtime/xattrs', async () => {
  const long = 'x/'.repeat(80) + 'file';
  const tar = tarBytes([
    { name: long, data: 'gnu', gnuLong: true },
    { name: 'sym', type: '2', linkname: 'y'.repeat(150), gnuLong: true },
    {
      name: 'short', data: 'pax',
      pax: { path: 'p/'.repeat(100) + 'f', uid: '2000000', gid: '3000000', mtime: '1700000000.5', 'SCHILY.xattr.user.k': Buffer.from([0, 1, 255]) },
    },
    { name: 'lnk', type: '2', pax: { linkpath: 'z'.repeat(300) } },
    { name: 'after', data: 'plain' },
  ]);
  const es = await entries(tar);
  assert.equal(es[0]?.path, long);
  assert.equal(es[0]?.data, 'gnu');
  assert.equal(es[1]?.linkname, 'y'.repeat(150));
  assert.equal(es[2]?.path, 'p/'.repeat(100) + 'f');
  assert.equal(es[2]?.uid, 2000000);
  assert.equal(es[2]?.gid, 3000000);
  assert.equal(es[2]?.mtime, 1700000000.5);
  assert.deepEqual([...(es[2]?.xattrs.get('user.k') ?? [])], [0, 1, 255]);
  assert.equal(es[3]?.linkname, 'z'.repeat(300));
  // PAX and GNU headers apply to one entry only.
  assert.equal(es[4]?.path, 'after');
  assert.equal(es[4]?.xattrs.size, 0);
});

test('what GNU tar writes in gnu and posix formats reads back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tar-'));
  try {
    const src = join(dir, 'src');
    const deep = join(src, 'a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'f'.repeat(120)), 'deep');
    symlinkSync('t'.repeat(120), join(src, 'longlink'));
    for (const format of ['gnu', 'posix']) {
      const tarPath = join(dir, `${format}.tar`);
      execFileSync('tar', ['--format', format, '-C', src, '-cf', tarPath, '.']);
      const es = await entries(readFileSync(tarPath));
      const file = es.find((e) => e.path.endsWith('f'.repeat(120)));
      assert.equal(file?.data, 'deep', format);
      assert.equal(file?.path, `./${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(60)}/${'f'.repeat(120)}`);
      assert.equal(es.find((e) => e.path === './longlink')?.linkname, 't'.repeat(120));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('base-256 numbers (GNU) for large uids and sizes', async () => {
  const h = header({ name: 'big', type: '0', size: 3, uid: 0 });
  h.fill(0, 108, 116);
  h[108] = 0x80;
  h.writeUInt32BE(5_000_000, 112);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of h) sum += c;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  const tar = Buffer.concat([h, Buffer.from('abc'), Buffer.alloc(509), Buffer.alloc(1024)]);
  const [e] = await entries(tar);
  assert.equal(e?.uid, 5_000_000);
  assert.equal(e?.data, 'abc');
});

const layerError = (re: RegExp) => (e: unknown) => isBerthError(e, 'BERTH_ELAYER') && re.test(e.message) && !e.message.includes('\n');

test('malformed archives are refused', async () => {
  const good = tarBytes([{ name: 'a', data: 'abc' }]);
  const badSum = Buffer.from(good);
  badSum[0] = 0x62;
  await assert.rejects(entries(badSum), layerError(/checksum/));
  await assert.rejects(entries(good.subarray(0, 600)), layerError(/truncated/));
  await assert.rejects(entries(tarBytes([{ name: 'a', pax: { path: 'x' }, type: '0' }]).subarray(0, 700)), layerError(/truncated/));
  const huge = tarBytes([{ name: 'a', pax: { comment: 'x'.repeat(2 << 20) } }]);
  await assert.rejects(entries(huge), layerError(/PAX header of \d+ bytes .* over the 1048576-byte limit/));
  await assert.rejects(entries(tarBytes([{ name: 's', type: 'S' }])), layerError(/unsupported type "S"/));
  await assert.rejects(entries(tarBytes([{ name: 's', pax: { 'GNU.sparse.major': '1' } }])), layerError(/sparse/));
  const badPax = Buffer.concat([header({ name: 'x', type: 'x', size: 8 }), Buffer.from('99 a=b\n\n'), Buffer.alloc(504), tarBytes([{ name: 'a' }])]);
  await assert.rejects(entries(badPax), layerError(/malformed PAX/));
});

test('a stream that ends without the end-of-archive blocks still yields its entries', async () => {
  const es = await entries(tarBytes([{ name: 'a', data: 'x' }], { end: false }));
  assert.deepEqual(es.map((e) => e.path), ['a']);
});
