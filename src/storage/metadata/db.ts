// The engine's single source of truth: one SQLite database per storage root (<root>/berth.db).
// WAL mode and a busy timeout let several `berth` processes work at once; every write that spans
// rows goes through `tx`, so a crash never leaves half a change. Schema changes are numbered
// migrations registered by the modules that own the tables.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BerthError } from '../../errors.js';

export type Db = Database.Database;

type Open = (path: string) => Db;
let opener: Open | undefined;

/**
 * better-sqlite3's JavaScript is bundled, even into bin/berth's V8 startup snapshot, but its native
 * addon cannot be in a snapshot: it is loaded here, at the first open, from where npm builds it
 * (which also skips the dozen places the package's own search tries). Where it is not there (a
 * debug build, a prebuilt elsewhere), the package is loaded whole from its files, whose search
 * finds it: that search does not work from a bundle.
 */
function sqliteOpener(): Open {
  if (opener !== undefined) return opener;
  const require = createRequire(import.meta.url);
  let addon: object | undefined;
  try {
    addon = require(join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node')) as object;
  } catch {
    addon = undefined;
  }
  if (addon !== undefined) {
    // The types say a path; the package also takes the loaded addon (better-sqlite3 #972).
    const options = { timeout: 30_000, nativeBinding: addon as unknown as string };
    opener = (path) => new Database(path, options);
  } else {
    const Whole = require('better-sqlite3') as typeof Database;
    opener = (path) => new Whole(path, { timeout: 30_000 });
  }
  return opener;
}

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
    db = sqliteOpener()(path);
  } catch (e) {
    throw new BerthError('BERTH_EINTERNAL', `open database ${path}: ${(e as Error).message}`, { cause: e });
  }
  const conn = db;
  whileBusy(() => {
    // Only the first opener of a new database switches it to WAL. That switch needs the database
    // to itself, and a second process doing the same at that moment gets SQLITE_BUSY at once (the
    // busy timeout does not cover it), so it looks again.
    if (String(conn.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') conn.pragma('journal_mode = WAL');
  });
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  whileBusy(() => conn.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'));
  open.set(path, db);
  migrate(db);
  return db;
}

/** Retries `fn` while SQLite answers SQLITE_BUSY* (up to 10 s): for the steps of opening a new
 *  database that two processes may race on. */
function whileBusy(fn: () => void): void {
  for (let waited = 0; ; waited += 20) {
    try {
      fn();
      return;
    } catch (e) {
      if (!String((e as { code?: string }).code ?? '').startsWith('SQLITE_BUSY') || waited >= 10_000) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
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
