// A distribution-spec v2 client for one registry: scheme discovery (https, then plain http for
// local and insecure registries, as docker does), the WWW-Authenticate challenge (anonymous or
// with credentials, Basic or Bearer tokens per scope), bounded retries with backoff on 5xx, 429
// and dropped connections, and registry error bodies turned into one line.

import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError, isBerthError } from '../../errors.js';
import { drain, isTransientNetError, readBody, send, type HttpResponse } from './http.js';
import type { Credentials } from './credentials.js';

export interface ClientOptions {
  /** Registry as in references: `docker.io`, `127.0.0.1:5000`. */
  registry: string;
  credentials?: Credentials;
  /** `--tls-verify=false`: no certificate checks, and plain http allowed. */
  tlsVerify?: boolean;
  insecureRegistries?: string[];
  /** Attempts per request for transient failures (default 4). */
  attempts?: number;
  /** First backoff in ms, doubled each time (default 250; tests make it small). */
  backoffMs?: number;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="https://auth",service="registry",scope="repository:x:pull"`. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let p = re.exec(m[2] ?? ''); p !== null; p = re.exec(m[2] ?? '')) params[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] as string);
  return { scheme: (m[1] as string).toLowerCase(), params };
}

function isLocal(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h) || h.endsWith('.localhost');
}

export interface RegistryRequest {
  method: string;
  /** Path under the registry (`/v2/…`) or an absolute URL (upload locations). */
  path: string;
  /** `repository:name:pull` and the like; used for Bearer tokens. */
  scope: string[];
  headers?: Record<string, string>;
  /** Only a Buffer is retried; a stream body is sent once. */
  body?: Buffer | AsyncIterable<Uint8Array>;
  /** Statuses that are answers, not errors. */
  ok: number[];
  /** Follow redirects (blob downloads go to storage elsewhere). */
  follow?: boolean;
}

export class RegistryClient {
  readonly registry: string;
  private readonly host: string;
  private base: URL | undefined;
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, string>();
  private readonly insecureTls: boolean;
  private readonly httpAllowed: boolean;

  constructor(private readonly opts: ClientOptions) {
    this.registry = opts.registry;
    this.host = opts.registry === 'docker.io' ? 'registry-1.docker.io' : opts.registry;
    const insecure = (opts.insecureRegistries ?? []).includes(opts.registry);
    this.insecureTls = opts.tlsVerify === false || insecure;
    this.httpAllowed = this.insecureTls || isLocal(this.host);
  }

  /** Find the scheme and the challenge: GET /v2/ over https, then http where that is allowed. */
  async ping(): Promise<void> {
    if (this.base !== undefined) return;
    const schemes = this.httpAllowed ? ['https:', 'http:'] : ['https:'];
    let last: unknown;
    for (const scheme of schemes) {
      const url = new URL(`${scheme}//${this.host}/v2/`);
      try {
        const res = await this.retrying(() => send({ method: 'GET', url, insecureTls: this.insecureTls, timeoutMs: 15_000 }), true);
        drain(res);
        if (res.status === 401) {
          const h = res.headers['www-authenticate'];
          this.challenge = parseChallenge(Array.isArray(h) ? (h[0] ?? '') : (h ?? ''));
        } else if (res.status !== 200 && res.status !== 404) {
          throw this.statusError(res, 'GET /v2/', undefined);
        }
        this.base = new URL(`${scheme}//${this.host}`);
        return;
      } catch (e) {
        last = e;
        if (isBerthError(e)) throw e;
      }
    }
    throw new BerthError('BERTH_EREGISTRY', `cannot reach registry ${this.registry}: ${describeNetError(last)}`, { cause: last });
  }

  /** Check the credentials (`berth login`): a 401 here means they are wrong. */
  async login(): Promise<void> {
    await this.ping();
    if (this.challenge === undefined) return;
    if (this.opts.credentials === undefined) throw new BerthError('BERTH_EAUTH', `registry ${this.registry} needs credentials`);
    const res = await this.request({ method: 'GET', path: '/v2/', scope: [], ok: [200, 404] });
    drain(res);
  }

  private async authorization(scope: string[]): Promise<string | undefined> {
    const ch = this.challenge;
    if (ch === undefined) return undefined;
    const cred = this.opts.credentials;
    if (ch.scheme === 'basic') {
      if (cred === undefined) throw new BerthError('BERTH_EAUTH', `registry ${this.registry} needs credentials: run berth login ${this.registry}`);
      return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    }
    if (ch.scheme !== 'bearer') throw new BerthError('BERTH_EAUTH', `registry ${this.registry} asks for unsupported auth scheme ${ch.scheme}`);
    const key = scope.join(' ');
    const cached = this.tokens.get(key);
    if (cached !== undefined) return `Bearer ${cached}`;
    const realm = ch.params.realm;
    if (realm === undefined) throw new BerthError('BERTH_EAUTH', `registry ${this.registry}: Bearer challenge without a realm`);
    const url = new URL(realm);
    if (ch.params.service !== undefined) url.searchParams.set('service', ch.params.service);
    for (const s of scope) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (cred !== undefined) headers.Authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    const res = await this.retrying(() => send({ method: 'GET', url, headers, insecureTls: this.insecureTls }), true);
    if (res.status === 401 || res.status === 403) {
      drain(res);
      throw new BerthError('BERTH_EAUTH', `registry ${this.registry}: the token server refused ${cred === undefined ? 'anonymous access' : `user ${cred.username}`} (${res.status})`);
    }
    if (res.status !== 200) {
      drain(res);
      throw new BerthError('BERTH_EAUTH', `registry ${this.registry}: token server answered ${res.status}`);
    }
    let token: string | undefined;
    try {
      const j = JSON.parse((await readBody(res, 1 << 20, 'token')).toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = typeof j.token === 'string' ? j.token : typeof j.access_token === 'string' ? j.access_token : undefined;
    } catch (e) {
      if (isBerthError(e)) throw e;
    }
    if (token === undefined) throw new BerthError('BERTH_EAUTH', `registry ${this.registry}: the token server gave no token`);
    this.tokens.set(key, token);
    return `Bearer ${token}`;
  }

  /** One request with auth and retries; answers outside `ok` become one-line errors. */
  async request(r: RegistryRequest): Promise<HttpResponse> {
    await this.ping();
    const base = this.base as URL;
    let url = /^https?:/.test(r.path) ? new URL(r.path) : new URL(r.path, base);
    const canRetry = r.body === undefined || Buffer.isBuffer(r.body);
    for (let authTries = 0; ; authTries++) {
      const auth = await this.authorization(r.scope);
      let res = await this.retrying(() => send({
        method: r.method, url, insecureTls: this.insecureTls,
        headers: { ...(r.headers ?? {}), ...(auth !== undefined ? { Authorization: auth } : {}) },
        ...(r.body !== undefined ? { body: r.body } : {}),
      }), canRetry);
      for (let hops = 0; r.follow === true && [301, 302, 303, 307, 308].includes(res.status) && hops < 5; hops++) {
        drain(res);
        const next = new URL(String(res.headers.location), url);
        // Credentials stay with the registry; storage elsewhere gets a signed URL instead.
        const sameHost = next.host === url.host;
        url = next;
        res = await this.retrying(() => send({ method: r.method, url, insecureTls: this.insecureTls, headers: { ...(r.headers ?? {}), ...(sameHost && auth !== undefined ? { Authorization: auth } : {}) } }), true);
      }
      if (res.status === 401 && authTries === 0 && canRetry) {
        // A new challenge (another realm, an expired token): take it and try once more.
        const h = res.headers['www-authenticate'];
        drain(res);
        const ch = parseChallenge(Array.isArray(h) ? (h[0] ?? '') : (h ?? ''));
        if (ch !== undefined) this.challenge = ch;
        this.tokens.delete(r.scope.join(' '));
        continue;
      }
      if (r.ok.includes(res.status)) return res;
      throw await this.errorOf(res, `${r.method} ${url.pathname}`);
    }
  }

  private async retrying(fn: () => Promise<HttpResponse>, canRetry: boolean): Promise<HttpResponse> {
    const attempts = canRetry ? this.opts.attempts ?? 4 : 1;
    let delay = this.opts.backoffMs ?? 250;
    for (let i = 1; ; i++) {
      try {
        const res = await fn();
        if (i < attempts && (res.status >= 500 || res.status === 429) && res.status !== 501) {
          drain(res);
          await sleep(delay);
          delay *= 2;
          continue;
        }
        return res;
      } catch (e) {
        if (i >= attempts || !isTransientNetError(e)) throw e;
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  /** The retry policy, for callers that stream a body (a blob download) and must redo the whole thing. */
  async withRetries<T>(fn: () => Promise<T>): Promise<T> {
    const attempts = this.opts.attempts ?? 4;
    let delay = this.opts.backoffMs ?? 250;
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (e) {
        const transient = isTransientNetError(e) || (isBerthError(e, 'BERTH_EREGISTRY') && (e.detail?.status as number | undefined ?? 0) >= 500);
        if (i >= attempts || !transient) throw e;
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  private statusError(res: HttpResponse, what: string, body: string | undefined): BerthError {
    const code = res.status === 401 || res.status === 403 ? 'BERTH_EAUTH' : res.status === 404 ? 'BERTH_ENOTFOUND' : 'BERTH_EREGISTRY';
    const shown = body !== undefined && body !== '' ? `: ${body}` : '';
    return new BerthError(code, `registry ${this.registry}: ${what} answered ${res.status}${shown}`, { detail: { status: res.status } });
  }

  private async errorOf(res: HttpResponse, what: string): Promise<BerthError> {
    let text = '';
    try {
      const raw = (await readBody(res, 64 << 10, 'error body')).toString('utf8');
      const j = JSON.parse(raw) as { errors?: Array<{ code?: string; message?: string }> };
      text = (j.errors ?? []).map((x) => [x.code, x.message].filter(Boolean).join(': ')).join('; ');
    } catch {
      text = '';
    }
    return this.statusError(res, what, text.replace(/\s+/g, ' ').slice(0, 300));
  }
}

export function describeNetError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  return code !== undefined && !msg.includes(code) ? `${msg} (${code})` : msg;
}

/** A network failure as one line naming the registry. */
export function netError(registry: string, e: unknown, what: string): BerthError {
  if (isBerthError(e)) return e;
  return new BerthError('BERTH_EREGISTRY', `registry ${registry}: ${what}: ${describeNetError(e)}`, { cause: e });
}
