// `berth pull`: manifest (or index, then the platform's manifest), config, and layers — up to three
// downloading at once, each streamed through the content store's ingest (size and digest checked)
// and unpacked in order as soon as it and the layer below it are there. Blobs already present are
// not fetched. Nothing is registered until every layer is unpacked; a failure sweeps what the pull
// left behind.

import { BerthError, isBerthError } from '../../errors.js';
import { digestOf, parseDigest, type Digest } from '../../storage/digest.js';
import {
  formatPlatform, hostPlatform, MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, MT, parseImageConfig, parseManifestOrIndex, selectPlatform,
  type Descriptor, type ImageIndex, type ImageManifest, type Platform,
} from '../manifest.js';
import { silentProgress, type Progress } from '../progress.js';
import { formatReference, parseReference, type Reference } from '../reference.js';
import type { LocalImageStore } from '../store.js';
import type { Lease } from '../store/lease.js';
import type { ImageRecord } from '../store/records.js';
import { registerImage, unpackLayer } from '../store/register.js';
import { netError, RegistryClient, type ClientOptions } from './client.js';
import { readBody } from './http.js';

export const MANIFEST_ACCEPT = [MT.ociIndex, MT.ociManifest, MT.dockerList, MT.dockerManifest].join(', ');

export interface PullOptions {
  platform?: Platform;
  progress?: Progress;
  client?: Omit<ClientOptions, 'registry'>;
  /** Parallel layer downloads (default 3). */
  parallel?: number;
}

export function repoScope(ref: Reference, actions = 'pull'): string {
  return `repository:${ref.path}:${actions}`;
}

export async function fetchManifest(client: RegistryClient, ref: Reference, reference: string): Promise<{ bytes: Buffer; digest: Digest; doc: ImageManifest | ImageIndex }> {
  const res = await client.request({ method: 'GET', path: `/v2/${ref.path}/manifests/${reference}`, scope: [repoScope(ref)], headers: { Accept: MANIFEST_ACCEPT }, ok: [200] })
    .catch((e: unknown) => {
      if (isBerthError(e, 'BERTH_ENOTFOUND')) throw new BerthError('BERTH_ENOTFOUND', `${ref.name}:${reference}: manifest unknown to registry ${ref.domain}`, { cause: e });
      throw e;
    });
  const bytes = await readBody(res, MAX_MANIFEST_SIZE, `manifest of ${ref.name}`).catch((e: unknown) => { throw netError(ref.domain, e, 'reading a manifest'); });
  const digest = digestOf(bytes);
  if (reference.startsWith('sha256:') && digest !== reference) {
    throw new BerthError('BERTH_EDIGEST', `manifest ${reference} from ${ref.domain} has digest ${digest}`);
  }
  const said = res.headers['docker-content-digest'];
  if (typeof said === 'string' && said.startsWith('sha256:') && said !== digest) {
    throw new BerthError('BERTH_EDIGEST', `manifest of ${ref.name}:${reference} has digest ${digest}, the registry said ${said}`);
  }
  const ct = String(res.headers['content-type'] ?? '').split(';')[0]?.trim();
  return { bytes, digest, doc: parseManifestOrIndex(bytes, ct, `manifest of ${ref.name}`) };
}

/** Download one blob into the content store unless it is there; retried whole on transient failure. */
export async function fetchBlob(store: LocalImageStore, client: RegistryClient, ref: Reference, d: Descriptor, lease: Lease, onBytes?: (n: number) => void): Promise<boolean> {
  lease.add('blob', d.digest);
  const content = store.contentStore();
  if (await content.has(d.digest)) return false;
  await client.withRetries(async () => {
    const res = await client.request({ method: 'GET', path: `/v2/${ref.path}/blobs/${d.digest}`, scope: [repoScope(ref)], ok: [200], follow: true });
    let seen = 0;
    const counted = (async function* () {
      for await (const c of res.body) {
        seen += (c as Buffer).length;
        onBytes?.((c as Buffer).length);
        yield c as Buffer;
      }
    })();
    try {
      await content.ingest(`pull-${lease.id}-${d.digest}`, counted, { expectedDigest: d.digest, expectedSize: d.size });
    } catch (e) {
      res.body.destroy();
      if (seen > 0) onBytes?.(-seen);
      if (isBerthError(e, 'BERTH_EDIGEST')) throw new BerthError('BERTH_EDIGEST', `blob ${d.digest} from ${ref.domain}: ${e.message.replace(/^ingest \S+: /, '')}`, { cause: e });
      // A stream that ends early is a dropped connection, and is retried like one.
      if (seen < d.size && !isBerthError(e)) throw Object.assign(e as Error, { code: (e as NodeJS.ErrnoException).code ?? 'ECONNRESET' });
      throw e;
    }
  }).catch((e: unknown) => {
    throw netError(ref.domain, e, `downloading blob ${d.digest.slice(0, 19)}`);
  });
  return true;
}

