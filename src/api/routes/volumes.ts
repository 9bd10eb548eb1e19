// Volumes: list, create, inspect, remove, prune.
import { BerthError } from '../../errors.js';
import type { RouteDef } from '../router.js';
import type { Ctx } from '../context.js';
import type { VolumeCreateBody } from '../types.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

async function list(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.listVolumes(ctx.filters()));
}

async function create(ctx: Ctx): Promise<void> {
  const body = await ctx.jsonObject<VolumeCreateBody>('create volume', false);
  if (body.Name !== undefined && body.Name !== '' && (typeof body.Name !== 'string' || !NAME_RE.test(body.Name))) {
    throw new BerthError('BERTH_EINVAL', `create ${String(body.Name)}: "${String(body.Name)}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`);
  }
  ctx.sendJson(201, await ctx.backend.createVolume(body));
}

async function inspect(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.inspectVolume(ctx.param('name')));
}

async function remove(ctx: Ctx): Promise<void> {
  await ctx.backend.removeVolume(ctx.param('name'), { force: ctx.bool('force') });
  ctx.empty(204);
}

async function prune(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.pruneVolumes(ctx.filters()));
}

export const volumeRoutes: RouteDef[] = [
  { method: 'GET', path: '/volumes', handler: list },
  { method: 'POST', path: '/volumes/create', handler: create },
  { method: 'POST', path: '/volumes/prune', handler: prune },
  { method: 'GET', path: '/volumes/:name', handler: inspect },
  { method: 'DELETE', path: '/volumes/:name', handler: remove },
];
