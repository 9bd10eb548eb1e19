// Archives in and out through the berth CLI: the default image, save/load round trips in both
// formats, skopeo reading what berth writes and berth loading what skopeo writes, import, and bad
// archives that must fail in one line and leave nothing behind.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { Readable } from 'node:stream';
import { writeTar, type TarSourceEntry } from '../../src/image/archive/tar-writer.js';
import { exportContainerFs } from '../../src/image/archive/export.js';
import { readTar } from '../../src/image/unpack/tar-reader.js';
import { MT } from '../../src/image/manifest.js';
import { berth, blobsIn, DEFAULT_ARCHIVE, ensureDefaultImage, imageIds, isRoot, ok, REPO, sh, snapshotDirsIn, tempRoot } from './images-helpers.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function tarOf(entries: TarSourceEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of writeTar(entries)) parts.push(c);
  return Buffer.concat(parts);
}
const file = (name: string, data: Buffer | string): TarSourceEntry => {
  const b = Buffer.from(data);
  return { entry: { name, type: 'file', size: b.length }, body: b };
};

const layer = await tarOf([{ entry: { name: 'etc', type: 'dir' } }, file('etc/hello', 'hello\n')]);

function ociLayout(opts: { manifestType?: string; layerName?: string; dropLayer?: boolean; refName?: string } = {}): Promise<Buffer> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layer)}`] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: opts.manifestType ?? MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: `sha256:${sha(config)}`, size: config.length },
    layers: [{ mediaType: MT.ociLayer, digest: `sha256:${sha(layer)}`, size: layer.length }],
  }));
  const index = { schemaVersion: 2, manifests: [{ mediaType: opts.manifestType ?? MT.ociManifest, digest: `sha256:${sha(manifest)}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': opts.refName ?? 'localhost/oci-test:1' } }] };
  const entries = [
    file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
    file(`blobs/sha256/${sha(config)}`, config),
    file(`blobs/sha256/${sha(manifest)}`, manifest),
    file('index.json', JSON.stringify(index)),
  ];
  if (opts.dropLayer !== true) entries.push(file(opts.layerName ?? `blobs/sha256/${sha(layer)}`, layer));
  return tarOf(entries);
}

function dockerArchive(opts: { diffId?: string; layerName?: string } = {}): Promise<Buffer> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [opts.diffId ?? `sha256:${sha(layer)}`] } }));
  return tarOf([
    file(opts.layerName ?? 'abc/layer.tar', layer),
    file(`${sha(config)}.json`, config),
    file('manifest.json', JSON.stringify([{ Config: `${sha(config)}.json`, RepoTags: ['localhost/da-test:1'], Layers: ['abc/layer.tar'] }])),
  ]);
}

