// Rows of the images tables to ImageRecords and back.

import type { Db } from '../../storage/metadata/db.js';
import type { Digest } from '../../storage/digest.js';
import type { ImageConfigBody } from '../manifest.js';

export interface ImageRecord {
  /** "sha256:<hex>" of the config blob (the image ID docker shows). */
  id: string;
  /** Normalized, e.g. "docker.io/library/busybox:latest". */
  repoTags: string[];
  repoDigests: string[];
  /** RFC 3339. */
  created: string;
  /** Bytes of all layers (uncompressed). */
  size: number;
  architecture: string;
  os: string;
  variant?: string;
  config: ImageConfigBody;
  diffIds: string[];
  /** Undefined for an image with no layers. */
  topChainId: string | undefined;
  manifestDigest: string;
  manifestMediaType: string;
}

export interface LayerRef {
  idx: number;
  chainId: Digest;
  diffId: Digest;
  blobDigest: Digest;
  blobSize: number;
  mediaType: string;
  /** Uncompressed size of the layer's tar. */
  size: number;
}

interface ImageRow {
  id: string;
  manifest_digest: string;
  manifest_media_type: string;
  created: string;
  architecture: string;
  os: string;
  variant: string | null;
  config: string;
  top_chain_id: string | null;
  size: number;
}

export function readImage(db: Db, id: string): ImageRecord | undefined {
  const r = db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
  return r === undefined ? undefined : toRecord(db, r);
}

export function readAllImages(db: Db): ImageRecord[] {
  const rows = db.prepare('SELECT * FROM images ORDER BY created DESC, id').all() as ImageRow[];
  return rows.map((r) => toRecord(db, r));
}

function toRecord(db: Db, r: ImageRow): ImageRecord {
  const tags = (db.prepare('SELECT name FROM tags WHERE image_id = ? ORDER BY tagged_at, name').all(r.id) as { name: string }[]).map((t) => t.name);
  const digests = (db.prepare('SELECT name FROM repo_digests WHERE image_id = ? ORDER BY name').all(r.id) as { name: string }[]).map((t) => t.name);
  const diffIds = (db.prepare('SELECT diff_id FROM image_layers WHERE image_id = ? ORDER BY idx').all(r.id) as { diff_id: string }[]).map((l) => l.diff_id);
  const rec: ImageRecord = {
    id: r.id,
    repoTags: tags,
    repoDigests: digests,
    created: r.created,
    size: r.size,
    architecture: r.architecture,
    os: r.os,
    config: JSON.parse(r.config) as ImageConfigBody,
    diffIds,
    topChainId: r.top_chain_id ?? undefined,
    manifestDigest: r.manifest_digest,
    manifestMediaType: r.manifest_media_type,
  };
  if (r.variant !== null) rec.variant = r.variant;
  return rec;
}

export function readLayers(db: Db, imageId: string): LayerRef[] {
  const rows = db.prepare(`SELECT il.idx, il.chain_id, il.diff_id, il.blob_digest, il.blob_size, il.media_type, l.size
    FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id WHERE il.image_id = ? ORDER BY il.idx`).all(imageId) as
    { idx: number; chain_id: Digest; diff_id: Digest; blob_digest: Digest; blob_size: number; media_type: string; size: number }[];
  return rows.map((r) => ({ idx: r.idx, chainId: r.chain_id, diffId: r.diff_id, blobDigest: r.blob_digest, blobSize: r.blob_size, mediaType: r.media_type, size: r.size }));
}

export function findByIdPrefix(db: Db, prefix: string): string[] {
  const hex = prefix.startsWith('sha256:') ? prefix.slice(7) : prefix;
  return (db.prepare("SELECT id FROM images WHERE id >= ? AND id < ? ORDER BY id LIMIT 2").all(`sha256:${hex}`, `sha256:${hex}g`) as { id: string }[]).map((r) => r.id);
}

export function imageIdOfTag(db: Db, name: string): string | undefined {
  return (db.prepare('SELECT image_id FROM tags WHERE name = ?').get(name) as { image_id: string } | undefined)?.image_id;
}

export function imageIdOfDigest(db: Db, repo: string, digest: string): string | undefined {
  const byRepoDigest = db.prepare('SELECT image_id FROM repo_digests WHERE name = ?').get(`${repo}@${digest}`) as { image_id: string } | undefined;
  if (byRepoDigest !== undefined) return byRepoDigest.image_id;
  // A digest reference also matches an image of that repository by its manifest digest.
  const row = db.prepare(`SELECT i.id FROM images i WHERE i.manifest_digest = ? AND EXISTS
    (SELECT 1 FROM tags t WHERE t.image_id = i.id AND substr(t.name, 1, ?) = ?)`).get(digest, repo.length + 1, `${repo}:`) as { id: string } | undefined;
  return row?.id;
}

export function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Containers (the engine's table) that use the image; none when the engine has no table yet. */
export function containersUsing(db: Db, imageId: string): number {
  if (!tableExists(db, 'containers')) return 0;
  return (db.prepare('SELECT COUNT(*) AS n FROM containers WHERE image_id = ?').get(imageId) as { n: number }).n;
}
