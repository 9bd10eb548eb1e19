import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTar } from '../unpack/tar-reader.js';
import { writeTar } from './tar-writer.js';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

test('what the writer writes, the reader reads back: long names, links, xattrs, devices', async () => {
  const long = `${'d'.repeat(80)}/${'f'.repeat(90)}`;
  const tar = await collect(writeTar([
    { entry: { name: 'dir', type: 'dir', mode: 0o750, uid: 5, gid: 6, mtime: 1000 } },
    { entry: { name: long, type: 'file', size: 3, mode: 0o600, mtime: 5 }, body: Buffer.from('abc') },
    { entry: { name: 'link', type: 'symlink', linkname: `/${'l'.repeat(150)}` } },
    { entry: { name: 'hard', type: 'hardlink', linkname: long } },
    { entry: { name: 'null', type: 'char', devmajor: 1, devminor: 3, uid: 3_000_000 } },
    { entry: { name: 'x', type: 'file', size: 0, xattrs: new Map([['user.k', Buffer.from('v')]]) }, body: Buffer.alloc(0) },
  ]));
  assert.equal(tar.length % 512, 0);
  const seen: Array<Record<string, unknown>> = [];
  for await (const { entry, body } of readTar((async function* () { yield tar; })())) {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(c);
    seen.push({ path: entry.path, type: entry.type, data: Buffer.concat(parts).toString(), linkname: entry.linkname, uid: entry.uid, mode: entry.mode, dev: `${entry.devmajor}:${entry.devminor}`, x: entry.xattrs.get('user.k')?.toString() });
  }
  assert.deepEqual(seen.map((s) => s.path), ['dir/', long, 'link', 'hard', 'null', 'x']);
  assert.equal(seen[0]?.mode, 0o750);
  assert.equal(seen[1]?.data, 'abc');
  assert.equal(seen[2]?.linkname, `/${'l'.repeat(150)}`);
  assert.equal(seen[3]?.linkname, long);
  assert.equal(seen[4]?.dev, '1:3');
  assert.equal(seen[4]?.uid, 3_000_000);
  assert.equal(seen[5]?.x, 'v');
});

test('a body that does not match its declared size is an error, not a corrupt archive', async () => {
  await assert.rejects(collect(writeTar([{ entry: { name: 'f', type: 'file', size: 10 }, body: Buffer.from('short') }])), /changed size/);
});
