import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openDb, registerMigrations, tx, closeDb } from './db.js';

const migration = { version: 1, name: 'test-counter', up: (db: import('./db.js').Db) => db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, who TEXT NOT NULL, n INTEGER NOT NULL)') };

test('migrations run once and are recorded', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-db-'));
  t.after(() => { closeDb(root); rmSync(root, { recursive: true, force: true }); });
  registerMigrations(migration);
  const db = openDb(root);
  openDb(root);
  const rows = db.prepare('SELECT version, name FROM schema_migrations').all();
  assert.deepEqual(rows, [{ version: 1, name: 'test-counter' }]);
  assert.throws(() => registerMigrations({ version: 1, name: 'other', up: () => {} }), /migration 1 registered twice/);
});

test('two processes writing at once lose nothing', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-db-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const self = fileURLToPath(import.meta.url).replace(/db\.test\.js$/, 'db.js');
  const worker = `
    const { openDb, registerMigrations, tx } = await import(${JSON.stringify(self)});
    registerMigrations(${`{ version: 1, name: 'test-counter', up: (db) => db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, who TEXT NOT NULL, n INTEGER NOT NULL)') }`});
    const db = openDb(process.argv[1]);
    for (let i = 0; i < 200; i++) tx(db, () => {
      const n = db.prepare('SELECT COUNT(*) AS c FROM t').get().c;
      db.prepare('INSERT INTO t (who, n) VALUES (?, ?)').run(process.argv[2], n);
    });
  `;
  const run = (who: string) => new Promise<number>((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', worker, root, who], { stdio: 'inherit' });
    p.on('exit', (code) => resolve(code ?? 1));
  });
  const codes = await Promise.all([run('a'), run('b')]);
  assert.deepEqual(codes, [0, 0]);
  registerMigrations(migration);
  const db = openDb(root);
  t.after(() => closeDb(root));
  assert.equal((db.prepare('SELECT COUNT(*) AS c FROM t').get() as { c: number }).c, 400);
  // Each insert saw every earlier one: the counts are exactly 0..399, no two transactions interleaved.
  const ns = (db.prepare('SELECT n FROM t ORDER BY n').all() as { n: number }[]).map((r) => r.n);
  assert.deepEqual(ns, Array.from({ length: 400 }, (_, i) => i));
});

test('processes opening one new database at the same moment all get it (the switch to WAL races)', async (t) => {
  const self = fileURLToPath(import.meta.url).replace(/db\.test\.js$/, 'db.js');
  const worker = `
    const { openDb, registerMigrations } = await import(${JSON.stringify(self)});
    registerMigrations({ version: 1, name: 'race', up: (db) => db.exec('CREATE TABLE IF NOT EXISTS r (x INTEGER)') });
    const db = openDb(process.argv[1]);
    db.prepare('INSERT INTO r (x) VALUES (1)').run();
  `;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS; // a faster start makes the two openers meet more often
  const open = (root: string) => new Promise<number>((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', worker, root], { stdio: ['ignore', 'ignore', 'inherit'], env });
    p.on('exit', (code) => resolve(code ?? 1));
  });
  for (let round = 0; round < 8; round++) {
    const root = mkdtempSync(join(tmpdir(), 'berth-db-race-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    assert.deepEqual(await Promise.all([open(root), open(root), open(root)]), [0, 0, 0], `round ${round}`);
  }
});
