// Networks: list, create, inspect, remove, prune, connect, disconnect.
import { BerthError } from '../../errors.js';
import type { RouteDef } from '../router.js';
import type { Ctx } from '../context.js';
import type { NetworkConnectBody, NetworkCreateBody, NetworkDisconnectBody } from '../types.js';

async function list(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.listNetworks(ctx.filters()));
}

async function create(ctx: Ctx): Promise<void> {
  const body = await ctx.jsonObject<NetworkCreateBody>('create network');
  if (typeof body.Name !== 'string' || body.Name === '') throw new BerthError('BERTH_EINVAL', 'network name must be given (Name)');
  ctx.sendJson(201, await ctx.backend.createNetwork(body));
}

async function inspect(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.inspectNetwork(ctx.param('id'), { verbose: ctx.bool('verbose'), scope: ctx.str('scope') || undefined }));
}

async function remove(ctx: Ctx): Promise<void> {
  await ctx.backend.removeNetwork(ctx.param('id'));
  ctx.empty(204);
}

async function prune(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.pruneNetworks(ctx.filters()));
}

function containerOf(body: { Container?: unknown }): string {
  if (typeof body.Container !== 'string' || body.Container === '') throw new BerthError('BERTH_EINVAL', 'container must be given (Container)');
  return body.Container;
}

async function connect(ctx: Ctx): Promise<void> {
  const body = await ctx.jsonObject<NetworkConnectBody>('connect');
  containerOf(body);
  await ctx.backend.connectNetwork(ctx.param('id'), body);
  ctx.empty(200);
}

async function disconnect(ctx: Ctx): Promise<void> {
  const body = await ctx.jsonObject<NetworkDisconnectBody>('disconnect');
  containerOf(body);
  await ctx.backend.disconnectNetwork(ctx.param('id'), body);
  ctx.empty(200);
}

export const networkRoutes: RouteDef[] = [
  { method: 'GET', path: '/networks', handler: list },
  { method: 'POST', path: '/networks/create', handler: create },
  { method: 'POST', path: '/networks/prune', handler: prune },
  { method: 'GET', path: '/networks/:id', handler: inspect },
  { method: 'DELETE', path: '/networks/:id', handler: remove },
  { method: 'POST', path: '/networks/:id/connect', handler: connect },
  { method: 'POST', path: '/networks/:id/disconnect', handler: disconnect },
];
