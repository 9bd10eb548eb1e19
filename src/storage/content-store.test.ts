import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readdirSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { isBerthError } from '../errors.js';
import { ContentStore } from './content-store.js';
import { digestOf, parseDigest } from './digest.js';

function withStore(fn: (s: ContentStore, root: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-cs-'));
    try {
      await fn(new ContentStore(root), root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

test('digests: sha256 only, lower hex, other algorithms refused by name', () => {
  const d = digestOf('x');
  assert.equal(parseDigest(d), d);
  assert.throws(() => parseDigest(d.toUpperCase()), (e: unknown) => isBerthError(e, 'BERTH_EDIGEST'));
  assert.throws(() => parseDigest('sha256:abc'), /malformed digest/);
  assert.throws(() => parseDigest(`sha512:${'a'.repeat(128)}`), /"sha512" is not supported/);
  assert.throws(() => parseDigest(`sha256:../../${'a'.repeat(58)}`), /malformed/);
});

test('ingest commits a verified, read-only blob and reads it back', withStore(async (s, root) => {
  const data = 'hello, world\n';
  const d = digestOf(data);
  const info = await s.ingest('layer-1', chunks('hello, ', 'world\n'), { expectedDigest: d, expectedSize: data.length });
  assert.equal(info.digest, d);
  assert.equal(info.size, data.length);
  const st = statSync(join(root, 'blobs/sha256', d.slice(7)));
  assert.equal(st.mode & 0o777, 0o444);
  assert.ok(await s.has(d));
  assert.equal((await s.info(d)).size, data.length);
  assert.equal((await s.readAll(d, { maxSize: 100 })).toString(), data);
  let streamed = '';
  for await (const c of await s.read(d)) streamed += String(c);
  assert.equal(streamed, data);
  let part = '';
  for await (const c of await s.read(d, { start: 7, end: 11 })) part += String(c);
  assert.equal(part, 'world');
  assert.deepEqual(readdirSync(join(root, 'ingest')), []);
}));

test('ingest without expectations computes the digest; a plain Iterable works', withStore(async (s) => {
  const info = await s.ingest('r', [Buffer.from('abc')]);
  assert.equal(info.digest, digestOf('abc'));
}));

test('an existing blob is reused', withStore(async (s) => {
  const a = await s.ingest('a', chunks('same'));
  const b = await s.ingest('b', chunks('same'));
  assert.equal(a.digest, b.digest);
  const all = [];
  for await (const i of s.walk()) all.push(i.digest);
  assert.deepEqual(all, [a.digest]);
}));

test('wrong digest, short and long content are refused and leave nothing', withStore(async (s, root) => {
  const wrong = digestOf('other');
  await assert.rejects(s.ingest('x', chunks('data'), { expectedDigest: wrong }), (e: unknown) => isBerthError(e, 'BERTH_EDIGEST') && /expected sha256:/.test(e.message));
  await assert.rejects(s.ingest('x', chunks('data'), { expectedSize: 5 }), /got 4 bytes, expected 5/);
  await assert.rejects(s.ingest('x', chunks('data', 'more'), { expectedSize: 5 }), /more than the expected 5/);
  assert.deepEqual(readdirSync(join(root, 'blobs/sha256')), []);
  assert.deepEqual(readdirSync(join(root, 'ingest')), []);
  assert.ok(!(await s.has(digestOf('data'))));
}));

test('a failing source removes the temp file', withStore(async (s, root) => {
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('partial');
    throw new Error('network reset');
  }
  await assert.rejects(s.ingest('y', failing()), /network reset/);
  assert.deepEqual(readdirSync(join(root, 'ingest')), []);
}));

test('an interrupted ingest (dead owner) is discarded and the next ingest of the ref starts over', withStore(async (s, root) => {
  const refDir = join(root, 'ingest', createHash('sha256').update('ref-z').digest('hex'));
  // A process that exits leaves a pid that is certainly dead.
  const child = spawn(process.execPath, ['-e', '']);
  const deadPid = await new Promise<number>((res) => child.on('exit', () => res(child.pid ?? 0)));
  mkdirSync(refDir, { recursive: true });
  writeFileSync(join(refDir, 'lock'), `${deadPid}\nref-z\n`);
  writeFileSync(join(refDir, 'data'), 'garbage-from-the-crash');
  const info = await s.ingest('ref-z', chunks('clean'), { expectedDigest: digestOf('clean') });
  assert.equal((await s.readAll(info.digest, { maxSize: 10 })).toString(), 'clean');
  assert.ok(!existsSync(refDir));
}));

test('a live ingest holds its ref', withStore(async (s, root) => {
  const refDir = join(root, 'ingest', createHash('sha256').update('busy').digest('hex'));
  mkdirSync(refDir, { recursive: true });
  writeFileSync(join(refDir, 'lock'), `${process.ppid}\nbusy\n`);
  await assert.rejects(s.ingest('busy', chunks('x')), (e: unknown) => isBerthError(e, 'BERTH_ELOCKED'));
  await assert.rejects(s.abortIngest('busy'), (e: unknown) => isBerthError(e, 'BERTH_ELOCKED'));
  writeFileSync(join(refDir, 'lock'), `999999999\nbusy\n`);
  await s.abortIngest('busy');
  assert.ok(!existsSync(refDir));
}));

test('readAll limits size and notices corruption', withStore(async (s, root) => {
  const { digest } = await s.ingest('m', chunks('{"a":1}'));
  await assert.rejects(s.readAll(digest, { maxSize: 3 }), /over the limit of 3/);
  const p = join(root, 'blobs/sha256', digest.slice(7));
  rmSync(p);
  writeFileSync(p, '{"a":2}');
  await assert.rejects(s.readAll(digest, { maxSize: 100 }), (e: unknown) => isBerthError(e, 'BERTH_EDIGEST'));
}));

test('missing blobs and bad digests', withStore(async (s) => {
  const d = digestOf('nope');
  await assert.rejects(s.info(d), (e: unknown) => isBerthError(e, 'BERTH_ENOCONTENT'));
  await assert.rejects(s.read(d), (e: unknown) => isBerthError(e, 'BERTH_ENOCONTENT'));
  await assert.rejects(s.delete(d), (e: unknown) => isBerthError(e, 'BERTH_ENOCONTENT'));
  await assert.rejects(s.has('sha256:../../etc/passwd'), (e: unknown) => isBerthError(e, 'BERTH_EDIGEST'));
  await assert.rejects(s.ingest('q', chunks('x'), { expectedDigest: 'md5:abc' }), /malformed|not supported/);
  const list = [];
  for await (const i of s.walk()) list.push(i);
  assert.deepEqual(list, []);
}));

test('delete removes a blob', withStore(async (s) => {
  const { digest } = await s.ingest('d', chunks('bye'));
  await s.delete(digest);
  assert.ok(!(await s.has(digest)));
}));
