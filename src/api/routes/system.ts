// _ping, version, info, system/df, events.
import type { RouteDef } from '../router.js';
import type { Ctx } from '../context.js';
import type { EventMessage, SystemVersion } from '../types.js';
import { MAX_API_VERSION, MIN_API_VERSION } from '../version.js';

/** The headers docker's clients negotiate from: API version, OS type, builder (1 = classic, so the CLI posts /build instead of opening a BuildKit session). */
export const PING_HEADERS: Record<string, string> = {
  'Api-Version': MAX_API_VERSION,
  'Builder-Version': '1',
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Swarm: 'inactive',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
};

async function ping(ctx: Ctx): Promise<void> {
  const head = ctx.req.method === 'HEAD';
  ctx.t.head(200, { ...PING_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': head ? 0 : 2 });
  ctx.t.end(head ? undefined : 'OK');
}

async function version(ctx: Ctx): Promise<void> {
  const id = await ctx.backend.identity();
  const goVersion = `node ${process.version}`;
  const v: SystemVersion = {
    Platform: { Name: 'berth' },
    Components: [
      {
        Name: 'Engine', Version: id.version,
        Details: {
          ApiVersion: MAX_API_VERSION, Arch: id.arch, BuildTime: '', Experimental: 'false', GitCommit: id.gitCommit,
          GoVersion: goVersion, KernelVersion: id.kernelVersion, MinAPIVersion: MIN_API_VERSION, Os: id.os,
        },
      },
      ...id.components,
    ],
    Version: id.version, ApiVersion: MAX_API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: id.gitCommit,
    GoVersion: goVersion, Os: id.os, Arch: id.arch, KernelVersion: id.kernelVersion, BuildTime: '',
  };
  ctx.ok(v);
}

async function info(ctx: Ctx): Promise<void> {
  ctx.ok(await ctx.backend.info());
}

async function df(ctx: Ctx): Promise<void> {
  const types = ctx.query.getAll('type');
  ctx.ok(await ctx.backend.df({ types }));
}

/** Old clients (docker-py, compose 1.x) still read `status`, `id` and `from`. */
function withLegacyFields(e: EventMessage): EventMessage {
  if (e.Type !== 'container' && e.Type !== 'image') return e;
  const out: EventMessage = { status: e.Action, id: e.Actor.ID, ...e };
  const from = e.Actor.Attributes['image'];
  if (e.Type === 'container' && from !== undefined) out.from = from;
  return out;
}

async function events(ctx: Ctx): Promise<void> {
  const since = ctx.time('since');
  const until = ctx.time('until');
  const stream = ctx.backend.events({ since, until, filters: ctx.filters() });
  // Headers go out at once: `docker events` waits for them before printing anything.
  ctx.t.head(200, { 'Content-Type': 'application/json' });
  await ctx.pump(stream, (e) => JSON.stringify(withLegacyFields(e)) + '\n');
  ctx.t.end();
}

export const systemRoutes: RouteDef[] = [
  { method: 'GET', path: '/_ping', handler: ping },
  { method: 'HEAD', path: '/_ping', handler: ping },
  { method: 'GET', path: '/version', handler: version },
  { method: 'GET', path: '/info', handler: info },
  { method: 'GET', path: '/system/df', handler: df },
  { method: 'GET', path: '/events', handler: events },
];
