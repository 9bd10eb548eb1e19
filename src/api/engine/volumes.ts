// Local volumes over the API (engine/volumes.ts). Anonymous volumes are the 64-hex ones containers
// made; `prune` takes only those unless `all=true`, as docker 23+.
import { BerthError } from '../../errors.js';
import { createVolume, getVolume, listVolumes, removeVolume, volumeData, volumeSize, volumesInUse, type VolumeRecord } from '../../engine/volumes.js';
import { labelMatch } from '../event-filter.js';
import type { Filters, Volume, VolumeCreateBody, VolumeListResponse } from '../types.js';
import type { EngineApi } from './state.js';

function toVolume(api: EngineApi, v: VolumeRecord, usage?: { size: number; refs: number }): Volume {
  return {
    Name: v.name, Driver: v.driver, Mountpoint: volumeData(api.engine.paths, v.name), CreatedAt: v.createdAt,
    Labels: Object.keys(v.labels).length > 0 ? v.labels : null, Scope: 'local', Options: Object.keys(v.options).length > 0 ? v.options : null,
    ...(usage !== undefined ? { UsageData: { Size: usage.size, RefCount: usage.refs } } : {}),
  };
}

function notFound(name: string, cause?: unknown): BerthError {
  return new BerthError('BERTH_ENOTFOUND', `get ${name}: no such volume`, cause === undefined ? undefined : { cause });
}

export async function list(api: EngineApi, filters: Filters): Promise<VolumeListResponse> {
  const used = volumesInUse(api.engine.db);
  const dangling = filters.dangling?.[0];
  const vols = listVolumes(api.engine.db).filter((v) =>
    (!filters.name?.length || filters.name.some((n) => v.name.includes(n))) &&
    (!filters.driver?.length || filters.driver.includes(v.driver)) &&
    (dangling === undefined || (dangling === 'true' || dangling === '1') === !used.has(v.name)) &&
    labelMatch(v.labels, filters.label));
  return { Volumes: vols.map((v) => toVolume(api, v)), Warnings: null };
}

export async function create(api: EngineApi, body: VolumeCreateBody): Promise<Volume> {
  const existed = body.Name !== undefined && body.Name !== '' && getVolume(api.engine.db, body.Name) !== undefined;
  const v = createVolume(api.engine.db, api.engine.paths, {
    ...(body.Name !== undefined && body.Name !== '' ? { name: body.Name } : {}),
    ...(body.Labels ? { labels: body.Labels } : {}),
    ...(body.Driver !== undefined && body.Driver !== '' ? { driver: body.Driver } : {}),
  });
  if (!existed) api.journal.emit('volume', 'create', v.name, { driver: v.driver });
  return toVolume(api, v);
}

export async function inspect(api: EngineApi, name: string): Promise<Volume> {
  const v = getVolume(api.engine.db, name);
  if (v === undefined) throw notFound(name);
  return toVolume(api, v);
}

export async function remove(api: EngineApi, name: string, opts: { force: boolean }): Promise<void> {
  if (getVolume(api.engine.db, name) === undefined) {
    if (opts.force) return;
    throw notFound(name);
  }
  try {
    removeVolume(api.engine.db, api.engine.paths, name);
  } catch (e) {
    if (e instanceof BerthError && e.code === 'BERTH_ESTATE') throw new BerthError('BERTH_ECONFLICT', `remove ${name}: volume is in use - ${e.message}`, { cause: e });
    throw e;
  }
  api.journal.emit('volume', 'destroy', name, { driver: 'local' });
}

export async function prune(api: EngineApi, filters: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
  const used = volumesInUse(api.engine.db);
  const all = filters.all?.[0] === 'true' || filters.all?.[0] === '1';
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const v of listVolumes(api.engine.db)) {
    if (used.has(v.name) || (!all && !v.anonymous) || !labelMatch(v.labels, filters.label)) continue;
    const size = volumeSize(api.engine.paths, v.name);
    try {
      removeVolume(api.engine.db, api.engine.paths, v.name);
    } catch {
      continue; // taken meanwhile
    }
    api.journal.emit('volume', 'destroy', v.name, { driver: 'local' });
    deleted.push(v.name);
    reclaimed += size;
  }
  return { VolumesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
}

export function usageOf(api: EngineApi): Volume[] {
  const used = volumesInUse(api.engine.db);
  return listVolumes(api.engine.db).map((v) => toVolume(api, v, { size: volumeSize(api.engine.paths, v.name), refs: used.get(v.name)?.length ?? 0 }));
}
