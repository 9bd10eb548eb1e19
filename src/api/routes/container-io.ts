// Container byte streams: logs, attach, stats, export and the archive endpoints of `docker cp`.
import { BerthError } from '../../errors.js';
import type { RouteDef } from '../router.js';
import type { Ctx } from '../context.js';
import type { PathStat } from '../types.js';
import { frame, MUX_CONTENT_TYPE, RAW_CONTENT_TYPE, streamId } from '../mux.js';
import { serveSession } from '../session.js';

function tail(ctx: Ctx): number | 'all' {
  const v = ctx.str('tail');
  if (v === undefined || v === '' || v === 'all') return 'all';
  if (!/^\d+$/.test(v)) throw new BerthError('BERTH_EINVAL', `invalid value for tail: ${JSON.stringify(v)}: want a number or "all"`);
  return Number(v);
}

async function logs(ctx: Ctx): Promise<void> {
  const stdout = ctx.bool('stdout');
  const stderr = ctx.bool('stderr');
  if (!stdout && !stderr) throw new BerthError('BERTH_EINVAL', 'Bad parameters: you must choose at least one stream');
  const timestamps = ctx.bool('timestamps');
  const { tty, entries } = await ctx.backend.logs(ctx.param('id'), {
    stdout, stderr, follow: ctx.bool('follow'), since: ctx.time('since') ?? 0, until: ctx.time('until') ?? 0, tail: tail(ctx),
  });
  ctx.t.head(200, { 'Content-Type': tty ? RAW_CONTENT_TYPE : MUX_CONTENT_TYPE });
  await ctx.pump(entries, (e) => {
    const data = timestamps ? Buffer.concat([Buffer.from(e.time + ' '), e.data]) : e.data;
    return tty ? data : frame(streamId(e.stream), data);
  });
  ctx.t.end();
}

async function attach(ctx: Ctx): Promise<void> {
  const stdin = ctx.bool('stdin');
  const session = await ctx.backend.attach(ctx.param('id'), {
    stdin, stdout: ctx.bool('stdout'), stderr: ctx.bool('stderr'), stream: ctx.bool('stream'), logs: ctx.bool('logs'),
    detachKeys: ctx.str('detachKeys'),
  });
  await serveSession(ctx, session, stdin);
}

async function attachWs(): Promise<void> {
  throw new BerthError('BERTH_EUNSUPPORTED', 'berth: attach over websocket is not supported; use POST /containers/{id}/attach');
}

async function stats(ctx: Ctx): Promise<void> {
  const stream = ctx.bool('stream', true);
  const samples = await ctx.backend.stats(ctx.param('id'), { stream, oneShot: !stream && ctx.bool('one-shot') });
  ctx.t.head(200, { 'Content-Type': 'application/json' });
  await ctx.pump(samples, (s) => JSON.stringify(s) + '\n');
  ctx.t.end();
}

async function exportFs(ctx: Ctx): Promise<void> {
  await ctx.bytes(await ctx.backend.exportContainer(ctx.param('id')), 'application/x-tar');
}

function archivePath(ctx: Ctx): string {
  const p = ctx.str('path');
  if (!p) throw new BerthError('BERTH_EINVAL', 'bad parameter: path cannot be empty');
  return p;
}

const statHeader = (s: PathStat): Record<string, string> =>
  ({ 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(s)).toString('base64') });

async function archiveHead(ctx: Ctx): Promise<void> {
  const stat = await ctx.backend.statPath(ctx.param('id'), archivePath(ctx));
  ctx.empty(200, statHeader(stat));
}

async function archiveGet(ctx: Ctx): Promise<void> {
  const { stat, tar } = await ctx.backend.getArchive(ctx.param('id'), archivePath(ctx));
  await ctx.bytes(tar, 'application/x-tar', statHeader(stat));
}

async function archivePut(ctx: Ctx): Promise<void> {
  await ctx.backend.putArchive(ctx.param('id'), archivePath(ctx), ctx.body, {
    noOverwriteDirNonDir: ctx.bool('noOverwriteDirNonDir'), copyUIDGID: ctx.bool('copyUIDGID'),
  });
  ctx.empty(200);
}

export const containerIoRoutes: RouteDef[] = [
  { method: 'GET', path: '/containers/:id/logs', handler: logs },
  { method: 'POST', path: '/containers/:id/attach', handler: attach },
  { method: 'GET', path: '/containers/:id/attach/ws', handler: attachWs },
  { method: 'GET', path: '/containers/:id/stats', handler: stats },
  { method: 'GET', path: '/containers/:id/export', handler: exportFs },
  { method: 'HEAD', path: '/containers/:id/archive', handler: archiveHead },
  { method: 'GET', path: '/containers/:id/archive', handler: archiveGet },
  { method: 'PUT', path: '/containers/:id/archive', handler: archivePut },
];
