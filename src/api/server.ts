// The API over node:http: a unix socket (mode 0660, stale ones replaced, live ones left alone),
// optional loopback TCP, an idle timeout, and a shutdown that ends open streams.
import http from 'node:http';
import net from 'node:net';
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { BerthError } from '../errors.js';
import type { ApiBackend } from './backend.js';
import { createApi, type Api } from './router.js';
import { nodeTransport, upgradeTransport } from './transport.js';

export const DEFAULT_SOCKET = '/run/berth/berth.sock';

export interface HttpServerOptions {
  /** Time a client gets to send the request line and headers (slowloris guard). */
  headersTimeoutMs?: number;
  /** How often node checks that timeout (tests shorten it). */
  checkIntervalMs?: number;
}

/** An http.Server that hands every request (plain or `Upgrade: tcp`) to the API. */
export function createHttpServer(api: Api, opts: HttpServerOptions = {}): http.Server {
  const server = http.createServer({
    // Uploads (image load, archives) and streams (logs -f, events) may run for hours; only the
    // head of a request is on a clock.
    requestTimeout: 0,
    headersTimeout: opts.headersTimeoutMs ?? 30_000,
    connectionsCheckingInterval: opts.checkIntervalMs ?? 1_000,
    keepAliveTimeout: 5_000,
    // X-Registry-Auth with an identity token can outgrow node's 16 KiB default.
    maxHeaderSize: 64 * 1024,
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void api.handle({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: req }, nodeTransport(req, res));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const { request, transport } = upgradeTransport(req, socket, head);
    void api.handle(request, transport);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') { socket.destroy(); return; }
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ message: `bad request: ${err.code ?? err.message}` });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  });
  return server;
}

/** Whether something accepts connections on the socket at `path`. */
export function socketIsLive(path: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection({ path });
    const timer = setTimeout(() => { c.destroy(); resolve(true); }, timeoutMs);
    c.once('connect', () => { clearTimeout(timer); c.destroy(); resolve(true); });
    c.once('error', () => { clearTimeout(timer); resolve(false); });
  });
}

/** Clears the way for a new socket at `path`: refuse a live server or a non-socket, remove a stale one. */
export async function prepareSocketPath(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let st;
  try { st = lstatSync(path); } catch { return; }
  if (!st.isSocket()) throw new BerthError('BERTH_EINUSE', `${path} exists and is not a socket; not touching it`);
  if (await socketIsLive(path)) throw new BerthError('BERTH_EINUSE', `another server is already listening on ${path}`);
  unlinkSync(path);
}

function listen(server: net.Server, target: string | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => { server.removeListener('error', reject); resolve(); };
    if (typeof target === 'string') server.listen(target, done);
    else server.listen(target.port, target.host, done);
  });
}

const LOOPBACK_NAMES = new Set(['localhost', 'ip6-localhost', 'ip6-loopback']);

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (LOOPBACK_NAMES.has(h)) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./i.test(h);
  return false;
}

/** `tcp://HOST:PORT` → host and port; a non-loopback host needs `allowRemote`. */
export function parseListen(addr: string, allowRemote: boolean): { host: string; port: number } {
  let u: URL;
  try { u = new URL(addr); } catch { throw new BerthError('BERTH_EINVAL', `--listen ${addr}: want tcp://HOST:PORT`); }
  if (u.protocol !== 'tcp:' || u.hostname === '' || u.port === '' || (u.pathname !== '' && u.pathname !== '/')) {
    throw new BerthError('BERTH_EINVAL', `--listen ${addr}: want tcp://HOST:PORT`);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!isLoopback(host) && !allowRemote) {
    throw new BerthError('BERTH_EINVAL', `--listen ${addr}: ${host} is not a loopback address; the API has no authentication and gives root on this host to anyone who reaches it (add --allow-remote to insist)`);
  }
  return { host, port: Number(u.port) };
}

export interface ServiceOptions {
  backend: ApiBackend;
  /** Unix socket path; undefined for none (TCP only). */
  socket?: string;
  /** tcp://HOST:PORT addresses. */
  listen?: string[];
  allowRemote?: boolean;
  /** Stop after this many seconds without a connection; 0 runs until stopped. */
  idleTimeoutSec?: number;
  log?: (line: string) => void;
  http?: HttpServerOptions;
}

export interface Service {
  /** Where it listens: socket paths and `tcp://host:port`. */
  addresses: string[];
  /** Stops accepting, cuts open connections (streams end, backends close), removes the socket. */
  stop(): Promise<void>;
  /** Resolves when the service has stopped (by stop() or the idle timeout). */
  stopped: Promise<void>;
}

export async function startService(opts: ServiceOptions): Promise<Service> {
  const api = createApi({ backend: opts.backend, log: opts.log });
  const servers: http.Server[] = [];
  const sockets = new Set<net.Socket>();
  const addresses: string[] = [];
  let idleTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => { resolveStopped = r; });
  const idleMs = (opts.idleTimeoutSec ?? 0) * 1000;

  const armIdle = (): void => {
    if (idleMs <= 0 || sockets.size > 0 || stopping) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => { opts.log?.(`idle for ${opts.idleTimeoutSec}s: stopping`); void stop(); }, idleMs);
  };

  const track = (server: http.Server): void => {
    // Upgraded (hijacked) sockets leave node's own bookkeeping, so they are counted here.
    server.on('connection', (s: net.Socket) => {
      sockets.add(s);
      clearTimeout(idleTimer);
      s.once('close', () => { sockets.delete(s); armIdle(); });
    });
  };

  async function stop(): Promise<void> {
    if (stopping) return stopping;
    stopping = (async () => {
      clearTimeout(idleTimer);
      const closes = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const s of sockets) s.destroy();
      await Promise.all(closes);
      if (opts.socket) { try { unlinkSync(opts.socket); } catch { /* already gone */ } }
      await opts.backend.close?.();
      resolveStopped();
    })();
    return stopping;
  }

  try {
    if (opts.socket) {
      await prepareSocketPath(opts.socket);
      const server = createHttpServer(api, opts.http);
      track(server);
      // The socket is born 0660: no window in which others could connect.
      const oldMask = process.umask(0o117);
      try { await listen(server, opts.socket); } finally { process.umask(oldMask); }
      chmodSync(opts.socket, 0o660);
      servers.push(server);
      addresses.push(opts.socket);
    }
    for (const addr of opts.listen ?? []) {
      const { host, port } = parseListen(addr, opts.allowRemote === true);
      if (!isLoopback(host)) opts.log?.(`warning: serving the Docker API without authentication on ${host}:${port}`);
      const server = createHttpServer(api, opts.http);
      track(server);
      await listen(server, { host, port });
      servers.push(server);
      const a = server.address() as net.AddressInfo;
      addresses.push(`tcp://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    }
  } catch (e) {
    for (const s of servers) s.close();
    if (opts.socket && servers.length > 0) { try { unlinkSync(opts.socket); } catch { /* ignore */ } }
    throw e;
  }
  if (servers.length === 0) throw new BerthError('BERTH_EINVAL', 'nothing to listen on: give --socket or --listen');
  armIdle();
  return { addresses, stop, stopped };
}
