import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../errors.js';
import { closeDb } from '../../storage/metadata/db.js';
import { MT } from '../manifest.js';
import { LocalImageStore } from '../store.js';
import { tarBytes } from '../unpack/test-tar.js';
import { parseChallenge } from './client.js';
import { startFakeRegistry, type FakeRegistry } from './fake-registry.js';
import { pullImage } from './pull.js';

const layers = [
  tarBytes([{ name: 'etc/', type: '5', mode: 0o755 }, { name: 'etc/hello', data: 'hello\n' }]),
  tarBytes([{ name: 'etc/second', data: 'x'.repeat(100_000) }]),
];
const fast = { attempts: 3, backoffMs: 5 };

async function withStore(fn: (s: LocalImageStore, root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'berth-pull-'));
  try {
    await fn(new LocalImageStore(root), root);
  } finally {
    closeDb(root);
    rmSync(root, { recursive: true, force: true });
  }
}

async function withRegistry(opts: Parameters<typeof startFakeRegistry>[1], fn: (r: FakeRegistry) => Promise<void>, img = { layers }): Promise<void> {
  const r = await startFakeRegistry(img, opts);
  try {
    await fn(r);
  } finally {
    await r.stop();
  }
}

function blobCount(root: string): number {
  const dir = join(root, 'content', 'blobs', 'sha256');
  return existsSync(dir) ? readdirSync(dir).length : 0;
}

test('parseChallenge reads realm, service and scope', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), {
    scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
  });
  assert.deepEqual(parseChallenge('Basic realm="x"'), { scheme: 'basic', params: { realm: 'x' } });
});

test('pull with a bearer token: layers unpacked, image registered with tag and repo digest', () =>
  withRegistry({ bearer: 'anonymous' }, (reg) => withStore(async (store) => {
    const img = await pullImage(store, `${reg.host}/${reg.repo}:latest`, { client: fast });
    assert.deepEqual(img.repoTags, [`${reg.host}/${reg.repo}:latest`]);
    assert.equal(img.repoDigests.length, 1);
    assert.equal(img.diffIds.length, 2);
    const snap = store.snapshotter();
    const top = await snap.stat(img.topChainId as string);
    assert.equal(top.kind, 'committed');
    assert.ok(reg.requests.includes('GET /token'));
    // A second pull fetches no blob again.
    const before = reg.requests.filter((r) => r.includes('/blobs/')).length;
    await pullImage(store, `${reg.host}/${reg.repo}:latest`, { client: fast });
    assert.equal(reg.requests.filter((r) => r.includes('/blobs/')).length, before);
  })));

test('bearer auth with credentials: the token server gets them, and wrong ones fail in one line', () =>
  withRegistry({ bearer: { user: 'u', password: 'p' } }, (reg) => withStore(async (store) => {
    await assert.rejects(pullImage(store, `${reg.host}/${reg.repo}`, { client: { ...fast, credentials: { username: 'u', password: 'bad' } } }),
      (e: unknown) => isBerthError(e, 'BERTH_EAUTH') && !e.message.includes('\n'));
    const img = await pullImage(store, `${reg.host}/${reg.repo}`, { client: { ...fast, credentials: { username: 'u', password: 'p' } } });
    assert.equal(img.diffIds.length, 2);
  })));

test('transient 500s and a connection closed mid-blob are retried', () =>
  withRegistry({ faults: { blob500: 2, closeMidBlob: 1 } }, (reg) => withStore(async (store) => {
    const img = await pullImage(store, `${reg.host}/${reg.repo}`, { client: fast });
    assert.equal(img.diffIds.length, 2);
  })));

test('a registry that keeps answering 500 fails in one line, with no image and no blobs left', () =>
  withRegistry({ faults: { blob500: 1000 } }, (reg) => withStore(async (store, root) => {
    await assert.rejects(pullImage(store, `${reg.host}/${reg.repo}`, { client: fast }), (e: unknown) => {
      assert.ok(isBerthError(e, 'BERTH_EREGISTRY'), String(e));
      assert.match(e.message, /500/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    assert.equal((await store.list()).length, 0);
    assert.equal(blobCount(root), 0);
  })));

test('a connection closed mid-blob every time fails cleanly', () =>
  withRegistry({ faults: { closeMidBlob: 1000 } }, (reg) => withStore(async (store, root) => {
    await assert.rejects(pullImage(store, `${reg.host}/${reg.repo}`, { client: fast }), (e: unknown) => isBerthError(e, 'BERTH_EREGISTRY'));
    assert.equal((await store.list()).length, 0);
    assert.equal(blobCount(root), 0);
    assert.equal([...(await collect(store.snapshotter().walk()))].length, 0);
  })));

test('a blob whose bytes do not match its digest is refused, not retried', () =>
  withRegistry({ faults: { corruptLayers: true } }, (reg) => withStore(async (store, root) => {
    await assert.rejects(pullImage(store, `${reg.host}/${reg.repo}`, { client: fast }), (e: unknown) => {
      assert.ok(isBerthError(e, 'BERTH_EDIGEST'), String(e));
      return true;
    });
    assert.equal(reg.requests.filter((r) => r.includes('/blobs/sha256')).length <= 3, true);
    assert.equal((await store.list()).length, 0);
    assert.equal(blobCount(root), 0);
  })));

test('a manifest of an unknown media type, or over the size limit, is refused in one line', async () => {
  const unknown = { layers, manifestOverride: { bytes: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.thing+json' })), mediaType: 'application/vnd.example.thing+json' } };
  await withRegistry({}, (reg) => withStore(async (store) => {
    await assert.rejects(pullImage(store, `${reg.host}/${reg.repo}`, { client: fast }), /unsupported media type "application\/vnd.example.thing\+json"/);
  }), unknown);
  const huge = { layers, manifestOverride: { bytes: Buffer.alloc(5 << 20, 0x20), mediaType: MT.ociManifest } };
  await withRegistry({}, (reg) => withStore(async (store) => {
    await assert.rejects(pullImage(store, `${reg.host}/${reg.repo}`, { client: fast }), /over the limit/);
  }), huge);
});

test('an unknown tag is BERTH_ENOTFOUND', () =>
  withRegistry({}, (reg) => withStore(async (store) => {
    await assert.rejects(pullImage(store, `${reg.host}/${reg.repo}:nope`, { client: fast }), (e: unknown) => isBerthError(e, 'BERTH_ENOTFOUND'));
  })));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
