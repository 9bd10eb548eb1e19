import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chainIds, MT, parseImageConfig, parseManifestOrIndex, parsePlatform, selectPlatform, type ImageIndex } from './manifest.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const manifest = (mediaType: string | undefined, layerType: string = MT.ociLayerGzip) => Buffer.from(JSON.stringify({
  schemaVersion: 2, ...(mediaType !== undefined ? { mediaType } : {}),
  config: { mediaType: MT.ociConfig, digest: d('a'), size: 10 },
  layers: [{ mediaType: layerType, digest: d('b'), size: 20 }],
}));

test('the four manifest and index media types parse; OCI shape decides when mediaType is absent', () => {
  assert.equal(parseManifestOrIndex(manifest(MT.dockerManifest)).kind, 'manifest');
  assert.equal(parseManifestOrIndex(manifest(MT.ociManifest)).kind, 'manifest');
  assert.equal(parseManifestOrIndex(manifest(undefined)).mediaType, MT.ociManifest);
  const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.dockerList, manifests: [] }));
  assert.equal(parseManifestOrIndex(idx).kind, 'index');
  assert.equal(parseManifestOrIndex(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }))).mediaType, MT.ociIndex);
});

test('unknown media types, schema 1, bad digests and oversized documents are refused in one line', () => {
  assert.throws(() => parseManifestOrIndex(manifest('application/x-thing')), /unsupported media type "application\/x-thing"/);
  assert.throws(() => parseManifestOrIndex(manifest(MT.ociManifest, 'application/x-layer')), /unsupported media type application\/x-layer/);
  assert.throws(() => parseManifestOrIndex(Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x' }))), /schema 1/);
  assert.throws(() => parseManifestOrIndex(Buffer.alloc(5 << 20, 32)), /over the limit/);
  assert.throws(() => parseManifestOrIndex(Buffer.from('{"schemaVersion":2,"mediaType":"' + MT.ociManifest + '","config":{"mediaType":"x","digest":"md5:abc","size":1},"layers":[]}')), /not supported/);
  assert.throws(() => parseManifestOrIndex(Buffer.from('not json')), /not valid JSON/);
});

test('image config: diff IDs and the config body', () => {
  const c = parseImageConfig(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], Env: ['A=1'], Entrypoint: null }, rootfs: { type: 'layers', diff_ids: [d('c')] } })));
  assert.deepEqual(c.config, { Cmd: ['sh'], Env: ['A=1'], Entrypoint: null });
  assert.deepEqual(c.diffIds, [d('c')]);
  assert.throws(() => parseImageConfig(Buffer.from('{"rootfs":{}}')), /diff_ids/);
});

test('chain IDs follow the OCI definition', () => {
  const ids = chainIds([d('1'), d('2')] as `sha256:${string}`[]);
  assert.equal(ids[0], d('1'));
  assert.equal(ids[1], 'sha256:' + (sha(`${d('1')} ${d('2')}`)));
});

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

test('platform selection', () => {
  const idx: ImageIndex = { kind: 'index', mediaType: MT.ociIndex, manifests: [
    { mediaType: MT.ociManifest, digest: d('1') as `sha256:${string}`, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: MT.ociManifest, digest: d('2') as `sha256:${string}`, size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { mediaType: MT.ociManifest, digest: d('3') as `sha256:${string}`, size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
  ] };
  assert.equal(selectPlatform(idx, parsePlatform('linux/amd64'))?.digest, d('1'));
  assert.equal(selectPlatform(idx, parsePlatform('linux/arm64'))?.digest, d('2'));
  assert.equal(selectPlatform(idx, parsePlatform('linux/arm/v7'))?.digest, d('3'));
  assert.equal(selectPlatform(idx, parsePlatform('linux/arm/v6')), undefined);
  assert.throws(() => parsePlatform('linux/'), /invalid platform/);
});
