// Requests without a socket: drives the API's handler with an in-memory transport, for unit tests
// (fastify's inject, our own way). A test can read a stream as it comes, stop reading (a slow
// client), write stdin to a hijacked connection, or hang up mid-stream.
import { PassThrough, Readable } from 'node:stream';
import type { Api } from './router.js';
import type { Hijacked, Transport } from './transport.js';

export interface InjectOptions {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON. */
  body?: string | Buffer | object | Readable;
  /** Send `Connection: Upgrade` / `Upgrade: tcp` (the 101 form of hijacking). */
  upgrade?: boolean;
}

export interface InjectedResponse {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
  /** Hijacked: the status line was 101 (upgrade form) or 200 with a raw stream. */
  hijacked: boolean;
  /** Cut by the server (an error after the head). */
  aborted: boolean;
  text(): string;
  json<T = unknown>(): T;
}

export interface LiveResponse {
  /** Resolves when the status and headers are out. */
  head: Promise<{ status: number; headers: Record<string, string | number> }>;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves once at least `n` bytes have arrived (or the response ended). */
  waitFor(n: number): Promise<Buffer>;
  /** Stop and resume taking data: writes wait while paused (a client that reads slowly). */
  pause(): void;
  resume(): void;
  /** The client hangs up. */
  disconnect(): void;
  /** Bytes after the request on a hijacked connection (stdin); end() half-closes. */
  stdin: PassThrough;
  done: Promise<InjectedResponse>;
}

export function injectLive(api: Api, opts: InjectOptions): LiveResponse {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: Readable;
  if (opts.body instanceof Readable) body = opts.body;
  else {
    const data = opts.body === undefined ? Buffer.alloc(0)
      : Buffer.isBuffer(opts.body) ? opts.body
      : typeof opts.body === 'string' ? Buffer.from(opts.body)
      : Buffer.from(JSON.stringify(opts.body));
    if (typeof opts.body === 'object' && !Buffer.isBuffer(opts.body)) headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(data.length);
    body = Readable.from(data.length ? [data] : []);
  }
  if (opts.upgrade) { headers['connection'] = 'Upgrade'; headers['upgrade'] = 'tcp'; }

  const chunks: Buffer[] = [];
  let size = 0;
  let status = 0;
  let outHeaders: Record<string, string | number> = {};
  let headSent = false;
  let closed = false;
  let paused = false;
  let hijacked = false;
  let aborted = false;
  const resumeWaiters: Array<() => void> = [];
  const dataWaiters: Array<() => void> = [];
  let resolveHead!: (h: { status: number; headers: Record<string, string | number> }) => void;
  const head = new Promise<{ status: number; headers: Record<string, string | number> }>((r) => { resolveHead = r; });
  let resolveClosed!: () => void;
  const closedP = new Promise<void>((r) => { resolveClosed = r; });
  let resolveDone!: (r: InjectedResponse) => void;
  const done = new Promise<InjectedResponse>((r) => { resolveDone = r; });
  const stdin = new PassThrough();

  const finish = (): void => {
    if (closed) return;
    closed = true;
    resolveClosed();
    for (const w of resumeWaiters.splice(0)) w();
    for (const w of dataWaiters.splice(0)) w();
    if (!headSent) resolveHead({ status: 0, headers: {} });
    const buf = Buffer.concat(chunks);
    resolveDone({
      status, headers: outHeaders, body: buf, hijacked, aborted,
      text: () => buf.toString('utf8'), json: <T>() => JSON.parse(buf.toString('utf8')) as T,
    });
  };
  const write = (d: Buffer | string): Promise<void> => {
    if (closed) return Promise.resolve();
    const b = typeof d === 'string' ? Buffer.from(d) : d;
    chunks.push(b);
    size += b.length;
    for (const w of dataWaiters.splice(0)) w();
    if (!paused) return Promise.resolve();
    return new Promise((r) => resumeWaiters.push(r));
  };
  const sendHead = (s: number, h: Record<string, string | number>): void => {
    headSent = true;
    status = s;
    outHeaders = h;
    resolveHead({ status: s, headers: h });
  };

  const t: Transport = {
    upgrade: opts.upgrade === true,
    get headSent() { return headSent; },
    head: (s, h) => sendHead(s, h),
    write,
    end: (d) => { if (d !== undefined) void write(d); finish(); },
    closed: closedP,
    isClosed: () => closed,
    abort: () => { aborted = true; finish(); },
    hijack: (contentType): Hijacked => {
      hijacked = true;
      sendHead(opts.upgrade ? 101 : 200, { 'Content-Type': contentType, ...(opts.upgrade ? { Connection: 'Upgrade', Upgrade: 'tcp' } : {}) });
      return { write, end: finish, input: stdin, closed: closedP };
    },
  };
  void api.handle({ method: opts.method ?? 'GET', url: opts.url, headers, body }, t);

  return {
    head,
    received: () => Buffer.concat(chunks),
    waitFor: async (n) => {
      while (size < n && !closed) await new Promise<void>((r) => dataWaiters.push(r));
      return Buffer.concat(chunks);
    },
    pause: () => { paused = true; },
    resume: () => { paused = false; for (const w of resumeWaiters.splice(0)) w(); },
    disconnect: () => { stdin.end(); finish(); },
    stdin,
    done,
  };
}

export function inject(api: Api, opts: InjectOptions): Promise<InjectedResponse> {
  return injectLive(api, opts).done;
}
