// `berth push`: every blob (layers, then config) is checked with HEAD and skipped when the registry
// has it; otherwise mounted from another repository of the same registry that this image came from
// (`POST …/uploads/?mount=&from=`, when the registry offers it) or uploaded — in one PUT when small,
// in PATCH chunks with Content-Range when large. The manifest goes last, with its stored bytes,
// so the digest the registry reports is the one berth records.

import { BerthError } from '../../errors.js';
import { MAX_MANIFEST_SIZE, type Descriptor } from '../manifest.js';
import { silentProgress, type Progress } from '../progress.js';
import { formatReference, parseReference, type Reference } from '../reference.js';
import type { LocalImageStore } from '../store.js';
import type { ImageRecord } from '../store/records.js';
import { tx } from '../../storage/metadata/db.js';
import { netError, RegistryClient, type ClientOptions } from './client.js';
import { drain } from './http.js';
import { repoScope } from './pull.js';

export interface PushOptions {
  progress?: Progress;
  client?: Omit<ClientOptions, 'registry'>;
  /** Blobs larger than this go up in PATCH chunks of this size (default 16 MiB). */
  chunkSize?: number;
  /** Force chunked uploads for every blob (tests). */
  alwaysChunk?: boolean;
}

export interface PushResult {
  digest: string;
  reference: string;
  uploaded: number;
  skipped: number;
  mounted: number;
}

function withQuery(location: string, key: string, value: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(value)}`;
}

export async function pushImage(store: LocalImageStore, image: ImageRecord, target: string, opts: PushOptions = {}): Promise<PushResult> {
  const ref = parseReference(target);
  if (ref.digest !== undefined) throw new BerthError('BERTH_EREFERENCE', `push: "${target}": push to a tag, not a digest`);
  const progress = opts.progress ?? silentProgress;
  const client = new RegistryClient({ registry: ref.domain, ...(opts.client ?? {}) });
  const content = store.contentStore();
  const chunkSize = opts.chunkSize ?? 16 << 20;
  const result: PushResult = { digest: '', reference: formatReference(ref), uploaded: 0, skipped: 0, mounted: 0 };
  // Other repositories of the same registry that hold this image: candidates for a mount.
  const sources = [...new Set([...image.repoTags, ...image.repoDigests]
    .map((t) => { try { return parseReference(t); } catch { return undefined; } })
    .filter((r): r is Reference => r !== undefined && r.domain === ref.domain && r.path !== ref.path)
    .map((r) => r.path))];
  const scope = [repoScope(ref, 'pull,push'), ...sources.map((s) => `repository:${s}:pull`)];

  const exists = async (d: Descriptor): Promise<boolean> => {
    const res = await client.request({ method: 'HEAD', path: `/v2/${ref.path}/blobs/${d.digest}`, scope, ok: [200, 404] });
    drain(res);
    return res.status === 200;
  };

  const upload = async (d: Descriptor, item: ReturnType<Progress['item']>): Promise<'skipped' | 'mounted' | 'uploaded'> => {
    if (await exists(d)) return 'skipped';
    let location: string | undefined;
    for (const from of sources) {
      const res = await client.request({ method: 'POST', path: `/v2/${ref.path}/blobs/uploads/?mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(from)}`, scope, ok: [201, 202] });
      drain(res);
      if (res.status === 201) return 'mounted';
      location = String(res.headers.location ?? '');
      break;
    }
    if (location === undefined || location === '') {
      const res = await client.request({ method: 'POST', path: `/v2/${ref.path}/blobs/uploads/`, scope, ok: [202] });
      drain(res);
      location = String(res.headers.location ?? '');
    }
    if (location === '') throw new BerthError('BERTH_EREGISTRY', `registry ${ref.domain}: upload started without a Location`);
    if (!opts.alwaysChunk && d.size <= chunkSize) {
      const res = await client.request({
        method: 'PUT', path: withQuery(location, 'digest', d.digest), scope, ok: [201, 204],
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(d.size) },
        body: counted(await content.read(d.digest), (n) => item.advance(n)),
      });
      drain(res);
      return 'uploaded';
    }
    for (let start = 0; start < d.size; start += chunkSize) {
      const end = Math.min(d.size, start + chunkSize) - 1;
      const res = await client.request({
        method: 'PATCH', path: location, scope, ok: [202, 204],
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(end - start + 1), 'Content-Range': `${start}-${end}` },
        body: counted(await content.read(d.digest, { start, end }), (n) => item.advance(n)),
      });
      drain(res);
      location = String(res.headers.location ?? location);
    }
    const res = await client.request({ method: 'PUT', path: withQuery(location, 'digest', d.digest), scope, ok: [201, 204], headers: { 'Content-Length': '0' }, body: Buffer.alloc(0) });
    drain(res);
    return 'uploaded';
  };

  try {
    const layers = store.layers(image.id);
    const configInfo = await content.info(image.id);
    const blobs: Descriptor[] = [
      ...layers.map((l) => ({ mediaType: l.mediaType, digest: l.blobDigest, size: l.blobSize })),
      { mediaType: 'config', digest: configInfo.digest, size: configInfo.size },
    ];
    progress.line(`The push refers to repository [${ref.name}]`);
    for (const d of blobs) {
      const item = progress.item(d.digest.slice(7, 19), 'Preparing', d.size);
      const how = await upload(d, item);
      result[how === 'skipped' ? 'skipped' : how === 'mounted' ? 'mounted' : 'uploaded']++;
      item.done(how === 'skipped' ? 'Layer already exists' : how === 'mounted' ? `Mounted from ${sources[0] ?? ''}` : 'Pushed');
    }
    const manifest = await content.readAll(image.manifestDigest, { maxSize: MAX_MANIFEST_SIZE });
    const res = await client.request({
      method: 'PUT', path: `/v2/${ref.path}/manifests/${ref.tag as string}`, scope, ok: [201, 200],
      headers: { 'Content-Type': image.manifestMediaType }, body: manifest,
    });
    drain(res);
    const said = res.headers['docker-content-digest'];
    result.digest = typeof said === 'string' ? said : image.manifestDigest;
    if (result.digest !== image.manifestDigest) {
      throw new BerthError('BERTH_EDIGEST', `registry ${ref.domain} stored the manifest as ${result.digest}, not ${image.manifestDigest}`);
    }
    tx(store.db, () => store.db.prepare('INSERT OR IGNORE INTO repo_digests (name, image_id) VALUES (?, ?)').run(`${ref.name}@${result.digest}`, image.id));
    progress.line(`${ref.tag as string}: digest: ${result.digest} size: ${manifest.length}`);
    return result;
  } catch (e) {
    throw netError(ref.domain, e, 'push');
  } finally {
    progress.close();
  }
}

async function* counted(src: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const c of src) {
    onBytes(c.byteLength);
    yield c;
  }
}
