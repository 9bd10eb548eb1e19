// The image store: what the engine and the image verbs use (docs/engine-image-contract.md).
// Metadata in berth.db, blobs in <root>/content, layers as committed snapshots keyed by chain ID
// under <root>/snapshots/<driver>.

import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../errors.js';
import { ContentStore } from '../storage/content-store.js';
import { digestOf } from '../storage/digest.js';
import { openDb, tx, type Db } from '../storage/metadata/db.js';
import { SqliteMetaStore } from '../storage/metadata/snapshot-meta-sqlite.js';
import { OverlaySnapshotter } from '../storage/overlay.js';
import type { DirSnapshotter } from '../storage/snapshot-base.js';
import type { Snapshotter } from '../storage/snapshotter.js';
import { VfsSnapshotter } from '../storage/vfs.js';
import { hostPlatform, MT, parseImageConfig, parseImageManifest, type ImageConfigBody } from './manifest.js';
import { DEFAULT_DOMAIN, familiarString, formatReference, parseReference, type Reference } from './reference.js';
import { collectGarbage, type GcResult } from './store/gc.js';
import { Lease } from './store/lease.js';
import {
  containersUsing, findByIdPrefix, imageIdOfDigest, imageIdOfTag, readAllImages, readImage, readLayers, type ImageRecord, type LayerRef,
} from './store/records.js';
import { registerImage, unpackLayer, type StoreContext } from './store/register.js';
import './store/schema.js';

export type { ImageRecord, LayerRef } from './store/records.js';
export type { ImageConfigBody } from './manifest.js';
export type { GcResult } from './store/gc.js';

/** The name the default image is loaded under. */
export const DEFAULT_IMAGE = 'localhost/busybox:latest';

export interface CreateFromLayerOptions {
  parent?: ImageRecord;
  /** An uncompressed tar of the diff. */
  layerTar: NodeJS.ReadableStream | AsyncIterable<Uint8Array>;
  config?: Partial<ImageConfigBody>;
  comment?: string;
  author?: string;
  tags?: string[];
  /** `created_by` of the history entry. */
  createdBy?: string;
}

export interface RemoveResult {
  untagged: string[];
  deleted: string[];
}

export interface DiskUsage {
  images: Array<{ id: string; repoTags: string[]; size: number; sharedSize: number; uniqueSize: number; containers: number }>;
  /** Layers counted once, however many images share them. */
  layersSize: number;
  /** Sum of image sizes as if nothing were shared. */
  naiveSize: number;
  blobsSize: number;
}

export interface ImageStore {
  resolve(nameOrId: string): Promise<ImageRecord>;
  list(): Promise<ImageRecord[]>;
  snapshotter(): Snapshotter;
  contentStore(): ContentStore;
  createImageFromLayer(opts: CreateFromLayerOptions): Promise<ImageRecord>;
}

let defaultArchiveOverride: string | undefined;

/** Where the default image archive lives: $BERTH_DEFAULT_IMAGE, or dist/images/busybox.tar near the code. */
export function defaultImageArchive(): string | undefined {
  const env = defaultArchiveOverride ?? process.env.BERTH_DEFAULT_IMAGE;
  if (env !== undefined && env !== '') return env;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const cand of [join(dir, 'images', 'busybox.tar'), join(dir, 'dist', 'images', 'busybox.tar')]) if (existsSync(cand)) return cand;
    dir = dirname(dir);
  }
  return undefined;
}

export function setDefaultImageArchive(path: string | undefined): void {
  defaultArchiveOverride = path;
}

const OVERLAYFS_MAGIC = 0x794c7630;

function chooseDriver(root: string): 'overlay' | 'vfs' {
  const forced = process.env.BERTH_STORAGE_DRIVER;
  if (forced === 'overlay' || forced === 'vfs') return forced;
  if (existsSync(join(root, 'snapshots', 'vfs')) && !existsSync(join(root, 'snapshots', 'overlay'))) return 'vfs';
  try {
    if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'vfs';
    // overlayfs cannot use another overlayfs as its upper layer.
    if (statfsSync(root).type === OVERLAYFS_MAGIC) return 'vfs';
  } catch {
    return 'vfs';
  }
  return 'overlay';
}

