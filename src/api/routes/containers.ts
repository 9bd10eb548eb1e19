// Container lifecycle and queries: create, inspect, list, start/stop/…, wait, remove, prune.
import { BerthError } from '../../errors.js';
import type { RouteDef } from '../router.js';
import type { Ctx } from '../context.js';
import type { WaitCondition } from '../backend.js';
import type { ContainerCreateBody } from '../types.js';

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function checkName(name: string): string {
  if (!NAME_RE.test(name)) throw new BerthError('BERTH_EINVAL', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.replace(/^\//, '');
}

async function list(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.listContainers({ all: ctx.bool('all'), limit: ctx.int('limit'), size: ctx.bool('size'), filters: ctx.filters() }));
}

async function create(ctx: Ctx): Promise<void> {
  const nameQ = ctx.str('name');
  const name = nameQ === undefined || nameQ === '' ? undefined : checkName(nameQ);
  const body = await ctx.jsonObject<ContainerCreateBody>('create container');
  if (typeof body.Image !== 'string' || body.Image === '') throw new BerthError('BERTH_EINVAL', 'Config cannot be empty in order to create a container: no image given');
  if (body.Cmd !== undefined && body.Cmd !== null && !Array.isArray(body.Cmd)) {
    // Old clients send Cmd as a string; docker accepts it as one argument.
    body.Cmd = [String(body.Cmd)];
  }
  if (body.Entrypoint !== undefined && body.Entrypoint !== null && !Array.isArray(body.Entrypoint)) body.Entrypoint = [String(body.Entrypoint)];
  const platform = ctx.str('platform') || undefined;
  ctx.sendJson(201, await ctx.backend.createContainer(name, body, { platform }));
}

async function inspect(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.inspectContainer(ctx.param('id'), { size: ctx.bool('size') }));
}

async function start(ctx: Ctx): Promise<void> {
  const r = await ctx.backend.startContainer(ctx.param('id'), { detachKeys: ctx.str('detachKeys') });
  ctx.empty(r === 'changed' ? 204 : 304);
}

function stopOptions(ctx: Ctx): { signal?: string; timeout?: number } {
  return { signal: ctx.str('signal') || undefined, timeout: ctx.int('t') };
}

async function stop(ctx: Ctx): Promise<void> {
  const r = await ctx.backend.stopContainer(ctx.param('id'), stopOptions(ctx));
  ctx.empty(r === 'changed' ? 204 : 304);
}

async function restart(ctx: Ctx): Promise<void> {
  await ctx.backend.restartContainer(ctx.param('id'), stopOptions(ctx));
  ctx.empty(204);
}

async function kill(ctx: Ctx): Promise<void> {
  await ctx.backend.killContainer(ctx.param('id'), ctx.str('signal') || 'SIGKILL');
  ctx.empty(204);
}

async function pause(ctx: Ctx): Promise<void> {
  await ctx.backend.pauseContainer(ctx.param('id'));
  ctx.empty(204);
}

async function unpause(ctx: Ctx): Promise<void> {
  await ctx.backend.unpauseContainer(ctx.param('id'));
  ctx.empty(204);
}

const CONDITIONS: WaitCondition[] = ['not-running', 'next-exit', 'removed'];

async function wait(ctx: Ctx): Promise<void> {
  const c = ctx.str('condition') || 'not-running';
  if (!CONDITIONS.includes(c as WaitCondition)) throw new BerthError('BERTH_EINVAL', `invalid condition: "${c}"`);
  const abort = new AbortController();
  void ctx.t.closed.then(() => abort.abort());
  const waiter = await ctx.backend.waitContainer(ctx.param('id'), c as WaitCondition, abort.signal);
  // The head goes out once the waiter is registered: `docker run` waits for it before it starts
  // the container, so an exit that comes quickly is not missed.
  ctx.t.head(200, { 'Content-Type': 'application/json' });
  let body;
  try {
    body = await waiter.done;
  } catch (e) {
    body = { StatusCode: -1, Error: { Message: e instanceof Error ? e.message : String(e) } };
  }
  if (!ctx.t.isClosed()) ctx.t.end(JSON.stringify(body) + '\n');
}