async function parallel<T>(items: T[], limit: number, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

export async function pullImage(store: LocalImageStore, name: string, opts: PullOptions = {}): Promise<ImageRecord> {
  const ref = parseReference(name);
  const progress = opts.progress ?? silentProgress;
  const client = new RegistryClient({ registry: ref.domain, ...(opts.client ?? {}) });
  const want = opts.platform ?? hostPlatform();
  const lease = store.lease();
  let ok = false;
  let downloads: Promise<void> | undefined;
  try {
    const top = await fetchManifest(client, ref, ref.digest ?? (ref.tag as string));
    let manifest: ImageManifest;
    let manifestBytes = top.bytes;
    let manifestDigest = top.digest;
    if (top.doc.kind === 'index') {
      let idx: ImageIndex = top.doc;
      let pick: Descriptor | undefined;
      for (let depth = 0; ; depth++) {
        pick = selectPlatform(idx, want);
        if (pick === undefined) {
          const have = idx.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : '?')).join(', ');
          throw new BerthError('BERTH_ENOTFOUND', `${formatReference(ref)}: no image for platform ${formatPlatform(want)} (the index has ${have})`);
        }
        const sub = await fetchManifest(client, ref, pick.digest);
        manifestBytes = sub.bytes;
        manifestDigest = sub.digest;
        if (sub.doc.kind === 'manifest') {
          manifest = sub.doc;
          break;
        }
        if (depth > 2) throw new BerthError('BERTH_EINVAL', `${formatReference(ref)}: indexes nested too deep`);
        idx = sub.doc;
      }
    } else {
      manifest = top.doc;
    }
    progress.line(`${formatReference(ref)}: manifest ${manifestDigest.slice(0, 19)} (${manifest.layers.length} layer${manifest.layers.length === 1 ? '' : 's'})`);
    lease.add('blob', manifestDigest);
    await store.contentStore().ingest(`pull-manifest-${lease.id}`, [manifestBytes], { expectedDigest: manifestDigest });
    await fetchBlob(store, client, ref, manifest.config, lease);
    const configBytes = await store.contentStore().readAll(manifest.config.digest, { maxSize: MAX_CONFIG_SIZE });
    const config = parseImageConfig(configBytes, `config of ${ref.name}`);
    if (manifest.layers.length !== config.diffIds.length) {
      throw new BerthError('BERTH_EINVAL', `${formatReference(ref)}: manifest has ${manifest.layers.length} layers but the config lists ${config.diffIds.length}`);
    }
    // Downloads run ahead; unpacking follows in order, each layer once its blob and parent are ready.
    const ready = manifest.layers.map(() => {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const p = new Promise<void>((a, b) => { resolve = a; reject = b; });
      p.catch(() => undefined);
      return { p, resolve, reject };
    });
    const items = manifest.layers.map((d) => progress.item(d.digest.slice(7, 19), 'Pulling fs layer', d.size));
    downloads = parallel(manifest.layers, opts.parallel ?? 3, async (d, i) => {
      const item = items[i] as ReturnType<Progress['item']>;
      try {
        item.status('Downloading');
        const fetched = await fetchBlob(store, client, ref, d, lease, (n) => item.advance(n));
        item.status(fetched ? 'Download complete' : 'Already exists');
        ready[i]?.resolve();
      } catch (e) {
        item.done('Failed');
        ready[i]?.reject(e);
        throw e;
      }
    });
    downloads.catch(() => undefined);
    for (let i = 0; i < manifest.layers.length; i++) {
      await (ready[i] as { p: Promise<void> }).p;
      const item = items[i] as ReturnType<Progress['item']>;
      item.status('Extracting');
      const r = await unpackLayer(store.ctx, { manifest, config, index: i, lease });
      item.done(r.skipped ? 'Already exists' : 'Pull complete');
    }
    await downloads;
    const rec = registerImage(store.ctx, {
      manifestDigest: parseDigest(manifestDigest), manifestMediaType: manifest.mediaType, manifest,
      configDigest: manifest.config.digest, config,
      tags: ref.tag !== undefined && ref.digest === undefined ? [formatReference(ref)] : [],
      repoDigests: [`${ref.name}@${top.digest}`],
    });
    progress.line(`Digest: ${top.digest}`);
    ok = true;
    return rec;
  } finally {
    // In-flight downloads finish (or fail) before the sweep, or they would commit blobs after it.
    if (!ok && downloads !== undefined) await downloads.catch(() => undefined);
    progress.close();
    lease.release();
    if (!ok) await store.gc().catch(() => undefined);
  }
}