describe('images: archives', { skip: isRoot ? false : 'needs root' }, () => {
  before(() => ensureDefaultImage());

  test('the default image loads on first use and is listed', async (t) => {
    const root = tempRoot(t);
    assert.equal((await ok(root, ['images', '-q'])).trim(), '');
    const inspect = JSON.parse(await ok(root, ['image', 'inspect', 'busybox']));
    assert.deepEqual(inspect[0].RepoTags, ['localhost/busybox:latest']);
    assert.deepEqual(inspect[0].Config.Cmd, ['sh']);
    const table = await ok(root, ['images']);
    assert.match(table, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    assert.match(table, /localhost\/busybox\s+latest\s+[0-9a-f]{12}\s/);
    // The same busybox always makes the same image: building again gives the same ID.
    const id = inspect[0].Id as string;
    const again = sh(process.execPath, [join(REPO, 'scripts/make-default-image.mjs')]);
    assert.match(again, new RegExp(id));
  });

  test('save then load round-trips in both formats with the same ID, gzip-wrapped too', async (t) => {
    const root = tempRoot(t);
    const id = JSON.parse(await ok(root, ['image', 'inspect', 'busybox']))[0].Id as string;
    await ok(root, ['tag', 'busybox', 'example.com/ns/bb:2']);
    for (const format of ['docker-archive', 'oci-archive']) {
      const out = join(root, `${format}.tar`);
      await ok(root, ['save', '--format', format, '-o', out, 'example.com/ns/bb:2']);
      for (const input of [out, `${out}.gz`]) {
        if (input.endsWith('.gz')) writeFileSync(input, gzipSync(readFileSync(out), { level: 1 }));
        const fresh = tempRoot(t);
        const loaded = await ok(fresh, ['load', '-q', '-i', input]);
        assert.match(loaded, /Loaded image: example\.com\/ns\/bb:2/);
        assert.deepEqual(await imageIds(fresh), [id]);
      }
    }
    // Saving twice gives the same bytes.
    const a = join(root, 'a.tar');
    await ok(root, ['save', '-o', a, 'busybox']);
    await ok(root, ['save', '-o', join(root, 'b.tar'), 'busybox']);
    assert.equal(sha(readFileSync(a)), sha(readFileSync(join(root, 'b.tar'))));
    // stdin works as input.
    const fresh = tempRoot(t);
    await ok(fresh, ['load'], { input: readFileSync(a) });
    assert.deepEqual(await imageIds(fresh), [id]);
  });

  test('skopeo reads what berth saves, and berth loads what skopeo writes', async (t) => {
    const root = tempRoot(t);
    const id = JSON.parse(await ok(root, ['image', 'inspect', 'busybox']))[0].Id as string;
    const da = join(root, 'da.tar');
    const oa = join(root, 'oa.tar');
    await ok(root, ['save', '-o', da, 'busybox']);
    await ok(root, ['save', '--format', 'oci-archive', '-o', oa, 'busybox']);
    const si = JSON.parse(sh('skopeo', ['inspect', `docker-archive:${da}`]));
    assert.equal(si.Os, 'linux');
    assert.equal(si.Layers.length, 1);
    const so = JSON.parse(sh('skopeo', ['inspect', `oci-archive:${oa}`]));
    assert.equal(so.Layers.length, 1);
    const cfg = JSON.parse(sh('skopeo', ['inspect', '--config', `oci-archive:${oa}`]));
    assert.deepEqual(cfg.config.Cmd, ['sh']);
    // skopeo's own writes: an OCI archive (with a name) and a docker-archive.
    const skOci = join(root, 'sk-oci.tar');
    const skDa = join(root, 'sk-da.tar');
    sh('skopeo', ['copy', '-q', `docker-archive:${da}`, `oci-archive:${skOci}:localhost/from-skopeo:1`]);
    sh('skopeo', ['copy', '-q', `oci-archive:${oa}`, `docker-archive:${skDa}:localhost/from-skopeo-da:2`]);
    const fresh = tempRoot(t);
    assert.match(await ok(fresh, ['load', '-i', skDa]), /Loaded image: localhost\/from-skopeo-da:2/);
    assert.deepEqual(await imageIds(fresh), [id]);
    // skopeo re-serializes the config when it converts to OCI, so the ID changes but not the layers.
    assert.match(await ok(fresh, ['load', '-i', skOci]), /Loaded image: localhost\/from-skopeo:1/);
    const [mine, theirs] = await Promise.all([id, 'localhost/from-skopeo:1'].map(async (n) => JSON.parse(await ok(fresh, ['image', 'inspect', n]))[0]));
    assert.deepEqual(theirs.RootFS.Layers, mine.RootFS.Layers);
    assert.deepEqual(theirs.Config.Cmd, ['sh']);
    assert.equal(snapshotDirsIn(fresh).length, 1);
  });

  test('import makes a one-layer image from a rootfs tarball; exportContainerFs gives a tar of a tree', async (t) => {
    const root = tempRoot(t);
    const rootfs = join(root, 'rootfs.tar');
    const parts: Buffer[] = [];
    for await (const c of exportContainerFs(join(REPO, 'test/fixtures/out/busybox-rootfs'))) parts.push(c as Buffer);
    writeFileSync(rootfs, gzipSync(Buffer.concat(parts), { level: 1 }));
    const names: string[] = [];
    for await (const { entry } of readTar(Readable.from([Buffer.concat(parts)]))) names.push(entry.path);
    assert.ok(names.includes('bin/busybox') && names.includes('bin/sh'));
    const id = (await ok(root, ['import', '--change', 'CMD ["sh"]', '-m', 'from a tarball', rootfs, 'localhost/imported:1'])).trim();
    const [img] = JSON.parse(await ok(root, ['image', 'inspect', 'localhost/imported:1']));
    assert.equal(img.Id, id);
    assert.equal(img.RootFS.Layers.length, 1);
    assert.deepEqual(img.Config.Cmd, ['sh']);
    const piped = await ok(root, ['import', '-', 'localhost/piped'], { input: readFileSync(rootfs) });
    assert.match(piped, /^sha256:/);
  });

  const bad: Array<[string, () => Promise<Buffer>, RegExp]> = [
    ['a truncated archive', async () => readFileSync(DEFAULT_ARCHIVE).subarray(0, 700_000), /truncated|missing/],
    ['a layer whose content does not match the config diff ID', () => dockerArchive({ diffId: `sha256:${'0'.repeat(64)}` }), /diffID/],
    ['an OCI blob whose content does not match its name', () => ociLayout({ layerName: `blobs/sha256/${'1'.repeat(64)}` }), /digest|missing/],
    ['an OCI layout with a missing blob', () => ociLayout({ dropLayer: true }), /missing/],
    ['a member named with ../', () => tarOf([file('../evil', 'x'), file('manifest.json', '[]')]), /"\.\.\/evil" has "\.\." in its name/],
    ['a manifest of an unknown media type', () => ociLayout({ manifestType: 'application/vnd.example.unknown+json' }), /unsupported media type/],
    ['not an image archive at all', () => tarOf([file('hello.txt', 'hi')]), /neither a docker-archive/],
  ];
  for (const [what, make, msg] of bad) {
    test(`load refuses ${what}: one line, exit 125, nothing left`, async (t) => {
      const root = tempRoot(t);
      const f = join(root, 'bad.tar');
      writeFileSync(f, await make());
      const r = await berth(root, ['load', '-q', '-i', f]);
      assert.equal(r.code, 125, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^berth: /);
      assert.match(r.stderr, msg);
      assert.deepEqual(await imageIds(root), []);
      assert.deepEqual(blobsIn(root), []);
      assert.deepEqual(snapshotDirsIn(root), []);
    });
  }

  test('the good versions of those archives load', async (t) => {
    const root = tempRoot(t);
    const a = join(root, 'oci.tar');
    const b = join(root, 'da.tar');
    writeFileSync(a, await ociLayout());
    writeFileSync(b, await dockerArchive());
    assert.match(await ok(root, ['load', '-i', a]), /localhost\/oci-test:1/);
    assert.match(await ok(root, ['load', '-i', b]), /localhost\/da-test:1/);
    // Both images have the same single layer: it is unpacked once.
    assert.equal(snapshotDirsIn(root).length, 1);
  });

  test('two berth processes loading into one root at once do not corrupt it', async (t) => {
    const root = tempRoot(t);
    const a = join(root, 'oci.tar');
    const b = join(root, 'da.tar');
    writeFileSync(a, await ociLayout());
    writeFileSync(b, await dockerArchive());
    const runs = await Promise.all([
      berth(root, ['load', '-q', '-i', DEFAULT_ARCHIVE]), berth(root, ['load', '-q', '-i', DEFAULT_ARCHIVE]),
      berth(root, ['load', '-q', '-i', a]), berth(root, ['load', '-q', '-i', b]),
    ]);
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.equal((await imageIds(root)).length, 3);
    assert.equal(snapshotDirsIn(root).length, 2);
    const db = new Database(join(root, 'berth.db'), { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
    assert.ok(statSync(join(root, 'berth.db')).size > 0);
  });
});