export class LocalImageStore implements ImageStore {
  readonly root: string;
  readonly db: Db;
  readonly driver: 'overlay' | 'vfs';
  readonly ctx: StoreContext;

  constructor(root: string) {
    this.root = root;
    this.db = openDb(root);
    this.driver = chooseDriver(root);
    const meta = new SqliteMetaStore(this.db, this.driver);
    const snapRoot = join(root, 'snapshots', this.driver);
    const snap: DirSnapshotter = this.driver === 'overlay' ? new OverlaySnapshotter(snapRoot, { meta }) : new VfsSnapshotter(snapRoot, { meta });
    this.ctx = { db: this.db, content: new ContentStore(join(root, 'content')), snap, whiteoutMode: this.driver };
  }

  snapshotter(): DirSnapshotter {
    return this.ctx.snap;
  }

  contentStore(): ContentStore {
    return this.ctx.content;
  }

  lease(): Lease {
    return new Lease(this.db);
  }

  async list(): Promise<ImageRecord[]> {
    return readAllImages(this.db);
  }

  get(id: string): ImageRecord | undefined {
    return readImage(this.db, id);
  }

  layers(imageId: string): LayerRef[] {
    return readLayers(this.db, imageId);
  }

  /** The image a name or ID means, without loading the default image. */
  lookup(nameOrId: string): ImageRecord | undefined {
    const id = this.lookupId(nameOrId);
    return id === undefined ? undefined : readImage(this.db, id);
  }

  private lookupId(input: string): string | undefined {
    const idLike = /^(sha256:)?[a-f0-9]{3,64}$/.test(input);
    if (/^sha256:[a-f0-9]{64}$/.test(input)) return readImage(this.db, input) === undefined ? undefined : input;
    let ref: Reference | undefined;
    try {
      ref = /^[a-f0-9]{64}$/.test(input) ? undefined : parseReference(input);
    } catch (e) {
      if (!idLike) throw e;
    }
    if (ref !== undefined) {
      for (const cand of candidates(input, ref)) {
        const id = cand.digest !== undefined ? imageIdOfDigest(this.db, cand.name, cand.digest) : imageIdOfTag(this.db, formatReference(cand));
        if (id !== undefined) return id;
      }
    }
    if (idLike) {
      const ids = findByIdPrefix(this.db, input);
      if (ids.length > 1) throw new BerthError('BERTH_EINVAL', `image ID prefix "${input}" is ambiguous`);
      return ids[0];
    }
    return undefined;
  }

  async resolve(nameOrId: string): Promise<ImageRecord> {
    const found = this.lookup(nameOrId);
    if (found !== undefined) return found;
    if (isDefaultImageName(nameOrId)) {
      await this.loadDefaultImage();
      const again = this.lookup(nameOrId);
      if (again !== undefined) return again;
    }
    throw new BerthError('BERTH_ENOTFOUND', `image "${nameOrId}" not found`, { detail: { image: nameOrId } });
  }

  /** Load dist/images/busybox.tar as localhost/busybox:latest. */
  async loadDefaultImage(): Promise<ImageRecord> {
    const archive = defaultImageArchive();
    if (archive === undefined || !existsSync(archive)) {
      throw new BerthError('BERTH_ENOTFOUND', 'the default image archive (dist/images/busybox.tar) is missing: run `node scripts/make-default-image.mjs` or set BERTH_DEFAULT_IMAGE');
    }
    const { loadArchiveFile } = await import('./archive/load.js');
    const r = await loadArchiveFile(this, archive, { tags: [DEFAULT_IMAGE] });
    return r[0] as ImageRecord;
  }

