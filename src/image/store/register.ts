// From blobs in the content store to a registered image: each layer is unpacked once into the
// committed snapshot named by its chain ID (an identical stack is already there and is skipped),
// its diffID checked against the config while unpacking, and only then are the image's rows
// written, in one transaction. A failure leaves no image row: at worst committed layers that GC
// sweeps, since nothing references them once the lease is gone.

import { randomBytes } from 'node:crypto';
import { BerthError, isBerthError } from '../../errors.js';
import type { ContentStore } from '../../storage/content-store.js';
import type { Digest } from '../../storage/digest.js';
import { tx, type Db } from '../../storage/metadata/db.js';
import type { DirSnapshotter } from '../../storage/snapshot-base.js';
import { applyLayer, type WhiteoutMode } from '../unpack/apply-layer.js';
import { chainIds, type ImageConfig, type ImageManifest } from '../manifest.js';
import type { Lease } from './lease.js';
import { readImage, type ImageRecord } from './records.js';

export interface StoreContext {
  db: Db;
  content: ContentStore;
  snap: DirSnapshotter;
  whiteoutMode: WhiteoutMode;
}

export interface RegisterInput {
  manifestDigest: Digest;
  manifestMediaType: string;
  manifest: ImageManifest;
  configDigest: Digest;
  config: ImageConfig;
  tags: string[];
  repoDigests: string[];
}

/** Checks the manifest and config agree before any work is done. */
export function checkImage(manifest: ImageManifest, config: ImageConfig, configDigest: Digest): void {
  if (manifest.config.digest !== configDigest) {
    throw new BerthError('BERTH_EDIGEST', `manifest names config ${manifest.config.digest}, got ${configDigest}`);
  }
  if (manifest.layers.length !== config.diffIds.length) {
    throw new BerthError('BERTH_EINVAL', `manifest has ${manifest.layers.length} layers but its config lists ${config.diffIds.length} diff IDs`);
  }
}

/**
 * Unpack layer `i` on top of the snapshot chain before it, unless it is already there. Returns
 * the layer's uncompressed size. Callers unpack in order (a layer needs its parent committed).
 */
export async function unpackLayer(ctx: StoreContext, opts: {
  manifest: ImageManifest; config: ImageConfig; index: number; lease: Lease; onBytes?: (n: number) => void;
}): Promise<{ chainId: Digest; size: number; skipped: boolean }> {
  const chains = chainIds(opts.config.diffIds);
  const i = opts.index;
  const chainId = chains[i] as Digest;
  const parent = i === 0 ? undefined : chains[i - 1];
  const desc = opts.manifest.layers[i];
  if (desc === undefined) throw new BerthError('BERTH_EINTERNAL', `no layer ${i}`);
  opts.lease.add('snapshot', chainId);
  const known = ctx.db.prepare('SELECT size FROM layers WHERE chain_id = ?').get(chainId) as { size: number } | undefined;
  const existing = await ctx.snap.stat(chainId).catch((e: unknown) => {
    if (isBerthError(e, 'BERTH_ENOSNAPSHOT')) return undefined;
    throw e;
  });
  if (existing !== undefined && existing.kind === 'committed' && known !== undefined) return { chainId, size: known.size, skipped: true };
  const key = `extract-${process.pid}-${randomBytes(6).toString('hex')}`;
  await ctx.snap.prepare(key, parent, { labels: { 'berth.extract': chainId } });
  let size: number;
  let diffId: Digest;
  try {
    const dir = await ctx.snap.dir(key);
    const source = await ctx.content.read(desc.digest);
    const counted = opts.onBytes === undefined ? source : count(source, opts.onBytes);
    const r = await applyLayer(counted, dir, {
      whiteoutMode: ctx.whiteoutMode,
      expectedDigest: desc.digest,
      expectedDiffId: opts.config.diffIds[i],
    }).catch((e: unknown) => {
      throw isBerthError(e) ? new BerthError(e.code, `layer ${desc.digest.slice(7, 19)}: ${e.message}`, { cause: e }) : e;
    });
    size = r.uncompressedSize;
    diffId = r.diffId;
    if (existing === undefined) {
      try {
        await ctx.snap.commit(chainId, key);
      } catch (e) {
        // Another process committed the same layer first: its copy is as good as ours.
        if (!isBerthError(e, 'BERTH_ESNAPSHOT')) throw e;
        await ctx.snap.remove(key);
      }
    } else {
      await ctx.snap.remove(key);
    }
  } catch (e) {
    await ctx.snap.remove(key).catch(() => undefined);
    throw e;
  }
  tx(ctx.db, () => ctx.db.prepare('INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, size) VALUES (?, ?, ?, ?)').run(chainId, diffId, parent ?? null, size));
  return { chainId, size, skipped: false };
}

async function* count(src: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const c of src) {
    onBytes(c.byteLength);
    yield c;
  }
}

/** Write the image's rows (all layers must be unpacked). Tags move to this image, as docker's do. */
export function registerImage(ctx: StoreContext, input: RegisterInput): ImageRecord {
  const { manifest, config } = input;
  checkImage(manifest, config, input.configDigest);
  const chains = chainIds(config.diffIds);
  const now = new Date().toISOString();
  return tx(ctx.db, () => {
    let total = 0;
    for (const c of chains) {
      const row = ctx.db.prepare('SELECT size FROM layers WHERE chain_id = ?').get(c) as { size: number } | undefined;
      if (row === undefined) throw new BerthError('BERTH_EINTERNAL', `layer ${c} was not unpacked`);
      total += row.size;
    }
    const id = input.configDigest;
    const configBody = JSON.stringify(config.config);
    const created = config.created ?? '1970-01-01T00:00:00Z';
    const exists = ctx.db.prepare('SELECT 1 FROM images WHERE id = ?').get(id) !== undefined;
    if (exists) {
      ctx.db.prepare('UPDATE images SET manifest_digest = ?, manifest_media_type = ? WHERE id = ?').run(input.manifestDigest, input.manifestMediaType, id);
      ctx.db.prepare('DELETE FROM image_layers WHERE image_id = ?').run(id);
    } else {
      ctx.db.prepare(`INSERT INTO images (id, manifest_digest, manifest_media_type, created, architecture, os, variant, config, top_chain_id, size, added_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, input.manifestDigest, input.manifestMediaType, created, config.architecture, config.os,
        config.variant ?? null, configBody, chains[chains.length - 1] ?? null, total, now);
    }
    const ins = ctx.db.prepare('INSERT INTO image_layers (image_id, idx, chain_id, diff_id, blob_digest, blob_size, media_type) VALUES (?, ?, ?, ?, ?, ?, ?)');
    manifest.layers.forEach((l, i) => ins.run(id, i, chains[i], config.diffIds[i], l.digest, l.size, l.mediaType));
    for (const t of input.tags) {
      ctx.db.prepare('INSERT INTO tags (name, image_id, tagged_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET image_id = excluded.image_id, tagged_at = excluded.tagged_at').run(t, id, now);
    }
    for (const d of input.repoDigests) ctx.db.prepare('INSERT OR IGNORE INTO repo_digests (name, image_id) VALUES (?, ?)').run(d, id);
    return readImage(ctx.db, id) as ImageRecord;
  });
}
