// Snapshot metadata behind a small interface, so the JSON files of today can become SQLite rows
// without touching the snapshotters. One JSON file per snapshot, named by the hash of its key
// (keys are caller strings such as chain IDs, with ':' and '/').

import { link, mkdir, readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import type { SnapshotKind } from './snapshotter.js';

export interface SnapshotRecord {
  key: string;
  kind: SnapshotKind;
  parent?: string;
  /** Name of the snapshot's directory; never derived from the key. */
  id: string;
  createdAt: string;
  labels?: Record<string, string>;
}

export interface SnapshotMetaStore {
  get(key: string): Promise<SnapshotRecord | undefined>;
  /** Fails with BERTH_ESNAPSHOT when the key exists; atomic against concurrent creators. */
  create(rec: SnapshotRecord): Promise<void>;
  delete(key: string): Promise<void>;
  list(): Promise<SnapshotRecord[]>;
}

export class JsonMetaStore implements SnapshotMetaStore {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    return join(this.dir, createHash('sha256').update(key).digest('hex') + '.json');
  }

  async get(key: string): Promise<SnapshotRecord | undefined> {
    try {
      const rec = JSON.parse(await readFile(this.file(key), 'utf8')) as SnapshotRecord;
      return rec.key === key ? rec : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async create(rec: SnapshotRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
    await writeFile(tmp, JSON.stringify(rec) + '\n', { mode: 0o600 });
    try {
      // link(2) fails if the name exists, where rename(2) would replace: that makes create exclusive.
      await link(tmp, this.file(rec.key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new BerthError('BERTH_ESNAPSHOT', `snapshot "${rec.key}" already exists`);
      }
      throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async delete(key: string): Promise<void> {
    await unlink(this.file(key)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  async list(): Promise<SnapshotRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: SnapshotRecord[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.dir, n), 'utf8')) as SnapshotRecord);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