  async createImageFromLayer(opts: CreateFromLayerOptions): Promise<ImageRecord> {
    const lease = this.lease();
    try {
      const c = this.ctx.content;
      const tmpRef = `import-${lease.id}`;
      const layer = await c.ingest(tmpRef, toIterable(opts.layerTar));
      lease.add('blob', layer.digest);
      const parentLayers = opts.parent === undefined ? [] : this.layers(opts.parent.id);
      const parentCfg = opts.parent === undefined ? undefined : parseImageConfig(await c.readAll(opts.parent.id, { maxSize: 4 << 20 }));
      const now = new Date().toISOString();
      const plat = hostPlatform();
      const configDoc: Record<string, unknown> = {
        created: now,
        architecture: opts.parent?.architecture ?? plat.architecture,
        os: opts.parent?.os ?? plat.os,
        config: { ...(opts.parent?.config ?? {}), ...(opts.config ?? {}) },
        rootfs: { type: 'layers', diff_ids: [...parentLayers.map((l) => l.diffId), layer.digest] },
        history: [...(parentCfg?.history ?? []), {
          created: now,
          ...(opts.createdBy !== undefined ? { created_by: opts.createdBy } : {}),
          ...(opts.author !== undefined ? { author: opts.author } : {}),
          ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
        }],
      };
      const variant = opts.parent?.variant ?? (opts.parent === undefined ? plat.variant : undefined);
      if (variant !== undefined) configDoc.variant = variant;
      if (opts.author !== undefined) configDoc.author = opts.author;
      const configBytes = Buffer.from(JSON.stringify(configDoc));
      const configDigest = digestOf(configBytes);
      lease.add('blob', configDigest);
      await c.ingest(`import-config-${lease.id}`, [configBytes], { expectedDigest: configDigest });
      const manifestDoc = {
        schemaVersion: 2,
        mediaType: MT.ociManifest,
        config: { mediaType: MT.ociConfig, digest: configDigest, size: configBytes.length },
        layers: [
          ...parentLayers.map((l) => ({ mediaType: l.mediaType, digest: l.blobDigest, size: l.blobSize })),
          { mediaType: MT.ociLayer, digest: layer.digest, size: layer.size },
        ],
      };
      const manifestBytes = Buffer.from(JSON.stringify(manifestDoc));
      const manifestDigest = digestOf(manifestBytes);
      lease.add('blob', manifestDigest);
      await c.ingest(`import-manifest-${lease.id}`, [manifestBytes], { expectedDigest: manifestDigest });
      const manifest = parseImageManifest(manifestBytes);
      const config = parseImageConfig(configBytes);
      for (let i = 0; i < manifest.layers.length; i++) await unpackLayer(this.ctx, { manifest, config, index: i, lease });
      return registerImage(this.ctx, {
        manifestDigest, manifestMediaType: MT.ociManifest, manifest, configDigest, config,
        tags: (opts.tags ?? []).map(normalizeTag), repoDigests: [],
      });
    } finally {
      lease.release();
    }
  }

  /** Add a tag (normalized) to an image. */
  tag(image: ImageRecord, target: string): string {
    const name = normalizeTag(target);
    const now = new Date().toISOString();
    tx(this.db, () => this.db.prepare('INSERT INTO tags (name, image_id, tagged_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET image_id = excluded.image_id, tagged_at = excluded.tagged_at').run(name, image.id, now));
    return name;
  }

  /**
   * `rmi`: a name removes that tag and, when it was the last, the image; an ID removes the image
   * (and all its tags, which needs force when there are several, as docker asks). An image a
   * container uses is refused unless forced. Then garbage collection frees what nothing uses.
   */
  async remove(nameOrId: string, opts: { force?: boolean; gc?: boolean } = {}): Promise<RemoveResult> {
    const img = this.lookup(nameOrId);
    if (img === undefined) throw new BerthError('BERTH_ENOTFOUND', `image "${nameOrId}" not found`);
    const out: RemoveResult = { untagged: [], deleted: [] };
    const byTag = img.repoTags.find((t) => this.matchesName(nameOrId, t));
    tx(this.db, () => {
      const users = containersUsing(this.db, img.id);
      if (byTag !== undefined && img.repoTags.length > 1) {
        this.db.prepare('DELETE FROM tags WHERE name = ?').run(byTag);
        out.untagged.push(byTag);
        return;
      }
      if (users > 0 && opts.force !== true) {
        throw new BerthError('BERTH_ESTATE', `image ${img.id.slice(7, 19)} is used by ${users} container${users === 1 ? '' : 's'}: remove ${users === 1 ? 'it' : 'them'} first, or use --force`);
      }
      if (byTag === undefined && img.repoTags.length > 1 && opts.force !== true) {
        throw new BerthError('BERTH_ESTATE', `image ${img.id.slice(7, 19)} has ${img.repoTags.length} tags: remove them by name, or use --force`);
      }
      out.untagged.push(...img.repoTags, ...img.repoDigests);
      this.db.prepare('DELETE FROM images WHERE id = ?').run(img.id);
      out.deleted.push(img.id);
    });
    if (opts.gc !== false && out.deleted.length > 0) await this.gc();
    return out;
  }

