// Snapshot records as rows of berth.db, so that snapshots, layers and images change together in
// one database (and one transaction when the caller holds one). The primary key does what link(2)
// did for the JSON files: a second creator of the same key fails, whichever process it is in.

import { BerthError } from '../../errors.js';
import type { SnapshotMetaStore, SnapshotRecord } from '../snapshot-meta.js';
import { registerMigrations, tx, type Db } from './db.js';

registerMigrations({
  version: 100,
  name: 'snapshots',
  up: (db) => db.exec(`CREATE TABLE snapshots (
    driver TEXT NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('active', 'view', 'committed')),
    parent TEXT,
    dir_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    labels TEXT,
    PRIMARY KEY (driver, key)
  );
  CREATE INDEX snapshots_parent ON snapshots (driver, parent);`),
});

interface Row {
  key: string;
  kind: SnapshotRecord['kind'];
  parent: string | null;
  dir_id: string;
  created_at: string;
  labels: string | null;
}

function toRecord(r: Row): SnapshotRecord {
  const rec: SnapshotRecord = { key: r.key, kind: r.kind, id: r.dir_id, createdAt: r.created_at };
  if (r.parent !== null) rec.parent = r.parent;
  if (r.labels !== null) rec.labels = JSON.parse(r.labels) as Record<string, string>;
  return rec;
}

export class SqliteMetaStore implements SnapshotMetaStore {
  constructor(private readonly db: Db, private readonly driver: string) {}

  async get(key: string): Promise<SnapshotRecord | undefined> {
    const r = this.db.prepare('SELECT key, kind, parent, dir_id, created_at, labels FROM snapshots WHERE driver = ? AND key = ?').get(this.driver, key) as Row | undefined;
    return r === undefined ? undefined : toRecord(r);
  }

  async create(rec: SnapshotRecord): Promise<void> {
    try {
      tx(this.db, () => {
        this.db.prepare('INSERT INTO snapshots (driver, key, kind, parent, dir_id, created_at, labels) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(this.driver, rec.key, rec.kind, rec.parent ?? null, rec.id, rec.createdAt, rec.labels === undefined ? null : JSON.stringify(rec.labels));
      });
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new BerthError('BERTH_ESNAPSHOT', `snapshot "${rec.key}" already exists`);
      }
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    tx(this.db, () => this.db.prepare('DELETE FROM snapshots WHERE driver = ? AND key = ?').run(this.driver, key));
  }

  async list(): Promise<SnapshotRecord[]> {
    const rows = this.db.prepare('SELECT key, kind, parent, dir_id, created_at, labels FROM snapshots WHERE driver = ? ORDER BY key').all(this.driver) as Row[];
    return rows.map(toRecord);
  }
}
