// From a step's snapshot to a layer, and from the final state to an image in the store.
//
// A step's active snapshot already holds exactly its changes (overlay: the upper dir, with overlay's
// own whiteouts; vfs: the full tree), which is the form the snapshotter keeps layers in. So the
// snapshot is committed as the layer under its chain ID directly instead of unpacking the tar we
// just wrote into a second copy (containerd's snapshotter-based builds do the same). The tar goes
// to the content store as the layer blob, for push, save and the diffID.
//
// The `layers` row is written here the way store/register.ts writes it for an unpacked layer;
// docs/build.md proposes a store method for this so that the images side owns the table alone.

import { isBerthError } from '../../errors.js';
import { digestOf, type Digest } from '../../storage/digest.js';
import { tx } from '../../storage/metadata/db.js';
import { writeTar, type TarSourceEntry } from '../archive/tar-writer.js';
import { chainIds, MT, parseImageConfig, parseImageManifest } from '../manifest.js';
import type { ImageRecord, LocalImageStore } from '../store.js';
import type { Lease } from '../store/lease.js';
import { registerImage } from '../store/register.js';
import { configBytes, manifestBytes, type BuildState, type LayerDesc } from './image-state.js';

async function* counted(src: AsyncIterable<Buffer>, n: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const c of src) {
    n.bytes += c.length;
    yield c;
  }
}

/**
 * Writes the entries as the layer blob and commits snapshot `key` as that layer on top of `below`.
 * The snapshot is gone afterwards (committed, or removed when the same layer already exists).
 */
export async function commitLayer(store: LocalImageStore, lease: Lease, opts: {
  key: string; below: readonly LayerDesc[]; entries: TarSourceEntry[];
}): Promise<LayerDesc> {
  const n = { bytes: 0 };
  const blob = await store.contentStore().ingest(`build-layer-${opts.key}`, counted(writeTar(opts.entries), n));
  lease.add('blob', blob.digest);
  const diffId = blob.digest;
  const chainId = chainIds([...opts.below.map((l) => l.diffId), diffId])[opts.below.length] as Digest;
  lease.add('snapshot', chainId);
  const snap = store.snapshotter();
  const existing = await snap.stat(chainId).catch((e: unknown) => {
    if (isBerthError(e, 'BERTH_ENOSNAPSHOT')) return undefined;
    throw e;
  });
  if (existing !== undefined) {
    await snap.remove(opts.key);
  } else {
    try {
      await snap.commit(chainId, opts.key);
    } catch (e) {
      // Another build committed the same layer first: its copy is as good as ours.
      if (!isBerthError(e, 'BERTH_ESNAPSHOT')) throw e;
      await snap.remove(opts.key);
    }
  }
  const parent = opts.below[opts.below.length - 1]?.chainId ?? null;
  tx(store.db, () => store.db.prepare('INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, size) VALUES (?, ?, ?, ?)').run(chainId, diffId, parent, n.bytes));
  return { diffId, chainId, blobDigest: blob.digest, blobSize: blob.size, mediaType: MT.ociLayer, size: n.bytes };
}

/** Writes the config and manifest blobs of the state and registers the image with its tags. */
export async function registerState(store: LocalImageStore, lease: Lease, state: BuildState, tags: string[]): Promise<ImageRecord> {
  const content = store.contentStore();
  const cfg = configBytes(state);
  const cfgDigest = digestOf(cfg);
  lease.add('blob', cfgDigest);
  await content.ingest(`build-config-${lease.id}`, [cfg], { expectedDigest: cfgDigest });
  const man = manifestBytes(state, { digest: cfgDigest, size: cfg.length });
  const manDigest = digestOf(man);
  lease.add('blob', manDigest);
  await content.ingest(`build-manifest-${lease.id}`, [man], { expectedDigest: manDigest });
  return registerImage(store.ctx, {
    manifestDigest: manDigest, manifestMediaType: MT.ociManifest, manifest: parseImageManifest(man, MT.ociManifest),
    configDigest: cfgDigest, config: parseImageConfig(cfg), tags, repoDigests: [],
  });
}
