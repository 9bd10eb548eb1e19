// `berth load`: an archive in, images registered. The format is detected from the members:
// manifest.json makes a docker-archive (docker save, skopeo docker-archive:), oci-layout + index.json
// an OCI image layout (skopeo oci-archive:, docker save ≥ 25 has both and is read as docker's).
// All images of the archive are unpacked first and registered together in one transaction, so a
// bad member anywhere leaves no image behind; what the failed load fetched is then swept.

import { createReadStream } from 'node:fs';
import { BerthError, isBerthError } from '../../errors.js';
import { digestOf, parseDigest, type Digest } from '../../storage/digest.js';
import { tx } from '../../storage/metadata/db.js';
import { detectCompression } from '../unpack/decompress.js';
import {
  hostPlatform, MT, parseImageConfig, parseManifestOrIndex, selectPlatform, MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE,
  type Descriptor, type ImageConfig, type ImageManifest,
} from '../manifest.js';
import { silentProgress, type Progress } from '../progress.js';
import type { LocalImageStore } from '../store.js';
import type { Lease } from '../store/lease.js';
import type { ImageRecord } from '../store/records.js';
import { checkImage, registerImage, unpackLayer, type RegisterInput } from '../store/register.js';
import { normalizeTag } from '../store.js';
import { readArchive, type ArchiveContents } from './read-archive.js';

export interface LoadOptions {
  /** Extra tags for every image loaded (the default image's name). */
  tags?: string[];
  progress?: Progress;
  /** Name used in messages. */
  what?: string;
}

export async function loadArchiveFile(store: LocalImageStore, path: string, opts: LoadOptions = {}): Promise<ImageRecord[]> {
  return loadArchive(store, createReadStream(path), { what: path, ...opts });
}

export async function loadArchive(store: LocalImageStore, source: AsyncIterable<Uint8Array>, opts: LoadOptions = {}): Promise<ImageRecord[]> {
  const what = opts.what ?? 'archive';
  const progress = opts.progress ?? silentProgress;
  const lease = store.lease();
  let ok = false;
  try {
    const contents = await readArchive(source, store.contentStore(), lease, what);
    const plans = contents.small.has('manifest.json')
      ? await dockerArchivePlans(store, contents, lease, what)
      : contents.small.has('index.json') || contents.small.has('oci-layout')
        ? await ociLayoutPlans(store, contents, lease, what)
        : (() => { throw new BerthError('BERTH_EINVAL', `${what}: neither a docker-archive (no manifest.json) nor an OCI layout (no index.json)`); })();
    if (plans.length === 0) throw new BerthError('BERTH_EINVAL', `${what}: the archive holds no image`);
    for (const p of plans) p.tags.push(...(opts.tags ?? []).map(normalizeTag));
    for (const p of plans) await unpackAll(store, p, lease, progress);
    const records = tx(store.db, () => plans.map((p) => registerImage(store.ctx, p)));
    ok = true;
    return records;
  } catch (e) {
    throw isBerthError(e) && !e.message.startsWith(what) ? new BerthError(e.code, `${what}: ${e.message}`, { cause: e }) : e;
  } finally {
    lease.release();
    if (!ok) await store.gc().catch(() => undefined);
  }
}

export async function unpackAll(store: LocalImageStore, p: RegisterInput, lease: Lease, progress: Progress): Promise<void> {
  checkImage(p.manifest, p.config, p.configDigest);
  for (let i = 0; i < p.manifest.layers.length; i++) {
    const d = p.manifest.layers[i] as Descriptor;
    const item = progress.item(d.digest.slice(7, 19), 'Unpacking', d.size);
    const r = await unpackLayer(store.ctx, { manifest: p.manifest, config: p.config, index: i, lease, onBytes: (n) => item.advance(n) });
    item.done(r.skipped ? 'Already exists' : 'Unpacked');
  }
}

