// Shared set-up for the API's unit tests: a fake backend, the API over it, and short request helpers.
import { FakeBackend } from './fake-backend.js';
import { inject, injectLive, type InjectOptions, type InjectedResponse, type LiveResponse } from './inject.js';
import { createApi, type Api } from './router.js';
import { deframe } from './mux.js';

export interface TestApi {
  backend: FakeBackend;
  api: Api;
  lines: string[];
  req(method: string, url: string, body?: InjectOptions['body'], extra?: Omit<InjectOptions, 'method' | 'url' | 'body'>): Promise<InjectedResponse>;
  live(method: string, url: string, body?: InjectOptions['body'], extra?: Omit<InjectOptions, 'method' | 'url' | 'body'>): LiveResponse;
  /** Creates (and optionally starts) a container running `cmd`; returns its ID. */
  container(cmd: string[], opts?: { start?: boolean; name?: string; body?: Record<string, unknown> }): Promise<string>;
}

export function testApi(): TestApi {
  const backend = new FakeBackend();
  const lines: string[] = [];
  const api = createApi({ backend, log: (l) => lines.push(l) });
  const t: TestApi = {
    backend, api, lines,
    req: (method, url, body, extra) => inject(api, { method, url, body, ...extra }),
    live: (method, url, body, extra) => injectLive(api, { method, url, body, ...extra }),
    async container(cmd, opts = {}) {
      const q = opts.name ? `?name=${opts.name}` : '';
      const r = await t.req('POST', `/containers/create${q}`, { Image: 'busybox', Cmd: cmd, ...opts.body });
      if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text()}`);
      const id = r.json<{ Id: string }>().Id;
      if (opts.start) {
        const s = await t.req('POST', `/containers/${id}/start`);
        if (s.status !== 204) throw new Error(`start: ${s.status} ${s.text()}`);
      }
      return id;
    },
  };
  return t;
}

/** The frames of a multiplexed body as [stream, text] pairs. */
export function frames(buf: Buffer): Array<[number, string]> {
  const { frames: f, rest } = deframe(buf);
  if (rest.length) throw new Error(`trailing ${rest.length} bytes of an incomplete frame`);
  return f.map((x) => [x.stream, x.data.toString('utf8')]);
}

/** Until `cond` holds (polling), or fail after `ms`. */
export async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}
