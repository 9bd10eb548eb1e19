// The build cache: step key → the state after the step (see image-state.ts), in berth.db
// (migration 400). Entries whose layers garbage collection has since removed are misses.

import { openDb, registerMigrations, tx, type Db } from '../../storage/metadata/db.js';
import type { BuildState } from './image-state.js';

registerMigrations({
  version: 400,
  name: 'build-cache',
  up: (db) => db.exec(`
  CREATE TABLE build_cache (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT NOT NULL
  );`),
});

export class BuildCache {
  private readonly db: Db;

  constructor(root: string) {
    // Opening again runs migrations registered after the store first opened the database.
    this.db = openDb(root);
  }

  get(key: string): BuildState | undefined {
    const row = this.db.prepare('SELECT state FROM build_cache WHERE key = ?').get(key) as { state: string } | undefined;
    if (row === undefined) return undefined;
    tx(this.db, () => this.db.prepare('UPDATE build_cache SET used_at = ? WHERE key = ?').run(new Date().toISOString(), key));
    return JSON.parse(row.state) as BuildState;
  }

  put(key: string, state: BuildState): void {
    const now = new Date().toISOString();
    tx(this.db, () => this.db.prepare(`INSERT INTO build_cache (key, state, created_at, used_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET state = excluded.state, used_at = excluded.used_at`).run(key, JSON.stringify(state), now, now));
  }

  /** `berth builder prune`: forget every entry (layers stay until GC finds nothing uses them). */
  clear(): number {
    return tx(this.db, () => this.db.prepare('DELETE FROM build_cache').run().changes);
  }
}