async function remove(ctx: Ctx): Promise<void> {
  await ctx.backend.removeContainer(ctx.param('id'), { force: ctx.bool('force'), volumes: ctx.bool('v'), link: ctx.bool('link') });
  ctx.empty(204);
}

async function prune(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.pruneContainers(ctx.filters()));
}

async function rename(ctx: Ctx): Promise<void> {
  const name = ctx.str('name');
  if (!name) throw new BerthError('BERTH_EINVAL', 'rename: missing the new name (name=…)');
  await ctx.backend.renameContainer(ctx.param('id'), checkName(name));
  ctx.empty(204);
}

async function top(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.top(ctx.param('id'), ctx.str('ps_args') ?? '-ef'));
}

async function changes(ctx: Ctx): Promise<void> {
  const c = await ctx.backend.changes(ctx.param('id'));
  ctx.ok(c.length === 0 ? null : c);
}

function size(ctx: Ctx): { h: number; w: number } {
  const h = ctx.int('h') ?? 0;
  const w = ctx.int('w') ?? 0;
  if (h < 0 || w < 0 || h > 65535 || w > 65535) throw new BerthError('BERTH_EINVAL', `invalid terminal size ${h}x${w}`);
  return { h, w };
}

async function resize(ctx: Ctx): Promise<void> {
  const { h, w } = size(ctx);
  await ctx.backend.resizeContainer(ctx.param('id'), h, w);
  ctx.empty(200);
}

async function update(ctx: Ctx): Promise<void> {
  const body = await ctx.jsonObject<Record<string, unknown>>('update container');
  if (!ctx.backend.updateContainer) throw new BerthError('BERTH_EUNSUPPORTED', 'berth: container update is not supported by this API server yet');
  ctx.ok(await ctx.backend.updateContainer(ctx.param('id'), body));
}

async function commit(ctx: Ctx): Promise<void> {
  const config = await ctx.jsonObject<ContainerCreateBody>('commit', false);
  if (!ctx.backend.commitContainer) throw new BerthError('BERTH_EUNSUPPORTED', 'berth: commit is not supported by this API server yet; use `berth commit`');
  const container = ctx.str('container');
  if (!container) throw new BerthError('BERTH_EINVAL', 'commit: missing container=…');
  ctx.sendJson(201, await ctx.backend.commitContainer({
    container, repo: ctx.str('repo'), tag: ctx.str('tag'), comment: ctx.str('comment'), author: ctx.str('author'),
    pause: ctx.bool('pause', true), changes: ctx.query.getAll('changes'), config,
  }));
}

export const resizeSize = size;

export const containerRoutes: RouteDef[] = [
  { method: 'GET', path: '/containers/json', handler: list },
  { method: 'POST', path: '/containers/create', handler: create },
  { method: 'POST', path: '/containers/prune', handler: prune },
  { method: 'GET', path: '/containers/:id/json', handler: inspect },
  { method: 'POST', path: '/containers/:id/start', handler: start },
  { method: 'POST', path: '/containers/:id/stop', handler: stop },
  { method: 'POST', path: '/containers/:id/restart', handler: restart },
  { method: 'POST', path: '/containers/:id/kill', handler: kill },
  { method: 'POST', path: '/containers/:id/pause', handler: pause },
  { method: 'POST', path: '/containers/:id/unpause', handler: unpause },
  { method: 'POST', path: '/containers/:id/wait', handler: wait },
  { method: 'POST', path: '/containers/:id/rename', handler: rename },
  { method: 'POST', path: '/containers/:id/resize', handler: resize },
  { method: 'POST', path: '/containers/:id/update', handler: update },
  { method: 'GET', path: '/containers/:id/top', handler: top },
  { method: 'GET', path: '/containers/:id/changes', handler: changes },
  { method: 'DELETE', path: '/containers/:id', handler: remove },
  { method: 'POST', path: '/commit', handler: commit },
];
