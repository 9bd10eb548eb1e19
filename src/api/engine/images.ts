// Local images over the API: list, inspect, history, tag, remove, prune. Names are stored
// normalized (docker.io/library/busybox:latest) and shown as docker shows them (busybox:latest).
import { BerthError } from '../../errors.js';
import { MAX_CONFIG_SIZE, parseImageConfig } from '../../image/manifest.js';
import { familiarString, parseReference } from '../../image/reference.js';
import { openImageStore, type ImageRecord, type LocalImageStore } from '../../image/store.js';
import { containersUsing } from '../../image/store/records.js';
import { labelMatch } from '../event-filter.js';
import type { ContainerConfig, Filters, ImageDeleteItem, ImageHistoryItem, ImageInspect, ImagePruneResponse, ImageSummary } from '../types.js';
import type { EngineApi } from './state.js';

export function imageStore(api: EngineApi): LocalImageStore {
  return openImageStore(api.engine.paths.root);
}

export function familiar(name: string): string {
  try {
    return familiarString(parseReference(name));
  } catch {
    return name;
  }
}

/** docker's wording for a missing image, which clients (the CLI's pull-on-404) rely on. */
export async function resolveImage(api: EngineApi, name: string): Promise<ImageRecord> {
  try {
    return (await imageStore(api).resolve(name)) as ImageRecord;
  } catch (e) {
    if (e instanceof BerthError && e.code === 'BERTH_ENOTFOUND') throw new BerthError('BERTH_ENOTFOUND', `No such image: ${name}`, { cause: e });
    throw e;
  }
}

function imageEvent(api: EngineApi, action: string, img: { id: string }, name: string): void {
  api.journal.emit('image', action, img.id, { name });
}

function summaryOf(store: LocalImageStore, img: ImageRecord): ImageSummary {
  return {
    Id: img.id, ParentId: '', RepoTags: img.repoTags.map(familiar), RepoDigests: img.repoDigests.map(familiar),
    Created: Math.floor(Date.parse(img.created) / 1000), Size: img.size, SharedSize: -1, VirtualSize: img.size,
    Labels: img.config.Labels ?? {}, Containers: containersUsing(store.db, img.id),
  };
}

/** `reference=` filters are globs over the familiar name ("busy*", "127.0.0.1:5000/*:1"). */
function refMatches(img: ImageSummary, patterns: string[]): boolean {
  const re = (p: string): RegExp => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);
  return patterns.some((p) => img.RepoTags.some((t) => re(p).test(t) || re(p).test(t.replace(/:[^:/]+$/, ''))));
}

export async function list(api: EngineApi, opts: { all: boolean; filters: Filters }): Promise<ImageSummary[]> {
  const store = imageStore(api);
  const f = opts.filters;
  let out = (await store.list()).map((i) => summaryOf(store, i));
  if (f.dangling?.length) out = out.filter((i) => (i.RepoTags.length === 0) === (f.dangling![0] === 'true' || f.dangling![0] === '1'));
  if (f.reference?.length) out = out.filter((i) => refMatches(i, f.reference!));
  if (f.label?.length) out = out.filter((i) => labelMatch(i.Labels, f.label));
  const createdOf = async (ref: string): Promise<number> => Math.floor(Date.parse((await resolveImage(api, ref)).created) / 1000);
  if (f.before?.length) { const t = await createdOf(f.before[0]!); out = out.filter((i) => i.Created < t); }
  if (f.since?.length) { const t = await createdOf(f.since[0]!); out = out.filter((i) => i.Created > t); }
  return out.sort((a, b) => b.Created - a.Created);
}

async function configOf(store: LocalImageStore, img: ImageRecord): Promise<ReturnType<typeof parseImageConfig>> {
  return parseImageConfig(await store.contentStore().readAll(img.id, { maxSize: MAX_CONFIG_SIZE }));
}

export async function inspect(api: EngineApi, name: string): Promise<ImageInspect> {
  const store = imageStore(api);
  const img = await resolveImage(api, name);
  const cfg = await configOf(store, img);
  return {
    Id: img.id, RepoTags: img.repoTags.map(familiar), RepoDigests: img.repoDigests.map(familiar), Parent: '',
    Comment: cfg.history[cfg.history.length - 1]?.comment ?? '', Created: img.created, DockerVersion: '', Author: cfg.author ?? '',
    Config: img.config as ContainerConfig, Architecture: img.architecture, ...(img.variant !== undefined ? { Variant: img.variant } : {}),
    Os: img.os, Size: img.size, VirtualSize: img.size,
    GraphDriver: { Name: store.driver, Data: null },
    RootFS: { Type: 'layers', Layers: img.diffIds },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

export async function history(api: EngineApi, name: string): Promise<ImageHistoryItem[]> {
  const store = imageStore(api);
  const img = await resolveImage(api, name);
  const cfg = await configOf(store, img);
  const layers = store.layers(img.id);
  let li = 0;
  const items: ImageHistoryItem[] = cfg.history.map((h) => {
    const size = h.empty_layer === true ? 0 : (layers[li++]?.size ?? 0);
    return { Id: '<missing>', Created: h.created !== undefined ? Math.floor(Date.parse(h.created) / 1000) : 0, CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' };
  });
  if (items.length === 0) items.push({ Id: '<missing>', Created: Math.floor(Date.parse(img.created) / 1000), CreatedBy: '', Tags: null, Size: img.size, Comment: '' });
  items.reverse();
  items[0]!.Id = img.id;
  items[0]!.Tags = img.repoTags.length > 0 ? img.repoTags.map(familiar) : null;
  return items;
}

export async function tag(api: EngineApi, source: string, repo: string, tagName: string): Promise<void> {
  const img = await resolveImage(api, source);
  const target = `${repo}:${tagName === '' ? 'latest' : tagName}`;
  imageStore(api).tag(img, target);
  imageEvent(api, 'tag', img, familiar(target));
}

export async function remove(api: EngineApi, name: string, opts: { force: boolean }): Promise<ImageDeleteItem[]> {
  const store = imageStore(api);
  const img = await resolveImage(api, name);
  let r;
  try {
    r = await store.remove(name, { force: opts.force });
  } catch (e) {
    if (e instanceof BerthError && e.code === 'BERTH_ESTATE') throw new BerthError('BERTH_ECONFLICT', `conflict: unable to remove repository reference "${name}" (must force) - ${e.message}`, { cause: e });
    throw e;
  }
  for (const t of r.untagged) imageEvent(api, 'untag', img, familiar(t));
  for (const d of r.deleted) imageEvent(api, 'delete', { id: d }, d);
  return [...r.untagged.map((t) => ({ Untagged: familiar(t) })), ...r.deleted.map((d) => ({ Deleted: d }))];
}

export async function prune(api: EngineApi, filters: Filters): Promise<ImagePruneResponse> {
  const store = imageStore(api);
  const all = filters.dangling?.[0] === 'false' || filters.dangling?.[0] === '0';
  const before = new Map((await store.list()).map((i) => [i.id, i.size]));
  const r = await store.prune({ all });
  for (const d of r.deleted) imageEvent(api, 'delete', { id: d }, d);
  const reclaimed = r.deleted.reduce((s, d) => s + (before.get(d) ?? 0), 0);
  return { ImagesDeleted: r.deleted.length > 0 ? r.deleted.map((d) => ({ Deleted: d })) : null, SpaceReclaimed: reclaimed };
}
