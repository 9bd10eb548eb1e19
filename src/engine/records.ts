// The containers table as typed records: insert, lookup by id / name / unique prefix, update.
// Every multi-row change runs in `tx`; a lookup never guesses between two matches.
import type { Db } from '../storage/metadata/db.js';
import { tx } from '../storage/metadata/db.js';
import { BerthError } from '../errors.js';
import type { StoredConfig } from './config.js';
import './schema.js';

/**
 * creating: record made, bundle or monitor not yet ready (a crash here is cleaned by reconcile);
 * created, running, paused, exited as docker; removing: rm in progress.
 */
export type ContainerState = 'creating' | 'created' | 'starting' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing' | 'dead';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: HealthLogEntry[];
}

export interface ContainerRecord {
  id: string;
  name: string;
  imageId: string | null;
  imageName: string;
  snapshotKey: string | null;
  config: StoredConfig;
  state: ContainerState;
  pid: number;
  monitorPid: number;
  monitorStart: string | null;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  restartCount: number;
  stoppedByUser: boolean;
  runnerPid: number;
  health: HealthState | null;
  restartAt: string | null;
  /** Docker's restart backoff: 100ms doubling, reset after 10s of running. */
  restartDelayMs: number;
}

interface Row {
  id: string;
  name: string;
  image_id: string | null;
  image_name: string;
  snapshot_key: string | null;
  config: string;
  state: string;
  pid: number;
  monitor_pid: number;
  monitor_start: string | null;
  exit_code: number;
  error: string;
  oom_killed: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  restart_count: number;
  stopped_by_user: number;
  runner_pid: number;
  health: string | null;
  restart_at: string | null;
  restart_delay_ms: number;
}

function fromRow(r: Row): ContainerRecord {
  return {
    id: r.id,
    name: r.name,
    imageId: r.image_id,
    imageName: r.image_name,
    snapshotKey: r.snapshot_key,
    config: JSON.parse(r.config) as StoredConfig,
    state: r.state as ContainerState,
    pid: r.pid,
    monitorPid: r.monitor_pid,
    monitorStart: r.monitor_start,
    exitCode: r.exit_code,
    error: r.error,
    oomKilled: r.oom_killed !== 0,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    restartCount: r.restart_count,
    stoppedByUser: r.stopped_by_user !== 0,
    runnerPid: r.runner_pid,
    health: r.health === null ? null : (JSON.parse(r.health) as HealthState),
    restartAt: r.restart_at,
    restartDelayMs: r.restart_delay_ms,
  };
}

const COLUMNS: Record<keyof ContainerRecord, string> = {
  id: 'id', name: 'name', imageId: 'image_id', imageName: 'image_name', snapshotKey: 'snapshot_key', config: 'config',
  state: 'state', pid: 'pid', monitorPid: 'monitor_pid', monitorStart: 'monitor_start', exitCode: 'exit_code', error: 'error',
  oomKilled: 'oom_killed', createdAt: 'created_at', startedAt: 'started_at', finishedAt: 'finished_at',
  restartCount: 'restart_count', stoppedByUser: 'stopped_by_user', runnerPid: 'runner_pid', health: 'health', restartAt: 'restart_at', restartDelayMs: 'restart_delay_ms',
};

function toColumn(key: keyof ContainerRecord, v: unknown): unknown {
  if (key === 'config' || key === 'health') return v === null ? null : JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

export function insertContainer(db: Db, rec: ContainerRecord): void {
  const keys = Object.keys(COLUMNS) as (keyof ContainerRecord)[];
  const sql = `INSERT INTO containers (${keys.map((k) => COLUMNS[k]).join(',')}) VALUES (${keys.map(() => '?').join(',')})`;
  try {
    db.prepare(sql).run(...keys.map((k) => toColumn(k, rec[k])));
  } catch (e) {
    const msg = (e as Error).message;
    if (/UNIQUE constraint failed: containers.name/.test(msg)) {
      throw new BerthError('BERTH_EEXIST', `the container name "${rec.name}" is already in use`, { cause: e });
    }
    if (/UNIQUE constraint failed: containers.id/.test(msg)) throw new BerthError('BERTH_EEXIST', `container id ${rec.id} exists`, { cause: e });
    throw e;
  }
}

export function updateContainer(db: Db, id: string, patch: Partial<ContainerRecord>): void {
  const keys = (Object.keys(patch) as (keyof ContainerRecord)[]).filter((k) => k !== 'id');
  if (keys.length === 0) return;
  if (keys.includes('name')) {
    try {
      db.prepare(`UPDATE containers SET name = ? WHERE id = ?`).run(patch.name, id);
    } catch (e) {
      if (/UNIQUE/.test((e as Error).message)) throw new BerthError('BERTH_EEXIST', `the container name "${String(patch.name)}" is already in use`, { cause: e });
      throw e;
    }
  }
  const rest = keys.filter((k) => k !== 'name');
  if (rest.length === 0) return;
  db.prepare(`UPDATE containers SET ${rest.map((k) => `${COLUMNS[k]} = ?`).join(', ')} WHERE id = ?`).run(...rest.map((k) => toColumn(k, patch[k])), id);
}

export function deleteContainerRecord(db: Db, id: string): void {
  db.prepare('DELETE FROM containers WHERE id = ?').run(id);
}

export function getContainer(db: Db, id: string): ContainerRecord | undefined {
  const r = db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as Row | undefined;
  return r === undefined ? undefined : fromRow(r);
}

export function listContainerRecords(db: Db): ContainerRecord[] {
  return (db.prepare('SELECT * FROM containers ORDER BY created_at DESC').all() as Row[]).map(fromRow);
}

/** docker's lookup order: full id, exact name, then a unique id prefix. */
export function findContainer(db: Db, ref: string): ContainerRecord {
  const name = ref.startsWith('/') ? ref.slice(1) : ref;
  const byId = db.prepare('SELECT * FROM containers WHERE id = ?').get(ref) as Row | undefined;
  if (byId) return fromRow(byId);
  const byName = db.prepare('SELECT * FROM containers WHERE name = ?').get(name) as Row | undefined;
  if (byName) return fromRow(byName);
  if (/^[0-9a-f]{1,63}$/.test(ref)) {
    const rows = db.prepare("SELECT * FROM containers WHERE id LIKE ? || '%' LIMIT 2").all(ref) as Row[];
    if (rows.length === 1) return fromRow(rows[0]!);
    if (rows.length > 1) throw new BerthError('BERTH_EINVAL', `container id prefix "${ref}" is ambiguous`);
  }
  throw new BerthError('BERTH_ENOTFOUND', `no such container: ${ref}`);
}

export { tx };
