// Container records over the API: list, create, inspect, remove, prune, rename, top, changes.
import { BerthError } from '../../errors.js';
import { createContainer } from '../../engine/create.js';
import { containerDiff } from '../../engine/files.js';
import { checkName } from '../../engine/ids.js';
import { dockerStatus, inspectContainer } from '../../engine/inspect.js';
import { commandText, statusText } from '../../engine/status-text.js';
import { listContainers } from '../../engine/list.js';
import { getContainer, tx, updateContainer, type ContainerRecord } from '../../engine/records.js';
import { pruneContainers, removeContainer } from '../../engine/remove.js';
import { containerTop } from '../../engine/stats.js';
import type { ListContainersOptions, RemoveContainerOptions } from '../backend.js';
import { labelMatch } from '../event-filter.js';
import type {
  ContainerChange, ContainerCreateBody, ContainerCreateResponse, ContainerInspect, ContainerPruneResponse, ContainerStatus,
  ContainerSummary, ContainerTop, Filters, MountPoint, PortBinding,
} from '../types.js';
import { toCreateRequest } from './create-body.js';
import { isLive } from './lifecycle.js';
import { conflict, type EngineApi } from './state.js';

function summaryPorts(ports: Record<string, PortBinding[] | null> | undefined): ContainerSummary['Ports'] {
  const out: ContainerSummary['Ports'] = [];
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [port, proto = 'tcp'] = key.split('/');
    if (bindings === null || bindings.length === 0) { out.push({ PrivatePort: Number(port), Type: proto }); continue; }
    for (const b of bindings) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto });
  }
  return out;
}

function summaryOf(api: EngineApi, rec: ContainerRecord): ContainerSummary {
  const ins = inspectContainer(api.engine, rec) as unknown as ContainerInspect;
  return {
    Id: rec.id, Names: [`/${rec.name}`], Image: rec.imageName, ImageID: rec.imageId ?? '',
    Command: commandText(rec),
    Created: Math.floor(Date.parse(rec.createdAt) / 1000), Ports: summaryPorts(ins.NetworkSettings.Ports),
    Labels: ins.Config.Labels ?? {}, State: dockerStatus(rec) as ContainerStatus, Status: statusText(rec),
    HostConfig: { NetworkMode: ins.HostConfig.NetworkMode ?? 'bridge' },
    NetworkSettings: { Networks: ins.NetworkSettings.Networks }, Mounts: ins.Mounts as MountPoint[],
  };
}

/** The filters the engine's `ps` knows go to it; docker's others (network, volume, before/since) are applied here. */
export async function list(api: EngineApi, opts: ListContainersOptions): Promise<ContainerSummary[]> {
  const f: Filters = opts.filters;
  const engineKeys = ['status', 'name', 'id', 'label', 'ancestor', 'exited', 'health'];
  const engineFilters: string[] = [];
  for (const k of engineKeys) for (const v of f[k] ?? []) if (k !== 'label') engineFilters.push(`${k}=${v}`);
  const all = opts.all || (f.exited?.length ?? 0) > 0;
  const recs = await listContainers(api.engine, { all, filters: engineFilters });
  const summaries = recs.map((r) => summaryOf(api, r));
  let out = summaries.filter((s) =>
    labelMatch(s.Labels, f.label) &&
    (!f.network?.length || f.network.some((n) => Object.keys(s.NetworkSettings.Networks).includes(n) || s.HostConfig.NetworkMode === n)) &&
    (!f.volume?.length || f.volume.some((v) => s.Mounts.some((m) => m.Name === v || m.Destination === v))));
  const created = (ref: string): number => {
    const r = api.findQuick(ref);
    return Date.parse(r.createdAt);
  };
  if (f.before?.length) { const t = created(f.before[0]!); out = out.filter((s) => s.Created * 1000 < t); }
  if (f.since?.length) { const t = created(f.since[0]!); out = out.filter((s) => s.Created * 1000 > t); }
  if (opts.limit !== undefined && opts.limit > 0) out = out.slice(0, opts.limit);
  return out;
}

export async function create(api: EngineApi, name: string | undefined, body: ContainerCreateBody): Promise<ContainerCreateResponse> {
  const req = toCreateRequest(name, body);
  let rec: ContainerRecord;
  try {
    rec = await createContainer(api.engine, req);
  } catch (e) {
    if (e instanceof BerthError && e.code === 'BERTH_ENOTFOUND' && /^image /.test(e.message)) {
      // The CLI pulls on exactly this 404 and then creates again.
      const shown = req.image.includes(':') || req.image.includes('@') ? req.image : `${req.image}:latest`;
      throw new BerthError('BERTH_ENOTFOUND', `No such image: ${shown}`, { cause: e });
    }
    if (e instanceof BerthError && e.code === 'BERTH_EEXIST' && req.name !== undefined) {
      const other = getContainerByName(api, req.name);
      throw new BerthError('BERTH_ECONFLICT', `Conflict. The container name "/${req.name}" is already in use by container "${other}". You have to remove (or rename) that container to be able to reuse that name.`, { cause: e });
    }
    throw e;
  }
  api.containerEvent(rec, 'create');
  return { Id: rec.id, Warnings: [] };
}

