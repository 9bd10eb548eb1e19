// Garbage collection by references. Roots: every image's manifest, config and layer blobs and its
// layers' chain IDs; the refs of live leases; and every snapshot that is not an image layer
// (containers' writable layers, which keep the layers they stand on). Everything else among layer
// snapshots (keys `sha256:…`), layer rows and blobs goes.
//
// The sweep runs inside one IMMEDIATE transaction held across the deletions, so a pull in another
// process that wants to lease a blob waits until the blob is either kept or gone, and then sees
// the truth (and fetches it again) instead of trusting a blob that is about to be deleted.

import { isBerthError } from '../../errors.js';
import { isDigest } from '../../storage/digest.js';
import type { SnapshotInfo } from '../../storage/snapshotter.js';
import { processAlive } from './lease.js';
import type { StoreContext } from './register.js';

export interface GcResult {
  blobsRemoved: number;
  snapshotsRemoved: number;
  bytesFreed: number;
}

export async function collectGarbage(ctx: StoreContext): Promise<GcResult> {
  const { db } = ctx;
  const result: GcResult = { blobsRemoved: 0, snapshotsRemoved: 0, bytesFreed: 0 };
  db.exec('BEGIN IMMEDIATE');
  try {
    const leases = db.prepare('SELECT id, pid FROM leases').all() as { id: string; pid: number }[];
    for (const l of leases) if (!processAlive(l.pid)) db.prepare('DELETE FROM leases WHERE id = ?').run(l.id);
    const leased = db.prepare('SELECT kind, key FROM lease_refs').all() as { kind: string; key: string }[];

    const liveChains = new Set<string>((db.prepare('SELECT DISTINCT chain_id FROM image_layers').all() as { chain_id: string }[]).map((r) => r.chain_id));
    for (const l of leased) if (l.kind === 'snapshot') liveChains.add(l.key);
    db.prepare(`DELETE FROM layers WHERE chain_id NOT IN (SELECT chain_id FROM image_layers)
      AND chain_id NOT IN (SELECT key FROM lease_refs WHERE kind = 'snapshot')`).run();

    const snaps = new Map<string, SnapshotInfo>();
    for await (const s of ctx.snap.walk()) snaps.set(s.key, s);
    const keep = new Set<string>();
    const keepChain = (key: string | undefined): void => {
      for (let k = key; k !== undefined && !keep.has(k); k = snaps.get(k)?.parent) keep.add(k);
    };
    for (const c of liveChains) keepChain(c);
    for (const s of snaps.values()) {
      if (isLayerKey(s.key)) continue;
      const extractPid = /^extract-(\d+)-/.exec(s.key)?.[1];
      if (extractPid !== undefined && !processAlive(Number(extractPid))) continue; // a dead unpack: swept below
      keepChain(s.key);
    }
    // Children before parents: a snapshot with children cannot be removed.
    const depth = (k: string): number => {
      let d = 0;
      for (let p = snaps.get(k)?.parent; p !== undefined; p = snaps.get(p)?.parent) d++;
      return d;
    };
    const doomed = [...snaps.values()].filter((s) => !keep.has(s.key) && (isLayerKey(s.key) || s.key.startsWith('extract-')))
      .sort((a, b) => depth(b.key) - depth(a.key));
    for (const s of doomed) {
      try {
        const usage = await ctx.snap.usage(s.key).catch(() => ({ size: 0 }));
        await ctx.snap.remove(s.key);
        result.snapshotsRemoved++;
        result.bytesFreed += usage.size;
      } catch (e) {
        if (!isBerthError(e, 'BERTH_ESNAPSHOT') && !isBerthError(e, 'BERTH_ENOSNAPSHOT')) throw e;
      }
    }

    const liveBlobs = new Set<string>();
    for (const r of db.prepare('SELECT id, manifest_digest FROM images').all() as { id: string; manifest_digest: string }[]) {
      liveBlobs.add(r.id);
      liveBlobs.add(r.manifest_digest);
    }
    for (const r of db.prepare('SELECT DISTINCT blob_digest FROM image_layers').all() as { blob_digest: string }[]) liveBlobs.add(r.blob_digest);
    for (const l of leased) if (l.kind === 'blob') liveBlobs.add(l.key);
    for await (const b of ctx.content.walk()) {
      if (liveBlobs.has(b.digest) || !isDigest(b.digest)) continue;
      await ctx.content.delete(b.digest).catch(() => undefined);
      result.blobsRemoved++;
      result.bytesFreed += b.size;
    }
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
  // No snapshotter cleanup() here: another process may be between creating a snapshot's directory
  // and its record, and cleanup() cannot tell that from a crash.
  return result;
}

function isLayerKey(key: string): boolean {
  return isDigest(key);
}
