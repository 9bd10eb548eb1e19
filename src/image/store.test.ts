import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../errors.js';
import { closeDb } from '../storage/metadata/db.js';
import { LocalImageStore } from './store.js';
import { chunked, tarBytes } from './unpack/test-tar.js';

async function withStore(fn: (s: LocalImageStore, root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'berth-store-'));
  try {
    await fn(new LocalImageStore(root), root);
  } finally {
    closeDb(root);
    rmSync(root, { recursive: true, force: true });
  }
}

const base = tarBytes([{ name: 'etc/', type: '5', mode: 0o755 }, { name: 'etc/base', data: 'base\n' }]);
const top = (n: string) => tarBytes([{ name: `etc/${n}`, data: `${n}\n` }, { name: 'etc/.wh.base', data: '' }]);

test('createImageFromLayer stacks on a parent; identical stacks share the layer', () =>
  withStore(async (store) => {
    const a = await store.createImageFromLayer({ layerTar: chunked(base), tags: ['base:1'], config: { Cmd: ['sh'] } });
    assert.deepEqual(a.repoTags, ['docker.io/library/base:1']);
    const b = await store.createImageFromLayer({ parent: a, layerTar: chunked(top('b')), tags: ['localhost/child-b'] });
    const c = await store.createImageFromLayer({ parent: a, layerTar: chunked(top('c')), tags: ['localhost/child-c'], comment: 'hi' });
    assert.equal(b.diffIds[0], a.diffIds[0]);
    assert.deepEqual(b.config.Cmd, ['sh']);
    assert.notEqual(b.id, c.id);
    const layerSnaps = [];
    for await (const s of store.snapshotter().walk()) layerSnaps.push(s.key);
    assert.equal(layerSnaps.length, 3, 'base stored once');
    const du = await store.diskUsage();
    const row = du.images.find((i) => i.id === b.id);
    assert.equal(row?.sharedSize, base.length);
    assert.equal(du.layersSize < du.naiveSize, true);
  }));

test('removing one of two images keeps the shared layer and blobs; removing both frees everything', () =>
  withStore(async (store, root) => {
    const a = await store.createImageFromLayer({ layerTar: chunked(base), tags: ['localhost/base'] });
    const b = await store.createImageFromLayer({ parent: a, layerTar: chunked(top('b')), tags: ['localhost/b'] });
    await store.remove('localhost/b');
    assert.equal(store.lookup(b.id), undefined);
    const snaps = [];
    for await (const s of store.snapshotter().walk()) snaps.push(s.key);
    assert.deepEqual(snaps, [a.topChainId]);
    assert.equal(await store.contentStore().has(a.diffIds[0] as string), true);
    await store.remove('localhost/base');
    snaps.length = 0;
    for await (const s of store.snapshotter().walk()) snaps.push(s.key);
    assert.deepEqual(snaps, []);
    assert.deepEqual(readdirSync(join(root, 'content', 'blobs', 'sha256')), []);
    const snapDir = join(root, 'snapshots', store.driver, 'snapshots');
    assert.deepEqual(existsSync(snapDir) ? readdirSync(snapDir) : [], []);
  }));

test('a container snapshot keeps the layers below it through GC', () =>
  withStore(async (store) => {
    const a = await store.createImageFromLayer({ layerTar: chunked(base), tags: ['localhost/base'] });
    await store.snapshotter().prepare('container/abc', a.topChainId);
    await store.remove('localhost/base');
    assert.equal((await store.snapshotter().stat(a.topChainId as string)).kind, 'committed');
  }));

test('short names resolve as podman does: docker.io first, then localhost/', () =>
  withStore(async (store) => {
    const local = await store.createImageFromLayer({ layerTar: chunked(base), tags: ['localhost/thing:latest'] });
    assert.equal((await store.resolve('thing')).id, local.id);
    assert.equal((await store.resolve('localhost/thing')).id, local.id);
    const hub = await store.createImageFromLayer({ layerTar: chunked(top('hub')), tags: ['docker.io/library/thing:latest'] });
    assert.equal((await store.resolve('thing')).id, hub.id);
    assert.equal((await store.resolve('localhost/thing:latest')).id, local.id);
    assert.equal((await store.resolve(local.id.slice(7, 19))).id, local.id);
    assert.equal((await store.resolve(local.id)).id, local.id);
    await assert.rejects(store.resolve('nothing:here'), (e: unknown) => isBerthError(e, 'BERTH_ENOTFOUND') && e.message === 'image "nothing:here" not found');
  }));

test('rmi refuses an image a container uses, unless forced', () =>
  withStore(async (store) => {
    const a = await store.createImageFromLayer({ layerTar: chunked(base), tags: ['localhost/used'] });
    store.db.exec('CREATE TABLE IF NOT EXISTS containers (id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, image_id TEXT, snapshot_key TEXT)');
    store.db.prepare('INSERT INTO containers (id, name, image_id) VALUES (?, ?, ?)').run('c1', 'one', a.id);
    await assert.rejects(store.remove('localhost/used'), /used by 1 container/);
    const r = await store.remove('localhost/used', { force: true });
    assert.deepEqual(r.deleted, [a.id]);
  }));

test('a tag moves to the newer image; the old one is left dangling and pruned', () =>
  withStore(async (store) => {
    const a = await store.createImageFromLayer({ layerTar: chunked(base), tags: ['localhost/x'] });
    const b = await store.createImageFromLayer({ layerTar: chunked(top('b')), tags: ['localhost/x'] });
    assert.deepEqual(store.lookup(a.id)?.repoTags, []);
    assert.equal((await store.resolve('localhost/x')).id, b.id);
    const r = await store.prune();
    assert.deepEqual(r.deleted, [a.id]);
  }));

test('a layer whose content is unsafe fails the import and leaves nothing', () =>
  withStore(async (store, root) => {
    const evil = tarBytes([{ name: '../escape', data: 'x' }]);
    await assert.rejects(store.createImageFromLayer({ layerTar: chunked(evil), tags: ['localhost/evil'] }), (e: unknown) => isBerthError(e, 'BERTH_ELAYER'));
    await store.gc();
    assert.equal((await store.list()).length, 0);
    assert.deepEqual(readdirSync(join(root, 'content', 'blobs', 'sha256')), []);
    void readFileSync;
  }));
