// One request as a handler sees it: path parameters, docker-style query parsing, a size-limited
// JSON body, and the ways to answer (JSON, empty, streams with backpressure, hijack).
import type { Readable } from 'node:stream';
import { BerthError } from '../errors.js';
import type { ApiBackend, ApiStream } from './backend.js';
import type { Filters, ProgressMessage } from './types.js';
import type { ApiRequest, Transport } from './transport.js';
import { messageOf, statusOf } from './status.js';
import { versionAtLeast } from './version.js';

export const JSON_BODY_LIMIT = 1024 * 1024;

export class Ctx {
  readonly params: Record<string, string> = {};
  readonly query: URLSearchParams;
  constructor(
    readonly backend: ApiBackend,
    readonly req: ApiRequest,
    readonly t: Transport,
    readonly version: string,
    readonly path: string,
    search: string,
    readonly log: (line: string) => void = () => {},
  ) {
    this.query = new URLSearchParams(search);
  }

  atLeast(v: string): boolean { return versionAtLeast(this.version, v); }

  param(name: string): string { return this.params[name] ?? ''; }

  str(name: string): string | undefined {
    const v = this.query.get(name);
    return v === null ? undefined : v;
  }

  /** Docker's booleans: `1`, `true`, `True` are true; `0`, `false`, empty are false. */
  bool(name: string, dflt = false): boolean {
    const v = this.query.get(name);
    if (v === null) return dflt;
    const s = v.toLowerCase();
    if (s === '' || s === '0' || s === 'false' || s === 'no') return false;
    if (s === '1' || s === 'true' || s === 'yes') return true;
    throw new BerthError('BERTH_EINVAL', `invalid value for ${name}: ${JSON.stringify(v)}: want 1, true, 0 or false`);
  }

  int(name: string): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return undefined;
    if (!/^-?\d+$/.test(v)) throw new BerthError('BERTH_EINVAL', `invalid value for ${name}: ${JSON.stringify(v)}: not an integer`);
    return Number(v);
  }

  /** `filters` as JSON: `{"status":["running"]}` or the old `{"status":{"running":true}}` form. */
  filters(): Filters {
    const raw = this.query.get('filters');
    if (raw === null || raw === '') return {};
    let parsed: unknown;
    try { parsed = JSON.parse(raw); } catch (e) {
      throw new BerthError('BERTH_EINVAL', `invalid filters: ${messageOf(e)}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BerthError('BERTH_EINVAL', 'invalid filters: want a JSON object');
    const out: Filters = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (Array.isArray(v)) out[k] = v.map(String);
      else if (typeof v === 'object' && v !== null) out[k] = Object.entries(v).filter(([, on]) => on === true).map(([x]) => x);
      else throw new BerthError('BERTH_EINVAL', `invalid filters: "${k}" must be a list of strings`);
    }
    return out;
  }

  /** Unix seconds from `1700000000`, `1700000000.123456789` or an RFC 3339 time. */
  time(name: string): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return undefined;
    if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new BerthError('BERTH_EINVAL', `invalid value for ${name}: ${JSON.stringify(v)}: want a unix timestamp or RFC 3339 time`);
    return ms / 1000;
  }

  /** The body as JSON (undefined when empty); over the limit → 413; bad JSON → 400 naming the error. */
  async json<T>(limit = JSON_BODY_LIMIT): Promise<T | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of this.req.body as AsyncIterable<Buffer | string>) {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      size += b.length;
      if (size > limit) {
        this.req.body.destroy();
        throw new BerthError('BERTH_ETOOLARGE', `request body exceeds ${limit} bytes`);
      }
      chunks.push(b);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new BerthError('BERTH_EINVAL', `invalid JSON in request body: ${messageOf(e)}`);
    }
  }

  /** The body as an object; anything else is a 400. Unknown fields stay and are ignored by readers. */
  async jsonObject<T extends object>(what: string, required = true): Promise<T> {
    const v = await this.json<unknown>();
    if (v === undefined && !required) return {} as T;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BerthError('BERTH_EINVAL', `${what}: request body must be a JSON object`);
    return v as T;
  }

  /** Reads and drops the body (so the client is not cut off mid-upload before it reads our answer). */
  async drain(): Promise<void> {
    for await (const _ of this.req.body) { /* discard */ }
  }

  sendJson(status: number, value: unknown, headers: Record<string, string> = {}): void {
    const body = Buffer.from(JSON.stringify(value) + '\n');
    this.t.head(status, { 'Content-Type': 'application/json', 'Content-Length': body.length, ...headers });
    this.t.end(body);
  }

  ok(value: unknown): void { this.sendJson(200, value); }

  /** An empty answer: 204 No Content, 304 Not Modified, or a bare 200/201. */
  empty(status: number, headers: Record<string, string> = {}): void {
    this.t.head(status, status === 204 || status === 304 ? headers : { 'Content-Length': 0, ...headers });
    this.t.end();
  }

  sendError(e: unknown): void {
    const status = statusOf(e);
    this.sendJson(status, { message: messageOf(e) });
  }

  /**
   * Drains `stream` into the response at the client's pace; a client that goes away closes the
   * stream (releasing its backend resources) instead of leaving a producer behind.
   */
  async pump<T>(stream: ApiStream<T>, encode: (item: T) => Buffer | string | null): Promise<void> {
    let closed = false;
    const close = (): void => { if (!closed) { closed = true; stream.close(); } };
    void this.t.closed.then(close);
    try {
      for await (const item of stream) {
        if (this.t.isClosed()) break;
        const out = encode(item);
        if (out !== null && out.length > 0) await this.t.write(out);
      }
    } finally {
      close();
    }
  }

  /**
   * A JSON-lines progress stream (pull, push, load, build). The head waits for the first message,
   * so an error before any output is still a proper HTTP error; later errors go in-stream as
   * `{"errorDetail": …, "error": …}`, which is where docker's clients look for them.
   */
  async progress(open: () => Promise<ApiStream<ProgressMessage>>): Promise<void> {
    const stream = await open();
    let started = false;
    const start = (): void => {
      if (!started) { started = true; this.t.head(200, { 'Content-Type': 'application/json' }); }
    };
    try {
      await this.pump(stream, (m) => { start(); return JSON.stringify(m) + '\r\n'; });
    } catch (e) {
      if (!started) throw e;
      const message = messageOf(e);
      await this.t.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\r\n');
    }
    start();
    this.t.end();
  }

  /** Streams raw bytes (tar archives) with the given content type. */
  async bytes(stream: ApiStream<Buffer>, contentType: string, headers: Record<string, string> = {}): Promise<void> {
    this.t.head(200, { 'Content-Type': contentType, ...headers });
    // A failure mid-way propagates: the dispatcher then cuts the connection, so the client sees a
    // broken transfer instead of a short archive that looks complete.
    await this.pump(stream, (b) => b);
    this.t.end();
  }

  get body(): Readable { return this.req.body; }
}
