// Images: list, pull/import, push, tag, remove, inspect, history, save/load, prune, build, search.
import { BerthError } from '../../errors.js';
import type { RouteDef } from '../router.js';
import type { Ctx } from '../context.js';
import type { RegistryAuth } from '../types.js';

/** X-Registry-Auth: base64url JSON. Docker ignores a header it cannot read, and so do we. */
export function registryAuth(ctx: Ctx): RegistryAuth | undefined {
  const h = ctx.req.headers['x-registry-auth'];
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed as RegistryAuth : undefined;
  } catch {
    return undefined;
  }
}

async function list(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.listImages({ all: ctx.bool('all'), filters: ctx.filters(), digests: ctx.bool('digests'), sharedSize: ctx.bool('shared-size') }));
}

async function create(ctx: Ctx): Promise<void> {
  const fromImage = ctx.str('fromImage');
  const fromSrc = ctx.str('fromSrc');
  const platform = ctx.str('platform') || undefined;
  if (fromImage) {
    const tag = ctx.str('tag') || undefined;
    await ctx.progress(() => ctx.backend.pullImage({ fromImage, tag, platform, auth: registryAuth(ctx) }));
    return;
  }
  if (fromSrc) {
    if (fromSrc !== '-') throw new BerthError('BERTH_EUNSUPPORTED', 'berth: importing from a URL is not supported; send the archive as the body (fromSrc=-)');
    const importImage = ctx.backend.importImage?.bind(ctx.backend);
    if (!importImage) throw new BerthError('BERTH_EUNSUPPORTED', 'berth: image import is not supported by this API server yet; use `berth import`');
    await ctx.progress(() => importImage(ctx.body, {
      fromSrc, repo: ctx.str('repo'), tag: ctx.str('tag'), message: ctx.str('message'), changes: ctx.query.getAll('changes'), platform,
    }));
    return;
  }
  throw new BerthError('BERTH_EINVAL', 'either fromImage or fromSrc must be given');
}

async function push(ctx: Ctx): Promise<void> {
  const name = ctx.param('name');
  await ctx.progress(() => ctx.backend.pushImage(name, { tag: ctx.str('tag') || undefined, auth: registryAuth(ctx) }));
}

async function tag(ctx: Ctx): Promise<void> {
  const repo = ctx.str('repo');
  if (!repo) throw new BerthError('BERTH_EINVAL', 'repository name (repo=…) must be given');
  await ctx.backend.tagImage(ctx.param('name'), repo, ctx.str('tag') || 'latest');
  ctx.empty(201);
}

async function remove(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.removeImage(ctx.param('name'), { force: ctx.bool('force'), noprune: ctx.bool('noprune') }));
}

async function inspect(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.inspectImage(ctx.param('name')));
}

async function history(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.imageHistory(ctx.param('name')));
}

async function saveOne(ctx: Ctx): Promise<void> {
  await ctx.bytes(await ctx.backend.saveImages([ctx.param('name')]), 'application/x-tar');
}

async function saveMany(ctx: Ctx): Promise<void> {
  const names = ctx.query.getAll('names').filter((n) => n !== '');
  if (names.length === 0) throw new BerthError('BERTH_EINVAL', 'no image names given (names=…)');
  await ctx.bytes(await ctx.backend.saveImages(names), 'application/x-tar');
}

async function load(ctx: Ctx): Promise<void> {
  await ctx.progress(() => ctx.backend.loadImages(ctx.body, { quiet: ctx.bool('quiet') }));
}

async function prune(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.pruneImages(ctx.filters()));
}

function jsonMap(ctx: Ctx, name: string): Record<string, string> {
  const raw = ctx.str(name);
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== 'object' || v === null) throw new Error('want a JSON object');
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, String(x)]));
  } catch (e) {
    throw new BerthError('BERTH_EINVAL', `invalid ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function build(ctx: Ctx): Promise<void> {
  const builder = ctx.backend.build?.bind(ctx.backend);
  if (!builder) {
    // The client uploads the whole context before it reads an answer: take it, then refuse.
    await ctx.drain();
    throw new BerthError('BERTH_EUNSUPPORTED', 'berth: building through the Docker API is not supported yet; use `berth build`');
  }
  const opts = {
    dockerfile: ctx.str('dockerfile') || 'Dockerfile', tags: ctx.query.getAll('t'), buildArgs: jsonMap(ctx, 'buildargs'),
    labels: jsonMap(ctx, 'labels'), target: ctx.str('target') || undefined, noCache: ctx.bool('nocache'), pull: ctx.bool('pull'),
    rm: ctx.bool('rm', true), forceRm: ctx.bool('forcerm'), quiet: ctx.bool('q'), platform: ctx.str('platform') || undefined,
  };
  await ctx.progress(() => builder(ctx.body, opts));
}

async function buildPrune(ctx: Ctx): Promise<void> {
  // The API server keeps no build cache of its own, so there is nothing to reclaim.
  ctx.ok({ CachesDeleted: null, SpaceReclaimed: 0 });
}

async function search(): Promise<void> {
  throw new BerthError('BERTH_EUNSUPPORTED', 'berth: searching registries is not supported (images/search); browse the registry instead');
}

export const imageRoutes: RouteDef[] = [
  { method: 'GET', path: '/images/json', handler: list },
  { method: 'POST', path: '/images/create', handler: create },
  { method: 'GET', path: '/images/search', handler: search },
  { method: 'GET', path: '/images/get', handler: saveMany },
  { method: 'POST', path: '/images/load', handler: load },
  { method: 'POST', path: '/images/prune', handler: prune },
  { method: 'POST', path: '/build', handler: build },
  { method: 'POST', path: '/build/prune', handler: buildPrune },
  { method: 'GET', path: '/images/:name*/json', handler: inspect },
  { method: 'GET', path: '/images/:name*/history', handler: history },
  { method: 'GET', path: '/images/:name*/get', handler: saveOne },
  { method: 'POST', path: '/images/:name*/push', handler: push },
  { method: 'POST', path: '/images/:name*/tag', handler: tag },
  { method: 'DELETE', path: '/images/:name*', handler: remove },
];