async function blobFor(store: LocalImageStore, contents: ArchiveContents, member: string, what: string): Promise<{ digest: Digest; size: number }> {
  const b = contents.blobs.get(member.replace(/^\.\//, ''));
  if (b === undefined) throw new BerthError('BERTH_EINVAL', `${what}: member ${JSON.stringify(member)} is missing`);
  return b;
}

async function layerMediaType(store: LocalImageStore, digest: Digest): Promise<string> {
  const s = await store.contentStore().read(digest, { start: 0, end: 5 });
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  const c = detectCompression(Buffer.concat(parts));
  return c === 'gzip' ? MT.dockerLayerGzip : c === 'zstd' ? MT.ociLayerZstd : MT.dockerLayer;
}

async function ingestJson(store: LocalImageStore, lease: Lease, data: Buffer): Promise<Digest> {
  const digest = digestOf(data);
  lease.add('blob', digest);
  await store.contentStore().ingest(`load-json-${lease.id}-${digest}`, [data], { expectedDigest: digest });
  return digest;
}

function parseJsonFile(data: Buffer, name: string, what: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw new BerthError('BERTH_EINVAL', `${what}: ${name} is not valid JSON`, { cause: e });
  }
}

async function dockerArchivePlans(store: LocalImageStore, contents: ArchiveContents, lease: Lease, what: string): Promise<RegisterInput[]> {
  const list = parseJsonFile(contents.small.get('manifest.json') as Buffer, 'manifest.json', what);
  if (!Array.isArray(list)) throw new BerthError('BERTH_EINVAL', `${what}: manifest.json is not a list`);
  const plans: RegisterInput[] = [];
  for (const [i, ent] of list.entries()) {
    if (typeof ent !== 'object' || ent === null) throw new BerthError('BERTH_EINVAL', `${what}: manifest.json entry ${i} is not an object`);
    const { Config, RepoTags, Layers } = ent as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    if (typeof Config !== 'string' || !Array.isArray(Layers) || !Layers.every((l) => typeof l === 'string')) {
      throw new BerthError('BERTH_EINVAL', `${what}: manifest.json entry ${i} needs Config and Layers`);
    }
    const cfgBlob = await blobFor(store, contents, Config, what);
    const configBytes = await store.contentStore().readAll(cfgBlob.digest, { maxSize: MAX_CONFIG_SIZE });
    const config = parseImageConfig(configBytes, `${what}: ${Config}`);
    const layers: Descriptor[] = [];
    for (const l of Layers as string[]) {
      const b = await blobFor(store, contents, l, what);
      layers.push({ mediaType: await layerMediaType(store, b.digest), digest: b.digest, size: b.size });
    }
    const doc = {
      schemaVersion: 2,
      mediaType: MT.dockerManifest,
      config: { mediaType: MT.dockerConfig, size: cfgBlob.size, digest: cfgBlob.digest },
      layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(doc));
    const manifestDigest = await ingestJson(store, lease, manifestBytes);
    const manifest: ImageManifest = { kind: 'manifest', mediaType: MT.dockerManifest, config: doc.config as Descriptor, layers };
    const tags = Array.isArray(RepoTags) ? RepoTags.filter((t): t is string => typeof t === 'string').map(normalizeTag) : [];
    plans.push({ manifestDigest, manifestMediaType: MT.dockerManifest, manifest, configDigest: cfgBlob.digest, config, tags, repoDigests: [] });
  }
  return plans;
}

async function ociLayoutPlans(store: LocalImageStore, contents: ArchiveContents, lease: Lease, what: string): Promise<RegisterInput[]> {
  const layoutFile = contents.small.get('oci-layout');
  if (layoutFile === undefined) throw new BerthError('BERTH_EINVAL', `${what}: oci-layout is missing`);
  const layout = parseJsonFile(layoutFile, 'oci-layout', what) as { imageLayoutVersion?: unknown };
  if (typeof layout.imageLayoutVersion !== 'string' || !layout.imageLayoutVersion.startsWith('1.')) {
    throw new BerthError('BERTH_EUNSUPPORTED', `${what}: OCI layout version ${JSON.stringify(layout.imageLayoutVersion)} is not supported`);
  }
  const indexBytes = contents.small.get('index.json');
  if (indexBytes === undefined) throw new BerthError('BERTH_EINVAL', `${what}: index.json is missing`);
  // Members under blobs/ are named by their digest: a name that lies is a corrupt archive.
  for (const [name, b] of contents.blobs) {
    const m = /^blobs\/([a-z0-9]+)\/([a-f0-9]+)$/.exec(name);
    if (m === null) continue;
    if (m[1] !== 'sha256') throw new BerthError('BERTH_EUNSUPPORTED', `${what}: blob ${name} uses digest algorithm ${m[1]}`);
    if (b.digest !== `sha256:${m[2]}`) throw new BerthError('BERTH_EDIGEST', `${what}: blob ${name} has digest ${b.digest}`);
  }
  const inArchive = (d: Descriptor): { digest: Digest; size: number } => {
    const b = contents.blobs.get(`blobs/sha256/${d.digest.slice(7)}`);
    if (b === undefined) throw new BerthError('BERTH_ENOCONTENT', `${what}: blob ${d.digest} is missing from the archive`);
    if (b.size !== d.size) throw new BerthError('BERTH_EDIGEST', `${what}: blob ${d.digest} is ${b.size} bytes, its descriptor says ${d.size}`);
    return b;
  };
  const index = parseManifestOrIndex(indexBytes, MT.ociIndex, `${what}: index.json`);
  if (index.kind !== 'index') throw new BerthError('BERTH_EINVAL', `${what}: index.json is not an image index`);
  const plans: RegisterInput[] = [];
  const visit = async (d: Descriptor, name: string | undefined, depth: number): Promise<void> => {
    inArchive(d);
    const bytes = await store.contentStore().readAll(d.digest, { maxSize: MAX_MANIFEST_SIZE });
    const doc = parseManifestOrIndex(bytes, d.mediaType, `${what}: manifest ${d.digest.slice(0, 19)}`);
    if (doc.kind === 'index') {
      if (depth > 2) throw new BerthError('BERTH_EINVAL', `${what}: indexes nested too deep`);
      const pick = selectPlatform(doc, hostPlatform()) ?? (doc.manifests.length === 1 ? doc.manifests[0] : undefined);
      if (pick === undefined) throw new BerthError('BERTH_ENOTFOUND', `${what}: no image for this platform in index ${d.digest.slice(0, 19)}`);
      return visit(pick, name, depth + 1);
    }
    inArchive(doc.config);
    for (const l of doc.layers) inArchive(l);
    const configBytes = await store.contentStore().readAll(doc.config.digest, { maxSize: MAX_CONFIG_SIZE });
    const config: ImageConfig = parseImageConfig(configBytes, `${what}: config ${doc.config.digest.slice(0, 19)}`);
    const tags: string[] = [];
    if (name !== undefined) {
      try {
        tags.push(normalizeTag(name));
      } catch {
        // A bare tag such as "latest" names no repository; the image loads untagged.
      }
    }
    plans.push({ manifestDigest: parseDigest(d.digest), manifestMediaType: doc.mediaType, manifest: doc, configDigest: doc.config.digest, config, tags, repoDigests: [] });
  };
  for (const d of index.manifests) {
    const ann = d.annotations ?? {};
    const ref = ann['io.containerd.image.name'] ?? ann['org.opencontainers.image.ref.name'];
    await visit(d, ref !== undefined && /[/:]/.test(ref) ? ref : undefined, 0);
  }
  void lease;
  return plans;
}
