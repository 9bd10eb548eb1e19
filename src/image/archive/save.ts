// `berth save`: images out as a docker-archive (what `docker load` reads: one uncompressed
// <diffID>/layer.tar per layer, <id>.json configs, manifest.json and repositories) or as an OCI
// image layout tar (oci-layout, index.json, blobs/sha256/… as stored, Docker media types mapped to
// their OCI twins). Either way the config bytes are copied as they are, so the image ID survives
// the round trip.

import { BerthError } from '../../errors.js';
import { digestOf, type Digest } from '../../storage/digest.js';
import { decompress, sniff } from '../unpack/decompress.js';
import { familiarName, familiarString, parseReference } from '../reference.js';
import { MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, MT, parseImageManifest, toOciMediaType } from '../manifest.js';
import type { LocalImageStore } from '../store.js';
import type { ImageRecord, LayerRef } from '../store/records.js';
import { writeTar, type TarSourceEntry } from './tar-writer.js';

export type SaveFormat = 'docker-archive' | 'oci-archive';

export interface SaveItem {
  image: ImageRecord;
  /** Tags written for this image (normalized); all its tags when saved by ID. */
  tags: string[];
}

/** What the user named: a tag picks that tag, an ID every tag of the image. */
export async function resolveForSave(store: LocalImageStore, names: string[]): Promise<SaveItem[]> {
  const items = new Map<string, SaveItem>();
  for (const n of names) {
    const image = await store.resolve(n);
    const item = items.get(image.id) ?? { image, tags: [] };
    items.set(image.id, item);
    const tag = image.repoTags.find((t) => store.matchesName(n, t));
    const add = tag !== undefined ? [tag] : image.repoTags;
    for (const t of add) if (!item.tags.includes(t)) item.tags.push(t);
  }
  return [...items.values()];
}

const FIXED_MTIME = 0;

function fileEntry(name: string, data: Buffer): TarSourceEntry {
  return { entry: { name, type: 'file', size: data.length, mode: 0o644, mtime: FIXED_MTIME }, body: data };
}

function dirEntry(name: string): TarSourceEntry {
  return { entry: { name, type: 'dir', mode: 0o755, mtime: FIXED_MTIME } };
}

async function uncompressed(store: LocalImageStore, l: LayerRef): Promise<AsyncIterable<Uint8Array>> {
  const { compression, stream } = await sniff(await store.contentStore().read(l.blobDigest));
  return decompress(stream, compression);
}

async function* dockerArchive(store: LocalImageStore, items: SaveItem[]): AsyncGenerator<TarSourceEntry> {
  const written = new Set<string>();
  const manifest: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, tags } of items) {
    const layers = store.layers(image.id);
    for (const l of layers) {
      const dir = l.diffId.slice(7);
      if (written.has(dir)) continue;
      written.add(dir);
      yield dirEntry(dir);
      yield { entry: { name: `${dir}/layer.tar`, type: 'file', size: l.size, mode: 0o644, mtime: FIXED_MTIME }, body: await uncompressed(store, l) };
    }
    const cfgName = `${image.id.slice(7)}.json`;
    if (!written.has(cfgName)) {
      written.add(cfgName);
      yield fileEntry(cfgName, await store.contentStore().readAll(image.id, { maxSize: MAX_CONFIG_SIZE }));
    }
    const shown = tags.map((t) => familiarString(parseReference(t)));
    manifest.push({ Config: cfgName, RepoTags: shown.length > 0 ? shown : null, Layers: layers.map((l) => `${l.diffId.slice(7)}/layer.tar`) });
    const top = layers[layers.length - 1];
    for (const t of tags) {
      const r = parseReference(t);
      if (top === undefined || r.tag === undefined) continue;
      (repositories[familiarName(r)] ??= {})[r.tag] = top.diffId.slice(7);
    }
  }
  yield fileEntry('manifest.json', Buffer.from(JSON.stringify(manifest)));
  if (Object.keys(repositories).length > 0) yield fileEntry('repositories', Buffer.from(JSON.stringify(repositories)));
}

/** The image's manifest as OCI: the stored bytes when already OCI, else converted. */
export async function ociManifestOf(store: LocalImageStore, image: ImageRecord): Promise<{ bytes: Buffer; digest: Digest }> {
  const stored = await store.contentStore().readAll(image.manifestDigest, { maxSize: MAX_MANIFEST_SIZE });
  const m = parseImageManifest(stored, image.manifestMediaType);
  if (m.mediaType === MT.ociManifest) return { bytes: stored, digest: image.manifestDigest as Digest };
  const doc = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: toOciMediaType(m.config.mediaType), digest: m.config.digest, size: m.config.size },
    layers: m.layers.map((l) => ({ mediaType: toOciMediaType(l.mediaType), digest: l.digest, size: l.size })),
  };
  const bytes = Buffer.from(JSON.stringify(doc));
  return { bytes, digest: digestOf(bytes) };
}

async function* ociArchive(store: LocalImageStore, items: SaveItem[]): AsyncGenerator<TarSourceEntry> {
  const written = new Set<string>();
  const index: Array<Record<string, unknown>> = [];
  yield fileEntry('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  yield dirEntry('blobs');
  yield dirEntry('blobs/sha256');
  const blob = async function* (digest: string, size: number, data?: Buffer): AsyncGenerator<TarSourceEntry> {
    if (written.has(digest)) return;
    written.add(digest);
    const name = `blobs/sha256/${digest.slice(7)}`;
    if (data !== undefined) yield fileEntry(name, data);
    else yield { entry: { name, type: 'file', size, mode: 0o644, mtime: FIXED_MTIME }, body: await store.contentStore().read(digest) };
  };
  for (const { image, tags } of items) {
    for (const l of store.layers(image.id)) yield* blob(l.blobDigest, l.blobSize);
    const cfg = await store.contentStore().readAll(image.id, { maxSize: MAX_CONFIG_SIZE });
    yield* blob(image.id, cfg.length, cfg);
    const m = await ociManifestOf(store, image);
    yield* blob(m.digest, m.bytes.length, m.bytes);
    const desc = { mediaType: MT.ociManifest, digest: m.digest, size: m.bytes.length };
    if (tags.length === 0) index.push(desc);
    for (const t of tags) {
      const r = parseReference(t);
      index.push({ ...desc, annotations: { 'io.containerd.image.name': t, 'org.opencontainers.image.ref.name': r.tag ?? 'latest' } });
    }
  }
  yield fileEntry('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: index })));
}

export function saveImages(store: LocalImageStore, items: SaveItem[], format: SaveFormat): AsyncGenerator<Buffer> {
  if (items.length === 0) throw new BerthError('BERTH_EINVAL', 'save: no image given');
  return writeTar(format === 'docker-archive' ? dockerArchive(store, items) : ociArchive(store, items));
}