function getContainerByName(api: EngineApi, name: string): string {
  try {
    return api.engine.find(name).id;
  } catch {
    return '';
  }
}

export async function inspect(api: EngineApi, ref: string, opts: { size: boolean }): Promise<ContainerInspect> {
  const rec = await api.find(ref);
  const out = inspectContainer(api.engine, rec) as unknown as ContainerInspect;
  out.ExecIDs = [...api.execs.values()].filter((x) => x.containerId === rec.id && x.running).map((x) => x.id);
  if (out.ExecIDs.length === 0) out.ExecIDs = null;
  if (opts.size) {
    out.SizeRw = 0;
    out.SizeRootFs = 0;
    if (rec.snapshotKey !== null) {
      const u = await (await api.engine.images()).snapshotter().usage(rec.snapshotKey).catch(() => ({ size: 0 }));
      out.SizeRw = u.size;
    }
  }
  return out;
}

export async function remove(api: EngineApi, ref: string, opts: RemoveContainerOptions): Promise<void> {
  const rec = await api.find(ref);
  if (isLive(rec) && !opts.force) {
    throw new BerthError('BERTH_ECONFLICT', `cannot remove container "/${rec.name}": container is running: stop the container before removing or force remove`);
  }
  api.owned.get(rec.id)?.stop();
  if (isLive(rec)) api.containerEvent(rec, 'kill', { signal: 'SIGKILL' });
  try {
    await removeContainer(api.engine, rec.id, { force: opts.force, volumes: opts.volumes });
  } catch (e) {
    throw conflict(e);
  }
  if (isLive(rec)) api.containerEvent(rec, 'die', { exitCode: '137' });
  api.containerEvent(rec, 'destroy');
}

export async function prune(api: EngineApi, filters: Filters): Promise<ContainerPruneResponse> {
  const keep = (rec: ContainerRecord): boolean => !labelMatch({ ...rec.config.resolved.imageLabels, ...rec.config.request.labels }, filters.label);
  if ((filters.label?.length ?? 0) > 0 || (filters.until?.length ?? 0) > 0) {
    const until = filters.until?.[0] !== undefined ? untilTime(filters.until[0]) : Infinity;
    const deleted: string[] = [];
    for (const rec of await listContainers(api.engine, { all: true })) {
      if (isLive(rec) || keep(rec) || Date.parse(rec.createdAt) >= until) continue;
      await removeContainer(api.engine, rec.id, {});
      api.containerEvent(rec, 'destroy');
      deleted.push(rec.id);
    }
    return { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: 0 };
  }
  const before = new Map((await listContainers(api.engine, { all: true })).map((r) => [r.id, r]));
  const ids = await pruneContainers(api.engine);
  for (const id of ids) { const r = before.get(id); if (r !== undefined) api.containerEvent(r, 'destroy'); }
  api.journal.emit('container', 'prune', '', { reclaimed: '0' });
  return { ContainersDeleted: ids.length > 0 ? ids : null, SpaceReclaimed: 0 };
}

/** `until` of prune filters: a Unix time, an RFC 3339 time, or a Go duration ago ("24h"). */
function untilTime(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+)(s|m|h)$/.exec(v);
  if (d !== null) return Date.now() - Number(d[1]) * { s: 1e3, m: 60e3, h: 3600e3 }[d[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new BerthError('BERTH_EINVAL', `invalid until filter "${v}"`);
  return t;
}

export async function rename(api: EngineApi, ref: string, newName: string): Promise<void> {
  const rec = await api.find(ref);
  const n = checkName(newName.replace(/^\//, ''));
  try {
    tx(api.engine.db, () => updateContainer(api.engine.db, rec.id, { name: n }));
  } catch (e) {
    if (e instanceof BerthError && e.code === 'BERTH_EEXIST') {
      throw new BerthError('BERTH_ECONFLICT', `Conflict. The container name "/${n}" is already in use by container "${getContainerByName(api, n)}". You have to remove (or rename) that container to be able to reuse that name.`, { cause: e });
    }
    throw e;
  }
  api.containerEvent(getContainer(api.engine.db, rec.id) ?? rec, 'rename', { oldName: `/${rec.name}` });
}

export async function top(api: EngineApi, ref: string, psArgs: string): Promise<ContainerTop> {
  const rec = await api.find(ref);
  if (!isLive(rec)) throw new BerthError('BERTH_ECONFLICT', `container ${rec.id} is not running`);
  return containerTop(api.engine, rec, psArgs.trim() === '' ? [] : psArgs.trim().split(/\s+/));
}

export async function changes(api: EngineApi, ref: string): Promise<ContainerChange[]> {
  const rec = await api.find(ref);
  return containerDiff(api.engine, rec);
}
