// What the directory-based snapshotters share: records, kinds, parent chains, and the order of
// steps that keeps a crash harmless (directory first, record second; record gone first, directory
// second — so a record never points at a missing directory, and cleanup() sweeps the rest).

import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import { treeUsage } from './fs-usage.js';
import { JsonMetaStore, type SnapshotMetaStore, type SnapshotRecord } from './snapshot-meta.js';
import type { Mount, SnapshotInfo, SnapshotKind, Snapshotter, Usage } from './snapshotter.js';

const MAX_KEY_LENGTH = 1024;

export interface DirSnapshotterOptions {
  /** Metadata backend; JSON files under <root>/metadata by default. */
  meta?: SnapshotMetaStore;
}

export abstract class DirSnapshotter implements Snapshotter {
  readonly root: string;
  protected readonly meta: SnapshotMetaStore;

  constructor(root: string, opts: DirSnapshotterOptions = {}) {
    this.root = root;
    this.meta = opts.meta ?? new JsonMetaStore(join(root, 'metadata'));
  }

  /** A fresh directory name; the implementation decides its alphabet and length. */
  protected abstract newId(): string;
  /** Fill <root>/snapshots/<id> (already created, empty) for a snapshot over `parents`, nearest first. */
  protected abstract populate(id: string, kind: SnapshotKind, parents: SnapshotRecord[]): Promise<void>;
  protected abstract mountsOf(rec: SnapshotRecord, parents: SnapshotRecord[]): Mount[];
  /** Extra per-id state to drop besides <root>/snapshots/<id> (overlay's short link). */
  protected async forget(_id: string): Promise<void> {}

  protected snapshotDir(id: string): string {
    return join(this.root, 'snapshots', id);
  }

  /** The snapshot's own tree: what usage() measures and what a layer is unpacked into. */
  fsDir(id: string): string {
    return join(this.snapshotDir(id), 'fs');
  }

  /** Where the caller unpacks a layer: the own tree of an active snapshot. */
  async dir(key: string): Promise<string> {
    return this.fsDir((await this.need(key)).id);
  }

  prepare(key: string, parent?: string, opts?: { labels?: Record<string, string> }): Promise<Mount[]> {
    return this.create('active', key, parent, opts?.labels);
  }

  view(key: string, parent?: string, opts?: { labels?: Record<string, string> }): Promise<Mount[]> {
    return this.create('view', key, parent, opts?.labels);
  }

  private async create(kind: SnapshotKind, key: string, parent: string | undefined, labels?: Record<string, string>): Promise<Mount[]> {
    checkKey(key);
    if ((await this.meta.get(key)) !== undefined) throw exists(key);
    const parents = parent === undefined ? [] : await this.chain(parent);
    await mkdir(join(this.root, 'snapshots'), { recursive: true });
    const id = await this.allocate();
    const rec: SnapshotRecord = { key, kind, id, createdAt: new Date().toISOString() };
    if (parent !== undefined) rec.parent = parent;
    if (labels !== undefined) rec.labels = { ...labels };
    try {
      await this.populate(id, kind, parents);
      // Mounts first: a stack that cannot be mounted must not leave a record.
      const mounts = this.mountsOf(rec, parents);
      await this.meta.create(rec);
      return mounts;
    } catch (e) {
      await this.removeDirs(id);
      throw e;
    }
  }

  private async allocate(): Promise<string> {
    for (let i = 0; i < 16; i++) {
      const id = this.newId();
      try {
        await mkdir(this.snapshotDir(id));
        return id;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    throw new BerthError('BERTH_EINTERNAL', 'could not allocate a snapshot directory name');
  }

  /** The committed snapshot `key` and its ancestors, nearest first. */
  protected async chain(key: string): Promise<SnapshotRecord[]> {
    const out: SnapshotRecord[] = [];
    let cur: string | undefined = key;
    while (cur !== undefined) {
      const rec = await this.meta.get(cur);
      if (rec === undefined) throw missing(cur);
      if (rec.kind !== 'committed') {
        throw new BerthError('BERTH_ESNAPSHOT', `snapshot "${cur}" is ${rec.kind}; only a committed snapshot can be a parent`);
      }
      out.push(rec);
      cur = rec.parent;
    }
    return out;
  }

  protected async need(key: string): Promise<SnapshotRecord> {
    const rec = await this.meta.get(key);
    if (rec === undefined) throw missing(key);
    return rec;
  }

  async commit(name: string, key: string): Promise<void> {
    checkKey(name);
    const rec = await this.need(key);
    if (rec.kind !== 'active') {
      throw new BerthError('BERTH_ESNAPSHOT', `snapshot "${key}" is ${rec.kind}; only an active snapshot can be committed`);
    }
    const committed: SnapshotRecord = { ...rec, key: name, kind: 'committed', createdAt: new Date().toISOString() };
    // Both records share the directory for a moment; remove() only deletes a directory no record names.
    await this.meta.create(committed);
    await this.meta.delete(key);
  }

  async mounts(key: string): Promise<Mount[]> {
    const rec = await this.need(key);
    if (rec.kind === 'committed') {
      throw new BerthError('BERTH_ESNAPSHOT', `snapshot "${key}" is committed; prepare or view on top of it to mount it`);
    }
    return this.mountsOf(rec, rec.parent === undefined ? [] : await this.chain(rec.parent));
  }

  async remove(key: string): Promise<void> {
    const rec = await this.need(key);
    const all = await this.meta.list();
    const child = all.find((r) => r.parent === key);
    if (child !== undefined) throw new BerthError('BERTH_ESNAPSHOT', `snapshot "${key}" has children (e.g. "${child.key}")`);
    await this.meta.delete(key);
    if (!all.some((r) => r.id === rec.id && r.key !== key)) await this.removeDirs(rec.id);
  }

  async usage(key: string): Promise<Usage> {
    return treeUsage(this.fsDir((await this.need(key)).id));
  }

  async stat(key: string): Promise<SnapshotInfo> {
    return toInfo(await this.need(key));
  }

  async *walk(): AsyncGenerator<SnapshotInfo> {
    for (const rec of await this.meta.list()) yield toInfo(rec);
  }

  async cleanup(): Promise<void> {
    const used = new Set((await this.meta.list()).map((r) => r.id));
    let ids: string[];
    try {
      ids = await readdir(join(this.root, 'snapshots'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const id of ids) if (!used.has(id)) await this.removeDirs(id);
  }

  private async removeDirs(id: string): Promise<void> {
    await this.forget(id);
    await rm(this.snapshotDir(id), { recursive: true, force: true });
  }
}

function toInfo(rec: SnapshotRecord): SnapshotInfo {
  const info: SnapshotInfo = { key: rec.key, kind: rec.kind, createdAt: rec.createdAt };
  if (rec.parent !== undefined) info.parent = rec.parent;
  if (rec.labels !== undefined) info.labels = { ...rec.labels };
  return info;
}

function checkKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || key.includes('\0')) {
    throw new BerthError('BERTH_EINVAL', `invalid snapshot key ${JSON.stringify(key.slice(0, 80))}`);
  }
}

function exists(key: string): BerthError {
  return new BerthError('BERTH_ESNAPSHOT', `snapshot "${key}" already exists`);
}

function missing(key: string): BerthError {
  return new BerthError('BERTH_ENOSNAPSHOT', `snapshot "${key}" does not exist`, { detail: { key } });
}
