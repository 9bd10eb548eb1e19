// exec: create, start (detached or attached over a hijacked connection), inspect, resize.
import { BerthError } from '../../errors.js';
import type { RouteDef } from '../router.js';
import type { Ctx } from '../context.js';
import type { ExecCreateBody, ExecStartBody } from '../types.js';
import { serveSession } from '../session.js';
import { resizeSize } from './containers.js';

async function create(ctx: Ctx): Promise<void> {
  const body = await ctx.jsonObject<ExecCreateBody>('create exec');
  if (!Array.isArray(body.Cmd) || body.Cmd.length === 0 || !body.Cmd.every((a) => typeof a === 'string')) {
    throw new BerthError('BERTH_EINVAL', 'No exec command specified');
  }
  ctx.sendJson(201, await ctx.backend.createExec(ctx.param('id'), body));
}

async function start(ctx: Ctx): Promise<void> {
  const body = await ctx.jsonObject<ExecStartBody>('start exec', false);
  const detach = body.Detach === true;
  const consoleSize = Array.isArray(body.ConsoleSize) && body.ConsoleSize.length === 2 ? body.ConsoleSize : undefined;
  const session = await ctx.backend.startExec(ctx.param('id'), { detach, tty: body.Tty === true, consoleSize });
  if (session === null) {
    ctx.empty(200);
    return;
  }
  const inspect = await ctx.backend.inspectExec(ctx.param('id'));
  await serveSession(ctx, session, inspect.OpenStdin);
}

async function inspect(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.inspectExec(ctx.param('id')));
}

async function resize(ctx: Ctx): Promise<void> {
  const { h, w } = resizeSize(ctx);
  await ctx.backend.resizeExec(ctx.param('id'), h, w);
  ctx.empty(200);
}

export const execRoutes: RouteDef[] = [
  { method: 'POST', path: '/containers/:id/exec', handler: create },
  { method: 'POST', path: '/exec/:id/start', handler: start },
  { method: 'POST', path: '/exec/:id/resize', handler: resize },
  { method: 'GET', path: '/exec/:id/json', handler: inspect },
];