  /** Whether `input` (as a user typed it) names the stored tag `tag`. */
  matchesName(input: string, tag: string): boolean {
    try {
      const ref = parseReference(input);
      return candidates(input, ref).some((c) => formatReference(c) === tag);
    } catch {
      return false;
    }
  }

  /** Dangling images (no tags), or with `all` every image no container uses. */
  async prune(opts: { all?: boolean } = {}): Promise<{ deleted: string[]; gc: GcResult }> {
    const deleted: string[] = [];
    for (const img of await this.list()) {
      if (!(opts.all === true || img.repoTags.length === 0)) continue;
      if (containersUsing(this.db, img.id) > 0) continue;
      tx(this.db, () => this.db.prepare('DELETE FROM images WHERE id = ?').run(img.id));
      deleted.push(img.id);
    }
    return { deleted, gc: await this.gc() };
  }

  gc(): Promise<GcResult> {
    return collectGarbage(this.ctx);
  }

  async diskUsage(): Promise<DiskUsage> {
    const images = await this.list();
    const users = new Map<string, number>();
    for (const r of this.db.prepare('SELECT chain_id, COUNT(DISTINCT image_id) AS n FROM image_layers GROUP BY chain_id').all() as { chain_id: string; n: number }[]) users.set(r.chain_id, r.n);
    const sizes = new Map<string, number>();
    for (const r of this.db.prepare('SELECT chain_id, size FROM layers').all() as { chain_id: string; size: number }[]) sizes.set(r.chain_id, r.size);
    const out: DiskUsage = { images: [], layersSize: 0, naiveSize: 0, blobsSize: 0 };
    for (const s of sizes.values()) out.layersSize += s;
    for (const img of images) {
      let shared = 0;
      let unique = 0;
      for (const l of this.layers(img.id)) {
        if ((users.get(l.chainId) ?? 0) > 1) shared += l.size;
        else unique += l.size;
      }
      out.naiveSize += img.size;
      out.images.push({ id: img.id, repoTags: img.repoTags, size: img.size, sharedSize: shared, uniqueSize: unique, containers: containersUsing(this.db, img.id) });
    }
    for await (const b of this.ctx.content.walk()) out.blobsSize += b.size;
    return out;
  }
}

/** Node's readable streams are async iterables; the contract's type just does not say so. */
function toIterable(s: NodeJS.ReadableStream | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return s as AsyncIterable<Uint8Array>;
}

/** A tag as stored: `docker.io/library/busybox:latest`. A digest reference cannot be a tag. */
export function normalizeTag(input: string): string {
  const ref = parseReference(input);
  if (ref.digest !== undefined) throw new BerthError('BERTH_EREFERENCE', `"${input}": a tag cannot contain a digest`);
  return formatReference(ref);
}

/** Podman's order for a short name: docker.io first, then localhost/. */
function candidates(input: string, ref: Reference): Reference[] {
  const out = [ref];
  if (ref.domain === DEFAULT_DOMAIN && isShortName(input)) {
    const path = ref.path.startsWith('library/') && !input.split('@')[0]!.split(':')[0]!.startsWith('library/') ? ref.path.slice(8) : ref.path;
    out.push({ ...ref, domain: 'localhost', path, name: `localhost/${path}` });
  }
  return out;
}

function isShortName(input: string): boolean {
  const slash = input.indexOf('/');
  if (slash === -1) return true;
  const first = input.slice(0, slash);
  return !/[.:]/.test(first) && first !== 'localhost';
}

function isDefaultImageName(input: string): boolean {
  try {
    const ref = parseReference(input);
    if (ref.digest !== undefined || ref.tag !== 'latest') return false;
    const shown = familiarString(ref);
    return shown === 'busybox:latest' || shown === 'localhost/busybox:latest';
  } catch {
    return false;
  }
}

const stores = new Map<string, LocalImageStore>();

export function openImageStore(root: string): LocalImageStore {
  let s = stores.get(root);
  if (s === undefined) {
    s = new LocalImageStore(root);
    stores.set(root, s);
  }
  return s;
}

