// Local volumes: a directory <root>/volumes/<name>/_data and a row in the volumes table. Anonymous
// volumes get a 64-hex name and belong to the container that made them (rm -v removes them).
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import { tx, type Db } from '../storage/metadata/db.js';
import { checkVolumeName } from './parse.js';
import { volumesDir, type EnginePaths } from './paths.js';
import './schema.js';

export interface VolumeRecord {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  anonymous: boolean;
  createdAt: string;
}

interface Row {
  name: string;
  driver: string;
  labels: string;
  options: string;
  anonymous: number;
  created_at: string;
}

const fromRow = (r: Row): VolumeRecord => ({
  name: r.name,
  driver: r.driver,
  labels: JSON.parse(r.labels) as Record<string, string>,
  options: JSON.parse(r.options) as Record<string, string>,
  anonymous: r.anonymous !== 0,
  createdAt: r.created_at,
});

export function volumeData(p: EnginePaths, name: string): string {
  return join(volumesDir(p), name, '_data');
}

export function getVolume(db: Db, name: string): VolumeRecord | undefined {
  const r = db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as Row | undefined;
  return r === undefined ? undefined : fromRow(r);
}

export function listVolumes(db: Db): VolumeRecord[] {
  return (db.prepare('SELECT * FROM volumes ORDER BY name').all() as Row[]).map(fromRow);
}

/** Creates the volume, or returns the existing one of that name (docker's `volume create` is idempotent). */
export function createVolume(
  db: Db,
  p: EnginePaths,
  opts: { name?: string; labels?: Record<string, string>; driver?: string; anonymous?: boolean } = {},
): VolumeRecord {
  if (opts.driver !== undefined && opts.driver !== 'local') throw new BerthError('BERTH_EUNSUPPORTED', `volume driver "${opts.driver}": only "local" is supported`);
  const name = opts.name === undefined ? randomBytes(32).toString('hex') : checkVolumeName(opts.name);
  const existing = getVolume(db, name);
  if (existing !== undefined) return existing;
  // Directory first: a crash leaves an unreferenced directory, never a row without one.
  mkdirSync(volumeData(p, name), { recursive: true, mode: 0o755 });
  const rec: VolumeRecord = { name, driver: 'local', labels: opts.labels ?? {}, options: {}, anonymous: opts.anonymous === true, createdAt: new Date().toISOString() };
  tx(db, () =>
    db.prepare('INSERT OR IGNORE INTO volumes (name, driver, labels, options, anonymous, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(rec.name, rec.driver, JSON.stringify(rec.labels), '{}', rec.anonymous ? 1 : 0, rec.createdAt),
  );
  return getVolume(db, name) ?? rec;
}

/** Names of the volumes that containers mount. */
export function volumesInUse(db: Db): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const r of db.prepare('SELECT id, config FROM containers').all() as { id: string; config: string }[]) {
    const cfg = JSON.parse(r.config) as { request: { mounts: { type: string; source: string }[] } };
    for (const m of cfg.request.mounts) if (m.type === 'volume') used.set(m.source, [...(used.get(m.source) ?? []), r.id]);
  }
  return used;
}

export function removeVolume(db: Db, p: EnginePaths, name: string, opts: { force?: boolean } = {}): void {
  if (getVolume(db, name) === undefined) {
    if (opts.force) return;
    throw new BerthError('BERTH_ENOTFOUND', `no such volume: ${name}`);
  }
  const users = volumesInUse(db).get(name);
  if (users !== undefined && users.length > 0) {
    throw new BerthError('BERTH_ESTATE', `volume ${name} is in use by container ${users[0]!.slice(0, 12)}`);
  }
  // Row first: a crash leaves a directory that prune or a new create of the name reuses.
  tx(db, () => db.prepare('DELETE FROM volumes WHERE name = ?').run(name));
  rmSync(join(volumesDir(p), name), { recursive: true, force: true });
}

/** docker copies the image's content at the mount point into a new, empty volume. */
export function seedVolume(data: string, fromImageDir: string): void {
  try {
    if (!existsSync(fromImageDir) || !statSync(fromImageDir).isDirectory()) return;
    if (readdirSync(data).length > 0) return;
    cpSync(fromImageDir, data, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  } catch {
    // best effort, as docker's copy-up
  }
}

export function volumeSize(p: EnginePaths, name: string): number {
  let total = 0;
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) total += statSync(full).size;
    }
  };
  walk(volumeData(p, name));
  return total;
}
