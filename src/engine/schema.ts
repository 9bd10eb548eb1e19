// The engine's tables (migrations 200–299). Name uniqueness is the UNIQUE constraint, so two
// `berth run --name x` at once cannot both win.
import { registerMigrations } from '../storage/metadata/db.js';

registerMigrations(
  {
    version: 200,
    name: 'engine: containers',
    up(db) {
      db.exec(`CREATE TABLE containers (
        id TEXT PRIMARY KEY,
        name TEXT UNIQUE NOT NULL,
        image_id TEXT,
        image_name TEXT NOT NULL,
        snapshot_key TEXT,
        config TEXT NOT NULL,
        state TEXT NOT NULL,
        pid INTEGER NOT NULL DEFAULT 0,
        monitor_pid INTEGER NOT NULL DEFAULT 0,
        monitor_start TEXT,
        exit_code INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        oom_killed INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        restart_count INTEGER NOT NULL DEFAULT 0,
        stopped_by_user INTEGER NOT NULL DEFAULT 0,
        runner_pid INTEGER NOT NULL DEFAULT 0,
        health TEXT,
        restart_at TEXT,
        restart_delay_ms INTEGER NOT NULL DEFAULT 0
      )`);
      db.exec('CREATE INDEX containers_image ON containers(image_id)');
    },
  },
  {
    version: 201,
    name: 'engine: volumes',
    up(db) {
      db.exec(`CREATE TABLE volumes (
        name TEXT PRIMARY KEY,
        driver TEXT NOT NULL DEFAULT 'local',
        labels TEXT NOT NULL DEFAULT '{}',
        options TEXT NOT NULL DEFAULT '{}',
        anonymous INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      )`);
    },
  },
);
