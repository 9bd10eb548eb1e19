// Path patterns → handlers, and the one place where a request becomes a response or an error.
import { BerthError } from '../errors.js';
import type { ApiBackend } from './backend.js';
import { Ctx } from './context.js';
import type { ApiRequest, Transport } from './transport.js';
import { MAX_API_VERSION, splitVersion } from './version.js';
import { messageOf, statusOf } from './status.js';
import { systemRoutes } from './routes/system.js';
import { containerRoutes } from './routes/containers.js';
import { containerIoRoutes } from './routes/container-io.js';
import { execRoutes } from './routes/exec.js';
import { imageRoutes } from './routes/images.js';
import { networkRoutes } from './routes/networks.js';
import { volumeRoutes } from './routes/volumes.js';

export type Handler = (ctx: Ctx) => Promise<void>;

/**
 * `:name` matches one segment; `:name*` matches one or more (image names carry slashes, as
 * docker's `{name:.*}` routes do).
 */
export interface RouteDef { method: string; path: string; handler: Handler }

interface Compiled { method: string; re: RegExp; names: string[]; handler: Handler }

function compile(r: RouteDef): Compiled {
  const names: string[] = [];
  const re = r.path.split('/').map((seg) => {
    const m = /^:(\w+)(\*)?$/.exec(seg);
    if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(m[1]!);
    return m[2] ? '(.+)' : '([^/]+)';
  }).join('/');
  return { method: r.method, re: new RegExp(`^${re}$`), names, handler: r.handler };
}

export interface ApiOptions {
  backend: ApiBackend;
  /** One line per request (`--debug`), e.g. to see what a client asks for. */
  log?: (line: string) => void;
}

export interface Api {
  handle(req: ApiRequest, t: Transport): Promise<void>;
}

/** Docker's daemon names itself and its API version on every answer; clients log them. */
function withServerHeaders(t: Transport): Transport {
  const extra = { 'Api-Version': MAX_API_VERSION, Server: `berth (linux)` };
  const head: Transport['head'] = (status, headers, o) => t.head(status, { ...extra, ...headers }, o);
  return Object.create(t, { head: { value: head } }) as Transport;
}

export function createApi(opts: ApiOptions): Api {
  const routes = [
    ...systemRoutes, ...containerRoutes, ...containerIoRoutes, ...execRoutes,
    ...imageRoutes, ...networkRoutes, ...volumeRoutes,
  ].map(compile);
  const log = opts.log ?? (() => {});

  async function handle(req: ApiRequest, raw: Transport): Promise<void> {
    const t = withServerHeaders(raw);
    const q = req.url.indexOf('?');
    const rawPath = q < 0 ? req.url : req.url.slice(0, q);
    const search = q < 0 ? '' : req.url.slice(q + 1);
    let ctx: Ctx | undefined;
    try {
      const { version, path } = splitVersion(rawPath);
      ctx = new Ctx(opts.backend, req, t, version, path, search, log);
      let allowed = false;
      for (const r of routes) {
        const m = r.re.exec(path);
        if (!m) continue;
        allowed = true;
        if (r.method !== req.method) continue;
        r.names.forEach((n, i) => {
          try { ctx!.params[n] = decodeURIComponent(m[i + 1]!); } catch { ctx!.params[n] = m[i + 1]!; }
        });
        log(`${req.method} ${req.url}`);
        await r.handler(ctx);
        return;
      }
      log(`${req.method} ${req.url} → no route`);
      if (allowed) throw Object.assign(new BerthError('BERTH_EINVAL', `method ${req.method} not allowed on ${path}`), { status: 405 });
      throw new BerthError('BERTH_ENOTFOUND', 'page not found');
    } catch (e) {
      if (!t.headSent) {
        const status = statusOf(e);
        const body = Buffer.from(JSON.stringify({ message: messageOf(e) }) + '\n');
        if (status >= 500) log(`${req.method} ${req.url} → ${status}: ${messageOf(e)}`);
        // The request body may be unread (an early 404 on an upload): read on so the client can
        // see the answer, and forget it.
        req.body.resume();
        t.head(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
        t.end(body);
      } else {
        log(`${req.method} ${req.url} → failed after the head: ${messageOf(e)}`);
        t.abort();
      }
    }
  }
  return { handle };
}
