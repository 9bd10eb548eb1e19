// The engine's single source of truth: one SQLite database per storage root (<root>/berth.db).
// WAL mode and a busy timeout let several `berth` processes work at once; every write that spans
// rows goes through `tx`, so a crash never leaves half a change. Schema changes are numbered
// migrations registered by the modules that own the tables.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../errors.js';

export type Db = Database.Database;

export interface Migration {
  /** Unique and increasing across all modules; never renumber a landed one. */
  version: number;
  name: string;
  up(db: Db): void;
}

const registered: Migration[] = [];

/** Modules that own tables call this at import time with their migrations. */
export function registerMigrations(...ms: Migration[]): void {
  for (const m of ms) {
    const clash = registered.find((r) => r.version === m.version);
    if (clash && clash.name !== m.name) throw new BerthError('BERTH_EINTERNAL', `migration ${m.version} registered twice (${clash.name}, ${m.name})`);
    if (!clash) registered.push(m);
  }
  registered.sort((a, b) => a.version - b.version);
}

const open = new Map<string, Db>();

export function openDb(root: string): Db {
  const path = join(root, 'berth.db');
  let db = open.get(path);
  if (db) {
    migrate(db);
    return db;
  }
  mkdirSync(root, { recursive: true, mode: 0o711 });
  try {
    db = new Database(path, { timeout: 30_000 });
  } catch (e) {
    throw new BerthError('BERTH_EINTERNAL', `open database ${path}: ${(e as Error).message}`, { cause: e });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  open.set(path, db);
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const pending = registered.filter((m) => !done.has(m.version));
  if (pending.length === 0) return;
  // IMMEDIATE: two processes migrating at once serialize here instead of failing half-way.
  const run = db.transaction(() => {
    const again = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
    for (const m of pending) {
      if (again.has(m.version)) continue;
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    }
  });
  run.immediate();
}

/** Runs fn in an IMMEDIATE transaction (takes the write lock at once, so no upgrade deadlocks). */
export function tx<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

export function closeDb(root: string): void {
  const path = join(root, 'berth.db');
  open.get(path)?.close();
  open.delete(path);
}
